/*
 * keyrite-paper.c: the paper helper, a program of its own that keyrite
 * starts (host/paperproc.h) to render the paper record (record/paper.c),
 * read scanned pages (record/scan.c) and print (host/printer.c).
 *
 * It links cairo, poppler, zbar, libjpeg and libcups so that the keyrite
 * process, which holds keys, shares and PINs, does not; it parses
 * untrusted scans, so it never holds a secret: it gets a transcript's text
 * (public), PDF bytes and the paths of scanned images, and nothing else.
 * It serves one session on its standard input and output: requests until
 * end of file, then exits 0.  A malformed request (a bug in keyrite) ends
 * it with status 3, a failed write with 4.  It is not a command: run by
 * hand on a terminal it says so and exits 2.
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "base/err.h"
#include "host/paperproc.h"
#include "host/printer.h"
#include "record/paper.h"
#include "record/scan.h"

#define EXIT_REQUEST	3
#define EXIT_WRITE	4

static struct kr_scan *scan;

static void
bad_request(const char *op, const char *why)
{
	fprintf(stderr, "%s: a malformed %s request from keyrite: %s\n",
	    KR_PAPERPROC_NAME, op, why);
	exit(EXIT_REQUEST);
}

static void
need_fields(const struct kr_pp_msg *m, const char *op, size_t n)
{
	char why[64];

	if (m->n != n) {
		snprintf(why, sizeof(why), "%zu fields, not %zu", m->n, n);
		bad_request(op, why);
	}
}

static void
u32(const struct kr_pp_msg *m, size_t i, const char *op, uint32_t *v)
{
	if (kr_pp_get_u32(m, i, v) != 0)
		bad_request(op, kr_err_detail());
}

static void
i32(const struct kr_pp_msg *m, size_t i, const char *op, int32_t *v)
{
	if (kr_pp_get_i32(m, i, v) != 0)
		bad_request(op, kr_err_detail());
}

static void
str(const struct kr_pp_msg *m, size_t i, const char *op, char *out,
    size_t size)
{
	if (kr_pp_get_str(m, i, out, size) != 0)
		bad_request(op, kr_err_detail());
}

/* "render": paper.c makes the PDF. */
static void
render(const struct kr_pp_msg *m, struct kr_buf *b)
{
	struct kr_paper_opts o;
	struct kr_paper_info info;
	char source[KR_PAPERPROC_STR_MAX], *text = NULL;
	uint8_t *pdf = NULL;
	size_t len, pdflen = 0;
	uint32_t size, unsealed;
	int32_t version, level;
	uint64_t bits;
	int r;

	need_fields(m, "render", 7);
	str(m, 2, "render", source, sizeof(source));
	u32(m, 3, "render", &size);
	u32(m, 4, "render", &unsealed);
	i32(m, 5, "render", &version);
	i32(m, 6, "render", &level);
	if (size > KR_PAPER_LETTER || unsealed > 1)
		bad_request("render", "paper size or allow_unsealed");
	memset(&o, 0, sizeof(o));
	o.size = (enum kr_paper_size)size;
	o.allow_unsealed = (int)unsealed;
	o.qr_version = version;
	o.qr_level = level;
	if ((r = kr_pp_get_dup(m, 1, &text, &len)) == 0)
		r = kr_paper_render(text, len, source, &o, &pdf, &pdflen,
		    &info);
	kr_pp_reply_begin(b, r);
	if (r == 0) {
		memcpy(&bits, &info.module_pt, sizeof(bits));
		kr_pp_put(b, pdf, pdflen);
		kr_pp_put_u32(b, info.pages);
		kr_pp_put_u32(b, info.record_pages);
		kr_pp_put_u32(b, info.code_pages);
		kr_pp_put_u32(b, info.codes);
		kr_pp_put_i32(b, info.qr_version);
		kr_pp_put_u64(b, bits);
		kr_pp_put_str(b, info.ceremony_id);
		kr_pp_put(b, info.sha256, sizeof(info.sha256));
		kr_pp_put_i32(b, info.sealed);
		kr_pp_put_u64(b, info.records);
	}
	free(text);
	free(pdf);
}

/* The scan's counts (scan-client.c reads them). */
static void
put_counts(struct kr_buf *b)
{
	const struct kr_scan_file *f;
	unsigned int have, count, added;
	size_t n, i;
	uint8_t *p;
	int ran;

	n = kr_scan_files(scan, &f);
	if ((p = calloc(n > 0 ? n : 1, 16)) == NULL) {
		b->failed = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t v[4] = { f[i].pages, f[i].codes, f[i].others,
		    f[i].rejected };
		size_t k;

		for (k = 0; k < 4; k++) {
			p[i * 16 + k * 4] = (uint8_t)(v[k] >> 24);
			p[i * 16 + k * 4 + 1] = (uint8_t)(v[k] >> 16);
			p[i * 16 + k * 4 + 2] = (uint8_t)(v[k] >> 8);
			p[i * 16 + k * 4 + 3] = (uint8_t)v[k];
		}
	}
	kr_pp_put(b, p, n * 16);
	free(p);
	kr_scan_counts(scan, &have, &count);
	added = kr_scan_second_pass(scan, &ran);
	kr_pp_put_u32(b, have);
	kr_pp_put_u32(b, count);
	kr_pp_put_u32(b, ran != 0);
	kr_pp_put_u32(b, added);
}

/* "scan-add" and "scan-finish": scan.c reads the files. */
static void
scan_op(const struct kr_pp_msg *m, struct kr_buf *b, int finish)
{
	char path[PATH_MAX], *text = NULL;
	uint8_t sha[32];
	size_t len = 0;
	int r;

	need_fields(m, finish ? "scan-finish" : "scan-add", finish ? 1 : 2);
	if (!finish)
		str(m, 1, "scan-add", path, sizeof(path));
	if (scan == NULL && (r = kr_scan_new(&scan)) != 0) {
		/* Without a scan there are no counts: the session ends. */
		fprintf(stderr, "%s: %s\n", KR_PAPERPROC_NAME,
		    kr_err_detail());
		exit(EXIT_REQUEST);
	}
	r = finish ? kr_scan_finish(scan, &text, &len, sha) :
	    kr_scan_add_file(scan, path);
	kr_pp_reply_begin(b, r);
	put_counts(b);
	if (finish && r == 0) {
		kr_pp_put(b, text, len);
		kr_pp_put(b, sha, sizeof(sha));
	}
	free(text);
}

/* "printer-find", "printer-submit", "printer-poll", "printer-wait". */
static void
printer_op(const char *op, const struct kr_pp_msg *m, struct kr_buf *b)
{
	struct kr_print_job job;
	char name[KR_PRINTER_NAME_MAX], found[KR_PRINTER_NAME_MAX];
	char title[KR_PAPERPROC_STR_MAX], media[32];
	uint32_t named, timeout;
	int32_t copies;
	int r;

	memset(&job, 0, sizeof(job));
	if (strcmp(op, "printer-find") == 0) {
		need_fields(m, op, 3);
		u32(m, 1, op, &named);
		str(m, 2, op, name, sizeof(name));
		r = kr_printer_find(named ? name : NULL, found);
		kr_pp_reply_begin(b, r);
		if (r == 0)
			kr_pp_put_str(b, found);
	} else if (strcmp(op, "printer-submit") == 0) {
		need_fields(m, op, 6);
		str(m, 1, op, name, sizeof(name));
		str(m, 2, op, title, sizeof(title));
		i32(m, 4, op, &copies);
		str(m, 5, op, media, sizeof(media));
		r = kr_printer_submit(name, title, m->f[3].p, m->f[3].len,
		    copies, media, &job);
		kr_pp_reply_begin(b, r);
		kr_pp_put_job(b, &job);
	} else if (strcmp(op, "printer-poll") == 0) {
		need_fields(m, op, 6);
		if (kr_pp_get_job(m, 1, &job) != 0)
			bad_request(op, kr_err_detail());
		r = kr_printer_poll(&job);
		kr_pp_reply_begin(b, r < 0 ? r : 0);
		kr_pp_put_i32(b, r < 0 ? 0 : r);
		kr_pp_put_job(b, &job);
	} else {
		need_fields(m, op, 7);
		if (kr_pp_get_job(m, 1, &job) != 0)
			bad_request(op, kr_err_detail());
		u32(m, 6, op, &timeout);
		r = kr_printer_wait(&job, timeout);
		kr_pp_reply_begin(b, r);
		kr_pp_put_job(b, &job);
	}
}

int
main(int argc, char **argv)
{
	struct kr_pp_msg m;
	struct kr_buf b;
	char op[32];
	int r;

	(void)argv;
	/* Light hardening: no core files, no ptrace by others. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc != 1 || isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: keyrite starts this helper to render, "
		    "scan and print the paper record; it is not a command "
		    "(docs/architecture.md, \"The paper helper\")\n",
		    KR_PAPERPROC_NAME);
		return 2;
	}
	memset(&b, 0, sizeof(b));
	for (;;) {
		if ((r = kr_pp_recv(STDIN_FILENO, &m)) == KR_ERR_NOT_FOUND)
			break;
		if (r != 0)
			bad_request("", kr_err_detail());
		if (kr_pp_get_str(&m, 0, op, sizeof(op)) != 0)
			bad_request("", "no operation");
		if (strcmp(op, "render") == 0)
			render(&m, &b);
		else if (strcmp(op, "scan-add") == 0)
			scan_op(&m, &b, 0);
		else if (strcmp(op, "scan-finish") == 0)
			scan_op(&m, &b, 1);
		else if (strncmp(op, "printer-", 8) == 0 &&
		    (strcmp(op + 8, "find") == 0 ||
		    strcmp(op + 8, "submit") == 0 ||
		    strcmp(op + 8, "poll") == 0 ||
		    strcmp(op + 8, "wait") == 0))
			printer_op(op, &m, &b);
		else
			bad_request(op, "no such operation");
		kr_pp_msg_free(&m);
		if (kr_pp_send(STDOUT_FILENO, &b) != 0) {
			fprintf(stderr, "%s: %s\n", KR_PAPERPROC_NAME,
			    kr_err_detail());
			return EXIT_WRITE;
		}
		kr_buf_free(&b);
	}
	kr_scan_free(scan);
	return 0;
}
