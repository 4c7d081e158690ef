import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('agent configuration', () => {
  it('applies IPA-like defaults', () => {
    const { config, warnings } = parseConfig({ api_url: 'http://127.0.0.1:6385/' });
    expect(config).toMatchObject({
      api_url: 'http://127.0.0.1:6385',
      listen_host: '0.0.0.0',
      listen_port: 9999,
      lookup_timeout_s: 600,
      lookup_interval_s: 1,
      min_heartbeat_gap_s: 5,
      platform: 'host',
      enable_auto_tls: true,
      insecure: false,
    });
    expect(config.ca_file).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("takes IPA's TLS settings: enable_auto_tls, ca_file (relative to the file), insecure", () => {
    const { config } = parseConfig(
      { api_url: 'https://h:6385', enable_auto_tls: false, ca_file: 'ca.crt' },
      { baseDir: '/iso/ingot' },
    );
    expect(config).toMatchObject({ enable_auto_tls: false, ca_file: '/iso/ingot/ca.crt' });
    expect(problemsOf({ api_url: 'http://h', enable_auto_tls: 'no', insecure: 1 })).toEqual([
      'enable_auto_tls: must be true or false',
      'insecure: must be true or false',
    ]);
    // As IPA, insecure wins over a CA bundle, said in a warning.
    const both = parseConfig({
      api_url: 'https://h',
      ca_file: '/ca.crt',
      kernel_params: 'ipa-insecure=1',
    });
    expect(both.config.insecure).toBe(true);
    expect(both.warnings).toEqual([
      'insecure is set: outbound HTTPS is not verified and ca_file is not used',
    ]);
    expect(problemsOf({ api_url: 'http://h', kernel_params: 'ipa-insecure=maybe' })).toEqual([
      'insecure: must be true or false',
    ]);
  });

  it('reports every bad field at once, each by name', () => {
    const problems = problemsOf({
      api_url: 'ftp://x',
      agent_token: 'short',
      listen_port: 70000,
      lookup_timeout_s: 0,
      node_uuid: 'not-a-uuid',
      platform: 'cloud',
      inspection_callback_url: 'nope',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'api_url: must be an http(s) URL',
        'agent_token: must be at least 32 characters',
        'listen_port: must be <= 65535',
        'lookup_timeout_s: must be > 0',
        'node_uuid: must be a UUID',
        'platform: must be one of "host", "lab"',
        'inspection_callback_url: must be an http(s) URL',
      ]),
    );
  });

  it('requires api_url', () => {
    expect(problemsOf({})).toEqual([
      'api_url: required (e.g. "http://127.0.0.1:6385"), or ipa-api-url= on the kernel command line',
    ]);
  });

  it('requires a profile and disks in the lab, and nowhere else', () => {
    expect(problemsOf({ api_url: 'http://h', platform: 'lab' })).toEqual([
      'hardware_profile: required when platform is "lab"',
      'disks: required when platform is "lab"',
    ]);
    expect(problemsOf({ api_url: 'http://h', disks: { '/dev/sda': 'x' } })).toEqual([
      'hardware_profile and disks: only allowed when platform is "lab"',
    ]);
    expect(
      problemsOf({
        api_url: 'http://h',
        platform: 'lab',
        hardware_profile: 'p',
        disks: { sda: 'x' },
      }),
    ).toEqual(['disks: device name "sda" must start with /dev/']);
  });

  it('resolves lab paths against the config file and warns about unknown fields', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingot-agent-config-'));
    try {
      const path = join(dir, 'agent.json');
      await writeFile(
        path,
        JSON.stringify({
          api_url: 'http://127.0.0.1:6385',
          platform: 'lab',
          hardware_profile: 'profile.json',
          disks: { '/dev/sda': 'disks/sda.img' },
          flavour: 'extra',
        }),
      );
      const { config, warnings } = await loadConfig(path);
      expect(config.hardware_profile).toBe(join(dir, 'profile.json'));
      expect(config.disks).toEqual({ '/dev/sda': join(dir, 'disks/sda.img') });
      expect(config.min_heartbeat_gap_s).toBe(1);
      expect(warnings).toEqual(['unknown field "flavour" ignored']);

      await writeFile(path, '{ not json');
      await expect(loadConfig(path)).rejects.toThrow(/is not valid JSON/);
      await expect(loadConfig(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
