#!/bin/sh
# mkseeds.sh: remakes the seed files under tests/fuzz/corpus/<harness>/
# with the test helpers, so that each harness starts from real input that
# parses (docs/fuzzing.md).  The seeds are committed; run this only to
# refresh them after a format change:
#
#	make BUILD=build-fuzz/tools build-fuzz/tools/helpers/mkescrow \
#	    build-fuzz/tools/helpers/mktranscript build-fuzz/tools/helpers/mkroot
#	tests/fuzz/corpus/mkseeds.sh build-fuzz/tools
#
# The first byte of a share, transcript, x509 or hex seed chooses the
# harness's mode (see the harness's header comment); escrow and answers
# seeds are plain files.  The escrow packages are sealed under the fixed
# test KEK 00 01 02 .. 1f that fuzz_escrow.c opens them with.
set -eu
TOOLS=${1:?usage: mkseeds.sh TOOLS-BUILD-DIR}
C=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
KEK=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

hexfield() { sed -n "s/^$2: //p" "$1" | head -1; }

TOP=$(cd "$C/../../.." && pwd)
rm -rf "$C/script" "$C/escrow" "$C/share" "$C/transcript" "$C/answers" \
    "$C/x509" "$C/hex" "$C/release" "$C/pe"
mkdir -p "$C/script" "$C/escrow" "$C/share" "$C/transcript" "$C/answers" \
    "$C/x509" "$C/hex" "$C/release" "$C/pe"

# --- ceremony scripts and the policy (fuzz_script.c) ------------------------
for s in root-ca-create key-recovery-drill; do
	{ printf '\000'; cat "$TOP/ceremony-scripts/$s.ceremony"; } \
	    > "$C/script/$s"
done
{ printf '\001'; cat "$TOP/ceremony-scripts/policy.conf"; } > "$C/script/policy"

# --- escrow packages and the shares split from their KEKs -------------------
for spec in ecdsa-p256:2:3 ed25519:2:2 aes-256:2:3; do
	alg=${spec%%:*}; mn=${spec#*:}; m=${mn%:*}; n=${mn#*:}
	mkdir "$T/$alg"
	"$TOOLS/helpers/mkescrow" "$T/$alg" "$alg" "$m" "$n" "$KEK" >/dev/null
	cp "$T/$alg/test.escrow" "$C/escrow/$alg-$m-of-$n.escrow"
	# share harness: mode, the 80 bytes, then what the package expects
	# (key id prefix, share-set id, this custodian's commitment).
	e="$T/$alg/test.escrow"
	kid=$(hexfield "$e" key-id | cut -c1-32)
	set=$(hexfield "$e" share-set)
	com=$(hexfield "$e" custodian.1.commitment)
	{ printf '\000'; cat "$T/$alg/share-1.bin"
	  printf '%s%s%s' "$kid" "$set" "$com" | xxd -r -p; } \
	    > "$C/share/$alg-share-1-matching"
	{ printf '\000'; cat "$T/$alg/share-2.bin"
	  printf '%s%s%s' "$kid" "$set" "$com" | xxd -r -p; } \
	    > "$C/share/$alg-share-2-wrong-commitment"
	{ printf '\001'; cat "$T/$alg/share-2.bin"; } \
	    > "$C/share/$alg-share-2-fixsum"
done

# Format version 1, which keyrite still reads (tests/vectors/).
cp "$TOP/tests/vectors/escrow-v1-ecdsa-p256.escrow" "$C/escrow/v1-ecdsa-p256-2-of-3.escrow"

# Variants the helper does not write, edited so that they still parse (the
# GCM tag no longer matches, which opening must notice): a transcript id
# and hash, UTF-8 names, a label with spaces.
sed -e 's/^transcript: none$/transcript: 20261123-140509-3f9a2c1e/' \
    -e 's/^transcript-hash: none$/transcript-hash: '"$(printf '%064d' 7)"'/' \
    "$C/escrow/ecdsa-p256-2-of-3.escrow" > "$C/escrow/with-transcript.escrow"
sed -e "s/^custodian.1.name: .*/custodian.1.name: $(printf 'Zo\303\253 \360\237\224\221 \344\270\255')/" \
    -e 's/^custodian.2.card: .*/custodian.2.card: card with spaces/' \
    "$C/escrow/ed25519-2-of-2.escrow" > "$C/escrow/utf8-names.escrow"

# --- transcripts: sealed (two algorithms) and cut off by SIGKILL ------------
for alg in ecdsa-p256 ed25519; do
	mkdir "$T/t-$alg"
	"$TOOLS/helpers/mktranscript" seal "$T/t-$alg/t" "$alg" "$T/t-$alg"
	{ printf '\000'; cat "$T/t-$alg/t"; } > "$C/transcript/sealed-$alg"
done
# ... checked against the signer's own key as the certificate's (mode 2),
# and with chains fixed and a foreign certificate key (mode 5).
{ printf '\002'; cat "$T/t-ecdsa-p256/t"; } > "$C/transcript/sealed-cert"
{ printf '\005'; cat "$T/t-ed25519/t"; } > "$C/transcript/sealed-foreign-cert"
# ... a real (not rehearsal) ceremony, chains fixed up by the harness.
{ printf '\001'; sed 's/^mode: rehearsal$/mode: real/' "$T/t-ecdsa-p256/t"; } \
    > "$C/transcript/real-fixchain"
# The writer SIGKILLs itself: that is the point (exit 137).
sh -c '"$1" kill "$2" 4 >/dev/null; :' sh "$TOOLS/helpers/mktranscript" \
    "$T/killed" 2>/dev/null
{ printf '\001'; cat "$T/killed"; } > "$C/transcript/unsealed-fixchain"
{ printf '\000'; head -c -5 "$T/killed"; } > "$C/transcript/cut-off-tail"

# --- answers files ----------------------------------------------------------
cat > "$C/answers/pins" <<'EOF'
# PINs for the rehearsal cards
pin.custodian-1 = 123456
pin.custodian-2=654321
	pin.card with spaces	=	a=b # not a comment	
empty =
EOF
printf 'subject = CN=Zo\303\253 Root,C=DE\r\nvalidity-days = 3650\r\n' \
    > "$C/answers/crlf-utf8"

# --- certificates and subjects ----------------------------------------------
mkdir "$T/c1" "$T/c2"
"$TOOLS/helpers/mkroot" "$T/c1" ecdsa-p384 3650 \
    'CN=Example Root CA,O=Example Corp,C=DE' >/dev/null
"$TOOLS/helpers/mkroot" -r -p 1 "$T/c2" ed25519 365 \
    "$(printf 'CN=Zo\303\253 \\, Co \\#1,OU=PKI,O=a=b,L=Berlin,ST=Berlin,C=DE')" \
    >/dev/null
{ printf '\000'; cat "$T/c1/root.pem"; } > "$C/x509/pem-ecdsa-p384"
{ printf '\000\n\n'; cat "$T/c2/root.pem"; } \
    > "$C/x509/pem-ed25519-rehearsal"
# Certificates keyrite did not make: negative serial and GeneralizedTime,
# and a 21-byte serial (over RFC 5280's 20), both for kr_x509_describe().
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/f1.key" -subj "/C=DE/O=Foreign/CN=$(printf 'for\303\253ign')" \
    -days 15000 -set_serial -12345 -out "$T/f1.pem" 2>/dev/null
openssl req -x509 -new -newkey ed25519 -nodes -keyout "$T/f2.key" \
    -subj "/CN=long serial" -days 30 \
    -set_serial 0x0102030405060708090a0b0c0d0e0f101112131415 \
    -out "$T/f2.pem" 2>/dev/null
{ printf '\000'; cat "$T/f1.pem"; } > "$C/x509/pem-foreign-negative-serial"
{ printf '\000'; cat "$T/f2.pem"; } > "$C/x509/pem-foreign-long-serial"
# The same four as DER (mode 4: the harness wraps them in PEM).
for f in pem-ecdsa-p384 pem-ed25519-rehearsal pem-foreign-long-serial \
    pem-foreign-negative-serial; do
	{ printf '\004'; tail -c +2 "$C/x509/$f" | openssl x509 -outform DER; } \
	    > "$C/x509/der-${f#pem-}"
done
printf '\001CN=Example Root CA,O=Example Corp,C=DE' > "$C/x509/subject-plain"
printf '\003CN=\\#1 \\, \\+ \\\\ \\" \\; \\< \\> \\= x,OU=Zo\303\253,ST=S,L=L' \
    > "$C/x509/subject-escapes-rehearsal"

# --- base64 and hex ---------------------------------------------------------
printf '\000SGVsbG8sIHdvcmxkIQ==' > "$C/hex/base64-pad2"
printf '\000AAECAwQF/+8=' > "$C/hex/base64-pad1"
printf '\001000102deadBEEF' > "$C/hex/hex"
printf '\002\000\001\002\377arbitrary bytes' > "$C/hex/roundtrip"
# --- release manifests (fuzz_release.c) ------------------------------------
sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
printf 'keyrite-release 1\nname ACME pump firmware 4.2.0\nimage fw/app.bin 1048576 %s\nimage boot.efi 2088 %s\n' \
    "$sha" "$sha" > "$C/release/two-images"
printf '# made by the release pipeline\n\nkeyrite-release 1\n# name\nname Zo\303\253 1.0\nimage a.b-c_d 1 %s\n' \
    "$sha" > "$C/release/comments-utf8"

# --- UEFI images (fuzz_pe.c): one built here, and the same signed by sbsign
printf '%s\n' 'static const char msg[] = "keyrite test image";' \
    'unsigned long long efi_main(void *image, void *systab)' \
    '{ (void)image; (void)systab; return sizeof(msg); }' > "$T/hello.c"
gcc -O2 -fpic -ffreestanding -fno-stack-protector -mno-red-zone \
    -c "$T/hello.c" -o "$T/hello.o"
ld -shared -Bsymbolic -nostdlib -e efi_main "$T/hello.o" -o "$T/hello.so"
objcopy --target=efi-app-x86_64 -j .text -j .rodata -j .data -j .dynamic \
    -j .dynsym -j .rela "$T/hello.so" "$C/pe/hello.efi"
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$T/db.key" \
    -subj "/CN=fuzz db" -days 30 -out "$T/db.crt" 2>/dev/null
sbsign --key "$T/db.key" --cert "$T/db.crt" --output "$C/pe/hello-signed.efi" \
    "$C/pe/hello.efi" 2>/dev/null

echo "seeds written under $C"
