#!/bin/sh
# key-destroy end to end, real binary, SoftHSM2 cards, outside tools:
#
#   - a 3-of-5 root destroyed with docs/examples/key-destroy.answers:
#     three custodians recover it, four cards are presented and their
#     shares deleted (pkcs11-tool finds none left), custodian-5's is named
#     as not deleted, each package copy is attested; the transcript is
#     sealed by the key and verifies;
#   - afterwards: a drill on the media holding the destroy transcript is
#     refused before any work, naming it; a drill with the one remaining
#     share, on a medium without that transcript (an old copy), cannot
#     reach the quorum; keyrite cards --media marks the leftover and
#     keyrite clean --pins deletes it;
#   - bad input: no authorization (refused at the roll call even in a
#     rehearsal, before any card: every share still there).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
EX="$KR_TOP/docs/examples/key-destroy.answers"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
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
	for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done
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
cp -a "$T/m" "$T/copy"
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/m/root-ca.escrow")
KID=$(sed -n 's/^key-id: //p' "$T/m/root-ca.escrow")
shares_on() { # shares_on N: how many share objects of K card N holds
	pkcs11-tool --module "$M" --token-label "custodian-$1" --login \
	    --pin "12340$1" --list-objects --type data 2>/dev/null |
	    grep -c "label: *'keyrite-share:$K:"
}
drill() { # drill MEDIA NAME CARDS
	{ people; echo "recover.cards = $3"; } > "$T/$2.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$1" \
	    --answers "$T/$2.txt" --rehearsal > "$T/$2.out" 2>&1
}

echo "== key-destroy without an authorization"
grep -v '^ceremony.authorization' "$EX" > "$T/noauth.txt"
"$KEYRITE" run "$S/key-destroy.ceremony" --media "$T/m" \
    --answers "$T/noauth.txt" --rehearsal > "$T/noauth.out" 2>&1; rc=$?
cat "$T/noauth.out"
[ $rc = 1 ] || fail "no authorization: exit $rc"
grep -q "no answer for prompt 'ceremony.authorization'.*a key-destroy, even in rehearsal, does not start without a reason and an authorization" \
    "$T/noauth.out" || fail "the missing authorization is not named"
grep -q "card:" "$T/noauth.out" && fail "a card was asked for"
for i in 1 2 3 4 5; do
	[ "$(shares_on $i)" = 1 ] || fail "custodian-$i lost its share"
done

echo "== key-destroy (docs/examples)"
"$KEYRITE" run "$S/key-destroy.ceremony" --media "$T/m" --answers "$EX" \
    --rehearsal > "$T/destroy.out" 2>&1; rc=$?
cat "$T/destroy.out"
[ $rc = 0 ] || fail "key-destroy: exit $rc"
D=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/destroy.out")
TR="$T/m/transcript-$D.txt"
"$KEYRITE" verify "$TR" --cert "$T/m/root-ca.pem" || fail "verify"
for i in 1 2 3 4; do
	n=$(shares_on $i)
	echo "custodian-$i: $n share objects of $K (pkcs11-tool)"
	[ "$n" = 0 ] || fail "custodian-$i still holds a share of the key"
	serial=$(softhsm2-util --show-slots | awk -v l="custodian-$i" \
	    '/Serial number:/ { s = $3 } $1 == "Label:" && $2 == l { print s }')
	grep -q " share-destroyed custodian card=custodian-$i serial=$serial x=$i " "$TR" ||
	    fail "the deletion on custodian-$i (serial $serial) is not recorded"
done
[ "$(shares_on 5)" = 1 ] || fail "custodian-5 was not presented, yet its share is gone"
grep -q " key-destroyed engine key-id=$KID package=root-ca.escrow shares-deleted=4 shares-not-deleted=1 not-deleted=x%3D5%20card%20custodian-5%20serial%20[0-9a-f]* below-threshold=yes " \
    "$TR" || fail "key-destroyed does not state what remains"
[ "$(grep -c " escrow-copy-destroyed administrator " "$TR")" = 2 ] ||
    fail "not 2 copies attested destroyed"
grep -q " escrow-copy-remaining administrator location=Backup%20drive%20B,%20off-site%20vault " \
    "$TR" || fail "the remaining copy is not recorded"
grep -q " escrow-copies administrator copies-destroyed=2 copies-remaining=Backup%20drive%20B,%20off-site%20vault " \
    "$TR" || fail "no summary of the copies"
grep -q "use=destroy" "$TR" || fail "key-proven does not say what for"

echo "== afterwards: refused where the destroy is known, too few elsewhere"
drill "$T/m" known "custodian-5, custodian-1, custodian-2"; rc=$?
cat "$T/known.out"
[ $rc = 7 ] || fail "drill of a destroyed key: exit $rc, want 7"
grep -q "key destroyed: .*root-ca.escrow: its key was destroyed by ceremony $D" \
    "$T/known.out" || fail "the destroy is not named"
drill "$T/copy" remaining "custodian-5, custodian-1, custodian-2, custodian-3"
rc=$?
cat "$T/remaining.out"
[ $rc = 1 ] || fail "a drill with the remaining share: exit $rc"
grep -q "not enough shares: 1 good share of the 3 needed: present 2 more" \
    "$T/remaining.out" || fail "the remaining shares reached a quorum?"

echo "== keyrite cards marks the leftover; keyrite clean deletes it"
for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done > "$T/pins"
"$KEYRITE" cards --pins "$T/pins" --media "$T/m" > "$T/cards.out" 2>&1 ||
    { cat "$T/cards.out"; fail "keyrite cards"; }
cat "$T/cards.out"
grep -A2 "^card custodian-5 " "$T/cards.out" |
    grep -q "LEFTOVER OF A DESTROYED KEY: destroyed by ceremony $D" ||
    fail "the leftover on custodian-5 is not marked"
"$KEYRITE" clean --media "$T/m" --pins "$T/pins" > "$T/clean.out" 2>&1 ||
    { cat "$T/clean.out"; fail "keyrite clean"; }
cat "$T/clean.out"
[ "$(shares_on 5)" = 0 ] || fail "clean did not delete the leftover"
echo "destroy: all checks passed"
