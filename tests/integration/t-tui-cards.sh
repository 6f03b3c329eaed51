#!/bin/sh
# The TUI at the moments that go wrong: cards taken out and put in live
# (SoftHSM2 token directories moved away and back, as a card leaves and
# enters a reader), a wrong card inserted, named and recorded, a wrong PIN
# and then the right one, an abort typed in the middle of writing shares
# ("abort" in lower case is refused: the word is ABORT; the transcript
# records the abort, no escrow package is written, and the Summary says
# what was left and how to clean it), and a second ceremony refused
# before it starts because its outputs exist.
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() {
	echo "FAIL: $*"
	screen 2>/dev/null | sed 's/^/  |/'
	echo "cards in the reader: $(ls "$T/cards/tokens" 2>/dev/null | xargs)"
	echo "cards out: $(ls "$T/pocket" 2>/dev/null | xargs)"
	cat "$T/tokens"
	exit 1
}
start=$(date +%s)

tui_cards 5
mkdir "$T/media" "$T/pocket"
# The token directory of each card, so that it can be "taken out".
for d in "$T"/cards/tokens/*/; do
	l=$(grep -ao 'custodian-[0-9]*' "$d/token.object" | head -1)
	echo "$l $(basename "$d")" >> "$T/tokens"
done
tokdir() { awk -v l="$1" '$1 == l { print $2 }' "$T/tokens"; }
take_out() { mv "$T/cards/tokens/$(tokdir "$1")" "$T/pocket/"; }
put_in() { mv "$T/pocket/$(tokdir "$1")" "$T/cards/tokens/"; }

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $KR_TOP/ceremony-scripts" || fail "tmux"
home_choose root-ca-create || fail "home"
# Parameters: a choice stepped with the arrow keys, values typed, the
# policy's verdict next to the fields, a refused start.  Fields are
# chosen by name, each move and edit waited for (tests/tui/lib.sh).
param_choice key_type ecdsa-p521 || fail "key_type not changed"
param_set threshold 1 || fail "threshold not edited"
wait_for "^  threshold +1 +. threshold 1 is below the m" ||
    fail "threshold violation not next to its field"
param_set shares 3 || fail "shares not edited"
wait_for "^  shares +3 +. share count 3 is below the" \
    "Policy default refuses this ceremony \(2 reasons\):" ||
    fail "share-count violation not shown"
snap policy
param_start || fail "start"
wait_for "The policy refuses these parameters" || fail "started anyway"
param_set threshold 3 && param_set shares 5 || fail "corrections"
wait_for "^  threshold +3 " "^  shares +5 " \
    "policy default allows this ceremony" || fail "policy still refuses"
param_start || fail "start"
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
# A name that is needed cannot be left empty (nor blank).
answer "ceremony administrator" "   " &&
    wait_for "An answer is needed here" || fail "an empty name was taken"
send BSpace BSpace BSpace
answer "ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" && answer "Why is" "" &&
    answer "What authorizes" "" || fail "roll call"
for i in 1 2 3 4 5; do
	answer "Name of custodian $i of 5" "Carol $i" &&
	    pick_card "custodian-$i" || fail "custodian $i"
done
review_yes || fail "roll call review"
ackr 4 && ackr 5 && ack 6 && fingerprint && ackr 7 && ackr 8 ||
    fail "steps 4-8"

# Every card out of its reader before the first is asked for.
for i in 1 2 3 4 5; do take_out "custodian-$i"; done
ack 9 || fail "step 9"
wait_for "INSERT CARD" "Card asked for: +custodian-1" "No card is present" ||
    fail "card wait with no card"
put_in custodian-4
wait_for "wrong card: card custodian-4 \\(serial [0-9a-f]{16}\\) is not" \
    "take it out and insert custodian-1" || fail "wrong card not named"
snap wrongcard
take_out custodian-4
wait_for "Card custodian-4 was taken out" || fail "removal not seen"
put_in custodian-1
wait_for "ENTER PIN" "Card +custodian-1$" "Attempts left +3" ||
    fail "the right card did not lead to its PIN"
type "999999"
send Enter
wait_for "ENTER PIN" "Attempts left +2" "Step 9: .*(PIN|pin)" ||
    fail "wrong PIN: no second chance, or not said"
snap wrongpin
type "123401"
send Enter
written "Carol 1" || fail "share 1 written"
# Custodian 2's turn: three other cards go in first (named wrong), then
# hers, which moves the screen on by itself.
wait_for "INSERT CARD" "Card asked for: +custodian-2" || fail "card 2 wait"
for i in 3 4 5; do put_in "custodian-$i"; done
wait_for "wrong card: card custodian-[345]" || fail "wrong cards not named"
put_in custodian-2
pin custodian-2 123402 && written "Carol 2" || fail "pin 2"

# Abort while custodian 3 is asked for: a wrong word first, then Esc goes
# back, then the real abort.
wait_for "INSERT CARD" "Card asked for: +custodian-3" || fail "card 3 wait"
send F10
wait_for "ABORT THE CEREMONY" || fail "no abort dialog"
type "ABOR"
send Enter
wait_for "To abort, type ABORT" || fail "a wrong word was taken"
send Escape
wait_for "INSERT CARD" "Card asked for: +custodian-3" || fail "Esc did not go back"
send C-x
wait_for "ABORT THE CEREMONY" || fail "Ctrl-X: no abort dialog"
snap abort
# The word is ABORT, as the guide says: lower case is refused.
type "abort"
send Enter
wait_for "To abort, type ABORT" || fail "abort in lower case was taken"
send BSpace BSpace BSpace BSpace BSpace
type "ABORT"
send Enter
wait_for "CEREMONY ABORTED" "aborted at prompt custodian.3.card" ||
    fail "no aborted summary"
# What it left, and what must not be used, with the cleaning step.
wait_for "WHAT IT LEFT" "^  outputs +staged, never published" \
    "root-ca.pem" "^  shares +written to cards but never valid" \
    "custodian-1, custodian-2" "^  to clean +keyrite clean --media $T/media" ||
    fail "the Summary does not say what the abort left"
snap aborted
TR=$(ls "$T"/media/transcript-*[0-9a-f].txt) || fail "no transcript"
# Nothing is published before the seal: the certificate staged at step 7
# is discarded with the rest, and no staging directory is left.
[ -e "$T/media/root-ca.escrow" ] && fail "escrow package written"
[ -e "$T/media/root-ca.pem" ] && fail "the aborted ceremony's certificate was published"
ls -a "$T/media" | grep -q '^\.keyrite' && fail "staging left: $(ls -a "$T/media")"
grep -q " ceremony-aborted engine .* outputs-discarded=root-ca.pem uncommitted-shares=custodian-1,%20custodian-2 " "$TR" ||
    fail "what the abort discarded and left is not recorded"
grep -q " ceremony-started engine .* key_type=ecdsa-p521 .* threshold=3 shares=5 " \
    "$TR" || fail "the edited parameters were not used"
grep -q " ceremony-aborted engine error=aborted .* reason=operator chain=" "$TR" ||
    fail "the operator's abort not recorded as such: $(grep aborted "$TR")"
grep -q " pin-rejected custodian card=custodian-1 " "$TR" ||
    fail "wrong PIN not recorded"
# Each wrong card put in was recorded (three put in at once for custodian
# 2: the first went to the engine; the others were already in the reader
# when it asked again, and a card already in is not taken as presented).
grep -q " card-refused engine card=custodian-4 serial=[0-9a-f]* reason=wrong%20card" "$TR" ||
    fail "the wrong card custodian-4 was not recorded"
grep -q " card-refused engine card=custodian-[35] serial=[0-9a-f]* reason=wrong%20card" "$TR" ||
    fail "no wrong card put in for custodian 2 was recorded"
[ "$(grep -c ' share-written ' "$TR")" = 2 ] || fail "not 2 shares written"
"$KEYRITE" verify "$TR" > "$T/verify.out" 2>&1; rc=$?
[ $rc = 5 ] || fail "verify of the aborted transcript: exit $rc, want 5"
grep -qi unsealed "$T/verify.out" || fail "not reported unsealed"
"$KEYRITE" verify --allow-unsealed "$TR" > /dev/null 2>&1 ||
    fail "the aborted transcript's chain is broken"

# The same ceremony again into media that hold a root-ca.pem (of some
# earlier ceremony): refused on the Parameters screen, naming the
# existing output, before anything starts.
echo "an earlier certificate" > "$T/media/root-ca.pem"
leave_summary || fail "back to Home"
home_choose root-ca-create || fail "home again"
param_start || fail "start again"
wait_for "Not started: .*exist" "root-ca.pem" || fail "existing outputs not refused"
[ "$(ls "$T"/media/transcript-*[0-9a-f].txt | wc -l)" = 1 ] ||
    fail "a refused ceremony wrote a transcript"
send Escape
wait_for "CEREMONIES" || fail "Esc from Parameters"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-cards: all checks passed in $(( $(date +%s) - start ))s"
