#!/bin/sh
# Real means real (docs/rehearsal.md, "Real mode and rehearsal"): the real
# binary, installed as any installation is (make install into a prefix,
# tests/integration/lib-install.sh), real SoftHSM2 tokens, and an
# air-gapped network namespace with only lo.  Every refusal's whole text
# is checked.
#   1. build/keyrite (not installed) refuses a real ceremony: exit 7.
#   2. installed, on this networked machine: the air-gap check stops it.
#   3. a test installation whose policy qualifies SoftHSM2: a real
#      root-ca-create through the TUI and a real drill in batch complete,
#      sealed, "mode: real", script-reviewed=yes; the drill's fingerprint
#      is the certificate's, as openssl computes it.
#   4. the installation as shipped (SoftHSM2 not qualified): the real
#      drill is refused at its first card, which is named and recorded.
#   5. a modified copy of a shipped script: refused in real mode, runs in
#      rehearsal (script-reviewed=no); --policy elsewhere is refused.
#   6. a script in the installed directory whose bytes changed (still
#      read-only) is refused with both hashes.
#   7. scripts lacking show-fingerprint, wipe or seal-transcript, even
#      installed with a matching manifest: refused by the parser, real or
#      rehearsal.
#   8. a writable scripts directory or script is refused; the same files
#      on a read-only bind mount are accepted (the drill completes).
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
. "$KR_TOP/tests/integration/lib-install.sh"
trap 'tui_stop; chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
start=$(date +%s)

kr_airgap_or_skip
tui_cards 5
M=$KEYRITE_PKCS11_MODULE
serial() {
	"$KEYRITE" cards | awk -v l="$1" '$1 == l { print $2 }'
}
S1=$(serial custodian-1)
[ ${#S1} = 16 ] || fail "no serial for custodian-1: '$S1'"

Q=$T/q; kr_install "$Q" qualify; QK=$Q/bin/keyrite; QS=$(kr_scripts "$Q")
U=$T/u; kr_install "$U"; UK=$U/bin/keyrite; US=$(kr_scripts "$U")
QSR=$(readlink -f "$QS")
grep -qx "qualified-token = SoftHSM project / SoftHSM v2" "$QS/policy.conf" ||
    fail "test install not qualified"
grep -q "qualified-token" "$US/policy.conf" && fail "shipped policy qualifies SoftHSM2"
echo "ok: installed into $Q (SoftHSM2 qualified) and $U (as shipped)"

people() { # the answers of a real ceremony: no "confirm = yes"
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = Annual key ceremony
	ceremony.authorization = CHG-2026-0042
	roll-call.confirm = yes
	EOA
	for i in 1 2 3 4 5; do
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
		echo "pin.custodian-$i = 12340$i"
	done
}
people > "$T/real.txt"
{ people; echo "confirm = yes"; } > "$T/rehearsal.txt"

# said FILE: what keyrite wrote, less the warning every sanitizer build
# prints (mlockall is skipped under AddressSanitizer).
said() {
	if [ "${SAN:-}" = 1 ]; then
		grep -v "^keyrite: warning: not all memory is locked (skipped under AddressSanitizer)" "$1"
	else
		cat "$1"
	fi
}
# expect FILE TEXT: FILE holds exactly TEXT (and a final newline).
expect() {
	printf '%s\n' "$2" > "$T/.want"
	said "$1" | cmp -s - "$T/.want" || { echo "got:"; cat "$1"
		echo "want:"; cat "$T/.want"; fail "${3:-message differs}"; }
}
R="keyrite: run: refused before any work: not a reviewed, installed script:"
TAIL="run it with --rehearsal, or install the reviewed scripts"

# --- 1. not installed -------------------------------------------------------
mkdir "$T/m1"
"$KEYRITE" run "$KR_TOP/ceremony-scripts/root-ca-create.ceremony" \
    --media "$T/m1" --answers "$T/real.txt" > "$T/1.out" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/1.out"; fail "build/keyrite real: exit $rc, want 7"; }
expect "$T/1.out" "$R keyrite at $(readlink -f "$KEYRITE") is not installed (it is not in a bin directory), so no script counts as reviewed; $TAIL"
[ -z "$(ls -A "$T/m1")" ] || fail "a refused ceremony wrote into its media"
echo "ok: 1. build/keyrite refuses a real ceremony (exit 7)"

# --- 2. installed, but this machine has a network ---------------------------
if [ -n "$(ls /sys/class/net | grep -vx lo)" ]; then
	mkdir "$T/m2"
	"$QK" run "$QS/root-ca-create.ceremony" --media "$T/m2" \
	    --answers "$T/real.txt" > "$T/2.out" 2> "$T/2.err"; rc=$?
	[ $rc = 1 ] || { cat "$T/2.out" "$T/2.err"; fail "networked: exit $rc"; }
	said "$T/2.err" > "$T/2.said"
	grep -Eqx "keyrite: run: a network interface is present: (interface [^;]+; )+a real ceremony does not start on this machine" "$T/2.said" &&
	    [ "$(wc -l < "$T/2.said")" = 1 ] ||
	    { cat "$T/2.err"; fail "air-gap refusal text"; }
	TR=$(ls "$T"/m2/transcript-*[0-9a-f].txt)
	grep -q " airgap-check engine air-gapped=no policy=refused " "$TR" ||
	    fail "air-gap refusal not recorded"
	grep -q "card-presented\|share-written" "$TR" && fail "a card was touched"
	[ ! -e "$T/m2/root-ca.pem" ] || fail "a certificate was written"
	echo "ok: 2. installed keyrite on a networked machine stops at the air gap"
fi

# --- 3. qualified installation: a real root-ca-create in the TUI ------------
mkdir "$T/media"
printf '#!/bin/sh\nexec unshare -n -m sh -c %s sh "$@"\n' \
    "'mount -t sysfs sysfs /sys && exec \"\$@\"'" > "$T/airgapped"
chmod +x "$T/airgapped"
tui_start 80 25 "LANG=C.UTF-8 $T/airgapped $QK tui --media $T/media" ||
    fail "tmux"
wait_for "REAL CEREMONY: keys made here are real" || fail "not real mode"
home_choose root-ca-create || fail "home"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
answer "Name of the ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" &&
    answer "Why is this ceremony held" "Annual key ceremony" &&
    answer "What authorizes it" "CHG-2026-0042" || fail "roll call"
for i in 1 2 3 4 5; do
	answer "Name of custodian $i of 5" "Custodian $i" &&
	    pick_card "custodian-$i" ||
	    fail "custodian $i"
done
review_yes || fail "roll call review"
ackr 4 && ackr 5 && ack 6 || fail "steps 4-6"
fingerprint || fail "fingerprint"
ackr 7 && ackr 8 && ack 9 || fail "steps 7-9"
for i in 1 2 3 4 5; do
	card "custodian-$i" && pin "custodian-$i" "12340$i" &&
	    written "Custodian $i" || fail "card $i"
done
ackr 10 && ackr 11 && ackr 12 && ack 13 || fail "steps 10-13"
cosign 14 custodian-1:123401 custodian-2:123402 custodian-3:123403 \
    custodian-4:123404 custodian-5:123405 || fail "co-signing"
ack 15 || fail "step 15 (print)"
wait_for "CEREMONY COMPLETE" || fail "the real root-ca-create did not complete"
leave_summary || fail "back to Home"
send q
wait_for "Leave keyrite" || fail "no leave question"
send y
st=$(exit_status)
[ "$st" = 0 ] || fail "keyrite tui exit status $st"
tui_stop || fail "the tmux server did not stop"
TC=$(ls "$T"/media/transcript-*[0-9a-f].txt)
"$KEYRITE" verify "$TC" --cert "$T/media/root-ca.pem" > "$T/3v.out" 2>&1 ||
    { cat "$T/3v.out"; fail "the real root-ca-create transcript does not verify"; }
grep -qx "mode: real" "$TC" || fail "transcript header not mode: real"
grep -q " ceremony-started engine script=root-ca-create .* mode=real script-reviewed=yes " "$TC" ||
    fail "ceremony-started does not say real and reviewed"
[ "$(openssl x509 -in "$T/media/root-ca.pem" -noout -subject)" = \
    "subject=C = US, O = Example, CN = Example Root CA" ] ||
    fail "subject of a real root: $(openssl x509 -in "$T/media/root-ca.pem" -noout -subject)"
[ "$(grep -c " share-written custodian " "$TC")" = 5 ] || fail "not 5 shares"
echo "ok: 3. a real root-ca-create in the TUI, air-gapped, SoftHSM2 qualified"

# The fingerprint the witnesses compare, as openssl computes it.
FP=$(openssl x509 -in "$T/media/root-ca.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | sed 's/..../&%20/g; s/%20$//')
LAST=$(echo "$FP" | sed 's/.*%20//')
grep -q " fingerprint-confirmed witness witness=Wendy%20Witness fingerprint=$FP " "$TC" ||
    fail "create: the confirmed fingerprint is not the certificate's ($FP)"

drill_answers() { # drill_answers FILE CARDS
	{ people; echo "witness.1.fingerprint = $LAST"; echo "recover.cards = $2"; } > "$1"
}
drill_answers "$T/drill.txt" "custodian-2, custodian-4, custodian-5"
kr_airgapped "$QK" run "$QS/key-recovery-drill.ceremony" --media "$T/media" \
    --answers "$T/drill.txt" > "$T/3d.out" 2> "$T/3d.err"; rc=$?
[ $rc = 0 ] || { cat "$T/3d.out" "$T/3d.err"; fail "real drill: exit $rc"; }
[ -z "$(said "$T/3d.err")" ] || { cat "$T/3d.err"; fail "real drill said something on stderr"; }
TD=$(sed -n 's/^transcript: //p' "$T/3d.out")
[ -f "$TD" ] || { cat "$T/3d.out"; fail "no sealed transcript named"; }
"$KEYRITE" verify "$TD" --cert "$T/media/root-ca.pem" > "$T/3dv.out" 2>&1 ||
    { cat "$T/3dv.out"; fail "the real drill's transcript does not verify"; }
grep -qx "mode: real" "$TD" || fail "drill header not mode: real"
grep -q " mode=real script-reviewed=yes " "$TD" || fail "drill not real and reviewed"
grep -q " fingerprint-confirmed witness witness=Wendy%20Witness fingerprint=$FP " "$TD" ||
    fail "drill: the fingerprint shown is not the certificate's, as at creation"
grep -q " key-proven engine " "$TD" || fail "key not proven"
echo "ok: 3. a real drill completes, sealed; its fingerprint is the one confirmed at creation"

# --- 4. as shipped: SoftHSM2 is a software token ----------------------------
kr_airgapped "$UK" run "$US/key-recovery-drill.ceremony" --media "$T/media" \
    --answers "$T/drill.txt" > "$T/4.out" 2> "$T/4.err"; rc=$?
[ $rc = 1 ] || { cat "$T/4.out" "$T/4.err"; fail "unqualified SoftHSM2: exit $rc, want 1"; }
# Each card is named and refused; the recovery asks for the next one, and
# with none usable it says how many good ones are missing.
grep -qxF "  notice: card custodian-2 (serial $(serial custodian-2)) is a software token (SoftHSM project SoftHSM v2): a real ceremony uses hardware cards; qualify the model in the policy (qualified-token = SoftHSM project / SoftHSM v2) or run a rehearsal; present the next custodian's card" "$T/4.out" ||
    { cat "$T/4.out"; fail "custodian-2 not named as a software token"; }
expect "$T/4.err" "keyrite: run: not enough shares: 0 good shares of the 3 needed: present 3 more custodian cards"
TR=$(sed -n 's/^transcript: \(.*\) (unsealed.*/\1/p' "$T/4.out")
grep -q " card-refused engine card=custodian-2 serial=$(serial custodian-2) manufacturer=SoftHSM%20project model=SoftHSM%20v2 hw-slot=no " "$TR" ||
    fail "card-refused not recorded in $TR"
grep -q " kek-recovered \| pin-rejected \| key-proven " "$TR" &&
    fail "the refused card was used"
grep -q " ceremony-failed engine error=not%20enough%20shares" "$TR" ||
    fail "failure not recorded"
echo "ok: 4. a real drill on unqualified SoftHSM2 refuses every card, naming each"

# --- 4b. a real ceremony without a reason: the whole message, prompt id kept
sed '/^ceremony.reason/d' "$T/drill.txt" > "$T/noreason.txt"
kr_airgapped "$QK" run "$QS/key-recovery-drill.ceremony" --media "$T/media" \
    --answers "$T/noreason.txt" > "$T/4b.out" 2> "$T/4b.err"; rc=$?
[ $rc = 1 ] || { cat "$T/4b.out" "$T/4b.err"; fail "no reason: exit $rc, want 1"; }
expect "$T/4b.err" "keyrite: run: an answer is missing: $T/noreason.txt has no answer for prompt 'ceremony.reason' (Why): add a line 'ceremony.reason = ...'; a real ceremony does not start without a reason and an authorization"
echo "ok: 4b. a real ceremony without a reason says which answer is missing"

# --- 5. a modified copy, and --policy elsewhere -----------------------------
mkdir "$T/copy" "$T/m5"
sed 's/Good morning, everyone/Good afternoon, everyone/' \
    "$QS/root-ca-create.ceremony" > "$T/copy/root-ca-create.ceremony"
cp "$QS/policy.conf" "$T/copy/policy.conf"
cmp -s "$T/copy/root-ca-create.ceremony" "$QS/root-ca-create.ceremony" &&
    fail "the copy is not modified"
kr_airgapped "$QK" run "$T/copy/root-ca-create.ceremony" --media "$T/m5" \
    --answers "$T/real.txt" > "$T/5.out" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/5.out"; fail "modified copy, real: exit $rc, want 7"; }
expect "$T/5.out" "$R $T/copy/root-ca-create.ceremony is not a reviewed script: it is not in the installed scripts directory $QSR; $TAIL"
[ -z "$(ls -A "$T/m5")" ] || fail "refused copy wrote into its media"
"$QK" run "$T/copy/root-ca-create.ceremony" --media "$T/m5" --rehearsal \
    --answers "$T/rehearsal.txt" > "$T/5r.out" 2>&1; rc=$?
[ $rc = 0 ] || { cat "$T/5r.out"; fail "modified copy in rehearsal: exit $rc"; }
T5=$(sed -n 's/^transcript: //p' "$T/5r.out")
grep -q " mode=rehearsal script-reviewed=no " "$T5" ||
    fail "rehearsal of a copy not recorded as unreviewed"
"$KEYRITE" verify "$T5" > /dev/null 2>&1 || fail "rehearsal transcript"
"$QK" run "$QS/root-ca-create.ceremony" --media "$T/m5" --rehearsal \
    --answers "$T/rehearsal.txt" --set certificate=b.pem \
    --set escrow=b.escrow > "$T/5s.out" 2>&1 ||
    { cat "$T/5s.out"; fail "rehearsal of the installed script"; }
grep -q " mode=rehearsal script-reviewed=yes " \
    "$(sed -n 's/^transcript: //p' "$T/5s.out")" ||
    fail "rehearsal of an installed script not recorded as reviewed"
kr_airgapped "$QK" run "$QS/root-ca-create.ceremony" --media "$T/m5" \
    --policy "$T/copy/policy.conf" --answers "$T/real.txt" > "$T/5p.out" 2>&1
rc=$?
[ $rc = 7 ] || { cat "$T/5p.out"; fail "--policy elsewhere: exit $rc, want 7"; }
expect "$T/5p.out" "$R the policy $T/copy/policy.conf is not the reviewed policy $QSR/policy.conf: a real ceremony uses the policy installed beside its scripts; run the installed script without --policy, or run it with --rehearsal"
echo "ok: 5. a modified copy and --policy elsewhere are refused for real; the copy runs in rehearsal"

# --- 6. an installed script whose bytes changed -----------------------------
cp -a "$Q" "$T/x"; XS=$(kr_scripts "$T/x")
kr_writable "$XS"
sed -i 's/Good morning, everyone/Good evening, everyone/' "$XS/root-ca-create.ceremony"
kr_readonly "$XS"
new=$(sha256sum < "$XS/root-ca-create.ceremony" | cut -d' ' -f1)
old=$(sed -n 's/  root-ca-create.ceremony$//p' "$XS/reviewed.sha256")
line=$(grep -n "  root-ca-create.ceremony$" "$XS/reviewed.sha256" | cut -d: -f1)
mkdir "$T/m6"
kr_airgapped "$T/x/bin/keyrite" run "$XS/root-ca-create.ceremony" \
    --media "$T/m6" --answers "$T/real.txt" > "$T/6.out" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/6.out"; fail "changed installed script: exit $rc"; }
expect "$T/6.out" "$R $XS/root-ca-create.ceremony is not a reviewed script: its SHA-256 is $new, but the manifest $(readlink -f "$XS")/reviewed.sha256 lists $old for it (line $line), so it changed after it was reviewed; $TAIL"
echo "ok: 6. an installed script changed after review is refused"

# --- 7. auditable steps, whatever the mode ----------------------------------
# drop FILE VERB: removes the step VERB (its block, to the next blank line).
drop() {
	awk -v v="step $2" '$0 == v { skip = 1 } skip && $0 == "" { skip = 0;
	    next } !skip' "$1" > "$1.new" && mv "$1.new" "$1"
}
for v in show-fingerprint wipe seal-transcript cosign-transcript; do
	P=$T/a-$v; cp -a "$Q" "$P"; AS=$(kr_scripts "$P")
	kr_writable "$AS"
	drop "$AS/root-ca-create.ceremony" "$v"
	grep -q "^step $v" "$AS/root-ca-create.ceremony" && fail "$v not dropped"
	# As if reviewed: only the parser can object now.
	h=$(sha256sum < "$AS/root-ca-create.ceremony" | cut -d' ' -f1)
	sed -i "s/^[0-9a-f]\{64\}  root-ca-create.ceremony\$/$h  root-ca-create.ceremony/" \
	    "$AS/reviewed.sha256"
	kr_readonly "$AS"
	f=$AS/root-ca-create.ceremony
	case $v in
	show-fingerprint)
		l=$(grep -n "^step self-sign" "$f" | cut -d: -f1)
		want="$f:$l:6: no show-fingerprint step after self-sign: in a script that makes a key the witnesses confirm its fingerprint
hint: add a step show-fingerprint (role witness) after line $l" ;;
	wipe)
		l=$(grep -n "^step write-escrow" "$f" | cut -d: -f1)
		want="$f:$l:6: no wipe step after write-escrow, the last step that uses the key: the key and its shares are wiped once no step needs them
hint: add a step wipe after line $l, before seal-transcript" ;;
	seal-transcript)
		l=$(grep -n "^step cosign-transcript" "$f" | cut -d: -f1)
		want="$f:$l:6: cosign-transcript comes before the transcript is sealed
hint: move it after seal-transcript: it adds to the signature block of a sealed transcript" ;;
	cosign-transcript)
		l=$(grep -n "^step seal-transcript" "$f" | cut -d: -f1)
		want="$f:$l:6: no cosign-transcript step after seal-transcript: custodians' cards take part in this ceremony (write-shares), and each co-signs the sealed transcript
hint: add a step cosign-transcript after it" ;;
	esac
	mkdir "$T/m7-$v"
	kr_airgapped "$P/bin/keyrite" run "$f" --media "$T/m7-$v" \
	    --answers "$T/real.txt" > "$T/7.out" 2>&1; rc=$?
	[ $rc = 7 ] || { cat "$T/7.out"; fail "no $v, real: exit $rc, want 7"; }
	expect "$T/7.out" "keyrite: run: refused before any work: ceremony script error: $want" "no $v, real"
	"$P/bin/keyrite" run "$f" --media "$T/m7-$v" --rehearsal \
	    --answers "$T/rehearsal.txt" > "$T/7r.out" 2>&1; rc=$?
	[ $rc = 7 ] || { cat "$T/7r.out"; fail "no $v, rehearsal: exit $rc"; }
	expect "$T/7r.out" "keyrite: run: refused before any work: ceremony script error: $want" "no $v, rehearsal"
	[ -z "$(ls -A "$T/m7-$v")" ] || fail "no $v: something was written"
done
echo "ok: 7. scripts without show-fingerprint, wipe, seal-transcript or cosign-transcript are refused, real or rehearsal"

# --- 8. writable, and read-only by mount ------------------------------------
cp -a "$Q" "$T/w"; WS=$(kr_scripts "$T/w"); WSR=$(readlink -f "$WS")
mkdir "$T/m8"
chmod 0755 "$WS"
kr_airgapped "$T/w/bin/keyrite" run "$WS/root-ca-create.ceremony" \
    --media "$T/m8" --answers "$T/real.txt" > "$T/8.out" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/8.out"; fail "writable directory: exit $rc"; }
expect "$T/8.out" "$R the installed scripts directory $WSR is writable (mode 0755): reviewed files are read-only (no write bit, or a read-only mount), so that what runs is what was reviewed; $TAIL"
chmod 0555 "$WS"
chmod 0644 "$WS/root-ca-create.ceremony"
kr_airgapped "$T/w/bin/keyrite" run "$WS/root-ca-create.ceremony" \
    --media "$T/m8" --answers "$T/real.txt" > "$T/8f.out" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/8f.out"; fail "writable script: exit $rc"; }
expect "$T/8f.out" "$R $WSR/root-ca-create.ceremony is writable (mode 0644): reviewed files are read-only (no write bit, or a read-only mount), so that what runs is what was reviewed; $TAIL"
[ -z "$(ls -A "$T/m8")" ] || fail "a refused ceremony wrote into its media"
# The same files, writable by mode, on a read-only bind mount: accepted.
kr_writable "$WS"
unshare -n -m sh -c 'mount -t sysfs sysfs /sys &&
    mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
    shift && exec "$@"' sh "$WS" "$T/w/bin/keyrite" run \
    "$WS/key-recovery-drill.ceremony" --media "$T/media" \
    --answers "$T/drill.txt" > "$T/8m.out" 2> "$T/8m.err"; rc=$?
[ $rc = 0 ] || { cat "$T/8m.out" "$T/8m.err"; fail "read-only mount: exit $rc"; }
[ -z "$(said "$T/8m.err")" ] || { cat "$T/8m.err"; fail "read-only mount: stderr"; }
echo "ok: 8. writable scripts are refused; a read-only mount counts as read-only"
echo "realmode: all checks passed in $(( $(date +%s) - start ))s"
