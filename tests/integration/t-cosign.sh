#!/bin/sh
# Custodian co-signatures, bound (issue 14): every card that takes part is
# bound in the chain and co-signs the sealed transcript with its own
# P-256 key, made on the card.  Checked with keyrite verify, the by-hand
# check of docs/transcript-format.md and pkcs11-tool:
#   - a 3-of-5 create has 5 valid co-signatures, a drill with 3 cards 3;
#   - a co-signature removed reads MISSING, the transcript INCOMPLETE (9);
#   - a card skipped at co-signing is recorded, and reads MISSING;
#   - a card bound in another ceremony co-signing this one (signed for
#     real on the card with pkcs11-tool) makes the transcript BAD;
#   - a card whose custodian key is not the one the package enrolled is
#     refused in a drill, and named.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
CT="$KR_TOP/$BUILD/helpers/cardtool"
DOC="$KR_TOP/docs/transcript-format.md"
sed -n '/^<!-- check-transcript.sh/,/^```$/p' "$DOC" | sed '1,2d;$d' \
    > "$T/check-transcript.sh"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null || fail "cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE
mkdir "$T/m"
people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	confirm = yes
	EOA
	for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done
}
{ people; for i in 1 2 3 4 5; do echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"; done; } > "$T/create.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/m" \
    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "create"; }
TC=$(sed -n 's/^transcript: //p' "$T/create.out")
"$KEYRITE" verify "$TC" --cert "$T/m/root-ca.pem" > "$T/v.out" 2>&1 ||
    { cat "$T/v.out"; fail "verify the creation"; }
grep -q "^  cosignatures  5 of the 5 the chain expects$" "$T/v.out" ||
    { cat "$T/v.out"; fail "creation: not 5 co-signatures"; }
[ "$(grep -c ': present, valid$' "$T/v.out")" = 5 ] || fail "creation: 5 valid"
sh "$T/check-transcript.sh" "$TC" > "$T/bh.out" 2>&1 && [ "$(tail -1 "$T/bh.out")" = OK ] ||
    { cat "$T/bh.out"; fail "by hand: the creation"; }
"$KEYRITE" escrow inspect "$T/m/root-ca.escrow" > /dev/null || fail "inspect"
[ "$(grep -c '^custodian\.[1-5]\.key: [0-9a-f]\{64\}$' "$T/m/root-ca.escrow")" = 5 ] ||
    fail "the roster does not enroll 5 custodian keys"

drill() { # drill OUT CARDS [extra answers]
	{ people; echo "recover.cards = $2"; [ -n "${3:-}" ] && echo "$3"; } > "$T/d.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$T/m" \
	    --answers "$T/d.txt" --rehearsal > "$T/$1" 2>&1
}
drill d1.out "custodian-5, custodian-2, custodian-4" ||
    { cat "$T/d1.out"; fail "drill"; }
TD=$(sed -n 's/^transcript: //p' "$T/d1.out")
"$KEYRITE" verify "$TD" > "$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify drill"; }
grep -q "^  cosignatures  3 of the 3 the chain expects$" "$T/v.out" ||
    { cat "$T/v.out"; fail "drill: not 3 co-signatures"; }
for c in 5 2 4; do
	grep -q " custodian-key-bound engine card=custodian-$c " "$TD" ||
	    fail "drill: custodian-$c not bound"
done
echo "ok 1 - create: 5 co-signatures; drill: 3"

# A co-signature removed: MISSING, incomplete, by keyrite and by hand.
grep -v '^cosignature: ecdsa-p256 custodian-2 ' "$TD" > "$T/removed.txt"
"$KEYRITE" verify "$T/removed.txt" > "$T/v.out" 2>&1; rc=$?
[ $rc = 9 ] || { cat "$T/v.out"; fail "removed: exit $rc, want 9"; }
grep -q "card custodian-2 (serial [0-9a-f]*): MISSING$" "$T/v.out" &&
    grep -q "^result: INCOMPLETE: .*1 of the 3 co-signatures the chain expects are missing" "$T/v.out" ||
    { cat "$T/v.out"; fail "removed: not named"; }
sh "$T/check-transcript.sh" "$T/removed.txt" > "$T/bh.out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "^MISSING: co-signature of card custodian-2 " "$T/bh.out" ||
    { cat "$T/bh.out"; fail "by hand: removed co-signature not missing"; }
echo "ok 2 - a removed co-signature is missing (exit 9), by both"

# A custodian who cannot co-sign: skipped, recorded, missing.
drill d2.out "custodian-1, custodian-3, custodian-4" "cosign.custodian-3 = skip" ||
    { cat "$T/d2.out"; fail "drill with a skipped card"; }
T2=$(sed -n 's/^transcript: //p' "$T/d2.out")
grep -q "^cosignature-missing: custodian-3 [0-9a-f]* skipped$" "$T2" ||
    fail "skipped card not recorded"
"$KEYRITE" verify "$T2" > "$T/v.out" 2>&1; rc=$?
[ $rc = 9 ] && grep -q "card custodian-3 (serial [0-9a-f]*): MISSING: skipped$" "$T/v.out" ||
    { cat "$T/v.out"; fail "skipped: exit $rc"; }
echo "ok 3 - a card that could not co-sign is recorded and reads missing"

# custodian-1 took part in the creation, not in the first drill: its card
# co-signs the drill's final chain value for real, on the card.
fin=$(awk '/^$/ { b++; next } b == 1' "$TD" | tail -1 | sed 's/.* chain=//')
id=$(sed -n 's/^ceremony-id: //p' "$TD")
s1=$(sed -n 's/.* custodian-key-bound engine card=custodian-1 serial=\([0-9a-f]*\) .*/\1/p' "$TC")
printf 'keyrite-transcript-cosign %s %s custodian-1 %s\n' "$id" "$fin" "$s1" \
    > "$T/msg"
openssl dgst -sha256 -binary "$T/msg" > "$T/digest"
pkcs11-tool --module "$M" --token-label custodian-1 --login --pin 123401 \
    --sign --mechanism ECDSA --label keyrite-custodian --signature-format openssl \
    -i "$T/digest" -o "$T/sig" > /dev/null 2>&1 || fail "pkcs11-tool --sign"
pkcs11-tool --module "$M" --token-label custodian-1 --login --pin 123401 \
    --read-object --type pubkey --label keyrite-custodian -o "$T/pub.der" \
    > /dev/null 2>&1 || fail "pkcs11-tool --read-object pubkey"
printf 'cosignature: ecdsa-p256 custodian-1 %s %s %s\n' "$s1" \
    "$(base64 -w0 < "$T/pub.der")" "$(base64 -w0 < "$T/sig")" > "$T/line"
cat "$TD" "$T/line" > "$T/other.txt"
"$KEYRITE" verify "$T/other.txt" > "$T/v.out" 2>&1; rc=$?
[ $rc = 5 ] && grep -q "card custodian-1 (serial $s1) co-signed with key [0-9a-f]*, which no custodian-key-bound record in the sealed chain binds to that card" "$T/v.out" ||
    { cat "$T/v.out"; fail "a card of another ceremony: exit $rc"; }
sh "$T/check-transcript.sh" "$T/other.txt" > "$T/bh.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "^BAD: co-signature of card custodian-1: its key is not bound to it in the chain$" "$T/bh.out" ||
    { cat "$T/bh.out"; fail "by hand: a card of another ceremony"; }
echo "ok 4 - a card bound in another ceremony co-signing: BAD, by both"

# custodian-3's custodian key replaced: its share is refused in a drill.
pkcs11-tool --module "$M" --token-label custodian-3 --login --pin 123403 \
    --delete-object --type privkey --label keyrite-custodian > /dev/null 2>&1 &&
pkcs11-tool --module "$M" --token-label custodian-3 --login --pin 123403 \
    --delete-object --type pubkey --label keyrite-custodian > /dev/null 2>&1 ||
    fail "deleting custodian-3's key"
"$CT" --module "$M" --card custodian-3 login:123403 custodian:create:"$T/new.der" \
    > /dev/null || fail "a new key on custodian-3"
drill d3.out "custodian-3, custodian-1, custodian-2, custodian-5" ||
    { cat "$T/d3.out"; fail "drill past custodian-3"; }
grep -q "notice: card custodian-3 (serial [0-9a-f]*)'s custodian key is not the one the escrow package enrolled with this share: the share is not on the card it was written to; it is not used; present the next custodian's card" "$T/d3.out" ||
    { cat "$T/d3.out"; fail "custodian-3's new key not named"; }
echo "ok 5 - a card whose custodian key is not the enrolled one is refused"
echo "cosign: all checks passed"
