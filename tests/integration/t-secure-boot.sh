#!/bin/sh
# Secure boot: a secure-boot key (rsa-2048, the size UEFI firmware must
# take, and ecdsa-p256) signs a release of UEFI images, Debian's
# shimx64.efi (shim-unsigned) and one built here with gcc and objcopy.
# Each Authenticode-signed copy passes `sbverify --cert` (sbsigntool) and
# `osslsigncode verify`, which also recomputes the PE checksum; one byte
# changed in a signed copy makes sbverify fail.  The .p7s and .sig of
# each image verify too.
set -u
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
. "$KR_TOP/tests/integration/lib-firmware.sh"
command -v sbverify >/dev/null || fail "sbverify (sbsigntool) missing"
SHIM=/usr/lib/shim/shimx64.efi
[ -f "$SHIM" ] || fail "$SHIM missing: install shim-unsigned (make deps)"
fw_cards

fw_hello_efi "$T/hello.efi"

for alg in rsa-2048 ecdsa-p256; do
	echo "== $alg"
	M="$T/m-$alg"
	fw_key "$M" --set key_class=secure-boot --set key_type=$alg --set name=db
	mkdir "$M/efi"
	cp "$SHIM" "$M/efi/shimx64.efi"
	cp "$T/hello.efi" "$M/hello.efi"
	fw_manifest "$M" "boot chain 1.0" efi/shimx64.efi hello.efi
	fw_sign "$M" "sign-$alg.out" --set key_class=secure-boot --set name=db ||
	    { cat "$T/sign-$alg.out"; fail "$alg: firmware-sign"; }
	grep -q "progress: writing shimx64.efi.signed: 100%" "$T/sign-$alg.out" ||
	    fail "$alg: no progress for the signed copy"
	for img in efi/shimx64.efi hello.efi; do
		b=$(basename $img)
		sbverify --cert "$M/db.crt" "$M/$b.signed" > "$T/sbv.out" 2>&1 ||
		    { cat "$T/sbv.out"; fail "$alg: sbverify $b.signed"; }
		grep -q "Signature verification OK" "$T/sbv.out" ||
		    fail "$alg: sbverify did not say OK"
		osslsigncode verify -in "$M/$b.signed" -CAfile "$M/db.crt" \
		    > "$T/osc.out" 2>&1 || { cat "$T/osc.out";
		    fail "$alg: osslsigncode verify $b.signed"; }
		grep -q "invalid PE checksum\|MISMATCH" "$T/osc.out" &&
		    { cat "$T/osc.out"; fail "$alg: $b.signed: checksum"; }
		# The copy is the image, 8-byte aligned, then the table.
		s=$(stat -c %s "$M/$img")
		[ $(( $(stat -c %s "$M/$b.signed") > s )) = 1 ] ||
		    fail "$alg: $b.signed is not longer than $b"
		cp "$M/$b.signed" "$T/tampered"
		flip "$T/tampered" $((s / 2))
		cmp -s "$M/$b.signed" "$T/tampered" && fail "no byte changed"
		sbverify --cert "$M/db.crt" "$T/tampered" > "$T/sbv.out" 2>&1 &&
		    { cat "$T/sbv.out"; fail "$alg: a tampered $b verifies"; }
		openssl cms -verify -binary -inform DER -in "$M/$b.p7s" \
		    -content "$M/$img" -CAfile "$M/db.crt" -purpose any \
		    -out /dev/null 2>/dev/null || fail "$alg: $b.p7s"
		case $alg in
		rsa-*)	opt="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest" ;;
		*)	opt= ;;
		esac
		openssl dgst -sha256 $opt -verify "$M/db.pub.pem" \
		    -signature "$M/$b.sig" "$M/$img" > /dev/null ||
		    fail "$alg: $b.sig"
		grep -q "^  authenticode: $b.signed $(sha256sum < \
		    "$M/$b.signed" | cut -d' ' -f1)\$" "$M/release-signed.txt" ||
		    fail "$alg: release record lacks $b.signed"
	done
	TR=$(sed -n 's/^transcript: //p' "$T/sign-$alg.out")
	"$KEYRITE" verify "$TR" --cert "$M/db.crt" > /dev/null ||
	    fail "$alg: transcript"
	grep -q " image-checked engine image=efi/shimx64.efi .* authenticode-sha256=" \
	    "$TR" || fail "$alg: no Authenticode hash recorded"
	grep -q " output-staged engine kind=authenticode-image name=shimx64.efi.signed sha256=$(\
	    sha256sum < "$M/shimx64.efi.signed" | cut -d' ' -f1) " "$TR" ||
	    fail "$alg: signed copy not recorded"
done
# Another key's certificate is not taken.
sbverify --cert "$T/m-rsa-2048/db.crt" "$T/m-ecdsa-p256/hello.efi.signed" \
    > /dev/null 2>&1 && fail "sbverify took another key's certificate"
echo "t-secure-boot: all checks passed"
