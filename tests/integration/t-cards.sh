#!/bin/sh
# Custodian cards end to end on five SoftHSM2 tokens, with outside tools on
# the other side: OpenSC's pkcs11-tool reads exactly the bytes keyrite wrote
# and writes a share keyrite reads; a wrong PIN stops at keyrite's bound; a
# card pulled between operations is named and nothing reports success; the
# custodian key is made once, reused, and its signature verifies with
# openssl pkeyutl.  keyrite cards shows all of it.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
M=/usr/lib/softhsm/libsofthsm2.so
[ -r "$M" ] || { echo "SoftHSM2 is not installed ($M)"; exit 77; }
for t in softhsm2-util pkcs11-tool openssl; do
	command -v $t >/dev/null || { echo "$t is not installed"; exit 77; }
done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
CT="$KR_TOP/$BUILD/helpers/cardtool"
MK="$KR_TOP/$BUILD/helpers/mkescrow"

export SOFTHSM2_CONF="$T/softhsm2.conf"
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nslots.removable = true\n' \
    "$T" > "$SOFTHSM2_CONF"
for i in 1 2 3 4 5; do
	softhsm2-util --init-token --free --label custodian-$i --so-pin 12345678 \
	    --pin pin-$i >/dev/null || fail "softhsm2-util custodian-$i"
done
serial() {
	"$CT" --module "$M" --card "$1" info | sed -n 's/.*serial=\([^ ]*\).*/\1/p'
}
p11() { pkcs11-tool --module "$M" "$@"; }

# Real shares of a real escrowed key: 3 of 5.
"$MK" "$T" ecdsa-p256 3 5 >/dev/null || fail "mkescrow"
K=$(sed -n 's/^key-id: \(.\{32\}\).*/\1/p' "$T/test.escrow")
[ ${#K} = 32 ] || fail "no key id in the escrow package"
echo "key id $K"

echo "== keyrite cards lists the five cards"
out=$("$KEYRITE" cards --module "$M" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "keyrite cards: exit $rc"
for i in 1 2 3 4 5; do
	echo "$out" | grep -q "^custodian-$i  *$(serial custodian-$i) *SoftHSM project *SoftHSM v2 *login\$" ||
	    fail "custodian-$i not in the table"
done
# By label, whatever the slots' order (SoftHSM2's follows its token ids).
[ "$(echo "$out" | sed -n 's/^\(custodian-[0-9]*\) .*/\1/p' | xargs)" = \
    "custodian-1 custodian-2 custodian-3 custodian-4 custodian-5" ] ||
    fail "keyrite cards does not list the cards by label"

echo "== keyrite writes, pkcs11-tool reads the same bytes"
"$CT" --module "$M" --card custodian-1 login:pin-1 put:"$T/share-1.bin" ||
    fail "cardtool put"
p11 --token-label custodian-1 --login --pin pin-1 --read-object --type data \
    --label "keyrite-share:$K:1:cardtool" --application-label keyrite -o "$T/p1.bin" ||
    fail "pkcs11-tool --read-object"
cmp "$T/share-1.bin" "$T/p1.bin" || fail "pkcs11-tool read other bytes than keyrite wrote"
echo "pkcs11-tool read $(wc -c < "$T/p1.bin") bytes, identical"
p11 --token-label custodian-1 --read-object --type data \
    --label "keyrite-share:$K:1:cardtool" --application-label keyrite \
    -o "$T/nologin.bin" 2>/dev/null && fail "a share is readable without the PIN"
p11 --token-label custodian-1 --login --pin pin-1 --list-objects --type data |
    grep -q 'flags: .*private' || fail "pkcs11-tool does not see a private object"

echo "== a second share of the same key is refused"
out=$("$CT" --module "$M" --card custodian-1 login:pin-1 put:"$T/share-4.bin"); rc=$?
echo "$out"
[ $rc != 0 ] || fail "duplicate write succeeded"
echo "$out" | grep -q "^error put: card already holds a share of this key: card custodian-1 (serial $(serial custodian-1)) already holds share x=1" ||
    fail "duplicate not refused with the card named"

echo "== pkcs11-tool writes, keyrite reads the same bytes"
p11 --token-label custodian-2 --login --pin pin-2 --write-object "$T/share-2.bin" \
    --type data --label "keyrite-share:$K:2" --application-label keyrite \
    --private >/dev/null || fail "pkcs11-tool --write-object"
"$CT" --module "$M" --card custodian-2 login:pin-2 read:$K:"$T/r2.bin" ||
    fail "keyrite does not read pkcs11-tool's object"
cmp "$T/share-2.bin" "$T/r2.bin" || fail "keyrite read other bytes than pkcs11-tool wrote"

echo "== keyrite cards --pins checks each share"
cat > "$T/pins" <<EOF
# rehearsal PINs
pin.custodian-1 = pin-1
pin.$(serial custodian-2) = pin-2
EOF
out=$("$KEYRITE" cards --module "$M" --pins "$T/pins" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "keyrite cards --pins: exit $rc"
echo "$out" | grep -q "^  share of key $K  x=1  *ok (3 of 5)\$" || fail "custodian-1's share"
echo "$out" | grep -q "^  share of key $K  x=2  *ok (3 of 5)\$" || fail "custodian-2's share (by serial)"
[ "$(echo "$out" | grep -c 'custodian key: none')" = 2 ] || fail "custodian keys"
echo "$out" | grep -q "card custodian-3" && fail "custodian-3 has no PIN but was opened"

echo "== a damaged share is named and the exit code is 5"
cp "$T/share-3.bin" "$T/bad3.bin"
flip "$T/bad3.bin" 50
p11 --token-label custodian-3 --login --pin pin-3 --write-object "$T/bad3.bin" \
    --type data --label "keyrite-share:$K:3" --application-label keyrite \
    --private >/dev/null || fail "pkcs11-tool --write-object"
echo "pin.custodian-3 = pin-3" >> "$T/pins"
out=$("$KEYRITE" cards --module "$M" --pins "$T/pins" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "damaged share: exit $rc, want 5"
echo "$out" | grep -q "^  share of key $K  x=3  *DAMAGED: share is damaged (checksum mismatch): share from card custodian-3 (serial $(serial custodian-3))" ||
    fail "damaged share not named"

echo "== a wrong PIN stops at keyrite's bound; the right one works later"
out=$("$CT" --module "$M" --card custodian-4 login:bad-1 login:bad-2 login:bad-3 login:pin-4); rc=$?
echo "$out"
[ $rc != 0 ] || fail "wrong PINs accepted"
S4=$(serial custodian-4)
[ "$(echo "$out" | grep -c "^error login: incorrect PIN: card custodian-4 (serial $S4): the PIN is wrong")" = 3 ] ||
    fail "3 wrong PINs not each reported"
echo "$out" | grep -q "allows 2 more attempt(s)" || fail "attempts left not said"
echo "$out" | grep -q "That was the last attempt keyrite allows" || fail "last attempt not said"
echo "$out" | grep -q "^error login: too many PIN attempts: card custodian-4 (serial $S4): keyrite allows 3 PIN attempt(s) per card and all were wrong, so this PIN was not tried; the card says" ||
    fail "4th attempt not refused by keyrite"
echo "$out" | grep -q '^ok login' && fail "a login after the bound succeeded"
"$CT" --module "$M" --card custodian-4 login:pin-4 || fail "right PIN in a new ceremony"
printf 'pin.custodian-4 = wrong\n' > "$T/pins4"
out=$("$KEYRITE" cards --module "$M" --pins "$T/pins4" 2>&1); rc=$?
echo "$out"
[ $rc = 1 ] || fail "keyrite cards with a wrong PIN: exit $rc, want 1"
echo "$out" | grep -q "incorrect PIN: card custodian-4 (serial $S4): the PIN is wrong. keyrite allows 2 more" ||
    fail "keyrite cards: wrong PIN not reported"

echo "== custodian key: made once, reused, verified by openssl"
printf 'transcript chain value' | openssl dgst -sha256 -binary > "$T/digest.bin"
out=$("$CT" --module "$M" --card custodian-5 login:pin-5 custodian:create:"$T/pub1.der" \
    custodian:create:"$T/pub2.der" sign:"$T/digest.bin":"$T/sig.der"); rc=$?
echo "$out"
[ $rc = 0 ] || fail "custodian key"
echo "$out" | sed -n 2p | grep -q "custodian key created" || fail "first call did not create"
echo "$out" | sed -n 4p | grep -q "custodian key found" || fail "second call did not reuse"
cmp "$T/pub1.der" "$T/pub2.der" || fail "second call exported another key"
"$CT" --module "$M" --card custodian-5 login:pin-5 custodian:find:"$T/pub3.der" |
    grep -q "custodian key found" || fail "a later session does not find the key"
cmp "$T/pub1.der" "$T/pub3.der" || fail "a later session found another key"
openssl pkey -pubin -inform DER -in "$T/pub1.der" -out "$T/pub.pem" || fail "openssl cannot read the public key"
openssl pkey -pubin -in "$T/pub.pem" -noout -text | grep -q "NIST CURVE: P-256" || fail "not P-256"
openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -in "$T/digest.bin" -sigfile "$T/sig.der" ||
    fail "openssl pkeyutl -verify"
printf 'another chain value' | openssl dgst -sha256 -binary > "$T/other.bin"
openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -in "$T/other.bin" -sigfile "$T/sig.der" \
    >/dev/null 2>&1 && fail "signature verifies another digest"
[ "$(p11 --token-label custodian-5 --list-objects --type pubkey | grep -c 'label: *keyrite-custodian')" = 1 ] ||
    fail "not exactly one custodian public key on the card"
p11 --token-label custodian-5 --login --pin pin-5 --list-objects --type privkey |
    grep -q 'Access: *sensitive, always sensitive, never extractable, local' ||
    fail "custodian private key is not sensitive, never-extractable and made on the card"
printf 'pin.custodian-5 = pin-5\n' > "$T/pins5"
out=$("$KEYRITE" cards --module "$M" --pins "$T/pins5" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "keyrite cards: exit $rc"
echo "$out" | grep -q "custodian key: keyrite-custodian, P-256, public key sha256 $(sha256sum < "$T/pub1.der" | cut -c1-64)" ||
    fail "keyrite cards does not show the custodian key"

echo "== --ask-pin reads the PIN from the terminal without echo"
if command -v script >/dev/null; then
	mkdir "$T/solo"
	printf 'directories.tokendir = %s/solo\nobjectstore.backend = file\n' "$T" > "$T/solo.conf"
	SOFTHSM2_CONF="$T/solo.conf" softhsm2-util --init-token --free --label solo \
	    --so-pin 12345678 --pin pin-solo >/dev/null || fail "softhsm2-util solo"
	mkfifo "$T/tty-in"
	SOFTHSM2_CONF="$T/solo.conf" script -qfec "'$KEYRITE' cards --module '$M' --ask-pin" \
	    /dev/null < "$T/tty-in" > "$T/ask.out" 2>&1 &
	pid=$!
	exec 3> "$T/tty-in"
	prompts() {
		i=0
		while [ "$(grep -o 'PIN for card solo' "$T/ask.out" | wc -l)" -lt $1 ]; do
			i=$((i + 1)); [ $i -lt 400 ] || { kill $pid; fail "no prompt $1"; }
			sleep 0.05
		done
		sleep 0.2
	}
	prompts 1; printf 'wrong-pin-xyz\n' >&3
	prompts 2; printf 'pin-solo\n' >&3
	exec 3>&-
	wait $pid; rc=$?
	cat "$T/ask.out"
	[ $rc = 0 ] || fail "keyrite cards --ask-pin: exit $rc"
	grep -q "the PIN is wrong. keyrite allows 2 more attempt(s)" "$T/ask.out" ||
	    fail "--ask-pin: wrong PIN not reported"
	grep -q "custodian key: none" "$T/ask.out" || fail "--ask-pin: the right PIN did not open the card"
	grep -q 'wrong-pin-xyz\|pin-solo' "$T/ask.out" && fail "a typed PIN was echoed"
else
	echo "(script(1) is not installed: --ask-pin not checked)"
fi

echo "== a card pulled between operations is named; nothing succeeds"
S5=$(serial custodian-5)
"$CT" --module "$M" --card custodian-5 login:pin-5 write:$K:5:"$T/w5.bin" \
    pause:"$T/go" list read:$K:"$T/r5.bin" write:00000000000000000000000000000001:5:"$T/w6.bin" \
    delete:$K custodian:create:"$T/pub5.der" sign:"$T/digest.bin":"$T/sig5.der" \
    > "$T/pulled.out" &
pid=$!
i=0
while [ ! -e "$T/go.ready" ]; do
	i=$((i + 1)); [ $i -lt 200 ] || { kill $pid; fail "cardtool did not pause"; }
	sleep 0.05
done
d=$(dirname "$(grep -l 'custodian-5 ' "$T"/tokens/*/token.object)")
mv "$d" "$T/pulled" || fail "pulling the card"
touch "$T/go"
wait $pid; rc=$?
cat "$T/pulled.out"
[ $rc != 0 ] || fail "cardtool reported success"
sed -n '4,$p' "$T/pulled.out" > "$T/after"
[ "$(head -3 "$T/pulled.out" | tr '\n' ' ')" = "ok login ok write ok pause " ] ||
    fail "operations before the pull"
[ "$(grep -c "^error [a-z]*: card was removed: card custodian-5 (serial $S5) no longer answers" "$T/after")" = 6 ] ||
    fail "not every operation after the pull named the pulled card"
grep -q '^ok\|share(s)$\|^share \|custodian key' "$T/after" && fail "an operation after the pull reported success"
[ -e "$T/r5.bin" ] && fail "a share was read from a pulled card"
echo "all card checks passed"
exit 0
