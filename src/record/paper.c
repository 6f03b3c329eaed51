/*
 * paper.c: the printable record, transcript-<id>.pdf (paper.h).
 *
 * The document is laid out twice by the same code: once without drawing,
 * to count the pages, then for real, so that every page can say "page n of
 * m" and the two passes can never disagree.  Sizes are in PostScript
 * points (1/72 inch).  Body text is DejaVu Sans Mono, so that a value
 * wraps by counting characters; headings are DejaVu Sans.
 *
 * QR codes are drawn as one image pixel per module, scaled up with nearest
 * filtering: ~9x faster and ~14x smaller than a rectangle per module, and
 * crisp in every renderer.  Their version is the largest that fits two
 * columns by three rows with modules of at least MODULE_MIN points, which
 * decodes from 150 and 100 dpi scans with blur, noise and a small rotation
 * (tests/integration/t-paper.sh).  The chunk format is qrchunk.h's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <qrencode.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/version.h"
#include "paper-int.h"
#include "paper.h"
#include "qrchunk.h"
#include "transcript-int.h"
#include "transcript.h"

#define MARGIN		36.0	/* half an inch on every side */
#define HEAD_H		28.0	/* running head, below the top margin */
#define FOOT_H		16.0	/* running foot, above the bottom margin */
#define BODY_PT		8.0	/* body text size */
#define LEAD		10.0	/* body line spacing */
#define KEY_COLS	24	/* the facts table's first column */
#define INDENT		18.0	/* facts, under their record's heading */
#define MODULE_MIN	2.1	/* QR module size, points */
#define MODULE_MAX	2.5
#define QR_COLS		2
#define QR_ROWS		3
#define QR_LABEL_H	9.0
#define CODES_TITLE_H	30.0

#define MONO	"DejaVu Sans Mono"
#define SANS	"DejaVu Sans"

struct person {
	char	role[48];
	char	*name;		/* printable */
};

/* Everything the pages show, gathered before layout. */
struct content {
	const char			*text;
	size_t				 len;
	struct kr_transcript_summary	*sum;
	char				 sha_hex[65];
	char				**chunks;
	size_t				 nchunks;
	int				 qr_version;
	QRecLevel			 qr_level;
	double				 module;
	struct person			*people;
	size_t				 npeople;
	size_t				 sigblock;	/* offset in text */
};

struct geom {
	double	w, h;			/* the page */
	double	left, right, top, bottom;	/* its body */
};

struct doc {
	cairo_t			*cr;
	int			 draw;
	struct geom		 g;
	double			 y;			/* next baseline */
	unsigned int		 page, pages;
	double			 adv;			/* mono, BODY_PT */
	const struct content	*c;
	int			 r;			/* first error */
};

/* --- drawing primitives --------------------------------------------------- */

static void
font(struct doc *d, const char *face, int bold, double size)
{
	cairo_select_font_face(d->cr, face, CAIRO_FONT_SLANT_NORMAL,
	    bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(d->cr, size);
}

static double
text_width(struct doc *d, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(d->cr, s, &e);
	return e.x_advance;
}

static void
gray(struct doc *d, double g)
{
	if (d->draw)
		cairo_set_source_rgb(d->cr, g, g, g);
}

static void
text_at(struct doc *d, double x, double y, const char *s)
{
	if (!d->draw)
		return;
	cairo_move_to(d->cr, x, y);
	cairo_show_text(d->cr, s);
}

static void
rule(struct doc *d, double x0, double x1, double y, double width)
{
	if (!d->draw)
		return;
	cairo_set_line_width(d->cr, width);
	cairo_move_to(d->cr, x0, y);
	cairo_line_to(d->cr, x1, y);
	cairo_stroke(d->cr);
}

/* 64 hex digits in groups of four, as read aloud. */
static void
grouped(const char *hex, char out[80])
{
	size_t i, o = 0;

	for (i = 0; i < 64; i += 4) {
		memcpy(out + o, hex + i, 4);
		o += 4;
		if (i + 4 < 64)
			out[o++] = ' ';
	}
	out[o] = '\0';
}

static void
furniture(struct doc *d)
{
	const struct kr_transcript_summary *s = d->c->sum;
	char head[256], pages[48], g[80];

	snprintf(head, sizeof(head), "keyrite transcript  %s  %s%s%s",
	    s->header.ceremony_id, s->header.ceremony,
	    s->header.rehearsal ? "  REHEARSAL" : "",
	    s->sealed ? "" : "  NOT SEALED");
	snprintf(pages, sizeof(pages), "page %u of %u", d->page, d->pages);
	gray(d, 0);
	font(d, SANS, 1, 9);
	text_at(d, MARGIN, MARGIN + 10, head);
	text_at(d, d->g.w - MARGIN - text_width(d, pages), MARGIN + 10, pages);
	rule(d, MARGIN, d->g.w - MARGIN, MARGIN + 16, 0.6);
	grouped(d->c->sha_hex, g);
	snprintf(head, sizeof(head), "SHA-256 of the transcript file:  %s",
	    g);
	font(d, MONO, 0, 7);
	rule(d, MARGIN, d->g.w - MARGIN, d->g.h - MARGIN - 10, 0.4);
	text_at(d, MARGIN, d->g.h - MARGIN, head);
}

static void
new_page(struct doc *d)
{
	if (d->draw && d->page > 0)
		cairo_show_page(d->cr);
	d->page++;
	d->y = d->g.top;
	furniture(d);
}

/* Starts a new page unless dy more points fit on this one. */
static void
need(struct doc *d, double dy)
{
	if (d->y + dy > d->g.bottom)
		new_page(d);
}

/* A paragraph of proportional text wrapped by measured words. */
static void
paragraph(struct doc *d, double x, double width, const char *face, int bold,
    double size, double lead, const char *s)
{
	char line[1024], word[256];
	size_t ll = 0, wl;
	const char *p = s;

	font(d, face, bold, size);
	line[0] = '\0';
	while (*p != '\0') {
		for (wl = 0; p[wl] != '\0' && p[wl] != ' ' &&
		    wl < sizeof(word) - 1; wl++)
			word[wl] = p[wl];
		word[wl] = '\0';
		p += wl;
		while (*p == ' ')
			p++;
		if (ll > 0) {
			char trial[1024 + 256];

			snprintf(trial, sizeof(trial), "%s %s", line, word);
			if (text_width(d, trial) <= width &&
			    strlen(trial) < sizeof(line)) {
				memcpy(line, trial, strlen(trial) + 1);
				ll = strlen(line);
				continue;
			}
			need(d, lead);
			gray(d, 0);
			text_at(d, x, d->y, line);
			d->y += lead;
		}
		snprintf(line, sizeof(line), "%s", word);
		ll = strlen(line);
	}
	if (ll > 0) {
		need(d, lead);
		gray(d, 0);
		text_at(d, x, d->y, line);
		d->y += lead;
	}
}

/*
 * Printable text s wrapped into cols columns at x, one LEAD per line; a
 * line broken inside a word ends in a grey U+00BB (a right guillemet).
 */
static void
wrapped(struct doc *d, double x, size_t cols, const char *s, int bold)
{
	char line[4 * 256 + 1];
	size_t off = 0, n;

	if (cols > 256)
		cols = 256;
	if (cols > 8)
		cols--;		/* room for the mark within the margin */
	if (*s == '\0') {
		d->y += LEAD;
		return;
	}
	while ((n = kr_paper_wrap(s, &off, cols)) > 0) {
		need(d, LEAD);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s + off - n, n);
		line[n] = '\0';
		font(d, MONO, bold, BODY_PT);
		gray(d, 0);
		text_at(d, x, d->y, line);
		if (s[off] != '\0' && line[n - 1] != ' ') {
			gray(d, 0.5);
			/* U+00BB: WinAnsi, so it survives CUPS's filters */
			text_at(d, x + (double)kr_paper_columns(line, n) *
			    d->adv + 1, d->y, "\xc2\xbb");
		}
		d->y += LEAD;
	}
}

/* --- the first page: what this is ----------------------------------------- */

static void
field(struct doc *d, const char *name, const char *value)
{
	need(d, LEAD + 1);
	font(d, SANS, 1, 8.5);
	gray(d, 0);
	text_at(d, d->g.left, d->y, name);
	font(d, MONO, 0, BODY_PT);
	text_at(d, d->g.left + 130, d->y, value);
	d->y += LEAD + 1;
}

static void
front(struct doc *d)
{
	const struct kr_transcript_summary *s = d->c->sum;
	const struct kr_transcript_header *h = &s->header;
	char hex[65], g[80], v[160];

	font(d, SANS, 1, 16);
	gray(d, 0);
	d->y += 14;
	text_at(d, d->g.left, d->y, "Ceremony transcript");
	d->y += 20;
	field(d, "Ceremony id", h->ceremony_id);
	field(d, "Ceremony", h->ceremony);
	field(d, "Mode", h->rehearsal ? "rehearsal (not a real ceremony)" :
	    "real");
	field(d, "Started", h->started);
	field(d, "Last record", s->ended[0] ? s->ended : "-");
	snprintf(v, sizeof(v), "%lu%s", s->records, s->sealed ? ", sealed" :
	    ", NOT SEALED: the ceremony did not finish");
	field(d, "Records", v);
	field(d, "keyrite version", h->keyrite_version);
	kr_hex_encode(h->script_sha256, 32, hex, sizeof(hex));
	field(d, "Script SHA-256", hex);
	kr_hex_encode(h->policy_sha256, 32, hex, sizeof(hex));
	field(d, "Policy SHA-256", hex);
	if (h->has_previous)
		kr_hex_encode(h->previous_sha256, 32, hex, sizeof(hex));
	field(d, "Previous transcript", h->has_previous ? hex : "none");
	if (s->sealed) {
		snprintf(v, sizeof(v), "%s key", s->algorithm);
		field(d, "Sealed by", v);
		kr_hex_encode(s->signer_key_id, 32, hex, sizeof(hex));
		field(d, "Signer key id", hex);
	}
	kr_hex_encode(s->chain, 32, hex, sizeof(hex));
	grouped(hex, g);
	field(d, s->sealed ? "Final chain value" : "Last chain value", g);
	grouped(d->c->sha_hex, g);
	field(d, "Transcript SHA-256", g);
	d->y += 6;
	snprintf(v, sizeof(v), "%zu", d->c->nchunks);
	paragraph(d, d->g.left, d->g.right - d->g.left, SANS, 0, 8.5, 11,
	    "This paper is the record of one key ceremony.  The records "
	    "below are the transcript's events decoded for reading; values "
	    "that are not printable are escaped (\\xNN, \\n, \\u{XXXX}, \\\\ "
	    "for a backslash) and a grey \xc2\xbb ends a line broken "
	    "inside a word.  The QR codes after them carry the transcript "
	    "file's exact bytes; check them with 'keyrite verify --scan' or "
	    "by hand as docs/auditor-guide.md shows, and compare the final "
	    "chain value with the one read aloud at the ceremony.  The last "
	    "page holds the seal and the signatures of the people present.");
	d->y += 8;
}

/* --- records -------------------------------------------------------------- */

static void
fact_row(struct doc *d, const char *key, size_t keylen, const char *val,
    size_t vallen)
{
	char *raw = NULL, *pv = NULL, *pk = NULL;
	size_t rawlen = 0, cols;

	if (kr_transcript_pct_decode(val, vallen, &raw, &rawlen) != 0 ||
	    (pv = kr_paper_printable(raw, rawlen)) == NULL ||
	    (pk = kr_paper_printable(key, keylen)) == NULL) {
		if (d->r == 0)
			d->r = kr_err_set(KR_ERR_NOMEM, "paper: a value");
		goto out;
	}
	cols = (size_t)((d->g.right - d->g.left - INDENT) / d->adv) - KEY_COLS;
	need(d, LEAD);
	if (kr_paper_columns(pk, strlen(pk)) < KEY_COLS) {
		font(d, MONO, 0, BODY_PT);
		gray(d, 0.25);
		text_at(d, d->g.left + INDENT, d->y, pk);
	} else	/* A long key takes its own lines; the value goes below. */
		wrapped(d, d->g.left + INDENT, cols + KEY_COLS - 1, pk, 0);
	wrapped(d, d->g.left + INDENT + KEY_COLS * d->adv, cols, pv, 0);
 out:
	free(raw);
	free(pv);
	free(pk);
}

static void
record(struct doc *d, const struct kr_transcript_record *rec)
{
	char head[512], hex[65], chain[40];
	const char *key, *val;
	size_t off = 0, keylen, vallen;

	kr_hex_encode(rec->chain, 32, hex, sizeof(hex));
	snprintf(chain, sizeof(chain), "chain %.16s", hex);
	snprintf(head, sizeof(head), "%lu  %s  %s  by %s", rec->seq,
	    rec->time, rec->event, rec->actor);
	need(d, 2 * LEAD + 3);
	d->y += 3;
	font(d, MONO, 0, 7);
	gray(d, 0.45);
	text_at(d, d->g.right - text_width(d, chain), d->y, chain);
	gray(d, 0);
	font(d, MONO, 1, BODY_PT);
	wrapped(d, d->g.left, (size_t)((d->g.right - d->g.left) / d->adv) - 24,
	    head, 1);
	while (kr_transcript_fact_next(rec->facts, rec->factslen, &off, &key,
	    &keylen, &val, &vallen))
		fact_row(d, key, keylen, val, vallen);
}

static void
records(struct doc *d)
{
	struct kr_transcript_cursor cur;
	struct kr_transcript_record rec;
	int r;

	if ((r = kr_transcript_cursor_init(&cur, d->c->text,
	    d->c->len)) != 0) {
		d->r = r;
		return;
	}
	font(d, SANS, 1, 11);
	need(d, 3 * LEAD);
	d->y += 4;
	gray(d, 0);
	text_at(d, d->g.left, d->y, "Records");
	d->y += 6;
	while ((r = kr_transcript_cursor_next(&cur, &rec)) == 1)
		record(d, &rec);
	if (r < 0 && d->r == 0)
		d->r = r;
}

/* --- QR codes ------------------------------------------------------------- */

/* Draws code at (x, y) with modules of m points. */
static void
draw_qr(struct doc *d, const QRcode *q, double x, double y, double m)
{
	cairo_surface_t *img;
	unsigned char *px;
	int stride, i, j;

	if (!d->draw)
		return;
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, q->width,
	    q->width);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		if (d->r == 0)
			d->r = kr_err_set(KR_ERR_PAPER_RENDER, "cairo: %s",
			    cairo_status_to_string(cairo_surface_status(img)));
		cairo_surface_destroy(img);
		return;
	}
	cairo_surface_flush(img);
	px = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (i = 0; i < q->width; i++)
		for (j = 0; j < q->width; j++) {
			uint32_t v = (q->data[i * q->width + j] & 1) ?
			    0x000000 : 0xffffff;

			memcpy(px + i * stride + 4 * j, &v, 4);
		}
	cairo_surface_mark_dirty(img);
	cairo_save(d->cr);
	cairo_translate(d->cr, x, y);
	cairo_scale(d->cr, m, m);
	cairo_set_source_surface(d->cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(d->cr),
	    CAIRO_FILTER_NEAREST);
	cairo_rectangle(d->cr, 0, 0, q->width, q->width);
	cairo_fill(d->cr);
	cairo_restore(d->cr);
	cairo_surface_destroy(img);
}

/* Encodes an alphanumeric payload at exactly version v; NULL if too big. */
static QRcode *
encode_an(const char *s, int v, QRecLevel level)
{
	QRinput *in;
	QRcode *q = NULL;

	if ((in = QRinput_new2(v, level)) == NULL)
		return NULL;
	if (QRinput_append(in, QR_MODE_AN, (int)strlen(s),
	    (const unsigned char *)s) == 0)
		q = QRcode_encodeInput(in);
	QRinput_free(in);
	if (q != NULL && q->version != v) {
		QRcode_free(q);
		q = NULL;
	}
	return q;
}

/* The most alphanumeric characters a version-v code holds. */
static size_t
an_capacity(int v, QRecLevel level)
{
	char *s;
	size_t lo = 0, hi = 4296, mid;	/* v40-L holds 4296 */
	QRcode *q;

	if ((s = malloc(hi + 1)) == NULL)
		return 0;
	memset(s, '0', hi);
	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		s[mid] = '\0';
		q = encode_an(s, v, level);
		s[mid] = '0';
		if (q != NULL) {
			QRcode_free(q);
			lo = mid;
		} else
			hi = mid - 1;
	}
	free(s);
	return lo;
}

/* The body of a page of this size. */
static void
geometry(enum kr_paper_size size, struct geom *g)
{
	if (size == KR_PAPER_LETTER)
		g->w = 612, g->h = 792;
	else
		g->w = 595.28, g->h = 841.89;
	g->left = MARGIN;
	g->right = g->w - MARGIN;
	g->top = MARGIN + HEAD_H;
	g->bottom = g->h - MARGIN - FOOT_H;
}

/* The grid's module size for version v on this page, or 0 if too small. */
static double
grid_module(const struct geom *g, int v)
{
	double modules = 4.0 * v + 17 + 8, mw, mh;

	mw = (g->right - g->left) / QR_COLS / modules;
	mh = ((g->bottom - g->top - CODES_TITLE_H) / QR_ROWS - QR_LABEL_H) /
	    modules;
	mw = mw < mh ? mw : mh;
	if (mw < MODULE_MIN)
		return 0;
	return mw > MODULE_MAX ? MODULE_MAX : mw;
}

/* The largest version whose grid fits g; *modulep its module size. */
static int
grid_version(const struct geom *g, double *modulep)
{
	int v;

	for (v = 30; v >= 10; v--)
		if ((*modulep = grid_module(g, v)) > 0)
			return v;
	return 0;
}

/*
 * Top left corner of cell i (0-based, row by row) of the grid: the code's
 * quiet zone starts there, the code 4 modules further in.
 */
static void
grid_cell(const struct geom *g, int v, double m, size_t i, double *x,
    double *y)
{
	double cell = (4.0 * v + 25) * m;
	double gap = ((g->right - g->left) - QR_COLS * cell) / (QR_COLS + 1);

	*x = g->left + gap + (double)(i % QR_COLS) * (cell + gap);
	*y = g->top + CODES_TITLE_H + (double)(i / QR_COLS) *
	    (cell + QR_LABEL_H);
}

size_t
kr_paper_code_cells(enum kr_paper_size size, double cells[][4], size_t max)
{
	struct geom g;
	double m, x, y, side;
	size_t i;
	int v;

	geometry(size, &g);
	if ((v = grid_version(&g, &m)) == 0)
		return 0;
	side = (4.0 * v + 25) * m;
	for (i = 0; i < QR_COLS * QR_ROWS && i < max; i++) {
		grid_cell(&g, v, m, i, &x, &y);
		cells[i][0] = x / g.w;
		cells[i][1] = y / g.h;
		cells[i][2] = side / g.w;
		cells[i][3] = side / g.h;
	}
	return i;
}

static void
codes_page(struct doc *d, size_t first)
{
	const struct content *c = d->c;
	size_t i, last = first + QR_COLS * QR_ROWS;
	double cell = (4.0 * c->qr_version + 25) * c->module, x, y;
	char title[160], label[64];
	QRcode *q;

	if (last > c->nchunks)
		last = c->nchunks;
	font(d, SANS, 1, 11);
	gray(d, 0);
	snprintf(title, sizeof(title), "The transcript file's exact bytes: "
	    "QR codes %zu-%zu of %zu", first + 1, last, c->nchunks);
	text_at(d, d->g.left, d->y + 8, title);
	font(d, SANS, 0, 7.5);
	text_at(d, d->g.left, d->y + 19, "Scan every code (any order): "
	    "keyrite verify --scan, or by hand with zbarimg, gzip and "
	    "sha256sum (docs/auditor-guide.md).");
	for (i = first; i < last; i++) {
		grid_cell(&d->g, c->qr_version, c->module, i - first, &x, &y);
		if (d->draw) {
			if ((q = encode_an(c->chunks[i], c->qr_version,
			    c->qr_level)) == NULL) {
				if (d->r == 0)
					d->r = kr_err_set(KR_ERR_PAPER_RENDER,
					    "QR code %zu does not fit version "
					    "%d", i + 1, c->qr_version);
				return;
			}
			draw_qr(d, q, x + 4 * c->module, y + 4 * c->module,
			    c->module);
			QRcode_free(q);
		}
		snprintf(label, sizeof(label), "chunk %zu of %zu", i + 1,
		    c->nchunks);
		font(d, SANS, 1, 8);
		gray(d, 0);
		text_at(d, x + (cell - text_width(d, label)) / 2,
		    y + cell + 5, label);
	}
}

static void
codes(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->c->nchunks; i += QR_COLS * QR_ROWS) {
		new_page(d);
		codes_page(d, i);
	}
}

/* --- the seal and the sign-off -------------------------------------------- */

/* One signature-block line as text and as a byte-mode QR code. */
static void
sig_line(struct doc *d, const char *line, size_t n, const char *label)
{
	char *s = NULL;
	QRcode *q;
	double side, m = MODULE_MIN;

	if ((s = malloc(n + 1)) == NULL) {
		d->r = kr_err_set(KR_ERR_NOMEM, "paper");
		return;
	}
	memcpy(s, line, n);
	s[n] = '\0';
	if ((q = QRcode_encodeString8bit(s, 0, QR_ECLEVEL_M)) == NULL) {
		if (d->r == 0)
			d->r = kr_err_set(KR_ERR_PAPER_RENDER, "QR code of "
			    "the signature line '%.20s...'", s);
		free(s);
		return;
	}
	side = (q->width + 8) * m;
	need(d, side + LEAD);
	font(d, SANS, 1, 8);
	gray(d, 0);
	text_at(d, d->g.left, d->y, label);
	d->y += 2;
	draw_qr(d, q, d->g.left + 4 * m, d->y + 4 * m, m);
	/* The line's text beside its code. */
	{
		double y0 = d->y, x = d->g.left + side + 8;
		size_t cols = (size_t)((d->g.right - x) / d->adv);
		char *p = kr_paper_printable(s, n);
		double save_left = d->g.left;

		d->y += LEAD;
		if (p != NULL)
			wrapped(d, x, cols, p, 0);
		free(p);
		d->g.left = save_left;
		if (d->y < y0 + side)
			d->y = y0 + side;
	}
	d->y += 4;
	QRcode_free(q);
	free(s);
}

static void
seal(struct doc *d)
{
	const struct content *c = d->c;
	const struct kr_transcript_summary *s = c->sum;
	const char *p = c->text + c->sigblock, *end = c->text + c->len, *nl;
	char hex[65], g[80], label[96];
	unsigned int k = 0;

	font(d, SANS, 1, 13);
	gray(d, 0);
	d->y += 12;
	text_at(d, d->g.left, d->y, "Seal");
	d->y += 16;
	kr_hex_encode(s->chain, 32, hex, sizeof(hex));
	grouped(hex, g);
	if (!s->sealed) {
		paragraph(d, d->g.left, d->g.right - d->g.left, SANS, 1, 9, 12,
		    "NOT SEALED: this transcript ends before the seal (the "
		    "ceremony did not finish or was interrupted).  Nobody "
		    "signed its last chain value; anyone could have cut "
		    "records from its end.  It is evidence only as far as "
		    "the people below sign for it.");
		field(d, "Last chain value", g);
		return;
	}
	field(d, "Final chain value", "");
	font(d, MONO, 1, 10.5);
	gray(d, 0);
	text_at(d, d->g.left, d->y + 4, g);
	d->y += 18;
	field(d, "Signed by", s->algorithm);
	kr_hex_encode(s->signer_key_id, 32, hex, sizeof(hex));
	field(d, "Signer key id", hex);
	snprintf(g, sizeof(g), "%u", s->ncosigners);
	field(d, "Co-signatures", g);
	d->y += 4;
	paragraph(d, d->g.left, d->g.right - d->g.left, SANS, 0, 8, 10,
	    "The signature block, line by line, as text and as QR codes "
	    "(byte mode).  The ceremony key signed \"keyrite-transcript-seal "
	    "<ceremony id> <final chain value>\\n\" "
	    "(docs/transcript-format.md).");
	d->y += 4;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (strncmp(p, "signer-public-key: ", 19) == 0)
			snprintf(label, sizeof(label), "Ceremony key (public)");
		else if (strncmp(p, "signature: ", 11) == 0)
			snprintf(label, sizeof(label), "Seal signature");
		else if (strncmp(p, "cosignature: ", 13) == 0)
			snprintf(label, sizeof(label), "Co-signature %u", ++k);
		else {
			p = nl + 1;
			continue;	/* algorithm and key id: above */
		}
		sig_line(d, p, (size_t)(nl - p), label);
		p = nl + 1;
	}
}

static void
signoff(struct doc *d)
{
	const struct content *c = d->c;
	char hex[65], g[80];
	size_t i;
	double x2 = d->g.left + 250;

	/* The whole block on one page when it fits on one. */
	need(d, 16 + 14 + 3 * 11 + 12 + (double)c->npeople * 44 <=
	    d->g.bottom - d->g.top ? 16 + 14 + 3 * 11 + 12 +
	    (double)c->npeople * 44 : 130);
	font(d, SANS, 1, 13);
	d->y += 16;
	gray(d, 0);
	text_at(d, d->g.left, d->y, "Sign-off");
	d->y += 14;
	paragraph(d, d->g.left, d->g.right - d->g.left, SANS, 0, 8.5, 11,
	    "By signing I confirm that I was present at this ceremony, that "
	    "this paper was printed at its end, and that the final chain "
	    "value below is the one the appliance showed and that was read "
	    "aloud.  Names are as the roll call recorded them.");
	kr_hex_encode(c->sum->chain, 32, hex, sizeof(hex));
	grouped(hex, g);
	d->y += 4;
	font(d, SANS, 1, 8.5);
	gray(d, 0);
	text_at(d, d->g.left, d->y, c->sum->sealed ? "Final chain value" :
	    "Last chain value (NOT SEALED)");
	font(d, MONO, 1, 8.5);
	text_at(d, d->g.left + 100, d->y, g);
	d->y += 8;
	for (i = 0; i < c->npeople; i++) {
		need(d, 44);
		d->y += 12;
		font(d, SANS, 1, 8.5);
		gray(d, 0);
		text_at(d, d->g.left, d->y, c->people[i].role);
		font(d, MONO, 0, BODY_PT + 1);
		text_at(d, d->g.left + 110, d->y, c->people[i].name);
		d->y += 22;
		font(d, SANS, 0, 8);
		text_at(d, d->g.left, d->y, "Signature");
		rule(d, d->g.left + 45, x2 - 10, d->y + 1, 0.5);
		text_at(d, x2 + 20, d->y, "Date");
		rule(d, x2 + 45, d->g.right, d->y + 1, 0.5);
		d->y += 8;
	}
}

static void
last_pages(struct doc *d)
{
	new_page(d);
	seal(d);
	signoff(d);
}

/* --- the document --------------------------------------------------------- */

static void
layout(struct doc *d, struct kr_paper_info *info)
{
	d->page = 0;
	new_page(d);
	front(d);
	records(d);
	if (info != NULL)
		info->record_pages = d->page;
	codes(d);
	if (info != NULL)
		info->code_pages = d->page - info->record_pages;
	last_pages(d);
}

/* --- gathering ------------------------------------------------------------ */

static int
add_person(struct content *c, const char *role, const char *val,
    size_t vallen)
{
	struct person *p;
	char *raw = NULL;
	size_t rawlen = 0;
	int r;

	if ((r = kr_transcript_pct_decode(val, vallen, &raw, &rawlen)) != 0)
		return r;
	if ((p = realloc(c->people, (c->npeople + 1) * sizeof(*p))) == NULL) {
		free(raw);
		return kr_err_set(KR_ERR_NOMEM, "paper: the roll call");
	}
	c->people = p;
	p = &c->people[c->npeople];
	snprintf(p->role, sizeof(p->role), "%s", role);
	p->name = kr_paper_printable(raw, rawlen);
	free(raw);
	if (p->name == NULL)
		return kr_err_set(KR_ERR_NOMEM, "paper: the roll call");
	c->npeople++;
	return 0;
}

/* Role for a roll-call fact key, or NULL if it does not name a person. */
static const char *
role_of(const char *key, size_t n, char *out, size_t size)
{
	unsigned long k;
	char buf[72], *end;

	if (n >= sizeof(buf))
		return NULL;
	memcpy(buf, key, n);
	buf[n] = '\0';
	if (strcmp(buf, "operator") == 0)
		return snprintf(out, size, "Administrator"), out;
	if (strncmp(buf, "witness.", 8) == 0) {
		k = strtoul(buf + 8, &end, 10);
		if (*end == '\0' && k > 0)
			return snprintf(out, size, "Witness %lu", k), out;
	}
	if (strncmp(buf, "custodian.", 10) == 0) {
		k = strtoul(buf + 10, &end, 10);
		if (*end == '\0' && k > 0)
			return snprintf(out, size, "Custodian %lu", k), out;
	}
	return NULL;
}

/* The people of every roll-call record; blank lines if there is none. */
static int
gather(struct content *c)
{
	struct kr_transcript_cursor cur;
	struct kr_transcript_record rec;
	const char *key, *val;
	size_t off, keylen, vallen;
	char role[48];
	int r;

	if ((r = kr_transcript_cursor_init(&cur, c->text, c->len)) != 0)
		return r;
	while ((r = kr_transcript_cursor_next(&cur, &rec)) == 1) {
		if (strcmp(rec.event, "roll-call") != 0)
			continue;
		off = 0;
		while (kr_transcript_fact_next(rec.facts, rec.factslen, &off,
		    &key, &keylen, &val, &vallen))
			if (role_of(key, keylen, role, sizeof(role)) != NULL &&
			    (r = add_person(c, role, val, vallen)) != 0)
				return r;
	}
	if (r < 0)
		return r;
	c->sigblock = cur.off;
	if (c->npeople == 0) {
		/* No roll call recorded: lines to fill in by hand. */
		if ((r = add_person(c, "Administrator", "", 0)) != 0 ||
		    (r = add_person(c, "Witness", "", 0)) != 0 ||
		    (r = add_person(c, "Witness", "", 0)) != 0)
			return r;
	}
	return 0;
}

/* --- rendering ------------------------------------------------------------ */

static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	kr_buf_append(closure, data, len);
	return ((struct kr_buf *)closure)->failed ? CAIRO_STATUS_NO_MEMORY :
	    CAIRO_STATUS_SUCCESS;
}

static void
doc_init(struct doc *d, cairo_t *cr, const struct kr_paper_opts *o,
    const struct content *c)
{
	cairo_text_extents_t e;

	memset(d, 0, sizeof(*d));
	d->cr = cr;
	d->c = c;
	geometry(o->size, &d->g);
	font(d, MONO, 0, BODY_PT);
	cairo_text_extents(cr, "0", &e);
	d->adv = e.x_advance;
}

/* Picks the QR version and module size, then cuts the chunks. */
static int
plan_codes(const struct doc *d, const struct kr_paper_opts *o,
    struct content *c)
{
	int v, r;
	size_t cap;

	c->qr_level = o->qr_level >= 1 && o->qr_level <= 4 ?
	    (QRecLevel)(o->qr_level - 1) : QR_ECLEVEL_M;
	if (o->qr_version != 0) {
		if (o->qr_version < 10 || o->qr_version > 30 ||
		    (c->module = grid_module(&d->g, o->qr_version)) == 0)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "paper: QR "
			    "version %d does not fit the page", o->qr_version);
		v = o->qr_version;
	} else if ((v = grid_version(&d->g, &c->module)) == 0)
		return kr_err_set(KR_ERR_PAPER_RENDER, "paper: no QR version "
		    "fits the page");
	c->qr_version = v;
	if ((cap = an_capacity(v, c->qr_level)) < KR_QRCHUNK_OVERHEAD + 30)
		return kr_err_set(KR_ERR_PAPER_RENDER, "paper: libqrencode "
		    "cannot encode version %d", v);
	if ((r = kr_qrchunk_split(c->text, c->len, c->sum->header.ceremony_id,
	    cap, &c->chunks, &c->nchunks)) != 0)
		return r;
	return 0;
}

static int
render(cairo_surface_t *surf, const struct kr_paper_opts *o,
    struct content *c, struct kr_paper_info *info)
{
	struct doc d;
	cairo_t *cr;
	int r;

	cr = cairo_create(surf);
	if ((r = cairo_status(cr)) != CAIRO_STATUS_SUCCESS) {
		cairo_destroy(cr);
		return kr_err_set(KR_ERR_PAPER_RENDER, "cairo: %s",
		    cairo_status_to_string((cairo_status_t)r));
	}
	doc_init(&d, cr, o, c);
	if ((r = plan_codes(&d, o, c)) != 0)
		goto out;
	/* Pass 1 counts the pages, pass 2 draws them. */
	layout(&d, info);
	if ((r = d.r) != 0)
		goto out;
	d.pages = d.page;
	d.draw = 1;
	layout(&d, info);
	if ((r = d.r) != 0)
		goto out;
	if (info != NULL) {
		info->pages = d.pages;
		info->codes = (unsigned int)c->nchunks;
		info->qr_version = c->qr_version;
		info->module_pt = c->module;
	}
	r = 0;
 out:
	cairo_destroy(cr);
	return r;
}

int
kr_paper_render(const char *text, size_t len, const char *source,
    const struct kr_paper_opts *o, uint8_t **pdfp, size_t *pdflenp,
    struct kr_paper_info *info)
{
	struct kr_transcript_summary *sum = NULL;
	struct content c;
	struct kr_buf pdf;
	cairo_surface_t *surf = NULL;
	uint8_t hash[32];
	char meta[128];
	struct geom g;
	size_t i;
	int r;

	*pdfp = NULL;
	*pdflenp = 0;
	memset(&c, 0, sizeof(c));
	memset(&pdf, 0, sizeof(pdf));
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if ((sum = calloc(1, sizeof(*sum))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "paper");
	r = kr_transcript_verify(text, len, source, NULL, 0, sum);
	if (r != 0 && !(r == KR_ERR_TRANSCRIPT_UNSEALED && o->allow_unsealed))
		goto out;
	if ((r = kr_transcript_sha256(text, len, hash)) != 0)
		goto out;
	c.text = text;
	c.len = len;
	c.sum = sum;
	kr_hex_encode(hash, 32, c.sha_hex, sizeof(c.sha_hex));
	if ((r = gather(&c)) != 0)
		goto out;
	geometry(o->size, &g);
	surf = cairo_pdf_surface_create_for_stream(pdf_write, &pdf, g.w, g.h);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		r = kr_err_set(KR_ERR_PAPER_RENDER, "cairo: %s",
		    cairo_status_to_string(cairo_surface_status(surf)));
		goto out;
	}
	snprintf(meta, sizeof(meta), "keyrite transcript %s",
	    sum->header.ceremony_id);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, meta);
	snprintf(meta, sizeof(meta), "keyrite %s", KEYRITE_VERSION);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, meta);
	/* The transcript's own time: the same input gives the same PDF. */
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE,
	    sum->header.started);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_MOD_DATE,
	    sum->header.started);
	if ((r = render(surf, o, &c, info)) != 0)
		goto out;
	cairo_surface_finish(surf);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS || pdf.failed) {
		r = kr_err_set(pdf.failed ? KR_ERR_NOMEM : KR_ERR_PAPER_RENDER,
		    "cairo: %s", cairo_status_to_string(
		    cairo_surface_status(surf)));
		goto out;
	}
	if (info != NULL) {
		memcpy(info->ceremony_id, sum->header.ceremony_id,
		    sizeof(info->ceremony_id));
		memcpy(info->sha256, hash, 32);
		info->sealed = sum->sealed;
		info->records = sum->records;
	}
	if ((r = kr_buf_take(&pdf, (char **)pdfp, pdflenp)) != 0)
		goto out;
	r = 0;
 out:
	if (surf != NULL)
		cairo_surface_destroy(surf);
	kr_buf_free(&pdf);
	kr_qrchunk_free(c.chunks, c.nchunks);
	for (i = 0; i < c.npeople; i++)
		free(c.people[i].name);
	free(c.people);
	free(sum);
	return r;
}
