#!/bin/sh
# t-media-nolink.sh: a ceremony on a file system without hard links, as
# FAT and exFAT on the appliance's USB sticks are, where link(2) fails
# with EPERM.  t-media-fat.sh mounts a real FAT image, but skips where the
# kernel has no vfat (as in containers); this test makes link(2) and
# linkat(2) fail with EPERM under strace instead, on any file system:
#   1. root-ca-create in batch writes the certificate, the escrow package,
#      the transcript, its PDF and its print log, every one named by
#      renameat2(RENAME_NOREPLACE) after link failed (the transcript too:
#      make image-test found it failing on a vfat stick);
#   2. openssl and keyrite verify accept them; no temporary file is left;
#   3. a second run refuses before any work: the outputs exist.
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${KEYRITE:?KEYRITE must name the keyrite binary}"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v strace >/dev/null 2>&1 || skip "strace missing"
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT
unset SOFTHSM2_CONF KEYRITE_PKCS11_MODULE
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
# The example answers of the docs: 3 of 5.
cp "$KR_TOP/docs/examples/root-ca-create.answers" "$T/answers.txt"
mkdir "$T/media"
S="$KR_TOP/ceremony-scripts/root-ca-create.ceremony"
# nolink ARGS...: keyrite with every link(2) and linkat(2) failing EPERM.
# LeakSanitizer cannot run under ptrace (strace -f traces keyrite and its
# paper helper): under SAN=1 these runs keep ASan's other checks only;
# the other tests check the same paths for leaks.
nolink() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -o "$T/trace" -e trace=link,linkat,renameat2 \
	    -e inject=link,linkat:error=EPERM "$KEYRITE" "$@"
}
nolink run "$S" --rehearsal --media "$T/media" --answers "$T/answers.txt" \
    > "$T/run.out" 2>&1 ||
    { cat "$T/run.out"; fail "root-ca-create without hard links"; }
TR=$(ls "$T"/media/transcript-*[0-9a-f].txt) || fail "no transcript"
ID=$(basename "$TR" .txt)
for f in root-ca.pem root-ca.escrow "$ID.txt" "$ID.pdf" "$ID.print.txt"; do
	[ -s "$T/media/$f" ] || fail "$f not on the media"
	# Named by a rename that never replaces, after link was refused.
	grep -q "renameat2(.*\"[^\"]*/$f\", RENAME_NOREPLACE) = 0" \
	    "$T/trace" || { grep renameat2 "$T/trace"
	    fail "$f was not named by renameat2(RENAME_NOREPLACE)"; }
done
grep -Eq 'link(at)?\(.*= -1 EPERM' "$T/trace" ||
    fail "no link(2) was refused: the test did not test"
ls -a "$T/media" | grep -q keyrite- && fail "a temporary file was left"
openssl verify -x509_strict -check_ss_sig -CAfile "$T/media/root-ca.pem" \
    "$T/media/root-ca.pem" >/dev/null || fail "openssl verify"
"$KEYRITE" verify "$TR" --cert "$T/media/root-ca.pem" >/dev/null ||
    fail "keyrite verify"
# Every file as it was (-A: not "..", which is $T, where the run's output
# goes).
ls -lA --time-style=+%s "$T/media" > "$T/before"
nolink run "$S" --rehearsal --media "$T/media" --answers "$T/answers.txt" \
    > "$T/run2.out" 2>&1 &&
    fail "a second ceremony over the same outputs ran"
grep -q "root-ca.pem" "$T/run2.out" || { cat "$T/run2.out"
    fail "the refusal does not name the existing output"; }
ls -lA --time-style=+%s "$T/media" | diff "$T/before" - ||
    fail "the refused ceremony changed the media"
echo "media-nolink: all checks passed"
