/*
 * ui-summary.c: the Summary screen, after kr_engine_run() returned.
 *
 * Says in one word how the ceremony ended (COMPLETE, ABORTED, FAILED) and
 * why; after a completed ceremony, repeats what its results marked for
 * the summary (the certificate's fingerprint, the key id, the air gap)
 * and lists the files written; after one that did not complete, what it
 * left and what must not be used, with the cleaning step (the engine's
 * ceremony.end result); then where the transcript is, whether it is
 * sealed, and its SHA-256.  Enter goes back to Home, or, after the air
 * gap was breached, leaves keyrite; F2 and F3 show the transcript and its
 * QR code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

struct sum_state {
	const struct kr_run	*run;
	char			 sha[65];
	long long		 shown_ms;
	char			 printed[512];	/* what a reprint did */
};

static int
sum_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct sum_state *ss;
	uint8_t h[32];
	char *text = NULL;
	size_t len = 0;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "summary");
	ss->run = arg;
	ss->shown_ms = kr_ui_now_ms();
	if (ui->transcript != NULL &&
	    kr_lobby_transcript(ui->transcript, &text, &len, h) == 0)
		kr_hex_encode(h, sizeof(h), ss->sha, sizeof(ss->sha));
	free(text);
	*statep = ss;
	return 0;
}

static int
sum_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct sum_state *ss = state;
	int r;

	/* p: print the sealed transcript's paper record again. */
	if (k->fn == 0 && (k->ch == L'p' || k->ch == L'P') &&
	    ss->run->result == 0 && ui->transcript != NULL) {
		snprintf(ss->printed, sizeof(ss->printed), "Printing...");
		kr_ui_screen_draw(ui, &kr_ui_summary_ops, ss);
		if ((r = kr_lobby_reprint(ui->transcript, ui->cfg->printer,
		    ss->printed, sizeof(ss->printed))) != 0)
			snprintf(ss->printed, sizeof(ss->printed), "Not printed: "
			    "%s: %s", kr_strerror(r), kr_err_detail());
		return KR_SCREEN_STAY;
	}
	return (k->fn == KEY_ENTER || k->fn == KR_KEY_ESC) &&
	    kr_ui_enter_ready(ss->shown_ms) ? KR_SCREEN_DONE : KR_SCREEN_STAY;
}

static int
draw_outcome(const struct kr_ui *ui, const struct sum_state *ss, int y)
{
	const struct kr_run *run = ss->run;
	char why[1200];
	int w = ui->cols - 4, n;

	if (run->result == 0) {
		kr_ui_text(ui, y++, 2, w, KR_UI_GOOD, "CEREMONY COMPLETE");
		kr_ui_textf(ui, y++, 2, w, KR_UI_NORMAL, "%s: all %zu steps "
		    "done; the transcript is signed and sealed.", run->name,
		    run->nsteps);
		return y;
	}
	kr_ui_fill(ui, y, 2, w, KR_UI_BAD);
	kr_ui_text(ui, y++, 2, w, KR_UI_BAD,
	    run->result == KR_ERR_AIRGAP_BREACHED ? "CEREMONY ABORTED: THE AIR "
	    "GAP WAS BREACHED" : run->result == KR_ERR_ABORTED ||
	    run->result == KR_ERR_SIGNALLED ? "CEREMONY ABORTED" :
	    "CEREMONY FAILED");
	kr_ui_textf(ui, y++, 2, w, KR_UI_NORMAL, "%s stopped at step %zu of "
	    "%zu. Every secret was wiped.", run->name,
	    run->step, run->nsteps);
	snprintf(why, sizeof(why), "%s%s%s", kr_strerror(run->result),
	    run->detail[0] ? ": " : "", run->detail);
	n = kr_ui_wrap(ui, y, 2, w, 3, KR_UI_WARN, why, 1);
	return y + (n < 3 ? n : 3);
}

/* Facts kept from the run's results, as a table. */
static int
draw_facts(const struct kr_ui *ui, const struct kr_run_fact *f, size_t n,
    const char *title, int y, int maxrows)
{
	struct kr_detail d[KR_RUN_FACTS];
	size_t i;

	if (n == 0)
		return y;
	for (i = 0; i < n && i < KR_RUN_FACTS; i++) {
		d[i].key = f[i].key;
		d[i].value = f[i].value;
		d[i].flags = f[i].flags;
	}
	kr_ui_rule(ui, y++, 0, ui->cols, title);
	return y + kr_ui_details(ui, y, 2, ui->cols - 4, maxrows, d, i, 1);
}

static void
sum_draw(const struct kr_ui *ui, const void *state)
{
	const struct sum_state *ss = state;
	const struct kr_run *run = ss->run;
	size_t i, n = kr_engine_outputs(run->engine);
	int y = 2, w = ui->cols - 6;

	y = draw_outcome(ui, ss, y);
	if (run->result != 0 && run->nend > 0) {
		/* Nothing was published: what it left, and what to do. */
		y = draw_facts(ui, run->end, run->nend, "WHAT IT LEFT", y,
		    ui->rows - 6 - y);
	} else {
		y = draw_facts(ui, run->facts, run->nfacts, "RESULTS", y,
		    ui->rows - 9 - y - (int)n);
		kr_ui_rule(ui, y++, 0, ui->cols, run->result == 0 ?
		    "OUTPUTS" : "FILES WRITTEN BEFORE IT STOPPED");
		if (n == 0)
			kr_ui_text(ui, y++, 4, w, KR_UI_DIM, "none");
		for (i = 0; i < n && y < ui->rows - 6; i++)
			kr_ui_text(ui, y++, 4, w, KR_UI_NORMAL,
			    kr_engine_output(run->engine, i));
	}
	kr_ui_rule(ui, y++, 0, ui->cols, "TRANSCRIPT");
	if (ui->transcript == NULL) {
		kr_ui_text(ui, y, 4, w, KR_UI_BAD, "none was written");
	} else {
		kr_ui_text(ui, y++, 4, w, KR_UI_NORMAL, ui->transcript);
		/* A card-check has no ceremony key: the card seals it. */
		kr_ui_text(ui, y++, 4, w, run->result == 0 ? KR_UI_GOOD :
		    KR_UI_WARN, run->result != 0 ? "unsealed: every record up "
		    "to the stop is there" : strcmp(run->name, "card-check") ==
		    0 ? "sealed: signed by the custodian's card" : "sealed: "
		    "signed by the ceremony key");
		kr_ui_textf(ui, y++, 4, w, KR_UI_NORMAL, "SHA-256 %s",
		    ss->sha);
	}
	if (ss->printed[0] != '\0')
		kr_ui_wrap(ui, ++y, 4, w, 2, strncmp(ss->printed, "Not", 3) ?
		    KR_UI_GOOD : KR_UI_WARN, ss->printed, 1);
	if (kr_ui_enter_ready(ss->shown_ms))
		kr_ui_footer(ui, "Enter",
		    run->result == KR_ERR_AIRGAP_BREACHED ? "leave keyrite" :
		    "back to Home", "F2", "transcript", "F3", "QR",
		    run->result == 0 ? "p" : NULL, "print again",
		    (const char *)NULL);
	else
		kr_ui_footer(ui, "F2", "transcript", "F3", "QR",
		    (const char *)NULL);
}

static void
sum_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_summary_ops = {
	"summary", sum_init, sum_key, sum_draw, sum_free
};
