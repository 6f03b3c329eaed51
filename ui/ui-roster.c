/*
 * ui-roster.c: a reshare's roll call, the old roster beside the new one.
 *
 * When a key changes hands the people in the room must see both lists at
 * once: who holds it now (the package's roster, retired at the seal) and
 * who will hold it (the new roster, each card marked old or new).  The
 * engine sends the list as a table (kr_prompt.table: TAB-separated cells,
 * headings first) besides the plain text; this screen draws it in two
 * columns, with the roll call's other lines (administrator, witnesses,
 * what to correct) from the text above it.  y goes on, n corrects the
 * roll call, as on the review screen (ui-review.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui-int.h"

static int
roster_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_ask *st = arg;

	(void)ui;
	st->shown_ms = kr_ui_now_ms();
	*statep = st;
	return 0;
}

static int
roster_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_ask *st = state;

	(void)ui;
	if (!kr_ui_enter_ready(st->shown_ms))
		return KR_SCREEN_STAY;
	if (k->fn == 0 && (k->ch == L'y' || k->ch == L'Y' ||
	    k->ch == L'n' || k->ch == L'N')) {
		st->a->yes = k->ch == L'y' || k->ch == L'Y';
		return KR_SCREEN_DONE;
	}
	return KR_SCREEN_STAY;
}

/* The text's lines before the first custodian roster line. */
static int
draw_people(const struct kr_ui *ui, const char *text, int y, int bottom)
{
	char line[256];
	const char *p = text, *nl;
	size_t len;

	while (*p != '\0' && y < bottom) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "Old roster", 10) == 0)
			break;
		snprintf(line, sizeof(line), "%.*s", (int)(len < 255 ? len :
		    255), p);
		if (line[0] != '\0')
			kr_ui_text(ui, y++, 2, ui->cols - 4, KR_UI_NORMAL,
			    line);
		p = nl ? nl + 1 : p + len;
	}
	return y;
}

/* Two columns from the table; the first line is the headings. */
static int
draw_table(const struct kr_ui *ui, const char *table, int y, int bottom)
{
	char left[256], right[256];
	const char *p = table, *nl, *tab;
	int half = (ui->cols - 6) / 2, row = 0;
	size_t len;

	kr_ui_rule(ui, y++, 0, ui->cols, "OLD ROSTER  |  NEW ROSTER");
	while (*p != '\0' && y < bottom) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		tab = memchr(p, '\t', len);
		snprintf(left, sizeof(left), "%.*s", (int)(tab ? tab - p :
		    (long)len), p);
		snprintf(right, sizeof(right), "%.*s", tab ? (int)(len -
		    (size_t)(tab - p) - 1) : 0, tab ? tab + 1 : "");
		kr_ui_text(ui, y, 2, half, row == 0 ? KR_UI_TITLE :
		    KR_UI_DIM, left);
		kr_ui_text(ui, y, 4 + half, half, row == 0 ? KR_UI_TITLE :
		    strstr(right, " MISSING ") ? KR_UI_BAD : strstr(right,
		    " NEW ") ? KR_UI_GOOD : KR_UI_NORMAL, right);
		y++;
		row++;
		p = nl ? nl + 1 : p + len;
	}
	return y;
}

static void
roster_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_ask *st = state;
	const struct kr_prompt *p = st->p;
	int w = ui->cols - 4, y = 2, bottom = ui->rows - 4;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title : "ROLL CALL");
	if (p->refused != NULL)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, p->refused, 1);
	if (ui->run != NULL && ui->run->notice[0] != '\0')
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_WARN, ui->run->notice, 1);
	const char *fix = p->text ? strstr(p->text, "To correct: ") : NULL;

	y = draw_people(ui, p->text ? p->text : "", y, bottom);
	y = draw_table(ui, p->table, y + 1, fix ? bottom - 2 : bottom);
	if (fix != NULL)
		kr_ui_wrap(ui, bottom - 2, 2, w, 2, KR_UI_BAD, fix, 1);
	kr_ui_wrap(ui, bottom, 2, w, 2, KR_UI_TITLE, fix ? "Insert the cards "
	    "and press y to check again, or n to correct the roll call." :
	    "The old roster is retired when the transcript is sealed. Is "
	    "the new roster right? y: go on; n: correct it.", 1);
	if (kr_ui_enter_ready(st->shown_ms))
		kr_ui_footer(ui, "y", "yes, go on", "n", "no, correct it",
		    "F2", "transcript", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F10", "abort",
		    (const char *)NULL);
}

static void
roster_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_roster_ops = {
	"roster", roster_init, roster_key, roster_draw, roster_free
};
