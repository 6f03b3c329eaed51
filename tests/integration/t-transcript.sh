#!/bin/sh
# Ceremony transcripts end to end: keyrite verify accepts transcripts
# sealed with every algorithm; the by-hand check of
# docs/transcript-format.md, extracted from the doc and run as written,
# agrees (sha256sum and openssl only); --cert compares with a certificate
# openssl made; altered bytes exit 5 naming the record; a transcript
# whose writer was SIGKILLed is complete up to its last event and reads as
# unsealed with an intact chain.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
MK="$KR_TOP/$BUILD/helpers/mktranscript"
DOC="$KR_TOP/docs/transcript-format.md"

# The by-hand script, byte for byte as the doc shows it.
sed -n '/^<!-- check-transcript.sh/,/^```$/p' "$DOC" | sed '1,2d;$d' \
    > "$T/check-transcript.sh"
head -1 "$T/check-transcript.sh" | grep -q '^#!/bin/sh$' ||
    fail "no check-transcript.sh block in $DOC"
byhand() { sh "$T/check-transcript.sh" "$1"; }

# Overwrites one byte of file at offset with char.
poke() {
	printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# Offset of column col (1-based) of line (1-based) of file.
offset() { echo $(( $(head -n $(($2 - 1)) "$1" | wc -c) + $3 - 1 )); }
# The final chain value as keyrite verify prints it, without spaces.
chain_of() {
	sed -n '/^  \(final\|last\) chain/{N;p}' | sed 's/^ *[a-z]* chain *//' |
	    tr -d ' \n'
}

for alg in ecdsa-p256 ecdsa-p384 ecdsa-p521 rsa-3072 rsa-4096 ed25519 ed448
do
	D="$T/$alg"; mkdir "$D"
	"$MK" seal "$D/t.transcript" "$alg" "$D" || fail "$alg: mktranscript"
	out=$("$KEYRITE" verify "$D/t.transcript"); rc=$?
	echo "$out"
	[ $rc = 0 ] || fail "$alg: verify exit $rc"
	echo "$out" | grep -q "^  records *22, sealed$" || fail "$alg: records"
	echo "$out" | grep -q "^  signer *$alg$" || fail "$alg: signer"
	echo "$out" | grep -q "card custodian%202%20%C3%A9 (serial 0000abcd00001002): present, valid" ||
	    fail "$alg: cosigner not listed"
	echo "$out" | grep -q "^result: good" || fail "$alg: result"
	final=$(echo "$out" | chain_of)
	[ ${#final} = 64 ] || fail "$alg: final chain value not shown"

	hand=$(byhand "$D/t.transcript" 2>&1); rc=$?
	echo "$hand"
	[ $rc = 0 ] || fail "$alg: the by-hand check failed"
	[ "$(echo "$hand" | tail -1)" = OK ] || fail "$alg: by hand: no OK"
	echo "$hand" | grep -q "^records: 22$" || fail "$alg: by hand: records"
	echo "$hand" | grep -q "^final chain value: $final$" ||
	    fail "$alg: by hand the final chain value is not keyrite's"
	kid=$(openssl pkey -pubin -in "$D/signer-pub.pem" -outform DER |
	    sha256sum | cut -c1-64)
	echo "$hand" | grep -q "^sealed by $alg key $kid$" ||
	    fail "$alg: by hand: signer key id"
	echo "$hand" | grep -q "^co-signed by card custodian%202%20%C3%A9 (serial 0000abcd00001002)$" ||
	    fail "$alg: by hand: co-signature"

	# --cert with a certificate openssl makes for the ceremony key, and
	# the doc's by-hand comparison.
	openssl req -new -x509 -key "$D/signer-key.pem" -subj "/CN=test $alg" \
	    -days 1 -out "$D/cert.pem" 2>/dev/null || fail "$alg: openssl req"
	out=$("$KEYRITE" verify "$D/t.transcript" --cert "$D/cert.pem"); rc=$?
	[ $rc = 0 ] || fail "$alg: verify --cert exit $rc"
	echo "$out" | grep -q "^  certificate *the signer's key is $D/cert.pem's$" ||
	    fail "$alg: certificate not confirmed"
	[ "$(openssl x509 -in "$D/cert.pem" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)" = "$kid" ] ||
	    fail "$alg: the doc's certificate command gives another key id"
done

# A certificate of another key.
P="$T/ecdsa-p384/t.transcript"
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/other.key" -subj /CN=other -days 1 -out "$T/other.pem" \
    2>/dev/null || fail "openssl req (other)"
out=$("$KEYRITE" verify "$P" --cert "$T/other.pem" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "another certificate: exit $rc, want 5"
echo "$out" | grep -q "not the certificate's public key" || fail "$out"

# Single altered bytes, with keyrite and by hand.
cp "$P" "$T/r7"; poke "$T/r7" "$(offset "$T/r7" 18 30)" '#'
out=$("$KEYRITE" verify "$T/r7" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "record 7 altered: exit $rc, want 5"
echo "$out" | grep -q "transcript $T/r7: record 7 (line 18): chain value does not match" ||
    fail "record 7 not named"
out=$(byhand "$T/r7"); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "^BAD: record 7$" ||
    fail "by hand, record 7 altered: exit $rc: $out"

cp "$P" "$T/h3"; poke "$T/h3" "$(offset "$T/h3" 3 11)" 'x'
out=$("$KEYRITE" verify "$T/h3" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "header altered: exit $rc, want 5"
echo "$out" | grep -q "transcript $T/h3: header (line 10): chain value does not match" ||
    fail "header not named"
[ "$(byhand "$T/h3")" = "BAD: header" ] || fail "by hand: header"

sl=$(grep -n '^signature: ' "$P" | cut -d: -f1)
cp "$P" "$T/sig"
c=$(sed -n "${sl}p" "$P" | cut -c20)
[ "$c" = A ] && r=B || r=A
poke "$T/sig" "$(offset "$T/sig" "$sl" 20)" "$r"
out=$("$KEYRITE" verify "$T/sig" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "signature altered: exit $rc, want 5"
echo "$out" | grep -q "signature block (line $sl): the seal signature does not verify" ||
    fail "signature not named"
out=$(byhand "$T/sig" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "^BAD: seal signature$" ||
    fail "by hand, signature altered: exit $rc: $out"

cl=$((sl + 1))
cp "$P" "$T/cos"; poke "$T/cos" "$(offset "$T/cos" "$cl" 25)" 'K'
out=$("$KEYRITE" verify "$T/cos" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "co-signing card's label altered: exit $rc, want 5"
echo "$out" | grep -q "signature block (line $cl): card .*co-signature does not verify" ||
    fail "co-signature not named"
out=$(byhand "$T/cos" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "^BAD: co-signature of card" ||
    fail "by hand, co-signature altered: exit $rc: $out"

# A sample of every 41st byte, each flipped: exit 5 and the right place
# (the unit tests flip every byte).
size=$(wc -c < "$P"); nhdr=11; last=$((nhdr + 22)); n=0
off=0
while [ $off -lt "$size" ]; do
	cp "$P" "$T/f"
	c=$(dd if="$P" bs=1 skip=$off count=1 2>/dev/null)
	[ "$c" = x ] && r=y || r=x
	poke "$T/f" $off "$r"
	line=$(( $(head -c $off "$P" | tr -cd '\n' | wc -c) + 1 ))
	if [ $line -le $nhdr ]; then want="header (line"
	elif [ $line -le $last ]; then
		want="record $((line - nhdr)) (line $line)"
	else want="signature block (line"; fi
	out=$("$KEYRITE" verify "$T/f" 2>&1); rc=$?
	[ $rc = 5 ] || fail "byte $off (line $line): exit $rc: $out"
	echo "$out" | grep -qF "transcript $T/f: $want" ||
	    fail "byte $off (line $line): want '$want': $out"
	n=$((n + 1)); off=$((off + 41))
done
echo "flipped $n sampled bytes: each exit 5 naming its place"

# The previous ceremony's transcript hash in the header.
"$MK" seal "$T/next.transcript" ed25519 "$T" --previous "$P" ||
    fail "mktranscript --previous"
out=$("$KEYRITE" verify "$T/next.transcript") || fail "verify next"
echo "$out" | grep -q "^  previous *sha256 $(sha256sum < "$P" | cut -c1-64)$" ||
    fail "previous transcript hash not shown: $out"

# Never overwritten.
before=$(sha256sum < "$P"); mkdir "$T/ow"
"$MK" seal "$P" ed25519 "$T/ow" 2>"$T/err" && fail "overwrote a transcript"
grep -q "never overwritten" "$T/err" || fail "$(cat "$T/err")"
[ "$(sha256sum < "$P")" = "$before" ] || fail "the transcript changed"

# SIGKILL after 7 records: complete up to the 7th, unsealed, chain intact.
"$MK" kill "$T/k.transcript" 7 > "$T/k.out"; rc=$?
[ $rc = 137 ] || fail "mktranscript kill: exit $rc, want 137 (SIGKILL)"
[ "$(tail -c 1 "$T/k.transcript" | od -An -c | tr -d ' ')" = '\n' ] ||
    fail "the killed transcript does not end with a whole line"
out=$("$KEYRITE" verify "$T/k.transcript" 2>"$T/err"); rc=$?
echo "$out"; cat "$T/err"
[ $rc = 5 ] || fail "unsealed: exit $rc, want 5"
echo "$out" | grep -q "^  records *7 intact, NOT SEALED$" || fail "records"
echo "$out" | grep -q "^result: UNSEALED: the hash chain is intact up to record 7" ||
    fail "unsealed result"
grep -q "unsealed: ends after record 7 (the ceremony did not finish or was interrupted)" "$T/err" ||
    fail "unsealed message"
[ "$(echo "$out" | chain_of)" = "$(tail -1 "$T/k.out" | cut -d' ' -f2)" ] ||
    fail "last chain value is not the one the writer reported for record 7"
"$KEYRITE" verify --allow-unsealed "$T/k.transcript" >/dev/null 2>"$T/err" ||
    fail "--allow-unsealed: exit $?"
grep -q "^keyrite: warning: transcript .*unsealed" "$T/err" ||
    fail "--allow-unsealed: no warning"
[ "$(byhand "$T/k.transcript")" = "BAD: unsealed: ends after record 7" ] ||
    fail "by hand: unsealed"

# SIGKILL from outside while the writer appends every 10 ms.
: > "$T/s.out"
"$MK" slow "$T/s.transcript" >> "$T/s.out" & pid=$!
i=0
while [ "$(wc -l < "$T/s.out")" -lt 5 ] && [ $i -lt 500 ]; do
	sleep 0.02; i=$((i + 1))
done
kill -KILL $pid; wait $pid; rc=$?
[ $rc = 137 ] || fail "slow writer: exit $rc, want 137"
k=$(tail -1 "$T/s.out" | cut -d' ' -f1)
[ "${k:-0}" -ge 5 ] || fail "the slow writer reported only ${k:-0} records"
out=$("$KEYRITE" verify "$T/s.transcript" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "killed slow writer: exit $rc, want 5"
got=$(echo "$out" | sed -n 's/^  records *\([0-9]*\) intact, NOT SEALED$/\1/p')
[ -n "$got" ] && { [ "$got" = "$k" ] || [ "$got" = $((k + 1)) ]; } ||
    fail "killed after record $k reported, but verify finds '$got'"
[ "$(awk '/^$/ { b++; next } b == 1' "$T/s.transcript" | wc -l)" = "$got" ] ||
    fail "record lines in the file differ from the intact count"
echo "$out" | grep -q "cut-off line" && fail "a half-written line was left"

# A co-signature made afterwards with a fresh key verifies as a signature
# but binds nothing: keyrite verify and the by-hand check both say BAD.
cp "$T/ecdsa-p384/t.transcript" "$T/u.transcript"
id=$(sed -n 's/^ceremony-id: //p' "$T/u.transcript")
fin=$(awk '/^$/ { b++; next } b == 1' "$T/u.transcript" | tail -1 |
    sed 's/.* chain=//')
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/fresh.pem" 2>/dev/null || fail "openssl genpkey"
printf 'keyrite-transcript-cosign %s %s %s %s\n' "$id" "$fin" intruder \
    0000abcd00009999 > "$T/u.msg"
openssl dgst -sha256 -sign "$T/fresh.pem" -out "$T/u.sig" "$T/u.msg" ||
    fail "openssl dgst -sign"
printf 'cosignature: ecdsa-p256 intruder 0000abcd00009999 %s %s\n' \
    "$(openssl pkey -in "$T/fresh.pem" -pubout -outform DER | base64 -w0)" \
    "$(base64 -w0 < "$T/u.sig")" >> "$T/u.transcript"
out=$("$KEYRITE" verify "$T/u.transcript" 2>&1); rc=$?
echo "$out"
[ $rc = 5 ] || fail "unbound co-signature: exit $rc, want 5"
echo "$out" | grep -q "card intruder (serial 0000abcd00009999) co-signed with key [0-9a-f]*, which no custodian-key-bound record in the sealed chain binds to that card" ||
    fail "unbound co-signature not named"
hand=$(byhand "$T/u.transcript" 2>&1); rc=$?
echo "$hand"
[ $rc != 0 ] || fail "by hand: unbound co-signature accepted"
[ "$(echo "$hand" | tail -1)" = "BAD: co-signature of card intruder: its key is not bound to it in the chain" ] ||
    fail "by hand: unbound co-signature not named"

# Unreadable, not a transcript, usage.
"$KEYRITE" verify "$T/missing" 2>"$T/err"; rc=$?
[ $rc = 1 ] || fail "missing file: exit $rc, want 1"
grep -q "$T/missing" "$T/err" || fail "missing file not named"
echo "root:x:0:0:root:/root:/bin/sh" > "$T/junk"
out=$("$KEYRITE" verify "$T/junk" 2>&1); rc=$?
[ $rc = 5 ] || fail "junk: exit $rc, want 5"
echo "$out" | grep -q "not a keyrite transcript" || fail "$out"
"$KEYRITE" verify 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "no argument: exit $rc, want 2"
"$KEYRITE" verify "$P" --bogus 2>/dev/null; rc=$?
[ $rc = 2 ] || fail "unknown option: exit $rc, want 2"
"$KEYRITE" verify --help | grep -q "allow-unsealed" || fail "--help"
echo "transcript: all checks passed"
