import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cmdlineSettings, parseKernelCmdline, withCmdline } from '../src/cmdline.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { collectInventory } from '../src/inventory/index.js';
import { AgentLogger, silentSink } from '../src/log.js';
import { LAB_MACS, makeLabMachine, type LabMachine } from './helpers/lab.js';

const PXE_CMDLINE =
  'initrd=agent.initrd ipa-api-url=http://127.0.0.1:6385 ' +
  'ipa-inspection-callback-url=http://127.0.0.1:6385/v1/continue_inspection ' +
  'BOOTIF=01-52-54-00-00-01-02 console=ttyS0\n';

describe('kernel command line', () => {
  it('splits key=value words as the kernel does', () => {
    const params = parseKernelCmdline(
      ' quiet root=/dev/sda1 a=1 msg="two words" a=2 empty= -- init=/bin/sh\n',
    );
    expect(Object.fromEntries(params)).toEqual({
      quiet: '',
      root: '/dev/sda1',
      a: '2',
      msg: 'two words',
      empty: '',
    });
  });

  it('takes the API, the inspection callback and the boot NIC from it', () => {
    expect(cmdlineSettings(PXE_CMDLINE)).toEqual({
      api_url: 'http://127.0.0.1:6385',
      inspection_callback_url: 'http://127.0.0.1:6385/v1/continue_inspection',
      boot_mac: '52:54:00:00:01:02',
    });
    // BOOTIF as pxelinux writes it, and as iPXE's ${mac} gives it.
    expect(cmdlineSettings('BOOTIF=01-AA-BB-CC-DD-EE-FF').boot_mac).toBe('aa:bb:cc:dd:ee:ff');
    expect(cmdlineSettings('BOOTIF=aa:bb:cc:dd:ee:0f').boot_mac).toBe('aa:bb:cc:dd:ee:0f');
    expect(cmdlineSettings('BOOTIF=nonsense ipa-api-url=')).toEqual({});
    expect(cmdlineSettings('console=ttyS0 quiet')).toEqual({});
  });

  it('reads ipa-insecure and ipa-enable-auto-tls as IPA reads its yes/no parameters', () => {
    expect(cmdlineSettings('ipa-insecure=1 ipa-enable-auto-tls=false')).toEqual({
      insecure: true,
      enable_auto_tls: false,
    });
    expect(cmdlineSettings('ipa-insecure=Yes ipa-enable-auto-tls=0')).toEqual({
      insecure: true,
      enable_auto_tls: false,
    });
    // Left as written, for the configuration check to name.
    expect(cmdlineSettings('ipa-insecure=perhaps').insecure).toBe('perhaps');
  });

  it('fills only what the configuration file leaves unset', () => {
    const settings = cmdlineSettings(PXE_CMDLINE);
    expect(withCmdline({ platform: 'lab' }, settings)).toEqual({
      platform: 'lab',
      api_url: 'http://127.0.0.1:6385',
      inspection_callback_url: 'http://127.0.0.1:6385/v1/continue_inspection',
    });
    expect(withCmdline({ api_url: 'http://10.0.0.1:6385', node_uuid: 'x' }, settings)).toEqual({
      api_url: 'http://10.0.0.1:6385',
      node_uuid: 'x',
      inspection_callback_url: 'http://127.0.0.1:6385/v1/continue_inspection',
    });
  });
});

describe('loadConfig with --cmdline', () => {
  let lab: LabMachine;
  let dir: string;
  beforeEach(async () => {
    lab = await makeLabMachine('http://unused');
    dir = await mkdtemp(join(tmpdir(), 'ingot-agent-cmdline-'));
  });
  afterEach(async () => {
    await lab.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** A lab config as the lab writes it for a PXE boot: no api_url, node or token. */
  async function pxeConfig(): Promise<string> {
    const raw = lab.rawConfig();
    delete raw.api_url;
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify(raw));
    return path;
  }

  it('completes a configuration without api_url, node or token', async () => {
    const cmdline = join(dir, 'cmdline');
    await writeFile(cmdline, PXE_CMDLINE);
    const parsed = await loadConfig(await pxeConfig(), { cmdline });
    expect(parsed.config).toMatchObject({
      api_url: 'http://127.0.0.1:6385',
      inspection_callback_url: 'http://127.0.0.1:6385/v1/continue_inspection',
      boot_mac: '52:54:00:00:01:02',
      platform: 'lab',
    });
    expect(parsed.config.node_uuid).toBeUndefined();
    expect(parsed.config.agent_token).toBeUndefined();
    expect(parsed.cmdline?.path).toBe(cmdline);
    expect(parsed.warnings).toEqual([]);

    // The NIC it booted from is the inventory's PXE interface (the lab profile says eth0).
    const inventory = await collectInventory(parsed.config, new AgentLogger(silentSink));
    expect(inventory.boot.pxe_interface).toBe(LAB_MACS[1]);
    expect(
      (await collectInventory(lab.config(), new AgentLogger(silentSink))).boot.pxe_interface,
    ).toBe(LAB_MACS[0]);
  });

  it('lets the configuration file win, and runs with no file at all', async () => {
    const cmdline = join(dir, 'cmdline');
    await writeFile(cmdline, PXE_CMDLINE);
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify(lab.rawConfig({ api_url: 'http://10.1.1.1:6385' })));
    expect((await loadConfig(path, { cmdline })).config.api_url).toBe('http://10.1.1.1:6385');

    const { config } = await loadConfig(undefined, { cmdline });
    expect(config).toMatchObject({ api_url: 'http://127.0.0.1:6385', platform: 'host' });
  });

  it('reports a missing command line file and a bad URL in it', async () => {
    await expect(loadConfig(await pxeConfig(), { cmdline: join(dir, 'missing') })).rejects.toThrow(
      /cannot read .*missing/,
    );
    const cmdline = join(dir, 'cmdline');
    await writeFile(cmdline, 'ipa-api-url=ftp://h');
    await expect(loadConfig(await pxeConfig(), { cmdline })).rejects.toSatisfy(
      (err) =>
        err instanceof ConfigError && err.problems.includes('api_url: must be an http(s) URL'),
    );
  });

  it('reads ipa-advertise-host and ipa-advertise-port, and agent.json fields win', async () => {
    const cmdline = join(dir, 'cmdline');
    await writeFile(
      cmdline,
      'ipa-api-url=http://10.0.2.100:6385 ipa-advertise-host=127.0.0.1 ipa-advertise-port=40123',
    );
    expect((await loadConfig(undefined, { cmdline })).config).toMatchObject({
      advertise_host: '127.0.0.1',
      advertise_port: 40123,
    });
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify({ advertise_port: 9000 }));
    expect((await loadConfig(path, { cmdline })).config).toMatchObject({
      advertise_host: '127.0.0.1',
      advertise_port: 9000,
    });
    await writeFile(cmdline, 'ipa-api-url=http://10.0.2.100:6385 ipa-advertise-port=port9');
    await expect(loadConfig(undefined, { cmdline })).rejects.toSatisfy(
      (err) =>
        err instanceof ConfigError && err.problems.includes('advertise_port: must be a number'),
    );
  });

  it('reads kernel_params of agent.json like a command line, under the fields of the file', async () => {
    const path = join(dir, 'agent.json');
    await writeFile(
      path,
      JSON.stringify({
        api_url: 'http://10.0.2.100:6385',
        advertise_host: '192.0.2.10',
        kernel_params:
          'console=ttyS0 ipa-advertise-host=127.0.0.1 ipa-advertise-port="40124" BOOTIF=01-52-54-00-00-01-09',
      }),
    );
    const cmdline = join(dir, 'cmdline');
    await writeFile(cmdline, 'ipa-advertise-port=1 BOOTIF=01-52-54-00-00-01-02');
    const { config, warnings } = await loadConfig(path, { cmdline });
    expect(config).toMatchObject({
      api_url: 'http://10.0.2.100:6385',
      advertise_host: '192.0.2.10',
      advertise_port: 40124,
      boot_mac: '52:54:00:00:01:09',
    });
    expect(warnings).toEqual([]);
    await writeFile(path, JSON.stringify({ api_url: 'http://h:1', kernel_params: ['a=b'] }));
    await expect(loadConfig(path)).rejects.toSatisfy(
      (err) =>
        err instanceof ConfigError &&
        err.problems[0]!.startsWith('kernel_params: must be a string'),
    );
  });

  it('does not read /proc/cmdline for the lab, only with --cmdline', async () => {
    await expect(loadConfig(await pxeConfig())).rejects.toSatisfy(
      (err) => err instanceof ConfigError && err.problems[0]!.startsWith('api_url: required'),
    );
  });
});
