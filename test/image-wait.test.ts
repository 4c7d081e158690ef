import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Installation, ServerHost, startFleet, waitFor, type Fleet } from '@ingot/lab';
import {
  enroll,
  getNode,
  setProvision,
  waitForFailedState,
  waitForState,
} from './support/nodes.js';
import {
  ImageOrigin,
  makeTestImage,
  readRange,
  scratchDir,
  sha256,
  type TestImage,
} from './support/images.js';

const MiB = 1024 * 1024;
/** The image cache answers "still fetching" after this long. */
const ANSWER_MS = 500;
/** A deploy whose image is not fetched within this long fails. */
const PREPARE_TIMEOUT_S = 15;

/**
 * A deploy whose image takes long to download holds no conductor lease while it waits: the node
 * stays in `deploying`, unreserved, with one history line saying so, and any conductor of the site
 * asks the image cache again later. The wait ends with the image (active), with the download's
 * failure (deploy failed, saying why), or after INGOT_IMAGE_PREPARE_TIMEOUT_S.
 */
describe('a slow image download holds no lease', () => {
  let system: Installation;
  let fleet: Fleet;
  let origin: ImageOrigin;
  let image: TestImage;
  let host: ServerHost;
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  const uuids: string[] = [];
  const SLOW = 0; // its image comes after a while (and its conductor dies meanwhile)
  const BROKEN = 1; // its image download ends in an HTTP error
  const NEVER = 2; // its image never comes

  beforeAll(async () => {
    scratch = await scratchDir();
    image = await makeTestImage(scratch.path);
    origin = await ImageOrigin.start({
      '/images/slow.qcow2': image.qcow2Path,
      '/images/broken.qcow2': image.qcow2Path,
      '/images/never.qcow2': image.qcow2Path,
    });
    fleet = await startFleet({ count: 3, powerDelayMs: 100 });
    system = await Installation.start({
      INGOT_IMAGE_PREPARE_ANSWER_MS: String(ANSWER_MS),
      INGOT_IMAGE_PREPARE_TIMEOUT_S: String(PREPARE_TIMEOUT_S),
      INGOT_SWEEP_INTERVAL_MS: '500',
      INGOT_AUTOMATED_CLEAN: 'disabled',
      LOG_LEVEL: 'info',
    });
    host = await ServerHost.create(fleet.servers[SLOW]!, { workDir: system.workDir });
    uuids.push(...(await Promise.all(fleet.servers.map((server) => enroll(system, server)))));
    for (const verb of ['manage', 'provide']) {
      await Promise.all(uuids.map((uuid) => setProvision(system, uuid, verb)));
      await Promise.all(
        uuids.map((uuid) =>
          waitForState(system, uuid, verb === 'manage' ? 'manageable' : 'available'),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await system?.stop();
    await fleet?.stop();
    await origin?.close();
    await scratch?.remove();
  });

  const deploy = async (i: number, path: string) => {
    const res = await system.api('PATCH', `/v1/nodes/${uuids[i]}`, [
      { op: 'add', path: '/instance_info/image_source', value: `${origin.url}${path}` },
      { op: 'add', path: '/instance_info/image_checksum', value: image.qcow2Sha256 },
      { op: 'add', path: '/instance_info/image_disk_format', value: 'qcow2' },
    ]);
    expect(res.status, res.text).toBe(200);
    await setProvision(system, uuids[i]!, 'active');
  };
  const events = async (i: number) =>
    (
      (await system.api('GET', `/v1/nodes/${uuids[i]}/history`)).body.history as { event: string }[]
    ).map((h) => h.event);
  const waiting = (i: number) =>
    waitFor(
      `node ${i} to wait for its image holding no lease`,
      async () => {
        const node = await getNode(system, uuids[i]!);
        return (
          node.provision_state === 'deploying' &&
          node.reservation === null &&
          (await events(i)).some((e) => /^the image cache is fetching /.test(e))
        );
      },
      20_000,
      100,
    );

  it('the image comes after a while, its conductor killed meanwhile: another conductor goes on, the node reaches active', async () => {
    const gate = origin.hold('/images/slow.qcow2');
    await deploy(SLOW, '/images/slow.qcow2');
    await waiting(SLOW);
    // A few asks later it is still unreserved between them, and waits in its state.
    await new Promise((resolve) => setTimeout(resolve, 3 * ANSWER_MS));
    expect((await getNode(system, uuids[SLOW]!)).provision_state).toBe('deploying');
    // Nothing pins the node to this conductor: its death costs no lease expiry.
    await system.kill('conductor', 'SIGKILL');
    await system.startService('conductor', {}, 'conductor-2');
    gate.open();

    const active = await waitForState(system, uuids[SLOW]!, 'active', 90_000);
    expect(active.last_error).toBeNull();
    const disk = host.disks['/dev/sda']!;
    const body = image.raw.subarray(MiB, image.raw.length - MiB);
    expect(sha256(await readRange(disk, MiB, body.length))).toBe(sha256(body));
    const log = await events(SLOW);
    expect(log.filter((e) => /^the image cache is fetching /.test(e))).toHaveLength(1);
    expect(
      log.some((e) => /^image [0-9a-f]{12} ready after \d+ s; waiting for the agent$/.test(e)),
    ).toBe(true);
    expect(origin.hits.get('/images/slow.qcow2')).toBe(1);
    expect(active.driver_internal_info.image_wait).toBeUndefined();
  });

  it('a download that fails while nobody waits on it is the answer of the next ask: deploy failed, saying why', async () => {
    const gate = origin.hold('/images/broken.qcow2');
    await deploy(BROKEN, '/images/broken.qcow2');
    await waiting(BROKEN);
    gate.open(500);
    const failed = await waitForFailedState(system, uuids[BROKEN]!, 'deploy failed', 60_000);
    expect(failed.last_error).toMatch(/broken\.qcow2/);
    expect(failed.last_error).toMatch(/500/);
  });

  it('an image that never comes fails the deploy after INGOT_IMAGE_PREPARE_TIMEOUT_S', async () => {
    origin.hold('/images/never.qcow2');
    const started = Date.now();
    await deploy(NEVER, '/images/never.qcow2');
    await waiting(NEVER);
    const failed = await waitForFailedState(system, uuids[NEVER]!, 'deploy failed', 60_000);
    expect(failed.last_error).toMatch(
      new RegExp(`did not finish fetching .*never\\.qcow2 within ${PREPARE_TIMEOUT_S} s`),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(PREPARE_TIMEOUT_S * 1000);
  });
});
