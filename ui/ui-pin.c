/*
 * ui-pin.c: the PIN entry screen.
 *
 * The PIN is typed into locked memory (kr_secmem) and shown only as one
 * dot per character.  The screen names the card and the custodian, says
 * how many attempts keyrite still allows on this card in this ceremony,
 * and warns in plain words before the last one, and when the card itself
 * reports its final try.  An empty PIN, or one longer than a card takes,
 * is refused here: neither would be a real attempt, and either would stop
 * the ceremony.
 *
 * Where the card may be left out (a recovery, which takes any M
 * custodians' cards: the prompt's may_skip), Esc asks "leave this card
 * out?", at any attempt, the last one too; y leaves it out and the
 * engine asks for the next custodian's card.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/secmem.h"
#include "card/token.h"
#include "ui-int.h"

struct pin_state {
	struct kr_ui_ask	*st;
	char			*pin;	/* KR_TOKEN_PIN_MAX + 1, secmem */
	size_t			 len;
	char			 error[128];
	int			 asking_skip;	/* Esc: leave the card out? */
};

static int
pin_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct pin_state *ps;

	(void)ui;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "PIN screen");
	if ((ps->pin = kr_secmem_alloc(KR_TOKEN_PIN_MAX + 1)) == NULL) {
		free(ps);
		return KR_ERR_SECMEM_MLOCK;
	}
	ps->st = arg;
	*statep = ps;
	return 0;
}

static int
send_pin(struct pin_state *ps)
{
	struct kr_answer *a = ps->st->a;

	if (ps->len == 0) {
		snprintf(ps->error, sizeof(ps->error), "Type the PIN first.");
		return KR_SCREEN_STAY;
	}
	if ((a->text = kr_secmem_alloc(ps->len + 1)) == NULL) {
		snprintf(ps->error, sizeof(ps->error), "Out of locked memory.");
		return KR_SCREEN_STAY;
	}
	memcpy(a->text, ps->pin, ps->len);
	a->len = ps->len;
	return KR_SCREEN_DONE;
}

static int
pin_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct pin_state *ps = state;

	(void)ui;
	/* The clock's ticks are not an answer to "leave this card out?". */
	if (k->fn == KR_KEY_TICK)
		return KR_SCREEN_STAY;
	if (ps->asking_skip) {
		ps->asking_skip = 0;
		if (k->fn == 0 && (k->ch == 'y' || k->ch == 'Y')) {
			ps->st->skipped = 1;
			return KR_SCREEN_DONE;
		}
		return KR_SCREEN_STAY;
	}
	if (k->fn == KR_KEY_ESC && ps->st->p->may_skip) {
		ps->asking_skip = 1;
		return KR_SCREEN_STAY;
	}
	if (k->fn == KEY_ENTER)
		return send_pin(ps);
	if (k->fn == KEY_BACKSPACE && ps->len > 0) {
		ps->pin[--ps->len] = '\0';
		ps->error[0] = '\0';
	} else if (k->fn == 0 && k->ch >= 0x20 && k->ch < 0x7f) {
		if (ps->len >= KR_TOKEN_PIN_MAX) {
			snprintf(ps->error, sizeof(ps->error), "A PIN has at "
			    "most %d characters.", KR_TOKEN_PIN_MAX);
			return KR_SCREEN_STAY;
		}
		ps->pin[ps->len++] = (char)k->ch;
		ps->error[0] = '\0';
	} else if (k->fn == 0 && k->ch >= 0x7f) {
		snprintf(ps->error, sizeof(ps->error), "A PIN is made of "
		    "letters, digits and signs from the keyboard.");
	}
	return KR_SCREEN_STAY;
}

static void
draw_warnings(const struct kr_ui *ui, const struct kr_prompt *p, int y)
{
	int w = ui->cols - 4;

	if (p->final_try)
		y += kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, "LAST TRY: the "
		    "card says that one more wrong PIN locks it for good. If "
		    "you are not sure of your PIN, stop now (F10) and talk to "
		    "the administrator.", 1);
	if (p->attempts_left == 1)
		kr_ui_wrap(ui, y, 2, w, 2, KR_UI_BAD, p->may_skip ? "This is "
		    "the last attempt keyrite allows for this card in this "
		    "ceremony: if this PIN is wrong too, the card is left out "
		    "(Esc leaves it out now)." : "This is the last attempt "
		    "keyrite allows for this card in this ceremony: if this PIN "
		    "is wrong too, the ceremony stops.", 1);
}

static void
pin_draw(const struct kr_ui *ui, const void *state)
{
	const struct pin_state *ps = state;
	const struct kr_prompt *p = ps->st->p;
	int y = 2, w = ui->cols - 4, x, fw = 2 * KR_TOKEN_PIN_MAX / 3;
	size_t i;

	kr_ui_text(ui, y++, 2, w, KR_UI_TITLE, p->card ? "ENTER PIN" :
	    "ENTER PASSPHRASE");
	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "custodian",
	    p->actor);
	y++;
	y += kr_ui_wrap(ui, y, 2, w, 3, KR_UI_TITLE, p->text ? p->text : "",
	    1);
	y++;
	/* No card: a key file's passphrase (escrow-import), kept alike. */
	if (p->card != NULL) {
		kr_ui_text(ui, y, 6, 16, KR_UI_NORMAL, "Card");
		kr_ui_text(ui, y++, 22, w - 20, KR_UI_TITLE, p->card);
	}
	kr_ui_text(ui, y, 6, 16, KR_UI_NORMAL, "Attempts left");
	kr_ui_textf(ui, y++, 22, w - 20, p->attempts_left <= 1 ? KR_UI_BAD :
	    KR_UI_TITLE, "%u", p->attempts_left);
	y++;
	kr_ui_text(ui, y, 6, 16, KR_UI_NORMAL, p->card ? "PIN" : "Passphrase");
	kr_ui_fill(ui, y, 22, fw, KR_UI_FIELD);
	attrset(kr_ui_attr(ui, KR_UI_FIELD));
	move(y, 23);
	for (i = 0; i < ps->len && (int)(2 * i + 2) < fw; i++)
		addstr(ui->utf8 ? "\xe2\x97\x8f " : "* ");
	attrset(A_NORMAL);
	x = 23 + (int)(2 * i);
	kr_ui_cursor_at(y++, x);
	y++;
	if (ps->error[0] != '\0')
		kr_ui_text(ui, y, 2, w, KR_UI_BAD, ps->error);
	else if (ui->run != NULL && ui->run->notice[0] != '\0')
		kr_ui_wrap(ui, y, 2, w, 3, KR_UI_WARN, ui->run->notice, 1);
	draw_warnings(ui, p, ui->rows - 6);
	kr_ui_text(ui, ui->rows - 3, 2, w, KR_UI_DIM, "Nobody else looks at "
	    "the keyboard while a PIN is typed.");
	if (ps->asking_skip) {
		kr_ui_fill(ui, ui->rows - 1, 0, ui->cols, KR_UI_BAD);
		kr_ui_textf(ui, ui->rows - 1, 1, ui->cols - 2, KR_UI_BAD,
		    "Leave card %s out? y: yes, ask for the next card; any "
		    "other key: no", p->card ? p->card : "");
	} else if (p->may_skip)
		kr_ui_footer(ui, "Enter", "send the PIN", "Backspace",
		    "correct", "Esc", "leave this card out", "F10", "abort",
		    (const char *)NULL);
	else
		kr_ui_footer(ui, "Enter", "send the PIN", "Backspace",
		    "correct", "F10", "abort", (const char *)NULL);
}

static void
pin_free(void *state)
{
	struct pin_state *ps = state;

	if (ps == NULL)
		return;
	kr_secmem_free(ps->pin, KR_TOKEN_PIN_MAX + 1);
	explicit_bzero(ps, sizeof(*ps));
	free(ps);
}

const struct kr_screen_ops kr_ui_pin_ops = {
	"pin", pin_init, pin_key, pin_draw, pin_free
};
