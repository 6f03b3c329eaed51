#!/bin/sh
# End to end, real binary, real SoftHSM2 tokens, outside verifiers:
# root-ca-create 3-of-5 in batch; openssl, certtool, pkcs11-tool check the
# results; drills with several 3-card subsets; 2 cards refused with "1 more";
# a card of another key named; keyrite verify; a second run refused before
# touching a card; policy refusals listing every reason; SIGKILL while
# shares are written leaves a readable transcript and no escrow package.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
mkdir -p "$T/media" "$T/other"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 9 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
M=$KEYRITE_PKCS11_MODULE

people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = rehearsal
	ceremony.authorization = CHG-1
	confirm = yes
	EOA
	for i in 1 2 3 4 5 6 7 8 9; do echo "pin.custodian-$i = 12340$i"; done
}
{ people
  for i in 1 2 3 4 5; do
	echo "custodian.$i.name = Custodian Number $i"
	echo "custodian.$i.card = custodian-$i"
  done; } > "$T/create.txt"

out=$("$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
    --answers "$T/create.txt" --rehearsal --set threshold=3 --set shares=5 \
    2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "root-ca-create exit $rc"
echo "$out" | grep -q "^output: $T/media/root-ca.pem$" || fail "no cert output line"
echo "$out" | grep -q "^output: $T/media/root-ca.escrow$" || fail "no escrow output line"
TR1=$(echo "$out" | sed -n 's/^transcript: //p')
[ -f "$TR1" ] || fail "transcript $TR1 missing"

# The certificate profile, by openssl and certtool.
txt=$(openssl x509 -in "$T/media/root-ca.pem" -noout -text) || fail "x509 -text"
echo "$txt" | grep -q "Version: 3 (0x2)" || fail "not v3"
echo "$txt" | grep -A1 "X509v3 Basic Constraints: critical" | grep -q "CA:TRUE" ||
    fail "basicConstraints"
echo "$txt" | grep -A1 "X509v3 Key Usage: critical" |
    grep -q "Certificate Sign, CRL Sign" || fail "keyUsage"
echo "$txt" | grep -q "X509v3 Subject Key Identifier" || fail "no SKI"
echo "$txt" | grep -q "Signature Algorithm: ecdsa-with-SHA384" || fail "sig alg"
echo "$txt" | grep -q "Subject: .*CN = Example Root CA (REHEARSAL)" ||
    fail "rehearsal not in subject"
serial=$(openssl x509 -in "$T/media/root-ca.pem" -noout -serial | cut -d= -f2)
[ ${#serial} -ge 16 ] || fail "serial $serial shorter than 64 bits"
openssl verify -CAfile "$T/media/root-ca.pem" "$T/media/root-ca.pem" ||
    fail "openssl verify"
# Plain verify trusts the anchor's own signature; this checks it too.
openssl verify -x509_strict -check_ss_sig -CAfile "$T/media/root-ca.pem" \
    "$T/media/root-ca.pem" || fail "openssl verify -check_ss_sig"
certtool --verify --load-ca-certificate "$T/media/root-ca.pem" \
    --infile "$T/media/root-ca.pem" > "$T/certtool.out" 2>&1 ||
    { cat "$T/certtool.out"; fail "certtool --verify"; }
grep -q "Verified" "$T/certtool.out" || fail "certtool did not say Verified"

# Exactly one keyrite share object on each of the five tokens.
for i in 1 2 3 4 5; do
	n=$(pkcs11-tool --module "$M" --token-label "custodian-$i" --login \
	    --pin "12340$i" --list-objects --type data 2>/dev/null |
	    grep -c "label: *'keyrite-share:")
	[ "$n" = 1 ] || fail "custodian-$i holds $n share objects"
done

"$KEYRITE" verify "$TR1" --cert "$T/media/root-ca.pem" || fail "verify create transcript"

drill() { # drill NAME CARDS...
	name=$1; shift
	{ people; echo "recover.cards = $*"; } > "$T/$name.txt"
	"$KEYRITE" run "$S/key-recovery-drill.ceremony" --media "$T/media" \
	    --answers "$T/$name.txt" --rehearsal > "$T/$name.out" 2>&1
}
for set in "custodian-1, custodian-2, custodian-3" \
    "custodian-5, custodian-2, custodian-4" "custodian-3, custodian-4, custodian-5"; do
	drill d "$set" || { cat "$T/d.out"; fail "drill with $set"; }
	TR=$(sed -n 's/^transcript: //p' "$T/d.out")
	"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" > /dev/null ||
	    fail "verify drill transcript ($set)"
	for c in $(echo "$set" | tr -d ,); do
		grep -q "card-presented custodian card=$c " "$TR" ||
		    fail "drill transcript does not name $c"
	done
done

drill two "custodian-1, custodian-4" && fail "drill with 2 cards succeeded"
cat "$T/two.out"
grep -q "present 1 more custodian card" "$T/two.out" || fail "does not say 1 more"

# Another key's shares on custodian-6..9.
{ people
  for i in 6 7 8 9; do
	echo "custodian.$((i - 5)).name = Other $i"
	echo "custodian.$((i - 5)).card = custodian-$i"
  done; } > "$T/other.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/other" \
    --answers "$T/other.txt" --rehearsal --set threshold=2 --set shares=4 \
    > "$T/other.out" 2>&1 || { cat "$T/other.out"; fail "second root"; }
drill foreign "custodian-1, custodian-6, custodian-2" &&
    fail "drill with a foreign card counted it"
cat "$T/foreign.out"
grep -q "custodian-6 .*holds a share of key .*wrong card for this key" "$T/foreign.out" ||
    fail "foreign card custodian-6 not named"
drill foreign2 "custodian-1, custodian-6, custodian-2, custodian-5" ||
    { cat "$T/foreign2.out"; fail "drill with a foreign card and 3 good"; }

# A single flipped byte anywhere: exit 5, and the record is named.
size=$(wc -c < "$TR1")
pos=1
while [ $pos -le "$size" ]; do
	cp "$TR1" "$T/flip.txt"
	b=$(dd if="$TR1" bs=1 skip=$((pos - 1)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	nb=$(( b == 48 ? 49 : (b == 10 ? 32 : 48) ))
	printf "$(printf '\\%03o' $nb)" | dd of="$T/flip.txt" bs=1 seek=$((pos - 1)) \
	    conv=notrunc 2>/dev/null
	"$KEYRITE" verify "$T/flip.txt" > "$T/flip.out" 2>&1; rc=$?
	[ $rc = 5 ] || { cat "$T/flip.out"; fail "byte $pos flipped: exit $rc"; }
	grep -qi "record\|header\|signature" "$T/flip.out" ||
	    { cat "$T/flip.out"; fail "byte $pos: nothing named"; }
	pos=$((pos + 61))
done

# A second run into the same media refuses before touching any card.
before=$(ls "$T/media" | wc -l)
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
    --answers "$T/create.txt" --rehearsal > "$T/again.out" 2>&1; rc=$?
cat "$T/again.out"
[ $rc = 7 ] || fail "second run: exit $rc, want 7"
grep -q "root-ca.pem" "$T/again.out" && grep -q "root-ca.escrow" "$T/again.out" ||
    fail "existing outputs not all named"
[ "$(ls "$T/media" | wc -l)" = "$before" ] || fail "second run wrote a file"
grep -q "^step" "$T/again.out" && fail "second run started a step"

# Policy: every reason at once.
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/other" \
    --answers "$T/create.txt" --rehearsal --set key_type=ed25519 \
    --set threshold=1 --set shares=3 > "$T/pol0.out" 2>&1; rc=$?
cat "$T/pol0.out"
[ $rc = 7 ] || fail "policy violation: exit $rc, want 7"
grep -q "3 reasons" "$T/pol0.out" || fail "not all three reasons counted"
grep -q "ed25519" "$T/pol0.out" || fail "algorithm reason missing"
grep -q "threshold 1" "$T/pol0.out" || fail "threshold reason missing"
grep -q "share count 3 is below the minimum of 4" "$T/pol0.out" ||
    fail "share-count reason missing"
mkdir "$T/pol"
cp "$S/policy.conf" "$T/pol/"
sed 's/^param key_type choice /param key_type choice rsa-2048 /' \
    "$S/root-ca-create.ceremony" > "$T/pol/rsa.ceremony"
"$KEYRITE" run "$T/pol/rsa.ceremony" --media "$T/other" --answers "$T/create.txt" \
    --rehearsal --set key_type=rsa-2048 --set threshold=1 --set shares=5 \
    > "$T/pol.out" 2>&1; rc=$?
cat "$T/pol.out"
[ $rc = 7 ] || fail "policy violation: exit $rc, want 7"
grep -q "rsa-2048" "$T/pol.out" || fail "rsa-2048 reason missing"
grep -qi "threshold 1" "$T/pol.out" || fail "threshold reason missing"
sed 's/^key-class root-ca$/key-class device-identity/' \
    "$S/root-ca-create.ceremony" > "$T/pol/dev.ceremony"
"$KEYRITE" run "$T/pol/dev.ceremony" --media "$T/other" --answers "$T/create.txt" \
    --rehearsal > "$T/dev.out" 2>&1; rc=$?
cat "$T/dev.out"
[ $rc = 7 ] || fail "device-identity escrow: exit $rc, want 7"
grep -q "unique" "$T/dev.out" || fail "device-identity refusal does not say why"

# A real ceremony: confirm = yes is refused; and build/keyrite, which is
# not installed, runs no real ceremony at all (exit 7, before any card).
# Real mode with an installed keyrite is t-realmode.sh.
mkdir "$T/real"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/real" \
    --answers "$T/create.txt" > "$T/real0.out" 2>&1; rc=$?
cat "$T/real0.out"
[ $rc = 2 ] || fail "real ceremony with confirm = yes: exit $rc, want 2"
grep -q "accepted only with --rehearsal" "$T/real0.out" || fail "no reason"
grep -v '^confirm' "$T/create.txt" > "$T/real.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/real" \
    --answers "$T/real.txt" > "$T/real.out" 2>&1; rc=$?
cat "$T/real.out"
[ $rc = 7 ] || fail "real ceremony from build/keyrite: exit $rc, want 7"
grep -q "is not installed (it is not in a bin directory)" "$T/real.out" ||
    fail "refusal not explained"
[ -z "$(ls -A "$T/real")" ] || fail "a refused real ceremony wrote a file"

# SIGKILL while shares are being written: every fsync slowed by strace.
mkdir "$T/kill"
"$KEYRITE" rehearsal-cards --dir "$T/kcards" --count 5 >/dev/null || fail "kcards"
( . "$T/kcards/env"
  exec strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:delay_exit=150000 \
    "$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/kill" \
    --answers "$T/create.txt" --rehearsal ) > "$T/kill.out" 2>&1 &
pid=$!
i=0
until grep -qs "share-written" "$T"/kill/transcript-*[0-9a-f].txt; do
	i=$((i + 1)); [ $i -lt 600 ] || { kill -9 $pid; fail "no share written in 60 s"; }
	sleep 0.1
done
pkill -9 -f "media $T/kill" ; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
KT=$(ls "$T"/kill/transcript-*[0-9a-f].txt)
[ ! -e "$T/kill/root-ca.escrow" ] || fail "escrow package after SIGKILL"
ls -A "$T/kill" | grep -q "keyrite-tmp" && fail "temporary file left"
"$KEYRITE" verify "$KT" > "$T/kv.out" 2>&1; rc=$?
cat "$T/kv.out"
[ $rc = 5 ] || fail "killed transcript: exit $rc, want 5 (unsealed)"
grep -qi "unsealed" "$T/kv.out" || fail "not reported as unsealed"
"$KEYRITE" verify --allow-unsealed "$KT" > /dev/null 2>&1 ||
    "$KEYRITE" verify "$KT" --allow-unsealed > /dev/null 2>&1 ||
    fail "chain of the killed transcript is not intact"
echo "ceremony: all checks passed"
