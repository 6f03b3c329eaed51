#!/bin/sh
# root-ca-cross-sign and root-ca-ocsp-responses through the TUI in tmux
# (80x25):
#   - cross-sign: the witness screen is titled Cross-certificate, shows
#     the CA's subject, its SKI and the SPKI fingerprint in two rows,
#     refuses a wrong last group and takes the right one; the
#     cross-certificate is published and verifies under the root
#     (openssl -partial_chain);
#   - ocsp-responses: the list screen shows each certificate with its
#     status (revoked ones marked +); "n" stops the ceremony before any
#     card (ocsp-not-confirmed); "y" signs responses that openssl ocsp
#     verifies.
# The two roots are made in batch first (keyrite run).
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
mkdir "$T/media" "$T/m2"
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
for d in media m2; do
	"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/$d" \
	    --answers "$T/create.txt" --rehearsal --set threshold=3 \
	    --set shares=5 --set path_length=2 \
	    --set "subject=CN=TUI Root $d,O=Example" > "$T/$d.out" 2>&1 ||
	    { cat "$T/$d.out"; fail "batch root-ca-create $d"; }
done
cp "$T/m2/root-ca.pem" "$T/media/subject-ca.pem"

use_start() { # use_start NAME: roll call to the review step
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

finish() { # finish NAME: cards, steps 8-13
	ack 7 || fail "$1: step 7"
	for c in 1 3 5; do
		wait_for "PRESENT A CARD" || fail "card wait ($c)"
		card "custodian-$c" || fail "card $c"
		pin "custodian-$c" "12340$c" || fail "pin $c"
	done
	# recover's result once the quorum is in, prove-key's; the signing
	# step has none; the wipe's.
	result 7 && ackr 8 && ack 9 && ackr 10 && ack 11 ||
	    fail "$1: steps 7-11"
	cosign 12 custodian-1:123401 custodian-3:123403 custodian-5:123405 ||
	    fail "$1: co-signing"
	ack 13 || fail "$1: step 13 (print)"
	wait_for "CEREMONY COMPLETE" || fail "$1 did not complete"
}

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"

# --- cross-certify the second root --------------------------------------
home_choose root-ca-cross-sign || fail "home"
send End Enter
use_start cross
wait_for "WITNESS Wendy Witness" "Cross-certificate" \
    "SUBJECT CERTIFICATE subject-ca.pem" \
    "subject +CN=TUI Root m2 \\(REHEARSAL\\),O=Example" \
    "Type the LAST group" || fail "cross screen"
snap cross1
ski=$(openssl x509 -in "$T/media/subject-ca.pem" -noout \
    -ext subjectKeyIdentifier | sed -n '2s/[ :]//gp' | tr A-F a-f)
screen | grep -q "SKI *$ski" || fail "the CA's SKI $ski is not shown"
spki=$(openssl x509 -in "$T/media/subject-ca.pem" -noout -pubkey |
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
finish cross
X=$(ls "$T"/media/cross-*-by-*.pem) || fail "no cross-certificate published"
openssl verify -x509_strict -partial_chain -CAfile "$T/media/root-ca.pem" \
    "$X" || fail "openssl verify"
leave_summary || fail "back to Home"

# --- OCSP responses: n stops, y signs ---------------------------------------
XS=$(openssl x509 -in "$X" -noout -serial | cut -d= -f2 | tr A-F a-f)
printf '%s good\n0abc revoked keyCompromise\n' "$(basename "$X")" \
    > "$T/media/ocsp-status.txt"
ocsp_start() {
	home_choose root-ca-ocsp-responses || fail "home (ocsp)"
	send End Enter
	use_start ocsp
	wait_for "ADMINISTRATOR" "OCSP responses" "OCSP RESPONSES: 2" \
	    "y +yes, go on" || fail "OCSP list screen"
}
ocsp_start
screen | grep -Eq "^ +$XS +good" || fail "the good entry is not shown"
screen | grep -Eq "^ *\\+ 0abc +REVOKED" || fail "the revoked entry not marked +"
snap ocsplist
send n
wait_for "CEREMONY (ABORTED|FAILED)" || fail "n did not stop the ceremony"
TR=$(ls -t "$T"/media/transcript-*.txt | head -1)
grep -q "reason=ocsp-not-confirmed" "$TR" || fail "ocsp-not-confirmed"
grep -q " card-presented " "$TR" && fail "a card was used after n"
ls "$T"/media/ocsp-*.der 2>/dev/null && fail "a response was written after n"
leave_summary || fail "back to Home (ocsp)"
ocsp_start
send y
finish ocsp
O=$(ls "$T"/media/ocsp-$XS-*.der) || fail "no response for $XS"
openssl ocsp -respin "$O" -issuer "$T/media/root-ca.pem" \
    -VAfile "$T/media/root-ca.pem" -sha256 -cert "$X" > "$T/ocsp.out" 2>&1
cat "$T/ocsp.out"
grep -q "^Response verify OK" "$T/ocsp.out" && grep -q ": good" "$T/ocsp.out" ||
    fail "openssl ocsp"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-cross-ocsp: all checks passed in $(( $(date +%s) - start ))s"
