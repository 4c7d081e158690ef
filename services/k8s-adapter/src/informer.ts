import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';

/**
 * client-node's Watch, asking the API server for bookmarks: a quiet watch still advances its
 * resourceVersion, so a reconnect resumes where it was instead of listing everything again.
 * `onEvent` hears of every event the watch receives (bookmarks too): the watch works.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the signature is client-node's */
class BookmarkWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly onEvent: () => void,
  ) {
    super(config);
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, apiObj, watchObj) => {
        this.onEvent();
        callback(phase, apiObj, watchObj);
      },
      done,
    );
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Watched<T extends KubernetesObject> {
  list(): readonly T[];
  stop(): Promise<void>;
}

/** The delay before the n-th restart in a row (n ≥ 1): doubling from `baseMs` up to `maxMs`. */
export const restartDelay = (failures: number, baseMs: number, maxMs: number): number =>
  Math.min(baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)), maxMs);

/**
 * A list + watch of one resource (client-node's ListWatch: resourceVersion kept, relist on 410
 * Gone) that restarts after errors and calls `onChange` for every added, changed or deleted object.
 * Restarts back off (doubling from `restartDelayMs` to `maxRestartDelayMs`) while the API server
 * keeps failing, and the backoff resets once a list succeeds or the watch delivers an event; one
 * restart at a time, so a burst of errors never runs two watches side by side.
 */
export async function watchResource<T extends KubernetesObject>(opts: {
  config: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  onChange: (object: T, deleted: boolean) => void;
  /** A failure of the list or the watch; `retryInMs`: when the next attempt starts. */
  onError: (error: unknown, retryInMs: number) => void;
  /** The first success (list or watch event) after failures. */
  onRecovered?: () => void;
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}): Promise<Watched<T>> {
  let failures = 0;
  const succeeded = () => {
    if (failures === 0) return;
    failures = 0;
    opts.onRecovered?.();
  };
  const informer = new ListWatch<T>(
    opts.path,
    new BookmarkWatch(opts.config, succeeded),
    async () => {
      const list = await opts.list();
      succeeded();
      return list;
    },
    false,
  );
  let stopped = false;
  let restart: NodeJS.Timeout | undefined;
  informer.on('add', (o) => opts.onChange(o, false));
  informer.on('update', (o) => opts.onChange(o, false));
  informer.on('delete', (o) => opts.onChange(o, true));
  const failed = (error: unknown) => {
    if (stopped || restart) return;
    failures++;
    const delay = restartDelay(
      failures,
      opts.restartDelayMs ?? 1_000,
      opts.maxRestartDelayMs ?? 30_000,
    );
    opts.onError(error, delay);
    restart = setTimeout(() => {
      restart = undefined;
      if (!stopped) void informer.start().catch(failed);
    }, delay);
    restart.unref();
  };
  informer.on('error', failed);
  await informer.start();
  return {
    list: () => informer.list(),
    async stop() {
      stopped = true;
      if (restart) clearTimeout(restart);
      await informer.stop();
    },
  };
}
