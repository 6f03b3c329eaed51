#!/bin/sh
# escrow-import end to end, real binary, SoftHSM2 cards, outside tools:
#
#   - an `openssl genpkey` P-256 key (firmware-signing) imported with
#     docs/examples/escrow-import.answers; its key id is the SHA-256 of
#     openssl's public key; a drill recovers it; the shares read back with
#     pkcs11-tool open the package into bytes equal (cmp) to the source's
#     PKCS#8;
#   - a 32-byte AES key (hex) for data-at-rest: its key check value is
#     openssl's HMAC; a drill recovers it; the recovered bytes equal the
#     source (cmp), and again after a reshare to a new roster; an HMAC key
#     in binary likewise;
#   - an encrypted PKCS#8 (PEM) with the right passphrase; with a wrong
#     one: refused after the policy's tries, no card written, recorded;
#   - bad input, refused before any work (exit 7, nothing written): a file
#     that is not a key, a traditional EC key, a disallowed algorithm, a
#     device-identity key, an import into a class whose policy says never.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
EX="$KR_TOP/docs/examples/escrow-import.answers"
OPEN="$KR_TOP/$BUILD/helpers/openescrow"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE
TOK=$(sed -n 's/^directories.tokendir *= *//p' "$SOFTHSM2_CONF")
cp -a "$TOK" "$T/blank"

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = rehearsal
	ceremony.authorization = CHG-1
	confirm = yes
	EOA
	for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done
}
import() { # import MEDIA NAME [--set ...]
	_m=$1 _n=$2; shift 2
	"$KEYRITE" run "$S/escrow-import.ceremony" --media "$_m" \
	    --answers "$T/$_n.txt" --rehearsal "$@" > "$T/$_n.out" 2>&1
}
drill() { # drill MEDIA ESCROW CARDS
	{ people; echo "recover.cards = $3"; } > "$T/drill.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$1" \
	    --answers "$T/drill.txt" --rehearsal --set escrow="$2" \
	    --set certificate=none > "$T/drill.out" 2>&1
}
# The shares of the package's key on cards 1 and 3, read by pkcs11-tool,
# open it (helper) into OUT.
open_with_pkcs11_tool() { # open_with_pkcs11_tool PACKAGE OUT
	_k=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$1")
	_t=$(sed -n 's/^transcript: //p' "$1")
	for i in 1 3; do
		pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
		    --pin "12340$i" --read-object --type data \
		    --label "keyrite-share:$_k:$i:$_t" \
		    --application-label keyrite -o "$T/share$i.bin" 2>/dev/null ||
		    fail "pkcs11-tool read share $i of $_k"
	done
	rm -f "$2"
	"$OPEN" "$1" "$2" "$T/share1.bin" "$T/share3.bin" ||
	    fail "the shares do not open $1"
}
no_shares_written() {
	for i in 1 2 3 4 5; do
		pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
		    --pin "12340$i" --list-objects --type data 2>/dev/null |
		    grep -q "keyrite-share:" && fail "custodian-$i holds a share"
	done
	return 0
}

echo "== a P-256 key from openssl genpkey, firmware-signing"
mkdir "$T/a"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/a/import.key" 2>/dev/null || fail "openssl genpkey"
cp "$EX" "$T/p256.txt"
import "$T/a" p256 --set key_file=import.key --set key_class=firmware-signing
rc=$?
cat "$T/p256.out"
[ $rc = 0 ] || fail "import: exit $rc"
tr=$(sed -n 's/^transcript: //p' "$T/p256.out")
"$KEYRITE" verify "$tr" || fail "the import transcript does not verify"
want=$(openssl pkey -in "$T/a/import.key" -pubout -outform DER | sha256sum | cut -c1-64)
grep -q "^key-id: $want$" "$T/a/imported.escrow" || fail "key id is not openssl's"
grep -q " key-imported administrator file=import.key .* kind=pkcs8 algorithm=ecdsa-p256 key-class=firmware-signing key-id=$want origin=imported:%20made%20elsewhere,%20not%20generated%20on%20this%20appliance " \
    "$tr" || fail "no key-imported record"
grep -q " source-to-be-destroyed administrator medium=$T/a file=import.key confirmed-by=Ada%20Administrator " \
    "$tr" || fail "no confirmation that the source will be destroyed"
grep -q " key-generated " "$tr" && fail "an imported key is recorded as generated"
grep -q "^key-class: firmware-signing$" "$T/a/imported.escrow" || fail "class"
drill "$T/a" imported.escrow "custodian-2, custodian-3" ||
    { cat "$T/drill.out"; fail "drill of the imported key"; }
open_with_pkcs11_tool "$T/a/imported.escrow" "$T/p256.der"
openssl pkcs8 -topk8 -nocrypt -in "$T/a/import.key" -outform DER -out "$T/src.der"
cmp "$T/src.der" "$T/p256.der" || fail "recovered key differs from the source"
echo "cmp: the recovered PKCS#8 ($(wc -c < "$T/p256.der") bytes) equals the source"

echo "== a 32-byte AES key in hex, data-at-rest"
rm -rf "$TOK" && cp -a "$T/blank" "$TOK"
mkdir "$T/b"
head -c 32 /dev/urandom > "$T/aes.bin"
od -An -tx1 -v "$T/aes.bin" | tr -d ' \n' > "$T/b/aes.hex"
echo >> "$T/b/aes.hex"
cp "$EX" "$T/aes.txt"
import "$T/b" aes --set key_file=aes.hex --set key_format=aes-256-hex \
    --set escrow=aes.escrow || { cat "$T/aes.out"; fail "AES import"; }
kcv=$(printf 'keyrite key check v1' | openssl dgst -sha256 -mac HMAC \
    -macopt hexkey:"$(tr -d '\n' < "$T/b/aes.hex")" | sed 's/.*= //')
grep -q "^algorithm: aes-256$" "$T/b/aes.escrow" || fail "algorithm"
grep -q "^key-check: $kcv$" "$T/b/aes.escrow" || fail "key check is not openssl's HMAC"
tr=$(sed -n 's/^transcript: //p' "$T/aes.out")
"$KEYRITE" verify "$tr" || fail "the AES import transcript does not verify"
drill "$T/b" aes.escrow "custodian-3, custodian-1" ||
    { cat "$T/drill.out"; fail "drill of the AES key"; }
grep -q "proof=key%20check%20value%20equal" \
    "$(sed -n 's/^transcript: //p' "$T/drill.out")" || fail "drill: no proof"
open_with_pkcs11_tool "$T/b/aes.escrow" "$T/aes.out.bin"
cmp "$T/aes.bin" "$T/aes.out.bin" || fail "recovered AES key differs"
echo "cmp: the recovered AES key (32 bytes) equals the source"

echo "== the AES key reshared to a new roster keeps its bytes"
{ people; echo "recover.cards = custodian-1, custodian-2"
  echo "custodian.1.name = Dan Four"; echo "custodian.1.card = custodian-4"
  echo "custodian.2.name = Eve Five"; echo "custodian.2.card = custodian-5"
  echo "custodian.3.name = Carol One"; echo "custodian.3.card = custodian-1"
  echo "retire.cards = custodian-1, custodian-2, custodian-3"; } > "$T/ar.txt"
"$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$T/b" \
    --answers "$T/ar.txt" --rehearsal --set escrow=aes.escrow \
    --set certificate=none --set new_escrow=aes2.escrow --set threshold=2 \
    --set shares=3 > "$T/ar.out" 2>&1 || { cat "$T/ar.out"; fail "reshare AES"; }
grep -q "^key-class: data-at-rest$" "$T/b/aes2.escrow" || fail "class kept"
grep -q "^key-check: $kcv$" "$T/b/aes2.escrow" || fail "key check kept"
k2=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/b/aes2.escrow")
t2=$(sed -n 's/^transcript: //p' "$T/b/aes2.escrow")
for i in 4 5; do
	pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
	    --pin "12340$i" --read-object --type data \
	    --label "keyrite-share:$k2:$((i - 3)):$t2" \
	    --application-label keyrite -o "$T/r$i.bin" 2>/dev/null ||
	    fail "pkcs11-tool read new share on custodian-$i"
done
"$OPEN" "$T/b/aes2.escrow" "$T/aes2.out.bin" "$T/r4.bin" "$T/r5.bin" ||
    fail "the new shares do not open the reshared package"
cmp "$T/aes.bin" "$T/aes2.out.bin" || fail "the reshared AES key differs"
echo "cmp: the AES key recovered from the new roster equals the source"

echo "== a 48-byte HMAC key in binary"
head -c 48 /dev/urandom > "$T/b/hmac.bin"
cp "$EX" "$T/hmac.txt"
import "$T/b" hmac --set key_file=hmac.bin --set key_format=hmac-sha256-binary \
    --set escrow=hmac.escrow || { cat "$T/hmac.out"; fail "HMAC import"; }
open_with_pkcs11_tool "$T/b/hmac.escrow" "$T/hmac.out.bin"
cmp "$T/b/hmac.bin" "$T/hmac.out.bin" || fail "recovered HMAC key differs"

echo "== an encrypted PKCS#8: the wrong passphrase, then the right one"
rm -rf "$TOK" && cp -a "$T/blank" "$TOK"
mkdir "$T/c"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
    -aes-256-cbc -pass pass:correct-horse -out "$T/c/enc.key" 2>/dev/null ||
    fail "openssl genpkey -aes-256-cbc"
grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$T/c/enc.key" || fail "not encrypted"
{ cat "$EX"; echo "import.passphrase = wrong-horse"; } > "$T/wrong.txt"
import "$T/c" wrong --set key_file=enc.key; rc=$?
cat "$T/wrong.out"
[ $rc = 1 ] || fail "wrong passphrase: exit $rc"
grep -q "wrong passphrase for the encrypted key: $T/c/enc.key: the passphrase does not open it .*3 tries" \
    "$T/wrong.out" || fail "the refusal does not say why"
tr=$(sed -n 's/^transcript: \([^ ]*\).*/\1/p' "$T/wrong.out")
[ "$(grep -c " passphrase-rejected administrator file=enc.key " "$tr")" = 3 ] ||
    fail "the rejected passphrases are not recorded"
grep -q "wrong-horse" "$tr" && fail "a passphrase is in the transcript"
no_shares_written
ls "$T/c" | grep -q escrow && fail "a package was written"
{ cat "$EX"; echo "import.passphrase = correct-horse"; } > "$T/right.txt"
import "$T/c" right --set key_file=enc.key ||
    { cat "$T/right.out"; fail "right passphrase"; }
tr=$(sed -n 's/^transcript: //p' "$T/right.out")
grep -q " key-imported administrator .* kind=pkcs8-encrypted algorithm=ecdsa-p384 key-class=data-at-rest " \
    "$tr" || fail "encrypted import not recorded"

echo "== bad input, refused before any work"
mkdir "$T/d"
refused() { # refused NAME FILE-CONTENT-CMD SET... ; grep for $want
	_n=$1; shift
	cp "$EX" "$T/$_n.txt"
	before=$(ls "$T/d" | wc -l)
	import "$T/d" "$_n" "$@"; _rc=$?
	cat "$T/$_n.out"
	[ $_rc = 7 ] || fail "$_n: exit $_rc, want 7"
	grep -q "$want" "$T/$_n.out" || fail "$_n: '$want' not said"
	[ "$(ls "$T/d" | wc -l)" = "$before" ] || fail "$_n: something written"
	grep -q "^step" "$T/$_n.out" && fail "$_n: a step ran"
	return 0
}
echo "this is not a key" > "$T/d/junk.key"
want="$T/d/junk.key is not a PKCS#8 private key"
refused junk --set key_file=junk.key
openssl ecparam -name prime256v1 -genkey -noout -out "$T/d/trad.key" 2>/dev/null
want='trad.key is a PEM "EC PRIVATE KEY", not a PKCS#8 private key: convert it with openssl pkcs8 -topk8'
refused trad --set key_file=trad.key --set key_class=firmware-signing
openssl genpkey -algorithm ED25519 -out "$T/d/ed.key" 2>/dev/null
want="algorithm ed25519 is not allowed for data-at-rest"
refused ed --set key_file=ed.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/d/dev.key" 2>/dev/null
want="device-identity keys may never be escrowed"
refused dev --set key_file=dev.key --set key_class=device-identity
printf '00112233' > "$T/d/short.hex"
want="short.hex holds a 4-byte key; an aes-256 key is 32 bytes"
refused short --set key_file=short.hex --set key_format=aes-256-hex
sed 's/^import = allowed$/import = never/' "$S/policy.conf" > "$T/never.conf"
cp "$S/escrow-import.ceremony" "$T/"
cp "$T/never.conf" "$T/policy.conf"
cp "$EX" "$T/never.txt"
"$KEYRITE" run "$T/escrow-import.ceremony" --media "$T/d" \
    --answers "$T/never.txt" --rehearsal --set key_file=dev.key \
    --set key_class=firmware-signing > "$T/never.out" 2>&1; rc=$?
cat "$T/never.out"
[ $rc = 7 ] || fail "import = never: exit $rc"
grep -q "firmware-signing keys may not be imported into escrow: the policy says import = never" \
    "$T/never.out" || fail "import = never not said"
echo "import: all checks passed"
