/*
 * ui-abort.c: "Abort the ceremony?"
 *
 * F10, Ctrl-X or Ctrl-C during a ceremony opens this dialog.  Aborting
 * needs the word ABORT typed, so that no single key can end a ceremony;
 * Esc goes back to where the ceremony was.  The word is exactly ABORT, in
 * capitals, as the guide says: "abort" typed by a slip is refused.  The
 * engine does the rest: it wipes every secret and records the abort in
 * the transcript.
 */
#include <stdio.h>
#include <string.h>

#include "ui-int.h"

#define ABORT_WORD	"ABORT"

static int
abort_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct kr_ui_abort *ab = arg;

	(void)ui;
	kr_line_init(&ab->line, 16, NULL);
	ab->error[0] = '\0';
	ab->confirmed = 0;
	*statep = ab;
	return 0;
}

static int
abort_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct kr_ui_abort *ab = state;
	char text[64];

	(void)ui;
	if (k->fn == KR_KEY_ESC)
		return KR_SCREEN_BACK;
	if (k->fn != KEY_ENTER) {
		if (kr_line_key(&ab->line, k))
			ab->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (kr_line_text(&ab->line, text, sizeof(text)) < 0 ||
	    strcmp(text, ABORT_WORD) != 0) {
		snprintf(ab->error, sizeof(ab->error), "To abort, type %s. To "
		    "go on with the ceremony, press Esc.", ABORT_WORD);
		return KR_SCREEN_STAY;
	}
	ab->confirmed = 1;
	return KR_SCREEN_DONE;
}

static void
abort_draw(const struct kr_ui *ui, const void *state)
{
	const struct kr_ui_abort *ab = state;
	int y = 3, x = 6, w = ui->cols - 12;

	kr_ui_fill(ui, y, x - 2, w + 4, KR_UI_BAD);
	kr_ui_text(ui, y++, x, w, KR_UI_BAD, "ABORT THE CEREMONY?");
	y++;
	y += kr_ui_wrap(ui, y, x, w, 6, KR_UI_TITLE, "If you abort, the "
	    "appliance wipes every secret from its memory, records the abort "
	    "in the transcript, and stops. Files already written stay, no "
	    "other file is written, and the ceremony cannot be resumed: it "
	    "must be held again from the start.", 1);
	y++;
	kr_ui_textf(ui, y++, x, w, KR_UI_WARN, "Type %s and press Enter to "
	    "abort.", ABORT_WORD);
	kr_ui_text(ui, y++, x, w, KR_UI_NORMAL, "Press Esc to go on with the "
	    "ceremony.");
	y++;
	kr_ui_text(ui, y, x, 2, KR_UI_TITLE, ">");
	kr_line_draw(ui, &ab->line, y++, x + 2, 12);
	if (ab->error[0] != '\0')
		kr_ui_text(ui, ++y, x, w, KR_UI_BAD, ab->error);
	kr_ui_footer(ui, "Enter", "abort (after typing ABORT)", "Esc",
	    "go on with the ceremony", (const char *)NULL);
}

static void
abort_free(void *state)
{
	(void)state;
}

const struct kr_screen_ops kr_ui_abort_ops = {
	"abort", abort_init, abort_key, abort_draw, abort_free
};
