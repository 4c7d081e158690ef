#!/usr/bin/env bash
# Builds the agent ramdisk from Debian packages: the kernel of linux-image-amd64 and an initramfs
# holding a busybox /init, the kernel modules a server or VM needs for its disks, CD and NICs,
# the installed Node.js with the bundled agent, and the tools the agent runs (lsblk, blkid,
# sfdisk, wipefs, qemu-img, dmidecode, ip, mdadm, ...).
#
# usage: bash scripts/build-agent-ramdisk.sh [--out DIR] [--force]
#   DIR defaults to .ramdisk/ at the repository root. Writes DIR/agent.kernel,
#   DIR/agent.initramfs and DIR/manifest.json; skips the work when the inputs did not change.
# Consumers: INGOT_AGENT_KERNEL=DIR/agent.kernel INGOT_AGENT_INITRAMFS=DIR/agent.initramfs
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/scripts/ramdisk"
out="$repo/.ramdisk"
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# Test files and lab runs build in parallel: one build at a time, the others then find it done.
exec 9>"$out/.build.lock"
flock 9

log() { echo "build-agent-ramdisk: $*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
packages=(linux-image-amd64 busybox-static kmod cpio zstd util-linux fdisk qemu-utils dmidecode iproute2 mdadm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
    exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v node >/dev/null || { echo "node is not installed; the ramdisk carries the installed Node.js" >&2; exit 1; }

# The newest installed kernel that has its modules.
kver=""
for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
  if [ -d "/lib/modules/$k" ]; then kver="$k"; break; fi
done
[ -n "$kver" ] || { echo "no kernel with modules under /boot and /lib/modules (apt-get install linux-image-amd64)" >&2; exit 1; }
kernel="/boot/vmlinuz-$kver"

# --- Inputs and the up-to-date check --------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/ingot-ramdisk.XXXXXX")"
trap 'rm -rf "$work"' EXIT

node "$here/bundle-agent.mjs" "$work/agent.mjs"

# Executables the agent and /init run; their shared libraries come along (ldd).
tools=(node lsblk blkid sfdisk wipefs fallocate blkdiscard qemu-img dmidecode ip mdadm partx)
optional_tools=(ipmitool)
tool_paths=()
for t in "${tools[@]}"; do
  p="$(PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH" command -v "$t")" || { echo "tool $t not found" >&2; exit 1; }
  tool_paths+=("$(readlink -f "$p")")
done
for t in "${optional_tools[@]}"; do
  p="$(PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH" command -v "$t")" && tool_paths+=("$(readlink -f "$p")") || true
done
busybox="$(readlink -f /bin/busybox)"
mapfile -t modules < <(grep -v '^\s*#' "$here/modules.txt" | awk 'NF {print $1}')

inputs_digest="$(
  {
    sha256sum "$work/agent.mjs" "$kernel" "$busybox" "${tool_paths[@]}" \
      "$here"/init "$here"/udhcpc.script "$here"/modules.txt "$here"/power.sh "$0"
    echo "kernel $kver"
  } | sed "s|$work/||" | sha256sum | cut -d' ' -f1
)"
if [ "$force" -eq 0 ] && [ -f "$out/manifest.json" ] && [ -f "$out/agent.kernel" ] && [ -f "$out/agent.initramfs" ] &&
  grep -q "\"inputs_sha256\": \"$inputs_digest\"" "$out/manifest.json"; then
  log "up to date ($out)"
  ls -l "$out/agent.kernel" "$out/agent.initramfs" | awk '{printf "%s %d bytes (%.1f MiB)\n", $9, $5, $5/1048576}'
  exit 0
fi

# --- The root file system ---------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,run,tmp,mnt,etc,root,var}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

# A path inside the merged-/usr root for a host path (/lib/x → /usr/lib/x).
in_root() {
  local p="$1"
  case "$p" in
    /usr/*) echo "$root$p" ;;
    /bin/*|/sbin/*|/lib/*|/lib64/*) echo "$root/usr$p" ;;
    *) echo "$root$p" ;;
  esac
}

copy_file() {
  local dest
  dest="$(in_root "$2")"
  mkdir -p "$(dirname "$dest")"
  cp -L "$1" "$dest"
}

# An executable and the shared libraries it loads.
copy_with_libs() {
  local bin="$1" dest_path="${2:-$1}"
  copy_file "$bin" "$dest_path"
  ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [ -e "$(in_root "$lib")" ] || copy_file "$lib" "$lib"
  done
}

# busybox first, so that the real tools copied next replace its applets of the same name.
copy_file "$busybox" /usr/bin/busybox
for applet in $("$busybox" --list); do
  [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
for p in "${tool_paths[@]}"; do
  # Place each tool where Debian has it (sbin or bin), replacing a busybox applet link.
  name="$(basename "$p")"
  rm -f "$root/usr/bin/$name"
  copy_with_libs "$p"
done
# poweroff/reboot on a ramdisk: sync, then the reboot syscall (there is no init daemon to ask).
for action in poweroff reboot; do
  rm -f "$root/usr/bin/$action" "$root/usr/sbin/$action"
  install -m 0755 "$here/power.sh" "$root/usr/sbin/$action"
done

install -m 0755 "$here/init" "$root/init"
install -d "$root/usr/share/udhcpc"
install -m 0755 "$here/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -d "$root/usr/lib/ingot"
install -m 0644 "$work/agent.mjs" "$root/usr/lib/ingot/agent.mjs"
printf '%s\n' "${modules[@]}" >"$root/etc/ingot-modules"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "127.0.0.1 localhost" >"$root/etc/hosts"
echo "hosts: files dns" >"$root/etc/nsswitch.conf"

# --- Kernel modules: the listed ones and their dependencies ---------------------------------
moddir="/lib/modules/$kver"
copied_modules=0
for m in "${modules[@]}"; do
  # Built-in modules show as "builtin"; absent ones are skipped (kernel configs differ).
  deps="$(modprobe -S "$kver" --show-depends "$m" 2>/dev/null || true)"
  while read -r kind path _; do
    [ "$kind" = insmod ] || continue
    dest="$root/usr/lib/modules/$kver/${path#"$moddir"/}"
    if [ ! -e "$dest" ]; then
      mkdir -p "$(dirname "$dest")"
      cp "$path" "$dest"
      copied_modules=$((copied_modules + 1))
    fi
  done <<<"$deps"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [ -f "$moddir/$f" ] && cp "$moddir/$f" "$root/usr/lib/modules/$kver/"
done
depmod -b "$root/usr" "$kver" 2>/dev/null || depmod -b "$root" "$kver"

# Every tool must run with only what the initramfs holds (as root: chroot into it).
if [ "$(id -u)" -eq 0 ]; then
  for check in "node --version" "lsblk --version" "blkid --version" "sfdisk --version" \
    "wipefs --version" "qemu-img --version" "dmidecode --version" "ip -V" "busybox true"; do
    chroot "$root" /usr/bin/env PATH=/usr/sbin:/usr/bin $check >/dev/null 2>&1 ||
      { echo "the initramfs cannot run '$check': a tool or library is missing" >&2; exit 1; }
  done
fi

# --- Archive ----------------------------------------------------------------------------------
log "packing $(du -sh "$root" | cut -f1) ($copied_modules modules, kernel $kver)"
# Same inputs, same bytes: fixed times, owners and inode numbers.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0 --reproducible) |
  zstd -q -T0 -12 >"$work/agent.initramfs"
cp "$kernel" "$work/agent.kernel"
mv "$work/agent.kernel" "$out/agent.kernel"
mv "$work/agent.initramfs" "$out/agent.initramfs"

size_of() { stat -c %s "$1"; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
cat >"$out/manifest.json" <<JSON
{
  "kernel": {"file": "agent.kernel", "bytes": $(size_of "$out/agent.kernel"), "sha256": "$(sha_of "$out/agent.kernel")", "version": "$kver"},
  "initramfs": {"file": "agent.initramfs", "bytes": $(size_of "$out/agent.initramfs"), "sha256": "$(sha_of "$out/agent.initramfs")", "compression": "zstd"},
  "inputs": {"node": "$(node --version)", "busybox": "$(dpkg-query -W -f='${Version}' busybox-static)", "linux_image": "$(dpkg-query -W -f='${Version}' linux-image-amd64)", "agent_bundle_sha256": "$(sha_of "$work/agent.mjs")"},
  "inputs_sha256": "$inputs_digest",
  "built_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
ls -l "$out/agent.kernel" "$out/agent.initramfs" | awk '{printf "%s %d bytes (%.1f MiB)\n", $9, $5, $5/1048576}'
