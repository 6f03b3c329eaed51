/*
 * ui-list.c: a long text to review and answer yes or no, on a screen of
 * its own, that scrolls: the entries of a CRL before it is signed
 * (crl.confirm) and the token a key is about to be written to
 * (target.confirm).  New entries (lines starting with '+') stand out, so
 * does every heading (a line in capitals).  Also the scrolled-text
 * painter the certificate request screen (ui-csr.c) uses.
 *
 * The text is the engine's, built from files and tokens: kr_ui_wrap()
 * shows anything unprintable as '?'.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ui-int.h"

/* The colour of a line of review text. */
static enum kr_ui_role
line_role(const char *line, size_t len)
{
	size_t i;

	if (len > 0 && line[0] == '+')
		return KR_UI_WARN;
	if (len > 2 && line[0] == ' ' && line[1] == ' ' && line[2] == '!')
		return KR_UI_BAD;	/* a requested extension dropped */
	for (i = 0; i < len && i < 8; i++)
		if (!isupper((unsigned char)line[i]) && line[i] != ' ')
			return KR_UI_NORMAL;
	return len >= 4 && isupper((unsigned char)line[0]) ? KR_UI_TITLE :
	    KR_UI_NORMAL;
}

size_t
kr_ui_scroll_lines(const char *text)
{
	size_t n = 1;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

int
kr_ui_scroll_draw(const struct kr_ui *ui, int y, int x, int w, int rows,
    const char *text, size_t top)
{
	const char *p = text, *nl;
	char line[1024];
	size_t i, len;
	int used = 0, n;

	for (i = 0; p != NULL && *p != '\0' && i < top; i++)
		p = (nl = strchr(p, '\n')) != NULL ? nl + 1 : NULL;
	while (p != NULL && *p != '\0' && used < rows) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		n = kr_ui_wrap(ui, y + used, x, w, rows - used,
		    line_role(line, len), len ? line : " ", 1);
		used += n < rows - used ? n : rows - used;
		p = nl != NULL ? nl + 1 : NULL;
	}
	return p != NULL && *p != '\0';	/* more below */
}

struct list_state {
	struct kr_ui_ask	*st;
	size_t			 top, nlines;
};

static int
list_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct list_state *ls;

	(void)ui;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "review screen");
	ls->st = arg;
	ls->st->shown_ms = kr_ui_now_ms();
	ls->nlines = kr_ui_scroll_lines(ls->st->p->text ? ls->st->p->text :
	    "");
	*statep = ls;
	return 0;
}

static int
list_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct list_state *ls = state;
	size_t page = (size_t)(ui->rows > 10 ? ui->rows - 10 : 1);

	switch (k->fn) {
	case KEY_UP:
		ls->top -= ls->top > 0;
		return KR_SCREEN_STAY;
	case KEY_DOWN:
		ls->top += ls->top + 1 < ls->nlines;
		return KR_SCREEN_STAY;
	case KEY_PPAGE:
		ls->top = ls->top > page ? ls->top - page : 0;
		return KR_SCREEN_STAY;
	case KEY_NPAGE:
		ls->top = ls->top + page < ls->nlines ? ls->top + page :
		    ls->top;
		return KR_SCREEN_STAY;
	}
	if (!kr_ui_enter_ready(ls->st->shown_ms))
		return KR_SCREEN_STAY;
	if (k->fn == 0 && (k->ch == L'y' || k->ch == L'Y' ||
	    k->ch == L'n' || k->ch == L'N')) {
		ls->st->a->yes = k->ch == L'y' || k->ch == L'Y';
		return KR_SCREEN_DONE;
	}
	return KR_SCREEN_STAY;
}

static void
list_draw(const struct kr_ui *ui, const void *state)
{
	const struct list_state *ls = state;
	const struct kr_prompt *p = ls->st->p;
	int w = ui->cols - 4, y = 2, more;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title : "REVIEW");
	if (ui->run != NULL && ui->run->notice[0] != '\0')
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_WARN, ui->run->notice, 1);
	more = kr_ui_scroll_draw(ui, y, 2, w, ui->rows - 2 - y, p->text ?
	    p->text : "", ls->top);
	if (ls->top > 0 || more)
		kr_ui_textf(ui, y - 1, ui->cols - 24, 22, KR_UI_DIM,
		    " %s%s ", ls->top > 0 ? "^ more above " : "",
		    more ? "v more below" : "");
	if (kr_ui_enter_ready(ls->st->shown_ms))
		kr_ui_footer(ui, "y", "yes, go on", "n", "no, stop here",
		    "PgUp/PgDn", "scroll", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "PgUp/PgDn", "scroll", "F10", "abort",
		    (const char *)NULL);
}

static void
list_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_list_ops = {
	"list", list_init, list_key, list_draw, list_free
};
