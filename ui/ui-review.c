/*
 * ui-review.c: a yes/no question about a whole list, on a screen of its
 * own: the roll call, shown for review before the ceremony goes past it.
 *
 * The engine puts the whole list in the prompt's text (one entry a line)
 * and asks "yes: go on; no: correct it".  The Runner's action area is too
 * small for a list of custodians, so these prompts get the window.  When
 * the engine asks again because the last answer was refused (a card still
 * not in a reader), the reason is shown in red above the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui-int.h"

static int
review_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_ask *st = arg;

	(void)ui;
	st->shown_ms = kr_ui_now_ms();
	*statep = st;
	return 0;
}

static int
review_key(struct kr_ui *ui, void *state, const struct kr_key *k)
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

static void
review_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_ask *st = state;
	const struct kr_prompt *p = st->p;
	int w = ui->cols - 4, y = 2;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title : "REVIEW");
	if (p->refused != NULL)
		y += kr_ui_wrap(ui, y, 2, w, 3, KR_UI_BAD, p->refused, 1);
	if (ui->run != NULL && ui->run->notice[0] != '\0')
		y += kr_ui_wrap(ui, y, 2, w, 3, KR_UI_WARN, ui->run->notice, 1);
	y++;
	kr_ui_wrap(ui, y, 2, w, ui->rows - 2 - y, KR_UI_NORMAL,
	    p->text ? p->text : "", 1);
	if (kr_ui_enter_ready(st->shown_ms))
		kr_ui_footer(ui, "y", "yes, go on", "n", "no, correct it",
		    "F2", "transcript", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F10", "abort",
		    (const char *)NULL);
}

static void
review_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_review_ops = {
	"review", review_init, review_key, review_draw, review_free
};
