# tests/integration/lib-install.sh: reach real mode the way an
# installation does.  Source it from a test after setting T and defining
# fail().  Nothing in keyrite can be told that a tree is "installed" or
# "reviewed" (docs/rehearsal.md, "Real mode and rehearsal"): these helpers
# make a real installation with `make install` into a prefix under $T, and
# run keyrite where a real ceremony may run, a machine with no network.
#
#   kr_install PREFIX [qualify]
#       make install PREFIX=PREFIX with the binary under test ($KEYRITE,
#       from $BUILD; nothing is rebuilt with other flags).  With
#       "qualify", then edit that installation's policy, for this test
#       installation only, to qualify SoftHSM2 as a card model
#       (qualified-token = SoftHSM project / SoftHSM v2), regenerate the
#       manifest's policy line, and make everything read-only again: what
#       an installation's reviewers do when they qualify a card.
#   kr_scripts PREFIX       prints PREFIX's installed scripts directory
#   kr_writable DIR / kr_readonly DIR
#       chmod an installed scripts directory and its files writable, or
#       back to 0555/0444
#   kr_airgapped CMD...     runs CMD in a new network namespace (only lo)
#       with its own /sys, as the appliance is: the air-gap check passes
#       there.  Needs root (unshare -n -m).
#   kr_airgap_or_skip       exits 77, saying why, when that cannot be made

kr_scripts() {
	echo "$1/share/keyrite/ceremony-scripts"
}

kr_writable() {
	chmod u+w "$1" "$1"/*
}

kr_readonly() {
	chmod 0444 "$1"/*
	chmod 0555 "$1"
}

kr_install() {
	_p=$1
	# A clean environment: no make flags or job server of the test run.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$KR_TOP" install \
	    PREFIX="$_p" BUILD="$BUILD" SAN="${SAN:-}" > "$T/install.log" 2>&1 ||
	    { cat "$T/install.log"; fail "make install PREFIX=$_p"; }
	cmp -s "$KEYRITE" "$_p/bin/keyrite" ||
	    fail "make install did not install the binary under test, $KEYRITE"
	_s=$(kr_scripts "$_p")
	[ "$(stat -c %a "$_s")" = 555 ] || fail "$_s is not 0555 after install"
	for _f in "$_s"/*; do
		[ "$(stat -c %a "$_f")" = 444 ] || fail "$_f is not 0444"
	done
	[ "${2:-}" = qualify ] || return 0
	kr_writable "$_s"
	sed -i 's|^name = default$|&\nqualified-token = SoftHSM project / SoftHSM v2|' \
	    "$_s/policy.conf"
	grep -qx 'qualified-token = SoftHSM project / SoftHSM v2' \
	    "$_s/policy.conf" || fail "could not qualify SoftHSM2 in $_s"
	_h=$(sha256sum < "$_s/policy.conf" | cut -d' ' -f1)
	sed -i "s/^[0-9a-f]\{64\}  policy.conf\$/$_h  policy.conf/" \
	    "$_s/reviewed.sha256"
	kr_readonly "$_s"
	( cd "$_s" && sha256sum --quiet --strict -c reviewed.sha256 ) ||
	    fail "the qualified policy's manifest line does not match"
}

kr_airgapped() {
	unshare -n -m sh -c 'mount -t sysfs sysfs /sys && exec "$@"' sh "$@"
}

kr_airgap_or_skip() {
	_n=$(kr_airgapped ls /sys/class/net 2>&1)
	[ "$_n" = lo ] && return 0
	echo "skip: no air-gapped namespace here (unshare -n -m, then" \
	    "mounting sysfs, needs root): $_n"
	exit 77
}
