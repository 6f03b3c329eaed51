#!/bin/sh
# t-rehearsal-cards.sh: keyrite rehearsal-cards makes SoftHSM2 custodian
# cards that an outside tool (OpenSC's pkcs11-tool) sees and logs in to.
#   1. --count 5 into a new directory: exit 0; DIR/env, DIR/README,
#      DIR/softhsm2.conf and DIR/tokens exist; the table names the cards
#   2. with DIR/env sourced, pkcs11-tool -L lists custodian-1 .. custodian-5
#      (and nothing else initialised)
#   3. pkcs11-tool logs in to custodian-3 with PIN 123403 and lists its
#      objects; PIN 123404 is refused on it
#   4. a second run into the same DIR refuses (exit 1, "not empty") and
#      changes nothing (same file list, same bytes, same mtimes)
#   5. bad arguments: --count 0 / 33 / x and a missing --dir are usage
#      errors (exit 2); a non-SoftHSM2 module is refused before any token
#      is touched, and the directory it made is removed again
#   6. an existing empty directory is accepted; a file named DIR is refused
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

MOD=/usr/lib/softhsm/libsofthsm2.so
[ -r "$MOD" ] || skip "SoftHSM2 is not installed ($MOD; package softhsm2)"
command -v pkcs11-tool >/dev/null 2>&1 ||
    skip "pkcs11-tool is not installed (package opensc)"
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT
unset SOFTHSM2_CONF KEYRITE_PKCS11_MODULE

# 1. five cards
D="$T/cards"
"$KEYRITE" rehearsal-cards --dir "$D" --count 5 >"$T/1.out" 2>"$T/1.err"
rc=$?
[ "$rc" = 0 ] || { cat "$T/1.out" "$T/1.err"; fail "rehearsal-cards exited $rc"; }
cat "$T/1.out"
for f in env README softhsm2.conf tokens; do
	[ -e "$D/$f" ] || fail "$D/$f was not made"
done
for i in 1 2 3 4 5; do
	grep -Eq "^  custodian-$i +[0-9a-f]{16} +12340$i\$" "$T/1.out" ||
	    fail "the table lacks custodian-$i with PIN 12340$i"
done
grep -q "^    \. $D/env\$" "$T/1.out" || fail "no '. $D/env' instruction"
grep -q 'REHEARSAL ONLY' "$D/README" || fail "README lacks the warning"
grep -q '^custodian-3 .* 123403$' "$D/README" || fail "README lacks PINs"
echo "ok 1 - five cards made; table, README, env"

# 2. pkcs11-tool sees them
(. "$D/env"; [ "$KEYRITE_PKCS11_MODULE" = "$MOD" ] || exit 3
 [ "$SOFTHSM2_CONF" = "$D/softhsm2.conf" ] || exit 4
 pkcs11-tool --module "$KEYRITE_PKCS11_MODULE" -L) >"$T/2.out" 2>&1 ||
    { cat "$T/2.out"; fail "pkcs11-tool -L with DIR/env failed"; }
labels=$(sed -n 's/^ *token label *: *//p' "$T/2.out" | grep -v '^$' |
    sort | tr '\n' ' ')
[ "$labels" = "custodian-1 custodian-2 custodian-3 custodian-4 custodian-5 " ] ||
    { cat "$T/2.out"; fail "pkcs11-tool lists '$labels'"; }
echo "ok 2 - pkcs11-tool -L lists custodian-1 .. custodian-5"

# 3. log in to custodian-3 with its rehearsal PIN
(. "$D/env"; pkcs11-tool --module "$KEYRITE_PKCS11_MODULE" \
    --token-label custodian-3 --login --pin 123403 --list-objects) \
    >"$T/3.out" 2>&1 || { cat "$T/3.out"; fail "login to custodian-3"; }
if (. "$D/env"; pkcs11-tool --module "$KEYRITE_PKCS11_MODULE" \
    --token-label custodian-3 --login --pin 123404 --list-objects) \
    >"$T/3b.out" 2>&1; then
	fail "custodian-3 accepted custodian-4's PIN"
fi
grep -q CKR_PIN_INCORRECT "$T/3b.out" ||
    { cat "$T/3b.out"; fail "wrong PIN: not CKR_PIN_INCORRECT"; }
echo "ok 3 - custodian-3 logs in with 123403, refuses 123404"

# 4. a second run refuses and changes nothing
snap() { (cd "$D" && find . -printf '%p %s %T@ %m\n' | sort &&
    find . -type f -exec sha256sum {} + | sort); }
snap >"$T/before"
"$KEYRITE" rehearsal-cards --dir "$D" --count 5 >"$T/4.out" 2>"$T/4.err"
rc=$?
cat "$T/4.out" "$T/4.err"
[ "$rc" = 1 ] || fail "second run exited $rc, expected 1"
grep -q "is not empty" "$T/4.err" || fail "second run: no 'is not empty'"
snap >"$T/after"
cmp -s "$T/before" "$T/after" ||
    { diff "$T/before" "$T/after"; fail "second run changed $D"; }
echo "ok 4 - second run into the same directory refuses, changes nothing"

# 5. bad arguments
usage() {
	"$KEYRITE" rehearsal-cards "$@" >"$T/5.out" 2>&1
	rc=$?
	[ "$rc" = 2 ] || { cat "$T/5.out"; fail "'$*' exited $rc, not 2"; }
}
usage --dir "$T/x" --count 0
usage --dir "$T/x" --count 33
usage --dir "$T/x" --count x
usage --count 3
usage --dir "$T/x" --count 3 extra
[ -e "$T/x" ] && fail "a usage error created $T/x"
OPENSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
if [ -r "$OPENSC" ]; then
	"$KEYRITE" rehearsal-cards --dir "$T/o" --count 1 --module "$OPENSC" \
	    >"$T/5o.out" 2>&1 && fail "OpenSC module accepted"
	grep -q "not SoftHSM2" "$T/5o.out" ||
	    { cat "$T/5o.out"; fail "OpenSC refusal does not say why"; }
	[ -e "$T/o" ] && fail "the OpenSC refusal left $T/o behind"
fi
echo "ok 5 - bad counts and arguments are usage errors; OpenSC refused"

# 6. empty directory accepted, a file refused
mkdir "$T/empty"
"$KEYRITE" rehearsal-cards --dir "$T/empty" --count 1 >"$T/6.out" 2>&1 ||
    { cat "$T/6.out"; fail "an empty directory was refused"; }
grep -Eq '^  custodian-1 +[0-9a-f]{16} +123401$' "$T/6.out" ||
    fail "one card into an empty directory"
: >"$T/file"
"$KEYRITE" rehearsal-cards --dir "$T/file" --count 1 >"$T/6b.out" 2>&1 &&
    fail "a file was accepted as the directory"
grep -q "is not a directory" "$T/6b.out" ||
    { cat "$T/6b.out"; fail "file refusal does not say why"; }
[ -s "$T/file" ] && fail "the file was written to"
echo "ok 6 - empty directory accepted; a file refused"

echo "t-rehearsal-cards: all passed"
exit 0
