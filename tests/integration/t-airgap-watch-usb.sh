#!/bin/sh
# t-airgap-watch-usb.sh: a USB network adapter plugged in during a
# ceremony aborts it; a card reader does not.
#
# $BUILD/helpers/watch-usb-umockdev (tests/helpers/watch-usb-umockdev.c)
# runs root-ca-create in rehearsal under umockdev-wrapper, in a network
# namespace with only lo, with a root hub in the testbed: the air-gap
# check passes, so the watch is enforced.  At step 4 (before the key is
# made) it plugs in a CCID reader (Nitrokey HSM) and calls the prompt's
# watch for 300 ms, which must keep saying 0, then an ASIX AX88179 USB
# Ethernet adapter, and calls the watch until it fails.  Checks: the watch
# and the run fail with KR_ERR_AIRGAP_BREACHED (-304), the transcript
# names the adapter (port, ids, classes, why) and not the reader, and the
# last record is the abort with reason=airgap-breached.
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${BUILD:?BUILD must name the build directory}"
: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v umockdev-wrapper >/dev/null 2>&1 ||
    skip "umockdev-wrapper is not installed (package umockdev)"
[ "$(id -u)" = 0 ] || skip "needs root for unshare -n"
unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
HELPER="$BUILD/helpers/watch-usb-umockdev"
[ -x "$HELPER" ] || fail "$HELPER is not built"
FIX=$(cd "$(dirname "$0")/fixtures" && pwd) || fail "no fixtures directory"
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT

ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
mkdir "$T/media"

unshare -n umockdev-wrapper "$HELPER" -t 5000 \
    "$KR_TOP/ceremony-scripts/root-ca-create.ceremony" "$T/media" \
    "$FIX/usb-root-hub.umockdev" "$FIX/usb-ccid-nitrokey-hsm.umockdev" \
    "$FIX/usb-ethernet-ax88179.umockdev" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
[ "$rc" = 77 ] && skip "$(grep SKIP "$T/out" | tail -1)"
[ "$rc" = 0 ] || fail "watch-usb-umockdev exited $rc"

grep -Eq '^reader: 0 after [0-9]+ looks$' "$T/out" ||
    fail "the card reader upset the watch"
grep -Eq '^netdev: -304 after [0-9]+ looks: USB device 1-2 0b95:1790 \(AX88179 Gigabit Ethernet\) was plugged in \(known network adapter' \
    "$T/out" || fail "the watch did not name the adapter"
grep -q '^run: -304 ' "$T/out" || fail "the run did not end with -304"
TR=$(sed -n 's/^transcript: //p' "$T/out")
[ -f "$TR" ] || fail "no transcript"
grep -q " airgap-watch-started engine on-change=abort .* usb=hotplug " "$TR" ||
    fail "the watch did not start with USB hot-plug"
grep -q " airgap-breached engine usb=1-2 id=0b95:1790 class=ff interface-classes=ff,02,0a reason=known%20network%20adapter" "$TR" ||
    fail "the adapter is not named in the transcript"
grep -q "product=AX88179%20Gigabit%20Ethernet serial=0000249B3F4E " "$TR" ||
    fail "the adapter's strings are not recorded"
grep -q "20a0:4230" "$TR" && fail "the card reader was recorded as a change"
tail -1 "$TR" | grep -q " ceremony-aborted engine .* code=-304 .* reason=airgap-breached chain=" ||
    fail "last record: $(tail -1 "$TR")"
grep -q " key-generated " "$TR" && fail "the key was generated after the breach"
echo "t-airgap-watch-usb: all passed"
