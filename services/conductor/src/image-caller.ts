import type { ImageCacheCommand, ImageCacheReply } from '@ingot/contracts';
import type { Bus, CommandReply, Requester } from '@ingot/bus';
import type { NodeRow } from '@ingot/store';

export class ImageCallError extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
    this.name = 'ImageCallError';
  }
}

type Command<T extends ImageCacheCommand['type']> = Extract<ImageCacheCommand, { type: T }>;

/** Asks the site's image cache to prepare an image or build a boot ISO, and waits for it. */
export class ImageCaller {
  constructor(
    private readonly requester: Requester<CommandReply>,
    private readonly bus: Bus,
    private readonly timeoutMs: number,
  ) {}

  async call<T extends ImageCacheCommand['type']>(
    node: NodeRow,
    type: T,
    payload: Command<T>['payload'],
    requestId: string | undefined,
    timeoutMs = this.timeoutMs,
  ): Promise<Extract<ImageCacheReply, { ok: true }>> {
    const site = node.conductorGroup || 'default';
    const answer = await this.requester.request<ImageCacheReply>(
      this.bus.subjects.imagecache(node.conductorGroup),
      { site: node.conductorGroup, node_uuid: node.uuid, request_id: requestId },
      { type, payload },
      timeoutMs,
      () =>
        new ImageCallError(
          `no image cache of site "${site}" answered ${type} within ${Math.round(timeoutMs / 1000)} s`,
          'timeout',
        ),
    );
    if (!answer.ok) throw new ImageCallError(answer.error.message, answer.error.kind);
    return answer;
  }
}
