# lib-flip.sh: sourced by tests that damage a file on purpose.
#
# flip FILE OFFSET: inverts the lowest bit of the byte at OFFSET, in place.
# A byte overwritten with a constant would be unchanged whenever it already
# held that constant (1 in 256 of random bytes): a flip always changes it.
flip() {
	_fb=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n')
	[ -n "$_fb" ] || { echo "flip: $1 has no byte at $2"; return 1; }
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' $((_fb ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
