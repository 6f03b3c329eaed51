/*
 * text.h: making untrusted text safe to print or draw.
 *
 * Every string that comes from a file, a card (labels, serials,
 * manufacturer, model) or an answers file may hold terminal escape
 * sequences: ESC [ 2 J clears a screen, OSC sequences retitle it or worse,
 * and a crafted escrow package could print a fake "structure: ok".  The
 * frontends pass every such string, and every error detail (which may
 * quote such bytes), through these functions before a terminal sees it.
 */
#ifndef KR_TEXT_H
#define KR_TEXT_H

#include <stddef.h>

/*
 * Copies in to out (outlen > 0, always NUL-terminated, cut short at a
 * character boundary when too small) with every byte that is not
 * printable UTF-8 (C0 and C1 controls, DEL, malformed or overlong
 * sequences, surrogates) written as \xNN.  4 * strlen(in) + 1 always fits.
 * kr_printable_lines() keeps line feeds (for multi-line messages) and
 * escapes everything else the same way.  Both return out.
 */
char	*kr_printable(const char *in, char *out, size_t outlen);
char	*kr_printable_lines(const char *in, char *out, size_t outlen);

/* Whether s is printable UTF-8 as above (so kr_printable() copies it). */
int	 kr_text_printable(const char *s);

#endif /* KR_TEXT_H */
