#!/bin/sh
# The appliance's screens on this machine (the fast part of issue 15; the
# image itself is tested by make image-test).  keyrite runs in a private
# mount namespace in which /usr/lib holds an identity file
# (/usr/lib/keyrite-image/image-id, an overlay seen by nothing else) and
# /run/keyrite the root filesystem's SHA-256, as the image and its
# initramfs leave them.  Checked: Home's Image, USB stick and Clock lines
# and footer; "i", the full identity; "t", the clock screen refusing a
# malformed date and a time before the image was built (the clock itself
# is never set: it is the host's); "m", the media screen with an ext4
# filesystem on a loop device mounted at the media directory (free
# space), the same read-only, a full one, and one whose device is gone
# (a tmpfs: no block device), each unmounted with u; "c", rehearsal cards
# made in memory; a dirty image and a damaged identity file.
set -u
T=$(mktemp -d /tmp/kr.XXXXXX)
. "$KR_TOP/tests/tui/lib.sh"
LOOP=""
cleanup() {
	tui_stop
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
S="$KR_TOP/ceremony-scripts"
[ "$(id -u)" = 0 ] ||
    { echo "needs root (mount namespaces, loop devices)"; exit 77; }
unshare -m true 2>/dev/null ||
    { echo "no mount namespaces here"; exit 77; }
grep -q "[[:space:]]ext4$" /proc/filesystems ||
    { echo "this kernel mounts no ext4"; exit 77; }

COMMIT=0123456789abcdef0123456789abcdef01234567
TREE=89abcdef0123456789abcdef0123456789abcdef
ROOT_SHA=3614c254bc0b5d7e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e8fe7
BUILT=1796588349	# 2026-12-06 20:19:09 UTC
mkdir "$T/media" "$T/cards"

# identity DIRTY: the identity as image/build.sh writes it, and the root
# hash as the initramfs leaves it.
identity() {
	mkdir -p "$T/id"
	cat > "$T/id/image-id" <<-EOI
	name keyrite
	version 0.1.0$([ "$1" = yes ] && echo -dirty)
	commit $COMMIT
	tree $TREE
	dirty $1
	source-date-epoch $BUILT
	debian bookworm 6.1.0-57-amd64
	EOI
	echo "$ROOT_SHA" > "$T/id/root.sha256"
}

# start ARGS: keyrite tui in its own mount namespace, as on the appliance.
start() {
	cat > "$T/ns.sh" <<-EOS
	set -e
	mount --make-rprivate /
	mkdir -p $T/ov
	mount -t tmpfs ov $T/ov
	for d in /usr/lib /run; do
		mkdir -p $T/ov/u\$d $T/ov/w\$d
		mount -t overlay ov -o lowerdir=\$d,upperdir=$T/ov/u\$d \\
		    -o workdir=$T/ov/w\$d \$d
	done
	mkdir -p /usr/lib/keyrite-image /run/keyrite
	cp $T/id/image-id /usr/lib/keyrite-image/image-id
	cp $T/id/root.sha256 /run/keyrite/root.sha256
	exec env LANG=C.UTF-8 $KEYRITE tui --media $T/media --scripts $S "\$@"
	EOS
	# A new tmux server each time: a client can reach the last one while
	# it exits ("server exited unexpectedly").
	tui_stop
	starts=$((starts + 1))
	KR_TMUX="tmux -L krtest-$$-$starts -f $T/tmux.conf"
	tui_start 80 25 "unshare -m sh $T/ns.sh $*" || fail "tmux"
}
starts=0

# --- Home and the identity --------------------------------------------------
identity no
start --rehearsal --cards-dir "$T/cards" \
    --module /usr/lib/softhsm/libsofthsm2.so
wait_for "CEREMONIES" || fail "Home"
wait_for "^  Image +keyrite 0\.1\.0, commit 0123456789ab, root 3614c254bc0b" \
    "WRITABLE; i: all of it" || fail "the Image line"
wait_for "^  USB stick +none mounted at $T/media: press m to choose one" ||
    fail "the USB stick line"
wait_for "^  Clock +not set since keyrite started" || fail "the Clock line"
wait_for "m +media +t +clock" || fail "Home's footer"
snap home
send i
wait_for "THIS APPLIANCE" "Commit +$COMMIT" "Source tree +$TREE" \
    "Built from +a clean tree" "Kernel +6\.1\.0-57-amd64" \
    "Root SHA-256 +3614 c254 bc0b 5d7e" || fail "the identity screen"
send Escape
wait_for "CEREMONIES" || fail "back to Home from i"

# --- the clock: refused, never set ------------------------------------------
send t
wait_for "SET THE CLOCK" "YYYY-MM-DD HH:MM:SS, UTC" || fail "clock screen"
type "2026-02-30 10:00:00"
wait_for "Enter +set the clock" || fail "clock footer"
send Enter
wait_for "day 30: 2026-02 has 28 days" || fail "a bad day was taken"
send C-u
i=0
while [ $i -lt 19 ]; do send BSpace; i=$((i + 1)); done
type "2026-12-06 20:19:08"
send Enter
wait_for "this image was built on 2026-12-06 20:19:09 UTC: a time before" ||
    fail "a time before the build was taken"
send Escape
wait_for "CEREMONIES" "^  Clock +not set since" || fail "the clock changed"

# --- rehearsal cards --------------------------------------------------------
send c
wait_for "Made 5 rehearsal cards" || fail "rehearsal cards"
wait_for "Cards +5 present" || fail "the cards are not seen"
send c
wait_for "Rehearsal cards: " || fail "making them twice was not refused"

# --- the media directory: mounted, read-only, full, gone --------------------
# ns CMD...: runs CMD in keyrite's mount namespace (unshare execs the
# shell, which execs keyrite: tui_pid is keyrite).
kpid=$(tui_pid) || fail "no keyrite process"
[ "$(readlink "/proc/$kpid/exe")" = "$(readlink -f "$KEYRITE")" ] ||
    fail "process $kpid is not keyrite"
ns() { nsenter -t "$kpid" -m -- "$@"; }

truncate -s 8M "$T/stick.img"
mke2fs -q -t ext4 -m 0 -L KRTEST "$T/stick.img" || fail "mke2fs"
LOOP=$(losetup -f --show "$T/stick.img") ||
    { echo "no loop device"; exit 77; }
ns mount -t ext4 -o noexec,nosuid,nodev "$LOOP" "$T/media" || fail "mount"
wait_for "^  USB stick +$LOOP \(ext4\) at $T/media, [0-9.]+ MB free" ||
    fail "Home does not show the mounted stick"
send m
wait_for "REMOVABLE MEDIA" "USB STICKS" \
    "$LOOP \(ext4\) is mounted at $T/media: [0-9.]+ MB free" ||
    fail "media screen, mounted"
# unmount WHAT: u, then nothing is mounted, on the screen and in fact.
unmount() {
	send u
	wait_for "$1" "Nothing is mounted at $T/media" || fail "unmount: $1"
	ns grep -q " $T/media " /proc/self/mountinfo && fail "still mounted"
	return 0
}
unmount "$LOOP is written out and unmounted: it can be taken out now"

ns mount -t ext4 -o ro,noexec,nosuid,nodev "$LOOP" "$T/media" ||
    fail "mount read-only"
wait_for "$LOOP \(ext4\) is mounted READ-ONLY at $T/media" ||
    fail "read-only not said"
unmount "$LOOP is written out and unmounted"

# Filled up: less than 1 MiB free is full.
ns mount -t ext4 "$LOOP" "$T/media" || fail "mount to fill"
ns sh -c "head -c 9000000 /dev/zero > $T/media/fill" 2>/dev/null
ns umount "$T/media" || fail "umount after filling"
ns mount -t ext4 -o noexec,nosuid,nodev "$LOOP" "$T/media" ||
    fail "mount full"
wait_for "$LOOP \(ext4\) at $T/media is FULL: [0-9]+ kB free" ||
    fail "full not said"
unmount "$LOOP is written out and unmounted"

# A tmpfs has no block device: what keyrite sees of a pulled-out stick.
ns mount -t tmpfs -o size=4m pulled "$T/media" || fail "mount tmpfs"
wait_for "pulled was PULLED OUT while mounted at $T/media" ||
    fail "pulled out not said"
send Escape
wait_for "^  USB stick +pulled PULLED OUT while mounted: press m" ||
    fail "Home does not say pulled out"
send m
wait_for "REMOVABLE MEDIA" || fail "media screen again"
unmount "pulled out while mounted: what was written since the last sync"
send Escape
wait_for "CEREMONIES" || fail "Home after media"
send q
wait_for "Leave keyrite" || fail "leave"
send y
[ "$(exit_status)" = 0 ] || fail "exit status"
tui_stop

# --- a dirty image, then a damaged identity ---------------------------------
identity yes
start
wait_for "keyrite 0\.1\.0-dirty, commit 0123456789ab.*" \
    "BUILT FROM UNCOMMITTED" || fail "dirty not said on Home"
send i
wait_for "Built from +a tree with uncommitted changes: not a published" ||
    fail "dirty not said on the identity screen"
tui_stop

identity no
echo "commit nothex" >> "$T/id/image-id"
start
wait_for "^  Image +DAMAGED: /usr/lib/keyrite-image/image-id:8: not a valid" \
    "Do not hold a ceremony" ||
    fail "a damaged identity was not said"
tui_stop
echo "t-tui-appliance: ok"
