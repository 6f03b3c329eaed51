#!/bin/sh
# A root rollover, the whole sequence of docs/operator-guide.md ("Root
# rollover"), on one medium and the same five rehearsal cards, every
# ceremony given the previous one's transcript (--previous) so that the
# transcripts chain:
#   0. root-ca-create            the old root R1 (pathLen 2)
#   1. root-ca-sign-intermediate R1 certifies the issuing CA I (old)
#   2. root-ca-create            the new root R2, root-ca-g2.pem/.escrow
#   3. root-ca-cross-sign        R1 cross-certifies R2 (new-by-old)
#   4. root-ca-cross-sign        R2 cross-certifies R1 (old-by-new)
#   5. root-ca-sign-intermediate R2 re-issues I from the same request
# Then: each transcript's previous-transcript-sha256 is sha256sum of the
# one before and keyrite verify accepts each under its root; and outside
# verifiers (openssl verify -x509_strict -partial_chain, certtool) show
# that an old client (R1 only) accepts a leaf under the re-issued I
# through cross(R2 by R1), a new client (R2 only) accepts it directly,
# and a new client accepts a chain that still carries the old I through
# cross(R1 by R2).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"
command -v certtool >/dev/null || fail "certtool missing (make deps)"

M_=$T/media
step_tr() { # step_tr OUT: the transcript a run printed
	sed -n 's/^transcript: //p' "$1"
}

# 0. The old root.
root_setup --set validity_days=3650 --set path_length=2
R1="$M_/root-ca.pem"
TR0=$CREATE_TR

# 1. The old root certifies the issuing CA.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/int.key" -subj "/O=Example/CN=Example Issuing CA" \
    -out "$M_/issuing.csr" 2>/dev/null || fail "openssl req"
run_use root-ca-sign-intermediate --media "$M_" --set csr=issuing.csr \
    --set validity_days=1800 --previous "$TR0"
[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "step 1"; }
I_OLD=$(sed -n 's/^output: \(.*intermediate-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-sign-intermediate.out")
TR1=$(step_tr "$T/root-ca-sign-intermediate.out")

# 2. The new root, on the same medium under names of its own.
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$M_" \
    --answers "$T/create.txt" --rehearsal --set threshold=3 --set shares=5 \
    --set "subject=CN=Example Root CA G2,O=Example" --set path_length=2 \
    --set certificate=root-ca-g2.pem --set escrow=root-ca-g2.escrow \
    --previous "$TR1" > "$T/create2.out" 2>&1 ||
    { cat "$T/create2.out"; fail "step 2"; }
R2="$M_/root-ca-g2.pem"
TR2=$(step_tr "$T/create2.out")

# 3. New-by-old.
run_use root-ca-cross-sign --media "$M_" --set subject_cert=root-ca-g2.pem \
    --set validity_days=1800 --previous "$TR2"
[ $rc = 0 ] || { cat "$T/root-ca-cross-sign.out"; fail "step 3"; }
X21=$(sed -n 's/^output: \(.*cross-.*\.pem\)$/\1/p' "$T/root-ca-cross-sign.out")
TR3=$(step_tr "$T/root-ca-cross-sign.out")

# 4. Old-by-new.
run_use root-ca-cross-sign --media "$M_" --set escrow=root-ca-g2.escrow \
    --set certificate=root-ca-g2.pem --set subject_cert=root-ca.pem \
    --set validity_days=1800 --previous "$TR3"
[ $rc = 0 ] || { cat "$T/root-ca-cross-sign.out"; fail "step 4"; }
X12=$(sed -n 's/^output: \(.*cross-.*\.pem\)$/\1/p' "$T/root-ca-cross-sign.out")
TR4=$(step_tr "$T/root-ca-cross-sign.out")

# 5. The new root re-issues the issuing CA from the same request.
run_use root-ca-sign-intermediate --media "$M_" --set escrow=root-ca-g2.escrow \
    --set certificate=root-ca-g2.pem --set csr=issuing.csr \
    --set validity_days=1800 --previous "$TR4"
[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "step 5"; }
I_NEW=$(sed -n 's/^output: \(.*intermediate-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-sign-intermediate.out")
TR5=$(step_tr "$T/root-ca-sign-intermediate.out")
for f in "$I_OLD" "$X21" "$X12" "$I_NEW"; do
	[ -f "$f" ] || fail "missing output $f"
done

# --- the transcripts chain ----------------------------------------------
echo "== transcripts"
prev=none n=0
for tr in "$TR0" "$TR1" "$TR2" "$TR3" "$TR4" "$TR5"; do
	got=$(sed -n 's/^previous-transcript-sha256: //p' "$tr")
	echo "$n $(basename "$tr") $(sed -n 's/^ceremony: //p' "$tr") previous=$got"
	[ "$got" = "$prev" ] || fail "$tr: previous is $got, want $prev"
	prev=$(sha256sum "$tr" | cut -c1-64) n=$((n + 1))
done
"$KEYRITE" verify "$TR0" --cert "$R1" >/dev/null || fail "verify TR0"
"$KEYRITE" verify "$TR1" --cert "$R1" >/dev/null || fail "verify TR1"
"$KEYRITE" verify "$TR2" --cert "$R2" >/dev/null || fail "verify TR2"
"$KEYRITE" verify "$TR3" --cert "$R1" >/dev/null || fail "verify TR3"
"$KEYRITE" verify "$TR4" --cert "$R2" >/dev/null || fail "verify TR4"
"$KEYRITE" verify "$TR5" --cert "$R2" >/dev/null || fail "verify TR5"
# The cross-certificates name each other's keys in their transcripts.
grep -q " subject-cert-loaded .* ski=$(openssl x509 -in "$R2" -noout \
    -ext subjectKeyIdentifier | sed -n '2s/[ :]//gp' | tr A-F a-f)" "$TR3" ||
    fail "TR3 does not name R2's key identifier"
grep -q " certificate-issued .* sha256=$(openssl x509 -in "$X12" \
    -outform DER | sha256sum | cut -c1-64) " "$TR4" ||
    fail "TR4 does not record cross(R1 by R2)"

# --- a leaf under the issuing CA's key ----------------------------------
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:www.example.com" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" > "$T/leaf.ext"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=www.example.com" -out "$T/leaf.csr" \
    2>/dev/null
openssl x509 -req -in "$T/leaf.csr" -CA "$I_NEW" -CAkey "$T/int.key" \
    -CAcreateserial -days 30 -extfile "$T/leaf.ext" -out "$T/leaf.pem" \
    2>/dev/null || fail "leaf"

echo "== old client (R1 only): leaf -> I(R2) -> cross(R2 by R1) -> R1"
openssl verify -x509_strict -partial_chain -show_chain -CAfile "$R1" \
    -untrusted "$I_NEW" -untrusted "$X21" "$T/leaf.pem" > "$T/v.out" 2>&1 ||
    { cat "$T/v.out"; fail "old client"; }
cat "$T/v.out"
grep -qx "depth=3: C = US, O = Example, CN = Example Root CA (REHEARSAL)" "$T/v.out" ||
    fail "old client: not anchored at R1"
cat "$T/leaf.pem" "$I_NEW" "$X21" > "$T/c1.pem"
certtool --verify --load-ca-certificate "$R1" --infile "$T/c1.pem" \
    > "$T/ct.out" 2>&1 || { cat "$T/ct.out"; fail "certtool old client"; }
grep "Chain verification output" "$T/ct.out"

echo "== new client (R2 only): leaf -> I(R2) -> R2"
openssl verify -x509_strict -partial_chain -show_chain -CAfile "$R2" \
    -untrusted "$I_NEW" "$T/leaf.pem" > "$T/v.out" 2>&1 ||
    { cat "$T/v.out"; fail "new client"; }
cat "$T/v.out"
cat "$T/leaf.pem" "$I_NEW" > "$T/c2.pem"
certtool --verify --load-ca-certificate "$R2" --infile "$T/c2.pem" \
    > "$T/ct.out" 2>&1 || { cat "$T/ct.out"; fail "certtool new client"; }

echo "== new client (R2 only), a server still sending the old I:"
echo "   leaf -> I(R1) -> cross(R1 by R2) -> R2"
openssl verify -x509_strict -partial_chain -show_chain -CAfile "$R2" \
    -untrusted "$I_OLD" -untrusted "$X12" "$T/leaf.pem" > "$T/v.out" 2>&1 ||
    { cat "$T/v.out"; fail "new client, old chain"; }
cat "$T/v.out"
grep -qx "depth=2: C = US, O = Example, CN = Example Root CA (REHEARSAL) (untrusted)" \
    "$T/v.out" || fail "the chain does not go through cross(R1 by R2)"
cat "$T/leaf.pem" "$I_OLD" "$X12" > "$T/c3.pem"
certtool --verify --load-ca-certificate "$R2" --infile "$T/c3.pem" \
    > "$T/ct.out" 2>&1 || { cat "$T/ct.out"; fail "certtool old chain"; }

# The re-issued I keeps the old one's name and key.
[ "$(openssl x509 -in "$I_OLD" -noout -subject -pubkey)" = \
    "$(openssl x509 -in "$I_NEW" -noout -subject -pubkey)" ] ||
    fail "the re-issued intermediate's name or key differs"
echo "PASS: t-rollover"
