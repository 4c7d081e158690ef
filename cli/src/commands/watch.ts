import type { ApiClient } from '../client.js';
import { FleetWatch, type NodeState } from '../fleet-watch.js';
import { stateCounts } from '../progress.js';

const REDRAW_MS = 200;
const label = (n: NodeState) => n.name ?? n.uuid;

/**
 * `ingot watch`: on a terminal, a table of the nodes redrawn as events arrive; in a pipe, one
 * line per change; with --json, one JSON object per change. Runs until interrupted.
 */
export async function watch(
  client: ApiClient,
  opts: {
    idents?: string[];
    json: boolean;
    out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
    signal: AbortSignal;
  },
): Promise<number> {
  const tty = !!opts.out.isTTY && !opts.json;
  let loaded = false;
  let redraw: NodeJS.Timeout | undefined;
  const fleet: FleetWatch = new FleetWatch(client, {
    idents: opts.idents,
    onChange: (node, previous) => {
      if (!loaded) return;
      if (tty) {
        redraw ??= setTimeout(() => {
          redraw = undefined;
          opts.out.write(renderTable(fleet, opts.out.columns || 120, opts.out.rows || 40));
        }, REDRAW_MS);
        return;
      }
      if (opts.json)
        opts.out.write(
          `${JSON.stringify({ at: new Date().toISOString(), node: label(node), ...node })}\n`,
        );
      else opts.out.write(`${changeLine(node, previous)}\n`);
    },
  });
  await fleet.load();
  loaded = true;
  if (tty) opts.out.write(renderTable(fleet, opts.out.columns || 120, opts.out.rows || 40));
  else if (!opts.json)
    opts.out.write(
      `watching ${fleet.nodes.size} node(s): ${stateCounts([...fleet.nodes.values()].map((n) => n.provision_state))}\n`,
    );
  await fleet.follow(opts.signal);
  if (redraw) clearTimeout(redraw);
  return 0;
}

function changeLine(node: NodeState, previous: NodeState | undefined): string {
  const time = new Date().toISOString().slice(11, 19);
  const parts: string[] = [];
  if (!previous) parts.push(`appeared in ${node.provision_state}`);
  else {
    if (previous.provision_state !== node.provision_state)
      parts.push(`${previous.provision_state} → ${node.provision_state}`);
    if (previous.power_state !== node.power_state)
      parts.push(`power ${node.power_state ?? 'unknown'}`);
  }
  if (node.target_provision_state) parts.push(`(target ${node.target_provision_state})`);
  if (node.last_error && node.last_error !== previous?.last_error)
    parts.push(`error: ${node.last_error}`);
  return `${time} ${label(node)} ${parts.join(' ')}`;
}

/** The whole screen: counts, then a row per node, cut to the terminal's size. */
export function renderTable(fleet: FleetWatch, columns: number, rows: number): string {
  const nodes = [...fleet.nodes.values()].sort((a, b) => label(a).localeCompare(label(b)));
  const nameWidth = Math.min(30, Math.max(4, ...nodes.map((n) => label(n).length)));
  const cell = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const row = (n: string, s: string, t: string, p: string, e: string) =>
    `${cell(n, nameWidth)}  ${cell(s, 16)}  ${cell(t, 12)}  ${cell(p, 9)}  ${e}`.slice(
      0,
      columns - 1,
    );
  const lines = [
    `${nodes.length} node(s) · ${stateCounts(nodes.map((n) => n.provision_state))} · live (${fleet.mode}) · ${new Date().toISOString().slice(11, 19)}`,
    '',
    row('NAME', 'STATE', 'TARGET', 'POWER', 'LAST ERROR'),
    ...nodes.map((n) =>
      row(
        label(n),
        n.provision_state,
        n.target_provision_state ?? '',
        n.power_state ?? '',
        n.last_error ?? '',
      ),
    ),
  ];
  const room = Math.max(4, rows - 1);
  const shown =
    lines.length > room
      ? [...lines.slice(0, room - 1), `… ${lines.length - room + 1} more`]
      : lines;
  return `\x1b[H\x1b[2J${shown.join('\n')}\n`;
}
