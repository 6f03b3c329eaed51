#!/bin/sh
# t-airgap-watch.sh: the air gap is watched for the whole ceremony.
#
# Runs in a network namespace with a sysfs of its own (only lo: the
# air-gap check passes), re-executing itself there.  A veth pair is added
# at a known state, never after a sleep:
#   1. TUI: root-ca-create in rehearsal (air-gapped at the check, so
#      enforced as for real), driven in tmux up to the roll call, which
#      comes after the check; the veth is added while the prompt waits.
#      Without a key pressed, the watch aborts the ceremony: the Summary
#      names the veth, Enter leaves keyrite with exit 4 and a message,
#      the transcript names the device and records the abort with
#      reason=airgap-breached, and stays unsealed but intact.
#   2. batch (keyrite run): SOFTHSM2_CONF is a FIFO, so keyrite stops at a
#      known point, opening it when it first needs the cards (step 9,
#      after the key was made and split).  Once keyrite has it open the
#      veth is added, then the configuration written: the watch before
#      the card prompt aborts.  Exit 4, the transcript names the veth, no
#      share on any card (pkcs11-tool), no escrow package.
#   3. batch, not air-gapped at the check (the veth of case 2 is still
#      there; allowed in rehearsal): another veth added the same way is
#      recorded as airgap-changed and printed as a notice, and the
#      ceremony completes, sealed, with "changes=2".
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.
set -u
: "${KEYRITE:?KEYRITE must name the keyrite binary}"

fail() { echo "FAIL: $*"; [ -n "${KR_TMUX:-}" ] && screen 2>/dev/null |
    sed 's/^/  |/'; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

if [ "${KR_WATCH_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for unshare -n -m and ip link"
	for c in unshare ip tmux mount pkcs11-tool mkfifo; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
	unshare -n -m true 2>/dev/null || skip "unshare -n -m is not permitted here"
	KR_WATCH_NS=1 unshare -n -m sh -c \
	    'mount -t sysfs sysfs /sys || exit 90; exec sh "$0"' "$0"
	rc=$?
	[ $rc = 90 ] && skip "cannot mount sysfs in a new mount namespace"
	exit $rc
fi

T=$(mktemp -d) || fail "mktemp"
. "$KR_TOP/tests/tui/lib.sh"
server=
trap 'tui_stop; [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"

[ "$(ls /sys/class/net)" = lo ] || fail "the namespace has more than lo: $(ls /sys/class/net)"
"$KEYRITE" airgap-check > "$T/check.out" 2>&1 ||
    { cat "$T/check.out"; fail "the namespace is not air-gapped"; }
tui_cards 5
CONF=$SOFTHSM2_CONF

# --- 1. TUI -----------------------------------------------------------------
mkdir "$T/media"
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S 2>$T/tui.err" || fail "tmux"
home_choose root-ca-create || fail "home"
send End Enter
ackr 1 || fail "step 1"
ackr 2 || fail "step 2"
ack 3 || fail "step 3"
wait_for "Name of the ceremony administrator" "record the answer" ||
    fail "roll call"
TR=$(ls "$T"/media/transcript-*[0-9a-f].txt) || fail "no transcript"
grep -q " airgap-watch-started engine on-change=abort " "$TR" ||
    fail "the watch did not start (enforced) at the check"
ip link add veth0 type veth peer name veth1 || fail "ip link add"
wait_for "CEREMONY ABORTED: THE AIR GAP WAS BREACHED" \
    "interface veth[01] \(veth\) appeared" || fail "no breach on the screen"
wait_for "stopped at step 3 of 15" "Enter +leave keyrite" ||
    fail "the Summary does not offer to leave"
snap breach
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T/breach.txt" "$KR_TUI_SNAPS"/
send Enter
st=$(exit_status)
[ "$st" = 4 ] || fail "TUI exit status $st, want 4"
grep -q "^keyrite: tui: the air gap was breached during the ceremony: interface veth[01] (veth) appeared" \
    "$T/tui.err" || { cat "$T/tui.err"; fail "no message on stderr"; }
grep -q " airgap-breached engine interface=veth0 index=[0-9]* kind=veth type=ether " "$TR" ||
    fail "veth0 not named in the transcript"
grep -q " airgap-breached engine interface=veth1 " "$TR" ||
    fail "veth1 not named in the transcript"
tail -1 "$TR" | grep -q " ceremony-aborted engine error=the%20air%20gap%20was%20breached%20during%20the%20ceremony code=-304 .* reason=airgap-breached chain=" ||
    fail "last record: $(tail -1 "$TR")"
"$KEYRITE" verify --allow-unsealed "$TR" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "the aborted transcript is not intact"; }
[ "$(ls "$T/media")" = "$(basename "$TR")" ] ||
    fail "files besides the transcript: $(ls "$T/media")"
tui_stop || fail "the tmux server did not stop"
echo "ok 1 - TUI: veth added at the roll call aborts at once, exit 4, named"

# --- batch helpers ------------------------------------------------------------
people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = rehearsal
	ceremony.authorization = CHG-1
	confirm = yes
	EOA
	for i in 1 2 3 4 5; do
		echo "pin.custodian-$i = 12340$i"
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
	done
}
people > "$T/answers.txt"

# batch NAME LINKCMD: keyrite run with the cards' configuration behind a
# FIFO.  keyrite reads it when it loads the PKCS#11 module (before the
# ceremony starts: served at once) and again when the roll call checks the
# cards in the readers, after the air-gap check: LINKCMD runs while keyrite
# waits there, then the configuration is written.  Later opens (a module
# reload) are served too.
batch() {
	mkdir "$T/$1"
	rm -f "$T/fifo"
	mkfifo "$T/fifo" || fail "mkfifo"
	SOFTHSM2_CONF=$T/fifo "$KEYRITE" run "$S/root-ca-create.ceremony" \
	    --media "$T/$1" --answers "$T/answers.txt" --rehearsal \
	    > "$T/$1.out" 2>&1 &
	kpid=$!
	exec 3> "$T/fifo"	# the module load, before the ceremony
	cat "$CONF" >&3
	exec 3>&-
	# Until keyrite has closed that read: only then does the next open
	# for writing wait for keyrite's next open.
	while ls -l /proc/$kpid/fd 2>/dev/null | grep -q " -> $T/fifo\$"; do
		sleep 0.01
	done
	exec 3> "$T/fifo"	# the roll call's card check: keyrite waits
	$2 || fail "$2"
	cat "$CONF" >&3
	exec 3>&-
	# The server serves every later open, whatever one cat's status: a
	# reader that closes before the end (EPIPE, SIGPIPE) once ended the
	# loop, and keyrite's next open waited for a writer forever.
	( trap '' PIPE; while :; do cat "$CONF" > "$T/fifo"; done ) \
	    2>/dev/null &
	server=$!
	wait $kpid
	echo $? > "$T/$1.rc"
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
	server=
	# A cat of the loop may still wait in open for a reader: one that
	# opens read-write does not wait, and lets it write and go.
	exec 4<> "$T/fifo"
	exec 4<&-
	cat "$T/$1.out"
}

# --- 2. batch, enforced ---------------------------------------------------
ip link delete veth0 || fail "ip link delete"
[ "$(ls /sys/class/net)" = lo ] || fail "veth left over"
batch enforced "ip link add veth2 type veth peer name veth3"
[ "$(cat "$T/enforced.rc")" = 4 ] || fail "batch exit $(cat "$T/enforced.rc"), want 4"
grep -q "^step 3/15 \[administrator\] roll-call$" "$T/enforced.out" ||
    fail "did not reach step 3"
grep -q "^keyrite: run: the air gap was breached during the ceremony: interface veth[23] (veth) appeared" \
    "$T/enforced.out" || fail "no message"
TR=$(ls "$T"/enforced/transcript-*[0-9a-f].txt) || fail "no transcript"
grep -q " airgap-breached engine interface=veth2 .*kind=veth" "$TR" ||
    fail "veth2 not named"
tail -1 "$TR" | grep -q " ceremony-aborted .* reason=airgap-breached chain=" ||
    fail "last record: $(tail -1 "$TR")"
grep -q " key-generated " "$TR" && fail "a key was generated after the breach"
grep -q " share-written " "$TR" && fail "a share was written"
[ -e "$T/enforced/root-ca.escrow" ] && fail "escrow package written"
for i in 1 2 3 4 5; do
	n=$(SOFTHSM2_CONF=$CONF pkcs11-tool --module "$KEYRITE_PKCS11_MODULE" \
	    --token-label "custodian-$i" --login --pin "12340$i" \
	    --list-objects --type data 2>/dev/null | grep -c "keyrite-share")
	[ "$n" = 0 ] || fail "custodian-$i holds $n share objects"
done
echo "ok 2 - batch: veth added during the roll call aborts before any key, exit 4"

# --- 3. batch, not air-gapped at the check -----------------------------------
batch changed "ip link add veth4 type veth peer name veth5"
[ "$(cat "$T/changed.rc")" = 0 ] || fail "batch exit $(cat "$T/changed.rc"), want 0"
grep -q "^  notice: the machine changed: interface veth[45] (veth) appeared" \
    "$T/changed.out" || fail "no notice"
TR=$(ls "$T"/changed/transcript-*[0-9a-f].txt) || fail "no transcript"
grep -q " airgap-check engine air-gapped=no policy=allowed-in-rehearsal " "$TR" ||
    fail "the check did not record the veth of case 2"
grep -q " airgap-watch-started engine on-change=record " "$TR" ||
    fail "the watch is not in record mode"
grep -q " airgap-changed engine interface=veth4 .*kind=veth" "$TR" ||
    fail "veth4 not recorded"
grep -q " airgap-breached " "$TR" && fail "recorded as a breach"
grep -q " airgap-watched engine looks=[0-9]* changes=2 " "$TR" ||
    fail "no summary with changes=2"
"$KEYRITE" verify "$TR" --cert "$T/changed/root-ca.pem" > "$T/verify.out" 2>&1 ||
    { cat "$T/verify.out"; fail "keyrite verify"; }
echo "ok 3 - batch, not air-gapped at the start: recorded, notice, sealed"
echo "t-airgap-watch: all passed"
