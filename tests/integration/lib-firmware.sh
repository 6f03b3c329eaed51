# tests/integration/lib-firmware.sh: firmware keys and releases for the
# firmware tests.  Source it after setting T and defining fail().  The
# answers files are the ones docs/examples/ ships, so the examples stay
# right.
#
#   fw_cards                    five rehearsal cards in $T/cards, this
#                               shell pointed at them
#   fw_key DIR [--set ...]      firmware-key-create into DIR (made), batch,
#                               with docs/examples/firmware-key-create.answers
#   fw_manifest DIR NAME PATH...
#                               DIR/release.txt naming the release NAME and
#                               listing the images (paths relative to DIR)
#   fw_sign DIR OUT [--set ...] firmware-sign in DIR with
#                               docs/examples/firmware-sign.answers; its
#                               output into $T/OUT; returns its exit status
#   fw_hello_efi OUT            a tiny UEFI application, built with gcc, ld
#                               and objcopy (binutils)
#   fw_p7s_by_hand P7S IMAGE PUB DIGEST
#                               checks an EdDSA .p7s (which OpenSSL 3.0's
#                               cms cannot) as docs/firmware-signing.md
#                               says: messageDigest, then the signature
#                               over the signed attributes with pkeyutl

FW_S="$KR_TOP/ceremony-scripts"
FW_EX="$KR_TOP/docs/examples"

fw_cards() {
	"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
	    fail "rehearsal-cards"
	. "$T/cards/env"
}

fw_key() {
	_d=$1
	shift
	mkdir -p "$_d"
	"$KEYRITE" run "$FW_S/firmware-key-create.ceremony" --rehearsal \
	    --media "$_d" --answers "$FW_EX/firmware-key-create.answers" "$@" \
	    > "$_d.create.out" 2>&1 ||
	    { cat "$_d.create.out"; fail "firmware-key-create $*"; }
}

fw_manifest() {
	_d=$1 _n=$2
	shift 2
	{
		echo "keyrite-release 1"
		echo "name $_n"
		for _p in "$@"; do
			echo "image $_p $(stat -c %s "$_d/$_p") $(sha256sum < \
			    "$_d/$_p" | cut -d' ' -f1)"
		done
	} > "$_d/release.txt"
}

fw_sign() {
	_d=$1 _o=$2
	shift 2
	"$KEYRITE" run "$FW_S/firmware-sign.ceremony" --rehearsal \
	    --media "$_d" --answers "$FW_EX/firmware-sign.answers" "$@" \
	    > "$T/$_o" 2>&1
}

fw_hello_efi() {
	printf '%s\n' 'static const char msg[] = "keyrite test image";' \
	    'unsigned long long efi_main(void *image, void *systab)' \
	    '{ (void)image; (void)systab; return sizeof(msg); }' > "$T/hello.c"
	gcc -O2 -fpic -ffreestanding -fno-stack-protector -mno-red-zone \
	    -c "$T/hello.c" -o "$T/hello.o" &&
	ld -shared -Bsymbolic -nostdlib -e efi_main "$T/hello.o" \
	    -o "$T/hello.so" &&
	objcopy --target=efi-app-x86_64 -j .text -j .rodata -j .data \
	    -j .dynamic -j .dynsym -j .rela "$T/hello.so" "$1" ||
	    fail "building a UEFI image with gcc, ld and objcopy"
}

# The hex of the OCTET STRINGs at depth $2 in asn1parse output $1.
fw_octets() {
	sed -n "s/.*:d=$2 .*prim: OCTET STRING *\[HEX DUMP\]://p" "$1"
}

fw_p7s_by_hand() {
	_p7s=$1 _img=$2 _pub=$3 _dg=$4
	openssl asn1parse -inform DER -in "$_p7s" > "$T/p7s.txt" ||
	    return 1
	# The signed attributes: [0] IMPLICIT in the SignerInfo (depth 5),
	# signed as a SET OF: its first byte becomes 0x31.
	set -- $(sed -n 's/^ *\([0-9]*\):d=5 *hl=\([0-9]*\) *l= *\([0-9]*\) cons: cont \[ 0 \].*/\1 \2 \3/p' \
	    "$T/p7s.txt")
	[ $# = 3 ] || { echo "no signed attributes in $_p7s"; return 1; }
	{ printf '\061'; tail -c +$(($1 + 2)) "$_p7s" |
	    head -c $(($2 + $3 - 1)); } > "$T/attrs.der"
	fw_octets "$T/p7s.txt" 5 | perl -ne 'chomp; print pack("H*", $_)' \
	    > "$T/sig.bin"
	[ "$(fw_octets "$T/p7s.txt" 8 | tr A-F a-f)" = \
	    "$(openssl dgst $_dg -binary "$_img" | od -An -v -tx1 |
	    tr -d ' \n')" ] || { echo "messageDigest differs"; return 1; }
	openssl pkeyutl -verify -pubin -inkey "$_pub" -rawin \
	    -in "$T/attrs.der" -sigfile "$T/sig.bin"
}
