#!/bin/sh
# root-ca-sign-intermediate end to end: a rehearsal root (3-of-5 on
# SoftHSM2 cards) signs a P-384 request made by `openssl req`, in batch,
# with docs/examples/root-ca-sign-intermediate.answers as it is.  Then
# verifiers nobody here wrote:
#   - openssl verify -x509_strict, certtool --verify-chain;
#   - python3-cryptography (Debian's, /usr/bin/python3): AKI = root SKI,
#     pathLen, keyUsage, the SPKI byte for byte the request's, the issuer
#     the root's subject byte for byte (check-intermediate.py);
#   - a leaf issued by the intermediate with `openssl x509 -req` verifies
#     through the chain; a leaf outside its name constraints does not;
#   - keyrite verify on the transcript, whose records give the request's
#     SHA-256, the SPKI fingerprint, serial, validity and the
#     certificate's SHA-256 that sha256sum and openssl compute.
# Then every bad input of issue 12, each refused before any work (exit 7,
# the file or field named, no step, nothing written): a bad signature, a
# disallowed key (RSA-1024), a certificate, random bytes, truncated DER,
# PEM with trailing garbage, validity beyond the root and beyond the
# policy, a path length the root does not allow, a foreign root.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"
command -v certtool >/dev/null || fail "certtool missing (make deps)"
/usr/bin/python3 -c 'import cryptography' 2>/dev/null ||
    fail "python3-cryptography missing (make deps)"

# A root valid 2000 days with pathLen 1: room to exceed it below.
# (The profile's default is no pathLenConstraint now: set it.)
root_setup --set validity_days=2000 --set path_length=1
R="$T/media/root-ca.pem"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/int.key" -subj "/C=DE/O=Example/CN=Example Issuing CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:5" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectAltName=DNS:ca.example.com" \
    -out "$T/media/intermediate.csr" 2>/dev/null || fail "openssl req"

run_use root-ca-sign-intermediate --media "$T/media" \
    --set validity_days=1000 --set "permitted=dns:example.com" \
    --set crl_uri=http://crl.example.com/root.crl \
    --set ca_issuers_uri=http://pki.example.com/root.crt \
    --set policies=2.23.140.1.2.1
cat "$T/root-ca-sign-intermediate.out"
[ $rc = 0 ] || fail "sign-intermediate exit $rc"
I=$(sed -n 's/^output: \(.*intermediate-[0-9a-f]*\.pem\)$/\1/p' \
    "$T/root-ca-sign-intermediate.out")
[ -f "$I" ] || fail "no intermediate certificate output"
TR=$(sed -n 's/^transcript: //p' "$T/root-ca-sign-intermediate.out")

# --- outside verifiers ------------------------------------------------------
openssl verify -x509_strict -CAfile "$R" "$I" || fail "openssl verify"
cat "$I" "$R" > "$T/chain.pem"
certtool --verify-chain --infile "$T/chain.pem" > "$T/certtool.out" 2>&1 ||
    { cat "$T/certtool.out"; fail "certtool --verify-chain"; }
grep "Chain verification output" "$T/certtool.out"
grep -q "Chain verification output: Verified" "$T/certtool.out" ||
    fail "certtool did not say Verified"
/usr/bin/python3 "$KR_TOP/tests/integration/check-intermediate.py" "$R" \
    "$I" "$T/media/intermediate.csr" 0 no || fail "python3-cryptography"

txt=$(openssl x509 -in "$I" -noout -text)
echo "$txt" | grep -A1 "Name Constraints: critical" | grep -q "Permitted" ||
    fail "no name constraints"
echo "$txt" | grep -q "URI:http://crl.example.com/root.crl" || fail "no CRL DP"
echo "$txt" | grep -q "CA Issuers - URI:http://pki.example.com/root.crt" ||
    fail "no AIA"
echo "$txt" | grep -q "Policy: 2.23.140.1.2.1" || fail "no policy"
echo "$txt" | grep -q "Alternative Name" && fail "the request's SAN was copied"
echo "$txt" | grep -q "Subject: C = DE, O = Example, CN = Example Issuing CA (REHEARSAL)" ||
    fail "rehearsal not marked in the subject"
openssl x509 -in "$I" -noout -serial | grep -q "serial=[0-9A-F]\{32\}" ||
    fail "serial is not 128 bits"

# --- a leaf through the chain, inside and outside the name constraints ------
leaf() { # leaf NAME DNS
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -subj "/CN=$2" -out "$T/$1.csr" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$2" \
	    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" \
	    > "$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$I" -CAkey "$T/int.key" \
	    -CAcreateserial -days 30 -extfile "$T/$1.ext" \
	    -out "$T/$1.pem" 2>/dev/null || fail "openssl x509 -req $1"
}
leaf inside www.example.com
openssl verify -x509_strict -CAfile "$R" -untrusted "$I" "$T/inside.pem" ||
    fail "a leaf inside the name constraints does not verify"
leaf outside www.example.org
if openssl verify -x509_strict -CAfile "$R" -untrusted "$I" \
    "$T/outside.pem" > "$T/outside.out" 2>&1; then
	fail "a leaf outside the name constraints verified"
fi
cat "$T/outside.out"
grep -q "permitted subtree violation" "$T/outside.out" ||
    fail "outside leaf refused for another reason"

# --- the transcript ---------------------------------------------------------
"$KEYRITE" verify "$TR" --cert "$R" || fail "keyrite verify"
# the three cards that opened the key co-signed (verify exits 9 otherwise)
[ "$(grep -c '^cosignature: ' "$TR")" = 3 ] || fail "not 3 cosignatures"
[ -f "${TR%.txt}.pdf" ] || fail "no paper record ${TR%.txt}.pdf"
csr_sha=$(sha256sum "$T/media/intermediate.csr" | cut -c1-64)
grep -q " csr-loaded engine csr=intermediate.csr sha256=$csr_sha " "$TR" ||
    fail "csr-loaded does not record the request's SHA-256"
spki=$(openssl req -in "$T/media/intermediate.csr" -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
grep -q "csr-loaded .* spki-sha256=$spki " "$TR" ||
    fail "csr-loaded does not record the SPKI SHA-256"
grep -q " spki-confirmed witness witness=Wendy%20Witness " "$TR" ||
    fail "no spki-confirmed"
cert_sha=$(openssl x509 -in "$I" -outform DER | sha256sum | cut -c1-64)
serial=$(openssl x509 -in "$I" -noout -serial | cut -d= -f2 |
    tr A-F a-f)
grep " certificate-issued " "$TR" | grep " serial=$serial " |
    grep " days=1000 " | grep -q " sha256=$cert_sha " ||
    fail "certificate-issued does not record serial, validity, SHA-256"
grep -q " certificate-planned .* dropped=subjectAltName " "$TR" ||
    fail "the dropped SAN is not recorded"
grep -q " key-proven .* use=sign-csr " "$TR" || fail "key-proven use"
grep -q " output-staged engine kind=certificate name=$(basename "$I") " "$TR" ||
    fail "no output-staged record"

# --- bad input: refused before any work ------------------------------------
bad() { # bad NAME GREP [--set ...]: the request in $T/media/NAME
	_f=$1 _g=$2
	shift 2
	snap_media "$T/media"
	run_use root-ca-sign-intermediate --media "$T/media" \
	    --set "csr=$_f" --set validity_days=1000 "$@"
	cat "$T/root-ca-sign-intermediate.out"
	refused_before_work "$T/root-ca-sign-intermediate.out" "$T/media"
	grep -q -- "$_g" "$T/root-ca-sign-intermediate.out" ||
	    fail "$_f: the message does not say '$_g'"
}

# A bad signature: one byte of the signature's last octets changed.
openssl req -in "$T/media/intermediate.csr" -outform DER -out "$T/good.der"
n=$(wc -c < "$T/good.der")
cp "$T/good.der" "$T/media/badsig.csr"
flip "$T/media/badsig.csr" $((n - 3))
bad badsig.csr "badsig.csr.*does not verify under its own public key"

openssl req -new -newkey rsa:1024 -nodes -keyout "$T/weak.key" \
    -subj "/CN=Weak CA" -out "$T/media/weak.csr" 2>/dev/null
bad weak.csr "RSA 1024 bits, which policy default does not allow"

cp "$R" "$T/media/cert.csr"
bad cert.csr "cert.csr: this is a certificate, not a certificate request"
openssl x509 -in "$R" -outform DER -out "$T/media/certder.csr"
bad certder.csr "certder.csr: this is a certificate"

head -c 700 /dev/urandom > "$T/media/random.csr"
bad random.csr "random.csr: not a certificate request"

head -c $((n - 20)) "$T/good.der" > "$T/media/truncated.csr"
bad truncated.csr "truncated.csr: not a certificate request: its DER is truncated"

{ cat "$T/media/intermediate.csr"; echo "garbage"; } > "$T/media/trailing.csr"
bad trailing.csr "trailing.csr: something follows the request"

bad intermediate.csr "would end after the issuer's notAfter" \
    --set validity_days=2500
bad intermediate.csr "validity_days 3700 is outside 1..3653" \
    --set validity_days=3700
bad intermediate.csr "path_length 1 is larger than the issuer allows" \
    --set path_length=1
bad intermediate.csr "permitted: 'www.ex ample.com' is not a DNS name" \
    --set "permitted=dns:www.ex ample.com"
bad missing.csr "missing.csr"

# A request for the root's own name.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/same.key" -subj "/C=US/O=Example/CN=Example Root CA (REHEARSAL)" \
    -out "$T/media/same.csr" 2>/dev/null
bad same.csr "the request's subject is the issuer's own name"

# The same request signed again is a second certificate, new serial.
run_use root-ca-sign-intermediate --media "$T/media" --set validity_days=900
[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "second sign"; }
[ "$(ls "$T/media"/intermediate-*.pem | wc -l)" = 2 ] ||
    fail "the second certificate is not a file of its own"
echo "PASS: t-sign-intermediate"
