/** What one start of a lab VM's QEMU looks like; turned into arguments by `qemuArguments`. */
export interface QemuLaunch {
  name: string;
  uuid: string;
  accelerator: 'kvm' | 'tcg';
  cpus: number;
  memoryMb: number;
  /** UEFI (OVMF: read-only code + this VM's own variable store) or legacy BIOS (SeaBIOS). */
  firmware: { kind: 'uefi'; code: string; vars: string } | { kind: 'bios' };
  disk: string;
  /** More disks after the first (a server for software RAID), not in the boot order. */
  extraDisks?: string[];
  /** The virtual media ISO, attached as a CD-ROM, when the machine has one to boot. */
  cdrom?: string;
  /** The device the firmware tries first. */
  bootFrom: 'disk' | 'cd' | 'network';
  network: VmNetwork;
  /** The serial console, appended to across restarts. */
  consoleLog: string;
  qmpSocket: string;
  /** Direct kernel boot (the lab's KVM probe and development), instead of the firmware's devices. */
  kernel?: { image: string; initrd: string; append: string };
}

/**
 * The NIC's network: QEMU user-mode networking with restrict=on, so the guest reaches nothing
 * but 10.0.2.100:<port> for each forwarded port (to 127.0.0.1:<port> on this machine), and this
 * machine reaches the guest's agent at 127.0.0.1:<agentHostPort>.
 */
export interface VmNetwork {
  mac: string;
  forwardedPorts: number[];
  agentHostPort: number;
  agentGuestPort: number;
  /** DHCP's boot file for the NIC's iPXE (an http://10.0.2.100:<port>/... URL). */
  bootfile?: string;
}

/** The guest's name for this machine's loopback services. */
export const SERVICES_GUEST_ADDRESS = '10.0.2.100';

export function qemuArguments(vm: QemuLaunch): string[] {
  const bootIndex = (device: QemuLaunch['bootFrom']) =>
    device === vm.bootFrom ? 1 : device === 'disk' ? 2 : 3;
  const args = [
    '-name',
    `${vm.name},debug-threads=on`,
    '-uuid',
    vm.uuid,
    '-machine',
    `q35,accel=${vm.accelerator}`,
    '-cpu',
    vm.accelerator === 'kvm' ? 'host' : 'max',
    '-smp',
    String(vm.cpus),
    '-m',
    String(vm.memoryMb),
    '-smbios',
    `type=1,manufacturer=Ingot Lab,product=QEMU Lab Server,serial=${vm.uuid},uuid=${vm.uuid}`,
    '-nodefaults',
    '-display',
    'none',
    // A guest reboot exits QEMU: the host starts it again with the BMC's current boot target.
    '-no-reboot',
    '-chardev',
    `file,id=console,path=${vm.consoleLog},append=on`,
    '-serial',
    'chardev:console',
    '-chardev',
    `socket,id=qmp,path=${vm.qmpSocket},server=on,wait=off`,
    '-mon',
    'chardev=qmp,mode=control',
    ...firmwareArguments(vm.firmware),
    '-drive',
    `file=${vm.disk},format=raw,if=none,id=disk0,discard=unmap`,
    '-device',
    `virtio-blk-pci,drive=disk0,serial=${vm.name},bootindex=${bootIndex('disk')}`,
    ...(vm.extraDisks ?? []).flatMap((file, i) => [
      '-drive',
      `file=${file},format=raw,if=none,id=disk${i + 1},discard=unmap`,
      '-device',
      `virtio-blk-pci,drive=disk${i + 1},serial=${vm.name}-${i + 1}`,
    ]),
    '-netdev',
    netdevOption(vm.network),
    '-device',
    nicOption(vm.network.mac, vm.bootFrom === 'network' ? bootIndex('network') : undefined),
  ];
  if (vm.cdrom)
    args.push(
      '-drive',
      `file=${vm.cdrom},format=raw,if=none,id=cd0,media=cdrom,readonly=on`,
      '-device',
      `ide-cd,drive=cd0,bus=ide.2,bootindex=${bootIndex('cd')}`,
    );
  if (vm.kernel)
    args.push('-kernel', vm.kernel.image, '-initrd', vm.kernel.initrd, '-append', vm.kernel.append);
  return args;
}

function firmwareArguments(firmware: QemuLaunch['firmware']): string[] {
  if (firmware.kind === 'bios') return [];
  return [
    '-drive',
    `if=pflash,format=raw,unit=0,readonly=on,file=${firmware.code}`,
    '-drive',
    `if=pflash,format=raw,unit=1,file=${firmware.vars}`,
  ];
}

/**
 * slirp with restrict=on: no route out, no DNS; only the guestfwd and hostfwd rules pass.
 * Each guestfwd runs `socat` per connection (a `tcp:` chardev target would be one connection,
 * opened when QEMU starts, shared by every guest connection).
 */
export function netdevOption(net: VmNetwork): string {
  const parts = [
    'user',
    'id=n0',
    'restrict=on',
    'net=10.0.2.0/24',
    ...net.forwardedPorts.map(
      (port) => `guestfwd=tcp:${SERVICES_GUEST_ADDRESS}:${port}-cmd:socat - TCP:127.0.0.1:${port}`,
    ),
    `hostfwd=tcp:127.0.0.1:${net.agentHostPort}-:${net.agentGuestPort}`,
  ];
  if (net.bootfile) {
    if (net.bootfile.includes(',')) throw new Error(`boot file URL ${net.bootfile} has a comma`);
    parts.push(`bootfile=${net.bootfile}`);
  }
  return parts.join(',');
}

/** The NIC; its iPXE option ROM only when it is a boot device (the ROM's prompt costs seconds). */
function nicOption(mac: string, bootIndex: number | undefined): string {
  return bootIndex === undefined
    ? `virtio-net-pci,netdev=n0,mac=${mac},romfile=`
    : `virtio-net-pci,netdev=n0,mac=${mac},bootindex=${bootIndex}`;
}
