#!/bin/sh
# root-ca-ocsp-responses end to end: a rehearsal root (3-of-5 on SoftHSM2
# cards) signs two intermediates (root-ca-sign-intermediate), then, in
# batch with docs/examples/root-ca-ocsp-responses.answers as it is,
# pre-signed OCSP responses for a status list: one intermediate good, the
# other revoked (keyCompromise, with a date), a third certificate by
# serial only (revoked, superseded).  Then verifiers nobody here wrote:
#   - openssl ocsp -respin RESP -issuer root -VAfile root -sha256 -cert
#     CERT -resp_text: "Response verify OK" and the status, reason and
#     revocation time given; the CertID's hash is SHA-256, the Responder
#     Id the root's key hash, nextUpdate next_update_days after
#     thisUpdate; -CAfile root agrees;
#   - a response with one byte changed (in the signature, in the signed
#     data) fails;
#   - keyrite verify on the transcript, whose records list each serial,
#     status and the response's SHA-256 that sha256sum computes.
# Then the bad inputs of issue 18, each refused before any work (exit 7,
# the file or line named, no step, nothing written): a certificate this
# root did not issue, a nextUpdate beyond the policy or past the root's
# notAfter, a serial twice, a reason a CA may not give, an unknown
# status, the root's own certificate, a missing file.
set -u
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$KR_TOP/tests/integration/lib-root.sh"

root_setup --set validity_days=300
R="$T/media/root-ca.pem"

# --- two intermediates issued by the root -----------------------------------
intermediate() { # intermediate NAME: sets I to the certificate's path
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes \
	    -keyout "$T/$1.key" -subj "/O=Example/CN=Example $1 CA" \
	    -out "$T/media/$1.csr" 2>/dev/null || fail "openssl req $1"
	run_use root-ca-sign-intermediate --media "$T/media" \
	    --set "csr=$1.csr" --set validity_days=100
	[ $rc = 0 ] || { cat "$T/root-ca-sign-intermediate.out"; fail "$1"; }
	I=$(sed -n 's/^output: \(.*intermediate-[0-9a-f]*\.pem\)$/\1/p' \
	    "$T/root-ca-sign-intermediate.out")
	[ -f "$I" ] || fail "no certificate for $1"
}
intermediate Issuing; I1=$I
intermediate Retired; I2=$I
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
S1=$(serial "$I1") S2=$(serial "$I2")
revoked_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	echo "# the root's certificates, for the OCSP server"
	echo "$(basename "$I1") good"
	echo "$(basename "$I2")	revoked keyCompromise $revoked_at"
	echo "0a1b2c3d4e5f revoked superseded"
} > "$T/media/ocsp-status.txt"
cat "$T/media/ocsp-status.txt"

run_use root-ca-ocsp-responses --media "$T/media" --set next_update_days=90
cat "$T/root-ca-ocsp-responses.out"
[ $rc = 0 ] || fail "ocsp-responses exit $rc"
TR=$(sed -n 's/^transcript: //p' "$T/root-ca-ocsp-responses.out")
today=$(date -u +%Y%m%d)
O1="$T/media/ocsp-$S1-$today.der"
O2="$T/media/ocsp-$S2-$today.der"
O3="$T/media/ocsp-0a1b2c3d4e5f-$today.der"
for f in "$O1" "$O2" "$O3"; do
	[ -f "$f" ] || { ls "$T/media"; fail "no $(basename "$f")"; }
	grep -q "^output: $f\$" "$T/root-ca-ocsp-responses.out" ||
	    fail "no output line for $f"
done

# --- outside verifiers ------------------------------------------------------
ocsp_check() { # ocsp_check RESP CERT-ARGS...: output in $T/ocsp.out
	_r=$1
	shift
	openssl ocsp -respin "$_r" -issuer "$R" -VAfile "$R" -sha256 "$@" \
	    -resp_text > "$T/ocsp.out" 2>&1
}
ocsp_check "$O1" -cert "$I1" || { cat "$T/ocsp.out"; fail "openssl ocsp $O1"; }
cat "$T/ocsp.out"
grep -q "^Response verify OK" "$T/ocsp.out" || fail "O1: no Response verify OK"
grep -q "^$I1: good" "$T/ocsp.out" || fail "O1: not good"
grep -q "Hash Algorithm: sha256" "$T/ocsp.out" || fail "O1: CertID not SHA-256"
ski=$(openssl x509 -in "$R" -noout -ext subjectKeyIdentifier |
    sed -n '2s/[ :]//gp')
grep -q "Responder Id: $ski\$" "$T/ocsp.out" ||
    fail "O1: the responder id is not the root's key hash $ski"
tu=$(sed -n 's/^ *This Update: //p' "$T/ocsp.out" | head -1)
nu=$(sed -n 's/^ *Next Update: //p' "$T/ocsp.out" | head -1)
[ $(( ($(date -u -d "$nu" +%s) - $(date -u -d "$tu" +%s)) / 86400 )) = 90 ] ||
    fail "O1: nextUpdate $nu is not 90 days after thisUpdate $tu"

ocsp_check "$O2" -cert "$I2" || { cat "$T/ocsp.out"; fail "openssl ocsp $O2"; }
cat "$T/ocsp.out"
grep -q "^Response verify OK" "$T/ocsp.out" || fail "O2: no Response verify OK"
grep -q "^$I2: revoked" "$T/ocsp.out" || fail "O2: not revoked"
grep -q "Reason: keyCompromise" "$T/ocsp.out" || fail "O2: reason"
grep -q "Revocation Time: $(date -u -d "$revoked_at" '+%b %e %H:%M:%S %Y GMT')" \
    "$T/ocsp.out" || fail "O2: revocation time is not $revoked_at"

ocsp_check "$O3" -serial 0x0a1b2c3d4e5f ||
    { cat "$T/ocsp.out"; fail "openssl ocsp $O3"; }
grep -q "^Response verify OK" "$T/ocsp.out" || fail "O3: no Response verify OK"
grep -q "^0x0a1b2c3d4e5f: revoked" "$T/ocsp.out" || fail "O3: not revoked"
grep -q "Reason: superseded" "$T/ocsp.out" || fail "O3: reason"

# The root trusted as a CA rather than named as the responder.
openssl ocsp -respin "$O1" -issuer "$R" -CAfile "$R" -sha256 -cert "$I1" \
    > "$T/ca.out" 2>&1 || { cat "$T/ca.out"; fail "openssl ocsp -CAfile"; }
grep -q "^Response verify OK" "$T/ca.out" || fail "-CAfile: no verify OK"

# A changed byte in the signature, then in the signed data (thisUpdate's
# year, "20" of the GeneralizedTime, becomes "21"): both fail.
n=$(wc -c < "$O1")
cp "$O1" "$T/tampered-sig.der"
flip "$T/tampered-sig.der" $((n - 5))
cmp -s "$O1" "$T/tampered-sig.der" && fail "the byte did not change"
if ocsp_check "$T/tampered-sig.der" -cert "$I1"; then
	cat "$T/ocsp.out"; fail "a response with a changed signature verified"
fi
cat "$T/ocsp.out" | grep -v "^ " | head -5
grep -q "Response Verify Failure" "$T/ocsp.out" ||
    fail "tampered signature: not a verify failure"
off=$(grep -abo "$(date -u +%Y)" "$O1" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no GeneralizedTime found in the response"
cp "$O1" "$T/tampered-tbs.der"
flip "$T/tampered-tbs.der" $((off + 3))	# the year's last digit
cmp -s "$O1" "$T/tampered-tbs.der" && fail "the time did not change"
if ocsp_check "$T/tampered-tbs.der" -cert "$I1"; then
	cat "$T/ocsp.out"; fail "a response with changed data verified"
fi
grep -q "Response Verify Failure" "$T/ocsp.out" ||
    { cat "$T/ocsp.out"; fail "tampered data: not a verify failure"; }

# --- the transcript ---------------------------------------------------------
"$KEYRITE" verify "$TR" --cert "$R" || fail "keyrite verify"
[ "$(grep -c '^cosignature: ' "$TR")" = 3 ] || fail "not 3 cosignatures"
list_sha=$(sha256sum "$T/media/ocsp-status.txt" | cut -c1-64)
grep -q " ocsp-planned engine status-list=ocsp-status.txt sha256=$list_sha entries=3 next-update-days=90 " \
    "$TR" || fail "ocsp-planned does not record the list"
grep " ocsp-entry " "$TR" | grep " serial=$S1 " | grep -q " status=good " ||
    fail "no ocsp-entry for $S1"
grep " ocsp-entry " "$TR" | grep " serial=$S2 " | grep " status=revoked " |
    grep -q " reason=keyCompromise " || fail "no ocsp-entry for $S2"
grep -q " ocsp-confirmed administrator " "$TR" || fail "no ocsp-confirmed"
grep -q " key-proven .* use=sign-ocsp " "$TR" || fail "key-proven use"
for s in "$S1:good:$O1" "$S2:revoked:$O2" "0a1b2c3d4e5f:revoked:$O3"; do
	ser=${s%%:*} rest=${s#*:} st=${rest%%:*} f=${rest#*:}
	sha=$(sha256sum "$f" | cut -c1-64)
	grep " ocsp-response-signed " "$TR" | grep " serial=$ser " |
	    grep " status=$st " | grep -q " sha256=$sha " ||
	    fail "ocsp-response-signed does not record $ser $st $sha"
	grep -q " output-staged engine kind=ocsp-response name=$(basename "$f") sha256=$sha " \
	    "$TR" || fail "no output-staged for $f"
done

# --- bad input: refused before any work ------------------------------------
bad() { # bad LIST-FILE GREP [--set ...]: the list in $T/media/LIST-FILE
	_f=$1 _g=$2
	shift 2
	snap_media "$T/media"
	run_use root-ca-ocsp-responses --media "$T/media" \
	    --set "status_list=$_f" "$@"
	cat "$T/root-ca-ocsp-responses.out"
	refused_before_work "$T/root-ca-ocsp-responses.out" "$T/media"
	grep -q -- "$_g" "$T/root-ca-ocsp-responses.out" ||
	    fail "$_f: the message does not say '$_g'"
}
# A certificate this root did not issue: openssl's own CA, and a leaf.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/foreign.key" -subj "/O=Example/CN=Example Root CA (REHEARSAL)" \
    -days 30 -out "$T/media/foreign.pem" 2>/dev/null || fail "foreign"
echo "foreign.pem good" > "$T/media/foreign.txt"
bad foreign.txt "foreign.txt:1: foreign.pem .*not issued by this root\|foreign.txt:1: foreign.pem .*this root"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/other.key" -subj "/O=Other/CN=Other CA" \
    -days 30 -out "$T/media/other.pem" 2>/dev/null || fail "other"
printf '# another CA\n\nother.pem good\n' > "$T/media/other.txt"
bad other.txt "other.txt:3: other.pem was not issued by this root"
# nextUpdate beyond the policy (365 for root-ca) and past the root's notAfter.
bad ocsp-status.txt "next_update_days 400 is outside 1..365" \
    --set next_update_days=400
bad ocsp-status.txt "next_update_days 320 would put nextUpdate" \
    --set next_update_days=320
printf '%s good\n%s revoked keyCompromise\n' "$S1" "$S1" > "$T/media/twice.txt"
bad twice.txt "twice.txt:2: .*$S1\|twice.txt:.*named"
printf '%s revoked certificateHold\n' "$S1" > "$T/media/hold.txt"
bad hold.txt "hold.txt:1:.*certificateHold"
printf '%s maybe\n' "$S1" > "$T/media/maybe.txt"
bad maybe.txt "maybe.txt:1:"
echo "root-ca.pem good" > "$T/media/self.txt"
bad self.txt "self.txt:1: root-ca.pem is the root's own certificate"
echo "gone.pem good" > "$T/media/gone.txt"
bad gone.txt "gone.pem"
bad missing.txt "missing.txt"
echo "PASS: t-ocsp-responses"
