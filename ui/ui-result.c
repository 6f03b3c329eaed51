/*
 * ui-result.c: a step's facts on a screen of their own.
 *
 * Some prompts carry details (engine.h, struct kr_detail): the facts an
 * instruction speaks of as it is read ("the appliance shows the key it
 * holds and the custodians": step.<k> of load-escrow), a step's result
 * read aloud on the step's own screen (step.<k>.result: "Key proven",
 * "Air-gap check"), a share written and the card to take back
 * (custodian.<i>.written).  The Runner's action area is too small for a
 * key id and a roster, so these information prompts get the window: the
 * step and who acts, the instruction, then the facts as a table, and
 * Enter when everyone has read them.
 *
 * kr_ui_details() draws such a table for any screen (the roll-call
 * review, the Summary): a key column, values wrapped beside it, hex in
 * groups of four to compare, rows of a list indented under a heading,
 * good facts in green and bad ones in red.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui-int.h"

#define KEY_W		14	/* the key column */
#define GROUPS_PER_ROW	8

/* "3f2a09c1..." or "3F2A 09C1 ..." as rows of groups of four. */
static int
draw_groups(const struct kr_ui *ui, int y, int x, int w, int maxrows,
    enum kr_ui_role role, const char *v, int draw)
{
	char hex[256], row[GROUPS_PER_ROW * 5 + 1];
	size_t n = 0, i, g, len;
	int rows = 0, per = GROUPS_PER_ROW;

	for (i = 0; v[i] != '\0' && n + 1 < sizeof(hex); i++)
		if (v[i] != ' ' && v[i] != ':')
			hex[n++] = v[i];
	hex[n] = '\0';
	while (per > 1 && per * 5 - 1 > w)
		per /= 2;
	for (g = 0; g * 4 < n; g += (size_t)per, rows++) {
		if (!draw || rows >= maxrows)
			continue;
		len = 0;
		for (i = g; i < g + (size_t)per && i * 4 < n; i++)
			len += (size_t)snprintf(row + len, sizeof(row) - len,
			    "%s%.4s", i > g ? " " : "", hex + i * 4);
		kr_ui_text(ui, y + rows, x, w, role, row);
	}
	return rows > 0 ? rows : 1;
}

static enum kr_ui_role
value_role(unsigned int flags)
{
	if (flags & KR_DETAIL_BAD)
		return KR_UI_BAD;
	if (flags & KR_DETAIL_GOOD)
		return KR_UI_GOOD;
	if (flags & KR_DETAIL_GROUPS)
		return KR_UI_TITLE;
	return KR_UI_NORMAL;
}

int
kr_ui_details(const struct kr_ui *ui, int y, int x, int w, int maxrows,
    const struct kr_detail *d, size_t n, int draw)
{
	int rows = 0, r, vx = x + KEY_W, vw = w - KEY_W;
	size_t i;

	for (i = 0; i < n; i++) {
		int left = maxrows - rows, on = draw && left > 0;

		if (d[i].flags & KR_DETAIL_ROW) {
			if (on)
				kr_ui_text(ui, y + rows, x + 2, KEY_W - 2,
				    KR_UI_DIM, d[i].key);
			r = kr_ui_wrap(ui, y + rows, vx, vw, left,
			    value_role(d[i].flags), d[i].value, on);
		} else if (d[i].flags & KR_DETAIL_HEADING) {
			if (on) {
				kr_ui_text(ui, y + rows, x, KEY_W, KR_UI_TITLE,
				    d[i].key);
				kr_ui_text(ui, y + rows, vx, vw, KR_UI_DIM,
				    d[i].value);
			}
			r = 1;
		} else {
			if (on)
				kr_ui_text(ui, y + rows, x, w, KR_UI_TITLE,
				    d[i].key);
			/* A long key has its row; the value goes below. */
			if (kr_ui_width(d[i].key) > KEY_W - 1) {
				rows++;
				left--;
				on = on && left > 0;
			}
			if (d[i].flags & KR_DETAIL_GROUPS)
				r = draw_groups(ui, y + rows, vx, vw, left,
				    value_role(d[i].flags), d[i].value, on);
			else
				r = kr_ui_wrap(ui, y + rows, vx, vw, left,
				    value_role(d[i].flags), d[i].value, on);
		}
		rows += r > 0 ? r : 1;
	}
	return rows;
}

static int
result_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_ask *st = arg;

	(void)ui;
	st->shown_ms = kr_ui_now_ms();
	*statep = st;
	return 0;
}

static int
result_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_ask *st = state;

	(void)ui;
	if (k->fn == KEY_ENTER && kr_ui_enter_ready(st->shown_ms))
		return KR_SCREEN_DONE;
	return KR_SCREEN_STAY;
}

/* "STEP 4 OF 9   LOAD ESCROW", or the prompt's title outside a step. */
static void
draw_heading(const struct kr_ui *ui, const struct kr_prompt *p, int y,
    int w)
{
	const struct kr_run *run = ui->run;
	char verb[64];
	size_t i;

	if (run == NULL || run->step == 0 || run->step > run->nsteps) {
		kr_ui_text(ui, y, 2, w, KR_UI_TITLE, p->title ? p->title : "");
		return;
	}
	for (i = 0; run->verbs[run->step - 1][i] != '\0' &&
	    i < sizeof(verb) - 1; i++) {
		char c = run->verbs[run->step - 1][i];

		verb[i] = c == '-' ? ' ' : c >= 'a' && c <= 'z' ?
		    (char)(c - 'a' + 'A') : c;
	}
	verb[i] = '\0';
	kr_ui_textf(ui, y, 2, w, KR_UI_TITLE, "STEP %zu OF %zu   %s",
	    run->step, run->nsteps, verb);
}

/* Whether p is a step's instruction (step.<k>), read aloud. */
static int
is_instruction(const struct kr_prompt *p)
{
	const char *s;

	if (strncmp(p->id, "step.", 5) != 0)
		return 0;
	for (s = p->id + 5; *s >= '0' && *s <= '9'; s++)
		;
	return *s == '\0';
}

static void
result_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_ask *st = state;
	const struct kr_prompt *p = st->p;
	int w = ui->cols - 4, y = 2, bottom = ui->rows - 3, need, sayrows, n;
	int instr = is_instruction(p);
	const char *say = p->text ? p->text : "";

	draw_heading(ui, p, y++, w);
	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	need = kr_ui_details(ui, 0, 2, w, 1000, p->details, p->ndetails, 0);
	/* The instruction gets the rows the facts leave, two at least. */
	sayrows = kr_ui_wrap(ui, 0, 2, w, 0, KR_UI_TITLE, say, 0);
	if (sayrows > bottom - y - 1 - need)
		sayrows = bottom - y - 1 - need;
	if (sayrows < 2)
		sayrows = 2;
	if (*say != '\0') {
		n = kr_ui_wrap(ui, y, 2, w, sayrows, instr ? KR_UI_TITLE :
		    KR_UI_DIM, say, 1);
		y += n < sayrows ? n : sayrows;
	}
	kr_ui_rule(ui, y++, 0, ui->cols, instr ? "ON THE SCREEN" :
	    p->title ? p->title : "RESULT");
	if (p->refused != NULL)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, p->refused, 1);
	y += kr_ui_details(ui, y, 2, w, bottom - y, p->details, p->ndetails,
	    1);
	if (ui->run != NULL && ui->run->notice[0] != '\0' && y < bottom)
		kr_ui_wrap(ui, y, 2, w, bottom - y, KR_UI_WARN,
		    ui->run->notice, 1);
	kr_ui_text(ui, ui->rows - 2, 2, w, KR_UI_NORMAL,
	    !kr_ui_enter_ready(st->shown_ms) ? "" : instr ? "Read this aloud. "
	    "When everyone is ready, press Enter." : "Read the result aloud. "
	    "When everyone has seen it, press Enter.");
	if (kr_ui_enter_ready(st->shown_ms))
		kr_ui_footer(ui, "Enter", "continue", "F2", "transcript", "F3",
		    "QR", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F3", "QR", "F10",
		    "abort", (const char *)NULL);
}

static void
result_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_result_ops = {
	"result", result_init, result_key, result_draw, result_free
};
