#!/bin/sh
# A custodian-reshare through the TUI (tmux, 80x25): a 3-of-5 root made in
# batch, handed to a new roster of five in which custodian-4 and -5 leave
# and custodian-6 and -7 join.  The roll call's review screen shows the old
# roster beside the new one, each new card marked old or new; the old
# quorum recovers the key, the new cards get their shares, and after the
# seal the leaving custodians present their cards and their old shares are
# deleted.  Checked afterwards with keyrite verify, keyrite cards --media
# and pkcs11-tool.  Then a card-check through the TUI: one custodian, one
# card, sealed by the card.
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 7
M=$KEYRITE_PKCS11_MODULE
mkdir "$T/media"
{
	echo "operator.name = Ada Administrator"
	echo "witness.1.name = Wendy Witness"
	echo "confirm = yes"
	for i in 1 2 3 4 5; do
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
		echo "pin.custodian-$i = 12340$i"
	done
} > "$T/create.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "batch root-ca-create"; }
C=$(sed -n 's/^transcript: .*transcript-\(.*\)\.txt/\1/p' "$T/create.out")
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/media/root-ca.escrow")

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"
home_choose custodian-reshare || fail "home"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
answer "ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" &&
    answer "Why is" "Custodians 4 and 5 leave" &&
    answer "What authorizes" "CHG-77" || fail "roll call"
name() { echo "Carol One|Dan Two|Erin Three|Gina Six|Hal Seven" |
    cut -d'|' -f"$1"; }
for i in 1 2 3 4 5; do
	c=$i; [ $i -ge 4 ] && c=$((i + 2))
	answer "Name of custodian $i of 5" "$(name $i)" || fail "name $i"
	pick_card "custodian-$c" || fail "card $i"
done
# The old roster beside the new one.
wait_for "OLD ROSTER  \|  NEW ROSTER" "Old roster: 3 of 5" \
    "New roster: 3 of 5" "4 Custodian 4, custodian-4 +4 NEW custodian-6, Gina Six" \
    "1 Custodian 1, custodian-1 +1 old custodian-1, Carol One" ||
    fail "the roster screen"
snap roster
review_yes || fail "roster review"
ack 4 && ack 5 || fail "steps 4-5"
fingerprint || fail "fingerprint"
ack 6 || fail "step 6"
for c in 3 4 5; do
	wait_for "PRESENT A CARD" || fail "recover card $c"
	card "custodian-$c" && pin "custodian-$c" "12340$c" || fail "recover $c"
done
# recover's result once the quorum is in; prove-key's and split's.
result 6 && ackr 7 && ackr 8 && ack 9 || fail "steps 6-9"
i=0
for c in 1 2 3 6 7; do
	i=$((i + 1))
	wait_for "INSERT CARD" "Card asked for: +custodian-$c" ||
	    fail "card wait $c"
	card "custodian-$c" && pin "custodian-$c" "12340$c" || fail "write $c"
	written "$(name $i)" || fail "share $i: no take-your-card-back"
done
ackr 10 && ackr 11 && ackr 12 && ack 13 || fail "steps 10-13"
# After the seal every card that took part co-signs, in the order it took
# part; the old roster's cards give up their old shares as they do.
cosign 14 custodian-3:123403 custodian-4:123404 custodian-5:123405 \
    custodian-1:123401 custodian-2:123402 custodian-6:123406 \
    custodian-7:123407 || fail "co-signatures"
ack 15 || fail "step 15"
wait_for "CEREMONY COMPLETE" || fail "the reshare did not complete"
snap summary
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
R=${TR##*/transcript-}; R=${R%.txt}
"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" || fail "verify"
[ -e "$T/media/root-ca-reshared.escrow" ] || fail "no new package"
for c in 4 5; do
	pkcs11-tool --module "$M" --token-label "custodian-$c" --login \
	    --pin "12340$c" --list-objects --type data 2>/dev/null |
	    grep -q "keyrite-share:$K:" && fail "custodian-$c kept its old share"
done
for i in 1 2 3 4 5 6 7; do echo "pin.custodian-$i = 12340$i"; done > "$T/pins"
"$KEYRITE" cards --pins "$T/pins" --media "$T/media" > "$T/cards.out" 2>&1
[ "$(grep -c "current: written by ceremony $R, committed" "$T/cards.out")" = 5 ] ||
    { cat "$T/cards.out"; fail "not 5 current shares"; }
[ "$(grep -c "SUPERSEDED" "$T/cards.out")" = 0 ] ||
    { cat "$T/cards.out"; fail "a co-signing old card kept its old share"; }

echo "== card-check through the TUI"
leave_summary || fail "back to Home"
tui_stop
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"
home_choose card-check || fail "home card-check"
# The escrow parameter: the reshared package, chosen from the media.
param_pick escrow root-ca-reshared.escrow || fail "escrow field"
wait_for "^  escrow +root-ca-reshared.escrow" || fail "escrow not set"
param_start || fail "card-check start"
ackr 1 && ackr 2 && ack 3 && ack 4 || fail "card-check steps 1-4"
answer "Your name, custodian" "Gina Six" || fail "custodian name"
wait_for "PRESENT A CARD" || fail "check card"
card custodian-6 && pin custodian-6 123406 || fail "card 6"
ack 5 && ack 6 || fail "card-check steps 5-6"
wait_for "CEREMONY COMPLETE" || fail "card-check did not complete"
snap cardcheck
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
"$KEYRITE" verify "$TR" > "$T/ccverify.out" || fail "verify card-check"
grep -q "signer        ecdsa-p256" "$T/ccverify.out" || fail "not the card's seal"
grep -q " card-checked custodian custodian=Gina%20Six card=custodian-6 .* share=ok " \
    "$TR" || fail "card-checked not recorded"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-reshare: all checks passed in $(( $(date +%s) - start ))s"
