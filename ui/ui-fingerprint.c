/*
 * ui-fingerprint.c: the witnesses' fingerprint check.
 *
 * The SHA-256 fingerprint the engine puts in the prompt is shown in its
 * sixteen groups of four hex digits, each digit three rows high, four
 * groups to a row, then once more in ordinary text; the last group is
 * highlighted.  The witness compares it with the value read aloud and on
 * the printout and confirms by typing the last group.  What the witness
 * types goes to the engine, which judges it: a wrong group is recorded
 * (fingerprint-refused) and asked for again with the reason, shown here
 * in red; three wrong groups abort the ceremony.  Only an empty line is
 * refused here, as no attempt at all.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ui-int.h"

#define FP_GROUPS	16
#define FP_TEXT		(FP_GROUPS * 5)

struct fp_state {
	struct kr_ui_ask	*st;
	char			 fp[FP_TEXT];		/* "3F2A 09C1 ..." */
	int			 found;
	char			 error[256];
};

/* Finds "XXXX XXXX ... XXXX" (16 groups of 4 hex digits) in text. */
static int
find_fingerprint(const char *text, char *out)
{
	const char *p;
	int i, j;

	for (p = text; *p != '\0'; p++) {
		for (i = 0; i < FP_GROUPS; i++) {
			for (j = 0; j < 4; j++)
				if (!isxdigit((unsigned char)p[i * 5 + j]))
					break;
			if (j < 4 || (i < FP_GROUPS - 1 && p[i * 5 + 4] != ' '))
				break;
		}
		if (i == FP_GROUPS) {
			memcpy(out, p, FP_TEXT - 1);
			out[FP_TEXT - 1] = '\0';
			return 1;
		}
	}
	return 0;
}

static int
fp_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct fp_state *fs;

	(void)ui;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "fingerprint screen");
	fs->st = arg;
	fs->found = find_fingerprint(fs->st->p->text ? fs->st->p->text : "",
	    fs->fp);
	kr_line_init(&fs->st->line, 16, NULL);
	*statep = fs;
	return 0;
}

static int
fp_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct fp_state *fs = state;
	struct kr_ui_ask *st = fs->st;
	char text[64], *t;
	size_t len;

	(void)ui;
	if (k->fn != KEY_ENTER) {
		if (kr_line_key(&st->line, k))
			fs->error[0] = '\0';
		return KR_SCREEN_STAY;
	}
	if (kr_line_text(&st->line, text, sizeof(text)) < 0)
		text[0] = '\0';
	for (t = text; *t == ' '; t++)
		;
	len = strlen(t);
	while (len > 0 && t[len - 1] == ' ')
		t[--len] = '\0';
	if (len == 0) {
		snprintf(fs->error, sizeof(fs->error), "Nothing typed: type "
		    "the last group of four, as it is on your sheet.");
		return KR_SCREEN_STAY;
	}
	if ((st->a->text = strdup(t)) == NULL)
		return KR_SCREEN_STAY;
	st->a->len = len;
	return KR_SCREEN_DONE;
}

static void
draw_big(const struct kr_ui *ui, const struct fp_state *fs, int y)
{
	char group[5];
	int g, x0 = (ui->cols - (4 * 15 + 3 * 4)) / 2, x;

	for (g = 0; g < FP_GROUPS; g++) {
		memcpy(group, fs->fp + g * 5, 4);
		group[4] = '\0';
		x = x0 + (g % 4) * 19;
		kr_ui_big_hex(ui, y + (g / 4) * 4, x, g == FP_GROUPS - 1 ?
		    KR_UI_WARN : KR_UI_TITLE, group);
	}
}

static void
fp_draw(const struct kr_ui *ui, const void *state)
{
	const struct fp_state *fs = state;
	const struct kr_prompt *p = fs->st->p;
	int w = ui->cols - 4, top = ui->rows > 25 ? (ui->rows - 25) / 2 : 0;
	int y = 2 + top;

	kr_ui_role_line(ui, y++, 2, w, p->role ? p->role : "witness",
	    p->actor);
	kr_ui_text(ui, y++, 2, w, KR_UI_TITLE, "Compare with the "
	    "fingerprint read aloud and on the printout.");
	y++;
	if (fs->found) {
		draw_big(ui, fs, y);
		y += 16;
		kr_ui_text(ui, y++, (ui->cols - FP_TEXT + 1) / 2, FP_TEXT,
		    KR_UI_TITLE, fs->fp);
	} else
		y += kr_ui_wrap(ui, y, 2, w, 12, KR_UI_TITLE, p->text ?
		    p->text : "", 1) + 1;
	kr_ui_text(ui, y, 2, 22, KR_UI_TITLE, "Type the LAST group:");
	kr_line_draw(ui, &fs->st->line, y++, 24, 8);
	if (fs->error[0] != '\0')
		kr_ui_wrap(ui, y, 2, w, ui->rows - 1 - y, KR_UI_BAD, fs->error,
		    1);
	else if (p->refused != NULL)
		kr_ui_wrap(ui, y, 2, w, ui->rows - 1 - y, KR_UI_BAD,
		    p->refused, 1);
	kr_ui_footer(ui, "Enter", "confirm the fingerprint", "F2",
	    "transcript", "F10", "abort (no match)",
	    (const char *)NULL);
}

static void
fp_free(void *state)
{
	free(state);
}

const struct kr_screen_ops kr_ui_fingerprint_ops = {
	"fingerprint", fp_init, fp_key, fp_draw, fp_free
};
