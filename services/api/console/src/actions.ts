import { api } from './api.js';

/** One thing a person can do to a node from its page. */
export interface NodeAction {
  id: string;
  label: string;
  /** The sentence the confirmation asks. */
  question: string;
  /** Deploy asks for an image first. */
  needsImage?: boolean;
  danger?: boolean;
  run(uuid: string, image?: DeployImage): Promise<unknown>;
}

export interface DeployImage {
  url: string;
  checksum: string;
}

const path = (uuid: string, rest: string) => `/v1/nodes/${encodeURIComponent(uuid)}${rest}`;

const power = (target: string, label: string, danger = false): NodeAction => ({
  id: `power-${target.replace(/ /g, '-')}`,
  label,
  danger,
  question: `${label}: the conductor asks the node's BMC to ${target === 'rebooting' ? 'reboot it' : target}.`,
  run: (uuid) => api('PUT', path(uuid, '/states/power'), { target }),
});

const provision = (
  target: string,
  label: string,
  question: string,
  danger = false,
): NodeAction => ({
  id: `provision-${target}`,
  label,
  danger,
  question,
  run: (uuid) => api('PUT', path(uuid, '/states/provision'), { target }),
});

const DEPLOY: NodeAction = {
  id: 'provision-active',
  label: 'Deploy',
  needsImage: true,
  question: 'Deploy this image to the node: it is written to the root disk and the node boots it.',
  async run(uuid, image) {
    if (!image) throw new Error('Deploy needs an image URL and checksum');
    await api('PATCH', path(uuid, ''), [
      { op: 'add', path: '/instance_info/image_source', value: image.url },
      { op: 'add', path: '/instance_info/image_checksum', value: image.checksum },
    ]);
    return api('PUT', path(uuid, '/states/provision'), { target: 'active' });
  },
};

const MANAGE = provision(
  'manage',
  'Manage',
  'Verify the BMC credentials and move the node to manageable.',
);
const PROVIDE = provision(
  'provide',
  'Provide',
  'Clean the node and make it available for deployment.',
);
const INSPECT = provision(
  'inspect',
  'Inspect',
  'Boot the agent and record the hardware inventory.',
);
const UNDEPLOY = provision(
  'deleted',
  'Undeploy',
  'Remove the instance: the node is cleaned and made available again.',
  true,
);
const ABORT = provision('abort', 'Abort', 'Stop the operation in progress on this node.', true);
const UNRESCUE = provision(
  'unrescue',
  'Unrescue',
  'Leave rescue mode and boot the instance again.',
);

/** Ironic's state machine, by the verbs a node in each state accepts (the API checks again). */
const PROVISION_ACTIONS: Record<string, NodeAction[]> = {
  enroll: [MANAGE],
  manageable: [PROVIDE, INSPECT],
  'inspect failed': [MANAGE, INSPECT],
  'clean failed': [MANAGE],
  available: [DEPLOY, MANAGE],
  'deploy failed': [UNDEPLOY, DEPLOY],
  active: [UNDEPLOY],
  error: [UNDEPLOY],
  'rescue failed': [UNRESCUE, UNDEPLOY],
  rescue: [UNRESCUE, UNDEPLOY],
  'inspect wait': [ABORT],
  'clean wait': [ABORT],
  'wait call-back': [ABORT],
  'rescue wait': [ABORT],
  'service wait': [ABORT],
};

export const POWER_ACTIONS: NodeAction[] = [
  power('power on', 'Power on'),
  power('power off', 'Power off', true),
  power('rebooting', 'Reboot', true),
];

export function provisionActions(state: string): NodeAction[] {
  return PROVISION_ACTIONS[state] ?? [];
}

export function maintenanceAction(inMaintenance: boolean): NodeAction {
  return inMaintenance
    ? {
        id: 'maintenance-off',
        label: 'End maintenance',
        question: 'Take the node out of maintenance: the conductors act on it again.',
        run: (uuid) => api('DELETE', path(uuid, '/maintenance')),
      }
    : {
        id: 'maintenance-on',
        label: 'Maintenance',
        question: 'Put the node in maintenance: the conductors stop acting on it.',
        run: (uuid) => api('PUT', path(uuid, '/maintenance'), { reason: 'set from the console' }),
      };
}
