import { describe, expect, it } from 'vitest';
import { EventParser, type StreamEvent } from '../console/src/sse.js';
import { filterNodes, filtersFrom } from '../console/src/node-filter.js';
import { countFleet } from '../console/src/fleet-counts.js';
import { timePerState, timelineOf } from '../console/src/timeline.js';
import type { HistoryEntry, NodeRow } from '../console/src/nodes.js';

describe('the console reads Server-Sent Events as the WHATWG rules say', () => {
  it('joins events split anywhere across chunks, with CRLF, comments, ids and multi-line data', () => {
    const events: StreamEvent[] = [];
    const parser = new EventParser((e) => events.push(e));
    const text =
      ': keep-alive\r\nid: 7\r\nevent: ready\r\ndata: {"last_event_id": 7}\r\n\r\n' +
      'id: 8\nevent: provision_state_changed\ndata: {"a":\ndata: 1}\n\n' +
      'retry: 2500\n\ndata:no space\n\n';
    // Every split point, so a chunk boundary inside a line or a CRLF changes nothing.
    for (let cut = 0; cut <= text.length; cut++) {
      events.length = 0;
      const p = new EventParser((e) => events.push(e));
      p.push(text.slice(0, cut));
      p.push(text.slice(cut));
      expect(events).toEqual([
        { id: '7', type: 'ready', data: '{"last_event_id": 7}' },
        { id: '8', type: 'provision_state_changed', data: '{"a":\n1}' },
        { id: '8', type: 'message', data: 'no space' },
      ]);
      expect(p.retryMs).toBe(2500);
    }
    parser.push('event: x\n\n');
    expect(events).toHaveLength(3); // an event without data is not dispatched
  });
});

const row = (i: number, over: Partial<NodeRow> = {}): NodeRow => ({
  uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name: `node-${i}`,
  provision_state: ['available', 'active', 'deploy failed', 'manageable'][i % 4]!,
  target_provision_state: null,
  power_state: i % 2 ? 'power on' : 'power off',
  target_power_state: null,
  maintenance: i % 10 === 0,
  conductor_group: i % 3 ? `rack-${i % 3}` : '',
  last_error: i % 4 === 2 ? `Deploy to node-${i} failed: image checksum mismatch` : null,
  provision_updated_at: null,
  ...over,
});

describe('the console filters a large fleet without stalling', () => {
  const fleet = Array.from({ length: 10_000 }, (_, i) => row(i));

  it('filters 10,000 nodes by state, site, power, maintenance and text in well under a frame budget', () => {
    const started = performance.now();
    const failed = filterNodes(fleet, filtersFrom(new URLSearchParams('state=deploy+failed')));
    const onSite = filterNodes(
      fleet,
      filtersFrom(new URLSearchParams('site=default&power=power+off')),
    );
    const searched = filterNodes(fleet, filtersFrom(new URLSearchParams('text=CHECKSUM')));
    const inMaintenance = filterNodes(fleet, filtersFrom(new URLSearchParams('maintenance=true')));
    const byUuid = filterNodes(
      fleet,
      filtersFrom(new URLSearchParams(`text=${fleet[1234]!.uuid}`)),
    );
    const elapsed = performance.now() - started;
    expect(failed).toHaveLength(2500);
    expect(failed.every((n) => n.provision_state === 'deploy failed')).toBe(true);
    expect(onSite.every((n) => n.conductor_group === '' && n.power_state === 'power off')).toBe(
      true,
    );
    expect(onSite).toHaveLength(1667);
    expect(searched).toHaveLength(2500);
    expect(inMaintenance).toHaveLength(1000);
    expect(byUuid.map((n) => n.name)).toEqual(['node-1234']);
    // Sorted by name as a person reads numbers: node-2 before node-10.
    expect(failed.slice(0, 2).map((n) => n.name)).toEqual(['node-2', 'node-6']);
    // Five passes with sorting; a typed filter is debounced and runs one.
    expect(elapsed).toBeLessThan(1000);
  });

  it('counts the fleet by state, site and power', () => {
    const counts = countFleet(fleet);
    expect(counts.total).toBe(10_000);
    expect(counts.byState.get('active')).toBe(2500);
    expect(counts.failed).toBe(2500);
    expect(counts.maintenance).toBe(1000);
    expect(counts.bySite.get('')?.get('available')).toBe(834);
    expect(counts.byPower.get('power on')).toBe(5000);
  });
});

describe("the console's timeline", () => {
  const entry = (at: number, over: Partial<HistoryEntry>): HistoryEntry => ({
    uuid: `h${at}`,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString(),
    severity: 'INFO',
    event_type: 'provisioning',
    event: 'step',
    conductor: null,
    user: null,
    from_state: null,
    to_state: null,
    ...over,
  });

  it('gives each step the time until the next, and each state the time the node spent in it', () => {
    const history = [
      entry(10, { from_state: 'available', to_state: 'deploying' }),
      entry(0, { from_state: 'manageable', to_state: 'available' }),
      entry(12, { from_state: 'deploying', to_state: 'wait call-back' }),
      entry(20, { event_type: 'power', from_state: 'power off', to_state: 'power on' }),
      entry(42, { from_state: 'wait call-back', to_state: 'deploying' }),
      entry(45, { from_state: 'deploying', to_state: 'active' }),
    ];
    const now = Date.UTC(2026, 0, 1, 0, 1, 0);
    const steps = timelineOf(history, now);
    expect(steps.map((s) => [s.state, s.durationMs / 1000])).toEqual([
      ['available', 10],
      ['deploying', 2],
      ['wait call-back', 8],
      ['wait call-back', 22], // a power entry does not change the provision state
      ['deploying', 3],
      ['active', 15],
    ]);
    expect(steps.at(-1)!.until).toBeNull();
    expect(timePerState(steps)).toEqual([
      { state: 'wait call-back', ms: 30_000 },
      { state: 'active', ms: 15_000 },
      { state: 'available', ms: 10_000 },
      { state: 'deploying', ms: 5_000 },
    ]);
  });
});
