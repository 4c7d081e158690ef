import type { ApiClient } from '../client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { failureOf, FleetWatch, type NodeState } from '../fleet-watch.js';
import { bar, duration, Eta, ProgressLine, stateCounts } from '../progress.js';

export interface WaitOptions {
  state: string;
  /** Names or UUIDs; undefined with all: every node. */
  idents?: string[];
  timeoutMs?: number;
  /** How often a pipe gets a progress line (a terminal's line is redrawn at every change). */
  progressEveryMs?: number;
  json: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Called when a node reaches a state (enroll --provide acts on manageable). */
  onNode?: (node: NodeState) => void;
}

export interface WaitResult {
  state: string;
  arrived: string[];
  failed: { node: string; state: string; error: string }[];
  pending: { node: string; state: string }[];
  elapsed_s: number;
  timed_out: boolean;
  updates: 'events' | 'polling' | 'starting';
}

const label = (n: NodeState) => n.name ?? n.uuid;

/**
 * Waits until every selected node is in `state` or has failed, showing counts per state and an
 * ETA. Resolves with the outcome; the caller maps it to the exit code (waitExitCode).
 */
export async function waitForNodes(client: ApiClient, opts: WaitOptions): Promise<WaitResult> {
  const progress = new ProgressLine(opts.out, opts.progressEveryMs ?? 5_000, opts.json);
  const reported = new Set<string>();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Set once the nodes are loaded: the ETA counts from there.
  const clock: { eta?: Eta } = {};
  const watch: FleetWatch = new FleetWatch(client, {
    idents: opts.idents,
    onChange: (node) => {
      opts.onNode?.(node);
      const failure = failureOf(node, opts.state);
      if (failure && !reported.has(node.uuid)) {
        reported.add(node.uuid);
        progress.log(`✗ ${label(node)} failed: ${failure}`);
      }
      if (failure === undefined) reported.delete(node.uuid);
      if (clock.eta) render();
    },
  });
  const render = () => {
    const nodes = [...watch.nodes.values()];
    const arrived = nodes.filter((n) => n.provision_state === opts.state).length;
    const failed = nodes.filter((n) => failureOf(n, opts.state)).length;
    const left = clock.eta?.estimate(arrived, nodes.length);
    // The ETA before the counts: a narrow terminal cuts the end of the line.
    const when =
      arrived + failed === nodes.length
        ? 'done'
        : left === undefined
          ? 'ETA --'
          : `ETA ${duration(left)}`;
    progress.update(
      `${bar(arrived, nodes.length)} ${arrived}/${nodes.length} ${opts.state}` +
        (failed ? ` · ${failed} failed` : '') +
        ` | ${when} (${duration(clock.eta?.elapsed() ?? 0)})` +
        ` | ${stateCounts(nodes.map((n) => n.provision_state))}`,
    );
    if (arrived + failed === nodes.length) finish();
  };
  await watch.load();
  if (watch.nodes.size === 0) throw new CliError('no nodes to wait for', EXIT.usage);
  clock.eta = new Eta(
    [...watch.nodes.values()].filter((n) => n.provision_state === opts.state).length,
  );
  for (const node of watch.nodes.values()) opts.onNode?.(node);
  render();
  // Elapsed time and ETA move on between changes too.
  const ticker = setInterval(render, 1_000);
  const stop = new AbortController();
  const following = watch.follow(stop.signal);
  let timedOut = false;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          finish();
        }, opts.timeoutMs);
  try {
    await Promise.race([finished, following.then(() => new Promise(() => undefined))]);
  } finally {
    if (timer) clearTimeout(timer);
    clearInterval(ticker);
    stop.abort();
    await following.catch(() => undefined);
  }
  render();
  progress.done();
  const nodes = [...watch.nodes.values()];
  return {
    state: opts.state,
    arrived: nodes.filter((n) => n.provision_state === opts.state).map(label),
    failed: nodes.flatMap((n) => {
      const error = failureOf(n, opts.state);
      return error ? [{ node: label(n), state: n.provision_state, error: n.last_error ?? '' }] : [];
    }),
    pending: nodes
      .filter((n) => n.provision_state !== opts.state && !failureOf(n, opts.state))
      .map((n) => ({ node: label(n), state: n.provision_state })),
    elapsed_s: Math.round((clock.eta?.elapsed() ?? 0) / 100) / 10,
    timed_out: timedOut,
    updates: watch.mode,
  };
}

export function waitExitCode(result: WaitResult): number {
  if (result.failed.length > 0) return EXIT.failed;
  if (result.timed_out && result.pending.length > 0) return EXIT.timeout;
  return EXIT.ok;
}

/** The closing lines for people: what arrived, what failed (named), what is still on its way. */
export function describeWait(result: WaitResult): string {
  const lines: string[] = [];
  const total = result.arrived.length + result.failed.length + result.pending.length;
  const how = {
    events: ' (followed live from /v1/events)',
    polling: ' (polled: the API has no event stream)',
    starting: '',
  }[result.updates];
  lines.push(
    `${result.arrived.length} of ${total} node(s) ${result.state} after ${duration(result.elapsed_s * 1000)}${how}`,
  );
  for (const f of result.failed)
    lines.push(`  failed: ${f.node} (${f.state}${f.error ? `: ${f.error}` : ''})`);
  if (result.timed_out && result.pending.length > 0)
    lines.push(
      `  timed out waiting for ${result.pending.length}: ${result.pending
        .slice(0, 10)
        .map((p) => `${p.node} (${p.state})`)
        .join(', ')}${result.pending.length > 10 ? ', …' : ''}`,
    );
  return lines.join('\n');
}
