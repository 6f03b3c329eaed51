#!/bin/sh
# The command, its help, its manual and its build (issue 11 #10-#12):
#   - keyrite --help, -h and `help`, and every command's --help and -h
#     (every command keyrite --help lists): the whole help, on stdout,
#     exit 0, nothing on stderr, lines of at most 80 columns, beginning
#     with the usage line; a bad command line still exits 2 on stderr;
#     keyrite cards --help documents the --pins file;
#   - make install puts the manual under PREFIX/share/man and the guides
#     and examples under PREFIX/share/doc/keyrite; man -M renders
#     keyrite(1), with a subsection for every command, and the three
#     section 5 pages;
#   - a plain make on a machine missing a build package names it and says
#     to run make deps, before any compiler runs;
#   - make deps waits while another apt holds the lock, then installs
#     (apt-get stood in for by a script that logs its arguments: nothing
#     is installed for real).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-install.sh"

# --- help --------------------------------------------------------------
for h in --help -h help; do
	"$KEYRITE" $h > "$T/top.out" 2> "$T/top.err"; rc=$?
	[ $rc = 0 ] || fail "keyrite $h: exit $rc"
	[ -s "$T/top.err" ] && fail "keyrite $h wrote to stderr"
	grep -q "^usage: keyrite" "$T/top.out" || fail "keyrite $h: no usage"
done
CMDS=$(sed -n '/^commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$T/top.out")
[ "$(echo "$CMDS" | wc -w)" -ge 10 ] || fail "keyrite --help lists: $CMDS"
for c in $CMDS; do
	for h in --help -h; do
		"$KEYRITE" $c $h > "$T/$c.out" 2> "$T/$c.err"; rc=$?
		[ $rc = 0 ] || fail "keyrite $c $h: exit $rc"
		[ -s "$T/$c.err" ] && fail "keyrite $c $h wrote to stderr: $(cat "$T/$c.err")"
		head -1 "$T/$c.out" | grep -q "^usage: keyrite $c" ||
		    fail "keyrite $c $h: $(head -1 "$T/$c.out")"
		[ "$(wc -l < "$T/$c.out")" -ge 7 ] ||
		    fail "keyrite $c $h: a one-line help: $(cat "$T/$c.out")"
		awk 'length > 80 { exit 1 }' "$T/$c.out" ||
		    fail "keyrite $c $h: a line over 80 columns"
	done
	"$KEYRITE" help $c | cmp -s - "$T/$c.out" ||
	    fail "keyrite help $c differs from keyrite $c -h"
done
echo "ok: $(echo $CMDS | wc -w) commands: --help, -h and help, on stdout, exit 0"
grep -q "pin.<card label> = <PIN>" "$T/cards.out" &&
    grep -q "pin.<card serial> = <PIN>" "$T/cards.out" ||
    fail "keyrite cards --help does not document the --pins file"
"$KEYRITE" verify > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc = 2 ] && [ ! -s "$T/v.out" ] && grep -q "^usage: keyrite verify" "$T/v.err" ||
    fail "a bad command line: exit $rc, stdout $(cat "$T/v.out")"
"$KEYRITE" no-such-command > /dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "an unknown command: exit $rc"

# --- make install: the manual and the docs ------------------------------
kr_install "$T/prefix"
P="$T/prefix"
for f in man1/keyrite.1 man5/keyrite-ceremony.5 man5/keyrite-policy.5 \
    man5/keyrite-transcript.5; do
	[ -f "$P/share/man/$f" ] || fail "make install: no $P/share/man/$f"
done
for f in operator-guide.md custodian-guide.md administrator-checklist.md \
    transcript-format.md exit-codes.md examples/root-ca-create.answers \
    examples/key-recovery-drill.answers; do
	[ -f "$P/share/doc/keyrite/$f" ] || fail "make install: no doc $f"
done
MANWIDTH=80 MANPAGER=cat man -M "$P/share/man" keyrite > "$T/man.txt" \
    2> "$T/man.err" || { cat "$T/man.err"; fail "man -M ... keyrite"; }
grep -q "^KEYRITE(1)" "$T/man.txt" && grep -q "^EXIT STATUS" "$T/man.txt" ||
    fail "man keyrite did not render: $(head -5 "$T/man.txt")"
for c in $CMDS; do
	case $c in escrow) s="keyrite escrow inspect" ;; *) s="keyrite $c" ;; esac
	grep -q "^   $s\$" "$T/man.txt" || fail "keyrite(1) has no subsection $s"
done
for p in keyrite-ceremony keyrite-policy keyrite-transcript; do
	MANWIDTH=80 MANPAGER=cat man -M "$P/share/man" 5 $p > "$T/$p.txt" \
	    2>&1 || fail "man 5 $p"
	grep -qi "^$p(5)" "$T/$p.txt" || fail "man 5 $p did not render"
done
echo "ok: make install: man -M PREFIX/share/man keyrite renders, with every command"

# --- make: missing packages are named -----------------------------------
if command -v dpkg-query > /dev/null; then
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$KR_TOP" \
	    BUILD="$T/nobuild" BUILD_PKGS="make keyrite-test-missing-pkg" \
	    > "$T/make.out" 2>&1; rc=$?
	cat "$T/make.out"
	[ $rc != 0 ] || fail "make with a package missing succeeded"
	grep -q "^keyrite needs Debian packages that are not installed: keyrite-test-missing-pkg$" \
	    "$T/make.out" && grep -q "run 'make deps'" "$T/make.out" ||
	    fail "the missing package is not named"
	grep -q "  CC " "$T/make.out" && fail "the compiler ran anyway"
	[ -d "$T/nobuild/src" ] && fail "objects were built"
	echo "ok: make names a missing package and says to run make deps"
fi

# --- make deps waits for the apt lock -----------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "not root: make deps only prints the command; the wait is not" \
	    "seen here"
else
	mkdir "$T/bin"
	# apt-get stand-in: "update" fails like apt does while $T/locked
	# exists; every call is logged; nothing is installed.
	cat > "$T/bin/apt-get" <<EOF
#!/bin/sh
echo "\$*" >> "$T/apt.log"
case "\$*" in *update*)
	[ -e "$T/locked" ] || exit 0
	echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
	exit 100 ;;
esac
exit 0
EOF
	chmod +x "$T/bin/apt-get"
	touch "$T/locked"
	PATH="$T/bin:$PATH" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    make -C "$KR_TOP" BUILD="$T/deps" \
	    DEB_PKGS="make keyrite-test-missing-pkg" deps > "$T/deps.out" 2>&1 &
	mpid=$!
	n=0
	until grep -q "apt is busy (held by process 4242 (apt-get)); waiting" \
	    "$T/deps.out" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 600 ] || fail "make deps never waited: $(cat "$T/deps.out")"
		sleep 0.05
	done
	kill -0 $mpid 2>/dev/null || fail "make deps gave up while apt was busy"
	rm "$T/locked"
	wait $mpid; rc=$?
	cat "$T/deps.out"
	[ $rc = 0 ] || fail "make deps: exit $rc once the lock was free"
	grep -q "^install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends *keyrite-test-missing-pkg" \
	    "$T/apt.log" || fail "apt-get install not asked to wait: $(cat "$T/apt.log")"
	[ "$(grep -c update "$T/apt.log")" -ge 2 ] || fail "update not tried again"
	echo "ok: make deps waited for the apt lock, then installed"
fi
echo "cli-help: all checks passed"
