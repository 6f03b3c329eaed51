/*
 * ui-card.c: the Card wait screen.
 *
 * "Custodian Carol One: insert your card".  The screen lists the cards
 * present through the prompt's cards_present() every 250 ms and says at
 * once what changed: a card taken out, a card put in.  When the card
 * asked for is put in, the screen answers by itself; any other card is
 * named as the wrong card and nothing is sent to the engine, so a wrong
 * card costs nothing.  Cards already present when the prompt appears are
 * not taken as presented (the previous custodian's card may still be in
 * the reader); a custodian may also pick one from the list with the arrow
 * keys and Enter, which is how virtual rehearsal cards, all present at
 * once, are presented.
 *
 * A wrong card, chosen or put in, is sent to the engine, which names it,
 * records it (card-refused) and asks again with the reason, shown here
 * in red: every refused attempt is in the transcript.
 *
 * When any custodian's card will do (a recovery), a card already
 * presented in this step (the prompt's used serials) cannot be chosen
 * again and is pointed out when put in; each card shows whose it is
 * (from the package's roster), and the administrator may say that no
 * more cards will come (n, then y): the engine then names what is
 * missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define CARDS_MAX	32

struct card_state {
	struct kr_ui_ask	*st;
	struct kr_card_view	 now[CARDS_MAX];
	size_t			 nnow;
	size_t			 sel;
	char			 event[512];
	int			 event_bad;
	char			 error[512];
	int			 asking_no_more;
	int			 ready;		/* answer at the next tick */
	long long		 shown_ms;
};

static int
same(const struct kr_card_view *a, const struct kr_card_view *b)
{
	return strcmp(a->label, b->label) == 0 &&
	    strcmp(a->serial, b->serial) == 0;
}

static const char *
card_id(const struct kr_card_view *c)
{
	return c->serial[0] != '\0' ? c->serial : c->label;
}

static int
wanted(const struct kr_prompt *p, const struct kr_card_view *c)
{
	return strcmp(c->label, p->card) == 0 ||
	    strcmp(c->serial, p->card) == 0;
}

/* A card presented already in this step: it counts once. */
static int
presented_before(const struct kr_prompt *p, const struct kr_card_view *c)
{
	size_t i;

	for (i = 0; i < p->nused; i++)
		if (c->serial[0] != '\0' && strcmp(p->used[i], c->serial) == 0)
			return 1;
	return 0;
}

/* Lists the cards present; returns how many, or -1 (error set). */
static int
list_cards(struct card_state *cs, struct kr_card_view *out)
{
	const struct kr_prompt *p = cs->st->p;
	struct kr_card_view all[CARDS_MAX];
	size_t n = 0, i, k = 0;

	if (p->cards_present == NULL)
		return 0;
	if (p->cards_present(p->cards_ctx, all, CARDS_MAX, &n) != 0) {
		snprintf(cs->error, sizeof(cs->error), "Cannot list the cards: "
		    "%s", kr_err_detail());
		return -1;
	}
	cs->error[0] = '\0';
	for (i = 0; i < n; i++)
		if (all[i].label[0] != '\0')	/* a blank, spare slot */
			out[k++] = all[i];
	qsort(out, k, sizeof(*out), kr_lobby_card_cmp);
	return (int)k;
}

static int
answer(struct card_state *cs, const struct kr_card_view *c)
{
	struct kr_answer *a = cs->st->a;

	if ((a->text = strdup(card_id(c))) == NULL)
		return KR_SCREEN_STAY;
	a->len = strlen(a->text);
	return KR_SCREEN_DONE;
}

static void
say_presented(struct card_state *cs, const struct kr_card_view *c)
{
	snprintf(cs->event, sizeof(cs->event), "Card %.32s was presented "
	    "already in this step: each card counts once. Take it out and "
	    "present another custodian's card.", c->label);
	cs->event_bad = 1;
}

static int
card_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct card_state *cs;
	const struct kr_prompt *p;
	size_t i;
	int n;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "card screen");
	(void)ui;
	cs->st = arg;
	cs->shown_ms = kr_ui_now_ms();
	p = cs->st->p;
	/* Asked again: the engine says why the last card was refused. */
	if (p->refused != NULL) {
		snprintf(cs->event, sizeof(cs->event), "%s", p->refused);
		cs->event_bad = 1;
	}
	n = list_cards(cs, cs->now);
	cs->nnow = n > 0 ? (size_t)n : 0;
	for (i = 0; i < cs->nnow; i++) {
		if (p->card != NULL ? wanted(p, &cs->now[i]) :
		    !presented_before(p, &cs->now[i])) {
			cs->sel = i;
			break;
		}
	}
	/* A real reader holding just the card asked for. */
	if (p->card != NULL && cs->nnow == 1 && wanted(p, &cs->now[0]))
		cs->ready = 1;
	*statep = cs;
	return 0;
}

/* Compares a new listing with the last; may answer. */
static int
poll_cards(struct card_state *cs)
{
	const struct kr_prompt *p = cs->st->p;
	struct kr_card_view now[CARDS_MAX];
	size_t i, j, n;
	int r;

	if ((r = list_cards(cs, now)) < 0)
		return KR_SCREEN_STAY;
	n = (size_t)r;
	for (i = 0; i < cs->nnow; i++) {
		for (j = 0; j < n && !same(&cs->now[i], &now[j]); j++)
			;
		if (j == n) {
			snprintf(cs->event, sizeof(cs->event), "Card %.32s was "
			    "taken out.", cs->now[i].label);
			cs->event_bad = 0;
		}
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < cs->nnow && !same(&cs->now[i], &now[j]); i++)
			;
		if (i < cs->nnow)
			continue;
		/* A wrong card put in goes to the engine, which records it. */
		if (p->card != NULL || !presented_before(p, &now[j]))
			return answer(cs, &now[j]);
		say_presented(cs, &now[j]);
	}
	memcpy(cs->now, now, sizeof(now[0]) * n);
	cs->nnow = n;
	if (cs->sel >= n)
		cs->sel = n > 0 ? n - 1 : 0;
	return KR_SCREEN_STAY;
}

static int
card_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct card_state *cs = state;
	const struct kr_prompt *p = cs->st->p;

	(void)ui;
	if (k->fn == KR_KEY_TICK) {
		if (cs->ready && cs->nnow == 1)
			return answer(cs, &cs->now[0]);
		return poll_cards(cs);
	}
	if (cs->asking_no_more) {
		cs->asking_no_more = 0;
		if (k->fn == 0 && (k->ch == 'y' || k->ch == 'Y')) {
			cs->st->no_more = 1;
			return KR_SCREEN_DONE;
		}
		return KR_SCREEN_STAY;
	}
	if (k->fn == KEY_HOME)
		cs->sel = 0;
	else if (k->fn == KEY_UP && cs->sel > 0)
		cs->sel--;
	else if (k->fn == KEY_DOWN && cs->sel + 1 < cs->nnow)
		cs->sel++;
	else if (k->fn == KEY_ENTER && cs->sel < cs->nnow &&
	    kr_ui_enter_ready(cs->shown_ms)) {
		if (p->card == NULL && presented_before(p,
		    &cs->now[cs->sel])) {
			say_presented(cs, &cs->now[cs->sel]);
			return KR_SCREEN_STAY;
		}
		return answer(cs, &cs->now[cs->sel]);
	} else if (k->fn == 0 && (k->ch == 'n' || k->ch == 'N') &&
	    p->card == NULL)
		cs->asking_no_more = 1;
	return KR_SCREEN_STAY;
}

static void
draw_list(const struct kr_ui *ui, const struct card_state *cs, int y,
    int bottom)
{
	const struct kr_prompt *p = cs->st->p;
	const struct kr_card_view *c;
	const char *note;
	size_t i;

	kr_ui_rule(ui, y++, 0, ui->cols, "CARDS PRESENT");
	if (cs->nnow == 0)
		kr_ui_text(ui, y, 4, ui->cols - 6, KR_UI_DIM, "No card is "
		    "present.");
	for (i = 0; i < cs->nnow && y < bottom; i++, y++) {
		c = &cs->now[i];
		note = p->card != NULL ? (wanted(p, c) ? "asked for" :
		    "") : presented_before(p, c) ? "already presented" : "";
		if (i == cs->sel)
			kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
		kr_ui_textf(ui, y, 2, ui->cols - 4, i == cs->sel ?
		    KR_UI_SELECTED : KR_UI_NORMAL, "%s %-13s serial %-16s  "
		    "%-16.16s  %s", i == cs->sel ? ">" : " ", c->label,
		    c->serial, c->holder, note);
	}
}

static void
card_draw(const struct kr_ui *ui, const void *state)
{
	const struct card_state *cs = state;
	const struct kr_prompt *p = cs->st->p;
	int y = 2, w = ui->cols - 4;

	kr_ui_text(ui, y++, 2, w, KR_UI_TITLE, p->card ? "INSERT CARD" :
	    "PRESENT A CARD");
	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "custodian",
	    p->actor);
	y++;
	y += kr_ui_wrap(ui, y, 2, w, 3, KR_UI_TITLE, p->text ? p->text : "",
	    1);
	y++;
	if (p->card != NULL)
		kr_ui_textf(ui, y++, 2, w, KR_UI_WARN, "Card asked for:  %s",
		    p->card);
	else
		kr_ui_text(ui, y++, 2, w, KR_UI_WARN, "Any custodian card of "
		    "this key. Each card counts once.");
	if (ui->run != NULL && ui->run->progress_on)
		kr_ui_textf(ui, y, 2, w, KR_UI_NORMAL, "Progress: %s, %llu "
		    "of %llu", ui->run->progress_text,
		    (unsigned long long)ui->run->progress_done,
		    (unsigned long long)ui->run->progress_total);
	y++;
	draw_list(ui, cs, y, ui->rows - 6);
	y = ui->rows - 5;
	if (cs->error[0] != '\0')
		kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, cs->error, 1);
	else if (cs->event[0] != '\0')
		kr_ui_wrap(ui, y, 2, w, 2, cs->event_bad ? KR_UI_BAD :
		    KR_UI_WARN, cs->event, 1);
	kr_ui_wrap(ui, ui->rows - 3, 2, w, 2, KR_UI_DIM,
	    ui->cfg->rehearsal && cs->nnow > 1 ? "Rehearsal: the virtual "
	    "cards are all present. Choose the card handed over with the "
	    "arrow keys and Enter." : "Insert the card into the reader: the "
	    "screen moves on by itself when the card asked for is in.", 1);
	if (cs->asking_no_more) {
		kr_ui_fill(ui, ui->rows - 1, 0, ui->cols, KR_UI_BAD);
		kr_ui_text(ui, ui->rows - 1, 1, ui->cols - 2, KR_UI_BAD,
		    "No more cards will come? Press y to say so, any other key "
		    "to wait.");
	} else if (!kr_ui_enter_ready(cs->shown_ms))
		kr_ui_footer(ui, "F2", "transcript", "F3", "QR", "F10",
		    "abort", (const char *)NULL);
	else if (p->card == NULL)
		kr_ui_footer(ui, "Enter", "present", "n", "no more cards",
		    "F2", "transcript", "F10", "abort", (const char *)NULL);
	else
		kr_ui_footer(ui, "Enter", "present the chosen card", "F2",
		    "transcript", "F3", "QR", "F10", "abort",
		    (const char *)NULL);
}

static void
card_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_card_ops = {
	"card", card_init, card_key, card_draw, card_free
};
