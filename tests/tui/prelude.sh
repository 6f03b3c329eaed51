# tests/tui/prelude.sh: how a tmux-driven test of the TUI starts.  Sourced
# first thing (after the header comment): a scratch directory $T, removed
# with the tmux server on exit; tests/tui/lib.sh; fail, which shows the
# screen; $start (for the test's run time) and $S (the shipped scripts).
set -u
T=$(mktemp -d)
. "$KR_TOP/tests/tui/lib.sh"
trap 'tui_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; screen 2>/dev/null | sed 's/^/  |/'; exit 1; }
start=$(date +%s)
S="$KR_TOP/ceremony-scripts"
