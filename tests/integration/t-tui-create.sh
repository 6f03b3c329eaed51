#!/bin/sh
# The TUI, end to end: root-ca-create 3-of-5 in rehearsal, typed by a
# "person" through tmux (80x25), from the Home screen to the Summary, with
# the roll call, the witness's fingerprint check (a wrong group first),
# five cards and PINs; then openssl and keyrite verify check the outputs,
# the QR view decodes to the transcript's SHA-256, and leaving keyrite
# from Home exits 0 with the terminal restored.
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
start=$(date +%s)

tui_cards 5
mkdir "$T/media"
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $KR_TOP/ceremony-scripts; r=\$?; stty -a > $T/stty.after;" \
    "(exit \$r)" ||
    fail "tmux"

home_choose root-ca-create || fail "home"
snap params
send End Enter
wait_for "STEP 1 OF" "Enter +continue" && snap step1
ack 1 || fail "step 1"
ack 2 || fail "step 2"
ack 3 || fail "step 3"
answer "Name of the ceremony administrator" "Ada Administrator" || fail "operator"
answer "Name of witness 1" "Wendy Witness" || fail "witness 1"
answer "Name of witness 2" "" || fail "witness 2"
answer "Why is this ceremony held" "Annual rehearsal" || fail "reason"
answer "What authorizes it" "CHG-2026-0042" || fail "authorization"
name() { echo "Carol One|Dan Two|Erin Three|Frank Four|Grace Five" |
    cut -d'|' -f"$1"; }
wait_for "Name of custodian 1 of 5" && snap rollcall
for i in 1 2 3 4 5; do
	answer "Name of custodian $i of 5" "$(name $i)" ||
	    fail "custodian $i name"
	answer "Label of $(name $i)'s card" "custodian-$i" ||
	    fail "custodian $i card"
done
review_yes || fail "roll call review"
ack 4 || fail "step 4"
ack 5 || fail "step 5"
ack 6 || fail "step 6"
wait_for "Type the LAST group" || fail "fingerprint screen"
snap fingerprint
type "0000"
send Enter
wait_for "0000 is not the last group" || fail "a wrong group was not refused"
send BSpace BSpace BSpace BSpace
fingerprint || fail "fingerprint"
ack 7 || fail "step 7"
ack 8 || fail "step 8"
wait_for "STEP 9 OF" "Enter +continue" && snap step9
ack 9 || fail "step 9"
for i in 1 2 3 4 5; do
	wait_for "INSERT CARD" "Card asked for: +custodian-$i" ||
	    fail "card wait $i"
	[ $i = 1 ] && wait_for "Enter +present" && snap card
	card "custodian-$i" || fail "card $i"
	if [ $i = 1 ]; then
		wait_for "ENTER PIN" && snap pin
		golden pin || fail "the PIN screen differs from its golden capture"
	fi
	pin "custodian-$i" "12340$i" || fail "pin $i"
done
ack 10 || fail "step 10"
ack 11 || fail "step 11"
ack 12 || fail "step 12"
ack 13 || fail "step 13"
cosign 14 custodian-1:123401 custodian-2:123402 custodian-3:123403 \
    custodian-4:123404 custodian-5:123405 || fail "co-signing"
ack 15 || fail "step 15 (print)"
wait_for "CEREMONY COMPLETE" || fail "no summary"
snap summary
# No printer here: the PDF is on the media; p says why it cannot print.
send p
wait_for "Not printed: no printer" || fail "print again: no answer"

grep -q "$T/media/root-ca.pem" "$T/summary.txt" || fail "certificate not listed"
grep -q "$T/media/root-ca.escrow" "$T/summary.txt" || fail "escrow not listed"
TR=$(ls "$T"/media/transcript-*[0-9a-f].txt) || fail "no transcript"

# The QR view shows the transcript's SHA-256, as zbarimg reads it.
send F3
wait_for "as sha256sum prints it" || fail "QR view"
snap qr
python3 "$KR_TOP/tests/tui/pane2pgm.py" "$T/qr.txt" "$T/qr.pgm" ||
    fail "no QR code captured"
got=$(zbarimg --nodbus -q --raw "$T/qr.pgm") || fail "zbarimg read nothing"
want=$(sha256sum "$TR" | cut -d' ' -f1 | tr a-f A-F)
[ "$got" = "$want" ] || fail "QR says $got, sha256sum says $want"
send Escape
wait_for "CEREMONY COMPLETE" || fail "back from the QR view"

# The transcript viewer.
send F2
wait_for "TRANSCRIPT  $T/media/transcript-" "line [0-9]+ of [0-9]+" ||
    fail "viewer"
send Home
wait_for "keyrite-transcript: 1" || fail "viewer did not scroll to the top"
send Escape
wait_for "CEREMONY COMPLETE" || fail "back from the viewer"
leave_summary || fail "back to Home"
send q
wait_for "Leave keyrite" || fail "no leave question"
send y
st=$(exit_status)
[ "$st" = 0 ] || fail "exit status $st"
[ "$(pane_info '#{alternate_on}')" = 0 ] || fail "alternate screen left on"
grep -q " icanon" "$T/stty.after" && grep -q " echo " "$T/stty.after" ||
    fail "terminal not restored: $(cat "$T/stty.after")"

# The outputs, by outside tools and by keyrite.
openssl verify -x509_strict -check_ss_sig -CAfile "$T/media/root-ca.pem" \
    "$T/media/root-ca.pem" || fail "openssl verify"
openssl x509 -in "$T/media/root-ca.pem" -noout -subject |
    grep -q "Example Root CA (REHEARSAL)" || fail "subject"
"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" || fail "keyrite verify"
grep -q "roll-call administrator operator=Ada%20Administrator" "$TR" ||
    fail "roll call not recorded as typed"
grep -q "fingerprint-confirmed witness witness=Wendy%20Witness" "$TR" ||
    fail "fingerprint confirmation not recorded"
n=$(grep -c " share-written custodian " "$TR")
[ "$n" = 5 ] || fail "$n shares written"
"$KEYRITE" escrow inspect "$T/media/root-ca.escrow" > "$T/inspect.txt" 2>&1 ||
    fail "escrow inspect"
grep -qi "3 of 5\|threshold.*3" "$T/inspect.txt" || fail "not 3 of 5"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-create: all checks passed in $(( $(date +%s) - start ))s"
