/*
 * scan-client.c: the scan API (scan.h) in keyrite.  A scan is a session
 * with keyrite-paper (host/paperproc.h), which runs scan.c: libzbar,
 * poppler, libjpeg and cairo decode the scanned pages, untrusted input
 * from anyone, in a process that never held a secret.  keyrite sends only
 * the files' paths; the helper opens them itself.
 *
 * Requests: "scan-add", path; "scan-finish".  Both replies carry, after
 * the status, the counts: files (16 bytes a file: u32 pages, codes,
 * others, rejected), u32 have, count, second-pass ran, second-pass added;
 * a successful "scan-finish" then the transcript's bytes and its SHA-256.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "host/paperproc.h"
#include "scan.h"
#include "transcript-int.h"

#define COUNT_FIELDS	5	/* files, have, count, ran, added */

struct kr_scan {
	struct kr_paperproc	*pp;
	struct kr_scan_file	*files;
	size_t			 nfiles;
	unsigned int		 have, count, added;
	int			 ran;
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The counts at fields 3..7 of m into s; 0 or KR_ERR_PAPER_HELPER. */
static int
take_counts(struct kr_scan *s, const struct kr_pp_msg *m)
{
	uint32_t have, count, ran, added;
	const uint8_t *p;
	size_t i;

	if (m->n < 3 + COUNT_FIELDS || m->f[3].len != s->nfiles * 16 ||
	    kr_pp_get_u32(m, 4, &have) != 0 ||
	    kr_pp_get_u32(m, 5, &count) != 0 ||
	    kr_pp_get_u32(m, 6, &ran) != 0 ||
	    kr_pp_get_u32(m, 7, &added) != 0 || have > count || ran > 1)
		return kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply "
		    "to a scan (counts of %zu files)", KR_PAPERPROC_NAME,
		    s->nfiles);
	for (i = 0, p = m->f[3].p; i < s->nfiles; i++, p += 16) {
		s->files[i].pages = be32(p);
		s->files[i].codes = be32(p + 4);
		s->files[i].others = be32(p + 8);
		s->files[i].rejected = be32(p + 12);
	}
	s->have = have;
	s->count = count;
	s->ran = (int)ran;
	s->added = added;
	return 0;
}

int
kr_scan_new(struct kr_scan **sp)
{
	struct kr_scan *s;
	int r;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "scan");
	if ((r = kr_paperproc_start(&s->pp)) != 0) {
		free(s);
		return r;
	}
	*sp = s;
	return 0;
}

void
kr_scan_free(struct kr_scan *s)
{
	size_t i;

	if (s == NULL)
		return;
	kr_paperproc_end(s->pp);
	for (i = 0; i < s->nfiles; i++)
		free((char *)(uintptr_t)s->files[i].path);
	free(s->files);
	free(s);
}

/* Sends b; takes the counts of the reply.  The helper's error, or 0. */
static int
call(struct kr_scan *s, struct kr_buf *b, struct kr_pp_msg *m)
{
	char detail[1024];
	int r, r2;

	if (s->pp == NULL)
		return kr_err_set(KR_ERR_PAPER_HELPER, "%s: this scan has "
		    "finished", KR_PAPERPROC_NAME);
	r = kr_paperproc_call(s->pp, b, m);
	if (r == KR_ERR_PAPER_HELPER || m->n == 0)
		return r;
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	if ((r2 = take_counts(s, m)) != 0)
		return r2;
	if (r != 0)
		kr_err_set(r, "%s", detail);
	return r;
}

int
kr_scan_add_file(struct kr_scan *s, const char *path)
{
	struct kr_scan_file *f;
	struct kr_pp_msg m;
	struct kr_buf b;
	int r;

	if ((f = realloc(s->files, (s->nfiles + 1) * sizeof(*f))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	s->files = f;
	memset(&s->files[s->nfiles], 0, sizeof(*f));
	if ((s->files[s->nfiles].path = strdup(path)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", path);
	s->nfiles++;
	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "scan-add");
	kr_pp_put_str(&b, path);
	r = call(s, &b, &m);
	if (r != KR_ERR_PAPER_HELPER && m.n != 3 + COUNT_FIELDS)
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply to "
		    "scan-add (%zu fields)", KR_PAPERPROC_NAME, m.n);
	kr_buf_free(&b);
	kr_pp_msg_free(&m);
	return r;
}

int
kr_scan_finish(struct kr_scan *s, char **textp, size_t *lenp,
    uint8_t sha256[32])
{
	struct kr_pp_msg m;
	struct kr_buf b;
	char *text = NULL, detail[1024];
	uint8_t h[32];
	size_t len = 0;
	int r, r2;

	*textp = NULL;
	*lenp = 0;
	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "scan-finish");
	r = call(s, &b, &m);
	kr_buf_free(&b);
	if (r == 0 && (m.n != 3 + COUNT_FIELDS + 2 || m.f[9].len != 32))
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply to "
		    "scan-finish (%zu fields)", KR_PAPERPROC_NAME, m.n);
	else if (r != 0 && r != KR_ERR_PAPER_HELPER &&
	    m.n != 3 + COUNT_FIELDS)
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply to "
		    "scan-finish (%zu fields)", KR_PAPERPROC_NAME, m.n);
	/* The bytes must be the ones the helper says it reassembled. */
	if (r == 0 && (r = kr_pp_get_dup(&m, 8, &text, &len)) == 0 &&
	    (r = kr_transcript_sha256(text, len, h)) == 0 &&
	    memcmp(h, m.f[9].p, 32) != 0)
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: the transcript read "
		    "from the scans does not have the SHA-256 it reported",
		    KR_PAPERPROC_NAME);
	if (r == 0 && sha256 != NULL)
		memcpy(sha256, h, 32);
	kr_pp_msg_free(&m);
	/* The session is over: the helper must exit 0. */
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	r2 = kr_paperproc_end(s->pp);
	s->pp = NULL;
	if (r == 0 && r2 != 0)
		r = r2;
	else if (r != 0 && r2 != 0)
		kr_err_set(r, "%s", detail);
	if (r != 0) {
		free(text);
		return r;
	}
	*textp = text;
	*lenp = len;
	return 0;
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
	*have = s->have;
	*count = s->count;
}

unsigned int
kr_scan_second_pass(const struct kr_scan *s, int *ran)
{
	*ran = s->ran;
	return s->added;
}
