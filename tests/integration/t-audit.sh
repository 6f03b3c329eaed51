#!/bin/sh
# keyrite audit over a generated archive (issue 17).
#
# The archive is made here with the real binary and rehearsal cards: four
# root keys (A, B, C, D) and 53 ceremonies run over three and a half
# years under faketime (libfaketime: the transcripts' own clock), chained
# with --previous, with these defects made on purpose:
#   1. a missing transcript in the chain (one of A's drills removed);
#   2. a forked chain (two drills of C name the same previous ceremony);
#   3. a tampered record (one byte of A's last drill changed);
#   4. an unsealed transcript (a drill of C with two cards of three);
#   5. a recovery without an authorization reference (a drill of C);
#   6. an overdue drill (B is not drilled after 2025-10; judged at
#      2027-06-01 with --at);
#   7. a key past its cryptoperiod (D, made under a policy of 400 days);
#   8. a missing co-signature (a drill of A where custodian-3 skips).
# `keyrite audit` must report exactly those eight, no others, each citing
# a file and record that exist and hold what is cited; the JSON must
# validate against docs/audit-report.schema.json (python3-jsonschema);
# the HTML must be self-contained and open in headless Chromium, whose
# screenshot must show the timeline's marks.  Then: --key, --from/--to,
# --scan (a paper record that agrees with its file), never overwriting.
#
# KR_AUDIT_KEEP=DIR keeps the archive there (and reuses it if present).
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
LOGS="$KR_TOP/$BUILD/test-logs"
mkdir -p "$LOGS"
command -v faketime > /dev/null || fail "faketime is missing (make deps)"
# faketime preloads libfaketime, which then comes before ASan's runtime
# in the library list; it only wraps the clock, so under SAN=1 let the
# ASan build run (as t-hotplug does with umockdev's preload).
ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS
AT=2027-06-01

ARCH=${KR_AUDIT_KEEP:-$T/archive}
if [ ! -d "$ARCH/A" ]; then
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 > /dev/null || fail "cards"
. "$T/cards/env"
mkdir -p "$ARCH/A" "$ARCH/B" "$ARCH/C" "$ARCH/D" "$ARCH/policies"
cp "$S/policy.conf" "$ARCH/policies/policy.conf"
# A policy whose root keys live 400 days: key D is made under it.
awk '/^\[/ { s = $0 } /^name = / { $0 = "name = short-term" }
    s == "[root-ca]" && /^cryptoperiod-days/ { $0 = "cryptoperiod-days = 400" }
    { print }' "$S/policy.conf" > "$ARCH/policies/short-term.conf"
pins() { for i in 1 2 3 4 5; do echo "pin.custodian-$i = 12340$i"; done; }
{ cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	witness.2.name = Walter Witness
	ceremony.reason = New root key
	ceremony.authorization = CHG-2024-0001
	confirm = yes
	EOA
  for i in 1 2 3 4 5; do echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"; done; pins; } > "$T/create.txt"
drill_answers() { # drill_answers CARDS [AUTH] [extra line]
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = Scheduled recovery drill
	confirm = yes
	recover.cards = $1
	EOA
	[ -n "${2:-}" ] && echo "ceremony.authorization = $2"
	[ -n "${3:-}" ] && echo "$3"
	pins
}
PREV=""
N=0
EXPECT_FAIL=0
# run DATE SCRIPT KEY ANSWERS [args]: one ceremony at DATE on KEY's media,
# chained to $PREV; sets LAST (its transcript) and, if sealed, PREV.
run() {
	d=$1 script=$2 key=$3 ans=$4; shift 4
	N=$((N + 1))
	faketime "$d" "$KEYRITE" run "$S/$script.ceremony" --media "$ARCH/$key" \
	    --answers "$ans" --rehearsal ${PREV:+--previous "$PREV"} "$@" \
	    > "$T/run.out" 2>&1
	rc=$?
	LAST=$(sed -n 's/^transcript: \([^ ]*\).*/\1/p' "$T/run.out")
	[ -f "$LAST" ] || { cat "$T/run.out"; fail "ceremony $N ($d $script $key)"; }
	[ $rc = 0 ] || [ "${EXPECT_FAIL:-}" = 1 ] ||
	    { cat "$T/run.out"; fail "ceremony $N ($d $script $key): exit $rc"; }
	PREV=$LAST
}
drill() { # drill DATE KEY [CARDS] [AUTH] [extra]
	drill_answers "${3:-custodian-1, custodian-3, custodian-5}" \
	    "${4-CHG-${1%%-*}-DRILL}" "${5:-}" > "$T/drill.txt"
	run "$1 10:00:00" key-recovery-drill "$2" "$T/drill.txt"
}
run "2024-01-10 10:00:00" root-ca-create A "$T/create.txt"
run "2024-01-20 10:00:00" root-ca-create B "$T/create.txt" \
    --set key_type=ecdsa-p521
run "2024-02-01 10:00:00" root-ca-create C "$T/create.txt"
drill 2024-03-05 A; drill 2024-04-05 B; drill 2024-05-05 C
drill 2024-06-05 A; drill 2024-07-05 B; drill 2024-08-05 C; GAP=$LAST
drill 2024-09-05 A
drill 2024-10-05 B; drill 2024-11-05 C; drill 2024-12-05 A
run "2025-01-15 10:00:00" root-ca-create D "$T/create.txt" \
    --policy "$ARCH/policies/short-term.conf"
drill 2025-01-25 A; drill 2025-02-05 B; drill 2025-03-05 C
drill 2025-03-20 D
drill 2025-04-05 A; drill 2025-05-05 B
drill 2025-06-05 C; FORKED=$PREV
drill 2025-06-10 D; MAIN=$PREV
PREV=$FORKED; drill 2025-06-12 C; BRANCH=$LAST; PREV=$MAIN
drill 2025-07-05 A; drill 2025-08-05 B; drill 2025-09-05 C
drill 2025-09-20 D; drill 2025-10-05 B; drill 2025-11-05 A
drill 2025-12-05 C; drill 2025-12-20 D; drill 2026-01-05 A
drill 2026-02-10 D
EXPECT_FAIL=1
drill 2026-03-10 C "custodian-1, custodian-3"; UNSEALED=$LAST
EXPECT_FAIL=0
PREV=$UNSEALED
drill 2026-03-11 C; drill 2026-03-20 D
drill 2026-04-05 A "custodian-2, custodian-3, custodian-4" CHG-2026-DRILL \
    "cosign.custodian-3 = skip"; SKIPPED=$LAST
drill 2026-05-05 C; drill 2026-06-20 D; drill 2026-07-05 A
drill 2026-08-05 C; drill 2026-09-10 C "" ""; NOAUTH=$LAST
drill 2026-09-20 D; drill 2026-10-05 A; drill 2026-11-05 C
drill 2026-12-05 A
drill 2026-12-20 D; drill 2027-01-05 A; drill 2027-02-05 C
drill 2027-03-05 A; drill 2027-04-05 D; drill 2027-05-05 C
drill 2027-05-20 A; TAMPERED=$LAST
grep -q '^ceremony.authorization' "$T/drill.txt" || fail "answers"
grep -q " roll-call administrator .* authorization=rehearsal " "$NOAUTH" ||
    fail "the drill without an authorization did not record the placeholder"
grep -q "^cosignature-missing: custodian-3 [0-9a-f]* skipped$" "$SKIPPED" ||
    fail "custodian-3 did not skip"
tail -1 "$UNSEALED" | grep -q " ceremony-failed " || fail "no failed drill"
# Defects made after the fact: a transcript removed, a record altered.
GAPSHA=$(sha256sum < "$GAP" | cut -c1-64)
rm -f "$GAP" "${GAP%.txt}.pdf" "${GAP%.txt}.print.txt"
sed -i 's/ witness.1=Wendy%20Witness / witness.1=Wendy%20Witnesz /' "$TAMPERED"
grep -q 'Witnesz' "$TAMPERED" || fail "tampering"
echo "ceremonies: $N run, $(ls "$ARCH"/*/transcript-*.txt | grep -vc "[.]print[.]txt$") in the archive"
{ echo "GAP=$GAP"; echo "GAPSHA=$GAPSHA"; echo "BRANCH=$BRANCH"; echo "FORKED=$FORKED"
  echo "UNSEALED=$UNSEALED"; echo "SKIPPED=$SKIPPED"; echo "NOAUTH=$NOAUTH"
  echo "TAMPERED=$TAMPERED"; } > "$ARCH/defects"
fi
. "$ARCH/defects"
[ "$(ls "$ARCH"/*/transcript-*.txt | grep -vc "[.]print[.]txt$")" -ge 50 ] || fail "fewer than 50 transcripts"

# --- the audit ---------------------------------------------------------------
start=$(date +%s%N)
"$KEYRITE" audit "$ARCH" --at "$AT" --json "$T/report.json" \
    --html "$T/report.html" > "$T/audit.out" 2> "$T/audit.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cp "$T/audit.out" "$LOGS/audit-report.txt"
[ $rc = 10 ] || { cat "$T/audit.out" "$T/audit.err"; fail "audit: exit $rc, want 10"; }
[ -s "$T/report.json" ] && [ -s "$T/report.html" ] || fail "no JSON or HTML"
cp "$T/report.json" "$LOGS/audit-report.json"
cp "$T/report.html" "$LOGS/audit-report.html"
echo "audit: $(grep -c '' "$T/audit.out") lines in ${ms} ms"
sed -n '/^FINDINGS/,/^CHAIN/p' "$T/audit.out" | sed '$d'

# Exactly the eight findings, each where it belongs.
python3 - "$T/report.json" "$ARCH" "$GAPSHA" "$BRANCH" "$TAMPERED" "$UNSEALED" \
    "$NOAUTH" "$SKIPPED" <<'EOF' || fail "findings"
import json, os, re, sys
rep, arch, gap, branch, tampered, unsealed, noauth, skipped = sys.argv[1:]
r = json.load(open(rep))
got = sorted((f["code"], f["severity"]) for f in r["findings"])
want = sorted([("chain-gap", "high"), ("chain-fork", "high"),
    ("transcript-bad", "high"), ("transcript-unsealed", "medium"),
    ("recovery-unauthorized", "high"), ("drill-overdue", "medium"),
    ("cryptoperiod-ended", "high"), ("cosignature-missing", "medium")])
if got != want:
    sys.exit("findings %s, want %s" % (got, want))
f = {x["code"]: x for x in r["findings"]}
def cid(path):
    return re.search(r"transcript-(.*)\.txt$", path).group(1)
keys = {}
for k in r["keys"]:
    c = k["created"]
    keys[os.path.basename(os.path.dirname(c["ref"]["file"]))] = k["key_id"]
assert len(keys) == 4, keys
checks = [
    ("transcript-bad", f["transcript-bad"]["at"]["file"] == tampered),
    ("transcript-unsealed", f["transcript-unsealed"]["at"]["file"] == unsealed
        and f["transcript-unsealed"]["ceremony_id"] == cid(unsealed)),
    ("recovery-unauthorized", f["recovery-unauthorized"]["at"]["file"] == noauth),
    ("cosignature-missing", f["cosignature-missing"]["at"]["file"] == skipped
        and "custodian-3" in f["cosignature-missing"]["text"]),
    ("chain-fork", f["chain-fork"]["at"]["file"] == branch),
    ("chain-gap", gap in f["chain-gap"]["text"]
        and "/A/" in f["chain-gap"]["at"]["file"]),
    ("drill-overdue", f["drill-overdue"]["key_id"] == keys["B"]),
    ("cryptoperiod-ended", f["cryptoperiod-ended"]["key_id"] == keys["D"]),
]
bad = [n for n, ok in checks if not ok]
if bad:
    sys.exit("misplaced: %s" % bad)
# The gap: the transcript that names the removed one.
import hashlib
s = r["summary"]
print("transcripts %d: %d good, %d incomplete, %d unsealed, %d bad; keys %d"
    % (s["transcripts"], s["good"], s["incomplete"], s["unsealed"],
       s["bad"], s["keys"]))
assert s["transcripts"] >= 50 and s["bad"] == 1 and s["unsealed"] == 1
assert s["incomplete"] == 1 and s["keys"] == 4
# Every reference names a file that exists; a record reference names a
# record that is there (line 11 + N starts "N ").
n = 0
def walk(o):
    global n
    if isinstance(o, dict):
        if set(o) == {"file", "record", "text"}:
            n += 1
            assert os.path.isfile(o["file"]), o
            if o["record"] is not None:
                lines = open(o["file"]).read().split("\n")
                line = lines[10 + o["record"]]
                assert line.startswith("%d " % o["record"]), (o, line[:40])
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(r)
print("references checked: %d" % n)
EOF
echo "ok 1 - exactly the 8 deliberate findings, each in its place; exit 10"

# The JSON validates against the documented schema.
python3 - "$KR_TOP/docs/audit-report.schema.json" "$T/report.json" <<'EOF' ||
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
errors = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]:
    print("schema:", list(e.absolute_path), e.message[:200])
sys.exit(1 if errors else 0)
EOF
    fail "the JSON does not validate against docs/audit-report.schema.json"
# ... and the schema rejects a report that breaks it.
python3 - "$KR_TOP/docs/audit-report.schema.json" "$T/report.json" <<'EOF' ||
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
r["findings"][0]["severity"] = "critical"
try:
    jsonschema.validate(r, schema, cls=jsonschema.Draft202012Validator)
except jsonschema.ValidationError:
    sys.exit(0)
sys.exit(1)
EOF
    fail "the schema accepts an unknown severity"
echo "ok 2 - the JSON validates against its schema (and a broken one does not)"

# Every line of the terminal report that cites, cites a file of the archive.
grep -o '\[[^]]* record [0-9]*\]' "$T/audit.out" | sed 's/^\[\(.*\) record [0-9]*\]$/\1/' |
    sort -u | while read -r f; do [ -f "$f" ] || echo "$f"; done > "$T/nofile"
[ ! -s "$T/nofile" ] || { cat "$T/nofile"; fail "cited files that do not exist"; }
grep -q "^  mode          rehearsal" "$T/audit.out" || fail "mode"
grep -q "judged at $AT" "$T/audit.out" || fail "judged-at date not shown"
echo "ok 3 - the terminal report cites files that exist and says when it judged"

# --key: B alone has one finding (medium): exit 0.
KB=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
print([k["key_id"] for k in r["keys"] if "/B/" in k["created"]["ref"]["file"]][0])' "$T/report.json")
"$KEYRITE" audit "$ARCH" --at "$AT" --key "$(echo "$KB" | cut -c1-12)" \
    --json "$T/b.json" > "$T/b.out" 2>&1; rc=$?
[ $rc = 0 ] || { cat "$T/b.out"; fail "--key B: exit $rc, want 0"; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
c=[f["code"] for f in r["findings"]]; assert c == ["drill-overdue"], c;
assert len(r["keys"]) == 1' "$T/b.json" || fail "--key B: findings"
# --from/--to: 2026 only: the unsealed drill and the unauthorized one, the
# missing co-signature, and the state of B and D (judged at --at).
"$KEYRITE" audit "$ARCH" --at "$AT" --from 2026-01-01 --to 2026-12-31 \
    --json "$T/w.json" > "$T/w.out" 2>&1; rc=$?
[ $rc = 10 ] || { cat "$T/w.out"; fail "window: exit $rc"; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
c=sorted(f["code"] for f in r["findings"]);
w=sorted(["transcript-unsealed","recovery-unauthorized","cosignature-missing",
"drill-overdue","cryptoperiod-ended","transcript-bad"]); assert c == w, c' \
    "$T/w.json" || fail "window: findings"
"$KEYRITE" audit "$ARCH" --at "$AT" --json "$T/report.json" > "$T/o.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "exists" "$T/o.out" || { cat "$T/o.out"; fail "--json over a file: exit $rc"; }
"$KEYRITE" audit "$ARCH" --from 2026-02-30 > "$T/o.out" 2>&1; rc=$?
[ $rc = 2 ] || fail "a bad date: exit $rc"
"$KEYRITE" audit "$T/nonexistent" > "$T/o.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "nonexistent" "$T/o.out" || fail "a missing directory: exit $rc"
echo "ok 4 - --key, --from/--to, refusing to overwrite, bad dates, missing dirs"

# --scan: a paper record (the PDF) beside its file agrees with it; alone,
# it is read from its QR codes.
mkdir "$T/paper" "$T/paper-only"
B0=$(ls "$ARCH"/B/transcript-2024012*.txt | grep -v "[.]print[.]txt$" | head -1)
cp "$B0" "${B0%.txt}.pdf" "$T/paper/"
cp "${B0%.txt}.pdf" "$T/paper-only/"
"$KEYRITE" audit --scan "$T/paper" --json "$T/p.json" > "$T/p.out" 2>&1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
t=r["transcripts"]; assert len(t) == 1 and t[0]["paper"] == "agrees", t' \
    "$T/p.json" || { cat "$T/p.out"; fail "--scan: the paper does not agree"; }
"$KEYRITE" audit --scan "$T/paper-only" --json "$T/q.json" > "$T/q.out" 2>&1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
t=r["transcripts"]; assert len(t) == 1 and t[0]["paper"] == "only" and \
t[0]["status"] == "good", t' "$T/q.json" || { cat "$T/q.out"; fail "--scan alone"; }
echo "ok 5 - --scan reads a paper record, and matches it with its file"

# An escrow package without the transcript that made it: unvouched.
mkdir "$T/lone"
cp "$ARCH/A/root-ca.escrow" "$ARCH/A/root-ca.pem" "$T/lone/"
"$KEYRITE" audit "$T/lone" --at "$AT" --json "$T/l.json" > "$T/l.out" 2>&1; rc=$?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
c=[f["code"] for f in r["findings"]]; assert c == ["escrow-unvouched"], c' \
    "$T/l.json" && [ $rc = 10 ] || { cat "$T/l.out"; fail "a lone escrow package: exit $rc"; }
echo "ok 6 - an escrow package no transcript vouches for is a finding"

# --- the HTML -----------------------------------------------------------------
H="$T/report.html"
# Self-contained: no address to fetch, no script, a CSP that forbids any.
if grep -Eiq '(src|href)=["'"'"']?[a-z]+:|url\(|@import|<script|<link|<iframe|<img' "$H"; then
	grep -Eio '.{0,40}((src|href)=["'"'"']?[a-z]+:|url\(|@import|<script|<link|<iframe|<img).{0,40}' "$H" | head
	fail "the HTML refers to something outside itself"
fi
grep -q "Content-Security-Policy" "$H" || fail "no CSP in the HTML"
[ "$(grep -c '<svg' "$H")" -ge 4 ] || fail "fewer than 4 timelines"
grep -q 'id="findings"' "$H" || fail "no findings section"
awk '/id="findings"/ { f = NR } /id="keys"/ { k = NR } END { exit !(f && k && f < k) }' "$H" ||
    fail "the findings do not come first"
echo "ok 7 - the HTML is one file: no external resource, findings first, a timeline per key"

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "skip: the archive checks passed; the browser check needs chromium (make deps installs it)"
	exit 77
fi
prof="$T/chrome-profile"
flags="--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --disable-quic
    --user-data-dir=$prof --enable-logging=stderr --v=0"
# shellcheck disable=SC2086
"$CHROME" $flags --window-size=1280,2400 --screenshot="$T/shot.png" \
    "file://$H" > "$T/chrome.out" 2> "$T/chrome.err"
[ -s "$T/shot.png" ] || { tail -20 "$T/chrome.err"; fail "chromium made no screenshot"; }
cp "$T/shot.png" "$LOGS/audit-report.png"
if grep -E 'CONSOLE|Uncaught|Refused to|ERR_|Failed to load' "$T/chrome.err" | grep -v 'ERR_NETWORK_CHANGED' > "$T/errs"; then
	[ -s "$T/errs" ] && { cat "$T/errs"; fail "the page logged errors"; }
fi
# shellcheck disable=SC2086
"$CHROME" $flags --dump-dom "file://$H" > "$T/dom.html" 2> /dev/null
[ "$(grep -o 'class="mark' "$T/dom.html" | wc -l)" -ge 50 ] ||
    fail "the rendered page lacks the timeline marks"
# The screenshot shows the timeline: its drill marks are drawn in a colour
# nothing else on the page uses (#1f6feb), in solid circles.
px=$(convert "$T/shot.png" -fill black +opaque '#1f6feb' -fill white -opaque '#1f6feb' \
    -format '%[fx:int(mean*w*h)]' info:)
[ "$px" -ge 200 ] || fail "the screenshot shows no timeline ($px drill pixels)"
echo "ok 8 - chromium renders the report without errors; the screenshot shows $px timeline pixels"
echo "audit: all checks passed (report: $LOGS/audit-report.*)"
