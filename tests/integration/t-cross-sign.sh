#!/bin/sh
# root-ca-cross-sign end to end, in batch with
# docs/examples/root-ca-cross-sign.answers as it is.  Two rehearsal roots
# on the same five SoftHSM2 cards: R1 (old) and R2 (new).  R2 signs an
# intermediate (root-ca-sign-intermediate), openssl issues a leaf under
# it; R1 cross-certifies R2 from R2's certificate (new-by-old) and R2
# cross-certifies R1 (old-by-new).  Then verifiers nobody here wrote:
#   - openssl verify -x509_strict -partial_chain builds leaf ->
#     intermediate(R2) -> cross(R2 by R1) -> R1 with only R1 trusted, and
#     leaf -> intermediate(R2) -> R2 with R2 trusted; without the
#     cross-certificate, R1 alone does not verify the leaf;
#   - certtool --verify agrees, both ways;
#   - python3-cryptography (check-cross.py): subject and SPKI byte for
#     byte the CA's, SKI kept, AKI = issuer's SKI, basicConstraints,
#     keyUsage, notAfter within the issuer's;
#   - keyrite verify on the transcripts; their records give the input's
#     SHA-256, the SPKI fingerprint and the cross-certificate's SHA-256
#     that sha256sum and openssl compute.
# A cross-certificate from a request (csr=) too.  Then the bad inputs of
# issue 18, each refused before any work (exit 7, the file or field
# named, no step, nothing written): a subject certificate that is not a
# CA, a request whose signature fails, a validity past the issuer's
# notAfter, and others.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"
command -v certtool >/dev/null || fail "certtool missing (make deps)"
/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    fail "python3-cryptography missing (make deps)"

# R1 valid 3000 days with pathLen 2: a chain leaf -> intermediate ->
# cross -> R1 has two CAs below R1.
root_setup --set validity_days=3000 --set path_length=2
R1="$T/media/root-ca.pem"
root_another "$T/m2" --set "subject=CN=Example Root CA G2,O=Example" \
    --set path_length=2
R2="$T/m2/root-ca.pem"
cp "$R2" "$T/media/root-ca-g2.pem"
cp "$R1" "$T/m2/root-ca-g1.pem"

# --- new-by-old: R1 cross-certifies R2 ----------------------------------
run_use root-ca-cross-sign --media "$T/media" \
    --set subject_cert=root-ca-g2.pem --set validity_days=1000
cat "$T/root-ca-cross-sign.out"
[ $rc = 0 ] || fail "cross-sign new-by-old exit $rc"
ski() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier |
    sed -n '2s/[ :]//gp' | tr A-F a-f; }
X21="$T/media/cross-$(ski "$R2")-by-$(ski "$R1").pem"
[ -f "$X21" ] || { ls "$T/media"; fail "no $(basename "$X21")"; }
grep -q "^output: $X21\$" "$T/root-ca-cross-sign.out" ||
    fail "the output line does not name $X21"
TR21=$(sed -n 's/^transcript: //p' "$T/root-ca-cross-sign.out")

# --- old-by-new: R2 cross-certifies R1 ----------------------------------
run_use root-ca-cross-sign --media "$T/m2" \
    --set subject_cert=root-ca-g1.pem --set validity_days=1000
[ $rc = 0 ] || { cat "$T/root-ca-cross-sign.out"; fail "old-by-new exit $rc"; }
X12="$T/m2/cross-$(ski "$R1")-by-$(ski "$R2").pem"
[ -f "$X12" ] || { ls "$T/m2"; fail "no $(basename "$X12")"; }
TR12=$(sed -n 's/^transcript: //p' "$T/root-ca-cross-sign.out")

# --- an intermediate under R2, a leaf under it ----------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/int.key" -subj "/O=Example/CN=Example Issuing CA G2" \
    -out "$T/m2/intermediate.csr" 2>/dev/null || fail "openssl req"
run_use root-ca-sign-intermediate --media "$T/m2" --set validity_days=900
[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "intermediate"; }
I2=$(sed -n 's/^output: \(.*intermediate-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-sign-intermediate.out")
[ -f "$I2" ] || fail "no intermediate certificate"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/leaf.key" -subj "/CN=www.example.com" -out "$T/leaf.csr" \
    2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:www.example.com" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" > "$T/leaf.ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$I2" -CAkey "$T/int.key" \
    -CAcreateserial -days 30 -extfile "$T/leaf.ext" -out "$T/leaf.pem" \
    2>/dev/null || fail "openssl x509 -req leaf"

# --- outside verifiers ------------------------------------------------------
echo "== openssl: only R1 trusted"
openssl verify -x509_strict -partial_chain -show_chain -CAfile "$R1" \
    -untrusted "$I2" -untrusted "$X21" "$T/leaf.pem" > "$T/v1.out" 2>&1 ||
    { cat "$T/v1.out"; fail "leaf -> I(R2) -> cross -> R1 does not verify"; }
cat "$T/v1.out"
grep -qx "depth=3: C = US, O = Example, CN = Example Root CA (REHEARSAL)" \
    "$T/v1.out" || fail "the chain does not end at R1"
grep -q "^depth=2: O = Example, CN = Example Root CA G2 (REHEARSAL) (untrusted)" \
    "$T/v1.out" || fail "the chain does not go through the cross-certificate"
echo "== openssl: R2 trusted"
openssl verify -x509_strict -partial_chain -show_chain -CAfile "$R2" \
    -untrusted "$I2" "$T/leaf.pem" > "$T/v2.out" 2>&1 ||
    { cat "$T/v2.out"; fail "leaf -> I(R2) -> R2 does not verify"; }
cat "$T/v2.out"
grep -qx "depth=2: O = Example, CN = Example Root CA G2 (REHEARSAL)" \
    "$T/v2.out" || fail "the chain does not end at R2"
echo "== openssl: R1 trusted, no cross-certificate (must fail)"
if openssl verify -x509_strict -partial_chain -CAfile "$R1" \
    -untrusted "$I2" "$T/leaf.pem" > "$T/v3.out" 2>&1; then
	fail "R1 verified the leaf without the cross-certificate"
fi
cat "$T/v3.out"
echo "== openssl: old-by-new, only R2 trusted"
openssl verify -x509_strict -partial_chain -CAfile "$R2" "$X12" ||
    fail "cross(R1 by R2) does not verify under R2"
openssl verify -x509_strict -partial_chain -CAfile "$R1" "$X21" ||
    fail "cross(R2 by R1) does not verify under R1"

echo "== certtool"
cat "$T/leaf.pem" "$I2" "$X21" > "$T/chain1.pem"
certtool --verify --load-ca-certificate "$R1" --infile "$T/chain1.pem" \
    > "$T/ct1.out" 2>&1 || { cat "$T/ct1.out"; fail "certtool via R1"; }
grep "Chain verification output" "$T/ct1.out"
grep -q "Chain verification output: Verified" "$T/ct1.out" ||
    fail "certtool (R1) did not say Verified"
cat "$T/leaf.pem" "$I2" > "$T/chain2.pem"
certtool --verify --load-ca-certificate "$R2" --infile "$T/chain2.pem" \
    > "$T/ct2.out" 2>&1 || { cat "$T/ct2.out"; fail "certtool via R2"; }
grep -q "Chain verification output: Verified" "$T/ct2.out" ||
    fail "certtool (R2) did not say Verified"
certtool --verify --load-ca-certificate "$R1" --infile "$T/chain2.pem" \
    > "$T/ct3.out" 2>&1 && fail "certtool verified via R1 without the cross"
cat "$X12" > "$T/chain3.pem"
certtool --verify --load-ca-certificate "$R2" --infile "$T/chain3.pem" \
    > "$T/ct4.out" 2>&1 || { cat "$T/ct4.out"; fail "certtool old-by-new"; }

echo "== python3-cryptography"
/usr/bin/python3 "$KR_TOP/tests/integration/check-cross.py" "$R1" "$X21" \
    "$R2" 1 || fail "check-cross new-by-old"
/usr/bin/python3 "$KR_TOP/tests/integration/check-cross.py" "$R2" "$X12" \
    "$R1" 1 || fail "check-cross old-by-new"
openssl x509 -in "$X21" -noout -text | grep -q "(REHEARSAL) (REHEARSAL)" &&
    fail "the subject was marked twice"

# --- the transcripts ----------------------------------------------------
"$KEYRITE" verify "$TR21" --cert "$R1" || fail "keyrite verify (new-by-old)"
"$KEYRITE" verify "$TR12" --cert "$R2" || fail "keyrite verify (old-by-new)"
[ "$(grep -c '^cosignature: ' "$TR21")" = 3 ] || fail "not 3 cosignatures"
in_sha=$(sha256sum "$T/media/root-ca-g2.pem" | cut -c1-64)
grep -q " subject-cert-loaded engine subject-cert=root-ca-g2.pem sha256=$in_sha " \
    "$TR21" || fail "subject-cert-loaded does not record the file's SHA-256"
spki=$(openssl x509 -in "$R2" -noout -pubkey | openssl pkey -pubin \
    -outform DER | sha256sum | cut -c1-64)
grep -q "subject-cert-loaded .* spki-sha256=$spki .*ski=$(ski "$R2")" "$TR21" ||
    fail "subject-cert-loaded does not record the SPKI SHA-256 and SKI"
grep -q " spki-confirmed witness witness=Wendy%20Witness " "$TR21" ||
    fail "no spki-confirmed"
x_sha=$(openssl x509 -in "$X21" -outform DER | sha256sum | cut -c1-64)
grep " certificate-issued " "$TR21" | grep " profile=cross-ca " |
    grep " days=1000 " | grep -q " sha256=$x_sha " ||
    fail "certificate-issued does not record the cross-certificate"
grep -q " key-proven .* use=cross-sign " "$TR21" || fail "key-proven use"
grep -q " output-staged engine kind=cross-certificate name=$(basename "$X21") " \
    "$TR21" || fail "no output-staged record"

# --- from a request: another organisation's CA ------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/other.key" -subj "/O=Other Org/CN=Other Org Root" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$T/media/other.csr" 2>/dev/null || fail "openssl req other"
run_use root-ca-cross-sign --media "$T/media" --set subject_cert= \
    --set csr=other.csr --set validity_days=700 --set path_length=0
[ $rc = 0 ] || { cat "$T/root-ca-cross-sign.out"; fail "cross from a csr"; }
XO=$(sed -n 's/^output: \(.*cross-[0-9a-f]*-by-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-cross-sign.out")
[ -f "$XO" ] || fail "no cross-certificate from the request"
openssl verify -x509_strict -partial_chain -CAfile "$R1" "$XO" ||
    fail "the cross-certificate from a request does not verify"
[ "$(openssl x509 -in "$XO" -noout -pubkey | openssl pkey -pubin \
    -outform DER | sha256sum)" = "$(openssl req -in "$T/media/other.csr" \
    -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" ] ||
    fail "the request's key was not certified"

# --- bad input: refused before any work ------------------------------------
bad() { # bad GREP [--set ...]
	_g=$1
	shift
	snap_media "$T/media"
	run_use root-ca-cross-sign --media "$T/media" \
	    --set validity_days=1000 "$@"
	cat "$T/root-ca-cross-sign.out"
	refused_before_work "$T/root-ca-cross-sign.out" "$T/media"
	grep -q -- "$_g" "$T/root-ca-cross-sign.out" ||
	    fail "the message does not say '$_g'"
}

# A subject certificate that is not a CA: the leaf.
cp "$T/leaf.pem" "$T/media/leaf.pem"
bad "leaf.pem: .*not a CA" --set subject_cert=leaf.pem
# A request whose signature fails: one byte of its signature changed.
openssl req -in "$T/media/other.csr" -outform DER -out "$T/good.der"
n=$(wc -c < "$T/good.der")
cp "$T/good.der" "$T/media/badsig.csr"
flip "$T/media/badsig.csr" $((n - 3))
bad "badsig.csr.*does not verify under its own public key" \
    --set subject_cert= --set csr=badsig.csr
# A validity past the issuer's notAfter (R1: 3000 days).
bad "would end after the issuer's notAfter" --set subject_cert=root-ca-g2.pem \
    --set validity_days=3100
# Both inputs, or neither.
bad "one of the two" --set subject_cert=root-ca-g2.pem --set csr=other.csr
bad "one of the two" --set subject_cert=
# A path length R1 (pathLen 2) does not allow.
bad "path_length 2 is larger than the issuer allows" \
    --set subject_cert=root-ca-g2.pem --set path_length=2
# A request, a key, random bytes, two certificates, a missing file.
cp "$T/media/other.csr" "$T/media/req.pem"
bad "req.pem: .*request" --set subject_cert=req.pem
cp "$T/other.key" "$T/media/key.pem"
bad "key.pem" --set subject_cert=key.pem
head -c 700 /dev/urandom > "$T/media/random.pem"
bad "random.pem" --set subject_cert=random.pem
cat "$R2" "$R1" > "$T/media/two.pem"
bad "two.pem" --set subject_cert=two.pem
bad "missing.pem" --set subject_cert=missing.pem
# The root itself.
bad "root-ca.pem" --set subject_cert=root-ca.pem
echo "PASS: t-cross-sign"
