#!/bin/sh
# tests/check-layers.sh: every #include in src/ and ui/ points down.
#
# The layers, lowest first (docs/architecture.md):
#
#   base host crypto card record audit ceremony ui cli paper
#
# src/<layer>/ holds each engine layer, ui/ the TUI, src/cli/ the keyrite
# command, src/paper/ the paper helper keyrite-paper (a program of its
# own; nothing includes it).  A file may include a header of its own folder (bare,
# "token-int.h") or of a lower layer ("base/err.h"), never of a higher
# one, and never another folder's internal header (*-int.h).  A header
# named in a way that resolves nowhere is an error too, so that a
# misspelt path cannot slip past the check.  Prints every violation as
# "file:line: includes X: reason" and exits 1 if there is any.
#
#   tests/check-layers.sh [TOP]      (TOP: the source tree, default .)
set -u
top=${1:-.}
cd "$top" || exit 2
order="base host crypto card record audit ceremony ui cli paper"

rank() {	# rank LAYER: its position in $order, or nothing
	i=0
	for l in $order; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}

folder_of() {	# folder_of FILE: the layer a source file belongs to
	case $1 in
	src/*/*) f=${1#src/}; echo "${f%%/*}" ;;
	ui/*) echo ui ;;
	*) echo "" ;;
	esac
}

dir_of() {	# dir_of LAYER: where that layer's files live
	case $1 in
	ui) echo ui ;;
	*) echo "src/$1" ;;
	esac
}

bad=0
tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
files=$(find src ui -name '*.[ch]' | sort)
for f in $files; do
	own=$(folder_of "$f")
	r_own=$(rank "$own")
	if [ -z "$r_own" ]; then
		echo "$f: not in a layer folder (src/<layer>/ or ui/)"
		bad=1
		continue
	fi
	# "path" includes only: <...> are system headers.
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
	    sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/' > "$tmp"
	while read -r line inc; do
		case $inc in
		*/*)	layer=${inc%%/*}; name=${inc#*/} ;;
		*)	layer=$own; name=$inc ;;
		esac
		r=$(rank "$layer")
		where="$f:$line: includes \"$inc\""
		if [ -z "$r" ] || [ ! -f "$(dir_of "$layer")/$name" ]; then
			echo "$where: no such header in a layer folder"
			bad=1
		elif [ "$r" -gt "$r_own" ]; then
			echo "$where: $layer is above $own; a layer includes" \
			    "only its own and lower layers"
			bad=1
		elif [ "$layer" != "$own" ]; then
			case $name in
			*-int.h)
				echo "$where: an internal header of $layer/," \
				    "for its own folder only"
				bad=1 ;;
			esac
		fi
	done < "$tmp"
done
if [ $bad = 0 ]; then
	echo "layers: $(echo "$files" | wc -l) files, every include points down"
fi
exit $bad
