import { randomBytes } from 'node:crypto';
import { Bus } from '../src/index.js';

/**
 * A bus under a prefix of its own, so that tests never see each other's streams; its streams are
 * deleted and its connection closed by the cleanup it adds to `cleanups`.
 */
export async function freshBus(cleanups: (() => Promise<void>)[]): Promise<Bus> {
  const bus = await Bus.connect({ prefix: `t${randomBytes(5).toString('hex')}` });
  cleanups.push(async () => {
    for (const name of [bus.subjects.commandStream, bus.subjects.eventStream])
      await bus.jsm.streams.delete(name);
    await bus.close();
  });
  return bus;
}
