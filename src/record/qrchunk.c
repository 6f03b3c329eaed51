/*
 * qrchunk.c: the transcript's bytes in numbered QR payloads, and back.
 *
 * The payload alphabet is QR's alphanumeric set, so that a code holds
 * about 10 % more than in byte mode and zbarimg prints it unchanged (it
 * re-encodes byte-mode codes as Latin-1 and joins several without a
 * separator).  Slices are of even length so that the base45 texts of
 * chunks 1..n, concatenated, are the base45 of the whole gzip stream: an
 * auditor decodes once.  Every payload names its transcript by ceremony
 * id and SHA-256, so codes of two transcripts never mix silently.  The
 * format is in docs/transcript-format.md ("On paper").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "qrchunk.h"
#include "transcript-int.h"

#define FIXED_CHARS	113	/* all but "i/n" and the base45 slice */
#define MAX_NOTES	16	/* bad or foreign codes named in details */

struct held {
	char	*payload;	/* NULL while missing */
	size_t	 len;
	char	*origin;
};

struct note {
	char	*origin;
	char	 what[96];
};

struct kr_qrchunk_collector {
	int		 started;
	char		 ceremony_id[KR_TRANSCRIPT_ID_BYTES];
	uint8_t		 sha256[32];
	unsigned int	 count;
	unsigned int	 have;
	struct held	*chunks;	/* [count] */
	unsigned int	 nconflicts;	/* chunk numbers with two versions */
	struct note	 conflicts[MAX_NOTES];
	unsigned int	 nforeign;	/* codes of another transcript */
	struct note	 foreign[MAX_NOTES];
	unsigned int	 nbad;		/* codes failing their check */
	struct note	 bad[MAX_NOTES];
};

/* --- compression --------------------------------------------------------- */

/* gzip (RFC 1952) of text[len] into malloc()ed *outp. */
static int
gzip_text(const char *text, size_t len, uint8_t **outp, size_t *outlenp)
{
	z_stream z;
	uint8_t *out;
	uLong cap;
	int zr;

	*outp = NULL;
	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header (mtime 0) and trailer. */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return kr_err_set(KR_ERR_NOMEM, "zlib: deflateInit2 failed");
	cap = deflateBound(&z, (uLong)len) + 32;
	if ((out = malloc(cap)) == NULL) {
		deflateEnd(&z);
		return kr_err_set(KR_ERR_NOMEM, "compressing the transcript");
	}
	z.next_in = (Bytef *)(uintptr_t)text;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, Z_FINISH);
	*outlenp = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return kr_err_set(KR_ERR_INTERNAL, "zlib: deflate gave %d",
		    zr);
	}
	*outp = out;
	return 0;
}

/* gunzip in[len]: exactly one gzip member, at most max bytes out. */
static int
gunzip(const uint8_t *in, size_t len, size_t max, char **outp,
    size_t *outlenp)
{
	struct kr_buf b;
	z_stream z;
	unsigned char tmp[16384];
	int zr;

	*outp = NULL;
	memset(&b, 0, sizeof(b));
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return kr_err_set(KR_ERR_NOMEM, "zlib: inflateInit2 failed");
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			break;
		kr_buf_append(&b, tmp, sizeof(tmp) - z.avail_out);
		if (b.len > max)
			break;
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	if (zr != Z_STREAM_END || z.avail_in != 0 || b.len > max) {
		kr_buf_free(&b);
		return kr_err_set(KR_ERR_FORMAT, "the reassembled codes are "
		    "not one whole gzip stream of at most %zu bytes (%s)",
		    max, zr == Z_STREAM_END ? "bytes after its end" :
		    "damaged or cut short");
	}
	return kr_buf_take(&b, outp, outlenp);
}

/* --- payloads ----------------------------------------------------------- */

static void
upper_hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	kr_hex_encode(p, n, out, 2 * n + 1);
	for (i = 0; i < 2 * n; i++)
		if (out[i] >= 'a' && out[i] <= 'f')
			out[i] = (char)(out[i] - 'a' + 'A');
}

/* The CHECK field of the payload text before its last ':'. */
static int
check_digits(const char *p, size_t len, char out[KR_QRCHUNK_CHECK_HEX + 1])
{
	uint8_t h[32];
	char hex[65];
	int r;

	if ((r = kr_transcript_sha256(p, len, h)) != 0)
		return r;
	upper_hex(h, 32, hex);
	memcpy(out, hex, KR_QRCHUNK_CHECK_HEX);
	out[KR_QRCHUNK_CHECK_HEX] = '\0';
	return 0;
}

static unsigned int
digits(size_t n)
{
	unsigned int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* Bytes per slice (even) so that n slices of z bytes fit max_chars. */
static int
slice_size(size_t zlen, size_t max_chars, size_t *slicep, size_t *np)
{
	unsigned int d;
	size_t avail, slice, n;

	for (d = 1; d <= 4; d++) {
		if (max_chars < FIXED_CHARS + 2 * d + 1 + 3)
			break;
		avail = max_chars - FIXED_CHARS - (2 * d + 1);
		slice = avail / 3 * 2;
		n = (zlen + slice - 1) / slice;
		if (n == 0)
			n = 1;
		if (digits(n) <= d) {
			if (n > KR_QRCHUNK_MAX)
				break;
			*slicep = slice;
			*np = n;
			return 0;
		}
	}
	return kr_err_set(KR_ERR_TOO_LARGE, "the transcript (%zu bytes "
	    "compressed) does not fit %d QR codes of %zu characters", zlen,
	    KR_QRCHUNK_MAX, max_chars);
}

static int
make_payload(const char *id_upper, const char *hash_upper, size_t i,
    size_t n, const uint8_t *slice, size_t slen, char **outp)
{
	struct kr_buf b;
	char check[KR_QRCHUNK_CHECK_HEX + 1], *b45 = NULL;
	size_t b45len = 0;
	int r;

	memset(&b, 0, sizeof(b));
	if ((r = kr_base45_encode(slice, slen, &b45, &b45len)) != 0)
		return r;
	kr_buf_printf(&b, "%s:%s:%zu/%zu:%s:", KR_QRCHUNK_MAGIC, id_upper,
	    i, n, hash_upper);
	kr_buf_append(&b, b45, b45len);
	free(b45);
	if (b.failed) {
		kr_buf_free(&b);
		return kr_err_set(KR_ERR_NOMEM, "QR payload");
	}
	if ((r = check_digits(b.data, b.len, check)) != 0) {
		kr_buf_free(&b);
		return r;
	}
	kr_buf_printf(&b, ":%s", check);
	return kr_buf_take(&b, outp, NULL);
}

int
kr_qrchunk_split(const char *text, size_t len, const char *ceremony_id,
    size_t max_chars, char ***payloadsp, size_t *np)
{
	char id_upper[KR_TRANSCRIPT_ID_BYTES], hash_upper[65], **out = NULL;
	uint8_t *z = NULL, hash[32];
	size_t zlen = 0, slice = 0, n = 0, i, k;
	int r;

	*payloadsp = NULL;
	*np = 0;
	if (!kr_transcript_id_ok(ceremony_id, strlen(ceremony_id)))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "QR chunks: '%s' "
		    "is not a ceremony id", ceremony_id);
	for (i = 0; ceremony_id[i] != '\0'; i++)
		id_upper[i] = (ceremony_id[i] >= 'a' && ceremony_id[i] <= 'f') ?
		    (char)(ceremony_id[i] - 'a' + 'A') : ceremony_id[i];
	id_upper[i] = '\0';
	if ((r = kr_transcript_sha256(text, len, hash)) != 0 ||
	    (r = gzip_text(text, len, &z, &zlen)) != 0 ||
	    (r = slice_size(zlen, max_chars, &slice, &n)) != 0)
		goto out;
	upper_hex(hash, 32, hash_upper);
	if ((out = calloc(n, sizeof(*out))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "QR chunks");
		goto out;
	}
	for (i = 0; i < n; i++) {
		k = i + 1 < n ? slice : zlen - i * slice;
		if ((r = make_payload(id_upper, hash_upper, i + 1, n,
		    z + i * slice, k, &out[i])) != 0)
			goto out;
	}
	*payloadsp = out;
	*np = n;
	out = NULL;
	r = 0;
 out:
	kr_qrchunk_free(out, n);
	free(z);
	return r;
}

void
kr_qrchunk_free(char **payloads, size_t n)
{
	size_t i;

	if (payloads == NULL)
		return;
	for (i = 0; i < n; i++)
		free(payloads[i]);
	free(payloads);
}

int
kr_qrchunk_is_chunk(const char *p, size_t len)
{
	size_t m = strlen(KR_QRCHUNK_MAGIC);

	return len > m && memcmp(p, KR_QRCHUNK_MAGIC, m) == 0 && p[m] == ':';
}

/* Decimal 1..KR_QRCHUNK_MAX without leading zeros. */
static int
number(const char *s, size_t n, unsigned int *vp)
{
	unsigned int v = 0;
	size_t i;

	if (n == 0 || n > 4 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	*vp = v;
	return 0;
}

/* 2 * n upper-case hex digits. */
static int
upper_hex_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

int
kr_qrchunk_parse(const char *p, size_t len, struct kr_qrchunk *c)
{
	const char *f[5], *end = p + len, *slash, *last, *why = NULL;
	char check[KR_QRCHUNK_CHECK_HEX + 1], hex[65];
	size_t fn[5], i;
	const char *s = p;

	memset(c, 0, sizeof(*c));
	if (!kr_qrchunk_is_chunk(p, len))
		return kr_err_set(KR_ERR_FORMAT, "not a keyrite chunk (it "
		    "does not start with '%s:')", KR_QRCHUNK_MAGIC);
	/* Four fields up to a ':', then the slice up to the last ':'. */
	for (i = 0; i < 4; i++) {
		const char *colon = memchr(s, ':', (size_t)(end - s));

		if (colon == NULL)
			return kr_err_set(KR_ERR_FORMAT, "a chunk has six "
			    "':'-separated fields");
		f[i] = s;
		fn[i] = (size_t)(colon - s);
		s = colon + 1;
	}
	for (last = end; last > s && last[-1] != ':'; last--)
		;
	if (last == s)
		return kr_err_set(KR_ERR_FORMAT, "a chunk has six "
		    "':'-separated fields");
	f[4] = s;
	fn[4] = (size_t)(last - 1 - s);
	if (fn[1] != KR_TRANSCRIPT_ID_BYTES - 1)
		why = "the ceremony id is not 24 characters";
	else if ((slash = memchr(f[2], '/', fn[2])) == NULL ||
	    number(f[2], (size_t)(slash - f[2]), &c->index) != 0 ||
	    number(slash + 1, fn[2] - (size_t)(slash - f[2]) - 1,
	    &c->count) != 0 || c->index > c->count)
		why = "the chunk number is not i/n with 1 <= i <= n <= 9999";
	else if (fn[3] != 64 || !upper_hex_ok(f[3], 64))
		why = "the transcript hash is not 64 upper-case hex digits";
	else if ((size_t)(end - last) != KR_QRCHUNK_CHECK_HEX ||
	    !upper_hex_ok(last, KR_QRCHUNK_CHECK_HEX))
		why = "the check is not 16 upper-case hex digits";
	if (why != NULL)
		return kr_err_set(KR_ERR_FORMAT, "%s", why);
	for (i = 0; i < KR_TRANSCRIPT_ID_BYTES - 1; i++) {
		char ch = f[1][i];

		c->ceremony_id[i] = (ch >= 'A' && ch <= 'F') ?
		    (char)(ch - 'A' + 'a') : ch;
	}
	c->ceremony_id[i] = '\0';
	if (!kr_transcript_id_ok(c->ceremony_id, i))
		return kr_err_set(KR_ERR_FORMAT, "the ceremony id is not "
		    "YYYYMMDD-HHMMSS-XXXXXXXX");
	memcpy(hex, f[3], 64);
	hex[64] = '\0';
	if (kr_hex_decode(hex, c->sha256, 32) != 0)
		return kr_err_set(KR_ERR_FORMAT, "bad transcript hash");
	if (check_digits(p, (size_t)(last - 1 - p), check) != 0 ||
	    memcmp(check, last, KR_QRCHUNK_CHECK_HEX) != 0)
		return kr_err_set(KR_ERR_FORMAT, "chunk %u/%u fails its check "
		    "digits: misread or altered", c->index, c->count);
	for (i = 0; i < fn[4]; i++)
		if (!((f[4][i] >= '0' && f[4][i] <= '9') ||
		    (f[4][i] >= 'A' && f[4][i] <= 'Z') ||
		    strchr(" $%*+-./:", f[4][i]) != NULL) || f[4][i] == '\0')
			return kr_err_set(KR_ERR_FORMAT, "chunk %u/%u: its "
			    "data is not base45", c->index, c->count);
	c->data = f[4];
	c->datalen = fn[4];
	return 0;
}

/* --- the collector ------------------------------------------------------ */

int
kr_qrchunk_collector_new(struct kr_qrchunk_collector **cp)
{
	*cp = calloc(1, sizeof(**cp));
	return *cp == NULL ? kr_err_set(KR_ERR_NOMEM, "QR collector") : 0;
}

static void
notes_free(struct note *n, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count && i < MAX_NOTES; i++)
		free(n[i].origin);
}

void
kr_qrchunk_collector_free(struct kr_qrchunk_collector *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; c->chunks != NULL && i < c->count; i++) {
		free(c->chunks[i].payload);
		free(c->chunks[i].origin);
	}
	free(c->chunks);
	notes_free(c->conflicts, c->nconflicts);
	notes_free(c->foreign, c->nforeign);
	notes_free(c->bad, c->nbad);
	free(c);
}

static void
note(struct note *list, unsigned int *n, const char *origin,
    const char *what)
{
	if (*n < MAX_NOTES) {
		list[*n].origin = strdup(origin);
		snprintf(list[*n].what, sizeof(list[*n].what), "%s", what);
	}
	(*n)++;
}

int
kr_qrchunk_collector_add(struct kr_qrchunk_collector *c, const char *p,
    size_t len, const char *origin)
{
	struct kr_qrchunk k;
	struct held *h;
	char what[96], hex[17];
	int r;

	if (!kr_qrchunk_is_chunk(p, len))
		return KR_ERR_NOT_FOUND;
	if ((r = kr_qrchunk_parse(p, len, &k)) != 0) {
		note(c->bad, &c->nbad, origin, kr_err_detail());
		return r;
	}
	if (!c->started) {
		if ((c->chunks = calloc(k.count, sizeof(*c->chunks))) == NULL)
			return kr_err_set(KR_ERR_NOMEM, "QR collector");
		memcpy(c->ceremony_id, k.ceremony_id, sizeof(c->ceremony_id));
		memcpy(c->sha256, k.sha256, 32);
		c->count = k.count;
		c->started = 1;
	}
	if (strcmp(k.ceremony_id, c->ceremony_id) != 0 ||
	    memcmp(k.sha256, c->sha256, 32) != 0 || k.count != c->count) {
		kr_hex_encode(k.sha256, 8, hex, sizeof(hex));
		snprintf(what, sizeof(what), "chunk %u/%u of ceremony %s, "
		    "sha256 %s...", k.index, k.count, k.ceremony_id, hex);
		note(c->foreign, &c->nforeign, origin, what);
		return 0;
	}
	h = &c->chunks[k.index - 1];
	if (h->payload != NULL) {
		if (h->len != len || memcmp(h->payload, p, len) != 0) {
			snprintf(what, sizeof(what), "chunk %u: differs from "
			    "the one in %s", k.index, h->origin);
			note(c->conflicts, &c->nconflicts, origin, what);
		}
		return 0;
	}
	if ((h->payload = malloc(len + 1)) == NULL ||
	    (h->origin = strdup(origin)) == NULL) {
		free(h->payload);
		h->payload = NULL;
		return kr_err_set(KR_ERR_NOMEM, "QR collector");
	}
	memcpy(h->payload, p, len);
	h->payload[len] = '\0';
	h->len = len;
	c->have++;
	return 0;
}

void
kr_qrchunk_collector_counts(const struct kr_qrchunk_collector *c,
    unsigned int *have, unsigned int *count)
{
	*have = c->have;
	*count = c->count;
}

int
kr_qrchunk_collector_complete(const struct kr_qrchunk_collector *c)
{
	return c->started && c->have == c->count && c->nconflicts == 0 &&
	    c->nforeign == 0;
}

/* Appends "3, 7-9, 12" for the missing chunk numbers. */
static void
missing_list(const struct kr_qrchunk_collector *c, struct kr_buf *b)
{
	unsigned int i, j;
	const char *sep = "";

	for (i = 0; i < c->count; i++) {
		if (c->chunks[i].payload != NULL)
			continue;
		for (j = i; j + 1 < c->count && c->chunks[j + 1].payload ==
		    NULL; j++)
			;
		if (j == i)
			kr_buf_printf(b, "%s%u", sep, i + 1);
		else
			kr_buf_printf(b, "%s%u-%u", sep, i + 1, j + 1);
		sep = ", ";
		i = j;
	}
}

static void
notes_list(struct kr_buf *b, const struct note *n, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count && i < MAX_NOTES; i++)
		kr_buf_printf(b, "; %s: %s", n[i].origin, n[i].what);
	if (count > MAX_NOTES)
		kr_buf_printf(b, "; and %u more", count - MAX_NOTES);
}

static int
problem(const struct kr_qrchunk_collector *c)
{
	struct kr_buf b;
	int code;

	memset(&b, 0, sizeof(b));
	if (c->nforeign > 0) {
		code = KR_ERR_SCAN_CONFLICT;
		kr_buf_printf(&b, "the scans hold codes of more than one "
		    "transcript (the first code read was of ceremony %s); "
		    "scan one transcript at a time", c->ceremony_id);
		notes_list(&b, c->foreign, c->nforeign);
	} else if (c->nconflicts > 0) {
		code = KR_ERR_SCAN_CONFLICT;
		kr_buf_printf(&b, "%u chunk%s read with two different "
		    "contents (each passed its check: a page was altered or "
		    "belongs to another printing)", c->nconflicts,
		    c->nconflicts == 1 ? " was" : "s were");
		notes_list(&b, c->conflicts, c->nconflicts);
	} else if (!c->started) {
		code = KR_ERR_SCAN_INCOMPLETE;
		kr_buf_printf(&b, "no keyrite transcript code was found; scan "
		    "the pages with the QR codes (at 150 dpi or more)");
		notes_list(&b, c->bad, c->nbad);
	} else {
		code = KR_ERR_SCAN_INCOMPLETE;
		kr_buf_printf(&b, "chunk%s ", c->count - c->have == 1 ? "" :
		    "s");
		missing_list(c, &b);
		kr_buf_printf(&b, " of %u %s missing (%u found); scan the "
		    "pages that carry %s again, at 150 dpi or more", c->count,
		    c->count - c->have == 1 ? "is" : "are", c->have,
		    c->count - c->have == 1 ? "it" : "them");
		notes_list(&b, c->bad, c->nbad);
	}
	code = kr_err_set(code, "%s", b.failed || b.data == NULL ?
	    "out of memory" : b.data);
	kr_buf_free(&b);
	return code;
}

int
kr_qrchunk_assemble(const struct kr_qrchunk_collector *c, char **textp,
    size_t *lenp, uint8_t sha256[32])
{
	struct kr_buf b45;
	struct kr_qrchunk k;
	uint8_t *z = NULL, got[32];
	char *text = NULL, hex[65];
	size_t zlen = 0, len = 0;
	unsigned int i;
	int r;

	*textp = NULL;
	*lenp = 0;
	memset(&b45, 0, sizeof(b45));
	if (!kr_qrchunk_collector_complete(c))
		return problem(c);
	for (i = 0; i < c->count; i++) {
		if ((r = kr_qrchunk_parse(c->chunks[i].payload,
		    c->chunks[i].len, &k)) != 0)
			goto out;
		if (i + 1 < c->count && k.datalen % 3 != 0) {
			r = kr_err_set(KR_ERR_FORMAT, "chunk %u holds an odd "
			    "number of bytes: only the last may", i + 1);
			goto out;
		}
		kr_buf_append(&b45, k.data, k.datalen);
	}
	if (b45.failed) {
		r = kr_err_set(KR_ERR_NOMEM, "reassembling");
		goto out;
	}
	if ((r = kr_base45_decode(b45.data, b45.len, &z, &zlen)) != 0) {
		r = kr_err_set(KR_ERR_FORMAT, "the chunks' data is not "
		    "base45");
		goto out;
	}
	if ((r = gunzip(z, zlen, KR_TRANSCRIPT_FILE_MAX, &text, &len)) != 0 ||
	    (r = kr_transcript_sha256(text, len, got)) != 0)
		goto out;
	if (memcmp(got, c->sha256, 32) != 0) {
		kr_hex_encode(got, 32, hex, sizeof(hex));
		r = kr_err_set(KR_ERR_FORMAT, "the reassembled transcript's "
		    "SHA-256 is %s, not the one its codes name", hex);
		goto out;
	}
	if (sha256 != NULL)
		memcpy(sha256, got, 32);
	*textp = text;
	*lenp = len;
	text = NULL;
	r = 0;
 out:
	kr_buf_free(&b45);
	free(z);
	free(text);
	return r;
}
