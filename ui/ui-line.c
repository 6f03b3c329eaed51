/*
 * ui-line.c: a one-line editor for names, reasons and typed
 * confirmations.
 *
 * It holds wide characters, so that names such as "Zoë Ødegård" can be
 * typed and corrected character by character, and refuses a character
 * that would make the UTF-8 answer longer than the engine takes: an
 * answer too long would otherwise fail the ceremony.  PINs never come
 * here; ui-pin.c keeps them in locked memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "ui-int.h"

void
kr_line_init(struct kr_line *l, size_t max_bytes, const char *text)
{
	mbstate_t ms;
	size_t n;

	memset(l, 0, sizeof(*l));
	l->max_bytes = max_bytes;
	if (text == NULL)
		return;
	memset(&ms, 0, sizeof(ms));
	n = mbsrtowcs(l->buf, &text, KR_LINE_MAX, &ms);
	l->len = n == (size_t)-1 ? 0 : n;
	l->buf[l->len] = L'\0';
	l->pos = l->len;
}

/* Bytes of the UTF-8 (locale) form of the line with wc added. */
static size_t
bytes_with(const struct kr_line *l, wchar_t wc)
{
	char mb[16];
	mbstate_t ms;
	size_t i, n, total = 0;

	memset(&ms, 0, sizeof(ms));
	for (i = 0; i <= l->len; i++) {
		n = wcrtomb(mb, i < l->len ? l->buf[i] : wc, &ms);
		if (n == (size_t)-1)
			return (size_t)-1;
		total += n;
	}
	return total;
}

static int
insert(struct kr_line *l, wchar_t wc)
{
	size_t b;

	if (l->len >= KR_LINE_MAX || !iswprint((wint_t)wc))
		return 0;
	b = bytes_with(l, wc);
	if (b == (size_t)-1 || (l->max_bytes > 0 && b > l->max_bytes)) {
		beep();
		return 1;
	}
	memmove(&l->buf[l->pos + 1], &l->buf[l->pos],
	    (l->len - l->pos) * sizeof(wchar_t));
	l->buf[l->pos++] = wc;
	l->buf[++l->len] = L'\0';
	return 1;
}

int
kr_line_key(struct kr_line *l, const struct kr_key *k)
{
	switch (k->fn) {
	case 0:
		return insert(l, (wchar_t)k->ch);
	case KEY_BACKSPACE:
		if (l->pos == 0)
			return 1;
		l->pos--;
		/* FALLTHROUGH */
	case KEY_DC:
		if (l->pos >= l->len)
			return 1;
		memmove(&l->buf[l->pos], &l->buf[l->pos + 1],
		    (l->len - l->pos) * sizeof(wchar_t));
		l->len--;
		return 1;
	case KEY_LEFT:
		if (l->pos > 0)
			l->pos--;
		return 1;
	case KEY_RIGHT:
		if (l->pos < l->len)
			l->pos++;
		return 1;
	case KEY_HOME:
		l->pos = 0;
		return 1;
	case KEY_END:
		l->pos = l->len;
		return 1;
	}
	return 0;
}

int
kr_line_text(const struct kr_line *l, char *out, size_t outlen)
{
	const wchar_t *src = l->buf;
	mbstate_t ms;
	size_t n;

	memset(&ms, 0, sizeof(ms));
	n = wcsrtombs(out, &src, outlen, &ms);
	if (n == (size_t)-1 || n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return (int)n;
}

void
kr_line_draw(const struct kr_ui *ui, const struct kr_line *l, int y, int x,
    int w)
{
	size_t first = 0, i;
	int used = 0, cw, cx = x;

	if (w < 2)
		return;
	/* Scroll so that the cursor stays inside the field. */
	for (;;) {
		int width = 0;

		for (i = first; i < l->pos; i++) {
			cw = wcwidth(l->buf[i]);
			width += cw > 0 ? cw : 1;
		}
		if (width < w - 1 || first >= l->pos)
			break;
		first++;
	}
	kr_ui_fill(ui, y, x, w, KR_UI_FIELD);
	attrset(kr_ui_attr(ui, KR_UI_FIELD));
	move(y, x);
	for (i = first; i < l->len; i++) {
		cw = wcwidth(l->buf[i]) > 0 ? wcwidth(l->buf[i]) : 1;
		if (used + cw > w - 1)
			break;
		if (i == l->pos)
			cx = x + used;
		addnwstr(&l->buf[i], 1);
		used += cw;
	}
	if (l->pos >= i)
		cx = x + used;
	attrset(A_NORMAL);
	kr_ui_cursor_at(y, cx);
}

int
kr_ui_typed_answer(struct kr_ui_ask *st, const char *what, char *error,
    size_t errlen)
{
	char text[64], *t;
	size_t len;

	if (kr_line_text(&st->line, text, sizeof(text)) < 0)
		text[0] = '\0';
	for (t = text; *t == ' '; t++)
		;
	len = strlen(t);
	while (len > 0 && t[len - 1] == ' ')
		t[--len] = '\0';
	if (strcasecmp(t, st->p->expect) != 0) {
		snprintf(error, errlen, "%s is not %s.", len ? t :
		    "Nothing typed:", what);
		return KR_SCREEN_STAY;
	}
	if ((st->a->text = strdup(t)) == NULL)
		return KR_SCREEN_STAY;
	st->a->len = len;
	return KR_SCREEN_DONE;
}
