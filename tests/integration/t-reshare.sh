#!/bin/sh
# custodian-reshare end to end, real binary, SoftHSM2 cards, outside tools:
#
#   - a root-ca-create 3-of-5 on custodian-1..5, reshared 3-of-5 -> 2-of-4
#     with two new custodians (custodian-6, -7) by docs/examples/
#     custodian-reshare.answers: every new pair opens the new package,
#     old-only cards do not; pkcs11-tool shows the old shares deleted from
#     the old cards as they co-sign after the seal (or are presented after
#     the co-signatures); the old package is refused,
#     naming its successor; the new package names what it supersedes;
#   - a second reshare whose old cards do not co-sign and only custodian-1
#     comes back after (its old share deleted then): the
#     old package and the new shares never combine, nor the new package and
#     the old shares; keyrite cards --media marks the old shares; keyrite
#     clean --pins deletes them;
#   - bad input: a new roster the policy refuses (every reason, exit 7,
#     nothing written), a new card already holding a share of this key
#     (named; the old quorum still opens the key; nothing lost).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
EX="$KR_TOP/docs/examples/custodian-reshare.answers"
OPEN="$KR_TOP/$BUILD/helpers/openescrow"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 9 >/dev/null ||
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
	for i in 1 2 3 4 5 6 7 8 9; do echo "pin.custodian-$i = 12340$i"; done
}
create() { # create MEDIA
	{ people
	  for i in 1 2 3 4 5; do
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
	  done; } > "$T/create.txt"
	"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$1" \
	    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
	    { cat "$T/create.out"; fail "root-ca-create"; }
}
drill() { # drill MEDIA ESCROW NAME CARDS...
	_m=$1 _e=$2 _n=$3; shift 3
	{ people; echo "recover.cards = $*"; } > "$T/$_n.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$_m" \
	    --answers "$T/$_n.txt" --rehearsal --set escrow="$_e" \
	    > "$T/$_n.out" 2>&1
}
labels() { # labels CARD-NUMBER: the keyrite share labels on the card
	pkcs11-tool --module "$M" --token-label "custodian-$1" --login \
	    --pin "12340$1" --list-objects --type data 2>/dev/null |
	    sed -n "s/^ *label: *'\(keyrite-share:[^']*\)'.*/\1/p"
}

echo "== a 3-of-5 root, reshared to 2-of-4 (docs/examples)"
mkdir "$T/m"
create "$T/m"
C1=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/create.out")
OLDSHA=$(sha256sum < "$T/m/root-ca.escrow" | cut -c1-64)
"$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$T/m" \
    --answers "$EX" --rehearsal --set threshold=2 --set shares=4 \
    > "$T/reshare.out" 2>&1; rc=$?
cat "$T/reshare.out"
[ $rc = 0 ] || fail "reshare: exit $rc"
R1=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/reshare.out")
[ -n "$R1" ] || fail "no reshare transcript"
"$KEYRITE" verify "$T/m/transcript-$R1.txt" --cert "$T/m/root-ca.pem" ||
    fail "the reshare transcript does not verify"
grep -q "^output: $T/m/root-ca-reshared.escrow$" "$T/reshare.out" ||
    fail "new package not published"
grep -q "^supersedes: $OLDSHA$" "$T/m/root-ca-reshared.escrow" ||
    fail "the new package does not name the old one's SHA-256"
grep -q "^transcript: $R1$" "$T/m/root-ca-reshared.escrow" ||
    fail "the new package does not name the reshare's transcript"
"$KEYRITE" escrow inspect "$T/m/root-ca-reshared.escrow" > "$T/inspect.out" ||
    fail "escrow inspect"
grep -q "quorum        2 of 4 custodians" "$T/inspect.out" || fail "not 2 of 4"
grep -q "supersedes    $OLDSHA" "$T/inspect.out" || fail "inspect: supersedes"
# The cryptoperiod is the key's, not renewed by the reshare.
[ "$(sed -n 's/^cryptoperiod-end: //p' "$T/m/root-ca.escrow")" = \
    "$(sed -n 's/^cryptoperiod-end: //p' "$T/m/root-ca-reshared.escrow")" ] ||
    fail "the reshare changed the key's cryptoperiod"
for ev in "escrow-superseded engine key-id=" "share-retiring engine x=5 " \
    "kek-split engine threshold=2 shares=4 "; do
	grep -q " $ev" "$T/m/transcript-$R1.txt" || fail "no record: $ev"
done
grep -c "deleted$" "$T/reshare.out" | grep -qx 5 ||
    fail "not 5 old shares deleted after the seal"
grep -q "5 old shares deleted as the cards co-signed" "$T/reshare.out" ||
    fail "the co-signing old cards did not give up their old shares"

echo "== pkcs11-tool: the old shares are gone, the new ones there"
for i in 1 2 6 7; do
	l=$(labels $i)
	echo "custodian-$i: $l"
	[ "$(echo "$l" | grep -c "^keyrite-share:.*:$R1\$")" = 1 ] ||
	    fail "custodian-$i does not hold one share of the reshare"
	echo "$l" | grep -q ":$C1\$" && fail "custodian-$i kept its old share"
done
for i in 3 4 5; do
	[ -z "$(labels $i)" ] || fail "custodian-$i still holds a share"
done

echo "== new subsets open the new package; the old package is refused"
for set in "custodian-6, custodian-7" "custodian-1, custodian-7" \
    "custodian-2, custodian-6"; do
	drill "$T/m" root-ca-reshared.escrow d "$set" ||
	    { cat "$T/d.out"; fail "drill with $set"; }
done
drill "$T/m" root-ca.escrow old "custodian-1, custodian-2, custodian-3"
rc=$?
cat "$T/old.out"
[ $rc = 7 ] || fail "the superseded package: exit $rc, want 7"
grep -q "superseded by reshare $R1 .*Use the current package, root-ca-reshared.escrow .*which is on the media" \
    "$T/old.out" || fail "the refusal does not name the successor"

echo "== a second reshare: old cards do not co-sign, one is presented after"
rm -rf "$TOK" && cp -a "$T/blank" "$TOK"
mkdir "$T/n"
create "$T/n"
C2=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/create.out")
cp -a "$T/n" "$T/n-before"
# The old roster's cards do not co-sign either: a co-signing old card
# gives up its old share.
{ grep -v '^retire.cards' "$EX"
  for i in 1 2 3 4 5; do echo "cosign.custodian-$i = skip"; done
  echo "retire.cards = custodian-1"
} > "$T/noretire.answers"
"$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$T/n" \
    --answers "$T/noretire.answers" --rehearsal --set threshold=2 \
    --set shares=4 > "$T/reshare2.out" 2>&1 ||
    { cat "$T/reshare2.out"; fail "second reshare"; }
R2=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/reshare2.out")
grep -q "1 old share deleted (0 as the cards co-signed, 1 after)" \
    "$T/reshare2.out" || fail "not 1 old share deleted after the co-signatures"
# New package, old shares: cards 3, 4, 5 hold only shares of the old split.
drill "$T/n" root-ca-reshared.escrow newold \
    "custodian-3, custodian-4, custodian-5" && fail "new package opened by old shares"
cat "$T/newold.out"
grep -q "present 2 more custodian cards" "$T/newold.out" ||
    fail "new package + old shares: not refused as too few"
grep -q "custodian-3 .*written by ceremony $C2, not by $R2" "$T/newold.out" ||
    fail "the old share's card is not named with both ceremonies"
# Old package, new shares: a medium without the reshare's transcript
# (as someone holding an old copy would have), and the new cards only.
mkdir "$T/oldcopy"
cp "$T/n-before/root-ca.escrow" "$T/n-before/root-ca.pem" \
    "$T/n-before/transcript-$C2.txt" "$T/oldcopy/"
drill "$T/oldcopy" root-ca.escrow oldnew "custodian-6, custodian-7" &&
    fail "old package opened by new shares"
cat "$T/oldnew.out"
grep -q "present 3 more custodian cards" "$T/oldnew.out" ||
    fail "old package + new shares: not refused as too few"
grep -q "custodian-6 .*written by ceremony $R2, not by $C2" "$T/oldnew.out" ||
    fail "the new share's card is not named"
# Cards 1 and 2 hold both: with the old package, only their old share
# counts (and the old quorum works only where the successor is unknown).
drill "$T/n" root-ca-reshared.escrow both "custodian-1, custodian-2" ||
    { cat "$T/both.out"; fail "new package with cards holding both shares"; }
grep -q "also holds a share of this key written by ceremony $C2" \
    "$T/both.out" || fail "the other split's share on the card not named"

echo "== keyrite cards --media marks the old shares; keyrite clean deletes"
for i in 1 2 3 4 5 6 7 8 9; do echo "pin.custodian-$i = 12340$i"; done > "$T/pins"
"$KEYRITE" cards --pins "$T/pins" --media "$T/n" > "$T/cards.out" 2>&1 ||
    { cat "$T/cards.out"; fail "keyrite cards"; }
cat "$T/cards.out"
[ "$(grep -c "SUPERSEDED: its package was replaced by reshare $R2" "$T/cards.out")" = 4 ] ||
    fail "not 4 superseded shares marked"
[ "$(grep -c "current: written by ceremony $R2, committed" "$T/cards.out")" = 4 ] ||
    fail "not 4 current shares"
"$KEYRITE" clean --media "$T/n" --pins "$T/pins" > "$T/clean.out" 2>&1 ||
    { cat "$T/clean.out"; fail "keyrite clean"; }
cat "$T/clean.out"
[ "$(grep -c "^removed: ceremony $C2 (committed): .*superseded by reshare $R2" "$T/clean.out")" = 4 ] ||
    fail "clean did not delete the 4 old shares left"
for i in 1 2 3 4 5; do
	labels $i | grep -q ":$C2\$" && fail "custodian-$i keeps an old share"
done
drill "$T/n" root-ca-reshared.escrow after "custodian-7, custodian-1" ||
    { cat "$T/after.out"; fail "drill after clean"; }

echo "== bad input: a roster the policy refuses"
rm -rf "$TOK" && cp -a "$T/blank" "$TOK"
mkdir "$T/p"
create "$T/p"
before=$(ls -a "$T/p" | wc -l)
"$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$T/p" \
    --answers "$EX" --rehearsal --set threshold=2 --set shares=3 \
    > "$T/pol.out" 2>&1; rc=$?
cat "$T/pol.out"
[ $rc = 7 ] || fail "policy: exit $rc, want 7"
grep -q "share count 3 is below the minimum of 4 for root-ca" "$T/pol.out" ||
    fail "min-shares reason"
grep -q "share count 3 leaves 1 spare share over threshold 2; root-ca needs at least 2" \
    "$T/pol.out" || fail "spare-shares reason"
grep -q "(2 reasons)" "$T/pol.out" || fail "not both reasons"
[ "$(ls -a "$T/p" | wc -l)" = "$before" ] || fail "a refused reshare wrote"

echo "== bad input: a new card already holding a share of this key"
P1=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/create.out")
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/p/root-ca.escrow")
pkcs11-tool --module "$M" --token-label custodian-5 --login --pin 123405 \
    --read-object --type data --label "keyrite-share:$K:5:$P1" \
    --application-label keyrite -o "$T/s5.bin" 2>/dev/null || fail "read share 5"
pkcs11-tool --module "$M" --token-label custodian-6 --login --pin 123406 \
    --write-object "$T/s5.bin" --type data --private \
    --label "keyrite-share:$K:5:$P1" --application-label keyrite \
    >/dev/null 2>&1 || fail "pkcs11-tool could not plant the copy"
"$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$T/p" \
    --answers "$EX" --rehearsal --set threshold=2 --set shares=4 \
    > "$T/dup.out" 2>&1; rc=$?
cat "$T/dup.out"
[ $rc = 1 ] || fail "a new card with a share of this key: exit $rc"
grep -q "custodian-6 .*already holds share x=5 of key $K (written by ceremony $P1)" \
    "$T/dup.out" || fail "the card and its share are not named"
[ -e "$T/p/root-ca-reshared.escrow" ] && fail "a package was published"
grep -q "unsealed" "$T/dup.out" || fail "not reported unsealed"
# Nothing lost: the old quorum opens the old package.
drill "$T/p" root-ca.escrow still "custodian-3, custodian-4, custodian-5" ||
    { cat "$T/still.out"; fail "the old quorum no longer opens the key"; }
echo "reshare: all checks passed"
