#!/bin/sh
# firmware-sign through the TUI: a key made in batch, then a release of
# six images signed in tmux.  The images hashed before the ceremony starts
# show as a progress bar in MiB (read from everything the pane was sent,
# so it is seen however fast the machine hashes); the witness's release
# screen lists every image, scrolls with Page Down, refuses a wrong group
# on the spot and takes the manifest's last group; three cards recover the
# key; every image's signature verifies with openssl afterwards.
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
. "$KR_TOP/tests/integration/lib-firmware.sh"
start=$(date +%s)
fw_cards
M="$T/media"
fw_key "$M"
mkdir "$M/fw"
for i in 1 2 3 4 5; do
	head -c $((i * 1111)) /dev/urandom > "$M/fw/part$i.bin"
done
truncate -s 64M "$M/fw/big.bin"
fw_manifest "$M" "ACME pump firmware 4.2.0" fw/part1.bin fw/part2.bin \
    fw/part3.bin fw/part4.bin fw/part5.bin fw/big.bin
LAST=$(sha256sum < "$M/release.txt" | cut -c61-64 | tr a-f A-F)

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $M" \
    "--scripts $FW_S" || fail "tmux"
$KR_TMUX pipe-pane -t kr -o "cat >> $T/pane.log"
home_choose firmware-sign || fail "home"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
answer "ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" &&
    answer "Why is" "Release 4.2.0" &&
    answer "What authorizes" "CHG-1240" || fail "roll call"
review_yes || fail "roll call review"
# The images were hashed before step 1, with a bar.  The pane's log holds
# what curses sent, which is only what changed from one frame to the
# next: the progress line's start, and the count of the 64 MiB image
# (every character differs from the small images' counts in bytes).
grep -aq "checking fw/" "$T/pane.log" || fail "no progress shown"
grep -aq "of 64\.0 MiB" "$T/pane.log" ||
    fail "the bar does not count fw/big.bin in MiB"
ack 4 && ack 5 || fail "steps 4-5"
wait_for "WITNESS Wendy Witness" "Type the LAST group" || fail "key id"
fingerprint || fail "the key id"
ack 6 || fail "step 6"

# The release screen: the table, then more of it below.
wait_for "WITNESS Wendy Witness" "Release: ACME pump firmware 4.2.0" \
    "fw/part1.bin +1111 bytes" "lines 1-[0-9]+ of [0-9]+" \
    "Type the LAST group of the manifest's SHA-256" ||
    fail "release screen"
screen | grep -q "fw/big.bin" && fail "the whole table fits: no scrolling tested"
snap release-top
send NPage
wait_for "fw/big.bin +67108864 bytes" || fail "Page Down"
snap release-bottom
send Home
wait_for "Release: ACME pump firmware 4.2.0" || fail "Home"
# The manifest's SHA-256 as two rows of eight groups, ending in LAST.
screen | grep -Eq "^  [0-9A-F]{4}( [0-9A-F]{4}){6} $LAST *\$" ||
    fail "the manifest's SHA-256 does not end in $LAST"
wait_for "Enter +confirm" || fail "Enter not offered"
type "0000"
send Enter
wait_for "0000 is not the last group of the manifest's SHA-256" ||
    fail "a wrong group was not refused on the screen"
send BSpace BSpace BSpace BSpace
type "$LAST"
send Enter
wait_gone "Type the LAST group of the manifest" || fail "release confirm"

ack 7 || fail "step 7"
for c in 2 4 5; do
	card "custodian-$c" || fail "card $c"
	pin "custodian-$c" "12340$c" || fail "pin $c"
done
# recover's result once the quorum is in; prove-key's; sign-release has
# none; the wipe's.
result 7 && ackr 8 && ack 9 || fail "steps 7-9"
ackr 10 && ack 11 || fail "steps 10-11"
cosign 12 custodian-2:123402 custodian-4:123404 custodian-5:123405 ||
    fail "co-signing"
ack 13 || fail "step 13 (print)"
wait_for "CEREMONY COMPLETE" || fail "did not complete"
snap done
TR=$(ls -t "$M"/transcript-*[0-9a-f].txt | head -1)
"$KEYRITE" verify "$TR" --cert "$M/firmware-signing.crt" > /dev/null ||
    fail "verify transcript"
grep -q " release-confirmed witness witness=Wendy%20Witness release=.*$LAST " \
    "$TR" || fail "the confirmation is not recorded"
for i in 1 2 3 4 5; do
	openssl dgst -sha256 -verify "$M/firmware-signing.pub.pem" \
	    -signature "$M/part$i.bin.sig" "$M/fw/part$i.bin" > /dev/null ||
	    fail "part$i.bin.sig"
done
openssl cms -verify -binary -inform DER -in "$M/big.bin.p7s" \
    -content "$M/fw/big.bin" -CAfile "$M/firmware-signing.crt" \
    -purpose any -out /dev/null 2>/dev/null || fail "big.bin.p7s"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-firmware: all checks passed in $(( $(date +%s) - start ))s"
