#!/bin/sh
# poweroff / reboot on the agent ramdisk: there is no init daemon to ask, so flush the disks
# and make the reboot system call (busybox -f).
sync
case "$(basename "$0")" in
  reboot) exec busybox reboot -f ;;
  *) exec busybox poweroff -f ;;
esac
