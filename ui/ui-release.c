/*
 * ui-release.c: the release review, where each witness confirms which
 * firmware images are about to be signed.
 *
 * The engine puts the whole release in the prompt's text: its name, the
 * manifest's SHA-256 in sixteen groups, then one entry per image (path,
 * size, SHA-256 as read from the medium).  A release may list more images
 * than the window has rows, so the text scrolls (arrows, Page Up/Down,
 * Home, End); the manifest's SHA-256 is drawn highlighted with its last
 * group marked, and the witness confirms by typing that group, as for a
 * key's fingerprint.  A group typed wrong is refused here with a plain
 * message, never sent, so a typing slip does not use up the engine's
 * three tries.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ui-int.h"

#define MAX_LINES	512
#define FP_GROUPS	16

struct release_state {
	struct kr_ui_ask	*st;
	char			*text;		/* a copy, split into lines */
	const char		*lines[MAX_LINES];
	size_t			 nlines;
	size_t			 top;		/* first line shown */
	char			 error[256];
};

/* Whether line is the 16 groups of 4 hex digits of a SHA-256. */
static int
is_groups(const char *line)
{
	int i, j;

	for (i = 0; i < FP_GROUPS; i++) {
		for (j = 0; j < 4; j++)
			if (!isxdigit((unsigned char)line[i * 5 + j]))
				return 0;
		if (line[i * 5 + 4] != (i == FP_GROUPS - 1 ? '\0' : ' '))
			return 0;
	}
	return 1;
}

static int
release_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct release_state *rs;
	char *p;

	(void)ui;
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->text = strdup(((struct kr_ui_ask *)arg)->p->text ?
	    ((struct kr_ui_ask *)arg)->p->text : "")) == NULL) {
		free(rs);
		return kr_err_set(KR_ERR_NOMEM, "release screen");
	}
	rs->st = arg;
	rs->st->shown_ms = kr_ui_now_ms();
	for (p = rs->text; p != NULL && rs->nlines < MAX_LINES; ) {
		rs->lines[rs->nlines++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	kr_line_init(&rs->st->line, 16, NULL);
	*statep = rs;
	return 0;
}

#define TEXT_TOP	4	/* role line and rule above */

/* The rows of text a window shows: between the rule and the input. */
static int
page_rows(const struct kr_ui *ui)
{
	int rows = ui->rows - 5 - TEXT_TOP;

	return rows > 1 ? rows : 1;
}

static void
scroll_by(struct release_state *rs, long by)
{
	long top = (long)rs->top + by;
	long max = (long)rs->nlines - 1;	/* lines wrap: the last on top */

	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	rs->top = (size_t)top;
}

static int
release_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct release_state *rs = state;
	struct kr_ui_ask *st = rs->st;

	switch (k->fn) {
	case KEY_UP:
		scroll_by(rs, -1);
		return KR_SCREEN_STAY;
	case KEY_DOWN:
		scroll_by(rs, 1);
		return KR_SCREEN_STAY;
	case KEY_PPAGE:
		scroll_by(rs, -(long)(page_rows(ui) > 1 ? page_rows(ui) - 1 :
		    1));
		return KR_SCREEN_STAY;
	case KEY_NPAGE:
		scroll_by(rs, page_rows(ui) > 1 ? page_rows(ui) - 1 : 1);
		return KR_SCREEN_STAY;
	case KEY_HOME:
		rs->top = 0;
		return KR_SCREEN_STAY;
	case KEY_END:
		scroll_by(rs, (long)rs->nlines);
		return KR_SCREEN_STAY;
	case KEY_ENTER:
		break;
	default:
		if (kr_line_key(&st->line, k))
			rs->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (!kr_ui_enter_ready(st->shown_ms))
		return KR_SCREEN_STAY;
	return kr_ui_typed_answer(st, "the last group of the manifest's "
	    "SHA-256. Compare again", rs->error, sizeof(rs->error));
}

/*
 * Draws one line of the text from row y, wrapped, in at most maxrows
 * rows; returns the rows it took.  The SHA-256 takes two rows of eight
 * groups (16 groups do not fit 80 columns beside a margin), its last
 * group marked.
 */
static int
draw_line(const struct kr_ui *ui, int y, int w, int maxrows, const char *line)
{
	const int half = 5 * (FP_GROUPS / 2);

	if (!is_groups(line))
		return kr_ui_wrap(ui, y, 2, w, maxrows, KR_UI_NORMAL,
		    line[0] ? line : " ", 1);
	kr_ui_textf(ui, y, 2, w, KR_UI_TITLE, "%.*s", half - 1, line);
	if (maxrows < 2)
		return 1;
	kr_ui_textf(ui, y + 1, 2, w, KR_UI_TITLE, "%.*s", half - 1,
	    line + half);
	kr_ui_text(ui, y + 1, 2 + half - 5, 4, KR_UI_WARN,
	    line + 5 * (FP_GROUPS - 1));
	return 2;
}

static void
release_draw(const struct kr_ui *ui, const void *state)
{
	const struct release_state *rs = state;
	const struct kr_prompt *p = rs->st->p;
	int w = ui->cols - 4, y = 2, bottom = ui->rows - 5;
	size_t i, last;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "witness",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title : "RELEASE");
	for (i = rs->top, y = TEXT_TOP; i < rs->nlines && y < bottom; i++)
		y += draw_line(ui, y, w, bottom - y, rs->lines[i]);
	last = i;
	if (rs->top > 0 || last < rs->nlines)
		kr_ui_textf(ui, bottom, 2, w, KR_UI_DIM, "lines %zu-%zu of "
		    "%zu: arrows and Page Up/Down scroll", rs->top + 1, last,
		    rs->nlines);
	kr_ui_text(ui, bottom + 1, 2, 47, KR_UI_TITLE, "Type the LAST group "
	    "of the manifest's SHA-256:");
	kr_line_draw(ui, &rs->st->line, bottom + 1, 50, 8);
	if (rs->error[0] != '\0')
		kr_ui_text(ui, bottom + 2, 2, w, KR_UI_BAD, rs->error);
	else if (ui->run != NULL && ui->run->notice[0] != '\0')
		kr_ui_text(ui, bottom + 2, 2, w, KR_UI_WARN, ui->run->notice);
	if (kr_ui_enter_ready(rs->st->shown_ms))
		kr_ui_footer(ui, "Enter", "confirm", "PgUp/PgDn", "scroll",
		    "F2", "transcript", "F10", "abort (no match)",
		    (const char *)NULL);
	else
		kr_ui_footer(ui, "PgUp/PgDn", "scroll", "F2", "transcript",
		    "F10", "abort", (const char *)NULL);
}

static void
release_free(void *state)
{
	struct release_state *rs = state;

	if (rs == NULL)
		return;
	free(rs->text);
	free(rs);
}

const struct kr_screen_ops kr_ui_release_ops = {
	"release", release_init, release_key, release_draw, release_free
};
