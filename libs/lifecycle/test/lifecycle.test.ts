import { describe, expect, it } from 'vitest';
import { PROVISION_STATES, PROVISION_VERBS, type ProvisionState } from '@ingot/contracts';
import {
  DELETE_ALLOWED_STATES,
  FASTTRACK_LOOKUP_ALLOWED_STATES,
  LOOKUP_ALLOWED_STATES,
  STUCK_STATES_TREATED_AS_FAIL,
  allowedVerbs,
  applyVerb,
  failedStateFor,
  isDeleteAllowed,
  isFailedState,
  isHoldState,
  isStable,
  isWaitState,
  transition,
  verbToEvent,
  type LifecycleEvent,
  type TransitionOk,
  type TransitionOptions,
} from '../src/index.js';

/** Takes `event` and fails the test if the machine refuses it. */
function step(
  state: ProvisionState,
  event: LifecycleEvent,
  options?: TransitionOptions,
): TransitionOk {
  const result = transition(state, event, options);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

/** Runs events from `state`, carrying the target along as the conductor would. */
function run(state: ProvisionState, events: LifecycleEvent[]) {
  const trail: Array<{ to: ProvisionState; target: ProvisionState | null }> = [];
  let current = state;
  let target: ProvisionState | null = null;
  for (const event of events) {
    const next = step(current, event, { currentTarget: target });
    current = next.to;
    target = next.target;
    trail.push({ to: current, target });
  }
  return trail;
}

describe('verbToEvent', () => {
  it('maps aliases as Ironic does and every other verb to itself', () => {
    expect(Object.fromEntries(PROVISION_VERBS.map((v) => [v, verbToEvent(v)]))).toEqual({
      manage: 'manage',
      provide: 'provide',
      inspect: 'inspect',
      clean: 'clean',
      active: 'deploy',
      deploy: 'deploy',
      rebuild: 'rebuild',
      deleted: 'delete',
      undeploy: 'delete',
      rescue: 'rescue',
      unrescue: 'unrescue',
      adopt: 'adopt',
      abort: 'abort',
      unhold: 'unhold',
      service: 'service',
    });
  });
});

describe('allowedVerbs', () => {
  it.each<[ProvisionState, string[]]>([
    ['enroll', ['manage']],
    ['manageable', ['provide', 'inspect', 'clean', 'adopt']],
    ['available', ['manage', 'active', 'deploy']],
    ['active', ['rebuild', 'deleted', 'undeploy', 'rescue', 'service']],
    ['error', ['rebuild', 'deleted', 'undeploy']],
    ['wait call-back', ['deleted', 'undeploy', 'abort']],
    ['deploy hold', ['abort', 'unhold']],
    ['clean wait', ['abort']],
    ['clean failed', ['manage']],
    ['rescue', ['deleted', 'undeploy', 'rescue', 'unrescue']],
    ['service failed', ['deleted', 'undeploy', 'rescue', 'abort', 'service']],
    ['service hold', ['abort', 'unhold', 'service']],
    // In-progress states take no verbs, not even the conductor-only edges.
    ['cleaning', []],
    ['deleting', []],
    ['deploying', []],
    ['verifying', []],
  ])('%s -> %j', (state, verbs) => {
    expect(allowedVerbs(state)).toEqual(verbs);
  });

  it('every allowed verb is accepted by applyVerb and every other verb refused', () => {
    for (const state of PROVISION_STATES) {
      const allowed = allowedVerbs(state);
      for (const verb of PROVISION_VERBS) {
        expect(applyVerb(state, verb).ok, `${verb} in ${state}`).toBe(allowed.includes(verb));
      }
    }
  });
});

describe('reasons', () => {
  it('reads as a sentence naming the allowed verbs', () => {
    expect(transition('enroll', 'provide')).toEqual({
      ok: false,
      reason: "Cannot 'provide' a node in state 'enroll'; allowed verbs there: manage",
    });
  });

  it('names the verb the user sent and says when nothing is allowed', () => {
    expect(applyVerb('active', 'active')).toEqual({
      ok: false,
      reason:
        "Cannot 'active' a node in state 'active'; allowed verbs there: rebuild, deleted, undeploy, rescue, service",
    });
    expect(applyVerb('cleaning', 'manage')).toEqual({
      ok: false,
      reason: "Cannot 'manage' a node in state 'cleaning'; allowed verbs there: none",
    });
  });

  it('refuses unknown states and events at run time', () => {
    expect(transition('deployed' as ProvisionState, 'done')).toEqual({
      ok: false,
      reason: "Unknown provision state 'deployed'",
    });
    expect(transition('active', 'explode' as LifecycleEvent)).toEqual({
      ok: false,
      reason: "Unknown provision event 'explode'",
    });
  });
});

describe('conductor-only edges', () => {
  it('are taken by transition but refused by applyVerb', () => {
    expect(step('deleting', 'clean').to).toBe('cleaning');
    expect(step('cleaning', 'manage').to).toBe('manageable');
    expect(applyVerb('deleting', 'clean').ok).toBe(false);
    expect(applyVerb('cleaning', 'manage').ok).toBe(false);
  });
});

describe('targets', () => {
  it('provide: cleaning aimed at available, done reaches available', () => {
    const first = step('manageable', 'provide');
    expect(first).toMatchObject({ to: 'cleaning', target: 'available' });
    expect(first.effects).toEqual([{ kind: 'start', operation: 'clean', mode: 'automated' }]);
    expect(run('manageable', ['provide', 'wait', 'resume', 'done'])).toEqual([
      { to: 'cleaning', target: 'available' },
      { to: 'clean wait', target: 'available' },
      { to: 'cleaning', target: 'available' },
      { to: 'available', target: null },
    ]);
  });

  it('manual clean stays aimed at manageable and done reaches manageable', () => {
    const first = step('manageable', 'clean');
    expect(first).toMatchObject({ to: 'cleaning', target: 'manageable' });
    expect(first.effects).toEqual([{ kind: 'start', operation: 'clean', mode: 'manual' }]);
    expect(run('manageable', ['clean', 'wait', 'hold', 'unhold', 'resume', 'done'])).toEqual([
      { to: 'cleaning', target: 'manageable' },
      { to: 'clean wait', target: 'manageable' },
      { to: 'clean hold', target: 'manageable' },
      { to: 'clean wait', target: 'manageable' },
      { to: 'cleaning', target: 'manageable' },
      { to: 'manageable', target: null },
    ]);
    // Ironic's own way to end manual cleaning works too.
    expect(step('cleaning', 'manage', { currentTarget: 'manageable' })).toMatchObject({
      to: 'manageable',
      target: null,
    });
  });

  it('a failed or aborted clean keeps the target of the cleaning that failed', () => {
    expect(step('cleaning', 'fail', { currentTarget: 'manageable' }).target).toBe('manageable');
    expect(step('cleaning', 'fail', { currentTarget: 'available' }).target).toBe('available');
    const aborted = step('clean wait', 'abort', { currentTarget: 'manageable' });
    expect(aborted).toMatchObject({ to: 'clean failed', target: 'manageable' });
    expect(aborted.effects).toEqual([{ kind: 'abort', operation: 'clean' }]);
  });

  it('deploy, fail, tear down and automated cleaning', () => {
    expect(
      run('available', ['deploy', 'wait', 'fail', 'delete', 'clean', 'wait', 'resume', 'done']),
    ).toEqual([
      { to: 'deploying', target: 'active' },
      { to: 'wait call-back', target: 'active' },
      { to: 'deploy failed', target: 'active' },
      { to: 'deleting', target: 'available' },
      { to: 'cleaning', target: 'available' },
      { to: 'clean wait', target: 'available' },
      { to: 'cleaning', target: 'available' },
      { to: 'available', target: null },
    ]);
  });

  it('starts each operation with the target Ironic gives it', () => {
    expect(step('enroll', 'manage')).toMatchObject({ to: 'verifying', target: 'manageable' });
    expect(step('manageable', 'inspect')).toMatchObject({
      to: 'inspecting',
      target: 'manageable',
    });
    expect(step('available', 'deploy')).toMatchObject({ to: 'deploying', target: 'active' });
    expect(step('active', 'delete')).toMatchObject({ to: 'deleting', target: 'available' });
    expect(step('manageable', 'adopt')).toMatchObject({ to: 'adopting', target: 'active' });
    expect(step('active', 'rescue')).toMatchObject({ to: 'rescuing', target: 'rescue' });
    expect(step('rescue', 'unrescue')).toMatchObject({ to: 'unrescuing', target: 'active' });
    expect(step('active', 'service')).toMatchObject({ to: 'servicing', target: 'active' });
  });

  it('clears the target on reaching a stable state', () => {
    expect(step('verifying', 'fail', { currentTarget: 'manageable' }).target).toBeNull();
    expect(step('deleting', 'fail', { currentTarget: 'available' }).target).toBeNull();
    expect(step('service failed', 'abort', { currentTarget: 'active' }).target).toBeNull();
  });

  it('ignores a current target the new state cannot carry', () => {
    expect(step('deploying', 'wait', { currentTarget: 'manageable' }).target).toBe('active');
    expect(step('cleaning', 'done', { currentTarget: 'active' }).to).toBe('available');
  });
});

describe('effects', () => {
  it.each<[ProvisionState, LifecycleEvent, unknown[]]>([
    ['enroll', 'manage', [{ kind: 'start', operation: 'verify' }]],
    ['manageable', 'inspect', [{ kind: 'start', operation: 'inspect' }]],
    ['inspect failed', 'inspect', [{ kind: 'start', operation: 'inspect' }]],
    ['available', 'deploy', [{ kind: 'start', operation: 'deploy' }]],
    ['active', 'rebuild', [{ kind: 'start', operation: 'deploy' }]],
    ['active', 'delete', [{ kind: 'start', operation: 'undeploy' }]],
    ['wait call-back', 'delete', [{ kind: 'start', operation: 'undeploy' }]],
    ['deleting', 'clean', [{ kind: 'start', operation: 'clean', mode: 'automated' }]],
    ['active', 'rescue', [{ kind: 'start', operation: 'rescue' }]],
    ['rescue', 'unrescue', [{ kind: 'start', operation: 'unrescue' }]],
    ['adopt failed', 'adopt', [{ kind: 'start', operation: 'adopt' }]],
    ['service hold', 'service', [{ kind: 'start', operation: 'service' }]],
    ['wait call-back', 'abort', [{ kind: 'abort', operation: 'deploy' }]],
    ['deploy hold', 'abort', [{ kind: 'abort', operation: 'deploy' }]],
    ['inspect wait', 'abort', [{ kind: 'abort', operation: 'inspect' }]],
    ['rescue wait', 'abort', [{ kind: 'abort', operation: 'rescue' }]],
    ['service failed', 'abort', [{ kind: 'abort', operation: 'service' }]],
    ['available', 'manage', []],
    ['cleaning', 'manage', []],
    ['deploying', 'wait', []],
    ['wait call-back', 'resume', []],
    ['deploy hold', 'unhold', []],
    ['deploying', 'done', []],
    ['cleaning', 'fail', []],
  ])('%s -%s->', (state, event, effects) => {
    expect(step(state, event).effects).toEqual(effects);
  });
});

describe('state classes', () => {
  const pick = (predicate: (s: ProvisionState) => boolean) =>
    PROVISION_STATES.filter(predicate).sort();

  it('stable, wait, hold and failed states', () => {
    expect(pick(isStable)).toEqual(
      ['active', 'available', 'enroll', 'error', 'manageable', 'rescue'].sort(),
    );
    expect(pick(isWaitState)).toEqual(
      ['clean wait', 'inspect wait', 'rescue wait', 'service wait', 'wait call-back'].sort(),
    );
    expect(pick(isHoldState)).toEqual(['clean hold', 'deploy hold', 'service hold']);
    expect(pick(isFailedState)).toEqual(
      [
        'adopt failed',
        'clean failed',
        'deploy failed',
        'inspect failed',
        'rescue failed',
        'service failed',
        'unrescue failed',
      ].sort(),
    );
  });

  it('failedStateFor', () => {
    const expected: Partial<Record<ProvisionState, ProvisionState>> = {
      verifying: 'enroll',
      inspecting: 'inspect failed',
      'inspect wait': 'inspect failed',
      cleaning: 'clean failed',
      'clean wait': 'clean failed',
      deploying: 'deploy failed',
      'wait call-back': 'deploy failed',
      deleting: 'error',
      rescuing: 'rescue failed',
      'rescue wait': 'rescue failed',
      unrescuing: 'unrescue failed',
      adopting: 'adopt failed',
      servicing: 'service failed',
      'service wait': 'service failed',
      'service hold': 'service failed',
    };
    for (const state of PROVISION_STATES) {
      expect(failedStateFor(state), state).toBe(expected[state] ?? null);
    }
  });

  it('every stuck state has a failed state to go to', () => {
    for (const state of STUCK_STATES_TREATED_AS_FAIL) {
      expect(failedStateFor(state), state).not.toBeNull();
    }
  });
});

describe('constants', () => {
  it('STUCK_STATES_TREATED_AS_FAIL', () => {
    expect([...STUCK_STATES_TREATED_AS_FAIL].sort()).toEqual(
      [
        'adopting',
        'cleaning',
        'deleting',
        'deploying',
        'inspecting',
        'rescuing',
        'servicing',
        'unrescuing',
        'verifying',
      ].sort(),
    );
  });

  it('LOOKUP_ALLOWED_STATES and the fast-track superset', () => {
    const lookup = [
      'clean wait',
      'cleaning',
      'deploying',
      'inspect wait',
      'inspecting',
      'rescue wait',
      'rescuing',
      'service wait',
      'wait call-back',
    ];
    expect([...LOOKUP_ALLOWED_STATES].sort()).toEqual(lookup);
    expect([...FASTTRACK_LOOKUP_ALLOWED_STATES].sort()).toEqual(
      [...lookup, 'available', 'enroll', 'manageable', 'service hold', 'servicing'].sort(),
    );
  });

  it('DELETE_ALLOWED_STATES, and any state in maintenance', () => {
    expect([...DELETE_ALLOWED_STATES].sort()).toEqual(
      ['adopt failed', 'available', 'enroll', 'manageable'].sort(),
    );
    expect(isDeleteAllowed('active')).toBe(false);
    expect(isDeleteAllowed('active', true)).toBe(true);
    expect(isDeleteAllowed('available')).toBe(true);
  });
});
