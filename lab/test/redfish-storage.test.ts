import { afterEach, describe, expect, it } from 'vitest';
import { describeServer, RedfishBmc, type ServerIdentity } from '../src/index.js';
import { admin, call } from './redfish-client.js';

const GiB = 1024 ** 3;
const bmcs: RedfishBmc[] = [];
/** A lab server with four 100 GiB SSDs and one 200 GiB HDD. */
function fiveDisks(): ServerIdentity {
  const server = describeServer(3);
  const ssd = (i: number) => ({
    name: `/dev/sd${'abcd'[i]}`,
    size_bytes: 100 * GiB,
    rotational: false,
  });
  return {
    ...server,
    profile: {
      ...server.profile,
      disks: [0, 1, 2, 3]
        .map(ssd)
        .concat({ name: '/dev/sde', size_bytes: 200 * GiB, rotational: true }),
    },
  };
}
async function startBmc(): Promise<RedfishBmc> {
  const bmc = await RedfishBmc.start({ password: 'lab-secret', server: fiveDisks() });
  bmcs.push(bmc);
  return bmc;
}
afterEach(async () => {
  await Promise.all(bmcs.splice(0).map((bmc) => bmc.stop()));
});

const get = (bmc: RedfishBmc, path: string) => call(bmc, 'GET', path, { auth: admin(bmc) });
const storage = (bmc: RedfishBmc) => `${bmc.systemPath}/Storage/1`;
const drives = (bmc: RedfishBmc, ...ids: number[]) =>
  ids.map((i) => ({ '@odata.id': `${storage(bmc)}/Drives/Disk${i}` }));
const createVolume = (bmc: RedfishBmc, body: Record<string, unknown>) =>
  call(bmc, 'POST', `${storage(bmc)}/Volumes`, { auth: admin(bmc), body });

describe('storage controller', () => {
  it('describes a RAID controller, its drives from the server profile and a Volumes collection', async () => {
    const bmc = await startBmc();
    const res = await get(bmc, storage(bmc));
    expect(res.json).toMatchObject({
      StorageControllers: [
        {
          MemberId: '0',
          Model: 'LabRAID 9460-8i',
          SupportedRAIDTypes: ['RAID0', 'RAID1', 'RAID5', 'RAID10'],
        },
      ],
      Volumes: { '@odata.id': `${storage(bmc)}/Volumes` },
    });
    expect(res.json?.Drives).toHaveLength(5);
    const hdd = await get(bmc, `${storage(bmc)}/Drives/Disk4`);
    expect(hdd.json).toMatchObject({
      Name: '/dev/sde',
      CapacityBytes: 200 * GiB,
      MediaType: 'HDD',
      Protocol: 'SAS',
      Identifiers: [
        { DurableNameFormat: 'NAA', DurableName: expect.stringMatching(/^5[0-9A-F]{15}$/) },
      ],
    });
    const volumes = await get(bmc, `${storage(bmc)}/Volumes`);
    expect(volumes.json).toMatchObject({
      Members: [],
      '@Redfish.OperationApplyTimeSupport': { SupportedValues: ['Immediate', 'OnReset'] },
    });
  });
});

describe('volumes', () => {
  it('stages a volume asked for OnReset (the default) as a Pending task, created at the next boot', async () => {
    const bmc = await startBmc();
    const res = await createVolume(bmc, {
      Name: 'root',
      RAIDType: 'RAID1',
      CapacityBytes: 50 * GiB,
      Links: { Drives: drives(bmc, 0, 1) },
    });
    expect(res.status).toBe(202);
    const location = String(res.headers.location);
    expect((await get(bmc, location)).json?.TaskState).toBe('Pending');
    expect(bmc.state.pendingVolumes).toMatchObject([{ name: 'root', drives: ['Disk0', 'Disk1'] }]);
    expect(bmc.state.volumes).toEqual([]);
    expect((await get(bmc, `${storage(bmc)}/Volumes`)).json?.Members).toEqual([]);

    await call(bmc, 'POST', `${bmc.systemPath}/Actions/ComputerSystem.Reset`, {
      auth: admin(bmc),
      body: { ResetType: 'On' },
    });
    expect((await get(bmc, location)).json?.TaskState).toBe('Completed');
    expect(bmc.state.volumes).toMatchObject([{ raidType: 'RAID1', capacityBytes: 50 * GiB }]);
    const members = (await get(bmc, `${storage(bmc)}/Volumes`)).json?.Members as any[];
    const volume = await get(bmc, members[0]['@odata.id']);
    expect(volume.json).toMatchObject({
      Name: 'root',
      RAIDType: 'RAID1',
      CapacityBytes: 50 * GiB,
      Links: { Drives: drives(bmc, 0, 1) },
    });
    const disk0 = await get(bmc, `${storage(bmc)}/Drives/Disk0`);
    expect((disk0.json?.Links as any).Volumes).toEqual([{ '@odata.id': members[0]['@odata.id'] }]);
  });

  it('creates a volume at once with apply time Immediate, sized to the maximum when no size is given, and deletes it', async () => {
    const bmc = await startBmc();
    const res = await createVolume(bmc, {
      RAIDType: 'RAID10',
      Links: { Drives: drives(bmc, 0, 1, 2, 3) },
      '@Redfish.OperationApplyTime': 'Immediate',
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ RAIDType: 'RAID10', CapacityBytes: 200 * GiB });
    const location = String(res.headers.location);
    expect(bmc.state.volumes).toHaveLength(1);
    expect((await call(bmc, 'DELETE', location, { auth: admin(bmc) })).status).toBe(204);
    expect(bmc.state.volumes).toEqual([]);
    expect((await call(bmc, 'DELETE', location, { auth: admin(bmc) })).status).toBe(404);
  });

  it.each([
    [{ RAIDType: 'RAID6' }, [0, 1, 2, 3], /RAID6" is not supported/],
    [{ RAIDType: 'RAID1' }, [0], /RAID1 needs exactly 2 drives; 1 given/],
    [{ RAIDType: 'RAID5' }, [0, 1], /RAID5 needs at least 3 drives/],
    [{ RAIDType: 'RAID10' }, [0, 1, 2], /RAID10 needs an even number of drives, at least 4/],
    [{ RAIDType: 'RAID0' }, [9], /no drive Disk9/],
    [{ RAIDType: 'RAID1', CapacityBytes: 101 * GiB }, [0, 1], /exceeds the 107374182400 bytes/],
    [{ RAIDType: 'RAID1', CapacityBytes: 'big' }, [0, 1], /not a positive integer/],
  ])('refuses %j on drives %j with 400', async (body, ids, message) => {
    const bmc = await startBmc();
    const res = await createVolume(bmc, { ...body, Links: { Drives: drives(bmc, ...ids) } });
    expect(res.status).toBe(400);
    expect((res.json?.error as any).message).toMatch(message);
    expect(bmc.state.pendingVolumes).toEqual([]);
  });

  it('refuses a drive that already belongs to a volume, even a pending one', async () => {
    const bmc = await startBmc();
    await createVolume(bmc, { RAIDType: 'RAID0', Links: { Drives: drives(bmc, 4) } });
    const res = await createVolume(bmc, {
      RAIDType: 'RAID1',
      Links: { Drives: drives(bmc, 3, 4) },
    });
    expect(res.status).toBe(400);
    expect((res.json?.error as any).message).toMatch(/Disk4 already belongs to a volume/);
  });
});
