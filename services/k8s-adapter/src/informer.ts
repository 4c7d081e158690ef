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
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the signature is client-node's */
class BookmarkWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    return super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, done);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Watched<T extends KubernetesObject> {
  list(): readonly T[];
  stop(): Promise<void>;
}

/**
 * A list + watch of one resource (client-node's ListWatch: resourceVersion kept, relist on 410
 * Gone) that restarts after errors and calls `onChange` for every added, changed or deleted object.
 */
export async function watchResource<T extends KubernetesObject>(opts: {
  config: KubeConfig;
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  onChange: (object: T, deleted: boolean) => void;
  onError: (error: unknown) => void;
  restartDelayMs?: number;
}): Promise<Watched<T>> {
  const informer = new ListWatch<T>(opts.path, new BookmarkWatch(opts.config), opts.list, false);
  let stopped = false;
  informer.on('add', (o) => opts.onChange(o, false));
  informer.on('update', (o) => opts.onChange(o, false));
  informer.on('delete', (o) => opts.onChange(o, true));
  informer.on('error', (error: unknown) => {
    if (stopped) return;
    opts.onError(error);
    setTimeout(() => {
      if (!stopped) void informer.start().catch(opts.onError);
    }, opts.restartDelayMs ?? 2_000).unref();
  });
  await informer.start();
  return {
    list: () => informer.list(),
    async stop() {
      stopped = true;
      await informer.stop();
    },
  };
}
