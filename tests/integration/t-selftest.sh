#!/bin/sh
# t-selftest.sh: `keyrite selftest` passes, with a PASS row for every
# algorithm it must test, and exits 0; bad arguments exit 2.  Then, while
# `keyrite selftest --hold` waits on a pipe, the hardened process is checked
# from outside to be non-dumpable:
#   - its /proc/<pid> entries belong to root, not to the user it runs as;
#   - another process of that same user may not read /proc/<pid>/maps;
#   - /proc/<pid>/limits shows a core size limit of 0.
# The first two are compared against a control: a plain `sleep` of the same
# user, whose /proc entries are its own and whose map is readable.  If the
# control does not behave so, the check cannot tell and the test skips.
# As root the processes run as nobody (setpriv), since root may read any
# process's map.  Exit 0 pass, 77 skip (with the reason), 1 fail.
: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "t-selftest: FAIL: $*"; exit 1; }
skip() { echo "t-selftest: SKIP: $*"; exit 77; }

tmp=$(mktemp -d) || fail "mktemp -d failed"
kpid=
cpid=
cleanup() {
	exec 3>&-
	[ -z "$kpid" ] || kill "$kpid" 2>/dev/null
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# has_pass FILE NAME: FILE has a row "  NAME  ...  PASS  detail".
has_pass() {
	awk -v n="$2" 'index($0, "  " n " ") == 1 {
		rest = substr($0, length(n) + 3)
		sub(/^ +/, "", rest)
		if (rest ~ /^PASS /)
			found = 1
	}
	END { exit !found }' "$1"
}

# --- the plain run --------------------------------------------------------

"$KEYRITE" selftest >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out" "$tmp/err"
[ "$rc" = 0 ] || fail "keyrite selftest exited $rc, want 0"
for name in "SHA-256 KAT" "SHA-384 KAT" "HMAC-SHA-256 KAT 1" \
    "HMAC-SHA-256 KAT 2" "AES-256-GCM encrypt KAT" \
    "AES-256-GCM decrypt KAT" "AES-256-GCM tamper check" \
    "ECDSA P-256 sign/verify" "ECDSA P-384 sign/verify" \
    "ECDSA P-521 sign/verify" "Ed25519 sign/verify" "Ed448 sign/verify" \
    "RSA-2048-PSS sign/verify" "RSA-3072-PSS sign/verify" \
    "RSA-4096-PSS sign/verify" \
    "DRBG seeded (RAND_status)" "DRBG health (RAND_bytes)" \
    "getrandom(2) health" "OpenSSL secure heap active" \
    "process hardened" "OpenSSL version"; do
	has_pass "$tmp/out" "$name" || fail "no PASS row for '$name'"
done
grep -q ' FAIL ' "$tmp/out" && fail "a FAIL row in: $(grep ' FAIL ' "$tmp/out")"
grep -q '^selftest: all [0-9]* tests passed$' "$tmp/out" ||
    fail "no 'all tests passed' summary line"

"$KEYRITE" selftest --no-such-option >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "keyrite selftest --no-such-option exited $rc, want 2"
"$KEYRITE" selftest --help >"$tmp/help" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "keyrite selftest --help exited $rc, want 0"
grep -q -- '--hold' "$tmp/help" || fail "--help does not document --hold"

# --- as root: every page keyrite holds is locked ---------------------------
# mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) locks each page as it is
# first touched, so a page that ever held a secret cannot be swapped, while
# library pages keyrite never uses are not made resident.  Every mapping
# with resident pages must therefore carry the "lo" (VM_LOCKED) flag, but
# the kernel's own [vdso] and [vvar], which hold no process data.
# An AddressSanitizer build (SAN=1) skips mlockall by design (its shadow
# memory is terabytes of address space; base/harden.h): there the
# process-hardened row must say so, and make check's build is checked.

if [ "$(id -u)" = 0 ] && [ "${SAN:-}" = 1 ]; then
	why='not all memory locked (skipped under AddressSanitizer)'
	grep '^  process hardened ' "$tmp/out" | grep -qF "$why" ||
	    fail "SAN=1: the process-hardened row does not say: $why"
	echo "t-selftest: SAN=1: mlockall skipped by design; the page-lock" \
	    "check runs in make check"
elif [ "$(id -u)" = 0 ]; then
	mkfifo "$tmp/rin" || fail "mkfifo failed"
	exec 4<>"$tmp/rin"
	"$KEYRITE" selftest --hold <"$tmp/rin" >"$tmp/rhold" 2>&1 4>&- &
	rpid=$!
	until grep -q '^selftest: holding' "$tmp/rhold" 2>/dev/null; do
		kill -0 "$rpid" 2>/dev/null || fail "keyrite selftest --hold" \
		    "as root exited early: $(tail -1 "$tmp/rhold")"
		sleep 0.1
	done
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / { name = $6 ? $6 : "[anon]" }
	/^Rss:/ { rss = $2 }
	/^VmFlags:/ {
		if (rss > 0 && name != "[vdso]" && name != "[vvar]") {
			resident++
			if ($0 ~ / lo( |$)/) locked++
			else print "not locked: " name " (" rss " kB)"
		}
	}
	END { printf "%d mappings with resident pages, %d locked\n",
	    resident, locked; exit !(resident > 0 && resident == locked) }
	' "/proc/$rpid/smaps" >"$tmp/locked" || {
		cat "$tmp/locked"
		fail "keyrite as root has resident pages that are not locked"
	}
	cat "$tmp/locked"
	grep -E '^(VmRSS|VmLck):' "/proc/$rpid/status"
	exec 4>&-
	wait "$rpid" || fail "keyrite selftest --hold as root failed"
fi

# --- the held, hardened process seen from outside -------------------------

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null 2>&1 ||
	    skip "setpriv not found; as root the check needs another uid"
	as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	uid=65534
	$as true 2>/dev/null || skip "setpriv cannot switch to uid 65534"
	# nobody must be able to execute the binary wherever it lives.
	chmod 755 "$tmp"
	cp "$KEYRITE" "$tmp/keyrite" && chmod 755 "$tmp/keyrite" ||
	    fail "cannot copy $KEYRITE"
	bin=$tmp/keyrite
else
	as=
	uid=$(id -u)
	bin=$KEYRITE
fi

mkfifo "$tmp/in" || fail "mkfifo failed"
exec 3<>"$tmp/in"		# holds the write end open: no EOF yet
$as "$bin" selftest --hold <"$tmp/in" >"$tmp/hold" 2>&1 3>&- &
kpid=$!
$as sleep 600 </dev/null >/dev/null 2>&1 3>&- &
cpid=$!

i=0
until grep -q '^selftest: holding' "$tmp/hold" 2>/dev/null; do
	kill -0 "$kpid" 2>/dev/null ||
	    fail "keyrite selftest --hold exited early: $(tail -1 "$tmp/hold")"
	i=$((i + 1))
	[ "$i" -le 600 ] ||
	    fail "keyrite selftest --hold did not hold within 60s"
	sleep 0.1
done
cat "$tmp/hold"
grep -q "(pid $kpid)" "$tmp/hold" ||
    fail "held process is not pid $kpid: $(tail -1 "$tmp/hold")"
has_pass "$tmp/hold" "process hardened" ||
    fail "--hold run has no PASS row for 'process hardened'"

echo "keyrite (pid $kpid):"
grep -E '^(Name|State|Uid|Gid|CapEff):' "/proc/$kpid/status"
ls -ln "/proc/$kpid/status" "/proc/$kpid/maps"
echo "control sleep (pid $cpid):"
ls -ln "/proc/$cpid/status" "/proc/$cpid/maps"

kuid=$(awk '/^Uid:/ { print $2 }' "/proc/$kpid/status")
[ "$kuid" = "$uid" ] || fail "keyrite runs as uid $kuid, want $uid"

cowner=$(stat -c %u "/proc/$cpid/status")
[ "$cowner" = "$uid" ] || skip "control: /proc/$cpid/status of a plain" \
    "uid $uid process is owned by $cowner, so ownership cannot tell"
kowner=$(stat -c %u "/proc/$kpid/status")
[ "$kowner" != "$uid" ] ||
    fail "/proc/$kpid/status is owned by uid $uid: keyrite is dumpable"

$as cat "/proc/$cpid/maps" >/dev/null 2>&1 || skip "control: uid $uid" \
    "cannot read its own plain process's maps, so readability cannot tell"
if $as cat "/proc/$kpid/maps" >/dev/null 2>"$tmp/maps.err"; then
	fail "uid $uid can read /proc/$kpid/maps of its keyrite: dumpable"
fi
echo "uid $uid reading /proc/$kpid/maps: $(cat "$tmp/maps.err")"

core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$kpid/limits")
[ "$core" = "0 0" ] ||
    fail "keyrite's core size limit is '$core', want '0 0'"

exec 3>&-			# EOF: keyrite finishes
wait "$kpid"
rc=$?
kpid=
first=$(grep -m1 ' FAIL ' "$tmp/hold" | sed 's/  */ /g')
[ "$rc" = 0 ] || fail "keyrite selftest --hold as uid $uid exited $rc," \
    "want 0; first failure:$first"
echo "t-selftest: pass"
exit 0
