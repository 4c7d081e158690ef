import type { BootDevice, PowerState, PowerTarget } from '@ingot/contracts';
import { BmcError } from '../errors.js';
import type { HardwareType, VirtualMediaDevice } from '../interfaces.js';

interface FakeNode {
  power: PowerState;
  boot: { device: BootDevice | null; persistent: boolean };
  media: Partial<Record<VirtualMediaDevice, string>>;
  secureBoot: boolean;
}

/** State of every fake node in this process, so separate loads of one node agree. */
const nodes = new Map<string, FakeNode>();

const RESULT: Record<PowerTarget, PowerState> = {
  'power on': 'power on',
  'power off': 'power off',
  'soft power off': 'power off',
  rebooting: 'power on',
  'soft rebooting': 'power on',
};

function nodeState(nodeUuid: string): FakeNode {
  let node = nodes.get(nodeUuid);
  if (!node) {
    node = {
      power: 'power off',
      boot: { device: null, persistent: false },
      media: {},
      secureBoot: false,
    };
    nodes.set(nodeUuid, node);
  }
  return node;
}

const unsupported = (extension: string) =>
  new BmcError(
    'unsupported',
    `Driver fake-hardware does not support ${extension} (disabled or not implemented).`,
  );

/** Ironic's fake-hardware: no BMC, instant success, state in memory. For benchmarks and tests. */
export function fakeHardware(nodeUuid: string): HardwareType {
  const node = nodeState(nodeUuid);
  return {
    name: 'fake-hardware',
    power: {
      validate: async () => ({ systemId: `fake:${nodeUuid}` }),
      getPowerState: async () => node.power,
      setPowerState: async (target) => {
        node.power = RESULT[target];
        return node.power;
      },
    },
    management: {
      setBootDevice: async (device, { persistent }) => {
        node.boot = { device, persistent };
      },
      getBootDevice: async () => ({ ...node.boot }),
      insertVirtualMedia: async (url, device) => {
        node.media[device] = url;
      },
      ejectVirtualMedia: async (device) => {
        delete node.media[device];
      },
      listVirtualMedia: async () =>
        (['cd', 'usb'] as const).map((device) => ({
          media_types: device === 'cd' ? ['CD', 'DVD'] : ['USBStick'],
          inserted: node.media[device] !== undefined,
          image: node.media[device] ?? null,
        })),
      // Ironic's fake-hardware never fails a deploy that asks for secure boot; this one records
      // it, as a server that honours it would, so the node shows what was asked.
      getSecureBootState: async () => ({ enabled: node.secureBoot, current_boot: node.secureBoot }),
      setSecureBootState: async (enabled) => {
        node.secureBoot = enabled;
        return { enabled, current_boot: enabled };
      },
      // Ironic's fake management interface has neither boot mode nor NMI: its words.
      getBootMode: () => Promise.reject(unsupported('get_boot_mode')),
      setBootMode: () => Promise.reject(unsupported('set_boot_mode')),
      injectNmi: () => Promise.reject(unsupported('inject_nmi')),
    },
    close: async () => {},
  };
}

/** What a fake node holds now: for assertions in tests. */
export function fakeNodeState(nodeUuid: string): Readonly<FakeNode> | undefined {
  const node = nodes.get(nodeUuid);
  return node && structuredClone(node);
}

/** Forgets every fake node. */
export function resetFakeHardware(): void {
  nodes.clear();
}
