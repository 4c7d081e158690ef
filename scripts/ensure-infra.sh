#!/usr/bin/env bash
# Makes sure NATS (with JetStream) and PostgreSQL answer on their usual loopback ports, installing
# them from Debian's packages and starting them when they do not, and that qemu-img, xorriso,
# sfdisk and the `baremetal` CLI are installed. Used by the test and demo
# commands and by CI; on a machine where both already run it does nothing.
set -euo pipefail

NATS_PORT=${NATS_PORT:-4222}
PG_PORT=${PG_PORT:-5432}
STATE_DIR=${INGOT_INFRA_DIR:-/var/tmp/ingot-infra}

say() { printf '[infra] %s\n' "$*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_port() {
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.2; done
  say "nothing answers on 127.0.0.1:$1 after 20 s"; return 1
}

ensure_nats() {
  if port_open "$NATS_PORT"; then return; fi
  command -v nats-server >/dev/null || apt_install nats-server
  mkdir -p "$STATE_DIR/nats"
  say "starting nats-server -js on 127.0.0.1:$NATS_PORT"
  setsid nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$STATE_DIR/nats" -l "$STATE_DIR/nats.log" \
    </dev/null >/dev/null 2>&1 &
  wait_port "$NATS_PORT"
}

pg_query() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "$1"; }

ensure_postgres() {
  if ! port_open "$PG_PORT"; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || { say "no PostgreSQL cluster found under /etc/postgresql"; exit 1; }
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port "$PG_PORT"
  fi
  command -v psql >/dev/null || apt_install postgresql-client
  if ! pg_query 'SELECT 1' >/dev/null 2>&1; then
    # A fresh Debian cluster asks for a password on TCP; on this dev/CI machine trust loopback.
    local hba
    hba=$(as_root su postgres -c "psql -tAc 'SHOW hba_file'")
    say "trusting loopback connections in $hba"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    as_root su postgres -c "psql -tAc 'SELECT pg_reload_conf()'" >/dev/null
    sleep 0.5
    pg_query 'SELECT 1' >/dev/null
  fi
}

# Tools the image cache, the agent and their tests call.
ensure_tools() {
  local missing=()
  command -v qemu-img >/dev/null || missing+=(qemu-utils)
  command -v xorriso >/dev/null || missing+=(xorriso)
  [ -x /usr/sbin/sfdisk ] || [ -x /sbin/sfdisk ] || command -v sfdisk >/dev/null || missing+=(fdisk)
  # The real `baremetal` CLI (python-ironicclient as an openstackclient plugin) that
  # test/baremetal-cli.test.ts drives the API with.
  command -v baremetal >/dev/null || missing+=(python3-ironicclient python3-openstackclient)
  # The ipmi hardware type's power workers run ipmitool; the lab's IPMI BMCs are pyghmi's BMC
  # framework (Debian's python3, not whatever python3 comes first on PATH).
  command -v ipmitool >/dev/null || missing+=(ipmitool)
  /usr/bin/python3 -c 'import pyghmi.ipmi.bmc' 2>/dev/null || missing+=(python3-pyghmi)
  # The agent ramdisk (scripts/build-agent-ramdisk.sh), bootable boot ISOs (BIOS + UEFI), and the
  # lab of virtual machines: Debian's kernel, busybox, boot loaders, QEMU with OVMF and iPXE ROMs.
  ls /boot/vmlinuz-* >/dev/null 2>&1 || missing+=(linux-image-amd64)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  command -v cpio >/dev/null || missing+=(cpio)
  command -v modprobe >/dev/null || [ -x /usr/sbin/modprobe ] || [ -x /sbin/modprobe ] || missing+=(kmod)
  command -v dmidecode >/dev/null || [ -x /usr/sbin/dmidecode ] || missing+=(dmidecode)
  [ -d /usr/lib/grub/x86_64-efi ] || missing+=(grub-efi-amd64-bin)
  [ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
  command -v grub-mkstandalone >/dev/null || missing+=(grub-common)
  [ -f /usr/lib/ISOLINUX/isolinux.bin ] || missing+=(isolinux)
  [ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || missing+=(syslinux-common)
  command -v mcopy >/dev/null || missing+=(mtools)
  command -v mkfs.vfat >/dev/null || [ -x /usr/sbin/mkfs.vfat ] || [ -x /sbin/mkfs.vfat ] || missing+=(dosfstools)
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  [ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || missing+=(ovmf)
  [ -f /usr/lib/ipxe/qemu/efi-virtio.rom ] || missing+=(ipxe-qemu)
  command -v file >/dev/null || missing+=(file)
  # The VM lab forwards a guest's connections to the services on loopback through socat (guestfwd).
  command -v socat >/dev/null || missing+=(socat)
  # The agent ramdisk's software RAID (and the marker OS that boots from it) runs mdadm.
  command -v mdadm >/dev/null || [ -x /usr/sbin/mdadm ] || [ -x /sbin/mdadm ] || missing+=(mdadm)
  # The console's browser test drives Debian's chromium headless (test/console.test.ts).
  command -v chromium >/dev/null || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  # The Kubernetes tests apply CRDs and kustomizations with kubectl: the kubectl package where the
  # machine's sources have it, Debian's kubernetes-client otherwise.
  if ! command -v kubectl >/dev/null; then
    apt_install kubectl 2>/dev/null || apt_install kubernetes-client
  fi
}

ensure_nats
ensure_postgres
ensure_tools
say "NATS on 127.0.0.1:$NATS_PORT and PostgreSQL on 127.0.0.1:$PG_PORT are up"
