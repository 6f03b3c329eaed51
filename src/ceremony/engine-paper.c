/*
 * engine-paper.c: the print-transcript step, the paper record of a
 * ceremony.
 *
 * It comes after the seal and the co-signatures, so that the paper shows
 * the whole sealed transcript, signatures included, and its QR codes carry
 * the file's exact bytes (src/record/paper.c).  The PDF is an output like
 * any other: staged on every medium now, published with the rest when the
 * step loop ends.  When CUPS has a printer (the one named with --printer,
 * else its default), the PDF is printed and the job followed until it
 * completes or needs a person; without one (a rehearsal on a laptop) the
 * PDF is the paper record, and the screen says so.
 *
 * The chain is closed at the seal, so what happened to the print job
 * cannot be a record of it.  It goes to transcript-<id>.print.txt, a
 * small output beside the PDF: printer, job id, state, copies, and the
 * SHA-256 of the PDF and of the transcript it renders.  A failed print
 * never undoes the ceremony: it is shown, logged, and the TUI offers to
 * print again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "engine-int.h"
#include "host/media.h"
#include "host/printer.h"
#include "record/paper.h"

#define PRINT_TIMEOUT_MS	(10 * 60 * 1000)

/* Follows the job; fills state and why.  0 when it completed. */
static int
follow(struct kr_engine *e, struct kr_print_job *job, char *why,
    size_t whylen)
{
	int r;

	kr_engine_progress(e, "printing", 0, 1);
	r = kr_printer_wait(job, PRINT_TIMEOUT_MS);
	snprintf(why, whylen, "%s", r ? kr_err_detail() : "");
	if (r == 0)
		kr_engine_progress(e, "printing", 1, 1);
	return r;
}

/*
 * Prints pdf; writes what happened into log.  Never fails the ceremony:
 * returns 0 whatever the printer did (the log and a notice say it).
 */
static void
print_pdf(struct kr_engine *e, const uint8_t *pdf, size_t len, int copies,
    enum kr_paper_size size, char *log, size_t loglen)
{
	struct kr_print_job job;
	char printer[KR_PRINTER_NAME_MAX], title[96], why[512];
	int r;

	memset(&job, 0, sizeof(job));
	if ((r = kr_printer_find(e->cfg.printer, printer)) != 0) {
		snprintf(log, loglen, "printer: none\nstate: not-printed\n"
		    "reason: %s\n", kr_err_detail());
		kr_engine_notice(e, "no printer (%s): the PDF on the media is "
		    "the paper record; print it where there is a printer",
		    kr_err_detail());
		return;
	}
	snprintf(title, sizeof(title), "keyrite transcript %s",
	    e->header.ceremony_id);
	if ((r = kr_printer_submit(printer, title, pdf, len, copies,
	    kr_paper_size_name(size), &job)) != 0) {
		snprintf(log, loglen, "printer: %s\nstate: not-printed\n"
		    "reason: %s\n", printer, kr_err_detail());
		kr_engine_notice(e, "printer %s did not take the transcript: "
		    "%s; the PDF is on the media, and keyrite print prints it "
		    "again", printer, kr_err_detail());
		return;
	}
	kr_engine_notice(e, "printer %s: job %d, %d cop%s", printer, job.id,
	    copies, copies == 1 ? "y" : "ies");
	r = follow(e, &job, why, sizeof(why));
	snprintf(log, loglen, "printer: %s\njob: %d\nstate: %s\n%s%s%s",
	    printer, job.id, kr_printer_state_name(job.state),
	    r ? "reason: " : "", r ? why : "", r ? "\n" : "");
	if (r != 0)
		kr_engine_notice(e, "printer %s, job %d: %s: %s; fix the printer "
		    "and print again (keyrite print, or p on the summary)",
		    printer, job.id, kr_printer_state_name(job.state), why);
	else
		kr_engine_notice(e, "printer %s, job %d: printed", printer,
		    job.id);
}

int
kr_engine_verb_print(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_paper_opts o;
	struct kr_paper_info info;
	enum kr_paper_size size = KR_PAPER_A4;
	const char *paper = kr_script_arg(st, "paper");
	const char *copies_s = kr_script_arg(st, "copies");
	char *text = NULL, name[KR_PAPER_NAME_BYTES], log[2048], logname[128];
	char body[4096], pdfhex[65], trhex[65];
	uint8_t *pdf = NULL, h[32];
	size_t len = 0, pdflen = 0;
	int r, copies = copies_s != NULL ? atoi(copies_s) : 1;

	if (!kr_transcript_sealed(e->tr))
		return kr_err_set(KR_ERR_ENGINE_STATE, "print-transcript: the "
		    "transcript is not sealed yet");
	if (paper != NULL && (r = kr_paper_size_parse(paper, &size)) != 0)
		return r;
	memset(&o, 0, sizeof(o));
	o.size = size;
	if ((r = kr_media_read(e->transcript_path, KR_TRANSCRIPT_FILE_MAX,
	    &text, &len, h)) != 0)
		goto out;
	kr_hex_encode(h, sizeof(h), trhex, sizeof(trhex));
	kr_engine_progress(e, "rendering the paper record", 0, 1);
	if ((r = kr_paper_render(text, len, e->transcript_path, &o, &pdf,
	    &pdflen, &info)) != 0)
		goto out;
	kr_engine_progress(e, "rendering the paper record", 1, 1);
	kr_paper_name(e->header.ceremony_id, name);
	if ((r = kr_engine_output_file(e, name, pdf, pdflen,
	    "transcript-pdf")) != 0)
		goto out;
	if (EVP_Digest(pdf, pdflen, h, NULL, EVP_sha256(), NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "SHA-256");
		goto out;
	}
	kr_hex_encode(h, sizeof(h), pdfhex, sizeof(pdfhex));
	print_pdf(e, pdf, pdflen, copies, size, log, sizeof(log));
	snprintf(body, sizeof(body), "keyrite print log\nceremony-id: %s\n"
	    "transcript-sha256: %s\npdf: %s\npdf-sha256: %s\npages: %u\n"
	    "paper: %s\ncopies: %d\n%s", e->header.ceremony_id, trhex, name,
	    pdfhex, info.pages, kr_paper_size_name(size), copies, log);
	snprintf(logname, sizeof(logname), "transcript-%s.print.txt",
	    e->header.ceremony_id);
	r = kr_engine_output_file(e, logname, body, strlen(body),
	    "print-log");
 out:
	free(text);
	free(pdf);
	return r;
}
