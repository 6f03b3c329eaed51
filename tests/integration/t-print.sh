#!/bin/sh
# Printing through a real CUPS queue: a private cupsd (its own socket,
# spool and logs under the test's directory, so nothing of the machine's
# CUPS is touched) with a cups-pdf queue, the printer that writes PDFs.
# keyrite print renders the paper record, writes it to the media and
# prints it on the default printer; the job is followed to "completed";
# the PDF cups-pdf writes holds the same text (pdftotext) and the same QR
# payloads (pdftoppm + zbarimg) as the media copy, although CUPS rewrote
# it (pdftops, Ghostscript).  A stopped queue (cupsdisable) is reported,
# exit 8, and nothing is queued; an unknown printer too; the PDF is on the
# media in every case.
set -u
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skip: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root to run cupsd and the cups-pdf backend"
for f in /usr/sbin/cupsd /usr/sbin/lpadmin /usr/lib/cups/backend/cups-pdf \
    /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd; do
	[ -e "$f" ] || skip "$f missing (make deps: cups, printer-driver-cups-pdf)"
done
T=$(mktemp -d)
Q="keyrite-test-$$"
# cups-pdf reads its per-queue settings from /etc/cups/cups-pdf-QUEUE.conf
# only: a file of this test's own name, removed at the end.
PDFCONF="/etc/cups/cups-pdf-$Q.conf"
cleanup() {
	[ -f "$T/cups/pid" ] && kill "$(cat "$T/cups/pid")" 2>/dev/null
	rm -f "$PDFCONF"
	rm -rf "$T"
}
trap cleanup EXIT
MK="$KR_TOP/$BUILD/helpers/mktranscript"

# A private cupsd.  Filters run as lp: the directories must let them in.
C="$T/cups"
mkdir -p "$C/spool" "$C/cache" "$C/state" "$C/log" "$C/tmp" "$C/out" \
    "$T/media" "$T/k"
chmod 755 "$T" "$C" "$C/out"
chmod 1777 "$C/tmp"
cat > "$C/cupsd.conf" <<EOF
Listen $C/cups.sock
LogLevel info
MaxLogSize 0
WebInterface No
Browsing No
ErrorPolicy stop-printer
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
cat > "$C/cups-files.conf" <<EOF
ServerRoot $C
RequestRoot $C/spool
CacheDir $C/cache
StateDir $C/state
TempDir $C/tmp
AccessLog $C/log/access_log
ErrorLog $C/log/error_log
PageLog $C/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
Sandboxing Relaxed
FileDevice Yes
EOF
/usr/sbin/cupsd -f -c "$C/cupsd.conf" -s "$C/cups-files.conf" \
    > "$C/log/stdout" 2>&1 &
echo $! > "$C/pid"
CUPS_SERVER="$C/cups.sock"; export CUPS_SERVER
i=0
until lpstat -r 2>/dev/null | grep -q "scheduler is running"; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$C/log/stdout"; fail "cupsd did not start"; }
	kill -0 "$(cat "$C/pid")" 2>/dev/null ||
	    { cat "$C/log/stdout"; fail "cupsd exited"; }
	sleep 0.05
done
printf 'Out %s\nLabel 2\nLog %s\n' "$C/out" "$C/log" > "$PDFCONF"
# pdftops (poppler) as the renderer keeps the text extractable.
lpadmin -p "$Q" -E -v "cups-pdf:/$Q" \
    -P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd \
    -o pdftops-renderer-default=pdftops 2>&1 | grep -v deprecated
lpadmin -d "$Q" || fail "lpadmin -d"
lpstat -p "$Q" | grep -q "enabled" || fail "queue $Q not enabled"

"$MK" long "$T/t.txt" ed25519 "$T/k" 40 || fail "mktranscript"
id=$(sed -n 's/^ceremony-id: //p' "$T/t.txt")

# The default printer: printed, followed to completion.
out=$("$KEYRITE" print "$T/t.txt" --media "$T/media" 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || { tail -20 "$C/log/error_log"; fail "print exit $rc"; }
echo "$out" | grep -q "^printer: $Q: job [0-9]* submitted (1 copy, [0-9]* pages)$" ||
    fail "no job line"
job=$(echo "$out" | sed -n "s/^printer: $Q: job \([0-9]*\) completed$/\1/p")
[ -n "$job" ] || fail "the job was not followed to completion"
lpstat -W completed -o "$Q" | grep -q "^$Q-$job " ||
    fail "CUPS does not list job $job as completed"
printed=$(ls "$C"/out/*.pdf 2>/dev/null | head -1)
[ -n "$printed" ] || fail "cups-pdf wrote nothing: $(tail "$C/log/error_log")"
MEDIA="$T/media/transcript-$id.pdf"
[ -f "$MEDIA" ] || fail "no PDF on the media"

# The same content: text, and QR payloads.
pdftotext -layout "$MEDIA" - | tr -s ' ' > "$T/a.txt"
pdftotext -layout "$printed" - | tr -s ' ' > "$T/b.txt"
[ -s "$T/b.txt" ] || fail "the printed PDF has no text"
diff "$T/a.txt" "$T/b.txt" || fail "the printed text differs"
mkdir "$T/ra" "$T/rb"
pdftoppm -r 150 -png "$MEDIA" "$T/ra/p" && pdftoppm -r 150 -png "$printed" \
    "$T/rb/p" || fail "pdftoppm"
zbarimg --nodbus -q --raw "$T"/ra/*.png 2>/dev/null | sort > "$T/qa.txt"
zbarimg --nodbus -q --raw "$T"/rb/*.png 2>/dev/null | sort > "$T/qb.txt"
[ "$(grep -c '^KRT1:' "$T/qa.txt")" -ge 1 ] || fail "no codes on the media copy"
cmp "$T/qa.txt" "$T/qb.txt" || fail "the printed QR codes differ"
"$KEYRITE" verify --scan "$printed" --out "$T/back.txt" >/dev/null ||
    fail "verify --scan of the printed PDF"
cmp "$T/back.txt" "$T/t.txt" || fail "the printed codes give other bytes"

# A reprint: the PDF on the media is the same, printed again.
out=$("$KEYRITE" print "$T/t.txt" --media "$T/media" --printer "$Q" 2>&1) ||
    fail "reprint: $out"
echo "$out" | grep -q "already on the media, identical" || fail "$out"
echo "$out" | grep -q "^printer: $Q: job [0-9]* completed$" || fail "$out"

# A ceremony's print-transcript step: the sealed, co-signed transcript is
# printed on the queue named with --printer and the job followed; the
# print log beside it says so; the PDF on the media and the printed one
# both give back the transcript's exact bytes.
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null ||
    fail "rehearsal-cards"
( . "$T/cards/env"
  { echo "operator.name = Ada Administrator"
    echo "witness.1.name = Wendy Witness"
    echo "confirm = yes"
    for i in 1 2 3 4 5; do echo "custodian.$i.name = C $i"
	echo "custodian.$i.card = custodian-$i"; echo "pin.custodian-$i = 12340$i"; done
  } > "$T/c.txt"
  mkdir "$T/cm"
  rm -f "$C"/out/*.pdf
  "$KEYRITE" run "$KR_TOP/ceremony-scripts/root-ca-create.ceremony" \
      --media "$T/cm" --answers "$T/c.txt" --rehearsal --printer "$Q" \
      --set copies=1 > "$T/c.out" 2>&1 ) || { cat "$T/c.out"; fail "ceremony"; }
cat "$T/c.out"
TRC=$(sed -n 's/^transcript: //p' "$T/c.out")
LOG=${TRC%.txt}.print.txt
grep -q "^printer: $Q$" "$LOG" && grep -q "^state: completed$" "$LOG" &&
    grep -q "^job: [0-9]*$" "$LOG" || { cat "$LOG"; fail "the print log"; }
grep -q "^transcript-sha256: $(sha256sum < "$TRC" | cut -c1-64)$" "$LOG" ||
    fail "the print log names another transcript"
grep -q "notice: printer $Q, job [0-9]*: printed" "$T/c.out" ||
    fail "the printing was not shown"
printed=$(ls "$C"/out/*.pdf 2>/dev/null | head -1)
[ -n "$printed" ] || fail "cups-pdf wrote nothing for the ceremony"
"$KEYRITE" verify --scan "$printed" --out "$T/cback.txt" > /dev/null ||
    fail "verify --scan of the ceremony's printed record"
cmp "$T/cback.txt" "$TRC" || fail "the printed codes give other bytes"
"$KEYRITE" verify --scan "${TRC%.txt}.pdf" --out "$T/cback2.txt" > /dev/null &&
    cmp "$T/cback2.txt" "$TRC" || fail "the PDF on the media gives other bytes"

# A stopped queue: said plainly, exit 8, nothing queued, PDF written.
cupsdisable "$Q" || fail "cupsdisable"
mkdir "$T/m2"
out=$("$KEYRITE" print "$T/t.txt" --media "$T/m2" 2>&1); rc=$?
echo "$out"
[ $rc = 8 ] || fail "stopped queue: exit $rc, want 8"
echo "$out" | grep -q "printer: not printed: printer $Q: its queue is stopped" ||
    fail "the stopped queue was not reported"
echo "$out" | grep -q "cupsenable $Q" || fail "no advice to start the queue"
[ -z "$(lpstat -o "$Q")" ] || fail "a job was queued on a stopped queue"
[ -f "$T/m2/transcript-$id.pdf" ] || fail "no PDF when the queue is stopped"
cupsenable "$Q"

# A queue that rejects jobs.
cupsreject "$Q"
mkdir "$T/m3"
out=$("$KEYRITE" print "$T/t.txt" --media "$T/m3" 2>&1); rc=$?
[ $rc = 8 ] && echo "$out" | grep -q "rejects jobs" ||
    fail "rejecting queue: exit $rc: $out"
cupsaccept "$Q"

# No such printer.
mkdir "$T/m4"
out=$("$KEYRITE" print "$T/t.txt" --media "$T/m4" --printer nosuch 2>&1); rc=$?
[ $rc = 8 ] && echo "$out" | grep -q "no printer named 'nosuch'" ||
    fail "unknown printer: exit $rc: $out"
[ -f "$T/m4/transcript-$id.pdf" ] || fail "no PDF for an unknown printer"
echo "print: all checks passed"
