import { describe, expect, it } from 'vitest';
import type { ProvisionState, ProvisionVerb } from '@ingot/contracts';
import {
  applyVerb,
  conductorCanCarryOut,
  IMPLEMENTED_OPERATIONS,
  RUNNING_STATE,
} from '../src/index.js';

const carriedOut = (state: ProvisionState, verb: ProvisionVerb): boolean => {
  const result = applyVerb(state, verb);
  if (!result.ok) throw new Error(result.reason);
  return conductorCanCarryOut(result);
};

describe('which verbs the conductor can carry out', () => {
  it('those that start an implemented operation, abort one, or settle in a stable state', () => {
    expect(carriedOut('enroll', 'manage')).toBe(true);
    expect(carriedOut('manageable', 'provide')).toBe(true);
    expect(carriedOut('available', 'active')).toBe(true);
    expect(carriedOut('active', 'rebuild')).toBe(true);
    expect(carriedOut('active', 'deleted')).toBe(true);
    expect(carriedOut('manageable', 'adopt')).toBe(true);
    expect(carriedOut('active', 'service')).toBe(true);
    expect(carriedOut('service failed', 'abort')).toBe(true);
    expect(carriedOut('clean wait', 'abort')).toBe(true);
    expect(carriedOut('available', 'manage')).toBe(true);
    expect(carriedOut('active', 'rescue')).toBe(true);
    expect(carriedOut('rescue', 'unrescue')).toBe(true);
    expect(carriedOut('rescue wait', 'abort')).toBe(true);
  });

  it('not an unhold of steps Ingot never holds', () => {
    expect(carriedOut('clean hold', 'unhold')).toBe(false);
  });

  it('each implemented operation runs in an in-progress state of its own', () => {
    const states = IMPLEMENTED_OPERATIONS.map((op) => RUNNING_STATE[op]);
    expect(new Set(states).size).toBe(states.length);
    expect(states).toEqual([
      'verifying',
      'inspecting',
      'cleaning',
      'deploying',
      'deleting',
      'adopting',
      'servicing',
      'rescuing',
      'unrescuing',
    ]);
  });
});
