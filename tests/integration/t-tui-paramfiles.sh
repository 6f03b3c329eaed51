#!/bin/sh
# The Parameters screen lists and judges every input file a ceremony
# reads, not only escrow packages and certificates (tmux, 80x25):
#   - root-ca-sign-intermediate: Enter on csr lists the requests (*.csr,
#     *.pem) on the media; a request whose signature was tampered with is
#     refused with the parser's words and the ceremony cannot start;
#     the good one picked shows its subject and key;
#   - root-ca-issue-crl: revocations and previous_crl are optional and
#     fine when empty; a revocation list picked says how many serials;
#   - firmware-sign: Enter on release lists the manifests (*.txt, no
#     transcripts); one with a bad line shows file:line and the ceremony
#     cannot start; the good one shows its images and their total size.
# The root is made in batch first (keyrite run).  Every wait is for a
# state of the screen.
. "$KR_TOP/tests/tui/prelude.sh"
M="$T/media"

tui_cards 5
mkdir "$M"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$M" --rehearsal \
    --answers "$KR_TOP/docs/examples/root-ca-create.answers" \
    > "$T/create.out" 2>&1 || { cat "$T/create.out"; fail "batch create"; }
# A good request, and a copy whose signature's last byte is changed.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/int.key" -subj "/O=Example/CN=Paramfiles Issuing CA" \
    -out "$M/intermediate.csr" 2>/dev/null || fail "openssl req"
openssl req -in "$M/intermediate.csr" -outform DER -out "$T/int.der" ||
    fail "openssl req -outform DER"
n=$(stat -c %s "$T/int.der")
{ head -c $((n - 1)) "$T/int.der"; tail -c 1 "$T/int.der" | LC_ALL=C tr '\000-\377' \
    '\001-\377\000'; } > "$M/tampered.csr"
cmp -s "$T/int.der" "$M/tampered.csr" && fail "the copy was not changed"
printf '0a keyCompromise\n0b superseded\n' > "$M/revoke.txt"
# A release: two images, its manifest, and one with a bad third line.
mkdir "$M/fw"
head -c 1000 /dev/zero > "$M/fw/app.bin"
head -c 2000 /dev/zero > "$M/fw/boot.bin"
{
	echo "keyrite-release 1"
	echo "name Pump 4.2"
	for f in fw/app.bin fw/boot.bin; do
		echo "image $f $(stat -c %s "$M/$f") $(sha256sum < "$M/$f" |
		    cut -d' ' -f1)"
	done
} > "$M/release.txt"
sed '3s/^image /imag /' "$M/release.txt" > "$M/release-bad.txt"

tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $M" \
    "--scripts $S" || fail "tmux"

# --- root-ca-sign-intermediate: the request ---------------------------------
home_choose root-ca-sign-intermediate || fail "home"
wait_for "^  escrow +root-ca.escrow +. escrow package of key" \
    "^  csr +intermediate.csr +. request of CN=Paramfi" ||
    fail "the default request is not checked"
param csr && send Enter
wait_for "CHOOSE csr" "^  [> ] intermediate.csr$" "^  [> ] tampered.csr$" \
    "^  [> ] root-ca.pem$" || fail "no list of requests"
screen | grep -q "revoke.txt" && fail "a .txt file listed as a request"
snap paramfiles_csr_pick
_select_row tampered.csr '^  [> ] (.*)$' && send Enter &&
    wait_gone "Enter +take this one" || fail "tampered request not chosen"
wait_for "^  csr +tampered.csr +. " \
    "^  $M/tampered.csr: .*signature" ||
    fail "the tampered request is not refused with the parser's words"
snap paramfiles_csr_bad
# (End goes to Start: this screen's rows do not all fit at 80x25.)
send End Enter
wait_for "An input file is missing or not usable" ||
    fail "started with a tampered request"
send Home
param_pick csr intermediate.csr || fail "request not chosen"
wait_for "^  csr +intermediate.csr +. request of CN=Paramfi" \
    "^  request of CN=Paramfiles Issuing CA,O=Example, EC P-256 key," ||
    fail "the request picked is not described"
wait_gone "An input file is missing or not usable" ||
    fail "the message stays with every input good"
send Escape
wait_for "CEREMONIES" || fail "back to Home"

# --- root-ca-issue-crl: optional inputs -------------------------------------
home_choose root-ca-issue-crl || fail "home (crl)"
wait_for "^  previous_crl +. none: this is the root" \
    "^  revocations +. none: no certificate is rev" ||
    fail "empty optional inputs are not fine"
param_pick revocations revoke.txt || fail "revocations not chosen"
wait_for "^  revocations +revoke.txt +. revocation list of 2" ||
    fail "the revocation list is not read"
send Escape
wait_for "CEREMONIES" || fail "back to Home (crl)"

# --- firmware-sign: the release manifest ------------------------------------
home_choose firmware-sign || fail "home (firmware)"
wait_for "^  release +release.txt +. release manifest of" ||
    fail "the default manifest is not checked"
param release && send Enter
wait_for "CHOOSE release" "^  [> ] release.txt$" "^  [> ] release-bad.txt$" ||
    fail "no list of manifests"
screen | grep -q "transcript-" && fail "a transcript listed as a manifest"
_select_row release-bad.txt '^  [> ] (.*)$' && send Enter &&
    wait_gone "Enter +take this one" || fail "bad manifest not chosen"
wait_for "^  release +release-bad.txt +. " "release-bad.txt:3: " ||
    fail "the bad manifest's file:line is not shown"
snap paramfiles_release_bad
send End Enter
wait_for "An input file is missing or not usable" ||
    fail "started with a bad manifest"
screen | grep -q "STEP 1" && fail "the ceremony started"
send Home
param_pick release release.txt || fail "manifest not chosen"
wait_for "^  release +release.txt +. release manifest of" \
    "\"Pump 4.2\": 2 images, 3000 bytes in all" ||
    fail "the manifest picked is not described"
send Escape
wait_for "CEREMONIES" || fail "back to Home (firmware)"
tui_stop || fail "the tmux server did not stop"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-paramfiles: all checks passed in $(( $(date +%s) - start ))s"
