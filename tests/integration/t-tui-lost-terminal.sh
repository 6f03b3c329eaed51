#!/bin/sh
# t-tui-lost-terminal.sh: a terminal that goes away is an interruption.
#
# root-ca-create in rehearsal in tmux, past key generation (step 5 of 15,
# the key in memory), then the tmux server is killed, which takes the
# pane's terminal away.  Two ways keyrite may learn of it:
#   A. keyrite in the pane's session: the kernel's SIGHUP comes with the
#      hang-up;
#   B. keyrite in a session of its own (setsid): no SIGHUP reaches it,
#      only reads that fail (once, this spun at 100% CPU for 29 minutes).
# In both, keyrite must be gone (waited for up to 10 s; the time taken
# and the CPU it used while waited for are printed, not asserted), say
# "the terminal was lost" on stderr, and leave a transcript whose last
# record is the abort with reason=terminal-lost, intact and unsealed,
# with no output beside it.  C. The same at the Home screen, before any
# ceremony: keyrite is gone and says why.
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
S="$KR_TOP/ceremony-scripts"
command -v setsid >/dev/null 2>&1 || { echo "SKIP: setsid is not installed"; exit 77; }

tui_cards 5

# CPU time (utime + stime, in clock ticks) of process $1.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# gone PID: the process has exited (a zombie has exited too).
gone() {
	[ -r "/proc/$1/stat" ] || return 0
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# kill_and_wait NAME PID: kills the tmux server, waits for PID to be gone.
# tui_stop waits for the server to be gone too: the next tui_start uses
# the same socket, and a server still exiting there fails it.
kill_and_wait() {
	c0=$(cpu "$2")
	t0=$(date +%s%N)
	tui_stop || fail "$1: the tmux server did not stop"
	n=0 c1=$c0
	until gone "$2"; do
		c=$(cpu "$2") && [ -n "$c" ] && c1=$c
		n=$((n + 1))
		[ $n -lt 200 ] || fail "$1: keyrite (pid $2) still there 10 s after" \
		    "the terminal went away; CPU ticks $c0 -> $c1"
		sleep 0.05
	done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "$1: keyrite gone ${ms} ms after kill-server; CPU ticks while" \
	    "waited for: $((c1 - c0))"
}

# to_step5 MEDIA: a ceremony through the roll call and key generation.
to_step5() {
	home_choose root-ca-create || fail "home"
	send End Enter
	ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
	answer "Name of the ceremony administrator" "Ada" || fail "operator"
	answer "Name of witness 1" "Wendy" || fail "witness 1"
	answer "Name of witness 2" "" || fail "witness 2"
	answer "Why is this ceremony held" "rehearsal" || fail "reason"
	answer "What authorizes it" "CHG-1" || fail "authorization"
	for i in 1 2 3 4 5; do
		answer "Name of custodian $i of 5" "C$i" || fail "custodian $i"
		pick_card "custodian-$i" || fail "card $i"
	done
	review_yes || fail "roll call review"
	ackr 4 || fail "step 4"
	wait_for "STEP 5 OF 15" "Enter +continue" || fail "step 5"
	grep -q " key-generated engine " "$1"/transcript-*[0-9a-f].txt ||
	    fail "no key generated before the terminal goes"
}

check_lost() { # check_lost NAME MEDIA
	grep -q "^keyrite: tui: the terminal was lost: .*the ceremony was aborted and the abort recorded in $2/transcript-" \
	    "$T/$1.err" || { cat "$T/$1.err"; fail "$1: no message on stderr"; }
	tr=$(ls "$2"/transcript-*[0-9a-f].txt) || fail "$1: no transcript"
	tail -1 "$tr" | grep -q " ceremony-aborted engine error=the%20terminal%20was%20lost code=-14 detail=.*at%20prompt%20step.5 outputs-discarded=none uncommitted-shares=none reason=terminal-lost chain=" ||
	    fail "$1: last record: $(tail -1 "$tr")"
	grep -q "^signature: " "$tr" && fail "$1: sealed"
	"$KEYRITE" verify --allow-unsealed "$tr" > "$T/$1.verify" 2>&1 ||
	    { cat "$T/$1.verify"; fail "$1: transcript not intact"; }
	[ "$(ls "$2")" = "$(basename "$tr")" ] ||
	    fail "$1: files besides the transcript: $(ls "$2")"
}

for v in A B; do
	mkdir "$T/media$v"
	[ $v = B ] && pre="setsid -w" || pre=
	tui_start 80 25 "LANG=C.UTF-8 $pre $KEYRITE tui --rehearsal" \
	    "--media $T/media$v --scripts $S 2>$T/$v.err" || fail "tmux $v"
	to_step5 "$T/media$v"
	pid=$(tui_pid) || fail "$v: no keyrite process"
	case $(cat "/proc/$pid/cmdline" | tr '\0' ' ') in
	*keyrite\ tui*) ;;
	*) fail "$v: pid $pid is not keyrite" ;;
	esac
	kill_and_wait "$v" "$pid"
	check_lost "$v" "$T/media$v"
	echo "ok $v - terminal lost at step 5 ($v): gone, recorded, unsealed"
done

# C. At Home, before any ceremony.
tui_start 80 25 "LANG=C.UTF-8 setsid -w $KEYRITE tui --rehearsal" \
    "--media $T/mediaA --scripts $S 2>$T/C.err" || fail "tmux C"
wait_for "CEREMONIES" || fail "home"
pid=$(tui_pid) || fail "C: no keyrite process"
kill_and_wait C "$pid"
grep -q "^keyrite: tui: the terminal was lost: hang-up, end of file or I/O error on it$" \
    "$T/C.err" || { cat "$T/C.err"; fail "C: no message on stderr"; }
echo "ok C - terminal lost at Home: gone, said why"
echo "t-tui-lost-terminal: all passed"
