import type { ImageCacheCommand, ImageCacheReply } from '@ingot/contracts';
import { displayUrl } from '@ingot/service';
import type { ConductorContext } from '../context.js';
import { ImageCallError } from '../image-caller.js';
import type { LeasedNode } from '../node-lease.js';
import { updateNode } from '../transition-node.js';
import { beginWaitTrace, IMAGE_WAIT, nodeSpanAttributes, recordWaitSpan } from '../wait-trace.js';

/** driver_internal_info key of a deploy waiting for the image cache to fetch its image. */
export { IMAGE_WAIT } from '../wait-trace.js';

/** The pause before asking again grows from the first to the last. */
const FIRST_ASK_DELAY_MS = 5_000;
const MAX_ASK_DELAY_MS = 30_000;
/** Room for the image cache's queue on top of its answer time, before "no answer" counts. */
const ANSWER_MARGIN_MS = 60_000;

interface ImageWait {
  /** When the deploy first asked for the image (ISO 8601). */
  since: string;
  /** How often the image cache answered "still fetching". */
  asks: number;
  /** The trace of the deploy that began the wait, when spans are exported (see wait-trace.ts). */
  traceparent?: string;
}

export type PreparedImage = Extract<ImageCacheReply, { ok: true }>;
type PreparePayload = Extract<ImageCacheCommand, { type: 'image.prepare' }>['payload'];

function imageWaitOf(leased: LeasedNode): ImageWait | undefined {
  const wait = (leased.node.driverInternalInfo as Record<string, unknown>)[IMAGE_WAIT] as
    Partial<ImageWait> | undefined;
  if (typeof wait?.since !== 'string' || Number.isNaN(Date.parse(wait.since))) return undefined;
  return {
    since: wait.since,
    asks: typeof wait.asks === 'number' ? wait.asks : 0,
    ...(typeof wait.traceparent === 'string' ? { traceparent: wait.traceparent } : {}),
  };
}

/** driver_internal_info without the wait record (the image came, or a new operation starts). */
export const withoutImageWait = (info: Record<string, unknown>): Record<string, unknown> => {
  const { [IMAGE_WAIT]: _wait, ...rest } = info;
  return rest;
};

/**
 * Asks the image cache for the deploy's image. A download takes minutes to hours, and a lease held
 * that long would pin the node to this conductor (a stop or crash would leave it waiting for
 * nothing) for no gain: the image cache answers within INGOT_IMAGE_PREPARE_ANSWER_MS, "still
 * fetching" if need be, and the download goes on there. Then the node stays in its state with the
 * time of the next ask in wake_at and the lease goes back; a sweep of any conductor of the site runs
 * the step again, which asks again. Returns the image, or undefined while it is being fetched.
 * After INGOT_IMAGE_PREPARE_TIMEOUT_S since the first ask the step fails.
 */
export async function prepareImage(
  ctx: ConductorContext,
  leased: LeasedNode,
  payload: Omit<PreparePayload, 'wait_ms' | 'waiting_since'>,
  requestId?: string,
): Promise<{ image: PreparedImage; waitedMs: number } | undefined> {
  const { answerWithinMs, timeoutMs } = ctx.config.imagePrepare;
  const wait = imageWaitOf(leased);
  const since = wait ? Date.parse(wait.since) : Date.now();
  try {
    const image = await ctx.images.call(
      leased.node,
      'image.prepare',
      { ...payload, wait_ms: answerWithinMs, ...(wait ? { waiting_since: since } : {}) },
      requestId,
      answerWithinMs + ANSWER_MARGIN_MS,
    );
    if (wait) endImageWaitSpan(leased, wait);
    return { image, waitedMs: wait ? Date.now() - since : 0 };
  } catch (error) {
    if (!(error instanceof ImageCallError && error.kind === 'in_progress')) {
      if (wait) endImageWaitSpan(leased, wait, (error as Error).message);
      throw error;
    }
  }
  const now = Date.now();
  const source = displayUrl(payload.image_source);
  if (now - since >= timeoutMs) {
    const failure = new ImageCallError(
      `the image cache did not finish fetching ${source} within ${Math.round(timeoutMs / 1000)} s (INGOT_IMAGE_PREPARE_TIMEOUT_S)`,
      'download',
    );
    if (wait) endImageWaitSpan(leased, wait, failure.message);
    throw failure;
  }
  const asks = (wait?.asks ?? 0) + 1;
  const delay = Math.min(FIRST_ASK_DELAY_MS * 2 ** (asks - 1), MAX_ASK_DELAY_MS);
  // The first ask keeps the deploy's trace: the sweeps that ask again continue it.
  const traceparent = wait ? wait.traceparent : beginWaitTrace()?.traceparent;
  const next: ImageWait = {
    since: new Date(since).toISOString(),
    asks,
    ...(traceparent ? { traceparent } : {}),
  };
  await updateNode(
    ctx,
    leased,
    {
      driverInternalInfo: { ...leased.node.driverInternalInfo, [IMAGE_WAIT]: next },
      wakeAt: new Date(Math.min(now + delay, since + timeoutMs)),
    },
    // One line per wait, not one per ask.
    wait
      ? undefined
      : {
          eventType: 'provisioning',
          event: `the image cache is fetching ${source}; the node waits for it holding no conductor, asking again every ${FIRST_ASK_DELAY_MS / 1000}–${MAX_ASK_DELAY_MS / 1000} s for up to ${Math.round(timeoutMs / 1000)} s`,
        },
    requestId,
  );
  return undefined;
}

/** The span of the time the deploy waited for its image (nothing if it was not traced). */
function endImageWaitSpan(leased: LeasedNode, wait: ImageWait, error?: string): void {
  if (!wait.traceparent) return;
  recordWaitSpan(
    'node waiting for image',
    { traceparent: wait.traceparent, since: wait.since },
    { ...nodeSpanAttributes(leased.node), 'ingot.image.asks': wait.asks },
    error,
  );
}
