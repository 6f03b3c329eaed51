#!/bin/sh
# The reviewed manifest, ceremony-scripts/reviewed.sha256, is the record
# of review (docs/rehearsal.md, "Real mode and rehearsal"): it lists every
# shipped script and the policy with their SHA-256, as sha256sum writes
# them.  A script or the policy changed without the manifest fails here
# (and `make install` refuses to install it).  Then the same check on a
# copy with one byte changed must fail, so this test can fail.
set -u
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
D="$KR_TOP/ceremony-scripts"

check() { # check DIR: the manifest matches DIR's scripts and policy
	( cd "$1" || exit 1
	  sha256sum --strict -c reviewed.sha256 || exit 1
	  listed=$(sed 's/^[0-9a-f]\{64\} [ *]//' reviewed.sha256 | sort)
	  shipped=$(ls -- *.ceremony policy.conf | sort)
	  [ "$listed" = "$shipped" ] || {
		echo "listed:  " $listed; echo "shipped: " $shipped; exit 1; }
	  # In sha256sum's own format, byte for byte.
	  sha256sum -- $(sed 's/^[0-9a-f]\{64\}  //' reviewed.sha256) |
	      cmp -s - reviewed.sha256 || {
		echo "not as sha256sum writes it"; exit 1; } )
}

check "$D" > "$T/out" 2>&1 || { cat "$T/out"; fail "ceremony-scripts/reviewed.sha256 does not match the shipped scripts and policy: something changed without review. Review the change, then: cd ceremony-scripts && sha256sum *.ceremony policy.conf > reviewed.sha256"; }
echo "ok: the manifest lists $(wc -l < "$D/reviewed.sha256") files and matches"

# The check fails on a changed byte, an unlisted script and a missing one.
cp -r "$D" "$T/s1"
sed -i 's/Good morning, everyone/Good evening, everyone/' "$T/s1/root-ca-create.ceremony"
check "$T/s1" > "$T/out1" 2>&1 && fail "a changed script passed"
grep -q "^root-ca-create.ceremony: FAILED$" "$T/out1" ||
    { cat "$T/out1"; fail "the changed script is not named"; }
cp -r "$D" "$T/s2"
cp "$D/root-ca-create.ceremony" "$T/s2/extra.ceremony"
check "$T/s2" > "$T/out2" 2>&1 && fail "an unlisted script passed"
grep -q "^shipped: .*extra.ceremony" "$T/out2" ||
    { cat "$T/out2"; fail "the unlisted script is not named"; }
cp -r "$D" "$T/s3"
sed -i '/  policy.conf$/d' "$T/s3/reviewed.sha256"
check "$T/s3" > "$T/out3" 2>&1 && fail "a manifest without policy.conf passed"
grep -q "^listed: " "$T/out3" || { cat "$T/out3"; fail "missing policy not said"; }
echo "ok: a changed byte, an unlisted script and an unlisted policy fail"
