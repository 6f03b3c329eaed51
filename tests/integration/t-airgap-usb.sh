#!/bin/sh
# t-airgap-usb.sh: keyrite airgap-check against fake USB devices and radios.
#
# umockdev-run builds a testbed /sys and /dev from the *.umockdev files in
# fixtures/ (written by fixtures/mkusb-fixtures.py; that script documents
# each device) and preloads a library that shows them to libusb.  getifaddrs
# is not redirected, so every run is inside `unshare -n -m`, where the only
# network interface is lo; /sys/class/net is the testbed's (empty unless a
# fixture adds to it).  Cases:
#   1. USB Ethernet adapter (ASIX AX88179) -> exit 4, named by VID:PID+product
#   2. CCID reader (Nitrokey HSM)          -> listed, accepted, exit 0
#   3. both plugged in                     -> exit 4, only the adapter fails
#   4. Ethernet gadget, not in keyrite's table of adapters -> exit 4 by its
#      classes alone (device class 0x02, CDC ECM, RNDIS)
#   5. Bluetooth dongle with hci0 + rfkill0 -> exit 4, USB and radios named
#   6. PCI Wi-Fi: wlan0 in sysfs, phy0, soft-blocked rfkill1 -> exit 4
#   7. keyboard with hostile strings       -> exit 0; terminal output has no
#      control bytes; JSON parses and keeps the strings
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for unshare -n -m"
for c in unshare umockdev-run python3 mount; do
	command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done
unshare -n -m true 2>/dev/null || skip "unshare -n -m is not permitted here"

FIX=$(cd "$(dirname "$0")/fixtures" && pwd) || fail "no fixtures directory"
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT
export FIX KEYRITE

# umockdev's preload library comes before ASan's runtime in the library
# list; that is harmless here, so let an ASan build run.
ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS

# run NAME ARGS FIXTURE...: keyrite airgap-check ARGS in a testbed holding
# the root hub and FIXTUREs, in a new network namespace; stdout to
# $T/NAME.out, stderr to $T/NAME.err, exit code to $T/NAME.rc.
run() {
	name=$1 args=$2
	shift 2
	devs="-d $FIX/usb-root-hub.umockdev"
	for f in "$@"; do
		devs="$devs -d $FIX/$f.umockdev"
	done
	unshare -n -m sh -c 'mount -t sysfs sysfs /sys || exit 90
		exec umockdev-run '"$devs"' -- \
		    "$KEYRITE" airgap-check '"$args" \
	    >"$T/$name.out" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
	[ "$(cat "$T/$name.rc")" = 90 ] &&
	    skip "cannot mount sysfs in a new mount namespace"
	return 0
}

expect_rc() {
	rc=$(cat "$T/$1.rc")
	[ "$rc" = "$2" ] || {
		cat "$T/$1.out" "$T/$1.err"
		fail "$1: exit $rc, expected $2"
	}
}

expect_out() {
	grep -Eq -- "$2" "$T/$1.out" || {
		cat "$T/$1.out" "$T/$1.err"
		fail "$1: output lacks /$2/"
	}
}

# Runs the python assertions on stdin against the JSON in $T/$1.out.
expect_json() {
	python3 - "$T/$1.out" || {
		cat "$T/$1.out" "$T/$1.err"
		fail "$1: JSON assertions failed"
	}
}

# 1. USB Ethernet adapter
run eth "" usb-ethernet-ax88179
expect_rc eth 4
expect_out eth '^  FAIL +1-2 +0b95:1790 +class ff vendor specific$'
expect_out eth '^        ASIX Elec\. Corp\. AX88179 Gigabit Ethernet, serial 0000249B3F4E$'
expect_out eth '^  ok +usb1 +1d6b:0002 +class 09 hub$'
expect_out eth '^NOT AIR-GAPPED: USB 1-2 0b95:1790 \(ASIX Elec\. Corp\. AX88179 Gigabit Ethernet\)$'
expect_out eth 'known network adapter: ASIX AX88179'
expect_out eth 'interface 0 is class 0x02 communications \(CDC\)'
run eth-json --json usb-ethernet-ax88179
expect_rc eth-json 4
expect_json eth-json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["air_gapped"] is False and r["code"] == -301, r["code"]
assert r["offenders"] == 1 and r["incomplete"] is None
assert [i["name"] for i in r["interfaces"]] == ["lo"]
u = {d["port_path"]: d for d in r["usb"]}
assert set(u) == {"usb1", "1-2"}, set(u)
a = u["1-2"]
assert (a["vid"], a["pid"], a["class"]) == ("0b95", "1790", "ff"), a
assert a["ok"] is False and a["bus"] == 1 and a["ports"] == [2]
assert a["product"] == "AX88179 Gigabit Ethernet", a["product"]
assert a["manufacturer"] == "ASIX Elec. Corp." and a["serial"] == "0000249B3F4E"
assert a["strings_source"] == ["sysfs"] and a["configurations"] == 2
c = sorted({(i["config"], i["number"], i["class"]) for i in a["interfaces"]})
assert c == [(1, 0, "ff"), (2, 0, "02"), (2, 1, "0a")], c
assert u["usb1"]["ok"] is True
EOF
echo "ok 1 - USB Ethernet adapter: exit 4, named 0b95:1790 AX88179"

# 2. CCID reader
run ccid "" usb-ccid-nitrokey-hsm
expect_rc ccid 0
expect_out ccid '^  ok +1-3 +20a0:4230 +class 00 per interface$'
expect_out ccid '^        Nitrokey Nitrokey HSM, serial DENK0100123$'
expect_out ccid '^        interfaces: smart card \(CCID\)$'
expect_out ccid '^air-gapped: yes$'
[ "$(grep -c FAIL "$T/ccid.out")" = 0 ] || fail "ccid: a FAIL line"
run ccid-json --json usb-ccid-nitrokey-hsm
expect_rc ccid-json 0
expect_json ccid-json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["air_gapped"] is True and r["verdict"] == "air-gapped"
assert r["code"] == 0 and r["offenders"] == 0
h = [d for d in r["usb"] if d["vid"] == "20a0" and d["pid"] == "4230"]
assert len(h) == 1 and h[0]["ok"] is True, h
assert h[0]["product"] == "Nitrokey HSM"
assert [i["class"] for i in h[0]["interfaces"]] == ["0b"]
EOF
echo "ok 2 - CCID reader: listed, accepted, exit 0"

# 3. both
run both "" usb-ethernet-ax88179 usb-ccid-nitrokey-hsm
expect_rc both 4
expect_out both '^  FAIL +1-2 +0b95:1790 '
expect_out both '^  ok +1-3 +20a0:4230 '
expect_out both '^NOT AIR-GAPPED: USB 1-2 0b95:1790 \([^)]*\)$'
echo "ok 3 - adapter and reader: exit 4, only the adapter fails"

# 4. Ethernet gadget: classes alone
run gadget "" usb-ethernet-gadget
expect_rc gadget 4
expect_out gadget '^  FAIL +1-4 +0525:a4a2 +class 02 communications \(CDC\)$'
expect_out gadget 'RNDIS/Ethernet Gadget'
expect_out gadget 'device class 0x02'
expect_out gadget 'interface 0 is class 0xef RNDIS'
grep -q 'known network adapter' "$T/gadget.out" && fail "gadget: in the table?"
echo "ok 4 - Ethernet gadget: exit 4 by its classes"

# 5. Bluetooth dongle
run bt "" usb-bluetooth-csr
expect_rc bt 4
expect_out bt '^  FAIL +1-5 +0a12:0001 +class e0 wireless controller$'
expect_out bt 'kernel bound 1-5:1\.0/bluetooth'
expect_out bt '^  FAIL +bluetooth +hci0 +Bluetooth device$'
expect_out bt '^  FAIL +rfkill +rfkill0 +bluetooth radio \(hci0\)$'
expect_out bt '^NOT AIR-GAPPED: USB 1-5 0a12:0001 \(CSR8510 A10\); bluetooth hci0; rfkill rfkill0$'
echo "ok 5 - Bluetooth dongle: exit 4, USB device and radios named"

# 6. PCI Wi-Fi
run wifi "" wifi-pci
expect_rc wifi 4
expect_out wifi '^  FAIL +wlan0 +down +sysfs +wireless network interface'
expect_out wifi '^  FAIL +ieee80211 +phy0 +802\.11 \(Wi-Fi\) radio$'
expect_out wifi '^  FAIL +rfkill +rfkill1 +wlan radio \(phy0\); soft-blocked'
run wifi-json --json wifi-pci
expect_json wifi-json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["code"] == -300 and r["offenders"] == 3, (r["code"], r["offenders"])
w = [i for i in r["interfaces"] if i["name"] == "wlan0"][0]
assert w["wireless"] is True and w["sources"] == ["sysfs"] and not w["ok"]
k = [x for x in r["radios"] if x["name"] == "rfkill1"][0]
assert (k["type"], k["soft_blocked"], k["hard_blocked"]) == ("wlan", True, False)
EOF
echo "ok 6 - PCI Wi-Fi: exit 4, wlan0, phy0 and rfkill1 named"

# 7. hostile strings
run evil "" usb-hostile-strings
expect_rc evil 0
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177\200-\377]')" "$T/evil.out"; then
	fail "evil: control or non-ASCII bytes reached the terminal"
fi
expect_out evil '^        Evil "Corp" \\x5c \\x1b\[31mRED\\x1b\[0m Ger\\xc3\\xa4t \\xc2\\x9b2J'
expect_out evil 'serial S\\x07N\\x091$'
run evil-json --json usb-hostile-strings
expect_rc evil-json 0
if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/evil-json.out"; then
	fail "evil-json: raw control bytes in the JSON"
fi
expect_json evil-json <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
d = [d for d in r["usb"] if d["vid"] == "1234"][0]
assert d["manufacturer"] == 'Evil "Corp" \\ \x1b[31mRED\x1b[0m', d
assert d["product"] == "Ger\u00e4t \u009b2J \ufffd end", d["product"]
assert d["serial"] == "S\x07N\t1", d["serial"]
EOF
echo "ok 7 - hostile strings: escaped on the terminal, intact in JSON"

echo "t-airgap-usb: all passed"
exit 0
