#!/bin/sh
# The paper record end to end, with outside tools only: a 300-record
# transcript renders to PDF (keyrite print); pdftotext finds on every page
# the ceremony id, "page n of m" and the file's SHA-256, the values
# decoded and escaped, and the sign-off block with the roll call; pdftoppm
# renders the pages at 150 and 100 dpi; zbarimg alone reads every code of
# the 150 dpi pages; ImageMagick rotates them 2 degrees, blurs them by a
# pixel, adds 5 % noise and saves them as JPEG quality 40, shuffled with
# one page twice, and `keyrite verify --scan --out` gives back the exact
# file at both resolutions; a missing page is named by its chunk numbers;
# codes of two transcripts are refused; the by-hand procedure of
# docs/transcript-format.md, extracted and run as written, restores the
# file too.  Plus: never overwrite, bad and unsealed transcripts, no
# printer.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
MK="$KR_TOP/$BUILD/helpers/mktranscript"
DOC="$KR_TOP/docs/transcript-format.md"
for tool in pdftoppm pdftotext pdfinfo zbarimg convert gzip basenc; do
	command -v $tool >/dev/null ||
	    { echo "skip: $tool is not installed (make deps)"; exit 77; }
done
# No CUPS here: print must say so, never print by accident.
CUPS_SERVER="$T/no-cups.sock"; export CUPS_SERVER

# The by-hand scripts, byte for byte as the doc shows them.
block() {	# block NAME: the ```sh block after <!-- NAME
	sed -n "/^<!-- $1/,/^\`\`\`\$/p" "$DOC" | sed '1,2d;$d'
}
block read-paper.sh > "$T/read-paper.sh"
block check-transcript.sh > "$T/check-transcript.sh"
head -1 "$T/read-paper.sh" | grep -q '^#!/bin/sh$' ||
    fail "no read-paper.sh block in $DOC"

mkdir "$T/k" "$T/media"
"$MK" long "$T/t.txt" ecdsa-p384 "$T/k" 300 || fail "mktranscript long"
sha=$(sha256sum < "$T/t.txt" | cut -c1-64)

# --- rendering ------------------------------------------------------------
out=$("$KEYRITE" print "$T/t.txt" --media "$T/media" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "print exit $rc"
id=$(sed -n 's/^ceremony-id: //p' "$T/t.txt")
PDF="$T/media/transcript-$id.pdf"
echo "$out" | grep -q "^pdf: $PDF$" || fail "no 'pdf: $PDF' line"
echo "$out" | grep -q "^printer: none" || fail "no printer was not said"
pages=$(echo "$out" | sed -n 's/^  \([0-9]*\) pages (A4).*/\1/p')
codes=$(echo "$out" | sed -n 's/.* (\([0-9]*\) codes, version 20.*/\1/p')
rpages=$(echo "$out" | sed -n 's/.*(A4): \([0-9]*\) of records.*/\1/p')
[ -n "$pages" ] && [ -n "$codes" ] && [ -n "$rpages" ] ||
    fail "page or code counts not shown"
pdfinfo "$PDF" > "$T/info" || fail "pdfinfo"
grep -q "^Pages: *$pages$" "$T/info" || fail "pdfinfo pages: $(cat "$T/info")"
grep -q "^Page size: *595.* x 841.* pts (A4)" "$T/info" || fail "not A4"

# Every page: the ceremony id, page n of m, the SHA-256 in groups.
gsha=$(echo "$sha" | sed 's/..../& /g; s/ $//')
n=1
while [ $n -le "$pages" ]; do
	pdftotext -f $n -l $n -layout "$PDF" "$T/p.txt" || fail "pdftotext $n"
	grep -q "keyrite transcript *$id" "$T/p.txt" || fail "page $n: no id"
	grep -q "page $n of $pages" "$T/p.txt" || fail "page $n: no n of m"
	grep -qF "$gsha" "$T/p.txt" || fail "page $n: no SHA-256"
	n=$((n + 1))
done
pdftotext -layout "$PDF" "$T/all.txt"
# Decoded for people, escaped where not printable, never percent-encoded.
grep -q "Zoë Ünicöde" "$T/all.txt" || fail "UTF-8 names not decoded"
grep -qF 'Custodian \u{202E}3 (bidi)' "$T/all.txt" ||
    fail "a bidirectional override was not escaped"
grep -qF 'line one\nline two' "$T/all.txt" || fail "newline not escaped"
grep -qF 'custodian-2 (serial 0000abcd00001002)' "$T/all.txt" ||
    fail "value not decoded"
pdftotext -l "$rpages" -layout "$PDF" - | grep -q '%20\|%C3\|%0A' &&
    fail "percent-encoding shown in the records"
grep -q "a-rather-long-fact-key-that-needs-its-own-line" "$T/all.txt" ||
    fail "a long key was lost"
# The sign-off: every person of the roll call, a line to sign and a date.
for who in "Administrator *Ada Administrator" "Witness 1 *Wendy Witness" \
    "Witness 2 *Zoë" "Custodian 1 *Custodian Number 1" \
    "Custodian 2 *Custodian Number 2" "Custodian 3 *Custodian"; do
	grep -q "$who" "$T/all.txt" || fail "sign-off: no '$who'"
done
[ "$(grep -c "Signature .*Date" "$T/all.txt")" = 6 ] ||
    fail "sign-off: not six signature lines"
grep -q "Final chain value" "$T/all.txt" || fail "no seal"

# Reproducible, and never overwritten: the same bytes are fine.
out=$("$KEYRITE" print "$T/t.txt" --media "$T/media" --pdf-only) ||
    fail "reprint: exit $?"
echo "$out" | grep -q "already on the media, identical" ||
    fail "reprint not recognised: $out"
cp "$PDF" "$T/pdf.orig"; mkdir "$T/m2"
printf 'not the PDF' > "$T/m2/transcript-$id.pdf"
"$KEYRITE" print "$T/t.txt" --media "$T/m2" --pdf-only 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "exists and differs" "$T/err" ||
    fail "a different file was not refused: exit $rc: $(cat "$T/err")"
[ "$(cat "$T/m2/transcript-$id.pdf")" = "not the PDF" ] || fail "overwrote"
"$KEYRITE" print "$T/t.txt" --media "$T/m2" --pdf-only --paper letter \
    >/dev/null 2>&1 && fail "letter over an existing name"
mkdir "$T/m3"
"$KEYRITE" print "$T/t.txt" --media "$T/m3" --pdf-only --paper letter |
    grep -q "pages (Letter).*version 18" || fail "letter"
pdfinfo "$T/m3/transcript-$id.pdf" | grep -q "612 x 792 pts (letter)" ||
    fail "not Letter"

# --- scanning --------------------------------------------------------------
mkdir "$T/r150" "$T/r100"
pdftoppm -r 150 -png "$PDF" "$T/r150/p" || fail "pdftoppm 150"
pdftoppm -r 100 -png "$PDF" "$T/r100/p" || fail "pdftoppm 100"
[ "$(ls "$T/r150" | wc -l)" = "$pages" ] || fail "150 dpi pages"

# zbarimg alone reads every code of the 150 dpi pages.
zbarimg --nodbus -q --raw "$T"/r150/*.png 2>/dev/null | grep '^KRT1:' |
    sort -u > "$T/zbar.txt"
[ "$(wc -l < "$T/zbar.txt")" = "$codes" ] ||
    fail "zbarimg read $(wc -l < "$T/zbar.txt") of $codes codes"

# The seal from the seal page alone, as docs/auditor-guide.md does it.
last2=$(ls "$T"/r150/*.png | tail -n 2)	# the seal and sign-off pages
zbarimg --nodbus -q --raw $last2 2>/dev/null > "$T/lines.txt"
sed -n 's/^signer-public-key: //p' "$T/lines.txt" | base64 -d > "$T/pub.der"
sed -n 's/^signature: //p' "$T/lines.txt" | base64 -d > "$T/sig.der"
[ "$(sha256sum < "$T/pub.der" | cut -c1-64)" = \
    "$(sed -n 's/^signer-key-id: //p' "$T/t.txt")" ] ||
    fail "seal page: the key's QR code is not the signer's key"
final=$(grep " sealed keyrite " "$T/t.txt" | sed 's/.* chain=//')
printf 'keyrite-transcript-seal %s %s\n' "$id" "$final" > "$T/msg"
openssl pkey -pubin -inform DER -in "$T/pub.der" -out "$T/pub.pem" &&
    openssl dgst -sha384 -verify "$T/pub.pem" -signature "$T/sig.der" \
    "$T/msg" || fail "seal page: the signature does not verify"
grep -q "$(echo "$final" | sed 's/..../& /g; s/ $//')" "$T/all.txt" ||
    fail "the final chain value is not printed in groups"

scan() {	# scan NAME FILES...: verify --scan --out, must be the file
	name=$1; shift
	out=$("$KEYRITE" verify --scan "$@" --out "$T/$name.txt" 2>&1); rc=$?
	echo "$out" | grep "^scan:\|^result"
	[ $rc = 0 ] || { echo "$out"; fail "$name: verify --scan exit $rc"; }
	echo "$out" | grep -q "^scan: $codes of $codes chunks" ||
	    fail "$name: not every chunk"
	echo "$out" | grep -q "^result: good" || fail "$name: not good"
	cmp "$T/$name.txt" "$T/t.txt" || fail "$name: bytes differ"
}
scan pdf "$PDF"
scan png150 "$T"/r150/*.png

# Degraded like a poor scan: grey, turned 2 degrees, blurred by a pixel,
# noise of 5 % of full scale (a fixed seed: a failure can be replayed;
# 40 seeds all read back, see the note), JPEG quality 40.
degrade() {	# degrade DIR: the pages of DIR that carry codes into DIR/d/
	mkdir "$1/d"
	# The record pages carry no code: the first one stands for them
	# (a scanner sees every page), the rest are not degraded, to keep
	# the test's time in check.
	for f in $(ls "$1"/*.png | sed -n "1p;$((rpages + 1)),\$p"); do
		convert "$f" -seed 7 -colorspace gray -background white -rotate 2 \
		    -gaussian-blur 0x1 -attenuate 0.65 +noise Gaussian \
		    -quality 40 "$1/d/$(basename "$f" .png).jpg" ||
		    fail "convert $f"
	done
}
for dpi in 150 100; do
	degrade "$T/r$dpi"
	# Shuffled, with one QR page twice.
	set -- $(ls "$T/r$dpi/d"/*.jpg | awk 'BEGIN { srand(7) }
	    { print rand() "\t" $0 }' | sort | cut -f2)
	twice=$(ls "$T/r$dpi/d"/*.jpg | sed -n 2p)	# the first page of codes
	scan "d$dpi" "$@" "$twice"
done

# One QR page missing: its chunk numbers are named.
first=3		# in d/: page 1, the first page of codes, the second
lo=$((6 + 1)); hi=$((6 + 6))
set -- $(ls "$T"/r150/d/*.jpg | sed "${first}d")
out=$("$KEYRITE" verify --scan "$@" 2>&1); rc=$?
echo "$out" | tail -2
[ $rc = 1 ] || fail "a missing page: exit $rc, want 1"
echo "$out" | grep -q "chunks $lo-$hi of $codes are missing" ||
    fail "the missing chunks $lo-$hi were not named: $out"

# Codes of two transcripts: refused, naming the file.
mkdir "$T/k2" "$T/o"
"$MK" long "$T/t2.txt" ed25519 "$T/k2" 30 || fail "mktranscript (other)"
"$KEYRITE" print "$T/t2.txt" --media "$T/o" --pdf-only >/dev/null ||
    fail "print other"
out=$("$KEYRITE" verify --scan "$T"/r150/*.png "$T"/o/*.pdf 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "more than one transcript.*o/transcript-" ||
    fail "two transcripts mixed: exit $rc: $out"

# Not a scan at all.
out=$("$KEYRITE" verify --scan "$T/t.txt" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "not a PNG, JPEG, PNM or PDF" ||
    fail "a text file: exit $rc: $out"
"$KEYRITE" verify --scan 2>/dev/null; [ $? = 2 ] || fail "--scan alone"
"$KEYRITE" verify "$T/t.txt" --out "$T/x" 2>/dev/null; [ $? = 2 ] ||
    fail "--out without --scan"

# --- by hand, as the doc says ----------------------------------------------
(cd "$T" && sh read-paper.sh "$T/hand.txt" "$T"/r150/*.png) > "$T/hand.out"; rc=$?
cat "$T/hand.out"
[ $rc = 0 ] || fail "read-paper.sh: exit $rc"
cmp "$T/hand.txt" "$T/t.txt" || fail "by hand: bytes differ"
grep -q "^sha256: $sha$" "$T/hand.out" || fail "by hand: sha256"
[ "$(sh "$T/check-transcript.sh" "$T/hand.txt" | tail -1)" = OK ] ||
    fail "check-transcript.sh on the paper copy"
set -- $(ls "$T"/r150/*.png | sed "$((rpages + 2))d")	# the same page
out=$(sh "$T/read-paper.sh" "$T/hand2.txt" "$@"); rc=$?
[ $rc = 1 ] || fail "by hand, a page missing: exit $rc"
k=$lo
while [ $k -le $hi ]; do
	echo "$out" | grep -q "^BAD: chunk $k of $codes missing$" ||
	    fail "by hand: chunk $k not named: $out"
	k=$((k + 1))
done

# --- refusals ----------------------------------------------------------------
cp "$T/t.txt" "$T/bad.txt"
printf 'X' | dd of="$T/bad.txt" bs=1 seek=2000 conv=notrunc 2>/dev/null
mkdir "$T/m4"
out=$("$KEYRITE" print "$T/bad.txt" --media "$T/m4" 2>&1); rc=$?
[ $rc = 5 ] && echo "$out" | grep -q "result: BAD: not printed" ||
    fail "an altered transcript: exit $rc: $out"
[ -z "$(ls "$T/m4")" ] || fail "a PDF was written for a bad transcript"
"$MK" kill "$T/u.txt" 9 >/dev/null
"$KEYRITE" print "$T/u.txt" --media "$T/m4" >/dev/null 2>&1; rc=$?
[ $rc = 5 ] || fail "unsealed without --allow-unsealed: exit $rc"
out=$("$KEYRITE" print "$T/u.txt" --media "$T/m4" --allow-unsealed); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "NOT SEALED" || fail "unsealed: $out"
upages=$(pdfinfo "$T"/m4/*.pdf | sed -n 's/^Pages: *//p')
[ "$(pdftotext -layout "$T"/m4/*.pdf - | grep -c "NOT SEALED")" -ge "$upages" ] ||
    fail "not every page of the unsealed record says NOT SEALED"
"$KEYRITE" print "$T/t.txt" --paper a5 2>/dev/null; [ $? = 2 ] ||
    fail "--paper a5"
"$KEYRITE" print "$T/t.txt" --copies 0 2>/dev/null; [ $? = 2 ] ||
    fail "--copies 0"
"$KEYRITE" print --help | grep -q -- "--printer NAME" || fail "--help"
echo "paper: all checks passed"
