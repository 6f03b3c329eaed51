#!/bin/sh
# mkseeds-use.sh: remakes the seeds of the harnesses of the inputs a CA
# key reads (fuzz_csr.c, fuzz_crl.c, fuzz_revocations.c) with the openssl
# command, so that each starts from real input that reads.  The seeds are
# committed; run this only to refresh them:
#
#	tests/fuzz/corpus/mkseeds-use.sh
#
# The first byte of a csr or crl seed chooses the harness's mode (see its
# header comment); revocation lists are plain files.  CRLs are signed with
# fuzz-ca.h's key, so that they verify against its certificate.
set -eu
C=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
rm -rf "$C/csr" "$C/crl" "$C/revocations"
mkdir -p "$C/csr" "$C/crl" "$C/revocations"

# The fuzz CA, from the harnesses' header.
H="$C/../fuzz-ca.h"
sed -n '/fuzz_ca_key\[\]/,/;/p' "$H" | sed -n 's/^    "\(.*\)\\n"$/\1/p' \
    > "$T/ca.key"
sed -n '/fuzz_ca_cert\[\]/,/;/p' "$H" | sed -n 's/^    "\(.*\)\\n"$/\1/p' \
    > "$T/ca.pem"

# --- requests ---------------------------------------------------------------
req() { # req NAME KEYOPTS... -- REQOPTS...
	n=$1
	shift
	openssl req -new "$@" -nodes -keyout "$T/$n.key" -out "$T/$n.pem" \
	    2>/dev/null
	openssl req -in "$T/$n.pem" -outform DER -out "$T/$n.der"
	{ printf '\000'; cat "$T/$n.pem"; } > "$C/csr/pem-$n"
	{ printf '\000'; cat "$T/$n.der"; } > "$C/csr/der-$n"
	{ printf '\001'; cat "$T/$n.der"; } > "$C/csr/resign-$n"
}
req p384-exts -newkey ec -pkeyopt ec_paramgen_curve:P-384 \
    -subj "/C=DE/O=Example/CN=Example Issuing CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectAltName=DNS:ca.example.com,email:pki@example.com" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" \
    -addext "certificatePolicies=2.23.140.1.2.1" \
    -addext "nameConstraints=critical,permitted;DNS:example.com"
req p256-plain -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -subj "/CN=Plain CA"
req ed25519 -newkey ed25519 -subj "/O=Edwards/CN=Ed CA"
req rsa1024 -newkey rsa:1024 -subj "/CN=Weak CA"
openssl req -new -key "$T/p256-plain.key" -subj "/CN=Password CA" \
    -passin pass:x -out "$T/attr.pem" \
    -config /dev/stdin 2>/dev/null <<EOF
[req]
distinguished_name = dn
attributes = attrs
prompt = no
[dn]
CN = Password CA
[attrs]
challengePassword = not in a CA request
EOF
openssl req -in "$T/attr.pem" -outform DER | { printf '\001'; cat; } \
    > "$C/csr/resign-attribute"
{ printf '\000'; cat "$T/ca.pem"; } > "$C/csr/pem-certificate"
printf '\002policies\0002.23.140.1.2.1 anyPolicy' > "$C/csr/option-policies"
printf '\002eku\000serverAuth 1.3.6.1.5.5.7.3.17' > "$C/csr/option-eku"
printf '\002crl-uri\000http://crl.example.com/root.crl' \
    > "$C/csr/option-uri"
printf '\002permitted\000dns:example.com; email:.example.com; dn:O=Example\\; Inc,C=DE' \
    > "$C/csr/option-subtrees"

# --- CRLs of the fuzz CA ----------------------------------------------------
mkdir "$T/ca"
: > "$T/ca/index.txt"
echo 01 > "$T/ca/crlnumber"
cat > "$T/ca.cnf" <<EOF
[ca]
default_ca = ca
[ca]
database = $T/ca/index.txt
crlnumber = $T/ca/crlnumber
default_md = sha256
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF
crl() { # crl NAME: the CRL of index.txt now
	openssl ca -config "$T/ca.cnf" -gencrl -keyfile "$T/ca.key" \
	    -cert "$T/ca.pem" -crldays 30 -out "$T/$1.pem" 2>/dev/null
	openssl crl -in "$T/$1.pem" -outform DER -out "$T/$1.der"
	{ printf '\000'; cat "$T/$1.pem"; } > "$C/crl/pem-$1"
	{ printf '\000'; cat "$T/$1.der"; } > "$C/crl/der-$1"
	{ printf '\001'; cat "$T/$1.der"; } > "$C/crl/resign-$1"
}
crl empty
printf 'R\t491231235959Z\t260115000000Z,keyCompromise\t4CA0AA402479AA8281C5BA008FE0DD04\tunknown\t/CN=x\n' \
    >> "$T/ca/index.txt"
printf 'R\t491231235959Z\t260201120000Z,superseded\t0123\tunknown\t/CN=y\n' \
    >> "$T/ca/index.txt"
printf 'R\t491231235959Z\t260301120000Z\t7A2C09\tunknown\t/CN=z\n' \
    >> "$T/ca/index.txt"
crl three

# --- revocation lists -------------------------------------------------------
R="$C/revocations"
printf '' > "$R/empty"
printf '# nothing to revoke this quarter\n' > "$R/comment-only"
cat > "$R/three" <<'EOF'
# serial                            reason          date
4ca0aa402479aa8281c5ba008fe0dd04    keyCompromise   2026-01-15
0123	superseded	2026-02-01T12:00:00Z   # tab-separated
7A2C09 cessationOfOperation
EOF
printf '0a01 keyCompromise\n0A01 superseded\n' > "$R/duplicate"
printf '12zz keyCompromise\n' > "$R/non-hex"
printf '0a02 stolen\n' > "$R/unknown-reason"
printf '0a03 certificateHold\n0a04 privilegeWithdrawn\n' > "$R/hold"
printf '0a05 superseded\r\n' > "$R/crlf"
echo "mkseeds-use: $(ls "$C/csr" | wc -l) csr, $(ls "$C/crl" | wc -l) crl," \
    "$(ls "$R" | wc -l) revocations seeds"
