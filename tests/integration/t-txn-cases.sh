#!/bin/sh
# Ceremonies as transactions: each case issue 10 saw, reproduced with the
# real binary, SoftHSM2 cards and outside tools (pkcs11-tool, ls -a,
# keyrite verify), and checked for its whole message, its exit code, and
# that nothing usable was left (no published output, no share that counts).
#
#   1a  the second medium fails with ENOSPC while the escrow is staged
#   1b  SIGKILL right after the escrow's staged copy is linked: a rerun
#       removes it and says so; the copy renamed is refused by a drill
#   1c  SIGKILL just before the seal: a drill refuses the package
#   2   inputs refused before the first card: same card twice, a card not
#       present, no PKCS#11 module, a 65-character CN, an unknown subject
#       attribute, two outputs with one name, the same medium twice, too
#       little free space
#   5   recovery goes on past a card out of PIN tries, a foreign card, a
#       card presented twice and a card not present
#   6   refusals before any work exit 7 (script, policy file, --set)
#   7   ENOSPC on the seal leaves an unsealed (not BAD) transcript; a kill
#       before the header's link leaves no transcript at all
#   8   notices name the card at fault: a mislabelled share object, a card
#       with another key's share too, a share stored as a public object
set -u
# LeakSanitizer cannot run under ptrace (strace): in an ASan build the
# traced runs here skip leak checking; every other test keeps it.
if [ "${SAN:-}" = 1 ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d)
cleanup() { umount "$T/small" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
S="$KR_TOP/ceremony-scripts"
CT="$KR_TOP/$BUILD/helpers/cardtool"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 9 > /dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE
TOK=$(sed -n 's/^directories.tokendir *= *//p' "$SOFTHSM2_CONF")
cp -a "$TOK" "$T/pristine"

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = transactions
	ceremony.authorization = CHG-TXN
	confirm = yes
	EOA
	for i in 1 2 3 4 5 6 7 8 9; do echo "pin.custodian-$i = 12340$i"; done
}
roster() { # roster CARD...: custodian i holds the i-th card
	i=0
	for c in "$@"; do
		i=$((i + 1))
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = $c"
	done
}
{ people; roster custodian-1 custodian-2 custodian-3 custodian-4 \
    custodian-5; } > "$T/create.txt"
for i in 1 2 3 4 5 6 7 8 9; do echo "pin.custodian-$i = 12340$i"; done \
    > "$T/pins"

create() { # create OUT ANSWERS [keyrite run options...]
	_o=$1 _a=$2; shift 2
	"$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$_a" \
	    --rehearsal "$@" > "$T/$_o" 2>&1
}
drill() { # drill OUT MEDIA CARDS
	{ people; echo "recover.cards = $3"; } > "$T/drill.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$2" \
	    --answers "$T/drill.txt" --rehearsal > "$T/$1" 2>&1
}
fresh_tokens() { rm -rf "$TOK" && cp -a "$T/pristine" "$TOK" || fail "tokens"; }
shares_of() { # shares_of I: share object labels on custodian-I
	pkcs11-tool --module "$M" --token-label "custodian-$1" --login \
	    --pin "12340$1" --list-objects --type data 2>/dev/null |
	    sed -n "s/^ *label: *'\(keyrite-share:[^']*\)'.*/\1/p"
}
no_shares() { # no_shares WHAT: no card holds a share object
	for i in 1 2 3 4 5 6 7 8 9; do
		[ -z "$(shares_of $i)" ] ||
		    fail "$1: custodian-$i holds $(shares_of $i)"
	done
}
only_transcript() { # only_transcript DIR WHAT: ls -a shows nothing else
	extra=$(ls -a "$1" | grep -v '^\.\.\?$' | grep -v '^transcript-.*\.txt$')
	[ -z "$extra" ] || fail "$2: left in $1: $extra"
}
expect() { # expect OUT RC WANT-RC TEXT: exit code and whole message line
	[ "$2" = "$3" ] || { cat "$T/$1"; fail "$1: exit $2, want $3"; }
	grep -qxF -- "$4" "$T/$1" ||
	    { cat "$T/$1"; fail "$1: no line '$4'"; }
}
# The N-th call of kind CALL in a reference strace (-y) whose line matches
# PATTERN (grep -E): "N" for strace's when=N.
nth() { # nth FILE CALL PATTERN
	grep -E "^[0-9]+ +$2\(" "$1" | grep -nE -- "$3" | head -1 | cut -d: -f1
}

echo "== 2: inputs refused before the first card"
mkdir "$T/m2"
{ people; roster custodian-1 custodian-1 custodian-3 custodian-4 \
    custodian-5; } > "$T/same.txt"
create same-card.out "$T/same.txt" --media "$T/m2"; rc=$?
expect same-card.out $rc 1 "keyrite: run: invalid argument: $T/same.txt line 18: the answer to 'custodian.2.card' was refused: card custodian-1 is Custodian 1's already: each custodian brings a card of their own"
grep -q " key-generated " "$T"/m2/transcript-*[0-9a-f].txt && fail "same card: a key was made"
no_shares "same card"
only_transcript "$T/m2" "same card"
rm -rf "$T/m2" && mkdir "$T/m2"

{ people; roster custodian-1 custodian-2 custodian-33 custodian-4 \
    custodian-5; } > "$T/absent.txt"
create absent.out "$T/absent.txt" --media "$T/m2"; rc=$?
expect absent.out $rc 1 "keyrite: run: invalid argument: prompt 'roll-call.check' was refused: still to correct: card custodian-33 (Custodian 3's) is not in a reader"
grep -q " key-generated " "$T"/m2/transcript-*[0-9a-f].txt && fail "absent card: a key was made"
no_shares "absent card"
only_transcript "$T/m2" "absent card"
rm -rf "$T/m2" && mkdir "$T/m2"

create nomodule.out "$T/create.txt" --media "$T/m2" --module "$T/none.so"; rc=$?
expect nomodule.out $rc 7 "keyrite: run: refused before any work: could not load the PKCS#11 module: PKCS#11 module $T/none.so: $T/none.so: cannot open shared object file: No such file or directory; give the right module with --module or KEYRITE_PKCS11_MODULE"
echo "not a module" > "$T/junk.so"
create junkmodule.out "$T/create.txt" --media "$T/m2" --module "$T/junk.so"; rc=$?
[ $rc = 7 ] || fail "a file that is not a module: exit $rc"
grep -q "^keyrite: run: refused before any work: could not load the PKCS#11 module: PKCS#11 module $T/junk.so: " "$T/junkmodule.out" ||
    fail "junk module not named"
only_transcript "$T/m2" "no module"
[ -z "$(ls "$T/m2")" ] || fail "a refused ceremony wrote a transcript"

cn=$(printf 'C%.0s' $(seq 1 65))
create longcn.out "$T/create.txt" --media "$T/m2" --set "subject=CN=$cn,O=Example"; rc=$?
[ $rc = 7 ] || { cat "$T/longcn.out"; fail "65-character CN: exit $rc"; }
grep -q "step 5 (self-sign): subject \"CN=$cn,O=Example\": .*CN.* 64" "$T/longcn.out" ||
    { cat "$T/longcn.out"; fail "65-character CN: the limit not named"; }
create attr.out "$T/create.txt" --media "$T/m2" --set "subject=CN=Root,XX=1"; rc=$?
[ $rc = 7 ] || { cat "$T/attr.out"; fail "unknown attribute: exit $rc"; }
grep -q "step 5 (self-sign): subject \"CN=Root,XX=1\": .*XX" "$T/attr.out" ||
    { cat "$T/attr.out"; fail "unknown attribute not named"; }

create samename.out "$T/create.txt" --media "$T/m2" --set certificate=root-ca.escrow; rc=$?
expect samename.out $rc 7 "keyrite: run: refused before any work: invalid ceremony parameter: $S/root-ca-create.ceremony: step 7 (write-certificate) and step 11 (write-escrow) would both write root-ca.escrow: give each output a name of its own (--set)"

create twice.out "$T/create.txt" --media "$T/m2" --media "$T/m2/"; rc=$?
expect twice.out $rc 7 "keyrite: run: refused before any work: media error: media directories $T/m2 and $T/m2/ are the same directory: each copy must go to a medium of its own; give each --media once"
[ -z "$(ls -a "$T/m2" | grep -v '^\.\.\?$')" ] || fail "refusals wrote to the medium"
no_shares "refusals"

if [ "$(id -u)" = 0 ] && mkdir "$T/small" &&
    mount -t tmpfs -o size=4m tmpfs "$T/small" 2>/dev/null; then
	create small.out "$T/create.txt" --media "$T/m2" --media "$T/small"; rc=$?
	[ $rc = 7 ] || { cat "$T/small.out"; fail "too little space: exit $rc"; }
	grep -q "^keyrite: run: refused before any work: media error: $T/small has [0-9]* bytes free, but this ceremony needs 10813440 bytes on every medium" "$T/small.out" ||
	    { cat "$T/small.out"; fail "too little space: not said"; }
	[ -z "$(ls -a "$T/small" | grep -v '^\.\.\?$')" ] || fail "wrote to the small medium"
	no_shares "too little space"
else
	echo "too-little-space case not run: needs root to mount a 1 MiB tmpfs"
fi

echo "== 1a: the second medium fills up while the escrow is staged"
fresh_tokens
rm -rf "$T/m1" "$T/m2" && mkdir "$T/m1" "$T/m2"
create ref.out "$T/create.txt" --media "$T/m1" --media "$T/m2" ||
    { cat "$T/ref.out"; fail "reference two-media create"; }
rm -rf "$T/m1" "$T/m2" && mkdir "$T/m1" "$T/m2"
fresh_tokens
strace -f -qq -y -s 200 -o "$T/ref1a" -e trace=write \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" --media "$T/m2" > /dev/null 2>&1 ||
    fail "traced reference"
n=$(nth "$T/ref1a" write "m2/\.keyrite-staging-[^/]*/\.tmp-[0-9a-f]*>, \"keyrite-escrow")
[ -n "$n" ] || fail "no escrow write on m2 in the reference trace"
rm -rf "$T/m1" "$T/m2" && mkdir "$T/m1" "$T/m2"
fresh_tokens
strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=$n \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" --media "$T/m2" > "$T/1a.out" 2>&1; rc=$?
[ $rc = 1 ] || { cat "$T/1a.out"; fail "1a: exit $rc, want 1"; }
grep -q "^keyrite: run: media error: writing $T/m2/.keyrite-staging-[0-9a-f-]*/root-ca.escrow (medium full or removed?): No space left on device$" "$T/1a.out" ||
    { cat "$T/1a.out"; fail "1a: the full medium not named"; }
TR=$(ls "$T"/m1/transcript-*[0-9a-f].txt)
grep -q " ceremony-failed engine .* outputs-discarded=root-ca.pem,%20root-ca.escrow uncommitted-shares=custodian-1,%20custodian-2,%20custodian-3,%20custodian-4,%20custodian-5 " "$TR" ||
    fail "1a: the failure record does not say what was discarded and left: $(grep -o "ceremony-failed.*" "$TR")"
only_transcript "$T/m1" "1a"
[ -z "$(ls -a "$T/m2" | grep -v '^\.\.\?$')" ] || fail "1a: left on m2: $(ls -a "$T/m2")"
id=${TR##*/transcript-}; id=${id%.txt}
for i in 1 2 3 4 5; do
	shares_of $i | grep -q ":$id\$" || fail "1a: custodian-$i has no pending share"
done
"$KEYRITE" clean --media "$T/m1" --pins "$T/pins" > "$T/1a-clean.out" 2>&1 ||
    { cat "$T/1a-clean.out"; fail "1a: keyrite clean"; }
[ "$(grep -c "^removed: ceremony $id (failed): card custodian-[1-5] (serial [0-9a-f]*): share [1-5] of key [0-9a-f]*$" "$T/1a-clean.out")" = 5 ] ||
    { cat "$T/1a-clean.out"; fail "1a: clean did not name the 5 shares"; }
[ "$(grep -c " pending-share-deleted engine card=custodian-" "$TR")" = 5 ] ||
    fail "1a: the deletions are not recorded in the failed transcript"
no_shares "1a after clean"
"$KEYRITE" verify --allow-unsealed "$TR" > /dev/null 2>&1 ||
    fail "1a: the failed transcript does not verify after cleaning"

echo "== 1b, 1c: killed with the package staged; a drill refuses it"
fresh_tokens
rm -rf "$T/m1" && mkdir "$T/m1"
strace -f -qq -y -s 200 -o "$T/ref1b" -e trace=unlink,write \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" > /dev/null 2>&1 || fail "traced reference"
# 1b: the unlink of the staged package's temporary name (after its link):
# the second temporary staged (the certificate's is the first).
k=$(grep -E '^[0-9]+ +unlink\(' "$T/ref1b" | grep -n 'staging-[^/]*/\.tmp-' |
    sed -n '2p' | cut -d: -f1)
[ -n "$k" ] || fail "1b: no staged temporary unlinked in the reference"
rm -rf "$T/m1" && mkdir "$T/m1"
fresh_tokens
strace -f -qq -o /dev/null -e trace=unlink -e inject=unlink:signal=KILL:when=$k \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" > "$T/1b.out" 2>&1
TRB=$(ls "$T"/m1/transcript-*[0-9a-f].txt)
ls "$T"/m1/.keyrite-staging-*/root-ca.escrow > /dev/null 2>&1 ||
    fail "1b: killed at unlink $k, but no staged package ($(ls -aR "$T/m1"))"
ls "$T/m1" | grep -qv '^transcript-' && fail "1b: an output was published"
rm -rf "$T/steal" && mkdir "$T/steal"
cp "$T"/m1/.keyrite-staging-*/root-ca.escrow "$T"/m1/.keyrite-staging-*/root-ca.pem \
    "$TRB" "$T/steal/"
drill 1b-drill.out "$T/steal" "custodian-1, custodian-2, custodian-3"; rc=$?
idb=${TRB##*/transcript-}; idb=${idb%.txt}
expect 1b-drill.out $rc 7 "keyrite: run: refused before any work: transcript is not sealed: $T/steal/root-ca.escrow was made by ceremony $idb, which did not complete ($T/steal/transcript-$idb.txt is unsealed): the package and the shares it wrote must not be used; keyrite clean removes them"
# A rerun on the same medium removes the leftovers, records it in both
# transcripts, and completes.
create 1b-rerun.out "$T/create.txt" --media "$T/m1" ||
    { cat "$T/1b-rerun.out"; fail "1b: the rerun failed"; }
TRN=$(sed -n 's/^transcript: //p' "$T/1b-rerun.out")
grep -q " leftovers-cleaned engine ceremony=$idb state=failed action=removed medium=" "$TRN" ||
    fail "1b: the rerun's transcript does not list the cleaning"
grep -q " staging-removed engine medium=" "$TRB" ||
    fail "1b: the failed transcript does not record the cleaning"
ls -a "$T/m1" | grep -q '^\.keyrite' && fail "1b: leftovers after the rerun"
grep -q " leftovers-cleaned engine ceremony=$idb state=failed action=removed what=" "$TRN" ||
    fail "1b: the rerun did not delete the failed ceremony's shares from the cards"
for i in 1 2 3 4 5; do
	shares_of $i | grep -q ":$idb\$" && fail "1b: custodian-$i still holds $idb's share"
done

# 1c: killed on the write of the seal.
fresh_tokens
rm -rf "$T/m1" && mkdir "$T/m1"
n=$(nth "$T/ref1b" write "\"[0-9]+ [0-9TZ:-]+ sealed keyrite ")
[ -n "$n" ] || fail "1c: no seal write in the reference"
strace -f -qq -o /dev/null -e trace=write -e inject=write:signal=KILL:when=$n \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" > "$T/1c.out" 2>&1
TRC=$(ls "$T"/m1/transcript-*[0-9a-f].txt)
grep -q " secrets-wiped engine " "$TRC" || fail "1c: not killed after the wipe"
ls "$T/m1" | grep -qv '^transcript-' && fail "1c: an output was published"
rm -rf "$T/steal" && mkdir "$T/steal"
cp "$T"/m1/.keyrite-staging-*/root-ca.escrow "$T"/m1/.keyrite-staging-*/root-ca.pem \
    "$TRC" "$T/steal/"
drill 1c-drill.out "$T/steal" "custodian-1, custodian-2, custodian-3"; rc=$?
[ $rc = 7 ] && grep -q "which did not complete" "$T/1c-drill.out" ||
    { cat "$T/1c-drill.out"; fail "1c: a drill accepted the package"; }

echo "== 7: ENOSPC on the seal; a kill before the header's link"
fresh_tokens
rm -rf "$T/m1" && mkdir "$T/m1"
strace -f -qq -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=$n \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" > "$T/7.out" 2>&1; rc=$?
[ $rc = 1 ] || { cat "$T/7.out"; fail "7: ENOSPC on the seal: exit $rc"; }
TR7=$(ls "$T"/m1/transcript-*[0-9a-f].txt)
"$KEYRITE" verify "$TR7" > "$T/7v.out" 2>&1; rc=$?
[ $rc = 5 ] && grep -q "unsealed" "$T/7v.out" && ! grep -q "BAD" "$T/7v.out" ||
    { cat "$T/7v.out"; fail "7: a transcript cut at its seal is not UNSEALED"; }
"$KEYRITE" verify --allow-unsealed "$TR7" > /dev/null 2>&1 ||
    fail "7: --allow-unsealed"
ls "$T/m1" | grep -qv '^transcript-' && fail "7: an output was published"
fresh_tokens
rm -rf "$T/m1" && mkdir "$T/m1"
strace -f -qq -o /dev/null -e trace=link -e inject=link:signal=KILL:when=1 \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --answers "$T/create.txt" \
    --rehearsal --media "$T/m1" > "$T/7k.out" 2>&1
ls "$T"/m1/transcript-* > /dev/null 2>&1 && fail "7: a transcript without its header"
ls -a "$T/m1" | grep -q '^\.keyrite-tmp-[0-9a-f-]*-transcript$' ||
    fail "7: the header's temporary file is not named after its ceremony"
"$KEYRITE" clean --media "$T/m1" > "$T/7c.out" 2>&1 || { cat "$T/7c.out"; fail "7: clean"; }
[ -z "$(ls -a "$T/m1" | grep -v '^\.\.\?$')" ] || fail "7: clean left $(ls -a "$T/m1")"

echo "== 5, 8: recovery goes on past bad cards, naming each"
fresh_tokens
rm -rf "$T/m1" && mkdir "$T/m1"
create root.out "$T/create.txt" --media "$T/m1" || { cat "$T/root.out"; fail "root"; }
KEY=$(shares_of 1 | sed 's/^keyrite-share:\([0-9a-f]*\):.*/\1/')
ID=$(shares_of 1 | sed 's/.*:\([^:]*\)$/\1/')
# A second key on custodian-6..9, so that custodian-6 is foreign and
# custodian-1 will also hold another key's share.
rm -rf "$T/o" && mkdir "$T/o"
{ people; roster custodian-6 custodian-7 custodian-8 custodian-9 custodian-1; } \
    > "$T/other.txt"
create other.out "$T/other.txt" --media "$T/o" || { cat "$T/other.out"; fail "other root"; }
# custodian-1: a PIN that is wrong; custodian-6: another key's card;
# custodian-2 twice; custodian-99 absent; then 3, 4 and 5.
{ people | sed '/^pin.custodian-1 /d'; echo "pin.custodian-1 = 000000"
  echo "recover.cards = custodian-1, custodian-6, custodian-2, custodian-2, custodian-99, custodian-3, custodian-4"; } > "$T/bad.txt"
"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$T/m1" \
    --answers "$T/bad.txt" --rehearsal > "$T/5.out" 2>&1 ||
    { cat "$T/5.out"; fail "5: the drill did not go on past the bad cards"; }
cat "$T/5.out"
TR5=$(sed -n 's/^transcript: //p' "$T/5.out")
grep -q "notice: card custodian-1 (serial [0-9a-f]*): 3 wrong PINs, as many as keyrite allows on one card in one ceremony; the card is not used again in this ceremony; present the next custodian's card" "$T/5.out" ||
    fail "5: custodian-1's exhausted PIN not named"
grep -q "notice: card custodian-6 (serial [0-9a-f]*) holds no share of this key (it holds a share of key [0-9a-f]*): it is not one of its custodians' cards, this is the wrong card for this key; present the next custodian's card" "$T/5.out" ||
    fail "5: foreign custodian-6 not named"
grep -q "notice: card custodian-2 (serial [0-9a-f]*) was presented already in this step: each card counts once; present the next custodian's card" "$T/5.out" ||
    fail "5: custodian-2 presented twice not named"
grep -q "notice: no card labelled or with serial 'custodian-99' is present; insert it, or check the name with 'keyrite cards'; present the next custodian's card" "$T/5.out" ||
    fail "5: absent custodian-99 not named"
[ "$(grep -c " card-refused engine " "$TR5")" -ge 5 ] ||
    fail "5: refusals not recorded ($(grep -c " card-refused " "$TR5"))"
grep -q " key-proven engine " "$TR5" || fail "5: no key proven"
"$KEYRITE" verify "$TR5" --cert "$T/m1/root-ca.pem" > /dev/null ||
    fail "5: drill transcript"
grep -q "custodian-1 (serial [0-9a-f]*) also holds 1 share of other keys; they are not touched" "$T/5.out" &&
    fail "8: custodian-1 spoke of other keys while refused for its PIN"

# 8: custodian-1 holds this key's share and another's: it is used, and
# the other share is mentioned, not blamed.
drill 8a.out "$T/m1" "custodian-1, custodian-2, custodian-3" ||
    { cat "$T/8a.out"; fail "8: custodian-1 with two keys' shares not used"; }
grep -q "wrong card" "$T/8a.out" && fail "8: custodian-1 called the wrong card"
grep -q "notice: card custodian-1 (serial [0-9a-f]*) also holds 1 share of other keys; they are not touched" "$T/8a.out" ||
    { cat "$T/8a.out"; fail "8: the other key's share not mentioned"; }

# 8: custodian-3's share copied to custodian-8 under custodian-2's index:
# custodian-8 is named as mislabelled, custodian-2 is not blamed.
"$CT" --module "$M" --card custodian-3 login:123403 read:$KEY:"$T/s3.bin" > /dev/null ||
    fail "8: reading custodian-3's share"
pkcs11-tool --module "$M" --token-label custodian-8 --login --pin 123408 \
    --write-object "$T/s3.bin" --type data --label "keyrite-share:$KEY:2:$ID" \
    --application-label keyrite --private > /dev/null 2>&1 || fail "8: pkcs11-tool write"
drill 8b.out "$T/m1" "custodian-8, custodian-2, custodian-3, custodian-4" ||
    { cat "$T/8b.out"; fail "8: the drill stopped at the mislabelled card"; }
grep -q "notice: card custodian-8 (serial [0-9a-f]*): its share object is mislabelled: its label says another index or key than the share it holds; it is not used" "$T/8b.out" ||
    { cat "$T/8b.out"; fail "8: mislabelled custodian-8 not named"; }
grep -q "custodian-2 (serial [0-9a-f]*) holds share" "$T/8b.out" &&
    fail "8: the good custodian-2 was blamed"
# 8: a share stored as a public object is refused, naming its card.
"$CT" --module "$M" --card custodian-5 login:123405 read:$KEY:"$T/s5.bin" > /dev/null ||
    fail "8: reading custodian-5's share"
pkcs11-tool --module "$M" --token-label custodian-7 --login --pin 123407 \
    --write-object "$T/s5.bin" --type data --label "keyrite-share:$KEY:5:$ID" \
    --application-label keyrite > /dev/null 2>&1 || fail "8: public write"
drill 8c.out "$T/m1" "custodian-7, custodian-1, custodian-2, custodian-3" ||
    { cat "$T/8c.out"; fail "8: the drill stopped at the public share"; }
grep -q "notice: card custodian-7 (serial [0-9a-f]*): its share is a public object, readable without the PIN: keyrite never writes one so; it is not used" "$T/8c.out" ||
    { cat "$T/8c.out"; fail "8: public share on custodian-7 not named"; }

echo "== 9: shares are written once, never modifiable"
attrs=$(pkcs11-tool --module "$M" --token-label custodian-1 --login --pin 123401 \
    --list-objects --type data 2>/dev/null | sed -n "/label: *'keyrite-share:$KEY/,/^Data/p")
echo "$attrs"
echo "$attrs" | grep -q "flags:.*private" || fail "9: not private"
echo "$attrs" | grep -q "flags:.*modifiable" && fail "9: the share object is modifiable"

echo "== 6: refusals before any work exit 7"
"$KEYRITE" run "$T/nonesuch.ceremony" --media "$T/m1" --answers "$T/create.txt" \
    --rehearsal > "$T/6a.out" 2>&1; rc=$?
[ $rc = 7 ] || fail "6: missing script: exit $rc"
printf '[policy]\nname = broken\nfoo\n' > "$T/bad-policy.conf"
create 6b.out "$T/create.txt" --media "$T/m1" --policy "$T/bad-policy.conf"; rc=$?
[ $rc = 7 ] && grep -q "$T/bad-policy.conf:3:" "$T/6b.out" ||
    { cat "$T/6b.out"; fail "6: bad policy file: exit $rc"; }
create 6c.out "$T/create.txt" --media "$T/m1" --set threshold=9999; rc=$?
[ $rc = 7 ] && grep -q "threshold" "$T/6c.out" ||
    { cat "$T/6c.out"; fail "6: bad --set: exit $rc"; }
echo "txn-cases: all checks passed"
