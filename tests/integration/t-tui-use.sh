#!/bin/sh
# The ceremonies that use a root key, through the TUI in tmux (80x25):
#   - root-ca-sign-intermediate: the request screen shows the subject,
#     the key, the SAN the request asked for as DROPPED, scrolls, refuses
#     a wrong last group on the spot and takes the right one; the
#     certificate is published and verifies under the root (openssl);
#   - root-ca-issue-crl with a revocation list set on the Parameters
#     screen: the list screen shows the new entry marked '+', and "n"
#     stops the ceremony before any card (crl-not-confirmed); "y" issues
#     the CRL that openssl verifies;
#   - key-restore-hsm: the target screen names the token, its PIN is
#     asked on the PIN screen, and the key is in the token afterwards.
# Each ends with the three cards that opened the root co-signing the
# sealed transcript, and its paper record.
# The root is made in batch first (keyrite run).
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
mkdir "$T/media"
{
	echo "operator.name = Ada Administrator"
	echo "witness.1.name = Wendy Witness"
	echo "confirm = yes"
	for i in 1 2 3 4 5; do
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
		echo "pin.custodian-$i = 12340$i"
	done
} > "$T/create.txt"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
    --answers "$T/create.txt" --rehearsal --set threshold=3 \
    --set shares=5 > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "batch root-ca-create"; }
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
    -keyout "$T/int.key" -subj "/O=Example/CN=TUI Issuing CA" \
    -addext "subjectAltName=DNS:ca.example.com" \
    -out "$T/media/intermediate.csr" 2>/dev/null || fail "openssl req"
softhsm2-util --init-token --free --label root-ca-hsm --so-pin 12345678 \
    --pin 87654321 >/dev/null || fail "softhsm2-util"

# Roll call, the package, the root's fingerprint: up to the review step.
use_start() { # use_start SCRIPT
	ackr 1 && ackr 2 && ack 3 || fail "$1: steps 1-3"
	answer "ceremony administrator" "Ada Administrator" &&
	    answer "Name of witness 1" "Wendy Witness" &&
	    answer "Name of witness 2" "" &&
	    answer "Why is" "TUI test" &&
	    answer "What authorizes" "CHG-TUI" || fail "$1: roll call"
	review_yes || fail "$1: roll call review"
	ack 4 && ack 5 || fail "$1: steps 4-5"
	wait_for "WITNESS Wendy Witness" "Type the LAST group" ||
	    fail "$1: root fingerprint"
	fingerprint || fail "$1: root fingerprint typed"
	ack 6 || fail "$1: step 6"
}

# recover (step 7, its result shown once the quorum is in) and
# prove-key (step 8): three custodians' cards open the root.
cards() {
	ack 7 || fail "step 7"
	for c in 1 3 5; do
		wait_for "PRESENT A CARD" || fail "card wait ($c)"
		card "custodian-$c" || fail "card $c"
		pin "custodian-$c" "12340$c" || fail "pin $c"
	done
	result 7 && ackr 8 || fail "steps 7-8"
}

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"

# --- sign an intermediate ---------------------------------------------------
home_choose root-ca-sign-intermediate || fail "home"
send End Enter
use_start sign
wait_for "WITNESS Wendy Witness" "Certificate request" \
    "subject +CN=TUI Issuing CA,O=Example" "key +EC P-384" \
    "Type the LAST group" || fail "request screen"
snap csr1
screen | grep -q "subjectAltName" && screen | grep -q "DROPPED" ||
    { send NPage; wait_for "DROPPED" || fail "the dropped SAN not shown"; }
snap csr2
# The witness compares with the value the requester sent: here, openssl's.
spki=$(openssl req -in "$T/media/intermediate.csr" -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64 | tr a-f A-F |
    sed 's/..../& /g; s/ $//')
first=$(echo "$spki" | cut -d' ' -f1-8)
second=$(echo "$spki" | cut -d' ' -f9-16)
last=$(echo "$spki" | cut -d' ' -f16)
wait_for "^  $first\$" "^  $second\$" ||
    fail "the screen does not show the SPKI fingerprint $spki"
type "0000"
send Enter
wait_for "0000 is not the last group" || fail "a wrong group was not refused"
send BSpace BSpace BSpace BSpace
type "$last"
send Enter
cards
ack 9 && ackr 10 && ack 11 || fail "sign: steps 9-11"
cosign 12 custodian-1:123401 custodian-3:123403 custodian-5:123405 ||
    fail "sign: co-signing"
ack 13 || fail "sign: step 13 (print)"
wait_for "CEREMONY COMPLETE" || fail "sign did not complete"
I=$(ls "$T"/media/intermediate-*.pem) || fail "no certificate published"
openssl verify -x509_strict -CAfile "$T/media/root-ca.pem" "$I" ||
    fail "openssl verify"
leave_summary || fail "back to Home"

# --- a CRL: n stops it, y issues it ----------------------------------------
S_HEX=$(openssl x509 -in "$I" -noout -serial | cut -d= -f2)
printf '%s keyCompromise\n' "$S_HEX" > "$T/media/revoke.txt"
crl_start() {
	home_choose root-ca-issue-crl || fail "home (crl)"
	param_pick revocations revoke.txt || fail "revocations parameter"
	wait_for "^  revocations +revoke.txt" || fail "parameter not set"
	param_start || fail "start (crl)"
	use_start crl
	wait_for "ADMINISTRATOR" "Revocations" "CRL NUMBER 1" \
	    "y +yes, go on" || fail "CRL list screen"
}
crl_start
screen | grep -Eq "^ *\\+ $(echo "$S_HEX" | tr A-F a-f) +keyCompromise" ||
    fail "the new entry is not shown marked +"
snap crllist
send n
wait_for "CEREMONY (ABORTED|FAILED)" || fail "n did not stop the ceremony"
TR=$(ls -t "$T"/media/transcript-*[0-9a-f].txt | head -1)
grep -q "reason=crl-not-confirmed" "$TR" || fail "crl-not-confirmed"
grep -q " card-presented " "$TR" && fail "a card was used after n"
leave_summary || fail "back to Home (crl)"
crl_start
send y
cards
ack 9 && ackr 10 && ack 11 || fail "crl: steps 9-11"
cosign 12 custodian-1:123401 custodian-3:123403 custodian-5:123405 ||
    fail "crl: co-signing"
ack 13 || fail "crl: step 13 (print)"
wait_for "CEREMONY COMPLETE" || fail "crl did not complete"
openssl crl -in "$T/media/root-ca-crl-1.pem" -CAfile "$T/media/root-ca.pem" \
    -noout -verify 2>&1 | grep -q "verify OK" || fail "CRL does not verify"
leave_summary || fail "back to Home (after crl)"

# --- restore into the HSM ---------------------------------------------------
home_choose key-restore-hsm || fail "home (restore)"
send End Enter
use_start restore
wait_for "Target token" "TARGET TOKEN" "root-ca-hsm" "y +yes, go on" ||
    fail "target screen"
snap target
send y
cards
ack 9 || fail "restore: step 9"
pin root-ca-hsm 87654321 || fail "target PIN"
ackr 10 && ack 11 || fail "restore: steps 10-11"
cosign 12 custodian-1:123401 custodian-3:123403 custodian-5:123405 ||
    fail "restore: co-signing"
ack 13 || fail "restore: step 13 (print)"
wait_for "CEREMONY COMPLETE" || fail "restore did not complete"
pkcs11-tool --module "$KEYRITE_PKCS11_MODULE" --token-label root-ca-hsm \
    --login --pin 87654321 --list-objects 2>/dev/null |
    grep -q "Private Key Object; EC" || fail "no key in the HSM"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-use: all checks passed in $(( $(date +%s) - start ))s"
