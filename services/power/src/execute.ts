import type { BmcCommand, BmcReply } from '@ingot/contracts';
import { BmcError, type HardwareType } from '@ingot/drivers';

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
    case 'bmc.insert_media':
      await hardware.management.insertVirtualMedia(cmd.payload.url, cmd.payload.device);
      return ok;
    case 'bmc.eject_media':
      await hardware.management.ejectVirtualMedia(cmd.payload.device);
      return ok;
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
  }
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
