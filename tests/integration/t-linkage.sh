#!/bin/sh
# The keyrite command, which holds keys, shares and PINs, links none of
# the paper record's libraries (cairo, poppler, zbar, libjpeg, libcups,
# GLib): they run in the paper helper, keyrite-paper, which does link
# them (docs/architecture.md, "The paper helper").  readelf -d lists what
# each binary needs; ldd adds what those pull in, so that a library that
# brought one of them back indirectly is caught too.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v readelf > /dev/null || { echo "skip: no readelf (binutils)"; exit 77; }
K=$KEYRITE
H=$(dirname "$KEYRITE")/keyrite-paper
[ -x "$H" ] || fail "$H is missing: whatever builds keyrite must build it"
FORBIDDEN='libcairo|libpoppler|libzbar|libcups|libjpeg|libglib|libgobject|libgio|libtiff|libgnutls|libkrb5|libX11|libstdc\+\+'
needed=$(readelf -d "$K" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') || fail "readelf -d $K"
[ -n "$needed" ] || fail "readelf -d $K lists no NEEDED library"
bad=$(echo "$needed" | grep -E "^($FORBIDDEN)" || true)
[ -z "$bad" ] || fail "keyrite needs $(echo $bad): link them into keyrite-paper only"
all=$(ldd "$K" | awk '{ print $1 }')
# An ASan build (SAN=1) also needs the sanitizer runtimes, and libubsan
# needs libstdc++: what they alone pull in is not keyrite's doing (the
# normal build, which make check tests, has no runtime to hide behind).
rt=/
if [ "${SAN:-}" = 1 ]; then
	san=$(echo "$needed" | grep -E '^lib(a|ub)san\.so' || true)
	[ -n "$san" ] || fail "SAN=1 but $K needs no sanitizer runtime"
	rt=$(for lib in $san; do
		path=$(ldd "$K" | awk -v l="$lib" '$1 == l { print $3 }')
		[ -n "$path" ] && ldd "$path" | awk '{ print $1 }'
	done | sort -u)
fi
bad=$(echo "$all" | grep -E "^($FORBIDDEN)" | grep -vxF "$rt" || true)
[ -z "$bad" ] || fail "keyrite loads $(echo $bad) through its libraries"
hneeded=$(readelf -d "$H" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in libcairo libpoppler-glib libzbar libcups libjpeg libglib-2.0; do
	echo "$hneeded" | grep -q "^$lib\." ||
	    fail "keyrite-paper does not need $lib: $(echo $hneeded)"
done
echo "keyrite needs: $(echo $needed)"
echo "keyrite loads $(echo "$all" | wc -l) libraries in all"
echo "keyrite-paper needs: $(echo $hneeded)"
