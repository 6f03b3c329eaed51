/*
 * ui-pick.c: which card a custodian brings, chosen from the cards present.
 *
 * At the roll call the engine asks for each custodian's card label
 * (custodian.<i>.card), a text prompt that carries cards_present.  This
 * screen lists the cards in the readers, refreshed every 250 ms, and the
 * administrator chooses one with the arrow keys and Enter, so that a
 * label is never mistyped.  Cards named already for another custodian in
 * this roll call (the prompt's used serials) are shown with that
 * custodian's name and cannot be chosen.  A card not in a reader yet is
 * the only one whose label is typed: the last row, or any letter typed,
 * opens a line for it; the roll call's review then checks that it was
 * put in before the ceremony goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define PICK_MAX	32

struct pick_state {
	struct kr_ui_ask	*st;
	struct kr_card_view	 cards[PICK_MAX];
	size_t			 ncards;
	size_t			 sel;		/* ncards: "another card" */
	int			 typing;	/* the label line is open */
	char			 error[512];
	char			 list_error[256];
};

static int
named_already(const struct kr_prompt *p, const struct kr_card_view *c)
{
	size_t i;

	for (i = 0; i < p->nused; i++)
		if (c->serial[0] != '\0' && strcmp(p->used[i], c->serial) == 0)
			return 1;
	return 0;
}

static void
list_refresh(struct pick_state *ps)
{
	const struct kr_prompt *p = ps->st->p;
	struct kr_card_view all[PICK_MAX];
	char keep[33];
	size_t n = 0, i, k = 0;

	snprintf(keep, sizeof(keep), "%s", ps->sel < ps->ncards ?
	    ps->cards[ps->sel].label : "");
	if (p->cards_present(p->cards_ctx, all, PICK_MAX, &n) != 0) {
		snprintf(ps->list_error, sizeof(ps->list_error), "Cannot list "
		    "the cards: %s", kr_err_detail());
		return;
	}
	ps->list_error[0] = '\0';
	for (i = 0; i < n; i++)
		if (all[i].label[0] != '\0')
			ps->cards[k++] = all[i];
	qsort(ps->cards, k, sizeof(ps->cards[0]), kr_lobby_card_cmp);
	ps->ncards = k;
	/* The highlight stays on the card it was on. */
	for (i = 0; i < k; i++)
		if (keep[0] != '\0' && strcmp(ps->cards[i].label, keep) == 0) {
			ps->sel = i;
			return;
		}
	if (ps->sel > k)
		ps->sel = k;
}

static int
pick_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct pick_state *ps;
	size_t i;

	(void)ui;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "card choice");
	ps->st = arg;
	ps->st->shown_ms = kr_ui_now_ms();
	kr_line_init(&ps->st->line, ps->st->p->max_len, NULL);
	list_refresh(ps);
	/* The first card nobody has yet. */
	for (i = 0; i < ps->ncards && named_already(ps->st->p,
	    &ps->cards[i]); i++)
		;
	ps->sel = i;
	*statep = ps;
	return 0;
}

static int
answer(struct pick_state *ps, const char *label)
{
	struct kr_answer *a = ps->st->a;

	if ((a->text = strdup(label)) == NULL) {
		snprintf(ps->error, sizeof(ps->error), "out of memory");
		return KR_SCREEN_STAY;
	}
	a->len = strlen(label);
	return KR_SCREEN_DONE;
}

static int
key_typing(struct pick_state *ps, const struct kr_key *k)
{
	char text[KR_LINE_MAX * 4 + 1], *t;
	int n;

	if (k->fn == KR_KEY_ESC) {
		ps->typing = 0;
		ps->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (k->fn != KEY_ENTER) {
		if (kr_line_key(&ps->st->line, k))
			ps->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if ((n = kr_line_text(&ps->st->line, text, sizeof(text))) < 0) {
		snprintf(ps->error, sizeof(ps->error), "That is too long for "
		    "a card label.");
		return KR_SCREEN_STAY;
	}
	while (n > 0 && text[n - 1] == ' ')
		text[--n] = '\0';
	for (t = text; *t == ' '; t++)
		;
	if (*t == '\0') {
		snprintf(ps->error, sizeof(ps->error), "Type the label "
		    "printed on the card, or Esc to choose from the list.");
		return KR_SCREEN_STAY;
	}
	return answer(ps, t);
}

static int
pick_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct pick_state *ps = state;
	const struct kr_card_view *c;

	(void)ui;
	if (k->fn == KR_KEY_TICK) {
		list_refresh(ps);
		return KR_SCREEN_STAY;
	}
	if (ps->typing)
		return key_typing(ps, k);
	if (k->fn == KEY_UP && ps->sel > 0)
		ps->sel--;
	else if (k->fn == KEY_DOWN && ps->sel < ps->ncards)
		ps->sel++;
	else if (k->fn == KEY_HOME)
		ps->sel = 0;
	else if (k->fn == KEY_END)
		ps->sel = ps->ncards;
	else if (k->fn == KEY_ENTER && kr_ui_enter_ready(ps->st->shown_ms)) {
		if (ps->sel >= ps->ncards) {
			ps->typing = 1;
			return KR_SCREEN_STAY;
		}
		c = &ps->cards[ps->sel];
		if (named_already(ps->st->p, c)) {
			snprintf(ps->error, sizeof(ps->error), "Card %s is "
			    "%s's already: each custodian brings a card of "
			    "their own.", c->label, c->holder[0] ? c->holder :
			    "another custodian");
			return KR_SCREEN_STAY;
		}
		return answer(ps, c->label);
	} else if (k->fn == 0 && k->ch > L' ') {
		/* A label typed at once: a card not in a reader yet. */
		ps->typing = 1;
		kr_line_key(&ps->st->line, k);
	}
	return KR_SCREEN_STAY;
}

static void
draw_cards(const struct kr_ui *ui, const struct pick_state *ps, int y,
    int bottom)
{
	const struct kr_prompt *p = ps->st->p;
	const struct kr_card_view *c;
	size_t i, first = 0, rows = (size_t)(bottom - y - 1);
	int sel;

	kr_ui_rule(ui, y++, 0, ui->cols, "CARDS PRESENT");
	if (ps->list_error[0] != '\0')
		kr_ui_text(ui, y++, 4, ui->cols - 6, KR_UI_BAD,
		    ps->list_error);
	else if (ps->ncards == 0)
		kr_ui_text(ui, y++, 4, ui->cols - 6, KR_UI_DIM, "No card is "
		    "in a reader.");
	if (ps->sel >= rows)
		first = ps->sel - rows + 1;
	for (i = first; i < ps->ncards && y < bottom - 1; i++, y++) {
		c = &ps->cards[i];
		sel = i == ps->sel && !ps->typing;
		if (sel)
			kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
		kr_ui_textf(ui, y, 2, ui->cols - 4, sel ? KR_UI_SELECTED :
		    named_already(p, c) ? KR_UI_DIM : KR_UI_NORMAL,
		    "%s %-13s serial %-16s  %s%s", sel ? ">" : " ", c->label,
		    c->serial, named_already(p, c) ? "named for " : "",
		    named_already(p, c) ? c->holder : "");
	}
	sel = ps->sel == ps->ncards && !ps->typing;
	if (sel)
		kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
	kr_ui_textf(ui, y, 2, ui->cols - 4, sel ? KR_UI_SELECTED :
	    KR_UI_NORMAL, "%s [ another card, not in a reader yet: type its "
	    "label ]", sel ? ">" : " ");
}

static void
pick_draw(const struct kr_ui *ui, const void *state)
{
	const struct pick_state *ps = state;
	const struct kr_prompt *p = ps->st->p;
	int y = 2, w = ui->cols - 4, bottom = ui->rows - 5;

	kr_ui_text(ui, y++, 2, w, KR_UI_TITLE, "ROLL CALL: WHICH CARD");
	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "administrator",
	    p->actor);
	y++;
	y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_TITLE, p->text ? p->text : "",
	    1);
	if (p->refused != NULL)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, p->refused, 1);
	y++;
	draw_cards(ui, ps, y, bottom);
	if (ps->typing) {
		kr_ui_text(ui, bottom, 2, 8, KR_UI_TITLE, "Label >");
		kr_line_draw(ui, &ps->st->line, bottom, 10, 34);
	}
	if (ps->error[0] != '\0')
		kr_ui_wrap(ui, bottom + 1, 2, w, 2, KR_UI_BAD, ps->error, 1);
	else
		kr_ui_wrap(ui, bottom + 1, 2, w, 2, KR_UI_DIM, ps->typing ?
		    "A card not in a reader yet: the roll call's review "
		    "checks that it is put in before the ceremony goes on." :
		    "Choose the card the custodian holds up. Its label is on "
		    "the card and in the list.", 1);
	if (ps->typing)
		kr_ui_footer(ui, "Enter", "record this label", "Esc",
		    "back to the list", "F10", "abort", (const char *)NULL);
	else if (kr_ui_enter_ready(ps->st->shown_ms))
		kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" :
		    "Up/Down", "choose", "Enter", "choose this card", "F2",
		    "transcript", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F10", "abort",
		    (const char *)NULL);
}

static void
pick_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_cardpick_ops = {
	"cardpick", pick_init, pick_key, pick_draw, pick_free
};
