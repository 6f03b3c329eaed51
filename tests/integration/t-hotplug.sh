#!/bin/sh
# t-hotplug.sh: USB devices plugged in and out during a ceremony.
#
# $BUILD/helpers/hotplug-umockdev (tests/helpers/hotplug-umockdev.c) runs
# kr_usbwatch in a umockdev testbed under umockdev-wrapper: a root hub is
# present at the start and must be enumerated; then each device is added
# and removed in turn, and the helper asserts one "arrived" and one "left"
# event for its port path and nothing else.  This script checks what the
# events say about each device:
#   1. CCID reader (Nitrokey HSM): arrived and left, reader=1, breach=0
#   2. USB Ethernet adapter (ASIX AX88179): arrived and left, breach=1,
#      named a known network adapter, reader=0
#   3. Bluetooth dongle (CSR8510): breach=1 by class 0xe0
# Needs no root: the testbed is the process's own.
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${BUILD:?BUILD must name the build directory}"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v umockdev-wrapper >/dev/null 2>&1 ||
    skip "umockdev-wrapper is not installed (package umockdev)"
HELPER="$BUILD/helpers/hotplug-umockdev"
[ -x "$HELPER" ] || fail "$HELPER is not built"
FIX=$(cd "$(dirname "$0")/fixtures" && pwd) || fail "no fixtures directory"
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT

# umockdev's preload library comes before ASan's runtime; harmless here.
ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

umockdev-wrapper "$HELPER" -t 5000 "$FIX/usb-root-hub.umockdev" \
    "$FIX/usb-ccid-nitrokey-hsm.umockdev" \
    "$FIX/usb-ethernet-ax88179.umockdev" \
    "$FIX/usb-bluetooth-csr.umockdev" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
[ "$rc" = 77 ] && skip "$(grep SKIP "$T/out" | tail -1)"
[ "$rc" = 0 ] || fail "hotplug-umockdev exited $rc"

expect() {
	grep -Eq -- "$1" "$T/out" || fail "no line matching /$1/"
}
count() {
	n=$(grep -Ec -- "$1" "$T/out")
	[ "$n" = "$2" ] || fail "$n lines match /$1/, expected $2"
}

count '^event ' 7
expect '^event arrived usb1 1d6b:0002 class 09 ifs 09 reader=0 breach=0 '
echo "ok 0 - the root hub present at the start is enumerated"

expect '^event arrived 1-3 20a0:4230 class 00 ifs 0b reader=1 breach=0 product="Nitrokey HSM" '
expect '^event left 1-3 20a0:4230 class 00 ifs 0b reader=1 breach=0 product="Nitrokey HSM" '
count '^event (arrived|left) 1-3 ' 2
echo "ok 1 - CCID reader: arrived and left, reader=1, breach=0"

expect '^event arrived 1-2 0b95:1790 class ff ifs ff,02,0a reader=0 breach=1 product="AX88179 Gigabit Ethernet" reason="known network adapter: ASIX AX88179'
expect '^event left 1-2 0b95:1790 .* breach=1 '
count '^event (arrived|left) 1-2 ' 2
echo "ok 2 - USB Ethernet adapter: arrived and left, breach=1"

expect '^event arrived 1-5 0a12:0001 class e0 .*reader=0 breach=1 '
expect '^event left 1-5 0a12:0001 class e0 '
echo "ok 3 - Bluetooth dongle: arrived and left, breach=1"

echo "t-hotplug: all passed"
exit 0
