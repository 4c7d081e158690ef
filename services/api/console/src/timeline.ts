import type { HistoryEntry } from './nodes.js';

export interface TimelineStep {
  entry: HistoryEntry;
  /** The provision state the node was in during this step (the entry's, or the one before). */
  state: string | null;
  /** When the next entry came, or null: this step is still going on. */
  until: string | null;
  durationMs: number;
}

/**
 * The node's history as steps, oldest first, each lasting until the next entry (the last one up
 * to `now`): how long each step took, and in which state.
 */
export function timelineOf(history: HistoryEntry[], now: number): TimelineStep[] {
  const sorted = [...history].sort((a, b) => a.created_at.localeCompare(b.created_at));
  let state: string | null = sorted[0]?.from_state ?? null;
  return sorted.map((entry, i) => {
    // Power entries record power states; only provision entries move the node's state.
    if (entry.event_type !== 'power' && entry.to_state) state = entry.to_state;
    const next = sorted[i + 1];
    const end = next ? Date.parse(next.created_at) : now;
    return {
      entry,
      state,
      until: next?.created_at ?? null,
      durationMs: Math.max(0, end - Date.parse(entry.created_at)),
    };
  });
}

/** Total time per provision state, longest first: where a node's lifecycle spent its time. */
export function timePerState(steps: TimelineStep[]): { state: string; ms: number }[] {
  const totals = new Map<string, number>();
  for (const step of steps) {
    if (step.state === null) continue;
    totals.set(step.state, (totals.get(step.state) ?? 0) + step.durationMs);
  }
  return [...totals].map(([state, ms]) => ({ state, ms })).sort((a, b) => b.ms - a.ms);
}
