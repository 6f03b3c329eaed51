/*
 * ui-transcript.c: the transcript viewer (F2 or Ctrl-T).
 *
 * Shows the transcript exactly as written, line by line, long lines
 * wrapped, with its path and SHA-256 (what `sha256sum` prints) at the
 * top, and scrolls.  It reads a snapshot through the lobby when opened;
 * during a ceremony, close and open it again to see new records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/hex.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

struct tv_state {
	const char	*path;
	char		*text;
	char		**lines;
	size_t		 nlines;
	size_t		 top;
	char		 sha[65];
	char		 error[512];
};

static int
split_lines(struct tv_state *tv, size_t len)
{
	size_t i, n = 1;
	char *p;

	for (i = 0; i < len; i++)
		if (tv->text[i] == '\n')
			n++;
	if ((tv->lines = calloc(n, sizeof(*tv->lines))) == NULL)
		return -1;
	for (p = tv->text; p != NULL && *p != '\0';) {
		tv->lines[tv->nlines++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	return 0;
}

static int
tv_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct tv_state *tv;
	uint8_t h[32];
	size_t len = 0, page = (size_t)(ui->rows > 7 ? ui->rows - 7 : 1);

	(void)arg;
	if ((tv = calloc(1, sizeof(*tv))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcript viewer");
	tv->path = ui->transcript;
	if (kr_lobby_transcript(tv->path, &tv->text, &len, h) != 0)
		snprintf(tv->error, sizeof(tv->error), "%s", kr_err_detail());
	else {
		kr_hex_encode(h, sizeof(h), tv->sha, sizeof(tv->sha));
		if (split_lines(tv, len) != 0)
			snprintf(tv->error, sizeof(tv->error), "out of memory");
	}
	tv->top = tv->nlines > page ? tv->nlines - page : 0;
	*statep = tv;
	return 0;
}

static int
tv_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct tv_state *tv = state;
	size_t page = (size_t)(ui->rows > 7 ? ui->rows - 7 : 1);
	size_t last = tv->nlines > 0 ? tv->nlines - 1 : 0;

	switch (k->fn) {
	case KEY_UP:
		if (tv->top > 0)
			tv->top--;
		break;
	case KEY_DOWN:
		if (tv->top < last)
			tv->top++;
		break;
	case KEY_PPAGE:
		tv->top = tv->top > page ? tv->top - page : 0;
		break;
	case KEY_NPAGE:
		tv->top = tv->top + page < last ? tv->top + page : last;
		break;
	case KEY_HOME:
		tv->top = 0;
		break;
	case KEY_END:
		tv->top = tv->nlines > page ? tv->nlines - page : 0;
		break;
	case KR_KEY_TICK:
		break;
	case KR_KEY_ESC:
	case KEY_ENTER:
	case KR_KEY_TRANSCRIPT:
	case KR_KEY_ABORT:
		return KR_SCREEN_BACK;
	default:
		if (k->fn == 0 && (k->ch == 'q' || k->ch == 'Q'))
			return KR_SCREEN_BACK;
	}
	return KR_SCREEN_STAY;
}

static void
tv_draw(const struct kr_ui *ui, const void *state)
{
	const struct tv_state *tv = state;
	size_t i;
	int y = 2, bottom = ui->rows - 2, n;

	kr_ui_textf(ui, y++, 1, ui->cols - 2, KR_UI_TITLE, "TRANSCRIPT  %s",
	    tv->path);
	if (tv->error[0] != '\0') {
		kr_ui_wrap(ui, y + 1, 1, ui->cols - 2, 4, KR_UI_BAD, tv->error,
		    1);
		kr_ui_footer(ui, "Esc", "back", (const char *)NULL);
		return;
	}
	kr_ui_textf(ui, y++, 1, ui->cols - 2, KR_UI_NORMAL, "SHA-256 %s",
	    tv->sha);
	kr_ui_textf(ui, 1, ui->cols - 24, 23, KR_UI_DIM, "line %zu of %zu",
	    tv->nlines ? tv->top + 1 : 0, tv->nlines);
	kr_ui_rule(ui, y++, 0, ui->cols, NULL);
	for (i = tv->top; i < tv->nlines && y <= bottom; i++) {
		n = kr_ui_wrap(ui, y, 1, ui->cols - 2, bottom - y + 1,
		    KR_UI_NORMAL, tv->lines[i], 1);
		y += n > 0 ? n : 1;
	}
	kr_ui_footer(ui, ui->utf8 ? "\xe2\x86\x91\xe2\x86\x93" : "Up/Down",
	    "scroll", "PgUp PgDn", "page", "Home End", "ends", "Esc", "back",
	    (const char *)NULL);
	kr_ui_textf(ui, ui->rows - 1, ui->cols - 24, 23, KR_UI_DIM,
	    "line %zu of %zu", tv->nlines ? tv->top + 1 : 0, tv->nlines);
}

static void
tv_free(void *state)
{
	struct tv_state *tv = state;

	if (tv == NULL)
		return;
	free(tv->lines);
	free(tv->text);
	free(tv);
}

const struct kr_screen_ops kr_ui_transcript_ops = {
	"transcript", tv_init, tv_key, tv_draw, tv_free
};
