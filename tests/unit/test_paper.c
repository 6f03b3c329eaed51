/*
 * test_paper.c: base45, QR chunks, the paper record's text and the PDF.
 *
 * base45 against RFC 9285's examples and its rejection rules; chunks of a
 * real transcript split and reassembled in shuffled order with duplicates,
 * one missing (named by number), one altered (its check fails), one from
 * another transcript (a conflict); payloads only in the QR alphanumeric
 * set; escaping of every kind of byte for paper and wrapping that never
 * splits a UTF-8 sequence or an escape; a PDF rendered twice is the same
 * bytes, a bad transcript is refused, an unsealed one only when allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "record/paper-int.h"
#include "record/paper.h"
#include "record/qrchunk.h"
#include "record/transcript.h"

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden: %s",
	    kr_err_detail());
}

static char tdir[] = "/tmp/test_paper-XXXXXX";

static void
teardown(void)
{
	char cmd[64];

	if (strcmp(tdir + strlen(tdir) - 6, "XXXXXX") != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
		cr_assert_eq(system(cmd), 0, "%s", cmd);
	}
}

TestSuite(paper, .init = setup, .fini = teardown, .timeout = 120);

/* --- base45 (RFC 9285, section 4.3 and 4.4) ----------------------------- */

Test(paper, base45_rfc9285_examples)
{
	static const struct {
		const char *raw, *b45;
	} v[] = {
		{ "AB", "BB8" },
		{ "Hello!!", "%69 VD92EX0" },
		{ "base-45", "UJCLQE7W581" },
		{ "ietf!", "QED8WEX0" },
		{ "", "" },
	};
	size_t i, n;
	char *enc;
	uint8_t *dec;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cr_assert_eq(kr_base45_encode((const uint8_t *)v[i].raw,
		    strlen(v[i].raw), &enc, &n), 0, "encode %s", v[i].raw);
		cr_assert_str_eq(enc, v[i].b45, "encode %s", v[i].raw);
		cr_assert_eq(n, strlen(v[i].b45), "length of %s", v[i].raw);
		free(enc);
		cr_assert_eq(kr_base45_decode(v[i].b45, strlen(v[i].b45), &dec,
		    &n), 0, "decode %s", v[i].b45);
		cr_assert_eq(n, strlen(v[i].raw), "decoded length");
		cr_assert(n == 0 || memcmp(dec, v[i].raw, n) == 0, "decode");
		free(dec);
	}
}

Test(paper, base45_round_trip_all_pairs)
{
	uint8_t in[2 * 256 + 1], *out;
	char *enc;
	size_t i, n, m;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + (i >> 3));
	for (n = 0; n <= sizeof(in); n += 1 + n / 8) {
		cr_assert_eq(kr_base45_encode(in, n, &enc, &m), 0, "enc %zu",
		    n);
		cr_assert_eq(kr_base45_decode(enc, m, &out, &m), 0, "dec %zu",
		    n);
		cr_assert_eq(m, n, "length %zu", n);
		cr_assert(n == 0 || memcmp(in, out, n) == 0, "bytes %zu", n);
		free(enc);
		free(out);
	}
}

Test(paper, base45_rejects)
{
	static const char *const bad[] = {
		"GGW",		/* 65535 + 1: "GGW" is 16 + 16*45 + 32*2025 */
		":::",		/* 44 + 44*45 + 44*2025 > 65535 */
		"A",		/* a length of 3k + 1 */
		"BB8B",
		"bb8",		/* lower case is not the alphabet */
		"B=8",
		"::",		/* a last pair above 255 */
	};
	uint8_t *out;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(kr_base45_decode(bad[i], strlen(bad[i]), &out,
		    &n), KR_ERR_FORMAT, "'%s' accepted", bad[i]);
	/* "FGW" is 65535, the largest triple. */
	cr_assert_eq(kr_base45_decode("FGW", 3, &out, &n), 0, "FGW");
	cr_assert(n == 2 && out[0] == 0xff && out[1] == 0xff, "FGW value");
	free(out);
}

/* --- a transcript to work on ------------------------------------------------ */

static char *
make_transcript(const char *dir, unsigned long records, int seal,
    size_t *lenp)
{
	struct kr_transcript_header h;
	struct kr_transcript *t = NULL;
	struct kr_fact f[3];
	EVP_PKEY *key = NULL;
	char path[256], num[24], *text = NULL;
	unsigned long k;
	FILE *fp;
	long n;

	memset(&h, 0, sizeof(h));
	cr_assert_eq(kr_transcript_id_new(h.ceremony_id), 0, "id");
	strcpy(h.ceremony, "root-ca-create");
	h.rehearsal = 1;
	snprintf(path, sizeof(path), "%s/t-%lu-%d.txt", dir, records, seal);
	cr_assert_eq(kr_transcript_create(path, &h, &t), 0, "create: %s",
	    kr_err_detail());
	f[0] = (struct kr_fact){ "operator", "Ada \xc3\x9c\\ber\tAdmin" };
	f[1] = (struct kr_fact){ "witness.1", "Wendy \xe2\x80\xaeWitness" };
	f[2] = (struct kr_fact){ "custodian.1", "Carl Custodian" };
	cr_assert_eq(kr_transcript_append(t, "roll-call", "administrator", f,
	    3, NULL), 0, "roll call");
	for (k = 2; k < records; k++) {
		snprintf(num, sizeof(num), "%lu", k);
		f[0] = (struct kr_fact){ "step", num };
		f[1] = (struct kr_fact){ "note", "100% = done\n" };
		cr_assert_eq(kr_transcript_append(t, "step-done",
		    "administrator", f, 2, NULL), 0, "append");
	}
	if (seal) {
		cr_assert_eq(kr_key_generate(kr_key_alg_find("ed25519"),
		    &key), 0, "key");
		cr_assert_eq(kr_transcript_seal(t, key), 0, "seal: %s",
		    kr_err_detail());
		EVP_PKEY_free(key);
	}
	kr_transcript_close(t);
	cr_assert_not_null(fp = fopen(path, "r"), "open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	cr_assert_not_null(text = malloc((size_t)n + 1), "malloc");
	cr_assert_eq(fread(text, 1, (size_t)n, fp), (size_t)n, "read");
	text[n] = '\0';
	fclose(fp);
	*lenp = (size_t)n;
	return text;
}

static char *
tmpdir(void)
{
	if (strcmp(tdir + strlen(tdir) - 6, "XXXXXX") == 0)
		cr_assert_not_null(mkdtemp(tdir), "mkdtemp");
	return tdir;
}

/* --- chunks ------------------------------------------------------------------ */

static void
split(const char *text, size_t len, size_t cap, char ***pp, size_t *np)
{
	char id[KR_TRANSCRIPT_ID_BYTES];

	memcpy(id, text + strlen("keyrite-transcript: 1\nceremony-id: "), 24);
	id[24] = '\0';
	cr_assert_eq(kr_qrchunk_split(text, len, id, cap, pp, np), 0,
	    "split: %s", kr_err_detail());
}

Test(paper, chunks_alphanumeric_and_reassembled_shuffled)
{
	struct kr_qrchunk_collector *c;
	char **p, *back;
	size_t len, n, i, j, blen;
	const char *an = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
	char *text = make_transcript(tmpdir(), 120, 1, &len);
	uint8_t h[32];

	split(text, len, 600, &p, &n);
	cr_assert_gt(n, 3, "%zu chunks", n);
	for (i = 0; i < n; i++) {
		cr_assert_leq(strlen(p[i]), 600, "chunk %zu too long", i + 1);
		cr_assert_eq(strspn(p[i], an), strlen(p[i]),
		    "chunk %zu leaves the QR alphanumeric set", i + 1);
		cr_assert(strncmp(p[i], "KRT1:", 5) == 0, "magic");
	}
	cr_assert_eq(kr_qrchunk_collector_new(&c), 0, "collector");
	/* Backwards, every chunk twice, and one unrelated code. */
	for (i = n; i-- > 0;)
		for (j = 0; j < 2; j++)
			cr_assert_eq(kr_qrchunk_collector_add(c, p[i],
			    strlen(p[i]), "page"), 0, "add %zu", i + 1);
	cr_assert_eq(kr_qrchunk_collector_add(c, "signature: MEUC", 15,
	    "seal page"), KR_ERR_NOT_FOUND, "a foreign code");
	cr_assert(kr_qrchunk_collector_complete(c), "complete");
	cr_assert_eq(kr_qrchunk_assemble(c, &back, &blen, h), 0,
	    "assemble: %s", kr_err_detail());
	cr_assert_eq(blen, len, "length");
	cr_assert(memcmp(back, text, len) == 0, "bytes differ");
	free(back);
	kr_qrchunk_collector_free(c);
	kr_qrchunk_free(p, n);
	free(text);
}

Test(paper, chunks_missing_named)
{
	struct kr_qrchunk_collector *c;
	char **p, *back, want[64];
	size_t len, n, i, blen;
	char *text = make_transcript(tmpdir(), 150, 1, &len);

	split(text, len, 400, &p, &n);
	cr_assert_geq(n, 6, "%zu chunks", n);
	cr_assert_eq(kr_qrchunk_collector_new(&c), 0, "collector");
	for (i = 0; i < n; i++)
		if (i != 1 && i != 3 && i != 4)
			kr_qrchunk_collector_add(c, p[i], strlen(p[i]), "x");
	cr_assert_eq(kr_qrchunk_assemble(c, &back, &blen, NULL),
	    KR_ERR_SCAN_INCOMPLETE, "incomplete");
	snprintf(want, sizeof(want), "chunks 2, 4-5 of %zu are missing", n);
	cr_assert(strstr(kr_err_detail(), want) != NULL, "want '%s' in '%s'",
	    want, kr_err_detail());
	kr_qrchunk_collector_free(c);
	kr_qrchunk_free(p, n);
	free(text);
}

Test(paper, chunks_altered_and_conflicting)
{
	struct kr_qrchunk_collector *c;
	struct kr_qrchunk k;
	char **p, **q, *back, *bad;
	size_t len, len2, n, m, i, blen, at;
	char *text = make_transcript(tmpdir(), 60, 1, &len);
	char *other = make_transcript(tmpdir(), 61, 1, &len2);

	split(text, len, 500, &p, &n);
	split(other, len2, 500, &q, &m);
	/* One character changed: the check digits catch it. */
	cr_assert_not_null(bad = strdup(p[0]), "strdup");
	at = strlen(bad) - 30;
	bad[at] = bad[at] == 'A' ? 'B' : 'A';
	cr_assert_eq(kr_qrchunk_parse(bad, strlen(bad), &k), KR_ERR_FORMAT,
	    "altered chunk accepted");
	cr_assert(strstr(kr_err_detail(), "check digits") != NULL, "%s",
	    kr_err_detail());
	cr_assert_eq(kr_qrchunk_collector_new(&c), 0, "collector");
	cr_assert_eq(kr_qrchunk_collector_add(c, bad, strlen(bad), "a.png"),
	    KR_ERR_FORMAT, "bad chunk");
	for (i = 1; i < n; i++)
		kr_qrchunk_collector_add(c, p[i], strlen(p[i]), "b.png");
	cr_assert_eq(kr_qrchunk_assemble(c, &back, &blen, NULL),
	    KR_ERR_SCAN_INCOMPLETE, "chunk 1 missing");
	cr_assert(strstr(kr_err_detail(), "a.png") != NULL, "the bad code's "
	    "file is named: %s", kr_err_detail());
	/* A chunk of another transcript. */
	kr_qrchunk_collector_add(c, q[0], strlen(q[0]), "c.png");
	kr_qrchunk_collector_add(c, p[0], strlen(p[0]), "a.png");
	cr_assert_eq(kr_qrchunk_assemble(c, &back, &blen, NULL),
	    KR_ERR_SCAN_CONFLICT, "foreign chunk");
	cr_assert(strstr(kr_err_detail(), "c.png") != NULL, "%s",
	    kr_err_detail());
	kr_qrchunk_collector_free(c);
	free(bad);
	kr_qrchunk_free(p, n);
	kr_qrchunk_free(q, m);
	free(text);
	free(other);
}

/* --- text for people ---------------------------------------------------------- */

Test(paper, printable_escapes)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} v[] = {
		{ "plain text", 10, "plain text" },
		{ "Zo\xc3\xab", 4, "Zo\xc3\xab" },
		{ "a\\b", 3, "a\\\\b" },
		{ "l1\nl2\t", 6, "l1\\nl2\\t" },
		{ "\x01\x7f", 2, "\\x01\\x7f" },
		{ "\0z", 2, "\\x00z" },
		{ "\xff\xc3", 2, "\\xff\\xc3" },		/* not UTF-8 */
		{ "\xc0\xaf", 2, "\\xc0\\xaf" },		/* overlong */
		{ "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },	/* surrogate */
		{ "a\xe2\x80\xae" "b", 5, "a\\u{202E}b" },		/* RLO */
		{ "\xe2\x80\x8b", 3, "\\u{200B}" },		/* ZWSP */
		{ "\xef\xbb\xbf", 3, "\\u{FEFF}" },		/* BOM */
		{ "\xc2\x85", 2, "\\u{0085}" },			/* C1 */
		{ "\xc2\xad", 2, "\\u{00AD}" },			/* soft hyphen */
		{ "\xf3\xa0\x80\x81", 4, "\\u{E0001}" },	/* tag */
	};
	size_t i;
	char *p;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cr_assert_not_null(p = kr_paper_printable(v[i].in, v[i].n),
		    "%zu", i);
		cr_assert_str_eq(p, v[i].out, "case %zu", i);
		free(p);
	}
}

Test(paper, wrap_keeps_units_whole)
{
	const char *s = "abc\\u{202E}def\\x01ghi \xc3\xa9\xc3\xa9\xc3\xa9 "
	    "jkl mnopqrstuvwxyz";
	size_t off = 0, n, cols, total = 0, lines = 0;
	char joined[256] = "";

	for (cols = 3; cols <= 12; cols++) {
		off = 0;
		joined[0] = '\0';
		total = lines = 0;
		while ((n = kr_paper_wrap(s, &off, cols)) > 0) {
			cr_assert_leq(kr_paper_columns(s + off - n, n),
			    cols < 8 ? 8 : cols, "a line too wide");
			/* Never ends inside a UTF-8 sequence or an escape. */
			cr_assert(((unsigned char)s[off] & 0xc0) != 0x80,
			    "split a UTF-8 sequence at %zu", off);
			strncat(joined, s + off - n, n);
			total += n;
			lines++;
		}
		cr_assert_str_eq(joined, s, "cols %zu: lines do not rejoin",
		    cols);
		cr_assert_gt(lines, 1, "cols %zu", cols);
	}
	/* A break in a word lands after a space in the last third. */
	off = 0;
	n = kr_paper_wrap("aaaa bbbb cccc", &off, 11);
	cr_assert_eq(n, 10, "broke at %zu", n);
}

/* --- the PDF ---------------------------------------------------------------- */

/* Whether p[n] holds the string s. */
static int
holds(const uint8_t *p, size_t n, const char *s)
{
	size_t i, k = strlen(s);

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return 1;
	return 0;
}

Test(paper, render_is_reproducible)
{
	struct kr_paper_opts o;
	struct kr_paper_info info;
	uint8_t *a, *b;
	size_t len, alen, blen;
	char *text = make_transcript(tmpdir(), 80, 1, &len);

	memset(&o, 0, sizeof(o));
	cr_assert_eq(kr_paper_render(text, len, "t", &o, &a, &alen, &info), 0,
	    "render: %s", kr_err_detail());
	cr_assert(alen > 1000 && memcmp(a, "%PDF-", 5) == 0, "not a PDF");
	cr_assert_eq(info.records, 80, "records");
	cr_assert(info.sealed, "sealed");
	cr_assert_geq(info.codes, 1, "codes");
	cr_assert_eq(info.qr_version, 20, "A4 takes version 20");
	cr_assert_geq(info.module_pt, 2.1, "module %.2f", info.module_pt);
	cr_assert_eq(info.pages, info.record_pages + info.code_pages + 1,
	    "pages %u", info.pages);
	cr_assert_eq(kr_paper_render(text, len, "t", &o, &b, &blen, NULL), 0,
	    "render again");
	cr_assert(alen == blen && memcmp(a, b, alen) == 0,
	    "the same transcript gave two PDFs");
	free(b);
	o.size = KR_PAPER_LETTER;
	cr_assert_eq(kr_paper_render(text, len, "t", &o, &b, &blen, &info), 0,
	    "letter");
	cr_assert(holds(b, blen, "0 0 612 792"), "not Letter");
	cr_assert_geq(info.module_pt, 2.1, "letter module %.2f",
	    info.module_pt);
	free(a);
	free(b);
	free(text);
}

Test(paper, render_refuses_bad_and_unsealed)
{
	struct kr_paper_opts o;
	uint8_t *pdf;
	size_t len, plen;
	char *text = make_transcript(tmpdir(), 20, 0, &len);
	char *sealed = make_transcript(tmpdir(), 21, 1, &len);
	size_t slen = strlen(sealed);

	memset(&o, 0, sizeof(o));
	len = strlen(text);
	cr_assert_eq(kr_paper_render(text, len, "t", &o, &pdf, &plen, NULL),
	    KR_ERR_TRANSCRIPT_UNSEALED, "unsealed rendered");
	o.allow_unsealed = 1;
	cr_assert_eq(kr_paper_render(text, len, "t", &o, &pdf, &plen, NULL),
	    0, "unsealed with allow: %s", kr_err_detail());
	free(pdf);
	sealed[slen / 2] ^= 1;
	cr_assert_lt(kr_paper_render(sealed, slen, "t", &o, &pdf, &plen,
	    NULL), 0, "an altered transcript was rendered");
	cr_assert_null(pdf, "output on failure");
	free(text);
	free(sealed);
}
