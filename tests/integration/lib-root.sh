# tests/integration/lib-root.sh: a rehearsal root to use, for the tests of
# the ceremonies that use a root key (sign-intermediate, issue-crl,
# restore-hsm).  Source it after setting T (a private temporary
# directory) and defining fail().
#
#   root_setup [--set NAME=VALUE...]
#       five rehearsal cards under $T/cards (their env sourced: SOFTHSM2_CONF
#       and KEYRITE_PKCS11_MODULE), then a batch root-ca-create 3-of-5 into
#       $T/media with the extra --set arguments; sets M (the module), S
#       (the scripts directory), EX (docs/examples) and CREATE_TR (the
#       creation transcript).
#   root_another DIR [--set NAME=VALUE...]
#       another root on the same five cards (after root_setup): a batch
#       root-ca-create 3-of-5 into DIR; sets ANOTHER_TR (its transcript).
#   root_copy DIR
#       a second medium holding the same root: the certificate, the
#       package and the transcript that vouches for it.
#   run_use NAME [ARGS...]
#       keyrite run $S/NAME.ceremony --rehearsal --answers
#       $EX/NAME.answers ARGS...; output in $T/NAME.out, status in $rc.
#   refused_before_work OUT DIR...
#       exit 7 ($rc), "refused before any work" in OUT, no step started,
#       and no file (staging directories and temporaries included) added
#       to DIR since snap_media.
#   snap_media DIR...
#       remembers what DIR holds, for refused_before_work.

root_setup() {
	mkdir -p "$T/media"
	"$KEYRITE" rehearsal-cards --dir "$T/cards" --count 5 >/dev/null ||
	    fail "rehearsal-cards"
	. "$T/cards/env"
	M=$KEYRITE_PKCS11_MODULE
	S="$KR_TOP/ceremony-scripts"
	EX="$KR_TOP/docs/examples"
	{
		echo "operator.name = Ada Administrator"
		echo "witness.1.name = Wendy Witness"
		echo "confirm = yes"
		for i in 1 2 3 4 5; do
			echo "custodian.$i.name = Custodian $i"
			echo "custodian.$i.card = custodian-$i"
			echo "pin.custodian-$i = 12340$i"
		done
	} > "$T/create.txt"
	"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$T/media" \
	    --answers "$T/create.txt" --rehearsal --set threshold=3 \
	    --set shares=5 "$@" > "$T/create.out" 2>&1 ||
	    { cat "$T/create.out"; fail "root-ca-create"; }
	CREATE_TR=$(sed -n 's/^transcript: //p' "$T/create.out")
	[ -f "$CREATE_TR" ] || fail "no creation transcript"
}

root_another() {
	_d=$1
	shift
	mkdir -p "$_d"
	"$KEYRITE" run "$S/root-ca-create.ceremony" --media "$_d" \
	    --answers "$T/create.txt" --rehearsal --set threshold=3 \
	    --set shares=5 "$@" > "$_d.create.out" 2>&1 ||
	    { cat "$_d.create.out"; fail "root-ca-create into $_d"; }
	ANOTHER_TR=$(sed -n 's/^transcript: //p' "$_d.create.out")
	[ -f "$ANOTHER_TR" ] || fail "no creation transcript in $_d"
}

root_copy() {
	mkdir -p "$1"
	cp "$T/media/root-ca.pem" "$T/media/root-ca.escrow" "$CREATE_TR" "$1/"
}

run_use() {
	_n=$1
	shift
	"$KEYRITE" run "$S/$_n.ceremony" --rehearsal \
	    --answers "$EX/$_n.answers" "$@" > "$T/$_n.out" 2>&1
	rc=$?
}

snap_media() {
	for _d in "$@"; do
		ls -a "$_d" > "$_d.snap"
	done
}

refused_before_work() {
	_o=$1
	shift
	[ "$rc" = 7 ] || { cat "$_o"; fail "exit $rc, want 7 (refused)"; }
	grep -q "refused before any work" "$_o" ||
	    { cat "$_o"; fail "not refused before any work"; }
	grep -q "^step " "$_o" && { cat "$_o"; fail "a step started"; }
	for _d in "$@"; do
		ls -a "$_d" | cmp -s - "$_d.snap" ||
		    { ls -a "$_d"; fail "something was written to $_d"; }
	done
	return 0
}
