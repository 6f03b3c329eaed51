#!/bin/sh
# A key-recovery drill through the TUI: a root made in batch (keyrite run,
# with docs/examples/root-ca-create.answers), then the drill typed through
# tmux:
#   - step 4 shows what the package holds as its instruction is read: the
#     key id (as keyrite escrow inspect prints it), the certificate's
#     fingerprint, the algorithm and class, the quorum, and the roster
#     with names, card labels and serials;
#   - both witnesses confirm the certificate's fingerprint (step 5);
#   - cards, chosen out of order: each listed with its custodian's name
#     from the roster, the PIN screen names the custodian; a card already
#     presented cannot be chosen again; a custodian leaves a card out at
#     the PIN prompt (Esc, y), once at the first attempt and once at the
#     last allowed one, and the drill goes on with the next custodian;
#   - the quorum and the proof are result panels on their own steps, and
#     the Summary repeats the certificate's fingerprint;
# the transcript names each card (label and serial as separate facts) and
# verifies against the certificate.  Then a drill where the administrator
# says after one card that no more will come: the step fails, saying how
# many are missing, and the Summary says what the drill left (nothing).
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
mkdir "$T/media"
# The example answers file of the docs, as people would copy it.
cp "$KR_TOP/docs/examples/root-ca-create.answers" "$T/create.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "batch root-ca-create"; }
serial() { sed -n "s/.*card=$1 serial=\([0-9a-f]*\) .*/\1/p" \
    "$T"/media/transcript-*[0-9a-f].txt | head -1; }
who() { sed -n "s/^custodian\.$1\.name = //p" "$T/create.txt"; }

drill_start() { # roll call, load the package, fingerprint: to the first card
	home_choose key-recovery-drill || fail "home"
	send End Enter
	ackr 1 && ackr 2 && ack 3 || fail "drill steps 1-3"
	answer "ceremony administrator" "Ada Administrator" &&
	    answer "Name of witness 1" "Wendy Witness" &&
	    answer "Name of witness 2" "Walter Witness" &&
	    answer "Name of witness 3" "" &&
	    answer "Why is" "Recovery drill" &&
	    answer "What authorizes" "DRILL-7" || fail "drill roll call"
	review_yes || fail "drill roll call review"
	wait_for "STEP 4 OF 11 +LOAD ESCROW" "ON THE SCREEN" "Enter +continue" ||
	    fail "drill step 4"
	[ -n "${1:-}" ] && snap "$1"
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
wait_for "CEREMONIES" || fail "home"
home_choose key-recovery-drill || fail "drill parameters"
wait_for "^  previous +transcript-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}\.txt" ||
    fail "Parameters does not offer the creation as the previous ceremony"
snap drillparams
send Escape
drill_start drill4
# Step 4: what the package holds, as keyrite escrow inspect and openssl
# have it.
"$KEYRITE" escrow inspect "$T/media/root-ca.escrow" > "$T/inspect.txt" ||
    fail "escrow inspect"
KID=$(sed -n 's/^ *key[ -]id:* *//p' "$T/inspect.txt" | head -1 | tr -d ' ')
[ ${#KID} = 64 ] || { cat "$T/inspect.txt"; fail "no key id from inspect"; }
got=$(sed -n '/^  key id /,/^  certificate /p' "$T/drill4.txt" |
    grep -oE '[0-9a-f]{4}( [0-9a-f]{4}){7}$' | tr -d ' \n')
[ "$got" = "$KID" ] || fail "step 4 shows key id $got, the package $KID"
FP=$(openssl x509 -in "$T/media/root-ca.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g')
got=$(sed -n '/^  certificate /,/^  algorithm /p' "$T/drill4.txt" |
    grep -oE '[0-9A-F]{4}( [0-9A-F]{4}){7}$' | tr -d ' \n')
[ "$got" = "$FP" ] || fail "step 4 shows certificate $got, openssl $FP"
grep -Eq "^  algorithm +ecdsa-p384, class root-ca, made " "$T/drill4.txt" ||
    fail "step 4: no algorithm and class"
grep -Eq "^  quorum +any 3 of 5 custodians$" "$T/drill4.txt" ||
    fail "step 4: no quorum"
for i in 1 2 3 4 5; do
	grep -Eq "^    $i +$(who $i) +custodian-$i +$(serial custodian-$i)$" \
	    "$T/drill4.txt" || fail "step 4: roster entry $i"
done
# Cards: the roster's names beside them, on the PIN screen too.
wait_for "PRESENT A CARD" "custodian-5 +serial [0-9a-f]+  $(who 5)" ||
    fail "cards without their custodian's name"
card custodian-5 || fail "card 5"
wait_for "ENTER PIN" "CUSTODIAN $(who 5)" "Esc +leave this card out" ||
    fail "the PIN screen does not name the roster's custodian"
pin custodian-5 123405 || fail "pin 5"
# A card presented already cannot be chosen again.
wait_for "PRESENT A CARD" "custodian-5 .*already presented" "Enter +present" \
    "custodian cards presented, 1 of 3" || fail "card 5 not marked as presented"
snap drillcard
card custodian-5 || fail "card 5 again"
wait_for "Card custodian-5 was presented already in this step" ||
    fail "card 5 taken again"
# Custodian 1 leaves the card out at the first attempt.
card custodian-1 || fail "card 1"
wait_for "ENTER PIN" "Card +custodian-1$" "Esc +leave this card out" ||
    fail "pin 1"
send Escape
wait_for "Leave card custodian-1 out\?" || fail "no question to leave out"
send y
# Custodian 3: two wrong PINs, then out at the last allowed attempt.
card custodian-3 || fail "card 3"
# Each attempt is a new PIN screen: the second PIN waits for it.
pin custodian-3 999999 && wait_for "ENTER PIN" "Attempts left +2" &&
    pin custodian-3 999998 || fail "wrong pins 3"
wait_for "ENTER PIN" "Attempts left +1" "is wrong too, the card is left out" ||
    fail "the last attempt is not said"
snap drilllast
send Escape
wait_for "Leave card custodian-3 out\?" || fail "no question at the last try"
send y
wait_for "PRESENT A CARD" "custodian cards presented, 1 of 3" ||
    fail "the drill did not go on after cards were left out"
for c in 2 4; do
	card "custodian-$c" || fail "card $c"
	pin "custodian-$c" "12340$c" || fail "pin $c"
done
wait_for "STEP 6 OF 11" "Quorum reached" "custodian-5 +$(serial custodian-5)  $(who 5)" ||
    fail "no quorum result on step 6"
result 6 || fail "step 6 result"
ack 7 || fail "drill step 7"
wait_for "STEP 7 OF 11 +PROVE KEY" "Key proven" "^  package key +YES" \
    "^  certificate +YES" "Enter +continue" || fail "no proof result on step 7"
snap drillproof
got=$(sed -n '/certificate SHA-256/,/used for/p' "$T/drillproof.txt" |
    grep -oE '[0-9A-F]{4}( [0-9A-F]{4}){7}$' | tr -d ' \n')
[ "$got" = "$FP" ] || fail "the proof shows $got, openssl $FP"
result 7 && ackr 8 && ack 9 || fail "drill steps 7-9"
cosign 10 custodian-5:123405 custodian-2:123402 custodian-4:123404 ||
    fail "co-signing"
ack 11 || fail "drill step 11 (print)"
wait_for "CEREMONY COMPLETE" || fail "drill did not complete"
snap drill
got=$(sed -n '/certificate SHA-256/,/OUTPUTS/p' "$T/drill.txt" |
    grep -oE '[0-9A-F]{4}( [0-9A-F]{4}){7}$' | tr -d ' \n')
[ "$got" = "$FP" ] || fail "the Summary shows $got, openssl $FP"
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" || fail "verify drill"
# Chained by default to the latest sealed transcript about the same key:
# the creation's, by its SHA-256 in the header and its name in the start.
TC=$(ls "$T"/media/transcript-*[0-9a-f].txt | grep -v "$TR")
[ "$(sed -n 's/^previous-transcript-sha256: //p' "$TR")" = \
    "$(sha256sum "$TC" | cut -c1-64)" ] ||
    fail "the drill is not chained to the creation's transcript"
grep -q " ceremony-started engine .* previous=$(basename "$TC") " "$TR" ||
    fail "the previous transcript is not named in the start record"
for c in 5 2 4; do
	grep -q "card-presented custodian card=custodian-$c " "$TR" ||
	    fail "custodian-$c not recorded"
	grep -q " share-checked engine card=custodian-$c serial=$(serial custodian-$c) x=$c verdict=used " "$TR" ||
	    fail "custodian-$c: share-checked without label and serial"
done
for c in 1 3; do
	grep -q " card-refused engine card=custodian-$c serial=$(serial custodian-$c) reason=" "$TR" ||
	    fail "custodian-$c left out, not recorded"
done
[ "$(grep -c ' pin-rejected custodian card=custodian-3 ' "$TR")" = 2 ] ||
    fail "custodian-3's wrong PINs not recorded"
[ "$(grep -c 'card-presented custodian card=custodian-5 ' "$TR")" = 1 ] ||
    fail "custodian-5 presented twice"
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
wait_for "WHAT IT LEFT" "^  outputs +none were staged" \
    "^  shares +none were written" || fail "what the drill left not said"
snap drillfailed
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
grep -q " ceremony-failed engine .* outputs-discarded=none uncommitted-shares=none " "$TR" ||
    fail "failure not recorded"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-drill: all checks passed in $(( $(date +%s) - start ))s"
