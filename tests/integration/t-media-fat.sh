#!/bin/sh
# t-media-fat.sh: a ceremony writes its outputs to a FAT32 filesystem, as
# on the appliance's USB sticks.  FAT has no hard links, so the media
# layer's never-overwrite step there is renameat2(RENAME_NOREPLACE), not
# link(2) (which fails with EPERM).
#   1. an 8 MiB FAT32 image, loop-mounted: root-ca-create in batch writes
#      the certificate, the escrow package and the transcript there;
#      openssl and keyrite verify accept them; no temporary file is left
#   2. a second run refuses before any work: the outputs exist
# Needs root (mount) and loop devices: otherwise it skips, saying so.
# Exit 0 pass, 77 skip (with the reason on the last line), else fail.

: "${KEYRITE:?KEYRITE must name the keyrite binary}"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

command -v mkfs.vfat >/dev/null 2>&1 || skip "mkfs.vfat (dosfstools) missing"
[ "$(id -u)" = 0 ] || skip "mounting a FAT image needs root"
T=$(mktemp -d) || fail "mktemp"
trap 'umount "$T/mnt" 2>/dev/null; rm -rf "$T"' EXIT
truncate -s 8M "$T/fat.img"
mkfs.vfat -F 32 -n KRTEST "$T/fat.img" >/dev/null 2>&1 || fail "mkfs.vfat"
mkdir "$T/mnt"
mount -o loop,noexec,nosuid,nodev "$T/fat.img" "$T/mnt" 2>"$T/mount.err" ||
    skip "cannot loop-mount FAT here: $(head -1 "$T/mount.err")"
unset SOFTHSM2_CONF KEYRITE_PKCS11_MODULE
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
# The example answers of the docs: 3 of 5 (the default policy refuses
# fewer than 4 shares for a root).
cp "$KR_TOP/docs/examples/root-ca-create.answers" "$T/answers.txt"
S="$KR_TOP/ceremony-scripts/root-ca-create.ceremony"
"$KEYRITE" run "$S" --rehearsal --media "$T/mnt" --answers "$T/answers.txt" \
    > "$T/run.out" 2>&1 ||
    { cat "$T/run.out"; fail "root-ca-create on FAT"; }
for f in root-ca.pem root-ca.escrow; do
	[ -s "$T/mnt/$f" ] || fail "$f not on the FAT filesystem"
done
# transcript-<id>.txt; its print log, transcript-<id>.print.txt, beside it.
TR=$(ls "$T"/mnt/transcript-*[0-9a-f].txt) || fail "no transcript"
ls -a "$T/mnt" | grep -q keyrite-tmp && fail "a temporary file was left"
openssl verify -x509_strict -check_ss_sig -CAfile "$T/mnt/root-ca.pem" \
    "$T/mnt/root-ca.pem" >/dev/null || fail "openssl verify"
"$KEYRITE" verify "$TR" --cert "$T/mnt/root-ca.pem" >/dev/null ||
    fail "keyrite verify"
before=$(ls -l --time-style=+%s "$T/mnt" | md5sum)
"$KEYRITE" run "$S" --rehearsal --media "$T/mnt" --answers "$T/answers.txt" \
    > "$T/run2.out" 2>&1 &&
    fail "a second ceremony over the same outputs ran"
grep -q "root-ca.pem" "$T/run2.out" || { cat "$T/run2.out"
    fail "the refusal does not name the existing output"; }
[ "$(ls -l --time-style=+%s "$T/mnt" | md5sum)" = "$before" ] ||
    fail "the refused ceremony changed the stick"
echo "media-fat: all checks passed"
