#!/bin/sh
# tests/integration/killsweep.sh: a ceremony killed at every syscall that
# matters, and the commit point's promise checked after each kill.
#
#   killsweep.sh [full|sample] [create|drill|both]
#
# A reference run of root-ca-create (and of a drill) under strace lists
# every write, fsync, link, rename, unlink, ftruncate, mkdir and rmdir it
# makes, keyrite's own and SoftHSM2's (the PKCS#11 writes happen inside
# the process).  Then, for each of them (full) or every 25th and every
# link/rename/rmdir (sample), the ceremony is run again from the same
# state and SIGKILLed on entry to that call (strace -e inject=...:
# signal=KILL:when=N).  After every kill, checked with outside tools:
#
#   - the transcript (keyrite verify) is sealed, or intact and unsealed,
#     or absent (killed before its header was linked);
#   - sealed: the ceremony completed.  Its shares are on all five cards
#     (pkcs11-tool), and `keyrite clean` finishes publishing whatever the
#     kill interrupted: afterwards root-ca.pem and root-ca.escrow are on
#     the medium with the SHA-256 the transcript records;
#   - not sealed: nothing usable was published (no root-ca.pem, no
#     root-ca.escrow under their names), a staged package copied out and
#     renamed is refused by a drill (its ceremony did not commit), and
#     `keyrite clean --pins` leaves no staging, no temporary file and no
#     share of that ceremony on any card, and records the cleaning in the
#     failed transcript;
#   - a fresh ceremony with the same cards then succeeds (every kill in
#     full, every 5th in sample).
#
# SoftHSM2 rewrites token.object at C_Login (ftruncate, then write): a kill
# between the two empties it and the token vanishes.  That is SoftHSM's
# rehearsal store, not keyrite; such a card is counted ("softhsm-lost")
# and restored from its pristine copy before the checks go on.
#
# Prints one line per kill point and a table of outcomes by kind; exits 1
# on the first broken promise.
set -u
# LeakSanitizer cannot run under ptrace (strace): in an ASan build the
# traced runs here skip leak checking; every other test keeps it.
if [ "${SAN:-}" = 1 ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi
mode=${1:-sample}
which=${2:-both}
: "${KEYRITE:?}" "${KR_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
CALLS=write,fsync,fdatasync,link,linkat,rename,renameat,renameat2,unlink,unlinkat,ftruncate,mkdir,mkdirat,rmdir
# LeakSanitizer cannot run under ptrace (strace): under SAN=1 the runs keep
# ASan's other checks and leave leak checking to the other tests.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE
TOK=$(sed -n 's/^directories.tokendir *= *//p' "$SOFTHSM2_CONF")
cp -a "$TOK" "$T/pristine"

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = kill sweep
	ceremony.authorization = CHG-KILL
	confirm = yes
	EOA
	for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done
}
{ people
  for i in 1 2 3 4 5; do
	echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"
  done; } > "$T/create.txt"
{ people; echo "recover.cards = custodian-1, custodian-3, custodian-5"; } \
    > "$T/drill.txt"
for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done > "$T/pins"

create() { # create MEDIA [strace args...]
	_m=$1; shift
	"$@" "$KEYRITE" run "$S/root-ca-create.ceremony" --media "$_m" \
	    --answers "$T/create.txt" --rehearsal > "$T/run.out" 2>&1
}
drill() { # drill MEDIA [strace args...]
	_m=$1; shift
	"$@" "$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$_m" \
	    --answers "$T/drill.txt" --rehearsal > "$T/run.out" 2>&1
}

restore_tokens() { # restore_tokens FROM
	rm -rf "$TOK" && cp -a "$1" "$TOK" || fail "restoring the tokens"
}

# Labels of keyrite share objects on card i ("" if the card is gone).
share_labels() {
	pkcs11-tool --module "$M" --token-label "custodian-$1" --login \
	    --pin "12340$1" --list-objects --type data 2>/dev/null |
	    sed -n "s/^ *label: *'\(keyrite-share:[^']*\)'.*/\1/p"
}
card_present() {
	softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *custodian-$1 *$"
}

# The kill points of a reference run: "call N" per line.
points() { # points FILE
	sed -n 's/^[0-9]* *\([a-z0-9]*\)(.*/\1/p' "$1" | awk '
	    { n[$1]++; print $1, n[$1] }'
}
pick() { # pick: the points to try, from stdin
	if [ "$mode" = full ]; then cat; return; fi
	awk '{ k++ } $1 !~ /^(write|fsync|ftruncate)$/ || k % 25 == 0'
}

kinds=""
count() { kinds="$kinds
$1"; }

# After a killed create in $T/m: checks the promise; prints the outcome.
check_create() {
	tr=$(ls "$T"/m/transcript-*[0-9a-f].txt 2>/dev/null | head -1)
	id=${tr##*/transcript-}; id=${id%.txt}
	lost=""
	for i in 1 2 3 4 5; do
		card_present $i || { lost="$lost $i"; }
	done
	if [ -n "$lost" ]; then
		count softhsm-lost
		for i in $lost; do
			serial_dir=$(ls -d "$T"/pristine/*/ | while read -r d; do
				grep -l "custodian-$i" "$d"token.object >/dev/null 2>&1 &&
				    echo "$d"; done | head -1)
			[ -n "$serial_dir" ] || fail "no pristine token for custodian-$i"
			rm -rf "$TOK/$(basename "$serial_dir")"
			cp -a "$serial_dir" "$TOK/" || fail "restore custodian-$i"
		done
	fi
	if [ -z "$tr" ]; then
		state=none
	else
		"$KEYRITE" verify "$tr" > "$T/verify.out" 2>&1; vrc=$?
		case $vrc in
		0) state=sealed ;;
		9) state=sealed	# killed while cards co-signed: incomplete
		   count committed-cosignatures-incomplete ;;
		5) grep -q "unsealed" "$T/verify.out" ||
			{ cat "$T/verify.out"; fail "$pt: transcript BAD"; }
		   state=unsealed ;;
		*) cat "$T/verify.out"; fail "$pt: verify exit $vrc" ;;
		esac
	fi
	if [ $state = sealed ]; then
		for i in 1 2 3 4 5; do
			echo "$lost" | grep -qw $i && continue
			share_labels $i | grep -q ":$id\$" ||
			    fail "$pt: sealed, but custodian-$i holds no share"
		done
		"$KEYRITE" clean --media "$T/m" > "$T/clean.out" 2>&1 ||
		    { cat "$T/clean.out"; fail "$pt: clean after the seal"; }
		for f in root-ca.pem root-ca.escrow; do
			want=$(grep " output-staged engine .* name=$f " "$tr" |
			    sed 's/.* sha256=\([0-9a-f]*\) .*/\1/')
			got=$(sha256sum < "$T/m/$f" 2>/dev/null | cut -c1-64)
			[ -n "$want" ] && [ "$want" = "$got" ] ||
			    fail "$pt: sealed, but $f is not published as recorded"
		done
		ls -a "$T/m" | grep -q '^\.keyrite' &&
		    fail "$pt: staging left after clean: $(ls -a "$T/m")"
		if grep -q "published" "$T/clean.out"; then
			count committed-publication-finished-by-clean
		else
			count committed-complete
		fi
		return
	fi
	# Not sealed: nothing usable under its name.
	for f in root-ca.pem root-ca.escrow; do
		[ -e "$T/m/$f" ] && fail "$pt: $state, yet $f is published"
	done
	staged=$(ls "$T"/m/.keyrite-staging-*/root-ca.escrow 2>/dev/null)
	if [ -n "$staged" ] && [ $state = unsealed ] &&
	    { [ "$mode" = full ] || [ $((k % 5)) = 0 ]; }; then
		rm -rf "$T/steal" && mkdir "$T/steal"
		cp "$staged" "$T/steal/root-ca.escrow"
		cp "$tr" "$T/steal/"
		cp "$T"/m/.keyrite-staging-*/root-ca.pem "$T/steal/" 2>/dev/null
		drill "$T/steal" && fail "$pt: a drill opened a staged package"
		grep -q "did not complete" "$T/run.out" ||
		    { cat "$T/run.out"; fail "$pt: drill refusal not explained"; }
		count staged-package-refused-by-drill
	fi
	had=$(ls -a "$T/m" | grep -c '^\.keyrite')
	"$KEYRITE" clean --media "$T/m" --pins "$T/pins" > "$T/clean.out" 2>&1 ||
	    { cat "$T/clean.out"; fail "$pt: keyrite clean"; }
	ls -a "$T/m" | grep -q '^\.keyrite' &&
	    fail "$pt: left after clean: $(ls -a "$T/m")"
	if [ -n "$id" ]; then
		for i in 1 2 3 4 5; do
			share_labels $i | grep -q ":$id\$" &&
			    fail "$pt: custodian-$i still holds a share of $id"
		done
		if [ "$had" -gt 0 ] && [ $state = unsealed ]; then
			grep -q " staging-removed engine " "$tr" ||
			    fail "$pt: the cleaning is not recorded in $tr"
		fi
	fi
	count "rolled-back-$state"
}

sweep_create() {
	rm -rf "$T/m" && mkdir "$T/m"
	create "$T/m" strace -f -qq -o "$T/ref.txt" -e trace=$CALLS ||
	    { cat "$T/run.out"; fail "reference create"; }
	points "$T/ref.txt" | pick > "$T/points"
	echo "create: $(points "$T/ref.txt" | wc -l) kill points," \
	    "$(wc -l < "$T/points") tried ($mode)"
	k=0
	while read -r call n; do
		k=$((k + 1))
		pt="create $call#$n"
		restore_tokens "$T/pristine"
		rm -rf "$T/m" && mkdir "$T/m"
		create "$T/m" strace -f -qq -o /dev/null -e trace=$call \
		    -e inject=$call:signal=KILL:when=$n; rc=$?
		check_create
		echo "$pt: exit $rc, $(echo "$kinds" | tail -1)"
		if [ "$mode" = full ] || [ $((k % 5)) = 0 ]; then
			rm -rf "$T/f" && mkdir "$T/f"
			create "$T/f" ||
			    { cat "$T/run.out"; fail "$pt: a fresh ceremony failed"; }
			count fresh-ceremony-ok
		fi
	done < "$T/points"
}

sweep_drill() {
	restore_tokens "$T/pristine"
	rm -rf "$T/root" && mkdir "$T/root"
	create "$T/root" || { cat "$T/run.out"; fail "root for the drill"; }
	cp -a "$TOK" "$T/withshares"
	cp -a "$T/root" "$T/rootcopy"
	drill "$T/root" strace -f -qq -o "$T/dref.txt" -e trace=$CALLS ||
	    { cat "$T/run.out"; fail "reference drill"; }
	points "$T/dref.txt" | pick > "$T/dpoints"
	echo "drill: $(points "$T/dref.txt" | wc -l) kill points," \
	    "$(wc -l < "$T/dpoints") tried ($mode)"
	k=0
	while read -r call n; do
		k=$((k + 1))
		pt="drill $call#$n"
		restore_tokens "$T/withshares"
		rm -rf "$T/root" && cp -a "$T/rootcopy" "$T/root"
		drill "$T/root" strace -f -qq -o /dev/null -e trace=$call \
		    -e inject=$call:signal=KILL:when=$n; rc=$?
		new=$(ls -t "$T"/root/transcript-*[0-9a-f].txt | head -1)
		# 0 good, 9 sealed with co-signatures missing (killed while
		# the cards co-signed); anything else is damage.
		"$KEYRITE" verify --allow-unsealed "$new" > /dev/null 2>&1
		case $? in
		0|9) ;;
		*) fail "$pt: the drill's transcript is damaged" ;;
		esac
		"$KEYRITE" clean --media "$T/root" > "$T/clean.out" 2>&1 ||
		    { cat "$T/clean.out"; fail "$pt: clean after a drill"; }
		ls -a "$T/root" | grep -q '^\.keyrite' &&
		    fail "$pt: left after clean"
		for i in 1 2 3 4 5; do
			card_present $i || { count softhsm-lost; \
			    restore_tokens "$T/withshares"; break; }
		done
		if [ "$mode" = full ] || [ $((k % 5)) = 0 ]; then
			drill "$T/root" ||
			    { cat "$T/run.out"; fail "$pt: a fresh drill failed"; }
			count fresh-drill-ok
		fi
		count drill-interrupted-clean
		echo "$pt: exit $rc"
	done < "$T/dpoints"
}

case $which in
create) sweep_create ;;
drill) sweep_drill ;;
*) sweep_create; sweep_drill ;;
esac
echo "killsweep outcomes:"
echo "$kinds" | sed '/^$/d' | sort | uniq -c | sed 's/^/  /'
echo "killsweep: every promise held"
