/*
 * ui-qr.c: the QR view (F3 or Ctrl-R).
 *
 * Shows the SHA-256 of the transcript as a QR code (libqrencode, ECC
 * level M, the 64 hex digits in upper case so that they go in the compact
 * alphanumeric mode) with a quiet zone, and as text below.  A phone or a
 * scanner takes the hash off the screen; an auditor later compares it
 * with `sha256sum` of the transcript file.
 *
 * Where the locale is UTF-8 each character cell holds two modules, one
 * above the other, drawn with the half blocks U+2580 and U+2584 and the
 * full block U+2588; otherwise each module is two characters, "##" or
 * two spaces, one row high.  Dark modules are drawn dark on light (black
 * on white, or reverse video without colour).  An ASCII code needs a
 * taller terminal than 80x25; where it does not fit, the view says so and
 * scrolls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "base/err.h"
#include "base/hex.h"
#include "ceremony/lobby.h"
#include "ui-int.h"

#define QR_QUIET	4

struct qr_state {
	char	 hex[65];	/* as sha256sum prints it */
	char	 payload[65];	/* upper case */
	QRcode	*qr;
	int	 scroll;
	char	 error[512];
	const char *path;
};

static int
qr_init(struct kr_ui *ui, void *arg, void **statep)
{
	struct qr_state *qs;
	uint8_t h[32];
	char *text = NULL;
	size_t len = 0, i;

	(void)arg;
	if ((qs = calloc(1, sizeof(*qs))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "QR view");
	qs->path = ui->transcript;
	if (kr_lobby_transcript(qs->path, &text, &len, h) != 0) {
		snprintf(qs->error, sizeof(qs->error), "%s", kr_err_detail());
		*statep = qs;
		return 0;
	}
	free(text);
	kr_hex_encode(h, sizeof(h), qs->hex, sizeof(qs->hex));
	for (i = 0; i < 64; i++)
		qs->payload[i] = (char)(qs->hex[i] >= 'a' ? qs->hex[i] - 'a' +
		    'A' : qs->hex[i]);
	qs->payload[64] = '\0';
	if ((qs->qr = QRcode_encodeString(qs->payload, 0, QR_ECLEVEL_M,
	    QR_MODE_8, 1)) == NULL)
		snprintf(qs->error, sizeof(qs->error), "the QR code could not "
		    "be made");
	*statep = qs;
	return 0;
}

static int
qr_key(struct kr_ui *ui, void *state, const struct kr_key *k)
{
	struct qr_state *qs = state;

	(void)ui;
	switch (k->fn) {
	case KEY_UP:
		if (qs->scroll > 0)
			qs->scroll--;
		return KR_SCREEN_STAY;
	case KEY_DOWN:
		qs->scroll++;
		return KR_SCREEN_STAY;
	case KR_KEY_TICK:
		return KR_SCREEN_STAY;
	case KR_KEY_ESC:
	case KEY_ENTER:
	case KR_KEY_QR:
	case KR_KEY_ABORT:
		return KR_SCREEN_BACK;
	}
	if (k->fn == 0 && (k->ch == 'q' || k->ch == 'Q'))
		return KR_SCREEN_BACK;
	return KR_SCREEN_STAY;
}

static int
dark(const QRcode *qr, int quiet, int mx, int my)
{
	int x = mx - quiet, y = my - quiet;

	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

/* Draws the code from text row top for rows rows; returns rows used. */
static int
draw_code(const struct kr_ui *ui, const struct qr_state *qs, int top,
    int rows, int quiet, int skip)
{
	static const char *const half[4] = { " ", "\xe2\x96\x80",
	    "\xe2\x96\x84", "\xe2\x96\x88" };
	int total = qs->qr->width + 2 * quiet, r, mx, cw, x0, used = 0;

	cw = ui->utf8 ? total : 2 * total;
	x0 = (ui->cols - cw) / 2 > 0 ? (ui->cols - cw) / 2 : 0;
	attrset(kr_ui_attr(ui, KR_UI_QR));
	for (r = skip; used < rows; r++, used++) {
		int my = ui->utf8 ? 2 * r : r;

		if (my >= total)
			break;
		move(top + used, x0);
		for (mx = 0; mx < total && x0 + (ui->utf8 ? mx : 2 * mx) <
		    ui->cols; mx++) {
			if (ui->utf8)
				addstr(half[dark(qs->qr, quiet, mx, my) |
				    (my + 1 < total ? dark(qs->qr, quiet, mx,
				    my + 1) : 0) << 1]);
			else
				addstr(dark(qs->qr, quiet, mx, my) ? "##" :
				    "  ");
		}
	}
	attrset(A_NORMAL);
	return used;
}

static void
qr_draw(const struct kr_ui *ui, const void *state)
{
	const struct qr_state *qs = state;
	char groups[96];
	int quiet = QR_QUIET, avail = ui->rows - 4, need, i, o = 0;

	if (qs->error[0] != '\0' || qs->qr == NULL) {
		kr_ui_wrap(ui, 2, 1, ui->cols - 2, 4, KR_UI_BAD, qs->error, 1);
		kr_ui_footer(ui, "Esc", "back", (const char *)NULL);
		return;
	}
	for (;;) {
		int total = qs->qr->width + 2 * quiet;

		need = ui->utf8 ? (total + 1) / 2 : total;
		if ((need <= avail && (ui->utf8 ? total : 2 * total) <=
		    ui->cols) || quiet == 1)
			break;
		quiet = quiet > 2 ? 2 : 1;
	}
	draw_code(ui, qs, 1, avail, quiet, need > avail ? qs->scroll : 0);
	for (i = 0; i < 64 && o < (int)sizeof(groups) - 2; i++) {
		if (i > 0 && i % 4 == 0)
			groups[o++] = ' ';
		groups[o++] = qs->hex[i];
	}
	groups[o] = '\0';
	if (need > avail)
		kr_ui_textf(ui, ui->rows - 3, 1, ui->cols - 2, KR_UI_BAD,
		    "The code needs %d rows here; scroll with the arrow keys, "
		    "or use a UTF-8 console.", need + 4);
	else
		kr_ui_text(ui, ui->rows - 3, 1, ui->cols - 2, KR_UI_TITLE,
		    "SHA-256 of the transcript, as sha256sum prints it:");
	kr_ui_text(ui, ui->rows - 2, (ui->cols - o) / 2 > 0 ?
	    (ui->cols - o) / 2 : 0, ui->cols, KR_UI_TITLE, groups);
	kr_ui_footer(ui, "Esc", "back", (const char *)NULL);
}

static void
qr_free(void *state)
{
	struct qr_state *qs = state;

	if (qs == NULL)
		return;
	QRcode_free(qs->qr);
	free(qs);
}

const struct kr_screen_ops kr_ui_qr_ops = {
	"qr", qr_init, qr_key, qr_draw, qr_free
};
