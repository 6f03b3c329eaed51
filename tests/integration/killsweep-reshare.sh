#!/bin/sh
# tests/integration/killsweep-reshare.sh: a custodian-reshare killed at
# every syscall that matters, and its promise checked after each kill:
# afterwards either the old quorum or the new quorum opens the key, never
# neither, and never both half-way.
#
#   killsweep-reshare.sh [full|sample]
#
# A 3-of-5 root on custodian-1..5 is reshared to 2-of-4 (docs/examples/
# custodian-reshare.answers: the old quorum 3, 4, 5 recovers; the new
# roster is 1, 2, 6, 7; after the seal the five old cards are presented
# for their old shares to be deleted).  A reference run under strace lists
# every write, fsync, link, rename, unlink, ftruncate, mkdir and rmdir,
# keyrite's and SoftHSM2's; then, for each (full) or, in the sample, every
# link, rename, mkdir and rmdir, every other unlink and every 30th call of
# the rest, the reshare runs again
# from the same cards and media and is SIGKILLed on entry to that call.
# After every kill, with outside tools (keyrite verify, pkcs11-tool, ls):
#
#   - the reshare's transcript is sealed, intact and unsealed, or absent;
#   - sealed: the reshare committed.  keyrite clean --pins finishes the
#     roll-forward (publishing, deleting the old shares); then the new
#     package is published as recorded, a new pair of cards opens it, the
#     old package is refused naming its successor, and no old share is
#     left on any card;
#   - not sealed: nothing of the reshare counts.  No new package is
#     published, and a staged one copied out is refused by a drill;
#     keyrite clean --pins removes the staging and every pending new share
#     (pkcs11-tool finds none); the old quorum still opens the old package,
#     all five old shares intact; the new cards alone open nothing;
#   - a fresh reshare then succeeds (every point in full, every 5th in
#     sample).
#
# SoftHSM2 rewrites token.object at C_Login (ftruncate, then write): a kill
# between the two empties it and the token vanishes (its rehearsal store,
# not keyrite; see killsweep.sh).  Such a card is restored from its copy
# before the kill, counted as softhsm-lost, and left out of the checks
# that need what the reshare wrote on it.
set -u
mode=${1:-sample}
: "${KEYRITE:?}" "${KR_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
EX="$KR_TOP/docs/examples/custodian-reshare.answers"
CALLS=write,fsync,fdatasync,link,linkat,rename,renameat,renameat2,unlink,unlinkat,ftruncate,mkdir,mkdirat,rmdir
# LeakSanitizer cannot run under ptrace (strace): under SAN=1 the runs keep
# ASan's other checks and leave leak checking to the other tests.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 7 > /dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE
TOK=$(sed -n 's/^directories.tokendir *= *//p' "$SOFTHSM2_CONF")

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = kill sweep
	ceremony.authorization = CHG-KILL
	confirm = yes
	EOA
	for i in 1 2 3 4 5 6 7; do echo "pin.custodian-$i = 12340$i"; done
}
for i in 1 2 3 4 5 6 7; do echo "pin.custodian-$i = 12340$i"; done > "$T/pins"
{ people
  for i in 1 2 3 4 5; do
	echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"
  done; } > "$T/create.txt"
mkdir "$T/root"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/root" \
    --answers "$T/create.txt" --rehearsal > "$T/run.out" 2>&1 ||
    { cat "$T/run.out"; fail "root-ca-create"; }
C=$(ls "$T"/root/transcript-*.txt | sed 's/.*transcript-\(.*\)\.txt/\1/')
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/root/root-ca.escrow")
cp -a "$TOK" "$T/withshares"

reshare() { # reshare MEDIA [strace args...]
	_m=$1; shift
	"$@" "$KEYRITE" run "$S/custodian-reshare.ceremony" --media "$_m" \
	    --answers "$EX" --rehearsal --set threshold=2 --set shares=4 \
	    > "$T/run.out" 2>&1
}
drill() { # drill MEDIA ESCROW CARDS
	{ people; echo "recover.cards = $3"; } > "$T/drill.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$1" \
	    --answers "$T/drill.txt" --rehearsal --set escrow="$2" \
	    > "$T/drill.out" 2>&1
}
labels() { # labels N: the keyrite share labels of key K on custodian-N
	pkcs11-tool --module "$M" --token-label "custodian-$1" --login \
	    --pin "12340$1" --list-objects --type data 2>/dev/null |
	    sed -n "s/^ *label: *'\(keyrite-share:$K:[^']*\)'.*/\1/p"
}
card_present() {
	softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *custodian-$1 *$"
}
# A vanished SoftHSM2 token comes back from the copy taken before the kill.
restore_lost() {
	lost=""
	for i in 1 2 3 4 5 6 7; do
		card_present $i && continue
		lost="$lost $i"
		d=$(grep -l "custodian-$i" "$T"/withshares/*/token.object |
		    head -1)
		d=$(dirname "$d")
		rm -rf "$TOK/$(basename "$d")"
		cp -a "$d" "$TOK/" || fail "restore custodian-$i"
	done
	[ -z "$lost" ] || count softhsm-lost
}
is_lost() { echo "$lost" | grep -qw "$1"; }
points() { # points FILE: "call N" per line
	sed -n 's/^[0-9]* *\([a-z0-9]*\)(.*/\1/p' "$1" | awk '
	    { n[$1]++; print $1, n[$1] }'
}
pick() {
	if [ "$mode" = full ]; then cat; return; fi
	awk '{ k++ } $1 ~ /^(link|rename|mkdir|rmdir)$/ ||
	    ($1 == "unlink" && ++u % 2 == 1) || k % 30 == 0'
}
kinds=""
count() { kinds="$kinds
$1"; }

check() {
	tr=$(ls "$T"/m/transcript-*[0-9a-f].txt 2>/dev/null | grep -v "$C" | head -1)
	id=${tr##*/transcript-}; id=${id%.txt}
	restore_lost
	state=none
	if [ -n "$tr" ]; then
		"$KEYRITE" verify "$tr" > "$T/verify.out" 2>&1; vrc=$?
		case $vrc in
		0) state=sealed ;;
		9) state=sealed ;;	# killed while cards co-signed
		5) grep -q "unsealed" "$T/verify.out" ||
			{ cat "$T/verify.out"; fail "$pt: transcript BAD"; }
		   state=unsealed ;;
		*) cat "$T/verify.out"; fail "$pt: verify exit $vrc" ;;
		esac
	fi
	if [ $state = sealed ]; then
		"$KEYRITE" clean --media "$T/m" --pins "$T/pins" \
		    > "$T/clean.out" 2>&1 ||
		    { cat "$T/clean.out"; fail "$pt: clean after the seal"; }
		want=$(grep " output-staged engine .* name=root-ca-reshared.escrow " \
		    "$tr" | sed 's/.* sha256=\([0-9a-f]*\) .*/\1/')
		got=$(sha256sum < "$T/m/root-ca-reshared.escrow" 2>/dev/null |
		    cut -c1-64)
		[ -n "$want" ] && [ "$want" = "$got" ] ||
		    fail "$pt: sealed, but the new package is not published"
		pair=""
		for i in 6 7 1 2; do
			is_lost $i || pair="$pair${pair:+, }custodian-$i"
		done
		drill "$T/m" root-ca-reshared.escrow "$pair" ||
		    { cat "$T/drill.out"; fail "$pt: sealed, the new quorum fails"; }
		drill "$T/m" root-ca.escrow "custodian-3, custodian-4, custodian-5"
		[ $? = 7 ] && grep -q "superseded by reshare $id" "$T/drill.out" ||
		    { cat "$T/drill.out"; fail "$pt: sealed, old package not refused"; }
		for i in 1 2 3 4 5; do
			is_lost $i && continue
			labels $i | grep -q ":$C\$" &&
			    fail "$pt: sealed and cleaned, custodian-$i keeps its old share"
		done
		if grep -q "superseded by reshare" "$T/clean.out"; then
			count committed-retirement-finished-by-clean
		else
			count committed-complete
		fi
		return
	fi
	[ -e "$T/m/root-ca-reshared.escrow" ] &&
	    fail "$pt: $state, yet the new package is published"
	staged=$(ls "$T"/m/.keyrite-staging-*/root-ca-reshared.escrow 2>/dev/null)
	if [ -n "$staged" ] && [ $state = unsealed ]; then
		rm -rf "$T/steal" && mkdir "$T/steal"
		cp "$staged" "$T/steal/" && cp "$tr" "$T/root/root-ca.pem" \
		    "$T/root/transcript-$C.txt" "$T/steal/"
		drill "$T/steal" root-ca-reshared.escrow "custodian-6, custodian-7" &&
		    fail "$pt: a drill opened a staged package"
		grep -q "did not complete" "$T/drill.out" ||
		    { cat "$T/drill.out"; fail "$pt: refusal not explained"; }
		count staged-package-refused-by-drill
	fi
	"$KEYRITE" clean --media "$T/m" --pins "$T/pins" > "$T/clean.out" 2>&1 ||
	    { cat "$T/clean.out"; fail "$pt: keyrite clean"; }
	ls -a "$T/m" | grep -q '^\.keyrite' &&
	    fail "$pt: left after clean: $(ls -a "$T/m")"
	for i in 1 2 3 4 5 6 7; do
		[ -n "$id" ] && labels $i | grep -q ":$id\$" &&
		    fail "$pt: custodian-$i still holds a pending share of $id"
		[ $i -le 5 ] && ! labels $i | grep -q ":$C\$" &&
		    fail "$pt: not sealed, yet custodian-$i lost its old share"
	done
	drill "$T/m" root-ca.escrow "custodian-3, custodian-4, custodian-5" ||
	    { cat "$T/drill.out"; fail "$pt: $state, the old quorum fails"; }
	count "rolled-back-$state"
}

rm -rf "$T/m" && cp -a "$T/root" "$T/m"
reshare "$T/m" strace -f -qq -o "$T/ref.txt" -e trace=$CALLS ||
    { cat "$T/run.out"; fail "reference reshare"; }
points "$T/ref.txt" | pick > "$T/points"
echo "reshare: $(points "$T/ref.txt" | wc -l) kill points," \
    "$(wc -l < "$T/points") tried ($mode)"
k=0
while read -r call n; do
	k=$((k + 1))
	pt="reshare $call#$n"
	rm -rf "$TOK" && cp -a "$T/withshares" "$TOK"
	rm -rf "$T/m" && cp -a "$T/root" "$T/m"
	reshare "$T/m" strace -f -qq -o /dev/null -e trace=$call \
	    -e inject=$call:signal=KILL:when=$n; rc=$?
	check
	echo "$pt: exit $rc, $(echo "$kinds" | tail -1)"
	if [ "$mode" = full ] || [ $((k % 5)) = 0 ]; then
		rm -rf "$TOK" && cp -a "$T/withshares" "$TOK"
		rm -rf "$T/f" && cp -a "$T/root" "$T/f"
		reshare "$T/f" ||
		    { cat "$T/run.out"; fail "$pt: a fresh reshare failed"; }
		count fresh-reshare-ok
	fi
done < "$T/points"
echo "killsweep-reshare outcomes:"
echo "$kinds" | sed '/^$/d' | sort | uniq -c | sed 's/^/  /'
echo "killsweep-reshare: every promise held"
