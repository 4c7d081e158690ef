// Clean steps on disks that are sparse files, driven through the command API.
import { open, readFile, rm, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/index.js';
import { silentSink, startAgent } from '../src/index.js';
import { runCommand } from './helpers/agent-api.js';
import { FAKE_TOKEN, FakeIronic } from './helpers/fake-ironic.js';
import type { LabMachine } from './helpers/lab.js';
import { MiB, makeLabMachine } from './helpers/lab.js';

let ironic: FakeIronic;
let lab: LabMachine;
let agent: RunningAgent;
let url: string;

beforeAll(async () => {
  ironic = await new FakeIronic().start();
  lab = await makeLabMachine(ironic.url, { '/dev/sda': 16 * MiB, '/dev/sdb': 8 * MiB });
  agent = await startAgent(lab.config(), { logSink: silentSink });
  url = `http://127.0.0.1:${agent.port}`;
});
afterAll(async () => {
  await agent.stop();
  await ironic.stop();
  await lab.cleanup();
});

const MARK = Buffer.alloc(MiB, 0xab);

async function mark(path: string, offsets: number[]): Promise<void> {
  const handle = await open(path, 'r+');
  for (const offset of offsets) await handle.write(MARK, 0, MARK.length, offset);
  await handle.close();
}

const isZero = (data: Buffer) => data.every((b) => b === 0);

function cleanStep(step: string, extra: Record<string, unknown> = {}) {
  return runCommand(url, FAKE_TOKEN, 'clean.execute_clean_step', {
    step: { step, interface: 'deploy', priority: 99, args: {} },
    node: { uuid: ironic.nodeUuid },
    ports: [],
    clean_version: { generic_hardware_manager: '1.2' },
    ...extra,
  });
}

describe('clean steps', () => {
  it('erase_devices_metadata zeroes the first and last MiB of every disk, and nothing else', async () => {
    const sda = lab.disks['/dev/sda']!;
    const sdb = lab.disks['/dev/sdb']!;
    await mark(sda, [0, 8 * MiB, 15 * MiB]);
    await mark(sdb, [0, 7 * MiB]);

    const result = await cleanStep('erase_devices_metadata');
    expect(result).toMatchObject({
      command_name: 'execute_clean_step',
      command_status: 'SUCCEEDED',
      command_result: {
        clean_result: {
          '/dev/sda': 'metadata erased (first and last MiB zeroed)',
          '/dev/sdb': 'metadata erased (first and last MiB zeroed)',
        },
        clean_step: { step: 'erase_devices_metadata' },
      },
    });
    const a = await readFile(sda);
    expect(a.length).toBe(16 * MiB);
    expect(isZero(a.subarray(0, MiB))).toBe(true);
    expect(isZero(a.subarray(15 * MiB))).toBe(true);
    expect(a.subarray(8 * MiB, 9 * MiB).equals(MARK)).toBe(true);
    const b = await readFile(sdb);
    expect(isZero(b.subarray(0, MiB))).toBe(true);
    expect(isZero(b.subarray(7 * MiB))).toBe(true);
  });

  it('erase_devices zeroes every byte and keeps the files sparse and sized', async () => {
    const sda = lab.disks['/dev/sda']!;
    await mark(sda, [0, 3 * MiB, 8 * MiB, 15 * MiB]);
    const result = await cleanStep('erase_devices');
    expect(result.command_status).toBe('SUCCEEDED');
    expect(result.command_result.clean_result['/dev/sda']).toBe(
      `erased ${16 * MiB} bytes (hole punched)`,
    );
    const data = await readFile(sda);
    expect(data.length).toBe(16 * MiB);
    expect(isZero(data)).toBe(true);
    expect((await stat(sda)).blocks * 512).toBeLessThan(MiB);
  });

  it('fails naming the device it could not erase', async () => {
    const sdb = lab.disks['/dev/sdb']!;
    const saved = await readFile(sdb);
    await rm(sdb);
    try {
      const result = await cleanStep('erase_devices_metadata');
      expect(result.command_status).toBe('FAILED');
      expect(result.command_error.type).toBe('CleaningError');
      expect(result.command_error.details).toContain(
        'Error performing clean_step erase_devices_metadata',
      );
      expect(result.command_error.details).toContain(`/dev/sdb (${sdb}) cannot be opened`);
      expect(result.command_error.details).not.toContain('/dev/sda');
    } finally {
      const handle = await open(sdb, 'w');
      await handle.write(saved);
      await handle.close();
    }
  });

  it('refuses to run a step computed against another agent version', async () => {
    const result = await cleanStep('erase_devices_metadata', {
      clean_version: { generic_hardware_manager: '1.0' },
    });
    expect(result.command_status).toBe('FAILED');
    expect(result.command_error).toMatchObject({ type: 'VersionMismatch', code: 409 });
  });

  it('fails an unknown step', async () => {
    const result = await cleanStep('burnin_cpu');
    expect(result.command_status).toBe('FAILED');
    expect(result.command_error.details).toContain('Unknown clean step burnin_cpu');
  });
});
