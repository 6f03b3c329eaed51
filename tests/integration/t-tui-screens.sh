#!/bin/sh
# The TUI's screens themselves: the Home screen against its golden capture;
# resizing to 100x30, to too small, and back, at Home and during a
# ceremony; colour (TERM=linux) and no colour (TERM=vt100, C locale, ASCII
# everywhere, the QR code as "##" pairs, decoded by zbarimg); `keyrite`
# with no arguments on a terminal; SIGTERM in the middle of a ceremony
# (aborted and recorded, the terminal given back, exit 1); a real Home on
# a machine that is not air-gapped refuses to open a ceremony.
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
mkdir "$T/media" "$T/media2" "$T/media3"

wait_exit() { # wait_exit STATUS: the pane's program ended with STATUS
	st=$(exit_status)
	[ "$st" = "$1" ] || fail "exit status $st, want $1"
	[ "$(pane_info '#{alternate_on}')" = 0 ] ||
	    fail "the terminal was left in the alternate screen"
}

# --- Home: golden, resize -------------------------------------------------
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"
wait_for "CEREMONIES" "5 present:" || fail "home"
snap home
golden home || fail "the Home screen differs from its golden capture"
$KR_TMUX resize-window -t kr -x 100 -y 30
wait_for "^ REHEARSAL .{70,} UTC$" \
    "Destroy an escrowed key: a quorum proves it holds it, every share presented is deleted, the$" ||
    fail "no relayout at 100x30"
$KR_TMUX resize-window -t kr -x 60 -y 20
wait_for "needs a terminal of at least 80x25" "60x20" ||
    fail "too small not said"
$KR_TMUX resize-window -t kr -x 80 -y 25
wait_for "CEREMONIES" "^  Media" || fail "back at 80x25"
snap home2
golden home2 home || fail "Home differs after resizing back"

# --- the same during a ceremony, and SIGTERM --------------------------------
home_choose root-ca-create || fail "params"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
wait_for "Name of the ceremony administrator" || fail "roll call"
snap runner
$KR_TMUX resize-window -t kr -x 100 -y 30
wait_for "STEP 3 OF 15 +ROLL CALL" "^ REHEARSAL .{70,} UTC$" ||
    fail "runner at 100x30"
$KR_TMUX resize-window -t kr -x 80 -y 25
wait_for "STEP 3 OF 15" "Name of the ceremony administrator" ||
    fail "runner back at 80x25"
type "Ada"
kpid=$(tui_pid) || fail "no keyrite process"
kill -TERM "$kpid"
wait_exit 1
screen_all | grep -q "keyrite: tui: stopped by a signal: SIGTERM; the ceremony was aborted" ||
    fail "no message after SIGTERM"
TR=$(ls "$T"/media/transcript-*[0-9a-f].txt) || fail "no transcript"
grep -q " ceremony-aborted engine error=stopped%20by%20a%20signal .*operator.name.* reason=signal chain=" "$TR" ||
    fail "SIGTERM: abort not recorded at the prompt, with reason=signal"
tui_stop || fail "the tmux server did not stop"

# --- no colour, no UTF-8: vt100 in the C locale ---------------------------
tui_start 80 50 "TERM=vt100 LANG=C LC_ALL=C $KEYRITE tui --rehearsal" \
    "--media $T/media2 --scripts $S" || fail "tmux vt100"
wait_for "CEREMONIES" "^  > [a-z][a-z-]*$" || fail "vt100 home"
$KR_TMUX capture-pane -e -p -t kr > "$T/vt100.esc"
grep -q "$(printf '\033')\\[[0-9;]*7m" "$T/vt100.esc" ||
    fail "vt100: no reverse video"
grep -Eq "$(printf '\033')\\[([0-9]+;)*[34][0-7]m" "$T/vt100.esc" &&
    fail "vt100: colour used on a terminal without colour"
LC_ALL=C grep -q "$(printf '[\342\200-\377]')" "$T/vt100.esc" &&
    fail "vt100: non-ASCII characters in the C locale"
home_choose root-ca-create || fail "vt100 params"
send s Enter
wait_for "STEP 1 OF" "READ ALOUD" || fail "vt100 step 1"
send C-r
wait_for "as sha256sum prints it" "##" || fail "vt100: QR view"
snap qrascii
python3 "$KR_TOP/tests/tui/pane2pgm.py" "$T/qrascii.txt" "$T/qr.pgm" ||
    fail "no ASCII QR code captured"
got=$(zbarimg --nodbus -q --raw "$T/qr.pgm") || fail "zbarimg read nothing"
TR=$(ls "$T"/media2/transcript-*[0-9a-f].txt)
want=$(sha256sum "$TR" | cut -d' ' -f1 | tr a-f A-F)
[ "$got" = "$want" ] || fail "ASCII QR says $got, sha256sum says $want"
send Escape
wait_for "STEP 1 OF" "READ ALOUD" || fail "back from the QR view"
send C-x
wait_for "ABORT THE CEREMONY" || fail "vt100: Ctrl-X"
type ABORT
send Enter
wait_for "CEREMONY ABORTED" || fail "vt100 abort"
leave_summary || fail "vt100 back home"
send C-c
wait_for "Leave keyrite" || fail "vt100: Ctrl-C at Home"
send y
wait_exit 0
tui_stop || fail "the tmux server did not stop"

# --- colour: TERM=linux; and keyrite without arguments ---------------------
tui_start 80 25 "cd $T && TERM=linux LANG=C.UTF-8 $KEYRITE" || fail "tmux linux"
wait_for "CEREMONIES" "choose +Enter +open" || fail "keyrite alone did not start the TUI"
$KR_TMUX capture-pane -e -p -t kr > "$T/linux.esc"
grep -Eq "$(printf '\033')\\[([0-9]+;)*4[0-7]m" "$T/linux.esc" ||
    fail "linux: no colour"
grep -q "REAL CEREMONY" "$T/linux.esc" || fail "no REAL banner without --rehearsal"
grep -q "none: start keyrite with --media" "$T/linux.esc" ||
    fail "no media not said"
# A real Home on a machine that is not air-gapped opens no ceremony, and
# says what to do.
if "$KEYRITE" airgap-check > /dev/null 2>&1; then
	echo "this machine is air-gapped: the refusal of a real ceremony on" \
	    "one that is not is not seen here"
else
	wait_for "No ceremony starts until this is fixed" ||
	    fail "a real Home does not say that no ceremony starts"
	send Enter
	wait_for "No ceremony starts: this machine is not air-gapped" \
	    "keyrite airgap-check" "then press r to check again" ||
	    fail "a real ceremony opened"
	snap realhome
	screen | grep -q "PARAMETERS" && fail "Parameters opened anyway"
fi
send q y
wait_exit 0
"$KEYRITE" < /dev/null > "$T/notty.out" 2>&1; rc=$?
[ $rc = 2 ] || fail "keyrite without a terminal: exit $rc, want 2 (usage)"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-screens: all checks passed in $(( $(date +%s) - start ))s"
