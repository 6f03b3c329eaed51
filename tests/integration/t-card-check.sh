#!/bin/sh
# card-check end to end: one custodian, alone, no quorum.  Each of the five
# cards of a 3-of-5 root is checked with docs/examples/card-check.answers;
# each transcript is sealed by that card's own custodian key, which a
# custodian-key-bound record binds in the chain, and verifies with keyrite
# verify and by hand (openssl), and pkcs11-tool shows the keyrite-custodian
# key on the card.  A card of another key, a damaged share (written with
# pkcs11-tool), and a share of another split are refused, named, and leave
# an unsealed transcript that says what was found.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
EX="$KR_TOP/docs/examples/card-check.answers"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 7 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = rehearsal
	ceremony.authorization = CHG-1
	confirm = yes
	EOA
	for i in 1 2 3 4 5 6 7; do echo "pin.custodian-$i = 12340$i"; done
}
{ people
  for i in 1 2 3 4 5; do
	echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"
  done; } > "$T/create.txt"
mkdir "$T/m"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/m" \
    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "root-ca-create"; }
C1=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/create.out")
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/m/root-ca.escrow")

check() { # check CARD-NUMBER NAME: card-check of custodian-N
	sed "s/custodian-1/custodian-$1/g; s/123401/12340$1/" "$EX" > "$T/$2.txt"
	"$KEYRITE" run "$S/card-check.ceremony" --media "$T/m" \
	    --answers "$T/$2.txt" --rehearsal > "$T/$2.out" 2>&1
}

for i in 1 2 3 4 5; do
	echo "== card-check of custodian-$i"
	check $i c$i || { cat "$T/c$i.out"; fail "card-check custodian-$i"; }
	cat "$T/c$i.out"
	tr=$(sed -n 's/^transcript: //p' "$T/c$i.out")
	grep -q " card-checked custodian custodian=Carol%20One card=custodian-$i serial=[0-9a-f]* x=$i share=ok serial-as-in-package=yes " \
	    "$tr" || fail "custodian-$i: no card-checked record with share=ok"
	"$KEYRITE" verify "$tr" > "$T/v$i.out" || { cat "$T/v$i.out"; fail "verify"; }
	grep -q "signer        ecdsa-p256" "$T/v$i.out" || fail "not sealed by a P-256 key"
	# The sealing key is the card's, bound in the chain before the seal.
	kid=$(sed -n 's/^signer-key-id: //p' "$tr")
	grep -q " custodian-key-bound engine card=custodian-$i serial=[0-9a-f]* key-id=$kid " \
	    "$tr" || fail "the seal's key is not bound to custodian-$i"
	# By hand: the seal verifies with openssl under the card's public key.
	id=$(sed -n 's/^ceremony-id: //p' "$tr")
	final=$(sed -n 's/.* sealed keyrite .* chain=\([0-9a-f]*\)$/\1/p' "$tr")
	printf 'keyrite-transcript-seal %s %s\n' "$id" "$final" > "$T/msg"
	sed -n 's/^signer-public-key: //p' "$tr" | base64 -d |
	    openssl pkey -pubin -inform DER -out "$T/card.pem" || fail "public key"
	sed -n 's/^signature: //p' "$tr" | base64 -d > "$T/sig"
	openssl dgst -sha256 -verify "$T/card.pem" -signature "$T/sig" "$T/msg" ||
	    fail "openssl: the card's seal does not verify"
	# pkcs11-tool sees the keyrite-custodian key pair on the card, and
	# its public key is the transcript's signer.
	pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
	    --pin "12340$i" --list-objects --type pubkey 2>/dev/null |
	    grep -q "label: *keyrite-custodian" || fail "no custodian key on the card"
	pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
	    --pin "12340$i" --read-object --type pubkey --label keyrite-custodian \
	    -o "$T/pub$i.der" 2>/dev/null || fail "pkcs11-tool read pubkey"
	[ "$(sha256sum < "$T/pub$i.der" | cut -c1-64)" = "$kid" ] ||
	    fail "pkcs11-tool's public key is not the transcript's signer"
	# No key was recovered: no share left the card, nothing was split.
	grep -q " kek-recovered \| kek-split " "$tr" && fail "a key was recovered"
done

echo "== a second check of a card reuses its custodian key"
check 1 again || { cat "$T/again.out"; fail "second check"; }
grep -q "made one on it" "$T/again.out" && fail "a second custodian key was made"

echo "== a card of another key"
check 6 foreign; rc=$?
cat "$T/foreign.out"
[ $rc = 1 ] || fail "foreign card: exit $rc"
grep -q "custodian-6 .*holds no share of the key in .*root-ca.escrow" \
    "$T/foreign.out" || fail "foreign card not named"
tr=$(sed -n 's/^transcript: \([^ ]*\).*/\1/p' "$T/foreign.out")
grep -q " card-checked custodian .*card=custodian-6 .*share=no%20share%20of%20this%20key " \
    "$tr" || fail "the finding is not recorded"
"$KEYRITE" verify --allow-unsealed "$tr" >/dev/null || fail "transcript damaged"

echo "== a damaged share, written by pkcs11-tool"
pkcs11-tool --module "$M" --token-label custodian-4 --login --pin 123404 \
    --read-object --type data --label "keyrite-share:$K:4:$C1" \
    --application-label keyrite -o "$T/s4.bin" 2>/dev/null || fail "read share"
# One byte of the share value (offset 50) flipped: the checksum fails.
flip "$T/s4.bin" 50
pkcs11-tool --module "$M" --token-label custodian-7 --login --pin 123407 \
    --write-object "$T/s4.bin" --type data --private \
    --label "keyrite-share:$K:4:$C1" --application-label keyrite \
    >/dev/null 2>&1 || fail "pkcs11-tool write"
check 7 damaged; rc=$?
cat "$T/damaged.out"
[ $rc = 1 ] || fail "damaged share: exit $rc"
grep -q "checksum" "$T/damaged.out" || fail "the checksum failure is not named"
tr=$(sed -n 's/^transcript: \([^ ]*\).*/\1/p' "$T/damaged.out")
grep -q " card-checked custodian .*card=custodian-7 .*share=damaged " "$tr" ||
    fail "the damaged share is not recorded"
echo "== a card whose custodian key was replaced (pkcs11-tool)"
for t in privkey pubkey; do
	pkcs11-tool --module "$M" --token-label custodian-5 --login \
	    --pin 123405 --delete-object --type $t --label keyrite-custodian \
	    >/dev/null 2>&1 || fail "pkcs11-tool delete $t"
done
pkcs11-tool --module "$M" --token-label custodian-5 --login --pin 123405 \
    --keypairgen --key-type EC:prime256v1 --label keyrite-custodian \
    >/dev/null 2>&1 || fail "pkcs11-tool keypairgen"
check 5 rekeyed; rc=$?
cat "$T/rekeyed.out"
[ $rc = 1 ] || fail "replaced custodian key: exit $rc"
grep -q "custodian-5.*custodian key is not the one the escrow package enrolled with share 5" \
    "$T/rekeyed.out" || fail "the replaced key is not named"
tr=$(sed -n 's/^transcript: \([^ ]*\).*/\1/p' "$T/rekeyed.out")
grep -q " card-checked custodian .*card=custodian-5 .*share=custodian-key-changed " \
    "$tr" || fail "the replaced key is not recorded"
echo "card-check: all checks passed"
