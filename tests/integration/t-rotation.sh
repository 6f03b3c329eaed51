#!/bin/sh
# Rotation: a key's cryptoperiod as keyrite escrow inspect and the
# ceremonies see it, with the clock moved by faketime (libfaketime, around
# the real binary).  A root-ca key (cryptoperiod 7305 days):
#
#   - today: 7305 days left, no warning;
#   - 54 days before the end: inspect says WITHIN 90 DAYS; a drill
#     records a cryptoperiod-warning (use=maintain, allowed) and that a
#     drill is overdue (drill-interval-days 365, none on the media);
#   - after the end: inspect says ENDED; a drill (maintenance) and a
#     reshare stay allowed, each recording the warning; the reshared
#     package keeps the key's cryptoperiod.
# Signing after the end is refused before any card: tests/unit/
# test_engine.c (the verbs that sign call the same check).
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v faketime >/dev/null || { echo "faketime is not installed"; exit 77; }
# faketime preloads libfaketime, which then comes before ASan's runtime
# in the library list; it only wraps the clock, so under SAN=1 let the
# ASan build run (as t-audit and t-hotplug do).
ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export ASAN_OPTIONS
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S="$KR_TOP/ceremony-scripts"
"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 7 >/dev/null ||
    fail "rehearsal-cards"
. "$T/cards/env"
people() {
	cat <<-EOA
	operator.name = Ada Administrator
	witness.1.name = Wendy Witness
	ceremony.reason = rehearsal
	ceremony.authorization = CHG-1
	confirm = yes
	EOA
	for i in 1 2 3 4 5 6 7; do echo "pin.custodian-$i = 12340$i"; done
}
{ people
  for i in 1 2 3 4 5; do
	echo "custodian.$i.name = Custodian $i"
	echo "custodian.$i.card = custodian-$i"
  done; } > "$T/create.txt"
mkdir "$T/m"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/m" \
    --answers "$T/create.txt" --rehearsal > "$T/create.out" 2>&1 ||
    { cat "$T/create.out"; fail "root-ca-create"; }
start=$(sed -n 's/^cryptoperiod-start: //p' "$T/m/root-ca.escrow")
end=$(sed -n 's/^cryptoperiod-end: //p' "$T/m/root-ca.escrow")
echo "cryptoperiod $start to $end"
[ "$(( ($(date -d "$end" +%s) - $(date -d "$start" +%s)) / 86400 ))" = 7305 ] ||
    fail "not the policy's 7305 days"

"$KEYRITE" escrow inspect "$T/m/root-ca.escrow" > "$T/i0.out" || fail "inspect"
grep -q "days left     7305$" "$T/i0.out" || { cat "$T/i0.out"; fail "7305 days"; }

echo "== 54 days before the end"
faketime '+7251 days' "$KEYRITE" escrow inspect "$T/m/root-ca.escrow" \
    > "$T/i1.out" || fail "inspect"
grep -q "days left     54: WITHIN 90 DAYS OF THE END" "$T/i1.out" ||
    { cat "$T/i1.out"; fail "no warning from inspect"; }
{ people; echo "recover.cards = custodian-1, custodian-2, custodian-3"; } \
    > "$T/drill.txt"
faketime '+7251 days' "$KEYRITE" run "$S/key-recovery-drill.ceremony" \
    --media "$T/m" --answers "$T/drill.txt" --rehearsal > "$T/d1.out" 2>&1 ||
    { cat "$T/d1.out"; fail "drill near the end"; }
cat "$T/d1.out"
grep -q "notice: the cryptoperiod of key .* ends on $end, in 54 days" \
    "$T/d1.out" || fail "no notice"
tr=$(sed -n 's/^transcript: //p' "$T/d1.out")
grep -q " cryptoperiod-warning engine end=$end days-left=54 use=maintain action=allowed " \
    "$tr" || fail "warning not recorded"
grep -q " drill-status engine last-recovery=none%20on%20these%20media .* drill-interval-days=365 drill-due=yes " \
    "$tr" || fail "overdue drill not recorded"
grep -q "notice: a recovery drill of this key is overdue" "$T/d1.out" ||
    fail "overdue drill not said"

echo "== after the end: maintenance stays allowed"
faketime '+7400 days' "$KEYRITE" escrow inspect "$T/m/root-ca.escrow" \
    > "$T/i2.out" || fail "inspect"
grep -q "days left     ENDED 95 days ago" "$T/i2.out" ||
    { cat "$T/i2.out"; fail "inspect does not say ended"; }
faketime '+7400 days' "$KEYRITE" run "$S/key-recovery-drill.ceremony" \
    --media "$T/m" --answers "$T/drill.txt" --rehearsal > "$T/d2.out" 2>&1 ||
    { cat "$T/d2.out"; fail "a drill after the end is refused"; }
tr=$(sed -n 's/^transcript: //p' "$T/d2.out")
grep -q " cryptoperiod-warning engine end=$end days-left=-95 use=maintain action=allowed " \
    "$tr" || fail "after the end: not recorded"
# The drill 149 days earlier is on the media: not overdue now.
grep -q " drill-status engine last-recovery=[0-9T:-]*Z by=[0-9a-f-]* days-since=149 .* drill-due=no " \
    "$tr" || fail "the earlier drill is not found"
faketime '+7400 days' "$KEYRITE" run "$S/custodian-reshare.ceremony" \
    --media "$T/m" --answers "$KR_TOP/docs/examples/custodian-reshare.answers" \
    --rehearsal --set threshold=2 \
    --set shares=4 > "$T/r.out" 2>&1 ||
    { cat "$T/r.out"; fail "a reshare after the end is refused"; }
grep -q "^cryptoperiod-end: $end$" "$T/m/root-ca-reshared.escrow" ||
    fail "the reshare renewed the cryptoperiod"
echo "rotation: all checks passed"
