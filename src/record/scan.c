/*
 * scan.c: QR codes from scanned pages back into a transcript (scan.h).
 *
 * Every input becomes 8-bit grey pages (zbar reads "Y800"): PNG through
 * cairo, JPEG through libjpeg, PNM parsed here, PDF pages rendered by
 * poppler at SCAN_DPI.  zbar scans each page whole; the chunks go to a
 * qrchunk collector.  When chunks are missing after every file, a second
 * pass scans each cell where the paper record draws a code (paper.c's
 * grid for A4 and for Letter, widened to allow for a skewed or shifted
 * scan) on its own, and again at twice the size: zbar's finder reads a
 * blurred, noisy code it missed on the whole page once it is alone and
 * its modules are wider.
 */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <jpeglib.h>
#include <poppler.h>
#include <zbar.h>

#include "base/err.h"
#include "host/media.h"
#include "paper-int.h"
#include "qrchunk.h"
#include "scan.h"

#define SCAN_FILE_MAX	(256 * 1024 * 1024)
#define SCAN_PIXELS_MAX	(100 * 1000 * 1000)
#define SCAN_PAGES_MAX	200
#define SCAN_DPI	150.0
#define MAX_CELLS	16
#define CELL_SLACK_X	0.04	/* of the page width, each side */
#define CELL_SLACK_Y	0.03
#define CELL_DARK_MIN	0.2	/* text pages stay below, codes above */
#define UNSHARP_SIGMA	3.0	/* pixels of the doubled crop */
#define UNSHARP_AMOUNT	3.0

struct page {
	char		*origin;	/* "f.png", "f.pdf page 3" */
	size_t		 file;		/* index into files */
	int		 w, h;
	uint8_t		*px;		/* w * h grey bytes */
	unsigned int	 chunks;	/* chunk codes read on it */
};

struct kr_scan {
	zbar_image_scanner_t		*zbar;
	struct kr_qrchunk_collector	*col;
	struct kr_scan_file		*files;
	size_t				 nfiles;
	struct page			*pages;
	size_t				 npages;
	int				 second_ran;
	unsigned int			 second_added;
};

struct gray {
	int	 w, h;
	uint8_t	*px;
};

/* --- decoding ------------------------------------------------------------- */

/* Scans px[w * h]; every code goes to the collector.  Returns chunks read. */
static unsigned int
zscan(struct kr_scan *s, const uint8_t *px, int w, int h, size_t file,
    const char *origin)
{
	const zbar_symbol_t *sym;
	zbar_image_t *img;
	unsigned int n = 0;
	int r;

	if ((img = zbar_image_create()) == NULL)
		return 0;
	zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(img, (unsigned)w, (unsigned)h);
	zbar_image_set_data(img, px, (unsigned long)w * (unsigned long)h,
	    NULL);
	if (zbar_scan_image(s->zbar, img) > 0) {
		for (sym = zbar_image_first_symbol(img); sym != NULL;
		    sym = zbar_symbol_next(sym)) {
			r = kr_qrchunk_collector_add(s->col,
			    zbar_symbol_get_data(sym),
			    zbar_symbol_get_data_length(sym), origin);
			if (r == 0)
				n++, s->files[file].codes++;
			else if (r == KR_ERR_NOT_FOUND)
				s->files[file].others++;
			else if (r == KR_ERR_FORMAT)
				s->files[file].rejected++;
		}
	}
	zbar_image_destroy(img);
	return n;
}

/* --- loading images ------------------------------------------------------- */

static int
too_large(const char *path, long w, long h)
{
	if (w <= 0 || h <= 0 || w > 65535 || h > 65535 ||
	    w * h > SCAN_PIXELS_MAX)
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: %ldx%ld pixels: not "
		    "a page this reads (at most %d megapixels)", path, w, h,
		    SCAN_PIXELS_MAX / 1000000);
	return 0;
}

/* Grey from a cairo surface of any format, composited on white. */
static int
from_surface(const char *path, cairo_surface_t *src, struct gray *g)
{
	cairo_surface_t *rgb;
	cairo_t *cr;
	const uint8_t *row;
	int w, h, x, y, stride, r;

	if (cairo_surface_status(src) != CAIRO_STATUS_SUCCESS)
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: %s", path,
		    cairo_status_to_string(cairo_surface_status(src)));
	w = cairo_image_surface_get_width(src);
	h = cairo_image_surface_get_height(src);
	if ((r = too_large(path, w, h)) != 0)
		return r;
	rgb = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cr = cairo_create(rgb);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_surface(cr, src, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(rgb);
	if (cairo_surface_status(rgb) != CAIRO_STATUS_SUCCESS ||
	    (g->px = malloc((size_t)w * (size_t)h)) == NULL) {
		cairo_surface_destroy(rgb);
		return kr_err_set(KR_ERR_NOMEM, "%s: %dx%d pixels", path, w,
		    h);
	}
	stride = cairo_image_surface_get_stride(rgb);
	for (y = 0; y < h; y++) {
		row = cairo_image_surface_get_data(rgb) + (size_t)y * stride;
		for (x = 0; x < w; x++) {
			uint32_t v;

			memcpy(&v, row + 4 * x, 4);
			g->px[(size_t)y * w + x] = (uint8_t)((((v >> 16) &
			    0xff) * 77 + ((v >> 8) & 0xff) * 150 +
			    (v & 0xff) * 29) >> 8);
		}
	}
	g->w = w;
	g->h = h;
	cairo_surface_destroy(rgb);
	return 0;
}

struct mem {
	const uint8_t	*p;
	size_t		 len, off;
};

static cairo_status_t
mem_read(void *closure, unsigned char *data, unsigned int len)
{
	struct mem *m = closure;

	if (m->len - m->off < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, m->p + m->off, len);
	m->off += len;
	return CAIRO_STATUS_SUCCESS;
}

static int
load_png(const char *path, const uint8_t *p, size_t len, struct gray *g)
{
	struct mem m = { p, len, 0 };
	cairo_surface_t *src;
	int r;

	src = cairo_image_surface_create_from_png_stream(mem_read, &m);
	r = from_surface(path, src, g);
	cairo_surface_destroy(src);
	return r;
}

struct jerr {
	struct jpeg_error_mgr	 mgr;
	jmp_buf			 jb;
	char			 msg[JMSG_LENGTH_MAX];
};

static void
jpeg_fail(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->jb, 1);
}

static void
jpeg_quiet(j_common_ptr cinfo, int level)
{
	(void)cinfo;
	(void)level;
}

static int
load_jpeg(const char *path, const uint8_t *p, size_t len, struct gray *g)
{
	struct jpeg_decompress_struct ci;
	struct jerr e;
	uint8_t *volatile px = NULL;
	JSAMPROW row;
	int r;

	memset(&ci, 0, sizeof(ci));
	ci.err = jpeg_std_error(&e.mgr);
	e.mgr.error_exit = jpeg_fail;
	e.mgr.emit_message = jpeg_quiet;
	if (setjmp(e.jb) != 0) {
		jpeg_destroy_decompress(&ci);
		free(px);
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: not a JPEG this "
		    "reads: %s", path, e.msg);
	}
	jpeg_create_decompress(&ci);
	jpeg_mem_src(&ci, p, (unsigned long)len);
	jpeg_read_header(&ci, TRUE);
	if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space ==
	    JCS_YCCK) {
		jpeg_destroy_decompress(&ci);
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: a CMYK JPEG: scan "
		    "in grey or colour (RGB)", path);
	}
	ci.out_color_space = JCS_GRAYSCALE;
	if ((r = too_large(path, (long)ci.image_width,
	    (long)ci.image_height)) != 0) {
		jpeg_destroy_decompress(&ci);
		return r;
	}
	jpeg_start_decompress(&ci);
	if ((px = malloc((size_t)ci.output_width * ci.output_height)) ==
	    NULL) {
		jpeg_destroy_decompress(&ci);
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	}
	while (ci.output_scanline < ci.output_height) {
		row = px + (size_t)ci.output_scanline * ci.output_width;
		jpeg_read_scanlines(&ci, &row, 1);
	}
	jpeg_finish_decompress(&ci);
	g->w = (int)ci.output_width;
	g->h = (int)ci.output_height;
	g->px = px;
	jpeg_destroy_decompress(&ci);
	return 0;
}

/* --- PNM (P1-P6), as pdftoppm and scanners write it ----------------------- */

/* Next decimal header field, skipping white space and # comments. */
static long
pnm_num(const uint8_t *p, size_t len, size_t *off)
{
	long v = -1;

	for (;;) {
		while (*off < len && (p[*off] == ' ' || p[*off] == '\t' ||
		    p[*off] == '\n' || p[*off] == '\r'))
			(*off)++;
		if (*off < len && p[*off] == '#') {
			while (*off < len && p[*off] != '\n')
				(*off)++;
			continue;
		}
		break;
	}
	while (*off < len && p[*off] >= '0' && p[*off] <= '9' &&
	    v < 1000000) {
		v = (v < 0 ? 0 : v * 10) + (p[*off] - '0');
		(*off)++;
	}
	return v;
}

/* One sample of a PNM pixel, scaled to 0..255. */
static int
pnm_sample(const uint8_t *p, size_t len, size_t *off, int ascii, long max)
{
	long v;

	if (ascii) {
		if ((v = pnm_num(p, len, off)) < 0 || v > max)
			return -1;
	} else if (max < 256) {
		if (*off >= len)
			return -1;
		v = p[(*off)++];
	} else {
		if (*off + 2 > len)
			return -1;
		v = (long)p[*off] << 8 | p[*off + 1];
		*off += 2;
	}
	if (v > max)
		return -1;
	return (int)(v * 255 / max);
}

static int
load_pnm(const char *path, const uint8_t *p, size_t len, struct gray *g)
{
	int type = p[1] - '0', ascii = type <= 3, chans, k, bit, v[3];
	long w, h, max = 1, x, y;
	size_t off = 2;
	int r;

	w = pnm_num(p, len, &off);
	h = pnm_num(p, len, &off);
	if (type != 1 && type != 4)
		max = pnm_num(p, len, &off);
	if (w < 0 || h < 0 || max < 1 || max > 65535 || off >= len)
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: a malformed PNM "
		    "header", path);
	if ((r = too_large(path, w, h)) != 0)
		return r;
	off++;		/* the single white-space byte before the raster */
	chans = (type == 3 || type == 6) ? 3 : 1;
	if ((g->px = malloc((size_t)w * (size_t)h)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			if (type == 4) {
				size_t at = off + (size_t)y * ((w + 7) / 8) +
				    (size_t)x / 8;

				if (at >= len)
					goto short_file;
				bit = (p[at] >> (7 - x % 8)) & 1;
				g->px[y * w + x] = bit ? 0 : 255;
				continue;
			}
			for (k = 0; k < chans; k++)
				if ((v[k] = pnm_sample(p, len, &off, ascii,
				    max)) < 0)
					goto short_file;
			if (type == 1)
				v[0] = v[0] ? 0 : 255;
			g->px[y * w + x] = (uint8_t)(chans == 3 ? (v[0] * 77 +
			    v[1] * 150 + v[2] * 29) >> 8 : v[0]);
		}
	}
	g->w = (int)w;
	g->h = (int)h;
	return 0;
 short_file:
	free(g->px);
	g->px = NULL;
	return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: the PNM raster is cut "
	    "short or holds a sample above its maximum", path);
}

/* --- pages ---------------------------------------------------------------- */

static int
add_page(struct kr_scan *s, size_t file, const char *origin,
    struct gray *g)
{
	struct page *p;

	if ((p = realloc(s->pages, (s->npages + 1) * sizeof(*p))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", origin);
	s->pages = p;
	p = &s->pages[s->npages];
	memset(p, 0, sizeof(*p));
	if ((p->origin = strdup(origin)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", origin);
	p->file = file;
	p->w = g->w;
	p->h = g->h;
	p->px = g->px;
	g->px = NULL;
	s->npages++;
	s->files[file].pages++;
	p->chunks = zscan(s, p->px, p->w, p->h, file, p->origin);
	return 0;
}

static int
render_pdf_page(const char *path, PopplerPage *pg, struct gray *g)
{
	cairo_surface_t *surf;
	cairo_t *cr;
	double pw, ph;
	int w, h, r;

	poppler_page_get_size(pg, &pw, &ph);
	w = (int)(pw * SCAN_DPI / 72.0 + 0.5);
	h = (int)(ph * SCAN_DPI / 72.0 + 0.5);
	if ((r = too_large(path, w, h)) != 0)
		return r;
	surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, SCAN_DPI / 72.0, SCAN_DPI / 72.0);
	poppler_page_render_for_printing(pg, cr);
	cairo_destroy(cr);
	r = from_surface(path, surf, g);
	cairo_surface_destroy(surf);
	return r;
}

static int
load_pdf(struct kr_scan *s, size_t file, const char *path, const uint8_t *p,
    size_t len)
{
	PopplerDocument *doc;
	PopplerPage *pg;
	GBytes *bytes;
	GError *gerr = NULL;
	struct gray g;
	char origin[4200];
	int i, n, r = 0;

	bytes = g_bytes_new_static(p, len);
	doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	g_bytes_unref(bytes);
	if (doc == NULL) {
		r = kr_err_set(KR_ERR_SCAN_IMAGE, "%s: not a PDF this reads: "
		    "%s", path, gerr != NULL ? gerr->message : "unknown");
		g_clear_error(&gerr);
		return r;
	}
	if ((n = poppler_document_get_n_pages(doc)) > SCAN_PAGES_MAX) {
		g_object_unref(doc);
		return kr_err_set(KR_ERR_SCAN_IMAGE, "%s: %d pages; at most %d",
		    path, n, SCAN_PAGES_MAX);
	}
	for (i = 0; i < n && r == 0; i++) {
		memset(&g, 0, sizeof(g));
		if ((pg = poppler_document_get_page(doc, i)) == NULL) {
			r = kr_err_set(KR_ERR_SCAN_IMAGE, "%s: page %d cannot "
			    "be read", path, i + 1);
			break;
		}
		snprintf(origin, sizeof(origin), "%s page %d", path, i + 1);
		if ((r = render_pdf_page(origin, pg, &g)) == 0)
			r = add_page(s, file, origin, &g);
		free(g.px);
		g_object_unref(pg);
	}
	g_object_unref(doc);
	return r;
}

int
kr_scan_add_file(struct kr_scan *s, const char *path)
{
	struct kr_scan_file *f;
	struct gray g;
	uint8_t *p = NULL;
	size_t len = 0, file;
	int r;

	memset(&g, 0, sizeof(g));
	if ((f = realloc(s->files, (s->nfiles + 1) * sizeof(*f))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	s->files = f;
	file = s->nfiles;
	memset(&s->files[file], 0, sizeof(*f));
	if ((s->files[file].path = strdup(path)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	s->nfiles++;
	if ((r = kr_media_read(path, SCAN_FILE_MAX, (char **)&p, &len,
	    NULL)) != 0)
		return r;
	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		r = load_png(path, p, len, &g);
	else if (len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		r = load_jpeg(path, p, len, &g);
	else if (len >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6' &&
	    (p[2] == ' ' || p[2] == '\n' || p[2] == '\r' || p[2] == '\t'))
		r = load_pnm(path, p, len, &g);
	else if (len >= 5 && memcmp(p, "%PDF-", 5) == 0) {
		r = load_pdf(s, file, path, p, len);
		free(p);
		return r;
	} else
		r = kr_err_set(KR_ERR_SCAN_IMAGE, "%s: not a PNG, JPEG, PNM "
		    "or PDF file", path);
	if (r == 0)
		r = add_page(s, file, path, &g);
	free(g.px);
	free(p);
	return r;
}

/* --- the second pass ------------------------------------------------------ */

/* f times the size (f = 2 or 3), bilinear. */
static uint8_t *
scale_up(const uint8_t *px, int w, int h, int f)
{
	uint8_t *out;
	int x, y, x0, y0, x1, y1, fx, fy;

	if ((out = malloc((size_t)w * h * f * f)) == NULL)
		return NULL;
	for (y = 0; y < f * h; y++) {
		y0 = y / f, fy = y % f, y1 = y0 + (fy && y0 + 1 < h);
		for (x = 0; x < f * w; x++) {
			x0 = x / f, fx = x % f, x1 = x0 + (fx && x0 + 1 < w);
			out[(size_t)y * f * w + x] = (uint8_t)(
			    ((f - fx) * (f - fy) * px[y0 * w + x0] +
			    fx * (f - fy) * px[y0 * w + x1] +
			    (f - fx) * fy * px[y1 * w + x0] +
			    fx * fy * px[y1 * w + x1] + f * f / 2) / (f * f));
		}
	}
	return out;
}

/* Black and white at Otsu's threshold: the last resort for a grey scan. */
static void
binarize(uint8_t *px, size_t n)
{
	size_t hist[256] = { 0 }, i, wb = 0;
	double sum = 0, sumb = 0, best = -1, between;
	int t, th = 128;

	for (i = 0; i < n; i++) {
		hist[px[i]]++;
		sum += px[i];
	}
	for (t = 0; t < 256; t++) {
		wb += hist[t];
		if (wb == 0 || wb == n)
			continue;
		sumb += (double)t * hist[t];
		between = (double)wb * (double)(n - wb) *
		    (sumb / wb - (sum - sumb) / (n - wb)) *
		    (sumb / wb - (sum - sumb) / (n - wb));
		if (between > best) {
			best = between;
			th = t;
		}
	}
	for (i = 0; i < n; i++)
		px[i] = px[i] > th ? 255 : 0;
}

/* The share of dark pixels: a QR code's cell is about half dark. */
static double
dark_share(const uint8_t *px, size_t n)
{
	size_t i, dark = 0;

	for (i = 0; i < n; i++)
		dark += px[i] < 128;
	return n == 0 ? 0 : (double)dark / (double)n;
}

/*
 * Sharpens px[w * h] in place: px + amount * (px - gaussian(px, sigma)),
 * the unsharp mask that undoes a scanner's (or a renderer's) blur.
 */
static int
unsharp(uint8_t *px, int w, int h, double sigma, double amount)
{
	float k[32], *tmp, v;
	int r = (int)(3 * sigma), x, y, i, j;
	double sum = 0;

	if (r > 15)
		r = 15;
	for (i = -r; i <= r; i++)
		sum += k[i + r] = (float)exp(-(double)(i * i) /
		    (2 * sigma * sigma));
	for (i = 0; i <= 2 * r; i++)
		k[i] = (float)(k[i] / sum);
	if ((tmp = malloc((size_t)w * h * sizeof(*tmp))) == NULL)
		return -1;
	for (y = 0; y < h; y++)		/* horizontal */
		for (x = 0; x < w; x++) {
			for (v = 0, i = -r; i <= r; i++) {
				j = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
				v += k[i + r] * px[y * w + j];
			}
			tmp[y * w + x] = v;
		}
	for (x = 0; x < w; x++)		/* vertical, then the mask */
		for (y = 0; y < h; y++) {
			float o;

			for (v = 0, i = -r; i <= r; i++) {
				j = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
				v += k[i + r] * tmp[j * w + x];
			}
			o = px[y * w + x] + (float)amount * (px[y * w + x] - v);
			px[y * w + x] = (uint8_t)(o < 0 ? 0 : o > 255 ? 255 :
			    o + 0.5f);
		}
	free(tmp);
	return 0;
}

/*
 * How a cell is tried, in order, until one reads: enlarged (bilinear),
 * sharpened with an unsharp mask (sigma in pixels of the enlarged crop,
 * amount), maybe binarized at Otsu's threshold.  The first reads 100 dpi
 * scans blurred by a pixel, with noise, JPEG artefacts and a 2-degree
 * skew nearly always (tests/integration/t-paper.sh); the others catch the
 * noise patterns it misses.
 */
static const struct cell_try {
	int	scale;
	double	sigma, amount;
	int	binary;
} cell_tries[] = {
	{ 2, UNSHARP_SIGMA, UNSHARP_AMOUNT, 0 },
	{ 3, 1.5 * UNSHARP_SIGMA, UNSHARP_AMOUNT, 0 },
	{ 2, UNSHARP_SIGMA, 1.5 * UNSHARP_AMOUNT, 1 },
	{ 3, 1.5 * UNSHARP_SIGMA, 2.0 * UNSHARP_AMOUNT, 1 },
};

/* Scans the cell at fractions c[4] of page p alone, then as cell_tries. */
static unsigned int
scan_cell(struct kr_scan *s, const struct page *p, const double c[4])
{
	int x0, y0, x1, y1, w, h, y, f;
	uint8_t *crop, *big;
	unsigned int n;
	size_t t;

	x0 = (int)((c[0] - CELL_SLACK_X) * p->w);
	y0 = (int)((c[1] - CELL_SLACK_Y) * p->h);
	x1 = (int)((c[0] + c[2] + CELL_SLACK_X) * p->w);
	y1 = (int)((c[1] + c[3] + CELL_SLACK_Y) * p->h);
	x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > p->w ? p->w : x1, y1 = y1 > p->h ? p->h : y1;
	if ((w = x1 - x0) < 16 || (h = y1 - y0) < 16)
		return 0;
	if ((crop = malloc((size_t)w * h)) == NULL)
		return 0;
	for (y = 0; y < h; y++)
		memcpy(crop + (size_t)y * w, p->px + (size_t)(y0 + y) * p->w +
		    x0, (size_t)w);
	if (dark_share(crop, (size_t)w * h) < CELL_DARK_MIN) {
		free(crop);	/* text or white space, not a code */
		return 0;
	}
	n = zscan(s, crop, w, h, p->file, p->origin);
	for (t = 0; n == 0 && t < sizeof(cell_tries) / sizeof(cell_tries[0]);
	    t++) {
		f = cell_tries[t].scale;
		if ((big = scale_up(crop, w, h, f)) == NULL)
			break;
		if (unsharp(big, f * w, f * h, cell_tries[t].sigma,
		    cell_tries[t].amount) == 0) {
			if (cell_tries[t].binary)
				binarize(big, (size_t)f * w * f * h);
			n = zscan(s, big, f * w, f * h, p->file, p->origin);
		}
		free(big);
	}
	free(crop);
	return n;
}

static void
second_pass(struct kr_scan *s)
{
	double cells[2][MAX_CELLS][4];
	size_t ncells[2], i, k, j;
	unsigned int have0, have, count;

	ncells[0] = kr_paper_code_cells(KR_PAPER_A4, cells[0], MAX_CELLS);
	ncells[1] = kr_paper_code_cells(KR_PAPER_LETTER, cells[1],
	    MAX_CELLS);
	kr_qrchunk_collector_counts(s->col, &have0, &count);
	s->second_ran = 1;
	for (i = 0; i < s->npages; i++) {
		if (s->pages[i].chunks >= ncells[0])
			continue;	/* a full page of codes: all read */
		/* Cell j of A4, or if that reads nothing, of Letter. */
		for (j = 0; j < ncells[0] || j < ncells[1]; j++) {
			for (k = 0; k < 2; k++)
				if (j < ncells[k] && scan_cell(s,
				    &s->pages[i], cells[k][j]) > 0)
					break;
			if (kr_qrchunk_collector_complete(s->col))
				goto done;
		}
	}
 done:
	kr_qrchunk_collector_counts(s->col, &have, &count);
	s->second_added = have - have0;
}

/* --- the rest ------------------------------------------------------------- */

int
kr_scan_new(struct kr_scan **sp)
{
	struct kr_scan *s;
	int r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "scan");
	if ((r = kr_qrchunk_collector_new(&s->col)) != 0) {
		free(s);
		return r;
	}
	if ((s->zbar = zbar_image_scanner_create()) == NULL) {
		kr_scan_free(s);
		return kr_err_set(KR_ERR_NOMEM, "zbar");
	}
	zbar_image_scanner_set_config(s->zbar, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(s->zbar, ZBAR_QRCODE, ZBAR_CFG_ENABLE,
	    1);
	*sp = s;
	return 0;
}

void
kr_scan_free(struct kr_scan *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->npages; i++) {
		free(s->pages[i].origin);
		free(s->pages[i].px);
	}
	for (i = 0; i < s->nfiles; i++)
		free((char *)(uintptr_t)s->files[i].path);
	free(s->pages);
	free(s->files);
	if (s->zbar != NULL)
		zbar_image_scanner_destroy(s->zbar);
	kr_qrchunk_collector_free(s->col);
	free(s);
}

int
kr_scan_finish(struct kr_scan *s, char **textp, size_t *lenp,
    uint8_t sha256[32])
{
	if (!kr_qrchunk_collector_complete(s->col))
		second_pass(s);
	return kr_qrchunk_assemble(s->col, textp, lenp, sha256);
}

size_t
kr_scan_files(const struct kr_scan *s, const struct kr_scan_file **files)
{
	*files = s->files;
	return s->nfiles;
}

void
kr_scan_counts(const struct kr_scan *s, unsigned int *have,
    unsigned int *count)
{
	kr_qrchunk_collector_counts(s->col, have, count);
}

unsigned int
kr_scan_second_pass(const struct kr_scan *s, int *ran)
{
	*ran = s->second_ran;
	return s->second_added;
}
