# tests/image/lib.sh: boot the appliance ISO under qemu and drive its
# serial console.  Source it after tests/tui/lib.sh (which needs $T).
#
# qemu runs in a tmux pane of 80x25 with the guest's ttyS0 on its stdio, so
# tmux is the serial terminal (the image sets TERM=screen, LINES=25,
# COLUMNS=80 there) and lib.sh's wait_for/send/type drive keyrite's TUI
# in the guest as they drive it on the host.  qemu runs without KVM
# (TCG): -enable-kvm hangs after GRUB on these machines.  The monitor is on
# a socket ($T/mon.sock), for hot-plugging and pulling USB devices.
#
#   vm_start bios|uefi ISO [QEMU ARGS...]   boot; the guest has an e1000
#                                           NIC and an xHCI controller
#   vm_menu real|rehearsal                  choose the GRUB entry
#   vm_monitor COMMAND                      an HMP command; prints the reply
#   vm_stop                                 power off (the disks stay)

OVMF=${OVMF:-/usr/share/ovmf/OVMF.fd}

vm_start() {
	_fw=""
	[ "$1" = uefi ] && _fw="-bios $OVMF"
	_iso=$2
	shift 2
	rm -f "$T/mon.sock"
	tui_start 80 25 "qemu-system-x86_64 -machine pc -accel tcg -m 1024" \
	    "-smp 2 -display none -no-reboot $_fw -boot d -cdrom $_iso" \
	    "-chardev stdio,id=s0,signal=off -serial chardev:s0" \
	    "-monitor unix:$T/mon.sock,server=on,wait=off" \
	    "-netdev user,id=n0,restrict=on -device e1000,netdev=n0" \
	    "-netdev user,id=n1,restrict=on -device qemu-xhci,id=xhci $*" \
	    "2>$T/qemu.err"
}

# vm_menu real|rehearsal: waits for GRUB's menu and chooses an entry
# (Ctrl-N moves down a line in GRUB's menu on any terminal).
vm_menu() {
	wait_for "rehearsal with virtual cards" || return 1
	[ "$1" = rehearsal ] && send C-n
	send Enter
}

vm_monitor() {
	python3 - "$T/mon.sock" "$*" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
out = until_prompt()
# The reply without the echoed command and the next prompt.
print("\n".join(l for l in out.replace("\r", "").split("\n")[1:-1]))
EOF
}

vm_stop() {
	vm_monitor quit >/dev/null 2>&1
	_n=0
	while [ "$(pane_info '#{pane_dead}' 2>/dev/null)" != 1 ] &&
	    [ $_n -lt 200 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	tui_stop
}

# stick FILE SIZE LABEL: a raw USB stick image with an MBR partition
# table and one FAT32 partition from 1 MiB (what most sticks are sold as).
stick() {
	rm -f "$1"
	truncate -s "$2" "$1"
	echo 'start=2048, type=c' | sfdisk -q "$1" >/dev/null
	mkfs.vfat -F 32 -n "$3" --offset 2048 "$1" >/dev/null
}

# Files on a stick image's first partition, by mtools (no mount needed).
stick_ls() { mdir -b -i "$1@@1M" ::/ 2>/dev/null | sed 's#^::/##'; }
stick_get() { mcopy -n -i "$1@@1M" "::/$2" "$3"; }

# now_s: seconds since the epoch with two decimals.
now_s() { date +%s.%N | cut -c1-13; }
elapsed() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }
