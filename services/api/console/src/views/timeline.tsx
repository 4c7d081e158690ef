import { duration, stateClass, time } from '../format.js';
import type { HistoryEntry } from '../nodes.js';
import { timePerState, timelineOf } from '../timeline.js';

/** The node's history with how long each step took, and the total per state. */
export function Timeline({ history, now }: { history: HistoryEntry[]; now: number }) {
  const steps = timelineOf(history, now);
  if (steps.length === 0) return <p class="muted">No history yet.</p>;
  const totals = timePerState(steps);
  const longest = Math.max(1, ...steps.map((s) => s.durationMs));
  const bar = (ms: number) => ({ width: `${Math.max(1, (100 * ms) / longest)}%` });
  return (
    <div class="timeline">
      <table data-testid="timeline">
        <thead>
          <tr>
            <th>at</th>
            <th>event</th>
            <th>state</th>
            <th>for</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step) => (
            <tr key={step.entry.uuid} class={step.entry.severity === 'ERROR' ? 'bad' : ''}>
              <td class="nowrap">{time(step.entry.created_at)}</td>
              <td title={step.entry.event}>{step.entry.event}</td>
              <td class="nowrap">
                {step.entry.to_state && step.entry.to_state !== step.entry.from_state ? (
                  <>
                    {step.entry.from_state && <span class="muted">{step.entry.from_state} → </span>}
                    <span class={stateClass(step.entry.to_state)}>{step.entry.to_state}</span>
                  </>
                ) : (
                  <span class="muted">{step.state ?? ''}</span>
                )}
              </td>
              <td class="duration">
                <span class="bar" style={bar(step.durationMs)} />
                {duration(step.durationMs)}
                {step.until === null ? ' so far' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Time per state</h3>
      <ul class="per-state">
        {totals.map((t) => (
          <li key={t.state}>
            <span class={stateClass(t.state)}>{t.state}</span> {duration(t.ms)}
          </li>
        ))}
      </ul>
    </div>
  );
}
