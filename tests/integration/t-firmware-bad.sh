#!/bin/sh
# firmware-sign refuses bad input before any work (exit 7), with a clear
# message naming the image, the manifest line and what to do, with nothing
# written to the medium and no card touched: an image whose SHA-256
# differs (both hashes named), a missing image, a '..' or absolute path, a
# symbolic link out of the medium, a duplicate entry, an empty release, a
# non-PE file for Authenticode, a PE file with a truncated header or a
# malformed certificate table, one signed already, an existing output, a
# package of another key class, and (as root, on a small tmpfs) an image
# whose signed copy does not fit.
set -u
T=$(mktemp -d)
cleanup() { umount "$T/small" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$KR_TOP/tests/integration/lib-flip.sh"
fail() { echo "FAIL: $*"; exit 1; }
. "$KR_TOP/tests/integration/lib-firmware.sh"
fw_cards
fw_key "$T/k1"
fw_key "$T/k2" --set key_class=secure-boot --set key_type=rsa-2048 \
    --set name=sb

fw_hello_efi "$T/hello.efi"

cards_sum() {
	find "$T/cards" -type f -exec sha256sum {} + | sort | sha256sum
}

# medium NAME KEYDIR: a fresh medium with a key's package, certificate
# and creation transcript.
medium() {
	rm -rf "$T/$1"
	mkdir "$T/$1"
	cp "$2"/* "$T/$1/"
	C="$T/$1"
}

# refused NAME WANT [--set ...]: firmware-sign on $C exits 7 saying WANT
# (a fixed string), writes nothing, touches no card.
refused() {
	_n=$1 _w=$2
	shift 2
	_before=$(ls -A "$C" | sort)
	_cards=$(cards_sum)
	fw_sign "$C" "$_n.out" "$@"; _rc=$?
	[ $_rc = 7 ] || { cat "$T/$_n.out"; fail "$_n: exit $_rc, not 7"; }
	grep -q "^keyrite: run: refused before any work: " "$T/$_n.out" ||
	    { cat "$T/$_n.out"; fail "$_n: not refused before any work"; }
	grep -qF -- "$_w" "$T/$_n.out" ||
	    { cat "$T/$_n.out"; fail "$_n: does not say: $_w"; }
	[ "$(ls -A "$C" | sort)" = "$_before" ] ||
	    { ls -A "$C"; fail "$_n: wrote to the medium"; }
	[ "$(cards_sum)" = "$_cards" ] || fail "$_n: a card was touched"
	echo "ok: $_n"
}

three() {
	mkdir -p "$C/fw"
	head -c 4000 /dev/urandom > "$C/boot.bin"
	head -c 9000 /dev/urandom > "$C/fw/app.bin"
	head -c 70000 /dev/urandom > "$C/fw/data.img"
	fw_manifest "$C" "ACME 4.2.0" boot.bin fw/app.bin fw/data.img
}

medium mismatch "$T/k1"; three
want=$(sha256sum < "$C/fw/app.bin" | cut -d' ' -f1)
flip "$C/fw/app.bin" 5
got=$(sha256sum < "$C/fw/app.bin" | cut -d' ' -f1)
refused mismatch "fw/app.bin ($C/release.txt line 4): its SHA-256 is $got, but the manifest says $want: this is not the image the release team listed; nothing was signed"

medium missing "$T/k1"; three
rm "$C/fw/data.img"
refused missing "fw/data.img ($C/release.txt line 5) is missing: copy it onto the medium beside the manifest"

medium dotdot "$T/k1"; three
sed -i 's#image fw/app.bin#image fw/../fw/app.bin#' "$C/release.txt"
refused dotdot "$C/release.txt:4: the path fw/../fw/app.bin has a '..' component: an image path may not leave the directory the manifest is in"

medium absolute "$T/k1"; three
sed -i "s#image boot.bin#image $C/boot.bin#" "$C/release.txt"
refused absolute "$C/release.txt:3: the path $C/boot.bin is absolute: give it relative to the directory the manifest is in"

medium symlink "$T/k1"; three
head -c 9000 /dev/urandom > "$T/outside.bin"
rm "$C/fw/app.bin" && ln -s "$T/outside.bin" "$C/fw/app.bin"
fw_manifest "$C" "ACME 4.2.0" boot.bin fw/app.bin
refused symlink "fw/app.bin ($C/release.txt line 4): 'app.bin' is a symbolic link or not a directory"

medium duplicate "$T/k1"; three
sed -n 4p "$C/release.txt" >> "$C/release.txt"
refused duplicate "$C/release.txt:6: fw/app.bin is listed twice (first at line 4): list each image once"

medium samename "$T/k1"; three
cp "$C/boot.bin" "$C/fw/boot.bin"
fw_manifest "$C" "ACME 4.2.0" boot.bin fw/boot.bin
refused samename "$C/release.txt:4: fw/boot.bin has the same file name as boot.bin (line 3)"

medium empty "$T/k1"
printf 'keyrite-release 1\nname nothing\n' > "$C/release.txt"
refused empty "$C/release.txt: the release lists no image"

medium exists "$T/k1"; three
echo "an old signature" > "$C/app.bin.p7s"
refused exists "already there: $C/app.bin.p7s; keyrite never overwrites"

medium notpe "$T/k2"; three
refused notpe "boot.bin is not a PE/COFF image keyrite can sign with Authenticode: no DOS header (it does not start with 'MZ') ($C/release.txt line 3); a secure-boot key signs UEFI (PE/COFF) images only" \
    --set key_class=secure-boot --set name=sb

medium truncated "$T/k2"
head -c 300 "$T/hello.efi" > "$C/hello.efi"
fw_manifest "$C" "boot" hello.efi
refused truncated "hello.efi is not a PE/COFF image keyrite can sign with Authenticode: the optional header (240 bytes at 0x98) runs past the end of the file (300 bytes): the file is truncated" \
    --set key_class=secure-boot --set name=sb

# The Certificate Table entry (data directory 4 of a PE32+ header) names
# 16 bytes at the end of a file that has none.
medium badtable "$T/k2"
cp "$T/hello.efi" "$C/hello.efi"
lfanew=$(od -An -tu4 -j 60 -N 4 "$C/hello.efi" | tr -d ' ')
size=$(stat -c %s "$C/hello.efi")
printf "$(printf '\\%03o\\%03o\\%03o\\%03o\\020\\000\\000\\000' \
    $((size & 255)) $((size >> 8 & 255)) $((size >> 16 & 255)) \
    $((size >> 24 & 255)))" | dd of="$C/hello.efi" bs=1 \
    seek=$((lfanew + 24 + 112 + 32)) conv=notrunc 2>/dev/null
fw_manifest "$C" "boot" hello.efi
refused badtable "hello.efi is not a PE/COFF image keyrite can sign with Authenticode: the certificate table (offset $size, 16 bytes) is not where it must be" \
    --set key_class=secure-boot --set name=sb

# A signed image (signed by the ceremony itself) is refused as such.
medium signed "$T/k2"
cp "$T/hello.efi" "$C/hello.efi"
fw_manifest "$C" "boot" hello.efi
fw_sign "$C" signed-first.out --set key_class=secure-boot --set name=sb ||
    { cat "$T/signed-first.out"; fail "signing hello.efi"; }
medium signed2 "$T/k2"
cp "$T/signed/hello.efi.signed" "$C/hello.efi"
fw_manifest "$C" "boot" hello.efi
refused signed2 "hello.efi is signed already: it carries 1 Authenticode signature" \
    --set key_class=secure-boot --set name=sb

medium wrongclass "$T/k2"; cp "$T/hello.efi" "$C/"
fw_manifest "$C" "boot" hello.efi
refused wrongclass "sb.escrow holds a secure-boot key, but this ceremony is set up for key class firmware-signing: run it with --set key_class=secure-boot" \
    --set name=sb

if [ "$(id -u)" = 0 ] && mkdir "$T/small" &&
    mount -t tmpfs -o size=12m tmpfs "$T/small" 2>/dev/null; then
	# A UEFI image with 6 MiB of data after its sections: on a medium
	# of 12 MiB its signed copy, the transcript's reserve and the
	# signatures do not fit beside it.
	cp "$T/k2"/* "$T/small/"
	C="$T/small"
	{ cat "$T/hello.efi"; head -c 6291456 /dev/zero; } > "$C/big.efi"
	fw_manifest "$C" "big" big.efi
	refused nospace "media error: $C has " --set key_class=secure-boot \
	    --set name=sb
	grep -q "bytes free, but this ceremony needs [0-9]* bytes on every medium" \
	    "$T/nospace.out" || fail "nospace: the need is not said"
else
	echo "too-little-space case not run: needs root to mount a 12 MiB tmpfs"
fi
echo "t-firmware-bad: all checks passed"
