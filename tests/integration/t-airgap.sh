#!/bin/sh
# t-airgap.sh: keyrite airgap-check against real network namespaces.
#
# /sys/class/net shows the network namespace sysfs was mounted in, so each
# case runs in `unshare -n -m` with sysfs mounted afresh: there, only lo
# exists and both of keyrite's sources (getifaddrs and sysfs) see the same
# namespace.  Cases:
#   1. only lo                      -> exit 0, "air-gapped: yes"
#   2. dummy0 added (down)          -> exit 4, names dummy0 in table+verdict
#   3. --json                       -> exit 4, valid JSON naming dummy0
#   4. dummy0 up                    -> exit 4, "(up)"
#   5. new netns, host's sysfs      -> exit 4, host interfaces "seen only in
#                                      /sys/class/net"
#   6. the host itself              -> exit 4, names every non-lo interface
#   7. /sys not mounted             -> exit 1, "scan incomplete": fail closed
#   8. bad argument                 -> exit 2
#   9. interface named with an ANSI escape -> escaped on the terminal,
#      intact in the JSON
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for unshare -n -m and ip link add"
for c in unshare ip python3 mount; do
	command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done
unshare -n -m true 2>/dev/null || skip "unshare -n -m is not permitted here"

T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT
export T KEYRITE

# Expects exit code $2 from the run whose output is $T/$1.out.
expect_rc() {
	rc=$(cat "$T/$1.rc" 2>/dev/null)
	[ "$rc" = "$2" ] || {
		cat "$T/$1.out"
		fail "$1: exit ${rc:-none}, expected $2"
	}
}

# Expects the extended regex $2 in $T/$1.out.
expect_out() {
	grep -Eq -- "$2" "$T/$1.out" || {
		cat "$T/$1.out"
		fail "$1: output lacks /$2/"
	}
}

# Cases 1-4 in one namespace, so that dummy0 persists between them.
unshare -n -m sh -c '
	mount -t sysfs sysfs /sys || exit 90
	"$KEYRITE" airgap-check >"$T/lo.out" 2>&1; echo $? >"$T/lo.rc"
	# The dummy driver may be missing (a kernel without CONFIG_DUMMY);
	# any other link type serves, as long as it is called dummy0.
	if ip link add dummy0 type dummy 2>/dev/null; then
		echo dummy >"$T/linktype"
	elif ip link add dummy0 type bridge 2>/dev/null; then
		echo bridge >"$T/linktype"
	else
		exit 91
	fi
	"$KEYRITE" airgap-check >"$T/dummy.out" 2>&1; echo $? >"$T/dummy.rc"
	"$KEYRITE" airgap-check --json >"$T/json.out" 2>"$T/json.err"
	echo $? >"$T/json.rc"
	ip link set dummy0 up || exit 92
	"$KEYRITE" airgap-check >"$T/up.out" 2>&1; echo $? >"$T/up.rc"
'
case $? in
0)	;;
90)	skip "cannot mount sysfs in a new mount namespace" ;;
91)	skip "cannot create a link named dummy0 (no dummy or bridge driver)" ;;
*)	fail "the namespace script failed (exit $?)" ;;
esac
echo "dummy0 is a $(cat "$T/linktype") link"

# 1. only lo
expect_rc lo 0
expect_out lo '^  ok +lo +(up|down) +getifaddrs\+sysfs +loopback$'
expect_out lo '^air-gapped: yes$'
[ "$(grep -c '^  FAIL' "$T/lo.out")" = 0 ] || fail "lo: a FAIL line"
echo "ok 1 - only lo: exit 0, air-gapped"

# 2. dummy0, down
expect_rc dummy 4
expect_out dummy '^  FAIL +dummy0 +down +getifaddrs\+sysfs +network interface'
expect_out dummy '^  ok +lo '
expect_out dummy '^NOT AIR-GAPPED: interface dummy0$'
expect_out dummy "^  - interface dummy0: .*'ip link delete dummy0'"
grep -q '^air-gapped: yes' "$T/dummy.out" && fail "dummy: says air-gapped"
echo "ok 2 - dummy0: exit 4, named in the table and the verdict"

# 3. --json
expect_rc json 4
python3 -m json.tool "$T/json.out" >/dev/null || fail "json: does not parse"
python3 - "$T/json.out" <<'EOF' || fail "json: wrong content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "keyrite.airgap.v1", r["schema"]
assert r["air_gapped"] is False and r["verdict"] == "not-air-gapped"
assert r["code"] == -300 and r["offenders"] == 1, (r["code"], r["offenders"])
assert r["incomplete"] is None
assert all(r["sources"].values()), r["sources"]
ifs = {i["name"]: i for i in r["interfaces"]}
assert set(ifs) == {"lo", "dummy0"}, set(ifs)
assert ifs["lo"]["ok"] is True and "LOOPBACK" in ifs["lo"]["flags"]
assert ifs["lo"]["type"] == 772
d = ifs["dummy0"]
assert d["ok"] is False and d["state"] == "down", d
assert d["sources"] == ["getifaddrs", "sysfs"], d["sources"]
assert r["radios"] == [] and r["usb"] == []
EOF
[ -s "$T/json.err" ] && { cat "$T/json.err"; fail "json: wrote to stderr"; }
echo "ok 3 - --json: exit 4, parses, names dummy0 as the one offender"

# 4. dummy0, up
expect_rc up 4
expect_out up '^  FAIL +dummy0 +up +getifaddrs\+sysfs +network interface \(up\)'
echo "ok 4 - dummy0 up: exit 4"

# 5. a new network namespace, but the host's /sys/class/net
unshare -n "$KEYRITE" airgap-check >"$T/sysfsonly.out" 2>&1
echo $? >"$T/sysfsonly.rc"
hostifs=$(ls /sys/class/net | grep -vx lo)
if [ -n "$hostifs" ]; then
	expect_rc sysfsonly 4
	for i in $hostifs; do
		expect_out sysfsonly "^  FAIL +$i +(up|down) +sysfs +"
	done
	expect_out sysfsonly 'only in /sys/class/net, i.e. in another network namespace'
	echo "ok 5 - host sysfs in a new netns: exit 4, sysfs-only interfaces"
else
	echo "ok 5 # skip: the host has no interface but lo"
fi

# 6. the host
"$KEYRITE" airgap-check >"$T/host.out" 2>&1
echo $? >"$T/host.rc"
if [ -n "$hostifs" ]; then
	expect_rc host 4
	for i in $hostifs; do
		expect_out host "^  FAIL +$i "
		expect_out host "^NOT AIR-GAPPED: .*interface $i(;|$)"
	done
	echo "ok 6 - host: exit 4, names" $hostifs
else
	echo "ok 6 # skip: the host has no interface but lo"
fi

# 7. no sysfs: the scan is incomplete, and that is not "air-gapped"
unshare -n -m sh -c 'mount -t tmpfs none /sys || exit 90
	"$KEYRITE" airgap-check >"$T/nosys.out" 2>"$T/nosys.err"
	echo $? >"$T/nosys.rc"
	"$KEYRITE" airgap-check --json >"$T/nosys-json.out" 2>/dev/null
	echo $? >"$T/nosys-json.rc"'
expect_rc nosys 1
expect_out nosys '^NOT AIR-GAPPED: the scan is incomplete \(/sys is not mounted'
grep -q '^keyrite: airgap-check: could not complete the air-gap scan: ' \
    "$T/nosys.err" || { cat "$T/nosys.err"; fail "nosys: no error on stderr"; }
expect_rc nosys-json 1
python3 - "$T/nosys-json.out" <<'EOF' || fail "nosys-json: wrong content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["air_gapped"] is False and r["verdict"] == "scan-incomplete", r
assert r["code"] == -303 and r["offenders"] == 0
assert r["sources"]["sysfs"] is False and "/sys" in r["incomplete"]
EOF
echo "ok 7 - no sysfs: exit 1, scan incomplete, not air-gapped"

# 8. usage
"$KEYRITE" airgap-check --bogus >"$T/usage.out" 2>&1
echo $? >"$T/usage.rc"
expect_rc usage 2
expect_out usage '^usage: keyrite airgap-check \[--json\]$'
echo "ok 8 - bad argument: exit 2"

# 9. a hostile interface name (root may name an interface almost anything)
unshare -n -m sh -c 'mount -t sysfs sysfs /sys || exit 90
	ip link add "$(printf "e\033[31mx")" type bridge 2>/dev/null ||
	    ip link add "$(printf "e\033[31mx")" type dummy || exit 91
	"$KEYRITE" airgap-check >"$T/esc.out" 2>&1; echo $? >"$T/esc.rc"
	"$KEYRITE" airgap-check --json >"$T/esc-json.out" 2>/dev/null'
expect_rc esc 4
if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177-\377]')" "$T/esc.out"
then
	fail "esc: control bytes reached the terminal"
fi
expect_out esc '^  FAIL +e\\x1b\[31mx +down '
expect_out esc '^NOT AIR-GAPPED: interface e\\x1b\[31mx$'
python3 - "$T/esc-json.out" <<'EOF' || fail "esc-json: wrong content"
import json, sys
r = json.load(open(sys.argv[1]))
assert [i["name"] for i in r["interfaces"]] == ["e\x1b[31mx", "lo"], r
EOF
echo "ok 9 - interface named with an escape: escaped, intact in JSON"

echo "t-airgap: all passed"
exit 0
