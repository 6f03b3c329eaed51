#!/bin/sh
# The Parameters screen (issue 11 #4, #5), through tmux at 80x25:
#   - hints carry the policy's limits (validity "1 to 9132" for root-ca);
#   - a value refused as typed stays in sight, in red, with the whole
#     error under the list; corrected, no error is left beside it;
#   - a policy violation and a long subject are shown whole, never cut;
#   - a media directory that does not exist is said, the ceremony cannot
#     start, and creating the directory is seen without leaving the
#     screen;
#   - a drill's input files are checked there: a name not on the media is
#     caught, Enter lists the packages on the media to choose from, and a
#     certificate of another key is refused;
#   - the previous ceremony is by default the latest sealed transcript on
#     the media about the package's key, and may be changed (to none).
. "$KR_TOP/tests/tui/prelude.sh"

tui_cards 5
# A root and its package, and another root elsewhere, made in batch.
mkdir "$T/made" "$T/other"
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/made" --rehearsal \
    --answers "$KR_TOP/docs/examples/root-ca-create.answers" \
    > "$T/made.out" 2>&1 || { cat "$T/made.out"; fail "batch create"; }
"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/other" --rehearsal \
    --answers "$KR_TOP/docs/examples/root-ca-create.answers" \
    --set escrow=other.escrow --set certificate=other.pem \
    > "$T/other.out" 2>&1 || { cat "$T/other.out"; fail "batch create 2"; }

# --- root-ca-create on a medium that is not there yet ----------------------
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux"
home_choose root-ca-create || fail "home"
wait_for "^  validity_days +7300 +1 to 9132 \(policy: root-ca\)$" \
    "^  threshold +3 +2 to 255 \(policy: root-ca\)$" \
    "^  shares +5 +4 to 255 \(policy: root-ca\)$" ||
    fail "hints without the policy's limits"
wait_for "^  Media +media directory $T/media: No such file or directory" ||
    fail "the missing media directory is not said"
snap params_nomedia
param_start || fail "start"
wait_for "The media are not ready: see Media below" ||
    fail "started without media"
# A value typed and refused: it stays, in red, with the whole error.
param_set validity_days 99999 || fail "validity_days not edited"
wait_for "^  validity_days +99999 +. parameter validity_days: 99" \
    "^  parameter validity_days: 99999 is outside 1\.\.36500$" ||
    fail "the refused value or its whole error is not shown"
snap params_refused
# Within the script's range but beyond the policy: the violation whole.
param_set validity_days 10000 || fail "validity_days not edited"
wait_for "^  validity_days +10000 " \
    "^ +(- )?certificate validity of 10000 days exceeds the maximum of 9132 days" \
    "Policy default refuses this ceremony \(1 reason\)" ||
    fail "the policy violation is not shown whole"
snap params_policy
# Corrected: no error is left beside it.
param_set validity_days 3650 || fail "validity_days not edited"
wait_for "^  validity_days +3650 +1 to 9132 \(policy: root-ca\)$" \
    "policy default allows this ceremony" ||
    fail "a stale error beside the corrected value"
# A long subject, whole under the list.
subj="CN=Example Root CA,O=Example,C=US,OU=Certification Authorities"
param_set subject "$subj,L=A Town With A Long Name,C=DE" ||
    fail "subject not edited"
wait_for "^  CN=Example Root CA,O=Example,C=US,OU=Certification" \
    "Long Name,C=DE$" || fail "the subject is not shown whole"
snap params_subject
# The medium appears: seen without leaving the screen.
mkdir "$T/media"
wait_for "^  Media +ready$" || fail "the new media directory was not seen"
send Escape
wait_for "CEREMONIES" || fail "back to Home"
tui_stop || fail "the tmux server did not stop"

# --- a drill: its inputs, and the previous ceremony ----------------------
cp "$T"/made/* "$T/media/"
cp "$T/other/other.pem" "$T/other/other.escrow" "$T/media/"
tui_start 80 25 "LANG=C.UTF-8 $KEYRITE tui --rehearsal --media $T/media" \
    "--scripts $S" || fail "tmux 2"
# With a package on the media, Home no longer proposes root-ca-create.
wait_for "CEREMONIES" "^  [>▶] [a-z0-9-]+$" &&
    ! screen | grep -q "^  [>▶] root-ca-create$" ||
    fail "with a package on the media Home still starts with root-ca-create"
home_choose key-recovery-drill || fail "drill"
TC=$(basename "$(ls "$T"/made/transcript-*[0-9a-f].txt)")
wait_for "^  escrow +root-ca.escrow +. escrow package of key" \
    "^  certificate +root-ca.pem +. certificate of the package" \
    "^  previous +$TC$" || fail "drill inputs and previous"
snap params_drill
# A name not on the media.
param_type escrow wrong.escrow || fail "escrow not typed"
wait_for "^  escrow +wrong.escrow +. wrong.escrow is not on the" \
    "^  wrong.escrow is not on the media: Enter lists the .escrow files" ||
    fail "a wrong package name is not caught"
param_start || fail "start"
wait_for "An input file is missing or not usable" || fail "started anyway"
# Enter lists the packages on the media.
param escrow && send Enter
wait_for "CHOOSE escrow" "^  [> ] root-ca.escrow$" "^  [> ] other.escrow$" ||
    fail "no list of packages"
snap params_pick
_select_row root-ca.escrow '^  [> ] (.*)$' && send Enter &&
    wait_gone "Enter +take this one" || fail "package not chosen"
wait_for "^  escrow +root-ca.escrow +. escrow package of key" ||
    fail "the package chosen is not checked"
# A certificate of another key.
param certificate && send Enter
wait_for "CHOOSE certificate" "other.pem" || fail "no list of certificates"
_select_row other.pem '^  [> ] (.*)$' && send Enter &&
    wait_gone "Enter +take this one" || fail "certificate not chosen"
wait_for "^  certificate +other.pem +. a certificate of another" \
    "^  a certificate of another key than the escrow package.s" ||
    fail "a certificate of another key is not refused"
param_pick certificate root-ca.pem || fail "certificate not chosen"
wait_for "^  certificate +root-ca.pem +. certificate of the package" ||
    fail "the right certificate"
# The previous ceremony may be changed, to none.
param previous && send Enter
wait_for "CHOOSE THE PREVIOUS CEREMONY" "$TC" "^    none$" ||
    fail "no list of previous ceremonies"
_select_row none '^  [> ] (.*)$' && send Enter &&
    wait_gone "Enter +take this one" || fail "previous not chosen"
wait_for "^  previous +none$" || fail "previous not changed"
send Escape
wait_for "CEREMONIES" || fail "back to Home"
[ -n "${KR_TUI_SNAPS:-}" ] && cp "$T"/*.txt "$KR_TUI_SNAPS"/
echo "tui-params: all checks passed in $(( $(date +%s) - start ))s"
