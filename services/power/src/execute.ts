import type { BmcCommand, BmcReply } from '@ingot/contracts';
import {
  BmcError,
  type FirmwareTaskHandle,
  type HardwareType,
  type LogicalDisk,
} from '@ingot/drivers';

type BmcRaidCreate = Extract<BmcCommand, { type: 'bmc.raid_create' }>;

/** Runs one BMC command against a node's hardware type and words the success reply. */
export async function executeBmcCommand(
  hardware: HardwareType,
  cmd: BmcCommand,
): Promise<Extract<BmcReply, { ok: true }>> {
  const ok = { command_id: cmd.id, ok: true as const };
  switch (cmd.type) {
    case 'bmc.inventory': {
      if (!hardware.inspect) {
        throw new BmcError(
          'unsupported',
          `the ${hardware.name} hardware type cannot read the hardware from its BMC; use inspect_interface 'agent'`,
        );
      }
      return { ...ok, inventory: await hardware.inspect.inventory() };
    }
    case 'bmc.verify': {
      const { systemId } = await hardware.power.validate();
      return { ...ok, system_id: systemId, power_state: await hardware.power.getPowerState() };
    }
    case 'bmc.get_power':
      return { ...ok, power_state: await hardware.power.getPowerState() };
    case 'bmc.set_power': {
      const timeoutMs = cmd.payload.timeout_s ? cmd.payload.timeout_s * 1000 : undefined;
      return {
        ...ok,
        power_state: await hardware.power.setPowerState(cmd.payload.target, { timeoutMs }),
      };
    }
    case 'bmc.set_boot_device':
      await hardware.management.setBootDevice(cmd.payload.device, {
        persistent: cmd.payload.persistent,
        bootMode: cmd.payload.boot_mode,
      });
      return ok;
    case 'bmc.get_boot_device': {
      const boot = await hardware.management.getBootDevice();
      return { ...ok, boot_device: boot.device, persistent: boot.persistent };
    }
    case 'bmc.get_boot_mode':
      return { ...ok, boot_mode: await hardware.management.getBootMode() };
    case 'bmc.set_boot_mode':
      return { ...ok, boot_mode: await hardware.management.setBootMode(cmd.payload.mode) };
    case 'bmc.inject_nmi':
      await hardware.management.injectNmi();
      return ok;
    case 'bmc.insert_media':
      await hardware.management.insertVirtualMedia(cmd.payload.url, cmd.payload.device);
      return ok;
    case 'bmc.eject_media':
      await hardware.management.ejectVirtualMedia(cmd.payload.device);
      return ok;
    case 'bmc.get_vmedia':
      return { ...ok, virtual_media: await hardware.management.listVirtualMedia() };
    case 'bmc.get_secure_boot':
      return { ...ok, secure_boot: await hardware.management.getSecureBootState() };
    case 'bmc.bios_settings': {
      const settings = await biosOf(hardware).getSettings();
      return {
        ...ok,
        bios_settings: Object.values(settings).map((s) => ({
          ...s,
          // Ironic keeps every value as a string.
          value: s.value === null ? null : String(s.value),
        })),
      };
    }
    case 'bmc.bios_apply': {
      const change = await biosOf(hardware).applySettings(cmd.payload.settings);
      return { ...ok, reboot_required: change.rebootRequired };
    }
    case 'bmc.bios_factory_reset':
      await biosOf(hardware).factoryReset();
      return { ...ok, reboot_required: true };
    case 'bmc.set_secure_boot':
      return {
        ...ok,
        secure_boot: await hardware.management.setSecureBootState(cmd.payload.enabled),
      };
    case 'bmc.raid_read': {
      const raid = raidOf(hardware);
      const [controllers, drives, volumes] = [
        await raid.controllers(),
        await raid.drives(),
        await raid.volumes(),
      ];
      return {
        ...ok,
        raid: {
          controllers: controllers.map((c) => ({ ...c, path: c.id, id: lastSegment(c.id) })),
          drives,
          volumes,
        },
      };
    }
    case 'bmc.raid_create': {
      const created = await raidOf(hardware).createConfiguration(
        cmd.payload.logical_disks.map(logicalDiskOf),
      );
      return {
        ...ok,
        raid_created: created.logical_disks,
        reboot_required: created.rebootRequired,
      };
    }
    case 'bmc.raid_delete': {
      const { deleted } = await raidOf(hardware).deleteConfiguration();
      return { ...ok, raid_deleted: deleted };
    }
    case 'bmc.firmware_components': {
      const components = await firmwareOf(hardware).components();
      return {
        ...ok,
        firmware_components: components.map(({ component, current_version, updateable }) => ({
          component,
          current_version,
          updateable,
        })),
      };
    }
    case 'bmc.firmware_update': {
      const [handle] = await firmwareOf(hardware).update([cmd.payload]);
      return { ...ok, firmware_task: { ...handle } };
    }
    case 'bmc.firmware_task': {
      const status = await firmwareOf(hardware).taskStatus(taskHandleOf(cmd.payload.task));
      return {
        ...ok,
        firmware_status: {
          state: status.state,
          message: status.message,
          reboot_required: status.rebootRequired,
          percent: status.percent,
        },
      };
    }
  }
}

function firmwareOf(hardware: HardwareType): NonNullable<HardwareType['firmware']> {
  if (!hardware.firmware) {
    throw new BmcError(
      'unsupported',
      `the ${hardware.name} hardware type cannot read or update firmware (firmware_interface no-firmware)`,
    );
  }
  return hardware.firmware;
}

/** The handle bmc.firmware_update answered, as the conductor handed it back. */
function taskHandleOf(task: Record<string, unknown>): FirmwareTaskHandle {
  const { component, url, task: monitor, wait } = task;
  if (
    typeof component !== 'string' ||
    typeof url !== 'string' ||
    (monitor !== null && typeof monitor !== 'string')
  ) {
    throw new BmcError(
      'invalid_config',
      `${JSON.stringify(task).slice(0, 200)} is not a firmware task this power worker answered`,
    );
  }
  return { component, url, task: monitor, ...(typeof wait === 'number' ? { wait } : {}) };
}

function raidOf(hardware: HardwareType): NonNullable<HardwareType['raid']> {
  if (!hardware.raid) {
    throw new BmcError(
      'unsupported',
      `the ${hardware.name} hardware type cannot configure RAID (raid_interface no-raid)`,
    );
  }
  return hardware.raid;
}

const lastSegment = (path: string) => path.split('/').filter(Boolean).pop() ?? path;

/**
 * A logical disk of a target configuration as the driver takes it: physical disks named by their
 * Drive Id (Redfish has no other way); the driver refuses a level it cannot build.
 */
function logicalDiskOf(disk: BmcRaidCreate['payload']['logical_disks'][number]): LogicalDisk {
  const { physical_disks: physical, ...rest } = disk;
  if (physical && !physical.every((d): d is string => typeof d === 'string')) {
    throw new BmcError(
      'invalid_config',
      `logical disk ${JSON.stringify(disk).slice(0, 200)}: Redfish names physical_disks by their Drive Id (strings), not objects`,
    );
  }
  return {
    ...rest,
    raid_level: rest.raid_level as LogicalDisk['raid_level'],
    ...(physical ? { physical_disks: physical } : {}),
  };
}

function biosOf(hardware: HardwareType): NonNullable<HardwareType['bios']> {
  if (!hardware.bios) {
    throw new BmcError(
      'unsupported',
      `the ${hardware.name} hardware type cannot read or change BIOS settings (bios_interface no-bios)`,
    );
  }
  return hardware.bios;
}
