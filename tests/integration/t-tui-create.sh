#!/bin/sh
# The TUI, end to end: root-ca-create 3-of-5 in rehearsal, typed by a
# "person" through tmux (80x25), from the Home screen to the Summary:
#   - Home chooses root-ca-create first on media without a package;
#   - the roll call: a person named twice is refused on the spot; card
#     labels are chosen from the cards present (a card named already
#     cannot be chosen again); a label typed for a card not in a reader is
#     caught by the review, which corrects that one entry, and a name typo
#     is corrected alone, without retyping the others;
#   - each step's result is on that step's screen (the air gap on step 2,
#     the key on step 4, the certificate on step 5), and the fingerprint
#     is on step 6's screen as its instruction says;
#   - the witness's fingerprint check: a wrong group is refused and
#     recorded (fingerprint-refused);
#   - five cards and PINs, a wrong card chosen (named, recorded), and
#     after each share "take your card back" naming the custodian;
#   - the Summary repeats the certificate's fingerprint (openssl's);
#   - the transcript viewer shows values decoded, a long one wrapped, the
#     air gap as a table, End shows the end, the footer is whole;
# then openssl and keyrite verify check the outputs, the QR view decodes
# to the transcript's SHA-256, and leaving keyrite from Home exits 0 with
# the terminal restored.
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
mkdir "$T/media"
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $KR_TOP/ceremony-scripts; r=\$?; stty -a > $T/stty.after;" \
    "(exit \$r)" ||
    fail "tmux"

wait_for "CEREMONIES" "^  [>▶] root-ca-create$" ||
    fail "Home did not choose root-ca-create first on empty media"
home_choose root-ca-create || fail "home"
snap params
send End Enter
wait_for "STEP 1 OF" "Enter +continue" && snap step1
ackr 1 || fail "step 1"
ack 2 || fail "step 2"
# Step 2's result, the air gap, on step 2's own screen.
wait_for "STEP 2 OF 15 +AIRGAP CHECK" "Air-gap check" "^  air gap +" \
    "Read the result aloud" || fail "the air gap is not on step 2's screen"
snap step2
result 2 || fail "step 2 result"
ack 3 || fail "step 3"
answer "Name of the ceremony administrator" "Ada Administrator" || fail "operator"
answer "Name of witness 1" "Wendy Witness" || fail "witness 1"
answer "Name of witness 2" "" || fail "witness 2"
# A long answer, to be wrapped whole in the transcript viewer.
why="Annual rehearsal of the root CA ceremony, with every custodian,"
why="$why both witnesses and the auditor in the room"
answer "Why is this ceremony held" "$why" || fail "reason"
answer "What authorizes it" "CHG-2026-0042" || fail "authorization"
name() { echo "Carol One|Dan Two|Erin Three|Frank Four|Grace Five" |
    cut -d'|' -f"$1"; }
wait_for "Name of custodian 1 of 5" && snap rollcall
# A person named twice is refused on the spot, and asked for again.
answer "Name of custodian 1 of 5" "Wendy Witness" ||
    fail "custodian 1 name"
wait_for "Wendy Witness is a witness already" "Name of custodian 1 of 5" ||
    fail "a witness named as a custodian was not refused"
for i in 1 2 3 4 5; do
	# Custodian 2's name with a typo, corrected alone at the review.
	n=$(name $i); [ $i = 2 ] && n="Dan Tow"
	answer "Name of custodian $i of 5" "$n" ||
	    fail "custodian $i name"
	wait_for "ROLL CALL: WHICH CARD" "Label of $n's card" \
	    "Enter +choose this card" || fail "custodian $i: no card choice"
	[ $i = 2 ] && snap pickcard
	case $i in
	2)	# A card named already cannot be chosen again.
		_select_row custodian-1 && send Enter
		wait_for "Card custodian-1 is Carol One's already" ||
		    fail "the same card was taken twice"
		pick_card custodian-2 || fail "custodian 2 card" ;;
	4)	# A label typed for a card not in a reader yet.
		_select_row "[ another card" '^  [> ] (.*)$' && send Enter
		wait_for "Label >" || fail "no line for a card not in a reader"
		type "custodian-9"
		send Enter
		wait_gone "ROLL CALL: WHICH CARD" || fail "typed label" ;;
	*)	pick_card "custodian-$i" || fail "custodian $i card" ;;
	esac
done
# The review: custodian-9 is not in a reader; correct Frank's card alone.
wait_for "Roll call" "to correct +card custodian-9 \(Frank Four's\) is not in a reader" \
    "Custodian 4: Frank Four, card custodian-9 \(not in a reader\)" \
    "Enter +correct this entry" ||
    fail "the review did not catch the card not in a reader"
snap review
review_correct "Custodian 4:" || fail "correcting custodian 4"
answer "Name of custodian 4 of 5" "Frank Four" || fail "custodian 4 name again"
pick_card custodian-4 || fail "custodian 4 card again"
review_correct "Custodian 2:" || fail "correcting custodian 2"
answer "Name of custodian 2 of 5" "Dan Two" || fail "custodian 2 name again"
pick_card custodian-2 || fail "custodian 2 card again"
wait_for "Custodian 2: Dan Two, card custodian-2 serial" \
    "Custodian 4: Frank Four, card custodian-4 serial" \
    "Custodian 5: Grace Five, card custodian-5 serial" "y +yes, go on" ||
    fail "the corrected roll call"
snap review2
review_yes || fail "roll call review"
ack 4 || fail "step 4"
wait_for "STEP 4 OF 15" "Key generated" "^  key id +[0-9a-f]{4}( [0-9a-f]{4}){7}$" ||
    fail "the key is not on step 4's screen"
result 4 || fail "step 4 result"
ack 5 || fail "step 5"
wait_for "STEP 5 OF 15" "Certificate signed" "^  subject +CN=Example Root CA" ||
    fail "the certificate is not on step 5's screen"
result 5 || fail "step 5 result"
# Step 6 says the fingerprint "is now on the screen": it is.
wait_for "STEP 6 OF 15" "fingerprint is now on the screen" "ON THE SCREEN" \
    "^ +[0-9A-F]{4}( [0-9A-F]{4}){7}$" "Enter +continue" ||
    fail "no fingerprint on step 6"
snap step6
ack 6 || fail "step 6"
wait_for "Type the LAST group" || fail "fingerprint screen"
snap fingerprint
type "0000"
send Enter
wait_for "0000 is not the last group \(2 of 3 tries left\)" ||
    fail "a wrong group was not refused"
fingerprint || fail "fingerprint"
ackr 7 || fail "step 7"
ackr 8 || fail "step 8"
wait_for "STEP 9 OF" "Enter +continue" && snap step9
ack 9 || fail "step 9"
for i in 1 2 3 4 5; do
	wait_for "INSERT CARD" "Card asked for: +custodian-$i" ||
	    fail "card wait $i"
	[ $i = 1 ] && wait_for "Enter +present" && snap card
	if [ $i = 3 ]; then
		# A wrong card chosen: named, recorded, asked again.
		card custodian-5 || fail "wrong card"
		wait_for "wrong card: card custodian-5 \(serial [0-9a-f]{16}\) is not" \
		    "take it out and insert custodian-3" ||
		    fail "the wrong card was not named"
	fi
	card "custodian-$i" || fail "card $i"
	if [ $i = 1 ]; then
		wait_for "ENTER PIN" && snap pin
		golden pin || fail "the PIN screen differs from its golden capture"
	fi
	pin "custodian-$i" "12340$i" || fail "pin $i"
	[ $i = 1 ] && wait_for "Share written" "Enter +continue" && snap written
	written "$(name $i)" || fail "share $i: no take-your-card-back"
done
ackr 10 || fail "step 10"
ackr 11 || fail "step 11"
ackr 12 || fail "step 12"
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
# The Summary repeats the certificate's fingerprint, as openssl has it.
FP=$(openssl x509 -in "$T/media/root-ca.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g')
got=$(sed -n '/certificate SHA-256/,/^──/p' "$T/summary.txt" |
    grep -E '^ +[0-9A-F]{4}( [0-9A-F]{4}){7}$' | tr -d ' \n')
[ "$got" = "$FP" ] || fail "Summary fingerprint $got, openssl $FP"
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

# The transcript viewer: values decoded, the air gap as a table, End
# shows the end, the footer whole.
send F2
wait_for "TRANSCRIPT  $T/media/transcript-" "rows [0-9]+-[0-9]+ of [0-9]+" \
    "^  ↑↓  scroll   PgUp PgDn  page   Home End  ends   r  as written   Esc  back$" ||
    fail "viewer"
# The end: the seal's signature block, the custodians' co-signatures last.
wait_for "^ cosignature: [a-z0-9-]+ custodian-5 " "rows [0-9]+-([0-9]+) of \\1\$" ||
    fail "the viewer does not open at the end"
send Home
wait_for "keyrite-transcript: 1" || fail "viewer did not scroll to the top"
# settled: the pane once two captures in a row agree (a page is judged
# only when it is drawn whole, not while its rows are still arriving).
settled() {
	_s1=$(screen)
	while _s2=$(screen); [ "$_s1" != "$_s2" ]; do _s1=$_s2; done
	printf '%s\n' "$_s1"
}
# view_find REGEX: page down from the top until REGEX is on the screen.
view_find() {
	_p=0
	until settled | grep -Eq -- "$1"; do
		_top=$(screen | sed -n 's/.*rows \([0-9]*\)-.*/\1/p')
		send NPage
		until [ "$(screen | sed -n 's/.*rows \([0-9]*\)-.*/\1/p')" != "$_top" ]
		do
			_p=$((_p + 1))
			[ $_p -lt 400 ] || return 1
			sleep 0.05
		done
	done
}
view_find "^       interfaces +[a-z0-9]+ +(ok|NOT OK) " ||
    fail "the air-gap inventory is not a table"
# The table may start near the page's foot: a line at a time to its end.
_l=0
until screen | grep -Eq "^       radios +none$"; do
	_top=$(screen | sed -n 's/.*rows \([0-9]*\)-.*/\1/p')
	send Down
	wait_for "rows $((_top + 1))-" || fail "the viewer did not scroll"
	_l=$((_l + 1))
	[ $_l -lt 30 ] || fail "no radios line after the interfaces"
done
wait_for "^ +(interfaces +)?lo +ok +loopback$" "^       radios +none$" ||
    fail "the air-gap table lacks lo or the radios"
snap viewer
view_find "^     operator: Ada Administrator$" ||
    fail "values not decoded for reading"
# A long value wrapped at a word, the next rows indented under it.
view_find "^     reason: Annual rehearsal of the root CA ceremony, with" &&
    wait_for "^         [a-z ,]*auditor in the room$" ||
    fail "a long value is not wrapped"
send End
wait_for "^ cosignature: [a-z0-9-]+ custodian-5 " ||
    fail "End did not go to the end"
send r
wait_for "TRANSCRIPT \(as written\)" "^ cosignature: [a-z0-9-]+ custodian-5 " \
    "r +readable" ||
    fail "r did not show the file as written"
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
grep -q " fingerprint-refused witness witness=Wendy%20Witness typed=0000 expected=[0-9A-F]\{4\} " "$TR" ||
    fail "the wrong group typed was not recorded"
grep -q " card-refused engine card=custodian-5 serial=[0-9a-f]* reason=wrong%20card " "$TR" ||
    fail "the wrong card chosen was not recorded"
grep -q " custodian.2=Dan%20Two custodian.2.card=custodian-2 custodian.2.serial=[0-9a-f]\{16\} " "$TR" ||
    fail "the corrected roll call is not the one recorded"
n=$(grep -c " share-written custodian " "$TR")
[ "$n" = 5 ] || fail "$n shares written"
"$KEYRITE" escrow inspect "$T/media/root-ca.escrow" > "$T/inspect.txt" 2>&1 ||
    fail "escrow inspect"
grep -qi "3 of 5\|threshold.*3" "$T/inspect.txt" || fail "not 3 of 5"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-create: all checks passed in $(( $(date +%s) - start ))s"
