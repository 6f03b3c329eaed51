/*
 * printer-client.c: the printer API (printer.h) in keyrite.  Each call is
 * one request to keyrite-paper (paperproc.h), which runs printer.c:
 * libcups and its libraries (gnutls, krb5, avahi...) never load into a
 * process that holds secrets.  The helper gets the PDF, which is public.
 *
 * A job travels as five fields: printer, i32 id, u32 state, reasons,
 * message.  Requests and the replies' results after the status:
 *	"printer-find", u32 named, name	-> printer
 *	"printer-submit", printer, title, pdf, i32 copies, media -> job
 *	"printer-poll", job		-> i32 result, job
 *	"printer-wait", job, u32 timeout_ms -> job
 * Submit, poll and wait send the job back with an error too: callers
 * show its state.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "paperproc.h"
#include "printer.h"

#define JOB_FIELDS	5

/*
 * Runs request b; the reply must hold want result fields (want_err of
 * them after an error).  The helper's error, or 0.
 */
static int
run(const char *op, struct kr_buf *b, struct kr_pp_msg *m, size_t want,
    size_t want_err)
{
	int r;

	r = kr_paperproc_once(b, m);
	kr_buf_free(b);
	if (r == KR_ERR_PAPER_HELPER || m->n == 0)
		return r;
	if (m->n != 3 + (r == 0 ? want : want_err))
		return kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed reply "
		    "to %s (%zu fields)", KR_PAPERPROC_NAME, op, m->n);
	return r;
}

/* A malformed job in a reply to op. */
static int
bad_job(const char *op)
{
	return kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed job in the "
	    "reply to %s", KR_PAPERPROC_NAME, op);
}

int
kr_printer_find(const char *name, char out[KR_PRINTER_NAME_MAX])
{
	struct kr_pp_msg m;
	struct kr_buf b;
	int r;

	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "printer-find");
	kr_pp_put_u32(&b, name != NULL);
	kr_pp_put_str(&b, name != NULL ? name : "");
	if ((r = run("printer-find", &b, &m, 1, 0)) == 0 &&
	    kr_pp_get_str(&m, 3, out, KR_PRINTER_NAME_MAX) != 0)
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s: a malformed printer "
		    "name in the reply to printer-find", KR_PAPERPROC_NAME);
	kr_pp_msg_free(&m);
	return r;
}

int
kr_printer_submit(const char *printer, const char *title, const void *pdf,
    size_t len, int copies, const char *media, struct kr_print_job *job)
{
	struct kr_pp_msg m;
	struct kr_buf b;
	char detail[1024];
	int r;

	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "printer-submit");
	kr_pp_put_str(&b, printer);
	kr_pp_put_str(&b, title);
	kr_pp_put(&b, pdf, len);
	kr_pp_put_i32(&b, copies);
	kr_pp_put_str(&b, media);
	r = run("printer-submit", &b, &m, JOB_FIELDS, JOB_FIELDS);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	if (r != KR_ERR_PAPER_HELPER && m.n > 0) {
		if (kr_pp_get_job(&m, 3, job) != 0)
			r = bad_job("printer-submit");
		else if (r != 0)
			kr_err_set(r, "%s", detail);
	}
	kr_pp_msg_free(&m);
	return r;
}

/* Poll (timeout_ms 0) or wait for job. */
static int
follow(const char *op, struct kr_print_job *job, unsigned int timeout_ms,
    int wait)
{
	struct kr_pp_msg m;
	struct kr_buf b;
	char detail[1024];
	int32_t res = 0;
	size_t at = wait ? 3 : 4;
	int r;

	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, op);
	kr_pp_put_job(&b, job);
	if (wait)
		kr_pp_put_u32(&b, timeout_ms);
	r = run(op, &b, &m, at - 3 + JOB_FIELDS, at - 3 + JOB_FIELDS);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	if (r != KR_ERR_PAPER_HELPER && m.n > 0) {
		if (kr_pp_get_job(&m, at, job) != 0 || (!wait &&
		    (kr_pp_get_i32(&m, 3, &res) != 0 || res < 0 || res > 1)))
			r = bad_job(op);
		else if (r != 0)
			kr_err_set(r, "%s", detail);
		else
			r = res;
	}
	kr_pp_msg_free(&m);
	return r;
}

int
kr_printer_poll(struct kr_print_job *job)
{
	return follow("printer-poll", job, 0, 0);
}

int
kr_printer_wait(struct kr_print_job *job, unsigned int timeout_ms)
{
	return follow("printer-wait", job, timeout_ms, 1);
}
