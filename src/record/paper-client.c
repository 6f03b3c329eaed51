/*
 * paper-client.c: kr_paper_render() (paper.h) in keyrite: the PDF is made
 * by keyrite-paper (host/paperproc.h), which runs paper.c, so that cairo
 * and its libraries never load into a process that holds secrets.  The
 * transcript is public: the helper gets its text and nothing else.
 *
 * Request: "render", text, source, u32 size, u32 allow_unsealed,
 * i32 qr_version, i32 qr_level.  Reply after the status: pdf, u32 pages,
 * record_pages, code_pages, codes, i32 qr_version, u64 module_pt (the
 * double's bits), ceremony_id, sha256 (32 bytes), i32 sealed,
 * u64 records.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "host/paperproc.h"
#include "paper.h"
#include "transcript-int.h"

#define RENDER_FIELDS	14

/* The reply's results into info; 0 or KR_ERR_FORMAT. */
static int
take_info(const struct kr_pp_msg *m, struct kr_paper_info *info)
{
	uint32_t u[4];
	int32_t v, sealed;
	uint64_t bits, records;
	double d;
	size_t i;

	for (i = 0; i < 4; i++)
		if (kr_pp_get_u32(m, 4 + i, &u[i]) != 0)
			return KR_ERR_FORMAT;
	if (kr_pp_get_i32(m, 8, &v) != 0 || kr_pp_get_u64(m, 9, &bits) != 0 ||
	    kr_pp_get_str(m, 10, info->ceremony_id,
	    sizeof(info->ceremony_id)) != 0 || m->f[11].len != 32 ||
	    kr_pp_get_i32(m, 12, &sealed) != 0 ||
	    kr_pp_get_u64(m, 13, &records) != 0)
		return KR_ERR_FORMAT;
	memcpy(&d, &bits, sizeof(d));
	info->pages = u[0];
	info->record_pages = u[1];
	info->code_pages = u[2];
	info->codes = u[3];
	info->qr_version = v;
	info->module_pt = d;
	memcpy(info->sha256, m->f[11].p, 32);
	info->sealed = sealed != 0;
	info->records = (unsigned long)records;
	return 0;
}

int
kr_paper_render(const char *text, size_t len, const char *source,
    const struct kr_paper_opts *o, uint8_t **pdfp, size_t *pdflenp,
    struct kr_paper_info *info)
{
	struct kr_paper_info got;
	struct kr_pp_msg m;
	struct kr_buf b;
	char *pdf = NULL;
	uint8_t h[32];
	size_t pdflen = 0;
	int r;

	*pdfp = NULL;
	*pdflenp = 0;
	memset(&b, 0, sizeof(b));
	memset(&got, 0, sizeof(got));
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "render");
	kr_pp_put(&b, text, len);
	kr_pp_put_str(&b, source);
	kr_pp_put_u32(&b, (uint32_t)o->size);
	kr_pp_put_u32(&b, o->allow_unsealed != 0);
	kr_pp_put_i32(&b, o->qr_version);
	kr_pp_put_i32(&b, o->qr_level);
	r = kr_paperproc_once(&b, &m);
	kr_buf_free(&b);
	if (r != 0)
		goto out;
	if (m.n != RENDER_FIELDS || take_info(&m, &got) != 0) {
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply to "
		    "render (%zu fields)", KR_PAPERPROC_NAME, m.n);
		goto out;
	}
	/* What can be checked here is: the hash of what was sent, a PDF. */
	if ((r = kr_transcript_sha256(text, len, h)) != 0)
		goto out;
	if (memcmp(h, got.sha256, sizeof(h)) != 0) {
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: the PDF names another "
		    "SHA-256 than the transcript's", KR_PAPERPROC_NAME);
		goto out;
	}
	if (m.f[3].len < 5 || memcmp(m.f[3].p, "%PDF-", 5) != 0) {
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: what it rendered is "
		    "not a PDF", KR_PAPERPROC_NAME);
		goto out;
	}
	if ((r = kr_pp_get_dup(&m, 3, &pdf, &pdflen)) != 0)
		goto out;
	*pdfp = (uint8_t *)pdf;
	*pdflenp = pdflen;
	if (info != NULL)
		*info = got;
 out:
	kr_pp_msg_free(&m);
	return r;
}
