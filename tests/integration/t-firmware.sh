#!/bin/sh
# Firmware keys and releases end to end, with the outside verifiers
# docs/firmware-signing.md names: firmware-key-create for ecdsa-p256,
# ecdsa-p384, ed25519 and rsa-3072 (openssl x509 shows the code-signing
# profile, the pubhash is `openssl pkey -pubin -outform DER | sha256sum`,
# the request verifies); then firmware-sign of a three-image release with
# each key: every .p7s passes `openssl cms -verify` as documented (EdDSA:
# GnuTLS certtool and the by-hand check), every .sig the documented
# openssl command, the release record and its .p7s too; one byte flipped
# in an image makes both fail.  The transcript names every image and
# output by SHA-256 and verifies.  The policy refuses rsa-2048 for a
# firmware-signing key and ed25519 for a secure-boot key.
set -u
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
. "$KR_TOP/tests/integration/lib-firmware.sh"
fw_cards

# The three images: a small one, one in a subdirectory, one of 3 MiB.
images() {
	mkdir -p "$1/fw"
	head -c 4000 /dev/urandom > "$1/boot.bin"
	head -c 300001 /dev/urandom > "$1/fw/app.bin"
	head -c 3145728 /dev/urandom > "$1/fw/data.img"
	fw_manifest "$1" "ACME pump firmware 4.2.0" boot.bin fw/app.bin \
	    fw/data.img
}

# verify_sig ALG PUB SIG IMAGE: the documented command for ALG's .sig.
verify_sig() {
	case $1 in
	ecdsa-p256)	openssl dgst -sha256 -verify "$2" -signature "$3" "$4" ;;
	ecdsa-p384)	openssl dgst -sha384 -verify "$2" -signature "$3" "$4" ;;
	rsa-3072)	openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
			    -sigopt rsa_pss_saltlen:digest -verify "$2" \
			    -signature "$3" "$4" ;;
	ed25519)	openssl dgst -sha512 -binary "$4" > "$T/digest" &&
			openssl pkeyutl -verify -pubin -inkey "$2" -rawin \
			    -in "$T/digest" -sigfile "$3" ;;
	esac
}

# verify_p7s ALG CERT PUB P7S IMAGE: the documented check for ALG's .p7s.
verify_p7s() {
	case $1 in
	ed25519)
		certtool --p7-verify --inder --infile "$4" --load-data "$5" \
		    --load-ca-certificate "$2" > "$T/certtool.out" 2>&1 &&
		    grep -q "Signature status: ok" "$T/certtool.out" &&
		    fw_p7s_by_hand "$4" "$5" "$3" -sha512 ;;
	*)
		openssl cms -verify -binary -inform DER -in "$4" \
		    -content "$5" -CAfile "$2" -purpose any -out /dev/null ;;
	esac
}

for alg in ecdsa-p256 ecdsa-p384 ed25519 rsa-3072; do
	echo "== $alg"
	M="$T/m-$alg"
	fw_key "$M" --set key_type=$alg
	N="$M/firmware-signing"

	# The certificate's profile, by openssl.
	txt=$(openssl x509 -in "$N.crt" -noout -text) || fail "$alg: x509"
	echo "$txt" | grep -A1 "X509v3 Key Usage: critical" |
	    grep -q "^ *Digital Signature$" || fail "$alg: keyUsage"
	echo "$txt" | grep -A1 "X509v3 Extended Key Usage:" |
	    grep -q "^ *Code Signing$" || fail "$alg: extendedKeyUsage"
	echo "$txt" | grep -A1 "X509v3 Basic Constraints: critical" |
	    grep -q "CA:FALSE" || fail "$alg: basicConstraints"
	[ "$(openssl x509 -in "$N.crt" -noout -pubkey | openssl pkey -pubin \
	    -outform DER | sha256sum)" = "$(openssl pkey -pubin \
	    -in "$N.pub.pem" -outform DER | sha256sum)" ] ||
	    fail "$alg: the certificate's key is not pub.pem's"

	# The pubhash: the SPKI's SHA-256, and the raw key's.
	spki=$(openssl pkey -pubin -in "$N.pub.pem" -outform DER |
	    sha256sum | cut -d' ' -f1)
	grep -qx "sha256-spki-der: $spki" "$N.pubhash.txt" ||
	    { cat "$N.pubhash.txt"; fail "$alg: sha256-spki-der is not $spki"; }
	grep -qx "algorithm: $alg" "$N.pubhash.txt" || fail "$alg: algorithm"
	raw=$(sed -n 's/^raw-public-key: //p' "$N.pubhash.txt")
	[ "$(printf '%s' "$raw" | perl -ne 'print pack("H*", $_)' |
	    sha256sum | cut -d' ' -f1)" = "$(sed -n \
	    's/^sha256-raw-public-key: //p' "$N.pubhash.txt")" ] ||
	    fail "$alg: sha256-raw-public-key"
	# The raw key is the subjectPublicKey BIT STRING's bytes, which
	# end the SPKI DER.
	openssl pkey -pubin -in "$N.pub.pem" -outform DER | od -An -v -tx1 |
	    tr -d ' \n' | grep -q "$raw\$" || fail "$alg: raw key not the SPKI's"

	# The request: signed by the key, with its subject and extensions.
	openssl req -in "$N.csr" -noout -verify > "$T/req.out" 2>&1 ||
	    { cat "$T/req.out"; fail "$alg: csr signature"; }
	openssl req -in "$N.csr" -noout -text | grep -q "Code Signing" ||
	    fail "$alg: csr extensions"
	[ "$(openssl req -in "$N.csr" -noout -subject | sed 's/^subject=//')" \
	    = "$(openssl x509 -in "$N.crt" -noout -subject |
	    sed 's/^subject=//')" ] || fail "$alg: csr subject"
	TR=$(sed -n 's/^transcript: //p' "$M.create.out")
	"$KEYRITE" verify "$TR" --cert "$N.crt" > /dev/null ||
	    fail "$alg: create transcript"
	# The witnesses confirmed the key id (SPKI SHA-256), as pubhash says.
	grep -q "fingerprint-confirmed witness .* fingerprint=$(echo "$spki" |
	    tr a-f A-F | sed 's/..../&%20/g; s/%20$//') " "$TR" ||
	    fail "$alg: the key id confirmed is not the SPKI's SHA-256"

	# A three-image release, signed.
	images "$M"
	fw_sign "$M" "sign-$alg.out" || { cat "$T/sign-$alg.out";
	    fail "$alg: firmware-sign"; }
	grep -q "progress: checking fw/data.img: 100% (3.0 of 3.0 MiB)" \
	    "$T/sign-$alg.out" || fail "$alg: no progress lines"
	for img in boot.bin fw/app.bin fw/data.img; do
		b=$(basename "$img")
		verify_sig $alg "$N.pub.pem" "$M/$b.sig" "$M/$img" \
		    > "$T/v.out" 2>&1 || { cat "$T/v.out";
		    fail "$alg: $b.sig does not verify"; }
		verify_p7s $alg "$N.crt" "$N.pub.pem" "$M/$b.p7s" "$M/$img" \
		    > "$T/v.out" 2>&1 || { cat "$T/v.out" "$T/certtool.out";
		    fail "$alg: $b.p7s does not verify"; }
		# One byte flipped: both fail.
		cp "$M/$img" "$T/flipped"
		flip "$T/flipped" 777
		cmp -s "$M/$img" "$T/flipped" && fail "the flip changed nothing"
		verify_sig $alg "$N.pub.pem" "$M/$b.sig" "$T/flipped" \
		    > /dev/null 2>&1 && fail "$alg: $b.sig verifies a flipped image"
		verify_p7s $alg "$N.crt" "$N.pub.pem" "$M/$b.p7s" \
		    "$T/flipped" > /dev/null 2>&1 &&
		    fail "$alg: $b.p7s verifies a flipped image"
		grep -q "^image: $img $(stat -c %s "$M/$img") $(sha256sum < \
		    "$M/$img" | cut -d' ' -f1)\$" "$M/release-signed.txt" ||
		    fail "$alg: release record lacks $img"
		for o in "$b.p7s" "$b.sig"; do
			grep -q "^  [a-z]*: $o $(sha256sum < "$M/$o" |
			    cut -d' ' -f1)\$" "$M/release-signed.txt" ||
			    fail "$alg: release record lacks $o"
		done
	done
	verify_p7s $alg "$N.crt" "$N.pub.pem" "$M/release-signed.txt.p7s" \
	    "$M/release-signed.txt" > "$T/v.out" 2>&1 ||
	    { cat "$T/v.out"; fail "$alg: the release record's .p7s"; }
	grep -qx "manifest-sha256: $(sha256sum < "$M/release.txt" |
	    cut -d' ' -f1)" "$M/release-signed.txt" || fail "$alg: manifest"
	grep -qx "key-id: $spki" "$M/release-signed.txt" || fail "$alg: key-id"

	# The transcript: every image and output by SHA-256; it verifies.
	TR=$(sed -n 's/^transcript: //p' "$T/sign-$alg.out")
	"$KEYRITE" verify "$TR" --cert "$N.crt" > /dev/null ||
	    fail "$alg: sign transcript"
	for img in boot.bin fw/app.bin fw/data.img; do
		grep -q " image-checked engine image=$img size=$(stat -c %s \
		    "$M/$img") sha256=$(sha256sum < "$M/$img" | cut -d' ' -f1) " \
		    "$TR" || fail "$alg: transcript lacks $img"
	done
	for o in boot.bin.p7s boot.bin.sig app.bin.p7s app.bin.sig \
	    data.img.p7s data.img.sig release-signed.txt \
	    release-signed.txt.p7s; do
		grep -q " output-staged engine kind=[a-z-]* name=$o sha256=$(\
		    sha256sum < "$M/$o" | cut -d' ' -f1) " "$TR" ||
		    fail "$alg: transcript lacks $o"
	done
	grep -q " release-confirmed witness witness=Wendy%20Witness release=" \
	    "$TR" || fail "$alg: release confirmation not recorded"
	grep -q " key-proven engine .* use=sign-release" "$TR" ||
	    fail "$alg: key-proven does not say it is used"
done

echo "== the policy"
for bad in "firmware-signing rsa-2048" "secure-boot ed25519"; do
	set -- $bad
	mkdir -p "$T/p"
	"$KEYRITE" run "$FW_S/firmware-key-create.ceremony" --rehearsal \
	    --media "$T/p" --answers "$FW_EX/firmware-key-create.answers" \
	    --set key_class=$1 --set key_type=$2 > "$T/p.out" 2>&1; rc=$?
	[ $rc = 7 ] || { cat "$T/p.out"; fail "$1 $2: exit $rc, not 7"; }
	grep -q "algorithm $2 is not allowed for $1" "$T/p.out" ||
	    { cat "$T/p.out"; fail "$1 $2: not said"; }
	[ -z "$(ls -A "$T/p")" ] || fail "$1 $2: wrote to the medium"
done
echo "t-firmware: all checks passed"
