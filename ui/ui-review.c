/*
 * ui-review.c: the whole roll call on a screen of its own, for review and
 * correction before the ceremony goes past it.
 *
 * The engine asks roll-call.confirm (or roll-call.check while a card
 * named is not in a reader) with one entry per person or answer in the
 * prompt's choices: the administrator, each witness, why, what
 * authorizes it, each custodian with the card and its serial.  The
 * administrator reads them aloud and either confirms (y) or moves to the
 * entry that is wrong and presses Enter: the engine then asks for that
 * entry alone (a name, or a custodian's name and card) and shows the
 * roll call again, so that a typo is corrected without retyping
 * everything.  What still has to be corrected (a card not in a reader,
 * two names for one card) is shown in red above the list; y then checks
 * again after the cards were put in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ui-int.h"

struct review_state {
	struct kr_ui_ask	*st;
	size_t			 sel;
};

static int
review_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct review_state *rs;

	(void)ui;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "roll-call review");
	rs->st = arg;
	rs->st->shown_ms = kr_ui_now_ms();
	*statep = rs;
	return 0;
}

static int
review_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct review_state *rs = state;
	const struct kr_prompt *p = rs->st->p;

	(void)ui;
	if (k->fn == KEY_UP && rs->sel > 0)
		rs->sel--;
	else if (k->fn == KEY_DOWN && rs->sel + 1 < p->nchoices)
		rs->sel++;
	else if (k->fn == KEY_HOME)
		rs->sel = 0;
	else if (k->fn == KEY_END && p->nchoices > 0)
		rs->sel = p->nchoices - 1;
	if (!kr_ui_enter_ready(rs->st->shown_ms))
		return KR_SCREEN_STAY;
	if (k->fn == 0 && (k->ch == L'y' || k->ch == L'Y')) {
		rs->st->a->yes = 1;
		return KR_SCREEN_DONE;
	}
	/* Correct the chosen entry (1-based); without entries, all. */
	if (k->fn == KEY_ENTER || (k->fn == 0 && (k->ch == L'c' ||
	    k->ch == L'C'))) {
		rs->st->a->yes = 0;
		rs->st->a->choice = p->nchoices > 0 ? rs->sel + 1 : 0;
		return KR_SCREEN_DONE;
	}
	return KR_SCREEN_STAY;
}

static void
review_draw(const struct kr_ui *ui, const void *state)
{
	const struct review_state *rs = state;
	const struct kr_prompt *p = rs->st->p;
	int w = ui->cols - 4, y = 2, bottom = ui->rows - 3;
	size_t i, first = 0, rows;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	kr_ui_rule(ui, y++, 0, ui->cols, p->title ? p->title : "REVIEW");
	if (p->refused != NULL)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, p->refused, 1);
	y += kr_ui_details(ui, y, 2, w, 4, p->details, p->ndetails, 1);
	if (ui->run != NULL && ui->run->notice[0] != '\0' &&
	    p->ndetails == 0 && p->refused == NULL)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_WARN, ui->run->notice, 1);
	if (p->nchoices == 0) {
		kr_ui_wrap(ui, y + 1, 2, w, bottom - y - 1, KR_UI_NORMAL,
		    p->text ? p->text : "", 1);
	} else {
		kr_ui_text(ui, ++y, 2, w, KR_UI_NORMAL, "Read the roll call "
		    "aloud. Is every name, card and answer right?");
		y += 2;
		rows = (size_t)(bottom - y);
		if (rs->sel >= rows)
			first = rs->sel - rows + 1;
		for (i = first; i < p->nchoices && y < bottom; i++, y++) {
			if (i == rs->sel)
				kr_ui_fill(ui, y, 2, w, KR_UI_SELECTED);
			kr_ui_textf(ui, y, 2, w, i == rs->sel ?
			    KR_UI_SELECTED : KR_UI_NORMAL, "%s %s",
			    i == rs->sel ? ">" : " ", p->choices[i]);
		}
	}
	kr_ui_text(ui, ui->rows - 2, 2, w, KR_UI_DIM, p->ndetails > 0 ?
	    "Put the cards named in, then y checks again; or correct an "
	    "entry." : "y: everything is right. Enter on an entry: correct "
	    "that one alone.");
	if (kr_ui_enter_ready(rs->st->shown_ms))
		kr_ui_footer(ui, "y", p->ndetails > 0 ? "check again" :
		    "yes, go on", "Enter", "correct this entry", "F2",
		    "transcript", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F10", "abort",
		    (const char *)NULL);
}

static void
review_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_review_ops = {
	"review", review_init, review_key, review_draw, review_free
};
