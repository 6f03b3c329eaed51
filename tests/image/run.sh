#!/bin/sh
# tests/image/run.sh: make image-test.  The appliance, end to end.
#
#  1. make image twice from scratch; the ISOs must be byte-identical, and
#     the second build's manifest equal to the first's.
#  2. BIOS boot (rehearsal entry) with an e1000 NIC and four USB sticks:
#     Home must say AIR-GAPPED and show the image's identity with a
#     read-only root; the clock is set; rehearsal cards made; the media
#     screen must report a stick with no filesystem, a read-only one, a
#     full one and one pulled out while mounted; then root-ca-create 3-of-5
#     and a recovery drill (each co-signed by its custodians' cards and
#     its paper record made) write to the good stick, which is unmounted.
#  3. On the host, the stick's outputs are checked by openssl and keyrite
#     verify, and the transcripts' "machine" and air-gap records by grep:
#     the image's version and root SHA-256, / read-only, the clock set,
#     only lo among the interfaces; the co-signatures are counted, and
#     each print log must name its transcript's and PDF's SHA-256 and
#     pdfinfo's page count, not printed (no printer in the guest).
#  4. UEFI (OVMF) boot of the real-ceremony entry: Home, AIR-GAPPED,
#     read-only; a usb-net adapter is then plugged in and Home must say
#     NOT AIR-GAPPED.
#
# Prints the ISO's size, both builds' sha256, each build's time and the
# boot-to-Home times, and keeps them with the Home captures in
# $BUILD/image-test/.  About 25 minutes on a 2-core machine.
# KR_IMAGE_TEST_ISO=FILE tests an existing ISO without building (for
# working on this script: reproducibility is then NOT checked, and the
# run says so and fails).
set -u
cd "$(dirname "$0")/../.." || exit 1
KR_TOP=$PWD
: "${BUILD:=$KR_TOP/build}" "${KEYRITE:?KEYRITE must name the keyrite binary}"
OUT=$BUILD/image-test
rm -rf "$OUT"
mkdir -p "$OUT"
T=$(mktemp -d /tmp/keyrite-image-test-XXXXXX)
. "$KR_TOP/tests/tui/lib.sh"
. "$KR_TOP/tests/image/lib.sh"
trap 'vm_stop 2>/dev/null; rm -rf "$T"' EXIT
TUI_WAIT=180
MAX_ISO=120000000
start=$(now_s)
report() { echo "image-test: $*" | tee -a "$OUT/report.txt"; }
fail() {
	echo "FAIL: $*"
	screen 2>/dev/null | sed 's/^/  |/'
	[ -s "$T/qemu.err" ] && sed 's/^/  qemu: /' "$T/qemu.err"
	exit 1
}

# --- 1. two builds ------------------------------------------------------------

build() { # build N: make image, keep the ISO and manifest in $T/N
	_t=$(now_s)
	BUILD=$BUILD image/build.sh >"$OUT/build-$1.log" 2>&1 ||
	    { tail -20 "$OUT/build-$1.log"; fail "make image ($1)"; }
	eval "build_$1_s=\$(elapsed $_t \$(now_s))"
	mkdir -p "$T/$1"
	ISO=$(sed -n 's/^image: .*\] \(.*\.iso\): .*/\1/p' "$OUT/build-$1.log")
	MANIFEST=${ISO%.iso}.manifest
	cp "$ISO" "$MANIFEST" "$T/$1/"
}

if [ -n "${KR_IMAGE_TEST_ISO:-}" ]; then
	ISO=$KR_IMAGE_TEST_ISO
	MANIFEST=${ISO%.iso}.manifest
	report "NOT BUILT: testing $ISO; reproducibility NOT checked"
	reproducible=unchecked
else
	build 1
	build 2
	iso=$(basename "$ISO")
	sha1=$(sha256sum "$T/1/$iso" | cut -d' ' -f1)
	sha2=$(sha256sum "$T/2/$iso" | cut -d' ' -f1)
	report "build 1: $build_1_s s, sha256 $sha1"
	report "build 2: $build_2_s s, sha256 $sha2"
	if ! cmp -s "$T/1/$iso" "$T/2/$iso"; then
		diff "$T/1/${iso%.iso}.manifest" "$T/2/${iso%.iso}.manifest" |
		    head -20
		fail "the two builds differ (the manifests' file lines say" \
		    "which part)"
	fi
	cmp -s "$T/1/${iso%.iso}.manifest" "$T/2/${iso%.iso}.manifest" ||
	    fail "the manifests differ"
	reproducible=yes
	report "reproducible: the two ISOs are byte-identical"
fi
size=$(stat -c %s "$ISO")
report "ISO $(basename "$ISO"): $size bytes (limit $MAX_ISO)"
[ "$size" -le "$MAX_ISO" ] || fail "the ISO is larger than $MAX_ISO bytes"
VERSION=$(awk '$1 == "version" { print $2 }' "$MANIFEST")
ROOT_SHA=$(awk '$1 == "file" && $4 == "keyrite/root.sfs" { print $2 }' \
    "$MANIFEST")
[ -n "$VERSION" ] && [ -n "$ROOT_SHA" ] || fail "manifest $MANIFEST"
grep -q "^package linux-image-amd64 " "$MANIFEST" &&
    [ "$(grep -c '^package ' "$MANIFEST")" -gt 100 ] ||
    fail "the manifest lists too few packages"
# Every package line: name, version, architecture, a SHA-256.
awk '$1 == "package" && (NF != 5 || length($5) != 64 || $5 ~ /[^0-9a-f]/) {
    bad = 1 }
    END { exit bad }' "$MANIFEST" || fail "a malformed package line"

# --- 2. BIOS, rehearsal: a ceremony writes to a USB stick ---------------------

stick "$T/good.img" 64M KRMEDIA
stick "$T/locked.img" 16M LOCKED
stick "$T/full.img" 40M FULL
# Filled up to less than 1 MiB free (what keyrite calls full).
free=$(mdir -i "$T/full.img@@1M" ::/ |
    sed -n 's/^ *\([0-9 ]*[0-9]\) bytes free.*/\1/p' | tr -d ' ')
head -c $((free - 300000)) /dev/zero > "$T/filler"
mcopy -i "$T/full.img@@1M" "$T/filler" ::/filler.bin ||
    fail "filling the full stick"
truncate -s 8M "$T/blank.img"
sticks="-drive if=none,id=good,format=raw,file=$T/good.img"
sticks="$sticks -device usb-storage,bus=xhci.0,drive=good"
sticks="$sticks -drive if=none,id=locked,format=raw,readonly=on,file=$T/locked.img"
sticks="$sticks -device usb-storage,bus=xhci.0,drive=locked"
sticks="$sticks -drive if=none,id=full,format=raw,file=$T/full.img"
sticks="$sticks -device usb-storage,bus=xhci.0,drive=full,id=fullstick"
sticks="$sticks -drive if=none,id=blank,format=raw,file=$T/blank.img"
sticks="$sticks -device usb-storage,bus=xhci.0,drive=blank"

boot() { # boot bios|uefi real|rehearsal ARGS: boots, sets boot_s
	_t=$(now_s)
	vm_start "$1" "$ISO" "$3" || fail "qemu"
	vm_menu "$2" || fail "no GRUB menu ($1)"
	wait_for "CEREMONIES" || fail "no Home screen ($1, $2)"
	boot_s=$(elapsed "$_t" "$(now_s)")
}

home_checks() { # what Home must say on any boot
	wait_for "Self-tests +PASSED" || fail "self-tests"
	wait_for "Air gap +AIR-GAPPED" ||
	    fail "not air-gapped, although qemu's NIC has no driver"
	wait_for "Image +keyrite $VERSION, commit [0-9a-f]{12}," ||
	    fail "no identity on Home"
	wait_for "root $(echo "$ROOT_SHA" | cut -c1-12)( |$)" ||
	    fail "Home shows another root hash than the manifest's"
	wait_for " read-only" || fail "/ is not read-only"
}

boot bios rehearsal "$sticks"
bios_s=$boot_s
report "boot to Home, BIOS (SeaBIOS), TCG: $bios_s s"
home_checks
wait_for "REHEARSAL" || fail "not a rehearsal"
snap home-bios
cp "$T/home-bios.txt" "$OUT/home-bios.txt"

# The clock: a wrong time is refused, an hour ahead is set.
send t
wait_for "SET THE CLOCK" || fail "clock screen"
type "2026-02-30 10:00:00"
wait_for "Enter +set the clock" || fail "clock screen footer"
send Enter
wait_for "day 30: 2026-02 has 28 days" || fail "a bad date was taken"
send BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace \
    BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
clock=$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M:%S')
type "$clock"
send Enter
wait_for "Clock set from .* to $clock UTC" || fail "the clock was not set"
wait_for "Clock +set from" || fail "Home does not say the clock was set"

# Rehearsal cards, made in the guest's memory.
send c
wait_for "Made 5 rehearsal cards" || fail "rehearsal cards"
wait_for "Cards +5 present" || fail "the cards are not seen"

# The media screen: four sticks, each reported as it is.
media_select() { # media_select REGEX: move the selection to that row
	_k=0
	until screen | grep -Eq "^  > .*$1"; do
		_rows=$(screen | sed -n '/USB STICKS/,$p' | grep -E '^  [> ] ')
		_at=$(echo "$_rows" | grep -n '^  > ' | cut -d: -f1)
		_to=$(echo "$_rows" | grep -En "$1" | head -1 | cut -d: -f1)
		[ -n "$_to" ] || fail "no stick matching $1"
		if [ -z "$_at" ] || [ "$_at" -lt "$_to" ]; then
			send Down
			_at=$(( ${_at:-0} + 1 ))
		else
			send Up
			_at=$((_at - 1))
		fi
		# The move shows before the next key is sent.  A key can be
		# lost (a screen drops keys typed before it is ready, and one
		# run's Up after a pulled stick never arrived): if the
		# selection has not moved within 10 s, read the screen again
		# and send again.
		_next=$(echo "$_rows" | sed -n "${_at}p" | cut -c5-12)
		TUI_WAIT=10 wait_for "^  > $_next" >/dev/null ||
		    echo "media_select: no move to $_next; sending again"
		_k=$((_k + 1))
		[ $_k -lt 12 ] || fail "could not select $1"
	done
}
send m
wait_for "REMOVABLE MEDIA" "USB STICKS" "Enter +mount" || fail "media screen"
wait_for "KRMEDIA" "LOCKED" "FULL" "no filesystem: format it" ||
    fail "the four sticks are not listed as they are"
snap media-list
cp "$T/media-list.txt" "$OUT/"
media_select "LOCKED"
send Enter
wait_for "mounted READ-ONLY at /media/keyrite" || fail "read-only stick"
send u
wait_for "unmounted: it can be taken out" || fail "unmount read-only"
media_select "FULL "
send Enter
wait_for "is FULL: " || fail "full stick"
vm_monitor device_del fullstick >/dev/null
wait_for "PULLED OUT while mounted" || fail "a pulled stick was not seen"
send u
wait_for "pulled out while mounted: what was written since the last sync" ||
    fail "unmounting a pulled stick"
wait_for "Nothing is mounted at /media/keyrite" || fail "not cleared"
media_select "KRMEDIA"
send Enter
wait_for "is mounted at /media/keyrite: .* free" || fail "good stick"
send Escape
wait_for "USB stick +/dev/sd.1 \(vfat\) at /media/keyrite" ||
    fail "Home does not show the stick"

# root-ca-create 3-of-5, screen by screen as tests/integration/
# t-tui-create.sh drives it (15 steps; the results of steps 1, 2, 4, 5,
# 7, 8, 10-12 on screens of their own; the custodians co-sign at step 14
# and the paper record is made at step 15).  Home lists more ceremonies
# than 25 rows show: home_choose finds one off the screen by its name.
name() { echo "Carol One|Dan Two|Erin Three|Frank Four|Grace Five" |
    cut -d'|' -f"$1"; }
home_choose root-ca-create || fail "root-ca-create on Home"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "steps 1-3"
answer "Name of the ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" &&
    answer "Why is this ceremony held" "Appliance rehearsal" &&
    answer "What authorizes it" "IMAGE-TEST" || fail "roll call"
for i in 1 2 3 4 5; do
	answer "Name of custodian $i of 5" "$(name $i)" &&
	    pick_card "custodian-$i" || fail "custodian $i"
done
review_yes || fail "roll call review"
ackr 4 && ackr 5 && ack 6 || fail "steps 4-6"
fingerprint || fail "fingerprint"
ackr 7 && ackr 8 && ack 9 || fail "steps 7-9"
for i in 1 2 3 4 5; do
	card "custodian-$i" && pin "custodian-$i" "12340$i" &&
	    written "$(name $i)" || fail "card $i"
done
ackr 10 && ackr 11 && ackr 12 && ack 13 || fail "steps 10-13"
cosign 14 custodian-1:123401 custodian-2:123402 custodian-3:123403 \
    custodian-4:123404 custodian-5:123405 || fail "co-signing (step 14)"
ack 15 || fail "step 15 (print)"
wait_for "CEREMONY COMPLETE" || fail "root-ca-create did not complete"
snap create-summary
cp "$T/create-summary.txt" "$OUT/"
leave_summary || fail "back to Home"

# The recovery drill (11 steps) with three of the five cards, which
# co-sign its transcript at step 10.
home_choose key-recovery-drill || fail "drill on Home"
wait_for "^  previous +transcript-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}\.txt" ||
    fail "the drill does not offer the creation as the previous ceremony"
send End Enter
ackr 1 && ackr 2 && ack 3 || fail "drill steps 1-3"
answer "ceremony administrator" "Ada Administrator" &&
    answer "Name of witness 1" "Wendy Witness" &&
    answer "Name of witness 2" "" &&
    answer "Why is" "Appliance drill" &&
    answer "What authorizes" "IMAGE-TEST" || fail "drill roll call"
review_yes || fail "drill roll call review"
ack 4 && ack 5 || fail "drill steps 4-5"
wait_for "WITNESS Wendy Witness" "Type the LAST group" ||
    fail "the drill's fingerprint check"
fingerprint || fail "drill fingerprint"
ack 6 || fail "drill step 6"
for c in 5 2 4; do
	card "custodian-$c" && pin "custodian-$c" "12340$c" ||
	    fail "drill card $c"
done
wait_for "STEP 6 OF 11" "Quorum reached" || fail "no quorum on step 6"
result 6 && ackr 7 && ackr 8 && ack 9 || fail "drill steps 6-9"
cosign 10 custodian-5:123405 custodian-2:123402 custodian-4:123404 ||
    fail "drill co-signing (step 10)"
ack 11 || fail "drill step 11 (print)"
wait_for "CEREMONY COMPLETE" || fail "the drill did not complete"
snap drill-summary
cp "$T/drill-summary.txt" "$OUT/"
leave_summary || fail "back to Home after the drill"

# Unmount, as the administrator does at the end.
send m
wait_for "REMOVABLE MEDIA" || fail "media screen at the end"
send u
wait_for "unmounted: it can be taken out now" || fail "final unmount"
send Escape
wait_for "USB stick +none mounted" || fail "Home after unmounting"
vm_stop

# --- 3. the stick, read on the host -------------------------------------------

# The network interfaces in a transcript's air-gap inventory (JSON).
interfaces() {
	python3 - "$1" <<'EOF'
import json, sys, urllib.parse
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split(" ")
    if len(f) > 4 and f[2] == "airgap-check":
        for kv in f[4:]:
            if kv.startswith("inventory="):
                inv = json.loads(urllib.parse.unquote(kv[10:]))
                print(" ".join(i["name"] for i in inv["interfaces"]))
EOF
}

stick_ls "$T/good.img" > "$T/files"
mkdir "$T/out"
for f in $(cat "$T/files"); do
	stick_get "$T/good.img" "$f" "$T/out/$f" || fail "mcopy $f"
done
[ -s "$T/out/root-ca.pem" ] && [ -s "$T/out/root-ca.escrow" ] ||
    fail "no certificate or escrow on the stick: $(cat "$T/files")"
# The guest's clock was set an hour ahead: the certificate starts then.
openssl verify -x509_strict -check_ss_sig -attime "$(date -d '+2 hours' +%s)" \
    -CAfile "$T/out/root-ca.pem" "$T/out/root-ca.pem" >/dev/null ||
    fail "openssl verify"
nb=$(date -u -d "$(openssl x509 -in "$T/out/root-ca.pem" -noout -startdate |
    cut -d= -f2)" +%s)
set_s=$(date -u -d "$clock" +%s)
[ "$nb" -ge $((set_s - 300)) ] && [ "$nb" -le $((set_s + 3600)) ] ||
    fail "the certificate's notBefore is not after the clock set in the guest"
n=0
# Each ceremony leaves transcript-<id>.txt, its paper record
# transcript-<id>.pdf and the print log transcript-<id>.print.txt (no
# printer in the guest: not printed, the PDF is the paper record).
for tr in "$T"/out/transcript-*[0-9a-f].txt; do
	"$KEYRITE" verify "$tr" --cert "$T/out/root-ca.pem" >"$T/verify.out" ||
	    { cat "$T/verify.out"; fail "keyrite verify $(basename "$tr")"; }
	grep -q " machine engine .*image=keyrite-appliance" "$tr" ||
	    fail "no machine record in $(basename "$tr")"
	for fact in "image-version=$VERSION" "root-sha256=$ROOT_SHA" \
	    "root-read-only=yes" "root-fs=squashfs" "clock-set=yes" \
	    "clock-set-to=$(echo "$clock" | sed 's/ /%20/')"; do
		grep " machine engine " "$tr" | grep -q " $fact\( \|$\)" ||
		    fail "$(basename "$tr"): the machine record lacks $fact"
	done
	# The air-gap inventory: lo and nothing else.
	inv=$(grep " airgap-check engine " "$tr") ||
	    fail "no air-gap record in $(basename "$tr")"
	echo "$inv" | grep -q " air-gapped=yes " || fail "air-gapped=no"
	ifs=$(interfaces "$tr") || fail "the inventory cannot be read"
	[ "$ifs" = lo ] || fail "interfaces in the inventory: $ifs"
	# The paper record made in the guest, as its print log names it.
	plog=${tr%.txt}.print.txt
	pdf=${tr%.txt}.pdf
	[ -s "$plog" ] && [ -s "$pdf" ] ||
	    fail "no paper record or print log beside $(basename "$tr")"
	grep -qx "transcript-sha256: $(sha256sum "$tr" | cut -c1-64)" \
	    "$plog" && grep -qx "pdf: $(basename "$pdf")" "$plog" &&
	    grep -qx "pdf-sha256: $(sha256sum "$pdf" | cut -c1-64)" "$plog" ||
	    fail "$(basename "$plog") does not name the transcript and PDF"
	grep -qx "state: not-printed" "$plog" ||
	    fail "$(basename "$plog"): printed, with no printer in the guest"
	pages=$(pdfinfo "$pdf" | sed -n 's/^Pages: *//p')
	grep -qx "pages: $pages" "$plog" ||
	    fail "$(basename "$pdf"): pdfinfo says $pages pages, the log not"
	n=$((n + 1))
done
[ "$n" = 2 ] || fail "$n transcripts on the stick, not 2"
# Five custodians co-signed the creation and three the drill (keyrite
# verify has checked each co-signature against its card's bound key).
n=$(cat "$T"/out/transcript-*[0-9a-f].txt | grep -c '^cosignature: ')
[ "$n" = 8 ] || fail "$n co-signatures on the transcripts, not 5 + 3"
report "outputs on the virtual USB stick: $(tr '\n' ' ' < "$T/files")"
report "openssl verify and keyrite verify --cert: good"

# --- 4. UEFI, real ceremony entry: Home, then a USB network adapter -----------

boot uefi real ""
uefi_s=$boot_s
report "boot to Home, UEFI (OVMF), TCG: $uefi_s s"
home_checks
wait_for "REAL CEREMONY: keys made here are real" || fail "not real mode"
snap home-uefi
cp "$T/home-uefi.txt" "$OUT/home-uefi.txt"
vm_monitor device_add usb-net,bus=xhci.0,netdev=n1,id=usbnet >/dev/null
# Home checks the air gap again on r.  The guest sees the adapter only once
# its USB stack has enumerated it (seconds under TCG), so r is pressed
# until Home says so, each time waiting for the check to show.
n=0
until screen | grep -Eq "NOT AIR-GAPPED: .*USB"; do
	n=$((n + 1))
	[ $n -le 60 ] || fail "a USB network adapter was not detected"
	send r
	TUI_WAIT=3 wait_for "NOT AIR-GAPPED: .*USB" >/dev/null 2>&1 || :
done
report "USB network adapter (usb-net) detected after pressing r $n time(s)"
snap home-usbnet
cp "$T/home-usbnet.txt" "$OUT/home-usbnet.txt"
vm_stop

report "Home on the serial console (BIOS boot):"
sed 's/^/    |/' "$OUT/home-bios.txt" | tee -a "$OUT/report.txt"
report "all checks passed in $(elapsed "$start" "$(now_s)") s" \
    "(reproducible: $reproducible)"
[ "$reproducible" = yes ] || { echo "image-test: reproducibility not" \
    "checked: this run does not count"; exit 1; }
exit 0
