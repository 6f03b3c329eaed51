# tests/tui/lib.sh: drive the keyrite TUI inside tmux, as tmux's own
# regress/ tests do.  Source it from a test; set T (a private temporary
# directory) first.  Every test gets its own tmux server (-L) with its
# socket under $T; tui_stop kills it (call it from the EXIT trap).  Waits
# poll the pane every 50 ms for at most $TUI_WAIT seconds (20), never
# sleep a fixed time.
#
#   tui_start COLS ROWS CMD...  start a shell command line in a detached
#                               session; exit_status prints how it ended,
#                               tui_pid its process id
#   wait_for REGEX...           until every REGEX (grep -E) matches a line
#                               of the pane; else print the pane and fail
#   wait_gone REGEX...          the opposite
#   send KEY...                 tmux send-keys (Enter, Up, F10, C-x, ...)
#   type TEXT                   literal text
#   screen, screen_all          the pane now (with its scrollback)
#   snap NAME                   keep the pane in $T/NAME.txt
#   golden NAME [GOLDEN]        compare a snap, masked, with a golden file
#   param, param_set, param_type, param_choice, param_pick, param_start:
#                               the Parameters screen, a field by name
#   home_choose, ack, result, ackr, answer, pick_card, review_yes,
#   review_correct, fingerprint, card, pin, written, cosign,
#   leave_summary:
#                               one screen of a ceremony each (below)

# The server's socket goes under $T too, so that nothing is left behind.
TMUX_TMPDIR="$T"
export TMUX_TMPDIR
KR_TMUX="tmux -L krtest-$$ -f $T/tmux.conf"
# The pane stays after keyrite exits, so that its status can be read.
echo "set -g remain-on-exit on" > "$T/tmux.conf"

tui_start() {
	_cols=$1 _rows=$2
	shift 2
	rm -f "$T/.status"
	$KR_TMUX new-session -d -x "$_cols" -y "$_rows" -s kr \
	    "$*; echo \$? > $T/.status"
}

# Waits (20 s at most) for the server to be gone: it does not remove its
# socket, and a tui_start that reaches a server still exiting fails with
# "server exited unexpectedly".
tui_stop() {
	_spid=$($KR_TMUX display-message -p '#{pid}' 2>/dev/null)
	$KR_TMUX kill-server 2>/dev/null
	_n=0
	while [ -n "$_spid" ] &&
	    grep -q '^State:[^Z]*$' "/proc/$_spid/status" 2>/dev/null; do
		_n=$((_n + 1))
		if [ $_n -ge 400 ]; then
			echo "tmux server $_spid still there 20 s after kill-server"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

screen() {
	$KR_TMUX capture-pane -p -t kr
}

# The pane with its scrollback: what a program printed after it left.
screen_all() {
	$KR_TMUX capture-pane -p -J -S - -t kr
}

snap() {
	screen > "$T/$1.txt"
}

send() {
	$KR_TMUX send-keys -t kr "$@"
}

type() {
	$KR_TMUX send-keys -t kr -l "$1"
}

# The pane's state: dead (1 when the program exited), its exit status,
# whether the alternate screen is on.
pane_info() {
	$KR_TMUX display-message -p -t kr "$1"
}

# Polls the pane every 50 ms, for at most $TUI_WAIT seconds (20).
_poll() { # _poll for|gone REGEX...
	_m=$1
	shift
	_limit=$(( ${TUI_WAIT:-20} * 20 )) _n=0
	while :; do
		screen > "$T/.screen" 2>/dev/null
		_all=1
		for _re in "$@"; do
			grep -Eq -- "$_re" "$T/.screen" || { _all=0; break; }
		done
		[ "$_m" = for ] && [ $_all = 1 ] && return 0
		[ "$_m" = gone ] && [ $_all = 0 ] && return 0
		_n=$((_n + 1))
		if [ $_n -ge $_limit ]; then
			echo "timed out waiting ${_m} /$*/; the screen was:"
			sed 's/^/  |/' "$T/.screen"
			return 1
		fi
		sleep 0.05
	done
}

# wait_for REGEX...: until every REGEX matches a line of the pane.
wait_for() {
	_poll for "$@"
}

# wait_gone REGEX...: until not all of them match.
wait_gone() {
	_poll gone "$@"
}

# --- a ceremony, screen by screen -----------------------------------------

# home_choose NAME: highlight NAME on the Home screen and open it.
# One row at a time, each move seen before the next key, as _select_row
# does: a key sent before the screen caught up would skip a ceremony.
# The list is sorted by name and scrolls: a ceremony not on the screen is
# above or below the highlighted one as its name sorts.
home_choose() {
	wait_for "CEREMONIES" || return 1
	_k=0
	while :; do
		screen > "$T/.home"
		_rows=$(sed -n '/CEREMONIES/,$p' "$T/.home" |
		    sed -n -E 's/^  [>▶ ] ([a-z0-9-]+)$/\1/p')
		_sel=$(sed -n '/CEREMONIES/,$p' "$T/.home" |
		    sed -n -E 's/^  [>▶] ([a-z0-9-]+)$/\1/p')
		[ "$_sel" = "$1" ] && break
		_at=$(echo "$_rows" | grep -nx -- "$_sel" | cut -d: -f1)
		_to=$(echo "$_rows" | grep -nx -- "$1" | cut -d: -f1)
		if [ -z "$_to" ]; then
			# Off the screen: before or after the highlight.
			_first=$(printf '%s\n%s\n' "$_sel" "$1" |
			    LC_ALL=C sort | head -1)
			[ "$_first" = "$_sel" ] && _to=999999 || _to=0
		fi
		if [ -z "$_at" ] || [ "$_at" -lt "$_to" ]; then
			_next=$(echo "$_rows" | sed -n "$(( ${_at:-0} + 1 ))p")
			send Down
		else
			_next=$(echo "$_rows" | sed -n "$((_at - 1))p")
			send Up
		fi
		# The next row may be off the screen: then the highlight moves
		# from this one.
		if [ -n "$_next" ]; then
			wait_for "^  [>▶] $_next\$" || return 1
		else
			wait_gone "^  [>▶] $_sel\$" || return 1
		fi
		_k=$((_k + 1))
		[ $_k -lt 60 ] || { echo "could not choose $1 on Home"; return 1; }
	done
	send Enter
	wait_for "PARAMETERS"
}

# ack K: the instruction of step K is shown; acknowledge it.  Screens take
# Enter only some time after they appear, and show "Enter" in the footer
# from then on: every helper waits for that.
# A step whose instruction speaks of facts on the screen (a fingerprint,
# a package's key and custodians) shows them under ON THE SCREEN.
ack() {
	wait_for "STEP $1 OF" "READ ALOUD|ON THE SCREEN" "Enter +continue" ||
	    return 1
	send Enter
}

# result K: step K's result is on its own screen; acknowledge it.
result() {
	wait_for "STEP $1 OF" "Read the result aloud" "Enter +continue" ||
	    return 1
	send Enter
}

# ackr K: step K's instruction, then its result.
ackr() {
	ack "$1" && result "$1"
}

# written NAME: the share-written confirmation names the custodian.
written() {
	wait_for "Share written" "$1, take your card back" "Enter +continue" ||
	    return 1
	send Enter
}

# answer REGEX TEXT: when the prompt matching REGEX is up, type TEXT.
answer() {
	wait_for "$1" "record the answer" || return 1
	[ -z "$2" ] || type "$2"
	send Enter
}

# cosign STEP LABEL:PIN...: the cosign-transcript step: acknowledge it,
# then each card in turn is asked for and co-signs with its PIN.
cosign() {
	ack "$1" || return 1
	shift
	for _cp in "$@"; do
		card "${_cp%%:*}" || return 1
		pin "${_cp%%:*}" "${_cp#*:}" || return 1
	done
}

# review_yes: the roll call is shown whole for review; confirm it.
review_yes() {
	wait_for "Roll call" "y +yes, go on" || return 1
	send y
	wait_gone "y +yes, go on"
}

# review_correct ENTRY: on the review, move to the entry starting with
# ENTRY (e.g. "Custodian 2:") and ask to correct it alone.
review_correct() {
	wait_for "Roll call" "Enter +correct this entry" || return 1
	_select_row "$1" '^  [> ] (.*)$' || return 1
	send Enter
	wait_gone "Enter +correct this entry"
}

# leave_summary: from the Summary screen back to Home.
leave_summary() {
	wait_for "Enter +back to Home" || return 1
	send Enter
	wait_for "CEREMONIES"
}

# pin LABEL PIN: the PIN screen for card LABEL is up; type PIN.
pin() {
	wait_for "ENTER PIN" "Card +$1\$" || return 1
	type "$2"
	send Enter
}

# fingerprint: type the last group of the fingerprint shown.
fingerprint() {
	wait_for "Type the LAST group" || return 1
	_last=$(screen | grep -E "^ *[0-9A-F]{4}( [0-9A-F]{4}){15} *\$" |
	    awk '{ print $16 }')
	[ -n "$_last" ] || { echo "no fingerprint on the screen"; return 1; }
	type "$_last"
	send Enter
}

# _select_row WANT [SED-RE]: moves the highlight ("  > ") of a list to the
# row whose first word (or, with SED-RE, whose text captured by it) is
# WANT, or starts with it.  One row at a time, waiting for each move to
# show before the next key, so that a key sent before the screen caught
# up cannot pick another row.
_select_row() {
	_re=${2:-'^  [> ] ([^ ]+) +serial .*'}
	_sre=$(printf '%s' "$_re" | sed 's/^\^  \[> \] /^  > /')
	_k=0
	while :; do
		screen > "$T/.rows"
		_rows=$(sed -n -E "s/$_re/\\1/p" "$T/.rows")
		_sel=$(sed -n -E "s/$_sre/\\1/p" "$T/.rows")
		# A row that is exactly $1 first ("release.txt" must not pick
		# "bad-release.txt"), else the first row that contains it.
		_to=$(echo "$_rows" | grep -nxF -- "$1" | head -1 | cut -d: -f1)
		[ -n "$_to" ] ||
		    _to=$(echo "$_rows" | grep -nF -- "$1" | head -1 | cut -d: -f1)
		[ -n "$_to" ] || { echo "$1 not in the list:"; cat "$T/.rows"
		    return 1; }
		_want=$(echo "$_rows" | sed -n "${_to}p")
		[ "$_sel" = "$_want" ] && return 0
		_at=$(echo "$_rows" | grep -nxF -- "$_sel" | head -1 | cut -d: -f1)
		if [ -z "$_at" ] || [ "$_at" -lt "$_to" ]; then
			_next=$(echo "$_rows" | sed -n "$(( ${_at:-0} + 1 ))p")
			send Down
		else
			_next=$(echo "$_rows" | sed -n "$((_at - 1))p")
			send Up
		fi
		until screen | sed -n -E "s/$_sre/\\1/p" | grep -qxF -- "$_next"
		do
			_k=$((_k + 1))
			[ $_k -lt 400 ] || { echo "$1: could not select it"
			    screen; return 1; }
			sleep 0.05
		done
	done
}

# --- the Parameters screen ---------------------------------------------------
# The field chosen is the highlighted row of the list (drawn from column
# 1, the others from column 2: _param_sel reads the attributes tmux
# keeps).  Every helper moves one row at a time and waits for each move,
# and waits for an edit to open and to close, so that no key lands on a
# screen that is not ready for it.  Fields are found by name, not by
# position: a script that gains a parameter does not move them.

_esc=$(printf '\033')

# _param_sel: the name of the highlighted row ("start" for Start).
_param_sel() {
	$KR_TMUX capture-pane -e -p -t kr |
	    sed -n '/PARAMETERS/,/Start the ceremony/p' |
	    grep "^\($_esc\[[0-9;]*m\)* $_esc\[" |
	    sed "s/$_esc\[[0-9;]*m//g" |
	    sed -n -E 's/^ +\[ Start the ceremony \].*/start/p
		s/^ +([a-z][a-z0-9_]*(…)?)( .*)?$/\1/p' | head -1
}

# param NAME: choose the field NAME ("start" for the Start row).
param() {
	wait_for "PARAMETERS" "Enter +(edit / start|files on the media)" ||
	    return 1
	_k=0
	while :; do
		_rows=$(screen | sed -n '/PARAMETERS/,/\[ Start the ceremony \]/p' |
		    sed -n -E 's/^  ([a-z][a-z0-9_]*(…)?)( .*)?$/\1/p')
		_rows=$(printf '%s\nstart\n' "$_rows")
		_sel=$(_param_sel)
		[ "$_sel" = "$1" ] && return 0
		_at=$(echo "$_rows" | grep -nx -- "$_sel" | head -1 | cut -d: -f1)
		_to=$(echo "$_rows" | grep -nx -- "$1" | head -1 | cut -d: -f1)
		[ -n "$_to" ] || { echo "no field $1 on Parameters:"; screen
		    return 1; }
		if [ -z "$_at" ] || [ "$_at" -lt "$_to" ]; then
			_next=$(echo "$_rows" | sed -n "$(( ${_at:-0} + 1 ))p")
			send Down
		else
			_next=$(echo "$_rows" | sed -n "$((_at - 1))p")
			send Up
		fi
		_n=0
		until [ "$(_param_sel)" = "$_next" ]; do
			_n=$((_n + 1))
			[ $_n -lt 400 ] || { echo "param $1: $_next not" \
			    "highlighted"; screen; return 1; }
			sleep 0.05
		done
		_k=$((_k + 1))
		[ $_k -lt 40 ] || { echo "could not choose $1"; return 1; }
	done
}

# _param_line VALUE: the edit line is open; it is emptied, VALUE typed and
# kept; waits for the edit to close (the value is checked by then).
_param_line() {
	wait_for "Enter +keep this value" || return 1
	# The line opens with the cursor at its end (no End key: a vt100
	# has none, and the sequence tmux sends for it is read as Esc).
	send -N 1100 BSpace
	[ -z "$1" ] || type "$1"
	send Enter
	wait_gone "Enter +keep this value"
}

# param_set NAME VALUE: the field NAME is edited to VALUE.
param_set() {
	param "$1" || return 1
	send Enter
	_param_line "$2"
}

# param_type NAME VALUE: a file name typed instead of chosen (e).
param_type() {
	param "$1" || return 1
	send e
	_param_line "$2"
}

# param_choice NAME VALUE: the choice NAME stepped (Right) to VALUE.
param_choice() {
	param "$1" || return 1
	_k=0
	until screen | grep -Eq -- "^  $1 +$2( |\$)"; do
		_v=$(screen | sed -n -E "s/^  $1 +([^ ]+).*/\1/p")
		send Right
		wait_gone "^  $1 +$_v( |\$)" || return 1
		_k=$((_k + 1))
		[ $_k -lt 40 ] || { echo "$1: no choice $2"; return 1; }
	done
}

# param_pick NAME FILE: Enter on NAME lists the files on the media (or the
# previous ceremonies); FILE is chosen from the list.
param_pick() {
	param "$1" || return 1
	send Enter
	wait_for "^  CHOOSE " "Enter +take this one" || return 1
	_select_row "$2" '^  [> ] (.*)$' || return 1
	send Enter
	wait_gone "Enter +take this one"
}

# param_start: the ceremony is started from Parameters (it may be refused:
# the caller waits for what it expects).
param_start() {
	param start || return 1
	send Enter
}

# card LABEL: on the card screen, choose LABEL from the list and present it.
card() {
	wait_for "INSERT CARD|PRESENT A CARD" "CARDS PRESENT" "Enter +present" ||
	    return 1
	_select_row "$1" || return 1
	send Enter
}

# pick_card LABEL: at the roll call, choose custodian's card LABEL from the
# cards present.
pick_card() {
	wait_for "ROLL CALL: WHICH CARD" "CARDS PRESENT" \
	    "Enter +choose this card" || return 1
	_select_row "$1" || return 1
	send Enter
	wait_gone "ROLL CALL: WHICH CARD"
}

# --- golden captures --------------------------------------------------------

# mask: what changes from run to run or machine to machine becomes a fixed
# word: the clock, card serials and hashes, the temporary directory, the
# version, the number of self-tests, and the air-gap verdict (with its
# continuation lines), which depends on the machine the tests run on.
mask() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC/YYYY-MM-DD hh:mm:ss UTC/' \
	    -e 's/[0-9a-f]{16,64}/<hex>/g' -e "s#$T#<tmp>#g" \
	    -e 's/PASSED \([0-9]+ of [0-9]+\)/PASSED (<n> of <n>)/' \
	    -e 's/keyrite [0-9]+\.[0-9]+\.[0-9]+/keyrite <version>/' |
	awk '/^  Air gap / { print "  Air gap       <depends on the machine>";
		skip = 1; next }
	    skip && /^                [^ ]/ { next }
	    { skip = 0; print }'
}

# golden NAME [GOLDEN]: $T/NAME.txt, masked, must equal
# tests/tui/golden/GOLDEN.txt (GOLDEN defaults to NAME); prints the
# difference when not.  KR_GOLDEN_UPDATE=1 rewrites the golden file
# instead (then read it before committing it).
golden() {
	_g="$KR_TOP/tests/tui/golden/${2:-$1}.txt"
	mask < "$T/$1.txt" > "$T/$1.masked"
	if [ -n "${KR_GOLDEN_UPDATE:-}" ]; then
		cp "$T/$1.masked" "$_g"
		return 0
	fi
	diff -u "$_g" "$T/$1.masked"
}

# exit_status: waits (10 s at most) for the pane's program to end, then
# prints its exit status (tui_start's wrapper writes it to a file: tmux
# itself may lose the status of a pane that closes quickly), or "running".
exit_status() {
	_w=0
	until [ -s "$T/.status" ]; do
		_w=$((_w + 1))
		[ $_w -lt 200 ] || { echo running; return 1; }
		sleep 0.05
	done
	cat "$T/.status"
}

# The process id of the program tui_start started (the shell's child).
tui_pid() {
	pgrep -P "$(pane_info '#{pane_pid}')" | head -1
}

# tui_cards N: N rehearsal cards in $T/cards, and this shell pointed at them.
tui_cards() {
	"$KEYRITE" rehearsal-cards --dir "$T/cards" --count "$1" >/dev/null ||
	    fail "rehearsal-cards"
	. "$T/cards/env"
}
