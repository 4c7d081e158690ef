import { afterEach, describe, expect, it } from 'vitest';
import { BIOS_REGISTRY_ID, RedfishBmc } from '../src/index.js';
import { admin, call } from './redfish-client.js';

const bmcs: RedfishBmc[] = [];
async function startBmc(): Promise<RedfishBmc> {
  const bmc = await RedfishBmc.start({ password: 'lab-secret' });
  bmcs.push(bmc);
  return bmc;
}
afterEach(async () => {
  await Promise.all(bmcs.splice(0).map((bmc) => bmc.stop()));
});

const get = (bmc: RedfishBmc, path: string) => call(bmc, 'GET', path, { auth: admin(bmc) });
const stage = (bmc: RedfishBmc, body: unknown) =>
  call(bmc, 'PATCH', `${bmc.systemPath}/Bios/Settings`, { auth: admin(bmc), body });
const reset = (bmc: RedfishBmc, ResetType: string) =>
  call(bmc, 'POST', `${bmc.systemPath}/Actions/ComputerSystem.Reset`, {
    auth: admin(bmc),
    body: { ResetType },
  });

describe('BIOS resource', () => {
  it('is linked from the system and names its settings resource and attribute registry', async () => {
    const bmc = await startBmc();
    const system = await get(bmc, bmc.systemPath);
    expect(system.json).toMatchObject({ Bios: { '@odata.id': `${bmc.systemPath}/Bios` } });
    const bios = await get(bmc, `${bmc.systemPath}/Bios`);
    expect(bios.status).toBe(200);
    expect(bios.json).toMatchObject({
      AttributeRegistry: BIOS_REGISTRY_ID,
      Attributes: { BootMode: 'Uefi', ProcTurboMode: 'Enabled', BootTimeoutSeconds: 5 },
      '@Redfish.Settings': { SettingsObject: { '@odata.id': `${bmc.systemPath}/Bios/Settings` } },
      Actions: { '#Bios.ResetBios': { target: `${bmc.systemPath}/Bios/Actions/Bios.ResetBios` } },
    });
  });

  it('serves the attribute registry through Registries → Location, as sushy finds it', async () => {
    const bmc = await startBmc();
    const root = await call(bmc, 'GET', '/redfish/v1/');
    const registries = await get(bmc, (root.json?.Registries as any)['@odata.id']);
    const [member] = registries.json?.Members as any[];
    const file = await get(bmc, member['@odata.id']);
    expect(file.json).toMatchObject({ Id: BIOS_REGISTRY_ID, Languages: ['en'] });
    const registry = await get(bmc, (file.json?.Location as any)[0].Uri);
    const entries = (registry.json?.RegistryEntries as any).Attributes as any[];
    const byName = Object.fromEntries(entries.map((e) => [e.AttributeName, e]));
    expect(byName.BootMode).toMatchObject({
      Type: 'Enumeration',
      ReadOnly: false,
      ResetRequired: true,
      Value: [{ ValueName: 'Uefi' }, { ValueName: 'Bios' }],
    });
    expect(byName.BootTimeoutSeconds).toMatchObject({
      Type: 'Integer',
      LowerBound: 0,
      UpperBound: 60,
    });
    expect(byName.AssetTag).toMatchObject({ Type: 'String', MaxLength: 16 });
    expect(byName.UsbPortsEnabled).toMatchObject({ Type: 'Boolean' });
    expect(byName.SystemServiceTag).toMatchObject({ ReadOnly: true });
  });
});

describe('BIOS settings', () => {
  it('stages a change that takes effect only when the server next boots', async () => {
    const bmc = await startBmc();
    const patch = await stage(bmc, {
      Attributes: { ProcTurboMode: 'Disabled', BootTimeoutSeconds: 30, AssetTag: 'rack-7' },
    });
    expect(patch.status).toBe(204);
    expect((await get(bmc, `${bmc.systemPath}/Bios/Settings`)).json?.Attributes).toEqual({
      ProcTurboMode: 'Disabled',
      BootTimeoutSeconds: 30,
      AssetTag: 'rack-7',
    });
    expect(bmc.state.bios.current.ProcTurboMode).toBe('Enabled');

    await reset(bmc, 'On');
    expect(bmc.state.bios.current).toMatchObject({
      ProcTurboMode: 'Disabled',
      BootTimeoutSeconds: 30,
      AssetTag: 'rack-7',
    });
    expect(bmc.state.bios.pending).toEqual({});
    expect((await get(bmc, `${bmc.systemPath}/Bios`)).json?.Attributes).toMatchObject({
      ProcTurboMode: 'Disabled',
    });
  });

  it('applies staged settings on a restart of a running server, not on power off', async () => {
    const bmc = await startBmc();
    await reset(bmc, 'On');
    await stage(bmc, { Attributes: { SriovGlobalEnable: 'Enabled' } });
    await reset(bmc, 'ForceOff');
    expect(bmc.state.bios.current.SriovGlobalEnable).toBe('Disabled');
    await reset(bmc, 'On');
    expect(bmc.state.bios.current.SriovGlobalEnable).toBe('Enabled');
    await stage(bmc, { Attributes: { SriovGlobalEnable: 'Disabled' } });
    await reset(bmc, 'ForceRestart');
    expect(bmc.state.bios.current.SriovGlobalEnable).toBe('Disabled');
  });

  it.each([
    [{ NoSuchThing: 1 }, 'PropertyUnknown', /no attribute NoSuchThing/],
    [{ SystemServiceTag: 'X' }, 'PropertyNotWritable', /SystemServiceTag is read-only/],
    [
      { BootTimeoutSeconds: '30' },
      'PropertyValueTypeError',
      /BootTimeoutSeconds is not an integer/,
    ],
    [{ BootTimeoutSeconds: 61 }, 'PropertyValueOutOfRange', /outside its range 0\.\.60/],
    [{ BootMode: 'Legacy' }, 'PropertyValueNotInList', /not one of Uefi, Bios/],
    [{ UsbPortsEnabled: 'yes' }, 'PropertyValueTypeError', /UsbPortsEnabled is not a boolean/],
    [{ AssetTag: 'x'.repeat(17) }, 'PropertyValueIncorrect', /0 to 16 characters/],
  ])('refuses %j with 400 %s, staging nothing', async (Attributes, messageId, message) => {
    const bmc = await startBmc();
    const res = await stage(bmc, { Attributes: { ProcTurboMode: 'Disabled', ...Attributes } });
    expect(res.status).toBe(400);
    const error = res.json?.error as any;
    expect(error['@Message.ExtendedInfo'][0].MessageId).toBe(`Base.1.8.${messageId}`);
    expect(error.message).toMatch(message);
    expect(bmc.state.bios.pending).toEqual({});
  });

  it('refuses a body without Attributes and an apply time other than OnReset', async () => {
    const bmc = await startBmc();
    expect((await stage(bmc, { BootMode: 'Bios' })).status).toBe(400);
    const immediate = await stage(bmc, {
      Attributes: { BootMode: 'Bios' },
      '@Redfish.SettingsApplyTime': { ApplyTime: 'Immediate' },
    });
    expect(immediate.status).toBe(400);
    const onReset = await stage(bmc, {
      Attributes: { BootMode: 'Bios' },
      '@Redfish.SettingsApplyTime': { ApplyTime: 'OnReset' },
    });
    expect(onReset.status).toBe(204);
  });

  it('ResetBios restores the defaults at the next boot, keeping the service tag', async () => {
    const bmc = await startBmc();
    await stage(bmc, { Attributes: { ProcTurboMode: 'Disabled', AssetTag: 'old' } });
    await reset(bmc, 'On');
    const tag = bmc.state.bios.current.SystemServiceTag;
    const action = await call(bmc, 'POST', `${bmc.systemPath}/Bios/Actions/Bios.ResetBios`, {
      auth: admin(bmc),
      body: {},
    });
    expect(action.status).toBe(204);
    expect((await get(bmc, `${bmc.systemPath}/Bios`)).json?.ResetBiosToDefaultsPending).toBe(true);
    expect(bmc.state.bios.current.ProcTurboMode).toBe('Disabled');
    await reset(bmc, 'ForceRestart');
    expect(bmc.state.bios.current).toMatchObject({
      ProcTurboMode: 'Enabled',
      AssetTag: '',
      SystemServiceTag: tag,
    });
    expect(bmc.state.bios.resetPending).toBe(false);
  });
});
