#!/bin/sh
# Untrusted bytes never reach the terminal raw.  An escape sequence (ESC
# [ 2 J: clear the screen; OSC 0: set the title) is fed to every field a
# file, a card or an answers file controls, and everything keyrite prints
# (stdout and stderr) must hold no ESC, no other control character but
# line feeds, and show the bytes escaped as \x1b.  The TUI (which draws
# through ncurses) is checked in tmux: the card label shows escaped.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
ESC=$(printf '\033')
EVIL="$ESC[2J${ESC}]0;pwned$(printf '\007')"

clean_output() { # clean_output FILE WHAT: no control bytes but LF
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"; then
		od -c "$1" | head -20
		fail "$2: a control byte reached the terminal"
	fi
	grep -q '\\x1b' "$1" || { cat "$1"; fail "$2: the escape is not shown as \\x1b"; }
}

echo "== escrow inspect: a hostile version line"
{ printf 'keyrite-escrow: 1%s\n' "$EVIL"; tail -n +2 \
    "$KR_TOP/tests/fuzz/corpus/escrow/ecdsa-p256-2-of-3.escrow"; } > "$T/evil.escrow"
"$KEYRITE" escrow inspect "$T/evil.escrow" > "$T/inspect.out" 2>&1; rc=$?
cat "$T/inspect.out"
[ $rc = 5 ] || fail "hostile version line: exit $rc, want 5"
clean_output "$T/inspect.out" "escrow inspect"
grep -q "structure: ok" "$T/inspect.out" && fail "a fake 'structure: ok' was printed"

echo "== answers files refuse control bytes, naming the line, printing none"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null || fail "cards"
. "$T/cards/env"
mkdir "$T/media"
{
	echo "witness.1.name = Wendy Witness"
	echo "operator.name = Ada$EVIL"
} > "$T/a.txt"
"$KEYRITE" run "$KR_TOP/ceremony-scripts/root-ca-create.ceremony" \
    --media "$T/media" --answers "$T/a.txt" --rehearsal > "$T/run.out" 2>&1
rc=$?
cat "$T/run.out"
[ $rc = 1 ] || fail "a hostile answers file: exit $rc"
grep -qx "keyrite: run: malformed input: $T/a.txt line 2: a control character or malformed UTF-8" "$T/run.out" ||
    fail "the hostile line not named"
LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/run.out" &&
    fail "keyrite run printed a control byte"

echo "== a hostile card label: keyrite cards, the roll call, a recovery"
softhsm2-util --init-token --free --label "evil$ESC[31m" --so-pin 000000 \
    --pin 666666 > /dev/null 2>&1 || fail "a hostile card"
"$KEYRITE" cards > "$T/cards.out" 2>&1
cat "$T/cards.out"
clean_output "$T/cards.out" "keyrite cards"
serial=$(sed -n 's/^evil\\x1b\[31m *\([0-9a-f]*\) .*/\1/p' "$T/cards.out")
[ -n "$serial" ] || fail "the hostile card's serial not listed"
{
	echo "operator.name = Ada Administrator"
	echo "witness.1.name = Wendy Witness"
	echo "confirm = yes"
	echo "recover.cards = $serial"
	echo "pin.$serial = 666666"
} > "$T/d.txt"
{ cat "$T/d.txt" | sed '/^recover/d'
  for i in 1 2 3 4 5; do echo "custodian.$i.name = C $i"
	echo "custodian.$i.card = custodian-$i"; echo "pin.custodian-$i = 12340$i"; done
} > "$T/c.txt"
"$KEYRITE" run "$KR_TOP/ceremony-scripts/root-ca-create.ceremony" \
    --media "$T/media" --answers "$T/c.txt" --rehearsal > "$T/c.out" 2>&1 ||
    { cat "$T/c.out"; fail "root"; }
"$KEYRITE" run "$KR_TOP/ceremony-scripts/key-recovery-drill.ceremony" \
    --media "$T/media" --answers "$T/d.txt" --rehearsal > "$T/d.out" 2>&1
cat "$T/d.out"
clean_output "$T/d.out" "a drill presented the hostile card"
grep -qF "card evil\\x1b[31m (serial $serial) holds no share of this key" "$T/d.out" ||
    fail "the hostile card not named, escaped"

echo "== the TUI: the hostile card label on Home"
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $KR_TOP/ceremony-scripts" || fail "tmux"
wait_for "CEREMONIES" "evil" || fail "Home"
screen > "$T/home.txt"
grep -qF 'evil\x1b[31m' "$T/home.txt" ||
    { cat "$T/home.txt"; fail "the TUI did not show the ESC as text"; }
echo "escape: all checks passed"
