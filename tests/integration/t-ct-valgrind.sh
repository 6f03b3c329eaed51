#!/bin/sh
# Shamir split and combine are constant time in every secret: under
# valgrind's memcheck, with the secret, the generator's output and the shares
# marked undefined (tests/ct/ct_shamir.c), there must be no report of a
# branch or an address that depends on them.  And the check must be able to
# fail: the same harness linked with a table-based multiply must be flagged.
#
# Env: BUILD (build directory, relative to the repository root), SAN.
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.
cd "$(dirname "$0")/../.." || exit 1
: "${BUILD:=build}"

if [ "$SAN" = 1 ]; then
	echo "skip: valgrind cannot run AddressSanitizer binaries (SAN=1); 'make check' runs this test"
	exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "skip: valgrind is not installed ('make deps' installs it)"
	exit 77
fi

good="$BUILD/ct/ct_shamir"
bad="$BUILD/ct/ct_shamir_tablemul"
for b in "$good" "$bad"; do
	if [ ! -x "$b" ]; then
		echo "FAIL: $b is missing (make test builds it via TEST_EXTRA)"
		exit 1
	fi
done
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

# Prints the number of secret-dependent branch/address reports in log $1.
reports() {
	grep -c -e 'Conditional jump or move depends on uninitialised value' \
	    -e 'Use of uninitialised value' "$1"
}

run() {
	valgrind --tool=memcheck --error-exitcode=99 --track-origins=yes \
	    --num-callers=20 --log-file="$2" "$1" >"$2.out" 2>&1
}

rc=0
run "$good" "$logdir/ct-valgrind-good.log" || rc=$?
n=$(reports "$logdir/ct-valgrind-good.log")
cat "$logdir/ct-valgrind-good.log.out"
echo "constant-time build: $n report(s), valgrind exit $rc"
if ! grep -q 'ok, under valgrind' "$logdir/ct-valgrind-good.log.out"; then
	echo "FAIL: the harness did not finish its splits and combines under valgrind"
	exit 1
fi
if [ "$n" != 0 ] || [ "$rc" != 0 ]; then
	grep -A12 -e 'Conditional jump' -e 'Use of uninitialised' \
	    "$logdir/ct-valgrind-good.log" | head -60
	echo "FAIL: split/combine depend on a secret (log: $logdir/ct-valgrind-good.log)"
	exit 1
fi

rc=0
run "$bad" "$logdir/ct-valgrind-tablemul.log" || rc=$?
n=$(reports "$logdir/ct-valgrind-tablemul.log")
echo "table-multiply build: $n report(s), valgrind exit $rc"
if [ "$n" = 0 ]; then
	echo "FAIL: valgrind did not flag the table-based multiply: the check above proves nothing"
	exit 1
fi
for f in kr_shamir_split kr_shamir_combine; do
	if ! grep -q "$f" "$logdir/ct-valgrind-tablemul.log"; then
		echo "FAIL: valgrind did not flag $f in the table-multiply build: the check does not cover it"
		exit 1
	fi
done
grep -m2 -A4 -e 'Conditional jump' -e 'Use of uninitialised' \
    "$logdir/ct-valgrind-tablemul.log" | sed 's/^==[0-9]*== /  /'
echo "pass: 0 reports for keyrite's Shamir, $n for the table multiply"
exit 0
