import { describe, expect, it } from 'vitest';
import type { NodeRow } from '@ingot/store';
import { decide, type Desired } from '../src/decide.js';

const desired = (over: Partial<Desired> = {}): Desired => ({
  deleting: false,
  externallyProvisioned: false,
  hasImage: false,
  online: false,
  inspectDisabled: false,
  reinspect: false,
  rebootMode: undefined,
  credentialsVersion: '7',
  ...over,
});
const node = (over: Partial<NodeRow> = {}): NodeRow =>
  ({
    uuid: 'u',
    provisionState: 'manageable',
    targetProvisionState: null,
    powerState: 'power off',
    targetPowerState: null,
    lastError: null,
    maintenance: false,
    extra: {},
    ...over,
  }) as NodeRow;

describe("a host's state and next step, from its spec and its node", () => {
  it('registers an enrolled node, and after a failure waits for new credentials', () => {
    expect(decide(desired(), node({ provisionState: 'enroll' }), false)).toMatchObject({
      state: 'registering',
      step: { kind: 'verb', verb: 'manage' },
    });
    const failed = node({
      provisionState: 'enroll',
      lastError: 'BMC refused the credentials',
      extra: { metal3: { registeredVersion: '7' } },
    });
    expect(decide(desired(), failed, false)).toMatchObject({
      error: { type: 'registration error', message: 'BMC refused the credentials' },
      step: { kind: 'wait' },
    });
    expect(decide(desired({ credentialsVersion: '8' }), failed, false).step).toEqual({
      kind: 'verb',
      verb: 'manage',
    });
  });

  it('inspects a manageable node once (unless disabled), then it is available', () => {
    expect(decide(desired(), node(), false)).toMatchObject({
      state: 'inspecting',
      step: { verb: 'inspect' },
    });
    expect(decide(desired({ inspectDisabled: true }), node(), false).state).toBe('available');
    expect(decide(desired(), node(), true).state).toBe('available');
    expect(decide(desired({ reinspect: true }), node(), true).step).toEqual({
      kind: 'verb',
      verb: 'inspect',
    });
  });

  it('provisions with an image: provide, then deploy, then provisioned', () => {
    const d = desired({ hasImage: true, online: true });
    expect(decide(d, node(), true)).toMatchObject({
      state: 'provisioning',
      step: { verb: 'provide' },
    });
    expect(decide(d, node({ provisionState: 'available' }), true)).toMatchObject({
      step: { kind: 'deploy' },
    });
    expect(
      decide(d, node({ provisionState: 'wait call-back', targetProvisionState: 'active' }), true)
        .state,
    ).toBe('provisioning');
    expect(
      decide(d, node({ provisionState: 'active', powerState: 'power on' }), true),
    ).toMatchObject({
      state: 'provisioned',
      step: { kind: 'wait' },
    });
  });

  it('follows online and the reboot annotations with the power of a resting node', () => {
    const active = node({ provisionState: 'active', powerState: 'power on' });
    expect(decide(desired({ hasImage: true }), active, true).step).toEqual({
      kind: 'power',
      target: 'power off',
    });
    expect(
      decide(desired({ hasImage: true, online: true, rebootMode: 'soft' }), active, true).step,
    ).toEqual({
      kind: 'power',
      target: 'soft power off',
    });
    expect(
      decide(desired({ hasImage: true, online: true }), node({ provisionState: 'active' }), true)
        .step,
    ).toEqual({
      kind: 'power',
      target: 'power on',
    });
  });

  it('adopts an externally provisioned host without deploying', () => {
    expect(
      decide(desired({ externallyProvisioned: true, hasImage: true }), node(), false),
    ).toMatchObject({
      state: 'externally provisioned',
      step: { kind: 'verb', verb: 'adopt' },
    });
  });

  it('on delete: deprovisions a provisioned node, powers off, then deletes the node', () => {
    const d = desired({ deleting: true, hasImage: true });
    expect(decide(d, node({ provisionState: 'active' }), true)).toMatchObject({
      state: 'deprovisioning',
      step: { verb: 'deleted' },
    });
    expect(decide(d, node({ provisionState: 'available' }), true).step).toEqual({
      kind: 'verb',
      verb: 'manage',
    });
    expect(decide(d, node({ powerState: 'power on' }), true)).toMatchObject({
      state: 'powering off before delete',
      step: { kind: 'power', target: 'power off' },
    });
    expect(decide(d, node(), true)).toMatchObject({
      state: 'deleting',
      step: { kind: 'delete-node' },
    });
  });

  it('a node in maintenance for a power failure is a power management error', () => {
    const failing = node({
      provisionState: 'active',
      maintenance: true,
      fault: 'power failure',
      maintenanceReason: 'BMC at 127.0.0.1:8000 did not answer 3 power reads',
    });
    expect(decide(desired({ hasImage: true }), failing, true)).toMatchObject({
      state: 'provisioned',
      error: {
        type: 'power management error',
        message: 'BMC at 127.0.0.1:8000 did not answer 3 power reads',
      },
      step: { kind: 'wait' },
    });
  });
});
