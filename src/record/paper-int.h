/*
 * paper-int.h: what paper.c (pages and sections) and paper-text.c (text
 * for people: escaping, wrapping) share.  Not part of the engine's API.
 */
#ifndef KR_PAPER_INT_H
#define KR_PAPER_INT_H

#include <stddef.h>

#include "paper.h"

/*
 * s[n] (any bytes) as printable UTF-8 in malloc()ed memory: printable
 * ASCII and printable UTF-8 stay; a backslash is "\\", a newline "\n", a
 * tab "\t", other control bytes, DEL and bytes that are not UTF-8 "\xNN",
 * and code points that print as nothing or reorder text (soft hyphen,
 * zero-width and bidirectional controls, BOM, private use, tags)
 * "\u{XXXX}".  NULL when out of memory.
 */
char	*kr_paper_printable(const char *s, size_t n);

/*
 * The next line of at most cols characters of the printable text s (as
 * kr_paper_printable makes it) from *off: returns its length in bytes and
 * moves *off past it.  Breaks just after a space where one is in the last
 * third of the line (the space stays, at the end of the line), else
 * between any two characters, never inside a UTF-8 sequence or an escape:
 * a line that is followed by more and does not end in a space was broken
 * inside a word, and the caller marks it so.  0 at the end.
 */
size_t	kr_paper_wrap(const char *s, size_t *off, size_t cols);

/* Characters (code points) in s[n]. */
size_t	kr_paper_columns(const char *s, size_t n);

/*
 * Where the QR codes of a code page sit on a page of this size at the
 * default version, as fractions of the page: cells[i] = { x, y, width,
 * height } of code i's square with its quiet zone, row by row.  Returns
 * the number of cells (at most max).  The scanner crops these for its
 * second pass.
 */
size_t	kr_paper_code_cells(enum kr_paper_size size, double cells[][4],
	    size_t max);

#endif /* KR_PAPER_INT_H */
