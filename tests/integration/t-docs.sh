#!/bin/sh
# The docs match the bytes (issue 11 #15, #16, #17): the commands the docs
# show are run as written, taken from the docs, and what they write is
# compared with what the docs say:
#   - docs/examples/root-ca-create.answers and key-recovery-drill.answers,
#     by the commands in their own header comments;
#   - docs/transcript-format.md: every event and actor of its example is
#     one keyrite writes; every event of its Events table is written by
#     the code, with the actor the table gives; share-checked carries the
#     card label and serial as facts of their own; the seal message is as
#     long as the doc says; the by-hand transcript-hash check
#     (check-escrow-chain.sh), extracted from the doc, says OK for the
#     package and its creation and BAD for another transcript;
#   - the root certificate of the shipped script, judged against the
#     CA/Browser Forum's root profile as docs/certificates.md describes
#     it: countryName in the subject, basicConstraints critical cA TRUE
#     without pathLenConstraint unless the ceremony sets one, keyUsage
#     critical keyCertSign and cRLSign only.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DOC="$KR_TOP/docs/transcript-format.md"

cd "$T" || fail "cd"
ln -s "$KR_TOP/ceremony-scripts" ceremony-scripts
ln -s "$KR_TOP/docs" docs
# The commands of an example's header ("#   keyrite ..." and its
# continuation lines), with keyrite the binary under test.
commands() {
	sed -n 's/^#   //p' "$1" | sed "s#^keyrite #$KEYRITE #; s#&& keyrite #\\&\\& $KEYRITE #"
}
commands docs/examples/root-ca-create.answers > create.sh
commands docs/examples/key-recovery-drill.answers > drill.sh
grep -q "root-ca-create.ceremony" create.sh || fail "no command in the create example"
grep -q "key-recovery-drill.ceremony" drill.sh || fail "no command in the drill example"
echo "== docs/examples/root-ca-create.answers, as documented:"; cat create.sh
sh -e create.sh > create.out 2>&1 || { cat create.out; fail "the create example"; }
TC=$(ls media/transcript-*[0-9a-f].txt)
. cards/env
echo "== docs/examples/key-recovery-drill.answers, as documented:"; cat drill.sh
sh -e drill.sh > drill.out 2>&1 || { cat drill.out; fail "the drill example"; }
TD=$(ls media/transcript-*[0-9a-f].txt | grep -v "$TC")
"$KEYRITE" verify "$TC" --cert media/root-ca.pem > /dev/null || fail "verify create"
"$KEYRITE" verify "$TD" --cert media/root-ca.pem > /dev/null || fail "verify drill"
[ "$(sed -n 's/^previous-transcript-sha256: //p' "$TD")" = \
    "$(sha256sum < "$TC" | cut -c1-64)" ] || fail "the drill is not chained"
records() { awk '/^$/ { b++; next } b == 1' "$@"; }

# --- the example's events and actors are the ones written --------------
sed -n '/^## An example/,/^## Bytes/p' "$DOC" |
    sed -n 's/^    [0-9][0-9]* [0-9T:Z-]* \([a-z-]*\) \([a-z]*\) .*/\1 \2/p' \
    > example.pairs
[ "$(wc -l < example.pairs)" -ge 6 ] || fail "no records in the doc's example"
records "$TC" | awk '{ print $3, $4 }' | sort -u > written.pairs
while read -r ev actor; do
	grep -qx "$ev $actor" written.pairs ||
	    fail "the doc's example has '$ev $actor'; keyrite writes: $(grep "^$ev " written.pairs)"
done < example.pairs
echo "ok: the example's $(wc -l < example.pairs) records are events and actors keyrite writes"

# --- the Events table: each event is written by the code, and by the
# actor the table names where a ceremony above wrote it ----------------
sed -n '/^### Events$/,/^### /p' "$DOC" |
    sed -n 's/^| `\([a-z-]*\)`\(, `\([a-z-]*\)`\)* | \([^|]*\) |.*/\1 \4/p' \
    > table.rows
[ "$(wc -l < table.rows)" -ge 15 ] || fail "no Events table"
records "$TC" "$TD" | awk '{ print $3, $4 }' | sort -u > all.pairs
while read -r ev actor; do
	grep -rqF "\"$ev\"" "$KR_TOP/src" || fail "the doc lists event $ev; no code writes it"
	case $actor in
	'`'*'`')
		a=$(echo "$actor" | tr -d '` ')
		if grep -q "^$ev " all.pairs; then
			grep -qx "$ev $a" all.pairs ||
			    fail "the doc says $ev is written by $a: $(grep "^$ev " all.pairs)"
		fi ;;
	esac
done < table.rows
echo "ok: $(wc -l < table.rows) events of the table are written, with their actors"

# --- share-checked: the card's label and serial, each a fact ----------
n=$(records "$TD" | grep -c ' share-checked engine card=custodian-[0-9] serial=[0-9a-f]\{16\} x=[0-9]* verdict=used ')
[ "$n" = 3 ] || fail "share-checked records: $n of 3 with card and serial apart"
echo "ok: share-checked carries card=LABEL serial=SERIAL"

# --- the seal message's length, as the doc states it -------------------
want=$(sed -n 's/.* = \([0-9]*\) bytes).*/\1/p' "$DOC" | head -1)
id=$(sed -n 's/^ceremony-id: //p' "$TC")
final=$(records "$TC" | tail -1 | sed 's/.* chain=//')
got=$(printf 'keyrite-transcript-seal %s %s\n' "$id" "$final" | wc -c)
[ -n "$want" ] && [ "$got" = "$want" ] ||
    fail "the seal message is $got bytes; the doc says ${want:-nothing}"
echo "ok: the seal message is $got bytes, as the doc says"

# --- transcript-hash, matched by hand as the doc shows -----------------
sed -n '/^<!-- check-escrow-chain.sh/,/^```$/p' "$DOC" | sed '1,2d;$d' \
    > check-escrow-chain.sh
head -1 check-escrow-chain.sh | grep -q '^#!/bin/sh$' ||
    fail "no check-escrow-chain.sh block in the doc"
out=$(sh check-escrow-chain.sh media/root-ca.escrow "$TC") ||
    fail "by hand, the package does not match its creation: $out"
echo "$out" | grep -q "^OK: " || fail "$out"
echo "$out"
out=$(sh check-escrow-chain.sh media/root-ca.escrow "$TD") &&
    fail "by hand, the drill's transcript was taken for the creation's"
echo "ok: another transcript: $out"
"$KEYRITE" escrow inspect media/root-ca.escrow |
    grep -q "^  chain value   $(sed -n 's/^transcript-hash: //p' media/root-ca.escrow)$" ||
    fail "escrow inspect does not label transcript-hash as a chain value"

# --- the root, against the CA/Browser Forum's root profile -------------
openssl x509 -in media/root-ca.pem -noout -text > root.txt
grep -q "Subject: C = US, O = Example, CN = Example Root CA" root.txt ||
    fail "no countryName in the root's subject: $(grep Subject: root.txt)"
grep -A1 "X509v3 Basic Constraints: critical" root.txt | grep -qx " *CA:TRUE" ||
    fail "basicConstraints: $(grep -A1 'Basic Constraints' root.txt)"
grep -q pathlen root.txt && fail "a pathLenConstraint the ceremony did not set"
grep -A1 "X509v3 Key Usage: critical" root.txt |
    grep -qx " *Certificate Sign, CRL Sign" || fail "keyUsage"
grep -q "Extended Key Usage" root.txt && fail "an extendedKeyUsage on a root"
grep -q "pathLenConstraint only if the ceremony asks for one" \
    "$KR_TOP/docs/certificates.md" || fail "docs/certificates.md says otherwise"
# Set by the ceremony, it is there.
mkdir m2
"$KEYRITE" run ceremony-scripts/root-ca-create.ceremony --rehearsal \
    --media m2 --answers docs/examples/root-ca-create.answers \
    --set path_length=0 > m2.out 2>&1 || { cat m2.out; fail "path_length=0"; }
openssl x509 -in m2/root-ca.pem -noout -text | grep -q "CA:TRUE, pathlen:0" ||
    fail "path_length=0 was not set"
echo "ok: the root has C, no pathLenConstraint unless set, keyUsage as the profile asks"
echo "docs: all checks passed"
