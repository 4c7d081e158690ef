import { describe, expect, it } from 'vitest';
import { PROVISION_STATES, type ProvisionState } from '@ingot/contracts';
import { LIFECYCLE_EVENTS, transition, type LifecycleEvent } from '../src/index.js';

// Written out by hand from ironic/common/state_machine.py and ANCHORS.md §2.1; the
// implementation's table is never read here. Columns: from, event, to, target afterwards
// (with no current target given).
const EXPECTED: ReadonlyArray<
  readonly [ProvisionState, LifecycleEvent, ProvisionState, ProvisionState | null]
> = [
  ['enroll', 'manage', 'verifying', 'manageable'],
  ['verifying', 'done', 'manageable', null],
  ['verifying', 'fail', 'enroll', null],

  ['manageable', 'provide', 'cleaning', 'available'],
  ['manageable', 'clean', 'cleaning', 'manageable'],
  ['manageable', 'inspect', 'inspecting', 'manageable'],
  ['manageable', 'adopt', 'adopting', 'active'],
  ['available', 'manage', 'manageable', null],
  ['available', 'deploy', 'deploying', 'active'],

  ['deploying', 'wait', 'wait call-back', 'active'],
  ['deploying', 'hold', 'deploy hold', 'active'],
  ['deploying', 'done', 'active', null],
  ['deploying', 'fail', 'deploy failed', 'active'],
  ['wait call-back', 'resume', 'deploying', 'active'],
  ['wait call-back', 'hold', 'deploy hold', 'active'],
  ['wait call-back', 'fail', 'deploy failed', 'active'],
  ['wait call-back', 'abort', 'deploy failed', 'active'],
  ['wait call-back', 'delete', 'deleting', 'available'],
  ['deploy hold', 'unhold', 'wait call-back', 'active'],
  ['deploy hold', 'abort', 'deploy failed', 'active'],
  ['deploy failed', 'rebuild', 'deploying', 'active'],
  ['deploy failed', 'deploy', 'deploying', 'active'],
  ['deploy failed', 'delete', 'deleting', 'available'],

  ['active', 'rebuild', 'deploying', 'active'],
  ['active', 'delete', 'deleting', 'available'],
  ['active', 'rescue', 'rescuing', 'rescue'],
  ['active', 'service', 'servicing', 'active'],

  ['deleting', 'clean', 'cleaning', 'available'],
  ['deleting', 'fail', 'error', null],
  ['error', 'rebuild', 'deploying', 'active'],
  ['error', 'delete', 'deleting', 'available'],

  ['cleaning', 'wait', 'clean wait', 'available'],
  ['cleaning', 'hold', 'clean hold', 'available'],
  ['cleaning', 'done', 'available', null],
  ['cleaning', 'manage', 'manageable', null],
  ['cleaning', 'fail', 'clean failed', 'available'],
  ['clean wait', 'resume', 'cleaning', 'available'],
  ['clean wait', 'hold', 'clean hold', 'available'],
  ['clean wait', 'fail', 'clean failed', 'available'],
  ['clean wait', 'abort', 'clean failed', 'available'],
  ['clean hold', 'unhold', 'clean wait', 'available'],
  ['clean hold', 'abort', 'clean failed', 'available'],
  ['clean failed', 'manage', 'manageable', null],

  ['inspecting', 'wait', 'inspect wait', 'manageable'],
  ['inspecting', 'done', 'manageable', null],
  ['inspecting', 'fail', 'inspect failed', 'manageable'],
  ['inspect wait', 'resume', 'inspecting', 'manageable'],
  ['inspect wait', 'done', 'manageable', null],
  ['inspect wait', 'fail', 'inspect failed', 'manageable'],
  ['inspect wait', 'abort', 'inspect failed', 'manageable'],
  ['inspect failed', 'manage', 'manageable', null],
  ['inspect failed', 'inspect', 'inspecting', 'manageable'],

  ['rescuing', 'wait', 'rescue wait', 'rescue'],
  ['rescuing', 'done', 'rescue', null],
  ['rescuing', 'fail', 'rescue failed', 'rescue'],
  ['rescue wait', 'resume', 'rescuing', 'rescue'],
  ['rescue wait', 'fail', 'rescue failed', 'rescue'],
  ['rescue wait', 'abort', 'rescue failed', 'rescue'],
  ['rescue wait', 'delete', 'deleting', 'available'],
  ['rescue', 'rescue', 'rescuing', 'rescue'],
  ['rescue', 'unrescue', 'unrescuing', 'active'],
  ['rescue', 'delete', 'deleting', 'available'],
  ['rescue failed', 'rescue', 'rescuing', 'rescue'],
  ['rescue failed', 'unrescue', 'unrescuing', 'active'],
  ['rescue failed', 'delete', 'deleting', 'available'],
  ['unrescuing', 'done', 'active', null],
  ['unrescuing', 'fail', 'unrescue failed', 'active'],
  ['unrescue failed', 'rescue', 'rescuing', 'rescue'],
  ['unrescue failed', 'unrescue', 'unrescuing', 'active'],
  ['unrescue failed', 'delete', 'deleting', 'available'],

  ['adopting', 'done', 'active', null],
  ['adopting', 'fail', 'adopt failed', 'active'],
  ['adopt failed', 'adopt', 'adopting', 'active'],
  ['adopt failed', 'manage', 'manageable', null],

  ['servicing', 'done', 'active', null],
  ['servicing', 'wait', 'service wait', 'active'],
  ['servicing', 'hold', 'service hold', 'active'],
  ['servicing', 'fail', 'service failed', 'active'],
  ['service wait', 'resume', 'servicing', 'active'],
  ['service wait', 'hold', 'service hold', 'active'],
  ['service wait', 'fail', 'service failed', 'active'],
  ['service wait', 'abort', 'service failed', 'active'],
  ['service wait', 'delete', 'deleting', 'available'],
  ['service hold', 'service', 'servicing', 'active'],
  ['service hold', 'unhold', 'service wait', 'active'],
  ['service hold', 'fail', 'service failed', 'active'],
  ['service hold', 'abort', 'service failed', 'active'],
  ['service failed', 'service', 'servicing', 'active'],
  ['service failed', 'rescue', 'rescuing', 'rescue'],
  ['service failed', 'wait', 'service wait', 'active'],
  ['service failed', 'hold', 'service hold', 'active'],
  ['service failed', 'delete', 'deleting', 'available'],
  ['service failed', 'abort', 'active', null],
];

const EVENTS: readonly LifecycleEvent[] = [
  'manage',
  'provide',
  'inspect',
  'clean',
  'deploy',
  'rebuild',
  'delete',
  'rescue',
  'unrescue',
  'adopt',
  'abort',
  'unhold',
  'service',
  'done',
  'fail',
  'wait',
  'resume',
  'hold',
];

const expected = new Map(
  EXPECTED.map(([from, event, to, target]) => [`${from}|${event}`, { to, target }]),
);

describe('the expected table itself', () => {
  it('has no duplicate (state, event) rows', () => {
    expect(expected.size).toBe(EXPECTED.length);
    expect(EXPECTED.length).toBe(93);
  });

  it('names only known states and events', () => {
    for (const [from, event, to] of EXPECTED) {
      expect(PROVISION_STATES).toContain(from);
      expect(PROVISION_STATES).toContain(to);
      expect(EVENTS).toContain(event);
    }
  });

  it('covers the same events as the library exports', () => {
    expect([...LIFECYCLE_EVENTS].sort()).toEqual([...EVENTS].sort());
  });
});

describe.each(PROVISION_STATES.map((state) => [state]))('from %s', (state) => {
  it.each(EVENTS.map((event) => [event]))('on %s', (event) => {
    const want = expected.get(`${state}|${event}`);
    const got = transition(state, event);
    if (want) {
      expect(got).toMatchObject({ ok: true, from: state, to: want.to, target: want.target });
    } else {
      expect(got.ok).toBe(false);
      if (!got.ok) {
        expect(got.reason).toMatch(
          new RegExp(`^Cannot '${event}' a node in state '${state}'; allowed verbs there: .+$`),
        );
      }
    }
  });
});
