#!/bin/sh
# keyrite-paper, the paper helper (docs/architecture.md, "The paper
# helper"), from the outside:
#   - an installed layout (bin/keyrite, lib/keyrite/keyrite-paper) finds
#     it and renders; the helper gets no descriptor but 0, 1 and 2;
#   - without it, a ceremony that prints is refused before any work
#     (exit 7) naming both places looked at, with nothing written and no
#     card touched; keyrite print names it too;
#   - a helper that crashes, or answers with a malformed or short reply,
#     or with a PDF of another transcript, is reported as such, naming
#     keyrite-paper, and nothing is written;
#   - run by hand it says it is not a command.
# The fake helpers below stand in for a broken keyrite-paper only: the
# real one is what every other paper test runs.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
H=$(dirname "$KEYRITE")/keyrite-paper
MK="$KR_TOP/$BUILD/helpers/mktranscript"
S="$KR_TOP/ceremony-scripts"
CUPS_SERVER="$T/no-cups.sock"; export CUPS_SERVER
[ -x "$H" ] || fail "$H is missing"
mkdir "$T/k"
"$MK" long "$T/t.txt" ecdsa-p256 "$T/k" 20 > /dev/null || fail "mktranscript"

# --- installed layout -------------------------------------------------------
mkdir -p "$T/inst/bin" "$T/inst/lib/keyrite" "$T/m1"
cp "$KEYRITE" "$T/inst/bin/keyrite"
cp "$H" "$T/inst/lib/keyrite/keyrite-paper"
"$T/inst/bin/keyrite" print "$T/t.txt" --media "$T/m1" --pdf-only \
    > "$T/o1" 2>&1 || { cat "$T/o1"; fail "installed layout: print"; }
ls "$T/m1"/transcript-*.pdf > /dev/null 2>&1 || fail "installed: no PDF"

# Which descriptors the helper gets: a stand-in that lists them (with
# fstat, which opens none itself); keyrite holds 9 open for it to pass on.
mkdir -p "$T/fd/bin"
cp "$KEYRITE" "$T/fd/bin/keyrite"
command -v python3 > /dev/null || fail "python3 missing (make deps)"
cat > "$T/fd/bin/keyrite-paper" <<EOS
#!/usr/bin/python3
import os
fds = []
for fd in range(4096):
    try:
        os.fstat(fd)
        fds.append(str(fd))
    except OSError:
        pass
open("$T/fds", "w").write(" ".join(fds) + " ")
raise SystemExit(1)
EOS
chmod 755 "$T/fd/bin/keyrite-paper"
mkdir "$T/mfd"
"$T/fd/bin/keyrite" print "$T/t.txt" --media "$T/mfd" --pdf-only 9>/dev/null \
    > "$T/ofd" 2>&1 && fail "print with a helper that exits 1 succeeded"
[ "$(cat "$T/fds")" = "0 1 2 " ] ||
    fail "the helper got descriptors $(cat "$T/fds"), not 0 1 2"
grep -q "keyrite-paper .* exited with status 1" "$T/ofd" ||
    { cat "$T/ofd"; fail "an exit status of 1 not reported"; }

# --- missing ---------------------------------------------------------------
mkdir -p "$T/bare/bin" "$T/m2"
cp "$KEYRITE" "$T/bare/bin/keyrite"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
{
	echo "operator.name = Ada Administrator"
	echo "witness.1.name = Wendy Witness"
	echo "confirm = yes"
	for i in 1 2 3 4 5; do
		echo "pin.custodian-$i = 12340$i"
		echo "custodian.$i.name = Custodian $i"
		echo "custodian.$i.card = custodian-$i"
	done
} > "$T/a.txt"
cards_sum() { find "$T/cards" -type f | sort | xargs sha256sum; }
cards_sum > "$T/cards.before"
"$T/bare/bin/keyrite" run "$S/root-ca-create.ceremony" --media "$T/m2" \
    --answers "$T/a.txt" --rehearsal > "$T/o2" 2>&1; rc=$?
[ $rc = 7 ] || { cat "$T/o2"; fail "no helper: exit $rc, not 7"; }
grep -q "refused before any work" "$T/o2" || { cat "$T/o2"; fail "not refused"; }
grep -q "print-transcript" "$T/o2" || { cat "$T/o2"; fail "step not named"; }
grep -q "$T/bare/bin/keyrite-paper" "$T/o2" &&
    grep -q "$T/bare/bin/../lib/keyrite/keyrite-paper" "$T/o2" &&
    grep -q "reinstall" "$T/o2" ||
    { cat "$T/o2"; fail "no helper: both paths and what to do not named"; }
[ -z "$(ls -A "$T/m2")" ] || fail "no helper: wrote $(ls -A "$T/m2")"
cards_sum | cmp -s - "$T/cards.before" || fail "no helper: a card changed"
"$T/bare/bin/keyrite" print "$T/t.txt" --media "$T/m2" --pdf-only \
    > "$T/o3" 2>&1 && fail "print without the helper succeeded"
grep -q "keyrite-paper is missing" "$T/o3" || { cat "$T/o3"; fail "print: $(cat "$T/o3")"; }
[ -z "$(ls -A "$T/m2")" ] || fail "print without the helper wrote something"

# --- crashed, malformed, short -----------------------------------------------
broken() {	# broken NAME PROGRAM EXPECTED-PATTERN
	mkdir -p "$T/$1/bin" "$T/$1/m"
	cp "$KEYRITE" "$T/$1/bin/keyrite"
	printf '%s\n' "$2" > "$T/$1/bin/keyrite-paper"
	chmod 755 "$T/$1/bin/keyrite-paper"
	"$T/$1/bin/keyrite" print "$T/t.txt" --media "$T/$1/m" --pdf-only \
	    > "$T/$1/out" 2>&1 && fail "$1: print succeeded"
	grep -q "$3" "$T/$1/out" || { cat "$T/$1/out"; fail "$1: not reported"; }
	[ -z "$(ls -A "$T/$1/m")" ] || fail "$1: wrote $(ls -A "$T/$1/m")"
	# Scanning goes through the same helper.
	"$T/$1/bin/keyrite" verify --scan "$T/m1"/transcript-*.pdf \
	    > "$T/$1/vout" 2>&1 && fail "$1: verify --scan succeeded"
	grep -q "$3" "$T/$1/vout" ||
	    { cat "$T/$1/vout"; fail "$1: verify --scan: not reported"; }
}
# A stand-in that reads the whole request, then answers $1 and exits 0.
answer() {
	cat <<EOS
#!/usr/bin/python3
import os, sys
def take(n):
    b = b""
    while len(b) < n:
        c = os.read(0, n - len(b))
        if not c:
            raise SystemExit(0)
        b += c
    return b
def msg(*fields):
    body = b"".join(len(f).to_bytes(4, "big") + f for f in fields)
    return len(body).to_bytes(4, "big") + body
def u32(v):
    return v.to_bytes(4, "big")
take(int.from_bytes(take(4), "big"))
sys.stdout.buffer.write($1)
EOS
}
broken crash '#!/bin/sh
kill -SEGV $$' "keyrite-paper .*it crashed: killed by signal 11"
# What the helper writes on stderr never reaches keyrite's terminal (it
# would draw over the TUI); an error quotes its end, escaped, on one line.
broken noisy '#!/bin/sh
printf "(keyrite-paper:1): GLib-WARNING **: one\\n\\033[2Jcleared\\n" >&2
kill -SEGV $$' "keyrite-paper .*it crashed: killed by signal 11"
grep -qF "it said: (keyrite-paper:1): GLib-WARNING **: one " "$T/noisy/out" ||
    { cat "$T/noisy/out"; fail "noisy: its stderr is not quoted"; }
esc=$(printf '\033')
if grep -q "$esc" "$T/noisy/out" "$T/noisy/vout"; then
	fail "noisy: the helper's escape sequence reached keyrite's output"
fi
[ "$(grep -c "GLib-WARNING" "$T/noisy/out")" = 1 ] ||
    { cat "$T/noisy/out"; fail "noisy: stderr passed through as well"; }
broken garbage "$(answer 'b"garbage!"')" \
    "keyrite-paper .*gave no whole reply.*at most"
broken short "$(answer 'b"\0\0\0\10ok"')" \
    "keyrite-paper .*gave no whole reply.*cut short"
broken fields "$(answer 'b"\0\0\0\6\0\0\0\2ok"')" \
    "keyrite-paper .*sent a malformed reply"
broken code "$(answer 'b"\0\0\0\27\0\0\0\5error\0\0\0\4\0\0\0\5\0\0\0\2hi"')" \
    "keyrite-paper .*sent a malformed reply"
# A well-formed "ok" whose PDF names another transcript's SHA-256: keyrite
# checks what it can (the hash of what it sent, a PDF) and refuses it.
mkdir -p "$T/lie/bin" "$T/lie/m"
cp "$KEYRITE" "$T/lie/bin/keyrite"
answer 'msg(b"ok", u32(0), b"", b"%PDF-1.4 not this one", u32(1), u32(1),
    u32(0), u32(1), u32(10), bytes(8), b"x", bytes(32), u32(1),
    bytes(8))' > "$T/lie/bin/keyrite-paper"
chmod 755 "$T/lie/bin/keyrite-paper"
"$T/lie/bin/keyrite" print "$T/t.txt" --media "$T/lie/m" --pdf-only \
    > "$T/lie/out" 2>&1 && fail "lie: print succeeded"
grep -q "keyrite-paper: the PDF names another SHA-256" "$T/lie/out" ||
    { cat "$T/lie/out"; fail "lie: not reported"; }
[ -z "$(ls -A "$T/lie/m")" ] || fail "lie: wrote $(ls -A "$T/lie/m")"

# --- by hand -----------------------------------------------------------------
"$H" --help < /dev/null > "$T/o4" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "not a command" "$T/o4" ||
    { cat "$T/o4"; fail "keyrite-paper by hand: exit $rc"; }
echo "ok: installed layout, descriptors, missing, crashed, noisy, malformed, by hand"
