/*
 * ui-home.c: the Home screen.
 *
 * What the people in the room see before a ceremony: whether this is a
 * rehearsal or the real thing, whether the machine passed its self-tests
 * and is air-gapped, which cards are present (polled every second), where
 * the outputs will go, and the ceremonies on offer with their one-line
 * descriptions.  Enter opens a ceremony's Parameters screen.
 *
 * The ceremony chosen at first is the one a new team runs first:
 * root-ca-create when the media hold no escrow package yet.  In a real
 * ceremony, a machine that failed its self-tests or is not air-gapped
 * opens no ceremony: Enter says why and what to do, and r checks again.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define HOME_POLL_TICKS	4	/* cards every second */
#define LABEL_W		14

static void
poll_cards(struct kr_ui *ui, struct kr_ui_home *h)
{
	size_t n = 0;

	h->cards_error[0] = '\0';
	if (kr_lobby_cards(ui->lobby, h->cards, sizeof(h->cards) /
	    sizeof(h->cards[0]), &n) != 0) {
		snprintf(h->cards_error, sizeof(h->cards_error), "%s",
		    kr_err_detail());
		n = 0;
	}
	h->ncards = n;
}

/*
 * With no escrow package on the media, nothing can be recovered or used
 * yet: the ceremony to start with is root-ca-create.
 */
static void
default_choice(const struct kr_ui *ui, struct kr_ui_home *h)
{
	char names[1][KR_LOBBY_NAME_MAX];
	size_t n = 0, i;

	kr_lobby_media_files((const char *const *)ui->cfg->media,
	    ui->cfg->nmedia, "", ".escrow", 0, names, 1, &n);
	if (n > 0)
		return;
	for (i = 0; i < kr_lobby_nscripts(ui->lobby); i++)
		if (strcmp(kr_lobby_script(ui->lobby, i)->name,
		    "root-ca-create") == 0)
			h->sel = i;
}

/*
 * A real ceremony does not start on a machine that failed its self-tests
 * or is not air-gapped: why not, and what to do.  NULL when it may.
 */
static const char *
refuses(const struct kr_ui *ui, struct kr_ui_home *h)
{
	const struct kr_lobby_health *hl = kr_lobby_health(ui->lobby);

	if (ui->cfg->rehearsal)
		return NULL;
	if (!hl->selftest_ok)
		snprintf(h->message, sizeof(h->message), "No ceremony starts: "
		    "the self-tests failed (%s). This machine must not be "
		    "used; boot another appliance.", hl->selftest_failed);
	else if (!hl->airgapped)
		snprintf(h->message, sizeof(h->message), "No ceremony starts: "
		    "this machine is not air-gapped (%s). Remove what is "
		    "listed (keyrite airgap-check names each), then press r "
		    "to check again.", hl->airgap_detail);
	else
		return NULL;
	return h->message;
}

static int
home_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_home *h = arg;

	h->quit_asked = 0;
	h->chosen = 0;
	h->ticks = 0;
	if (!h->defaulted) {
		default_choice(ui, h);
		h->defaulted = 1;
	}
	if (h->sel >= kr_lobby_nscripts(ui->lobby))
		h->sel = 0;
	ui->transcript = NULL;
	poll_cards(ui, h);
	*statep = h;
	return 0;
}

static int
home_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_home *h = state;
	size_t n = kr_lobby_nscripts(ui->lobby);
	int r;

	if (!h->quit_asked &&
	    (r = kr_ui_home_appliance_key(ui, h, k)) >= 0)
		return r;
	if (k->fn == KR_KEY_TICK) {
		if (++h->ticks % HOME_POLL_TICKS == 0)
			poll_cards(ui, h);
		return KR_SCREEN_STAY;
	}
	if (h->quit_asked) {
		h->quit_asked = 0;
		return k->fn == 0 && (k->ch == 'y' || k->ch == 'Y') ?
		    KR_SCREEN_BACK : KR_SCREEN_STAY;
	}
	if (k->fn == KEY_UP || (k->fn == 0 && k->ch == 'k')) {
		if (h->sel > 0)
			h->sel--;
	} else if (k->fn == KEY_DOWN || (k->fn == 0 && k->ch == 'j')) {
		if (h->sel + 1 < n)
			h->sel++;
	} else if (k->fn == KEY_ENTER && n > 0 &&
	    kr_lobby_script(ui->lobby, h->sel)->ok) {
		if (refuses(ui, h) != NULL)
			return KR_SCREEN_STAY;
		h->chosen = 1;
		return KR_SCREEN_DONE;
	} else if (k->fn == 0 && (k->ch == 'r' || k->ch == 'R')) {
		kr_lobby_check(ui->lobby);
		poll_cards(ui, h);
		h->message[0] = '\0';
	} else if (k->fn == KR_KEY_ABORT || (k->fn == 0 &&
	    (k->ch == 'q' || k->ch == 'Q')))
		h->quit_asked = 1;
	return KR_SCREEN_STAY;
}

static int
fact(const struct kr_ui *ui, int y, const char *label, enum kr_ui_role role,
    const char *value, int maxrows)
{
	int rows;

	kr_ui_text(ui, y, 2, LABEL_W, KR_UI_TITLE, label);
	rows = kr_ui_wrap(ui, y, 2 + LABEL_W, ui->cols - LABEL_W - 4, maxrows,
	    role, value, 1);
	return rows > maxrows ? maxrows : rows;
}

static int
draw_health(const struct kr_ui *ui, int y)
{
	const struct kr_lobby_health *hl = kr_lobby_health(ui->lobby);
	char buf[KR_LOBBY_TEXT_MAX + 128];

	if (hl->selftest_ok)
		snprintf(buf, sizeof(buf), "PASSED (%zu of %zu)",
		    hl->selftest_passed, hl->selftest_total);
	else
		snprintf(buf, sizeof(buf), "FAILED: %s. This machine must not "
		    "be used for a ceremony.", hl->selftest_failed);
	y += fact(ui, y, "Self-tests", hl->selftest_ok ? KR_UI_GOOD :
	    KR_UI_BAD, buf, 2);
	if (hl->airgapped)
		snprintf(buf, sizeof(buf), "AIR-GAPPED: no network interface, "
		    "no radio, no network adapter on USB");
	else
		snprintf(buf, sizeof(buf), "NOT AIR-GAPPED: %s",
		    hl->airgap_detail);
	y += fact(ui, y, "Air gap", hl->airgapped ? KR_UI_GOOD : KR_UI_BAD,
	    buf, 2);
	if (!hl->airgapped)
		y += fact(ui, y, "", ui->cfg->rehearsal ? KR_UI_DIM :
		    KR_UI_BAD, ui->cfg->rehearsal ? "Allowed in a rehearsal, "
		    "and recorded. A real ceremony refuses to start." : "No "
		    "ceremony starts until this is fixed: remove what is "
		    "listed, then press r.", 2);
	return y;
}

static int
draw_cards_media(const struct kr_ui *ui, const struct kr_ui_home *h, int y)
{
	char buf[1024];
	size_t i, used;

	if (h->cards_error[0] != '\0')
		snprintf(buf, sizeof(buf), "cannot list cards: %s",
		    h->cards_error);
	else if (h->ncards == 0)
		snprintf(buf, sizeof(buf), "no card present");
	else {
		used = (size_t)snprintf(buf, sizeof(buf), "%zu present:",
		    h->ncards);
		for (i = 0; i < h->ncards && used < sizeof(buf); i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			    "  %s", h->cards[i].label);
	}
	y += fact(ui, y, "Cards", h->cards_error[0] ? KR_UI_BAD :
	    KR_UI_NORMAL, buf, 2);
	if (ui->cfg->nmedia == 0)
		snprintf(buf, sizeof(buf), "none: start keyrite with --media "
		    "DIR to run a ceremony");
	else {
		used = 0;
		buf[0] = '\0';
		for (i = 0; i < ui->cfg->nmedia && used < sizeof(buf); i++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			    "%s%s", i ? ", " : "", ui->cfg->media[i]);
	}
	y += fact(ui, y, "Media", ui->cfg->nmedia ? KR_UI_NORMAL : KR_UI_BAD,
	    buf, 2);
	return y;
}

static void
draw_scripts(const struct kr_ui *ui, const struct kr_ui_home *h, int y)
{
	const struct kr_lobby_script *ls;
	size_t i, n = kr_lobby_nscripts(ui->lobby), fit;
	int bottom = ui->rows - 2, w = ui->cols - 8;

	kr_ui_rule(ui, y++, 0, ui->cols, "CEREMONIES");
	if (n == 0)
		kr_ui_text(ui, y + 1, 4, ui->cols - 6, KR_UI_BAD,
		    "No ceremony scripts found: start keyrite with --scripts "
		    "DIR.");
	/* An entry takes three rows at most; the selection stays in view. */
	fit = bottom - y > 3 ? (size_t)(bottom - y) / 3 : 1;
	for (i = h->sel >= fit ? h->sel - fit + 1 : 0; i < n &&
	    y + 3 <= bottom; i++) {
		ls = kr_lobby_script(ui->lobby, i);
		if (i == h->sel) {
			kr_ui_fill(ui, y, 2, ui->cols - 4, KR_UI_SELECTED);
			kr_ui_textf(ui, y, 2, ui->cols - 4, KR_UI_SELECTED,
			    "%s %s", ui->utf8 ? "\xe2\x96\xb6" : ">",
			    ls->name);
		} else
			kr_ui_textf(ui, y, 4, ui->cols - 6, KR_UI_TITLE, "%s",
			    ls->name);
		y++;
		y += kr_ui_wrap(ui, y, 6, w, bottom - y > 2 ? 2 : bottom - y,
		    ls->ok ? KR_UI_NORMAL : KR_UI_BAD, ls->description, 1) > 1 ?
		    2 : 1;
	}
}

static void
home_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_home *h = state;
	int y = 2;

	if (ui->cfg->rehearsal)
		kr_ui_text(ui, y, 2, ui->cols - 4, KR_UI_WARN, "REHEARSAL: "
		    "virtual cards, published PINs; nothing made here is "
		    "real.");
	else
		kr_ui_text(ui, y, 2, ui->cols - 4, KR_UI_TITLE, "REAL "
		    "CEREMONY: keys made here are real and used for real.");
	y = draw_health(ui, y + 2);
	y = draw_cards_media(ui, h, y);
	y = kr_ui_home_appliance_draw(ui, y);
	draw_scripts(ui, h, y + 1);
	if (h->message[0] != '\0')
		kr_ui_wrap(ui, ui->rows - 4, 2, ui->cols - 4, 3, KR_UI_BAD,
		    h->message, 1);
	else if (h->notice[0] != '\0')
		kr_ui_wrap(ui, ui->rows - 3, 2, ui->cols - 4, 2, KR_UI_GOOD,
		    h->notice, 1);
	if (h->quit_asked) {
		kr_ui_fill(ui, ui->rows - 1, 0, ui->cols, KR_UI_BAD);
		kr_ui_text(ui, ui->rows - 1, 1, ui->cols - 2, KR_UI_BAD,
		    "Leave keyrite? Press y to leave, any other key to stay.");
		return;
	}
	if (kr_ui_home_appliance_footer(ui))
		return;
	kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down",
	    "choose", "Enter", "open", "r", "check again", "q", "leave",
	    (const char *)NULL);
}

static void
home_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_home_ops = {
	"home", home_init, home_key, home_draw, home_free
};
