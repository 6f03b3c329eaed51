#!/bin/sh
# root-ca-ocsp-signer end to end: a rehearsal root (3-of-5 on SoftHSM2
# cards) certifies a delegated OCSP responder from a P-256 request made by
# `openssl req`, in batch with docs/examples/root-ca-ocsp-signer.answers as
# it is.  Then verifiers nobody here wrote:
#   - openssl x509 -text shows keyUsage digitalSignature (critical), the
#     EKU OCSP Signing, OCSP No Check, CA:FALSE, no rehearsal-free name;
#   - openssl verify -x509_strict -purpose ocsphelper under the root;
#   - a response signed by the responder's key with `openssl ocsp -index`
#     verifies with `openssl ocsp -respin -CAfile root -issuer root`
#     (OpenSSL's delegated-responder check: issued by the CA, with
#     id-kp-OCSPSigning), "Response verify OK";
#   - keyrite verify on the transcript; certificate-issued records the
#     profile, serial, validity and the certificate's SHA-256.
# Then bad input, refused before any work: a validity beyond the policy's
# max-ocsp-signer-days (180), a policy without max-ocsp-signer-days in the
# root's class, a request whose signature fails, a validity past the
# root's notAfter.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"

root_setup --set validity_days=150
R="$T/media/root-ca.pem"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ocsp.key" -subj "/O=Example/CN=Example OCSP Responder" \
    -out "$T/media/ocsp-signer.csr" 2>/dev/null || fail "openssl req"

run_use root-ca-ocsp-signer --media "$T/media" --set validity_days=30
cat "$T/root-ca-ocsp-signer.out"
[ $rc = 0 ] || fail "ocsp-signer exit $rc"
O=$(sed -n 's/^output: \(.*ocsp-signer-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-ocsp-signer.out")
[ -f "$O" ] || fail "no OCSP responder certificate output"
TR=$(sed -n 's/^transcript: //p' "$T/root-ca-ocsp-signer.out")

# --- outside verifiers ------------------------------------------------------
txt=$(openssl x509 -in "$O" -noout -text)
echo "$txt" | sed -n '/X509v3 extensions/,/Signature Algorithm/p'
echo "$txt" | grep -A1 "X509v3 Extended Key Usage" | grep -qx " *OCSP Signing" ||
    fail "the EKU is not OCSP Signing alone"
echo "$txt" | grep -q "OCSP No Check" || fail "no ocsp-nocheck"
echo "$txt" | grep -A1 "X509v3 Key Usage: critical" |
    grep -qx " *Digital Signature" || fail "keyUsage not digitalSignature, critical"
echo "$txt" | grep -A1 "Basic Constraints: critical" | grep -qx " *CA:FALSE" ||
    fail "not CA:FALSE"
echo "$txt" | grep -q "Subject: O = Example, CN = Example OCSP Responder (REHEARSAL)" ||
    fail "rehearsal not marked in the subject"
days=$(( ($(date -d "$(openssl x509 -in "$O" -noout -enddate | cut -d= -f2)" +%s) -
    $(date -d "$(openssl x509 -in "$O" -noout -startdate | cut -d= -f2)" +%s)) / 86400 ))
[ "$days" = 30 ] || fail "validity $days days, want 30"
openssl verify -x509_strict -purpose ocsphelper -CAfile "$R" "$O" ||
    fail "openssl verify -purpose ocsphelper"

# A response the responder signs, checked the way a relying party does.
ser=$(openssl x509 -in "$O" -noout -serial | cut -d= -f2)
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" \
    "$ser" "/O=Example/CN=Example OCSP Responder" > "$T/index.txt"
openssl ocsp -issuer "$R" -cert "$O" -no_nonce -reqout "$T/req.der" ||
    fail "openssl ocsp request"
openssl ocsp -index "$T/index.txt" -CA "$R" -rsigner "$O" -rkey "$T/ocsp.key" \
    -reqin "$T/req.der" -respout "$T/resp.der" -ndays 1 ||
    fail "openssl ocsp responder"
openssl ocsp -respin "$T/resp.der" -issuer "$R" -CAfile "$R" -cert "$O" \
    -no_nonce > "$T/ocsp.out" 2>&1
cat "$T/ocsp.out"
grep -q "Response verify OK" "$T/ocsp.out" ||
    fail "a response by the delegated responder does not verify"

# --- the transcript ---------------------------------------------------------
"$KEYRITE" verify "$TR" --cert "$R" || fail "keyrite verify"
[ "$(grep -c '^cosignature: ' "$TR")" = 3 ] || fail "not 3 cosignatures"
cert_sha=$(openssl x509 -in "$O" -outform DER | sha256sum | cut -c1-64)
serial=$(echo "$ser" | tr A-F a-f)
grep " certificate-issued " "$TR" | grep " profile=ocsp-signer " |
    grep " serial=$serial " | grep " days=30 " | grep -q " sha256=$cert_sha " ||
    fail "certificate-issued does not record profile, serial, validity, SHA-256"
grep -q " certificate-planned .* profile=ocsp-signer " "$TR" ||
    fail "no certificate-planned"
grep -q " output-staged engine kind=certificate name=$(basename "$O") " "$TR" ||
    fail "no output-staged record"

# --- bad input: refused before any work ------------------------------------
bad() { # bad GREP [ARGS ...]
	_g=$1
	shift
	snap_media "$T/media"
	run_use root-ca-ocsp-signer --media "$T/media" "$@"
	cat "$T/root-ca-ocsp-signer.out"
	refused_before_work "$T/root-ca-ocsp-signer.out" "$T/media"
	grep -q -- "$_g" "$T/root-ca-ocsp-signer.out" ||
	    fail "the message does not say '$_g'"
}
bad "validity_days 181 is outside 1..180, the most policy default allows for an OCSP responder" \
    --set validity_days=181
bad "would end after the issuer's notAfter" --set validity_days=160
# The policy without max-ocsp-signer-days: no root-ca key certifies one.
grep -v "^max-ocsp-signer-days" "$KR_TOP/ceremony-scripts/policy.conf" \
    > "$T/noocsp.conf"
bad "lets no root-ca key certify an OCSP responder" --set validity_days=30 \
    --policy "$T/noocsp.conf"
openssl req -in "$T/media/ocsp-signer.csr" -outform DER -out "$T/good.der"
n=$(wc -c < "$T/good.der")
cp "$T/good.der" "$T/media/badsig.csr"
flip "$T/media/badsig.csr" $((n - 3))
bad "badsig.csr.*does not verify under its own public key" \
    --set csr=badsig.csr --set validity_days=30
echo "PASS: t-ocsp-signer"
