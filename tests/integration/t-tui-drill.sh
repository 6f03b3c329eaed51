#!/bin/sh
# A key-recovery drill through the TUI: a root made in batch (keyrite run),
# then the drill typed through tmux: both witnesses confirm the
# certificate's fingerprint (step 5), then three of its five cards, chosen
# out of order; the transcript names each card and verifies against the
# certificate.  Then a drill where the administrator says after one card
# that no more will come: the step fails, saying how many are missing.
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
start=$(date +%s)
S="$KR_TOP/ceremony-scripts"

tui_cards 5
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

drill_start() { # roll call, load the package, fingerprint: to the first card
	home_choose key-recovery-drill || fail "home"
	send End Enter
	ack 1 && ack 2 && ack 3 || fail "drill steps 1-3"
	answer "ceremony administrator" "Ada Administrator" &&
	    answer "Name of witness 1" "Wendy Witness" &&
	    answer "Name of witness 2" "Walter Witness" &&
	    answer "Name of witness 3" "" &&
	    answer "Why is" "Recovery drill" &&
	    answer "What authorizes" "DRILL-7" || fail "drill roll call"
	review_yes || fail "drill roll call review"
	ack 4 && ack 5 || fail "drill steps 4-5"
	# Each witness confirms the certificate's fingerprint.
	wait_for "WITNESS Wendy Witness" "Type the LAST group" ||
	    fail "first witness"
	fingerprint || fail "Wendy's fingerprint"
	wait_for "WITNESS Walter Witness" "Type the LAST group" ||
	    fail "second witness"
	fingerprint || fail "Walter's fingerprint"
	ack 6 || fail "drill step 6"
}

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"
drill_start
for c in 5 2 4; do
	wait_for "PRESENT A CARD" "Any custodian card" || fail "card wait ($c)"
	card "custodian-$c" || fail "card $c"
	pin "custodian-$c" "12340$c" || fail "pin $c"
	if [ $c = 5 ]; then
		wait_for "PRESENT A CARD" "custodian-5 .*already presented" ||
		    fail "card 5 not marked as presented"
		snap drillcard
	fi
done
ack 7 && ack 8 && ack 9 || fail "drill steps 7-9"
cosign 10 custodian-5:123405 custodian-2:123402 custodian-4:123404 ||
    fail "co-signing"
ack 11 || fail "drill step 11 (print)"
wait_for "CEREMONY COMPLETE" || fail "drill did not complete"
snap drill
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" || fail "verify drill"
for c in 5 2 4; do
	grep -q "card-presented custodian card=custodian-$c " "$TR" ||
	    fail "custodian-$c not recorded"
done
grep -q " kek-recovered engine " "$TR" && grep -q " key-proven engine " "$TR" ||
    fail "recovery not recorded"
grep -q "witness.2=Walter%20Witness" "$TR" || fail "second witness"
# The fingerprint both witnesses confirmed is the certificate's (openssl).
FP=$(openssl x509 -in "$T/media/root-ca.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | sed 's/..../&%20/g; s/%20$//')
for w in Wendy Walter; do
	grep -q " fingerprint-confirmed witness witness=$w%20Witness fingerprint=$FP " \
	    "$TR" || fail "$w's confirmation of $FP not recorded"
done

# One card, then "no more cards": the drill fails and says what is missing.
leave_summary || fail "back to Home"
drill_start
card custodian-1 && pin custodian-1 123401 || fail "one card"
wait_for "PRESENT A CARD" "custodian-1 .*already presented" || fail "second wait"
send n
wait_for "No more cards will come" || fail "no question"
send y
wait_for "CEREMONY FAILED" "present 2 more custodian" ||
    fail "missing cards not said"
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
grep -q " ceremony-failed engine " "$TR" || fail "failure not recorded"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-drill: all checks passed in $(( $(date +%s) - start ))s"
