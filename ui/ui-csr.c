/*
 * ui-csr.c: a witness checks a certificate request (csr.witness.<j>).
 *
 * The engine's review of the request fills the screen and scrolls: who
 * it names, its key, its proof of possession, each extension it asks for
 * and what becomes of it (a dropped one in red), the certificate the root
 * will issue.  The SPKI fingerprint the witness compares with the one
 * the requester sent is shown again above the input, its last group
 * highlighted; the witness types that group.  A wrong group is refused
 * here, never sent, as on the fingerprint screen (ui-fingerprint.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "ui-int.h"

#define FP_TEXT	80	/* 16 groups of 4, 15 spaces, NUL */

struct csr_state {
	struct kr_ui_ask	*st;
	size_t			 top, nlines;
	char			 fp[FP_TEXT];
	char			 error[256];
};

/*
 * The SPKI fingerprint: the sixteen groups of four hex digits after
 * "SPKI SHA-256" in the review, on however many lines.
 */
static void
find_fp(const char *text, char *out)
{
	const char *p = strstr(text, "SPKI SHA-256\n");
	size_t n = 0, g, j;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += 13, g = 0; g < 16; g++) {
		while (*p == ' ' || *p == '\n')
			p++;
		for (j = 0; j < 4; j++)
			if (!isxdigit((unsigned char)p[j]))
				return;
		memcpy(out + n, p, 4);
		n += 4;
		out[n++] = g < 15 ? ' ' : '\0';
		p += 4;
	}
}

static int
csr_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct csr_state *cs;

	(void)ui;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "request screen");
	cs->st = arg;
	cs->nlines = kr_ui_scroll_lines(cs->st->p->text ? cs->st->p->text :
	    "");
	find_fp(cs->st->p->text ? cs->st->p->text : "", cs->fp);
	kr_line_init(&cs->st->line, 16, NULL);
	*statep = cs;
	return 0;
}

static int
csr_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct csr_state *cs = state;
	struct kr_ui_ask *st = cs->st;
	size_t page = (size_t)(ui->rows > 12 ? ui->rows - 12 : 1), len;
	char text[64], *t;

	switch (k->fn) {
	case KEY_UP:
		cs->top -= cs->top > 0;
		return KR_SCREEN_STAY;
	case KEY_DOWN:
		cs->top += cs->top + 1 < cs->nlines;
		return KR_SCREEN_STAY;
	case KEY_PPAGE:
		cs->top = cs->top > page ? cs->top - page : 0;
		return KR_SCREEN_STAY;
	case KEY_NPAGE:
		cs->top = cs->top + page < cs->nlines ? cs->top + page :
		    cs->top;
		return KR_SCREEN_STAY;
	case KEY_ENTER:
		break;
	default:
		if (kr_line_key(&st->line, k))
			cs->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (kr_line_text(&st->line, text, sizeof(text)) < 0)
		text[0] = '\0';
	for (t = text; *t == ' '; t++)
		;
	len = strlen(t);
	while (len > 0 && t[len - 1] == ' ')
		t[--len] = '\0';
	if (st->p->expect == NULL || strcasecmp(t, st->p->expect) != 0) {
		snprintf(cs->error, sizeof(cs->error), "%s is not the last "
		    "group of the SPKI fingerprint. Compare again, group by "
		    "group.", len ? t : "Nothing typed:");
		return KR_SCREEN_STAY;
	}
	if ((st->a->text = strdup(t)) == NULL)
		return KR_SCREEN_STAY;
	st->a->len = len;
	return KR_SCREEN_DONE;
}

static void
csr_draw(const struct kr_ui *ui, const void *state)
{
	const struct csr_state *cs = state;
	const struct kr_prompt *p = cs->st->p;
	int w = ui->cols - 4, y = 2, bottom = ui->rows - 6, more;
	size_t n = strlen(cs->fp);

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "witness",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title :
	    "Certificate request");
	more = kr_ui_scroll_draw(ui, y, 2, w, bottom - y, p->text ?
	    p->text : "", cs->top);
	if (cs->top > 0 || more)
		kr_ui_textf(ui, y - 1, ui->cols - 24, 22, KR_UI_DIM,
		    " %s%s ", cs->top > 0 ? "^ more above " : "",
		    more ? "v more below" : "");
	y = bottom - 1;
	kr_ui_rule(ui, y++, 0, ui->cols, "SPKI SHA-256");
	if (n == FP_TEXT - 1) {
		/* Eight groups a row, the last group highlighted. */
		kr_ui_textf(ui, y++, 2, 39, KR_UI_TITLE, "%.39s", cs->fp);
		kr_ui_textf(ui, y, 2, 34, KR_UI_TITLE, "%.34s", cs->fp + 40);
		kr_ui_text(ui, y++, 37, 4, KR_UI_WARN, cs->fp + 75);
	}
	kr_ui_text(ui, y, 2, 30, KR_UI_TITLE, "Type the LAST group:");
	kr_line_draw(ui, &cs->st->line, y++, 24, 8);
	if (cs->error[0] != '\0')
		kr_ui_text(ui, y, 2, w, KR_UI_BAD, cs->error);
	else if (ui->run != NULL && ui->run->notice[0] != '\0')
		kr_ui_text(ui, y, 2, w, KR_UI_WARN, ui->run->notice);
	kr_ui_footer(ui, "Enter", "confirm", "PgUp/PgDn", "scroll", "F2",
	    "transcript", "F10", "abort (no match)", (const char *)NULL);
}

static void
csr_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_csr_ops = {
	"csr", csr_init, csr_key, csr_draw, csr_free
};
