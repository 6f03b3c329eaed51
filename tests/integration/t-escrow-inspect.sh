#!/bin/sh
# keyrite escrow inspect: shows the metadata, checks structure, names the
# line of a damaged package, and agrees with the by-hand check of
# docs/formats.md (sha256sum and openssl over the public-key field).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
MK="$KR_TOP/$BUILD/helpers/mkescrow"

"$MK" "$T" ecdsa-p384 3 5 || fail "mkescrow"
out=$("$KEYRITE" escrow inspect "$T/test.escrow"); rc=$?
echo "$out"
[ $rc = 0 ] || fail "inspect exit $rc"
echo "$out" | grep -q "quorum *3 of 5 custodians" || fail "quorum not shown"
echo "$out" | grep -q "ecdsa-p384" || fail "algorithm not shown"
for x in 1 2 3 4 5; do
	echo "$out" | grep -q "card custodian-$x, serial" ||
	    fail "custodian $x not listed"
done
[ "$(echo "$out" | grep -c 'commitment [0-9a-f]\{64\}$')" = 5 ] ||
    fail "5 commitments not shown"

# The by-hand check from docs/formats.md.
sed -n '/^public-key: /,/^created: /p' "$T/test.escrow" | sed '$d' |
    sed 's/^public-key: //; s/^ //' | tr -d '\n' | base64 -d > "$T/spki.der" ||
    fail "extracting the public key by hand"
byhand=$(sha256sum < "$T/spki.der" | cut -c1-64)
grep -q "^key-id: $byhand\$" "$T/test.escrow" || fail "key-id is not sha256(spki)"
grouped=$(echo "$byhand" | sed 's/..../& /g; s/ $//')
echo "$out" | grep -q "key id *$grouped" || fail "inspect shows another key id"
openssl pkey -pubin -inform DER -in "$T/spki.der" -noout -text |
    grep -q "NIST CURVE: P-384" || fail "openssl does not read a P-384 key"

# A damaged copy: the line is named and the exit code is 5.
sed 's/^threshold: 3$/threshold: 9/' "$T/test.escrow" > "$T/bad1.escrow"
out=$("$KEYRITE" escrow inspect "$T/bad1.escrow" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "threshold > shares: exit $rc, want 5"
echo "$out" | grep -q "bad1.escrow line 12: shares: 5 is fewer than the threshold 9" ||
    fail "line 12 (shares, after the two cryptoperiod lines) not named"

sed 's/^key-id: \(.\)/key-id: 0\1/; s/^key-id: \(.\{64\}\)./key-id: \1/' \
    "$T/test.escrow" > "$T/bad2.escrow"
out=$("$KEYRITE" escrow inspect "$T/bad2.escrow" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "altered key-id: exit $rc, want 5"
echo "$out" | grep -q "line" || fail "no line named"

printf 'key-id: x\n' > "$T/bad3.escrow"
out=$("$KEYRITE" escrow inspect "$T/bad3.escrow" 2>&1); rc=$?
[ $rc = 5 ] || fail "not a package: exit $rc"
echo "$out" | grep -q "not a keyrite escrow package" || fail "$out"

"$KEYRITE" escrow inspect "$T/missing.escrow" 2>"$T/err"; rc=$?
[ $rc = 1 ] || fail "missing file: exit $rc, want 1"
grep -q "missing.escrow" "$T/err" || fail "missing file not named"
"$KEYRITE" escrow inspect 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "no argument: exit $rc, want 2"
echo "escrow inspect: all checks passed"
