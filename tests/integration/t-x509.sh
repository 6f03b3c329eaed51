#!/bin/sh
# Root certificates made by kr_x509_self_sign() (through the mkroot helper),
# judged by verifiers no one here wrote, for every algorithm:
#   - `openssl x509 -text` shows the profile of docs/certificates.md:
#     Basic Constraints critical CA:TRUE, Key Usage critical Certificate
#     Sign + CRL Sign, a Subject Key Identifier equal to the one openssl
#     itself computes for the same key ("hash"), the Authority Key
#     Identifier equal to it, the signature algorithm chosen for the key;
#     the subject, a 16-byte positive serial and exactly the validity asked;
#   - `openssl verify` accepts the root as its own trust anchor, also with
#     -x509_strict -check_ss_sig (plain `openssl verify` does not check a
#     trust anchor's own signature: a damaged copy must fail the strict
#     form);
#   - GnuTLS `certtool --verify` says "Verified" and exits 0;
#   - the fingerprint keyrite prints equals `openssl x509 -fingerprint
#     -sha256` and the by-hand `openssl x509 -outform DER | sha256sum` of
#     docs/certificates.md, and the certificate's public key is the key's.
# Then a rehearsal root, a path length, and a damaged copy both verifiers
# must refuse.  Where certtool cannot handle an algorithm (Ed448 before
# GnuTLS 3.6.12) that one check is skipped with the reason printed and
# counted; every other check still runs.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
MK="$KR_TOP/$BUILD/helpers/mkroot"
SUBJECT='CN=Example Root CA,O=Example Corp,C=DE'
DAYS=3650
checks=0 skips=0
ok() { checks=$((checks + 1)); }
skip() { skips=$((skips + 1)); echo "SKIP: $*"; }

[ -x "$MK" ] || fail "$MK is not built"
command -v openssl >/dev/null || fail "openssl is missing (make deps)"
command -v certtool >/dev/null ||
    fail "certtool is missing (make deps: gnutls-bin)"
echo "openssl: $(openssl version)"
echo "certtool: $(certtool --version | head -1)"
GNUTLS_VERSION=$(certtool --version | head -1 | sed 's/.* //')
VERIFIED='^Chain verification output: Verified\. The certificate is trusted\.'

# What each verifier calls the signature algorithm keyrite chooses.
ossl_sig() {
	case $1 in
	ecdsa-p256)	echo ecdsa-with-SHA256 ;;
	ecdsa-p384)	echo ecdsa-with-SHA384 ;;
	ecdsa-p521)	echo ecdsa-with-SHA512 ;;
	rsa-3072)	echo sha256WithRSAEncryption ;;
	rsa-4096)	echo sha384WithRSAEncryption ;;
	ed25519)	echo ED25519 ;;
	ed448)		echo ED448 ;;
	esac
}
gnutls_sig() {
	case $1 in
	ecdsa-p256)	echo ECDSA-SHA256 ;;
	ecdsa-p384)	echo ECDSA-SHA384 ;;
	ecdsa-p521)	echo ECDSA-SHA512 ;;
	rsa-3072)	echo RSA-SHA256 ;;
	rsa-4096)	echo RSA-SHA384 ;;
	ed25519)	echo EdDSA-Ed25519 ;;
	ed448)		echo EdDSA-Ed448 ;;
	esac
}

# The line after "header" in openssl's -text output, trimmed.
after() { printf '%s\n' "$2" | grep -A1 -F "$1" | sed -n '2s/^ *//p'; }

# openssl's own subjectKeyIdentifier=hash for key.pem, for comparison.
cat > "$T/ref.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = reference
[ext]
subjectKeyIdentifier = hash
EOF

# check_root DIR ALG BASIC-CONSTRAINTS: the profile, both verifiers, the
# fingerprint and the public key.
check_root() {
	d=$1 alg=$2 bc=$3
	text=$(openssl x509 -in "$d/root.pem" -noout -text) ||
	    fail "$alg: openssl cannot read root.pem"
	[ "$(after "X509v3 Basic Constraints: critical" "$text")" = "$bc" ] ||
	    fail "$alg: no critical Basic Constraints $bc"
	ok
	[ "$(after "X509v3 Key Usage: critical" "$text")" = \
	    "Certificate Sign, CRL Sign" ] ||
	    fail "$alg: Key Usage is not critical Certificate Sign, CRL Sign"
	ok
	ski=$(after "X509v3 Subject Key Identifier:" "$text")
	echo "$ski" | grep -Eq '^([0-9A-F]{2}:){19}[0-9A-F]{2}$' ||
	    fail "$alg: no 20-byte Subject Key Identifier (\"$ski\")"
	openssl req -new -x509 -config "$T/ref.cnf" -key "$d/key.pem" \
	    -days 1 -out "$d/ref.pem" 2>"$d/ref.err" || fail "$alg: openssl req"
	refski=$(after "X509v3 Subject Key Identifier:" \
	    "$(openssl x509 -in "$d/ref.pem" -noout -text)")
	[ "$ski" = "$refski" ] ||
	    fail "$alg: SKI $ski, openssl's hash method gives $refski"
	aki=$(after "X509v3 Authority Key Identifier:" "$text" |
	    sed 's/^keyid://')
	[ "$aki" = "$ski" ] || fail "$alg: AKI $aki differs from SKI $ski"
	ok
	want=$(ossl_sig "$alg")
	n=$(printf '%s\n' "$text" | grep -c "Signature Algorithm: $want\$")
	[ "$n" = 2 ] || fail "$alg: signature algorithm is not $want"
	ok
	n=$(printf '%s\n' "$text" | grep -c "X509v3 [A-Z][A-Za-z ]*:")
	[ "$n" = 4 ] || fail "$alg: $n extensions, not exactly four"
	ok

	# Serial: 16 bytes, positive, first byte non-zero.
	serial=$(openssl x509 -in "$d/root.pem" -noout -serial |
	    sed 's/^serial=//')
	echo "$serial" | grep -Eq '^[0-7][0-9A-F]{31}$' &&
	    [ "${serial#00}" = "$serial" ] ||
	    fail "$alg: serial $serial is not 16 bytes, top bit clear"
	ok
	# Validity: exactly DAYS days.
	nb=$(openssl x509 -in "$d/root.pem" -noout -startdate |
	    sed 's/^notBefore=//')
	na=$(openssl x509 -in "$d/root.pem" -noout -enddate |
	    sed 's/^notAfter=//')
	[ $(( $(date -u -d "$na" +%s) - $(date -u -d "$nb" +%s) )) = \
	    $((DAYS * 86400)) ] ||
	    fail "$alg: validity $nb .. $na is not $DAYS days"
	ok

	# openssl verify, as the witness would type it, then strictly.
	out=$(openssl verify -CAfile "$d/root.pem" "$d/root.pem" 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = "$d/root.pem: OK" ] ||
	    fail "$alg: openssl verify: exit $rc: $out"
	out=$(openssl verify -x509_strict -check_ss_sig \
	    -CAfile "$d/root.pem" "$d/root.pem" 2>&1); rc=$?
	[ $rc = 0 ] && [ "$out" = "$d/root.pem: OK" ] ||
	    fail "$alg: openssl verify -x509_strict -check_ss_sig: $rc: $out"
	ok

	# GnuTLS.
	info=$(certtool --certificate-info --infile "$d/root.pem" 2>&1); irc=$?
	out=$(certtool --verify-profile=high --verify \
	    --load-ca-certificate "$d/root.pem" --infile "$d/root.pem" 2>&1)
	rc=$?
	if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q "$VERIFIED"; then
		printf '%s\n' "$out" |
		    grep -q "Signature algorithm: $(gnutls_sig "$alg")\$" ||
		    fail "$alg: certtool: another signature algorithm: $out"
		ok
	elif [ "$alg" = ed448 ] && { [ $irc != 0 ] ||
	    ! printf '%s\n' "$info" | grep -q "EdDSA (Ed448)"; }; then
		skip "$alg: certtool $GNUTLS_VERSION cannot read Ed448 keys" \
		    "(GnuTLS has them from 3.6.12); verified by openssl only"
	else
		fail "$alg: certtool --verify: exit $rc: $out"
	fi

	# Fingerprint: keyrite's grouped text, openssl's, and by hand.
	fp=$(sed -n 's/^fingerprint: //p' "$d/info")
	echo "$fp" | grep -Eq '^([0-9A-F]{4} ){15}[0-9A-F]{4}$' ||
	    fail "$alg: fingerprint \"$fp\" is not 16 groups of 4"
	ofp=$(openssl x509 -in "$d/root.pem" -noout -fingerprint -sha256 |
	    sed 's/^.*Fingerprint=//; s/://g')
	[ "$(echo "$fp" | tr -d ' ')" = "$ofp" ] ||
	    fail "$alg: fingerprint $fp, openssl says $ofp"
	byhand=$(openssl x509 -in "$d/root.pem" -outform DER | sha256sum |
	    cut -c1-64 | tr a-f A-F)
	[ "$byhand" = "$ofp" ] || fail "$alg: by-hand fingerprint $byhand"
	ok

	# The certificate's public key is the key's.
	openssl x509 -in "$d/root.pem" -noout -pubkey |
	    openssl pkey -pubin -outform DER > "$d/cert-spki.der" &&
	    openssl pkey -in "$d/key.pem" -pubout -outform DER \
	    > "$d/key-spki.der" ||
	    fail "$alg: extracting public keys"
	cmp -s "$d/cert-spki.der" "$d/key-spki.der" ||
	    fail "$alg: the certificate's public key is not the key's"
	ok
}

for alg in ecdsa-p256 ecdsa-p384 ecdsa-p521 rsa-3072 rsa-4096 ed25519 ed448; do
	d="$T/$alg"
	mkdir "$d"
	"$MK" "$d" "$alg" "$DAYS" "$SUBJECT" > "$d/info" || fail "$alg: mkroot"
	check_root "$d" "$alg" "CA:TRUE"
	grep -qx "subject: $SUBJECT" "$d/info" || fail "$alg: keyrite's subject"
	[ "$(openssl x509 -in "$d/root.pem" -noout -subject \
	    -nameopt RFC2253)" = "subject=$SUBJECT" ] ||
	    fail "$alg: openssl reads another subject"
	[ "$(openssl x509 -in "$d/root.pem" -noout -subject)" = \
	    "subject=C = DE, O = Example Corp, CN = Example Root CA" ] ||
	    fail "$alg: attributes not encoded C, O, CN"
	ok
	echo "ok: $alg: $(sed -n 's/^fingerprint: //p' "$d/info")"
done

# A rehearsal root says so in its CN; a path length shows.
d="$T/rehearsal"
mkdir "$d"
"$MK" -r -p 0 "$d" ecdsa-p384 30 "$SUBJECT" > "$d/info" ||
    fail "rehearsal: mkroot"
DAYS=30
check_root "$d" ecdsa-p384 "CA:TRUE, pathlen:0"
[ "$(openssl x509 -in "$d/root.pem" -noout -subject -nameopt RFC2253)" = \
    "subject=CN=Example Root CA (REHEARSAL),O=Example Corp,C=DE" ] ||
    fail "rehearsal root's subject does not say REHEARSAL"
ok
echo "ok: rehearsal root with pathlen:0"

# A damaged copy (last signature byte flipped) is refused by both.
d="$T/ed25519"
openssl x509 -in "$d/root.pem" -outform DER -out "$d/root.der" || fail "DER"
len=$(wc -c < "$d/root.der")
head -c $((len - 1)) "$d/root.der" > "$d/bad.der"
last=$(tail -c 1 "$d/root.der" | od -An -tu1 | tr -d ' ')
printf "\\$(printf %o $((last ^ 1)))" >> "$d/bad.der"
[ "$(cmp -l "$d/root.der" "$d/bad.der" | wc -l)" = 1 ] || fail "damaging a copy"
openssl x509 -inform DER -in "$d/bad.der" -out "$d/bad.pem" || fail "bad PEM"
openssl verify -x509_strict -check_ss_sig -CAfile "$d/bad.pem" "$d/bad.pem" \
    >"$d/out" 2>&1 && fail "openssl accepts a damaged root: $(cat "$d/out")"
grep -q "certificate signature failure" "$d/out" ||
    fail "openssl refuses the damaged root for another reason: $(cat "$d/out")"
ok
certtool --verify-profile=high --verify --load-ca-certificate "$d/bad.pem" \
    --infile "$d/bad.pem" >"$d/out" 2>&1 &&
    fail "certtool accepts a damaged root: $(cat "$d/out")"
grep -q "The signature in the certificate is invalid" "$d/out" ||
    fail "certtool refuses the damaged root for another reason: $(cat "$d/out")"
ok
echo "ok: a damaged root is refused by openssl and certtool"

echo "x509: $checks checks passed, $skips skipped (reasons above)"
