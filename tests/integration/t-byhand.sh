#!/bin/sh
# The by-hand check of docs/transcript-format.md (check-transcript.sh,
# extracted and run as written) is as strict as keyrite verify: on a good
# transcript both say good; on each altered one both say BAD.  Some
# alterations are re-sealed here with the ceremony key (openssl, the
# chain recomputed with sha256sum) so that every hash and signature is
# right and only the rule in question is broken: a non-canonical percent
# escape, a sequence number that is not its position, an event that is
# not a word, a "chain" fact, a double space, a month 13, a header mode,
# a sealed record with more facts.  Others are not re-sealed: base64 that
# is not canonical, a missing or altered final line feed, a line after
# the signature block, a co-signature twice, a tab.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
MK="$KR_TOP/$BUILD/helpers/mktranscript"
DOC="$KR_TOP/docs/transcript-format.md"
sed -n '/^<!-- check-transcript.sh/,/^```$/p' "$DOC" | sed '1,2d;$d' \
    > "$T/check-transcript.sh"
"$MK" seal "$T/good.txt" ecdsa-p256 "$T" || fail "mktranscript"
KEY="$T/signer-key.pem"
id=$(sed -n 's/^ceremony-id: //p' "$T/good.txt")

verdicts() {	# verdicts FILE WANT: keyrite and by hand agree on WANT
	"$KEYRITE" verify "$1" > "$T/kr.out" 2>&1; krc=$?
	sh "$T/check-transcript.sh" "$1" > "$T/bh.out" 2>&1; brc=$?
	echo "$(basename "$1"): keyrite exit $krc ($(grep '^result' "$T/kr.out" |
	    cut -c1-90)), by hand exit $brc ($(tail -1 "$T/bh.out"))"
	if [ "$2" = good ]; then
		[ $krc = 0 ] && [ $brc = 0 ] && [ "$(tail -1 "$T/bh.out")" = OK ] ||
		    fail "$1: want good from both"
	elif [ "$2" = incomplete ]; then
		[ $krc = 9 ] && [ $brc = 2 ] &&
		    [ "$(tail -1 "$T/bh.out")" = INCOMPLETE ] &&
		    grep -q "^MISSING: co-signature of card custodian%202%20%C3%A9 (serial 0000abcd00001002)$" "$T/bh.out" &&
		    grep -q "MISSING" "$T/kr.out" ||
		    fail "$1: want incomplete from both"
	else
		[ $krc = 5 ] || fail "$1: keyrite verify exit $krc, want 5"
		[ $brc = 1 ] && grep -q "^BAD: " "$T/bh.out" ||
		    fail "$1: by hand did not say BAD: $(cat "$T/bh.out")"
	fi
}

# Re-seals IN into OUT after running the sed script EDIT on it: a new
# header chain, every chain value, the ceremony key's signature; the
# co-signature (made with a key this test does not hold) is dropped.
reseal() {	# reseal NAME EDIT
	sed "$2" "$T/good.txt" > "$T/edited"
	out="$T/$1.txt"
	head -n 9 "$T/edited" > "$out"
	c=$(sha256sum < "$out" | cut -c1-64)
	printf 'chain: %s\n\n' "$c" >> "$out"
	awk '/^$/ { b++; next } b == 1' "$T/edited" > "$T/recs"
	while IFS= read -r rec; do
		body=${rec% chain=*}
		c=$(printf '%s %s' "$c" "$body" | sha256sum | cut -c1-64)
		printf '%s chain=%s\n' "$body" "$c" >> "$out"
	done < "$T/recs"
	printf '\n' >> "$out"
	grep '^signature-algorithm: \|^signer-key-id: \|^signer-public-key: ' \
	    "$T/edited" >> "$out"
	printf 'keyrite-transcript-seal %s %s\n' "$id" "$c" > "$T/msg"
	openssl dgst -sha256 -sign "$KEY" -out "$T/sig" "$T/msg" ||
	    fail "openssl sign"
	printf 'signature: %s\n' "$(base64 -w0 < "$T/sig")" >> "$out"
}

verdicts "$T/good.txt" good
# The re-sealing itself is sound: unchanged, both accept it.
# Re-sealed unchanged but without its co-signature, which the chain
# expects (the card is bound in it): incomplete, by both.
reseal resealed ''
verdicts "$T/resealed.txt" incomplete

# Line 12 is record 1; record k is line 11 + k.
reseal pct-upper-a '14s/ chain=/ x=%41 chain=/'
reseal pct-lower-hex '15s/ chain=/ x=%c3%a9 chain=/'
reseal pct-bare '15s/ chain=/ x=100% chain=/'
reseal seq '15s/^4 /04 /'
reseal event '16s/ step-done / Step-done /'
reseal chain-fact '17s/ chain=/ chain=abc chain=/'
reseal double-space '18s/ note=/  note=/'
reseal month-13 '19s/^8 2[0-9]*-[0-9]*-/8 2026-13-/'
reseal mode '7s/rehearsal/test/'
reseal empty-key '20s/ chain=/ =x chain=/'
reseal sealed-extra '/ sealed keyrite /s/ chain=/ extra=1 chain=/'
for f in pct-upper-a pct-lower-hex pct-bare seq event chain-fact \
    double-space month-13 mode empty-key sealed-extra; do
	verdicts "$T/$f.txt" bad
done

# Base64 that decodes (base64 -d accepts it) but is not canonical: the
# public key with the unused low bits of its last character set.
kl=$(grep -n '^signer-public-key: ' "$T/good.txt" | cut -d: -f1)
key=$(sed -n "${kl}s/^signer-public-key: //p" "$T/good.txt")
pad=${key##*[!=]}
body=${key%"$pad"}
[ -n "$pad" ] || fail "the key's base64 has no padding"
A=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
c=$(printf '%s' "$body" | tail -c 1)
rest=${A#*"$c"}
bent="$(printf '%s' "$body" | head -c $((${#body} - 1)))$(printf '%s' "$rest" |
    head -c 1)$pad"
[ "$bent" != "$key" ] && [ "$(printf '%s' "$bent" | base64 -d | sha256sum)" = \
    "$(printf '%s' "$key" | base64 -d | sha256sum)" ] ||
    fail "the bent base64 decodes to other bytes"
sed "${kl}s|.*|signer-public-key: $bent|" "$T/good.txt" > "$T/b64.txt"
verdicts "$T/b64.txt" bad
grep -q "not canonical base64" "$T/bh.out" || fail "$(cat "$T/bh.out")"

# The last line feed missing, doubled, or a CR before it.
head -c -1 "$T/good.txt" > "$T/no-lf.txt"
{ cat "$T/good.txt"; echo; } > "$T/blank-end.txt"
{ head -c -1 "$T/good.txt"; printf '\r\n'; } > "$T/crlf.txt"
# A line after the signature block; a co-signature twice; a tab.
{ cat "$T/good.txt"; echo "comment: hello"; } > "$T/after.txt"
{ cat "$T/good.txt"; grep '^cosignature: ' "$T/good.txt"; } > "$T/twice.txt"
sed '14s/ note=/\tnote=/' "$T/good.txt" > "$T/tab.txt"
for f in no-lf blank-end crlf after twice tab; do
	verdicts "$T/$f.txt" bad
done
grep -q "only cosignature lines" "$T/bh.out" 2>/dev/null ||
    sh "$T/check-transcript.sh" "$T/after.txt" | grep -q "only cosignature" ||
    fail "a line after the signature block: not named"
sh "$T/check-transcript.sh" "$T/twice.txt" | grep -q "co-signed twice" ||
    fail "a co-signature twice: not named"
sh "$T/check-transcript.sh" "$T/no-lf.txt" | grep -q "no line feed" ||
    fail "a missing line feed: not named"

# A co-signature made afterwards with a fresh key: BAD by both (the chain
# binds no such key to that card); t-transcript.sh checks the wording.
cp "$T/good.txt" "$T/unbound.txt"
fin=$(awk '/^$/ { b++; next } b == 1' "$T/good.txt" | tail -1 | sed 's/.* chain=//')
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$T/fresh.pem" 2>/dev/null || fail "openssl genpkey"
printf 'keyrite-transcript-cosign %s %s %s %s\n' "$id" "$fin" other \
    0000abcd00009999 > "$T/u.msg"
openssl dgst -sha256 -sign "$T/fresh.pem" -out "$T/u.sig" "$T/u.msg" ||
    fail "openssl sign"
printf 'cosignature: ecdsa-p256 other 0000abcd00009999 %s %s\n' \
    "$(openssl pkey -in "$T/fresh.pem" -pubout -outform DER | base64 -w0)" \
    "$(base64 -w0 < "$T/u.sig")" >> "$T/unbound.txt"
verdicts "$T/unbound.txt" bad
grep -q "^BAD: co-signature of card other: its key is not bound to it in the chain$" "$T/bh.out" ||
    fail "by hand: the unbound co-signature not named"
echo "by hand: as strict as keyrite verify on every case"
