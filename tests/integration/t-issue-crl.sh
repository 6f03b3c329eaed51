#!/bin/sh
# root-ca-issue-crl end to end, in batch with
# docs/examples/root-ca-issue-crl.answers as it is, on a rehearsal root
# (3-of-5 SoftHSM2 cards) that has signed an intermediate:
#   - CRL 1 revokes the intermediate: `openssl crl -verify` passes and
#     `openssl verify -crl_check` reports the intermediate revoked; the
#     DER and the PEM are the same CRL;
#   - CRL 2 continues it: number 2, every entry of CRL 1 carried with its
#     date and reason, one more added;
#   - CRL 3 is the periodic re-issue: no revocation list, the same
#     entries, number 3; a first CRL with nothing to revoke is number 1
#     and empty;
#   - the transcript records the number, the serials added and the
#     CRL's SHA-256 as sha256sum computes it;
#   - bad input, refused before any work with the file:line or the field
#     named and nothing written: a duplicate serial, an unknown reason, a
#     non-numeric serial, a serial revoked already, a previous CRL signed
#     by another root, nextUpdate beyond the policy.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"

root_setup
R="$T/media/root-ca.pem"
root_copy "$T/fresh"

# An intermediate to revoke.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/int.key" -subj "/O=Example/CN=Example Issuing CA" \
    -out "$T/media/intermediate.csr" 2>/dev/null || fail "openssl req"
run_use root-ca-sign-intermediate --media "$T/media"
[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "sign"; }
I=$(ls "$T/media"/intermediate-*.pem)
IS=$(openssl x509 -in "$I" -noout -serial | cut -d= -f2 | tr A-F a-f)
openssl verify -crl_check -CAfile "$R" "$I" >/dev/null 2>&1 &&
    fail "verify -crl_check passed without a CRL"

# --- CRL 1 ------------------------------------------------------------------
cat > "$T/media/revoke1.txt" <<EOF
# The issuing CA's key was found on a laptop.
$IS  keyCompromise
7a2c09  superseded  2026-01-15   # an older cross-certificate
EOF
run_use root-ca-issue-crl --media "$T/media" --set revocations=revoke1.txt \
    --set next_update_days=30
cat "$T/root-ca-issue-crl.out"
[ $rc = 0 ] || fail "CRL 1 exit $rc"
C1="$T/media/root-ca-crl-1.crl" P1="$T/media/root-ca-crl-1.pem"
[ -f "$C1" ] && [ -f "$P1" ] || fail "CRL 1 outputs missing"
TR1=$(sed -n 's/^transcript: //p' "$T/root-ca-issue-crl.out")
openssl crl -in "$P1" -CAfile "$R" -noout -verify 2>&1 | tee "$T/v1.out"
grep -q "verify OK" "$T/v1.out" || fail "openssl crl -verify (PEM)"
openssl crl -in "$C1" -inform DER -CAfile "$R" -noout -verify 2>&1 |
    grep -q "verify OK" || fail "openssl crl -verify (DER)"
openssl crl -in "$C1" -inform DER -outform PEM | cmp -s - "$P1" ||
    fail "the DER and the PEM are not the same CRL"
if openssl verify -crl_check -CAfile "$R" -CRLfile "$P1" "$I" \
    > "$T/crlcheck.out" 2>&1; then
	fail "the revoked intermediate verified"
fi
cat "$T/crlcheck.out"
grep -q "certificate revoked" "$T/crlcheck.out" ||
    fail "openssl does not report the intermediate revoked"
openssl crl -in "$P1" -noout -text > "$T/crl1.txt"
grep -A1 "CRL Number" "$T/crl1.txt" | grep -q "^ *1$" || fail "number 1"
grep -q "Authority Key Identifier" "$T/crl1.txt" || fail "no AKI"
[ "$(grep -c "Serial Number:" "$T/crl1.txt")" = 2 ] || fail "2 entries"
grep -A4 "Serial Number: 7A2C09" "$T/crl1.txt" | grep -q "Jan 15 00:00:00 2026" ||
    fail "the revocation date is not the one listed"
grep -A4 "Serial Number: 7A2C09" "$T/crl1.txt" | grep -q "Superseded" ||
    fail "reason superseded"
crl_sha=$(sha256sum "$C1" | cut -c1-64)
grep " crl-issued engine " "$TR1" | grep " number=1 " |
    grep " sha256=$crl_sha " | grep -q "added-serials=.*$IS:keyCompromise" ||
    fail "crl-issued does not record number, serials, SHA-256"
grep -q " crl-confirmed administrator " "$TR1" || fail "no crl-confirmed"
"$KEYRITE" verify "$TR1" --cert "$R" >/dev/null || fail "keyrite verify"

# --- CRL 2 continues CRL 1 --------------------------------------------------
printf '00c0ffee cessationOfOperation\n' > "$T/media/revoke2.txt"
run_use root-ca-issue-crl --media "$T/media" --set previous_crl=root-ca-crl-1.crl \
    --set revocations=revoke2.txt
[ $rc = 0 ] || { cat "$T/root-ca-issue-crl.out"; fail "CRL 2 exit $rc"; }
P2="$T/media/root-ca-crl-2.pem"
openssl crl -in "$P2" -CAfile "$R" -noout -verify 2>&1 | grep -q "verify OK" ||
    fail "CRL 2 does not verify"
openssl crl -in "$P2" -noout -text > "$T/crl2.txt"
grep -A1 "CRL Number" "$T/crl2.txt" | grep -q "^ *2$" || fail "number 2"
[ "$(grep -c "Serial Number:" "$T/crl2.txt")" = 3 ] || fail "3 entries"
# Every entry of CRL 1 is in CRL 2 as it was: serial, date, reason.
sed -n '/Revoked Certificates/,/Signature Algorithm/p' "$T/crl1.txt" |
    grep -v "Signature Algorithm" > "$T/e1"
sed -n '/Revoked Certificates/,/Signature Algorithm/p' "$T/crl2.txt" |
    grep -v "Signature Algorithm" > "$T/e2"
for s in $(grep "Serial Number" "$T/e1" | awk '{print $3}'); do
	grep -A4 "Serial Number: $s" "$T/e1" > "$T/a"
	grep -A4 "Serial Number: $s" "$T/e2" > "$T/b"
	cmp -s "$T/a" "$T/b" || { diff "$T/a" "$T/b"; fail "$s changed"; }
done
openssl verify -crl_check -CAfile "$R" -CRLfile "$P2" "$I" 2>&1 |
    grep -q "certificate revoked" || fail "CRL 2 lost the intermediate"

# --- CRL 3: the periodic re-issue -------------------------------------------
run_use root-ca-issue-crl --media "$T/media" --set previous_crl=root-ca-crl-2.pem
[ $rc = 0 ] || { cat "$T/root-ca-issue-crl.out"; fail "CRL 3 exit $rc"; }
openssl crl -in "$T/media/root-ca-crl-3.pem" -noout -text > "$T/crl3.txt"
grep -A1 "CRL Number" "$T/crl3.txt" | grep -q "^ *3$" || fail "number 3"
[ "$(grep -c "Serial Number:" "$T/crl3.txt")" = 3 ] || fail "CRL 3: 3 entries"
TR3=$(sed -n 's/^transcript: //p' "$T/root-ca-issue-crl.out")
grep -q " crl-planned .* added=0 added-serials=none " "$TR3" ||
    fail "re-issue not recorded as adding nothing"

# A first CRL that revokes nothing.
run_use root-ca-issue-crl --media "$T/fresh"
[ $rc = 0 ] || { cat "$T/root-ca-issue-crl.out"; fail "empty CRL exit $rc"; }
openssl crl -in "$T/fresh/root-ca-crl-1.pem" -CAfile "$R" -noout -verify \
    -text > "$T/empty.txt" 2>&1
grep -q "verify OK" "$T/empty.txt" && grep -q "No Revoked Certificates" \
    "$T/empty.txt" || { cat "$T/empty.txt"; fail "empty CRL"; }

# --- bad input --------------------------------------------------------------
bad() { # bad GREP --set ...
	_g=$1
	shift
	snap_media "$T/media"
	run_use root-ca-issue-crl --media "$T/media" "$@"
	cat "$T/root-ca-issue-crl.out"
	refused_before_work "$T/root-ca-issue-crl.out" "$T/media"
	grep -q -- "$_g" "$T/root-ca-issue-crl.out" ||
	    fail "the message does not say '$_g'"
}
printf '0a01 keyCompromise\n# again\n0A01 superseded\n' > "$T/media/dup.txt"
bad "dup.txt:3: serial 0a01 is listed already on line 1" \
    --set previous_crl=root-ca-crl-3.crl --set revocations=dup.txt
printf '0a02 stolen\n' > "$T/media/reason.txt"
bad "reason.txt:1: unknown reason 'stolen'" \
    --set previous_crl=root-ca-crl-3.crl --set revocations=reason.txt
printf '12zz keyCompromise\n' > "$T/media/nonhex.txt"
bad "nonhex.txt:1: serial '12zz' is not a hexadecimal number" \
    --set previous_crl=root-ca-crl-3.crl --set revocations=nonhex.txt
printf '%s keyCompromise\n' "$IS" > "$T/media/again.txt"
bad "again.txt:1: serial $IS is revoked already" \
    --set previous_crl=root-ca-crl-3.crl --set revocations=again.txt
printf '0a03 certificateHold\n' > "$T/media/hold.txt"
bad "hold.txt:1: serial 0a03: reason certificateHold" \
    --set previous_crl=root-ca-crl-3.crl --set revocations=hold.txt
bad "next_update_days 366 is outside 1..365" \
    --set previous_crl=root-ca-crl-3.crl --set next_update_days=366
# A previous CRL of another root, however well formed.
mkdir -p "$T/other"
"$KEYRITE" rehearsal-cards --dir "$T/cards2" --count 5 >/dev/null
( . "$T/cards2/env" && "$KEYRITE" run "$S/root-ca-create.ceremony" \
    --media "$T/other" --answers "$T/create.txt" --rehearsal \
    --set threshold=3 --set shares=5 >/dev/null 2>&1 &&
  "$KEYRITE" run "$S/root-ca-issue-crl.ceremony" --rehearsal \
    --media "$T/other" --answers "$EX/root-ca-issue-crl.answers" \
    > "$T/other.out" 2>&1 ) || { cat "$T/other.out"; fail "other root's CRL"; }
cp "$T/other/root-ca-crl-1.crl" "$T/media/foreign.crl"
bad "foreign.crl: its signature does not verify under the root's key" \
    --set previous_crl=foreign.crl
printf 'not a CRL\n' > "$T/media/junk.crl"
bad "junk.crl: not a CRL" --set previous_crl=junk.crl
# The next number's file exists already: refused before any card.
bad "root-ca-crl-3.crl" --set previous_crl=root-ca-crl-2.crl
echo "PASS: t-issue-crl"
