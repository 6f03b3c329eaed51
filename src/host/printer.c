/*
 * printer.c: CUPS printing (printer.h).
 *
 * Everything goes over CUPS's default connection (cupsd's local socket,
 * or CUPS_SERVER), with IPP requests for the states libcups has no
 * convenience call for.  A printer's trouble is read from its
 * printer-state-reasons keywords (RFC 8011, PWG 5100.x): "media-empty",
 * "media-jam", "cover-open"... mean a person must act at the printer;
 * "offline-report", "connecting-to-device", "shutdown" mean it is gone.
 * A "-warning" or "-report" suffix is advice, "-error" or none blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cups/cups.h>

#include "base/err.h"
#include "printer.h"

/* Reasons that need a person at the printer (paper, jam, covers). */
static const char *const attention[] = {
	"media-empty", "media-needed", "media-jam", "media-low-error",
	"cover-open", "door-open", "interlock-open", "input-tray-missing",
	"output-area-full", "output-tray-missing", "marker-supply-empty",
	"toner-empty", "marker-waste-full", "fuser-over-temp",
};

/* Reasons that say the printer is not there. */
static const char *const gone[] = {
	"offline", "connecting-to-device", "shutdown", "timed-out",
	"cups-missing-filter", "cups-insecure-filter",
};

static void
printable(char *out, size_t size, const char *in)
{
	size_t i;

	for (i = 0; in != NULL && in[i] != '\0' && i + 1 < size; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

/* Whether keyword k (without its -error/-warning/-report) is in list. */
static int
reason_in(const char *k, const char *const *list, size_t n)
{
	size_t i, len = strlen(k);

	if (len > 8 && strcmp(k + len - 8, "-warning") == 0)
		return 0;
	if (len > 7 && strcmp(k + len - 7, "-report") == 0 &&
	    strcmp(k, "offline-report") != 0)
		return 0;
	if (len > 6 && strcmp(k + len - 6, "-error") == 0)
		len -= 6;
	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncmp(k, list[i], len) == 0)
			return 1;
	return 0;
}

static void
printer_uri(const char *printer, char *uri, size_t size)
{
	httpAssembleURIf(HTTP_URI_CODING_ALL, uri, (int)size, "ipp", NULL,
	    "localhost", 0, "/printers/%s", printer);
}

struct pstate {
	int	state;		/* 3 idle, 4 processing, 5 stopped */
	int	accepting;
	int	attention;	/* a person must act */
	int	gone;
	char	reasons[200];
	char	message[256];
};

/* Collects the keywords of attribute a into out, space-separated. */
static void
keywords(ipp_attribute_t *a, char *out, size_t size, int *att, int *gn)
{
	const char *k;
	size_t o = strlen(out);
	int i;

	for (i = 0; a != NULL && i < ippGetCount(a); i++) {
		if ((k = ippGetString(a, i, NULL)) == NULL ||
		    strcmp(k, "none") == 0)
			continue;
		if (att != NULL && reason_in(k, attention,
		    sizeof(attention) / sizeof(attention[0])))
			*att = 1;
		if (gn != NULL && reason_in(k, gone,
		    sizeof(gone) / sizeof(gone[0])))
			*gn = 1;
		snprintf(out + o, size - o, "%s%s", o > 0 ? " " : "", k);
		o = strlen(out);
	}
}

static int
get_printer(const char *printer, struct pstate *ps)
{
	static const char *const want[] = { "printer-state",
	    "printer-state-reasons", "printer-is-accepting-jobs",
	    "printer-state-message" };
	char uri[HTTP_MAX_URI];
	ipp_attribute_t *a;
	ipp_t *req, *resp;

	memset(ps, 0, sizeof(*ps));
	printer_uri(printer, uri, sizeof(uri));
	req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
	    uri);
	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD,
	    "requested-attributes", 4, NULL, want);
	resp = cupsDoRequest(CUPS_HTTP_DEFAULT, req, "/");
	if (resp == NULL || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
		ippDelete(resp);
		if (cupsLastError() == IPP_STATUS_ERROR_NOT_FOUND)
			return kr_err_set(KR_ERR_PRINTER_GONE, "printer %s is "
			    "no longer known to CUPS: it was removed; connect "
			    "it again and print again", printer);
		return kr_err_set(KR_ERR_PRINTER_GONE, "printer %s: CUPS "
		    "does not answer (%s)", printer, cupsLastErrorString());
	}
	if ((a = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM)) !=
	    NULL)
		ps->state = ippGetInteger(a, 0);
	if ((a = ippFindAttribute(resp, "printer-is-accepting-jobs",
	    IPP_TAG_BOOLEAN)) != NULL)
		ps->accepting = ippGetBoolean(a, 0);
	keywords(ippFindAttribute(resp, "printer-state-reasons",
	    IPP_TAG_KEYWORD), ps->reasons, sizeof(ps->reasons),
	    &ps->attention, &ps->gone);
	if ((a = ippFindAttribute(resp, "printer-state-message",
	    IPP_TAG_TEXT)) != NULL)
		printable(ps->message, sizeof(ps->message),
		    ippGetString(a, 0, NULL));
	ippDelete(resp);
	return 0;
}

/* The printer's own trouble, as an error; 0 if it can print. */
static int
printer_trouble(const char *printer, const struct pstate *ps, int job)
{
	char jobtxt[48] = "";

	if (job > 0)
		snprintf(jobtxt, sizeof(jobtxt), " job %d waits in the "
		    "queue;", job);
	if (ps->attention)
		return kr_err_set(KR_ERR_PRINTER_MEDIA, "printer %s needs "
		    "attention (%s%s%s):%s load paper, clear the jam or close "
		    "the cover", printer, ps->reasons, ps->message[0] ?
		    ": " : "", ps->message, jobtxt);
	if (ps->gone)
		return kr_err_set(KR_ERR_PRINTER_GONE, "printer %s is offline "
		    "or disconnected (%s%s%s):%s check its cable and power",
		    printer, ps->reasons, ps->message[0] ? ": " : "",
		    ps->message, jobtxt);
	if (ps->state == IPP_PSTATE_STOPPED)
		return kr_err_set(KR_ERR_PRINTER_STOPPED, "printer %s: its "
		    "queue is stopped (%s%s%s);%s start it with 'cupsenable "
		    "%s'", printer, ps->reasons[0] ? ps->reasons : "paused",
		    ps->message[0] ? ": " : "", ps->message,
		    job > 0 ? jobtxt : " nothing was printed;", printer);
	if (!ps->accepting)
		return kr_err_set(KR_ERR_PRINTER_STOPPED, "printer %s rejects "
		    "jobs;%s let it accept them with 'cupsaccept %s'", printer,
		    job > 0 ? jobtxt : " nothing was printed;", printer);
	return 0;
}

int
kr_printer_find(const char *name, char out[KR_PRINTER_NAME_MAX])
{
	struct pstate ps;
	cups_dest_t *dest;
	int r;

	out[0] = '\0';
	if ((dest = cupsGetNamedDest(CUPS_HTTP_DEFAULT, name, NULL)) ==
	    NULL) {
		if (cupsLastError() == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE)
			return kr_err_set(KR_ERR_PRINTER_NONE, "CUPS is not "
			    "running (%s): no printer", cupsLastErrorString());
		if (name != NULL)
			return kr_err_set(KR_ERR_PRINTER_NONE, "CUPS has no "
			    "printer named '%s' (lpstat -p lists them)", name);
		return kr_err_set(KR_ERR_PRINTER_NONE, "CUPS has no default "
		    "printer (name one with --printer, or set a default "
		    "with lpadmin -d)");
	}
	if (strlen(dest->name) >= KR_PRINTER_NAME_MAX) {
		cupsFreeDests(1, dest);
		return kr_err_set(KR_ERR_PRINTER_NONE, "a printer's name is "
		    "longer than %d bytes", KR_PRINTER_NAME_MAX - 1);
	}
	snprintf(out, KR_PRINTER_NAME_MAX, "%s", dest->name);
	cupsFreeDests(1, dest);
	if ((r = get_printer(out, &ps)) != 0)
		return r;
	return printer_trouble(out, &ps, 0);
}

int
kr_printer_submit(const char *printer, const char *title, const void *pdf,
    size_t len, int copies, const char *media, struct kr_print_job *job)
{
	cups_option_t *opts = NULL;
	char num[16];
	int n = 0, id = 0, r;

	memset(job, 0, sizeof(*job));
	snprintf(job->printer, sizeof(job->printer), "%s", printer);
	if (copies < 1 || copies > 99)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "copies: %d is not "
		    "1 to 99", copies);
	snprintf(num, sizeof(num), "%d", copies);
	n = cupsAddOption("copies", num, n, &opts);
	n = cupsAddOption("media", media, n, &opts);
	n = cupsAddOption("print-scaling", "none", n, &opts);
	n = cupsAddOption("fit-to-page", "false", n, &opts);
	if ((id = cupsCreateJob(CUPS_HTTP_DEFAULT, printer, title, n,
	    opts)) == 0) {
		r = cupsLastError() == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS ?
		    KR_ERR_PRINTER_STOPPED : KR_ERR_PRINTER_JOB;
		r = kr_err_set(r, "printer %s refused the job: %s", printer,
		    cupsLastErrorString());
		goto out;
	}
	job->id = id;
	if (cupsStartDocument(CUPS_HTTP_DEFAULT, printer, id, title,
	    CUPS_FORMAT_PDF, 1) != HTTP_STATUS_CONTINUE ||
	    cupsWriteRequestData(CUPS_HTTP_DEFAULT, pdf, len) !=
	    HTTP_STATUS_CONTINUE ||
	    cupsFinishDocument(CUPS_HTTP_DEFAULT, printer) != IPP_STATUS_OK) {
		r = kr_err_set(KR_ERR_PRINTER_JOB, "printer %s, job %d: "
		    "sending the document failed: %s", printer, id,
		    cupsLastErrorString());
		cupsCancelJob2(CUPS_HTTP_DEFAULT, printer, id, 0);
		goto out;
	}
	job->state = KR_PRINT_PENDING;
	r = 0;
 out:
	cupsFreeOptions(n, opts);
	return r;
}

static int
get_job(struct kr_print_job *job, char *jreasons, size_t size)
{
	static const char *const want[] = { "job-state",
	    "job-state-reasons" };
	char uri[HTTP_MAX_URI];
	ipp_attribute_t *a;
	ipp_t *req, *resp;

	printer_uri(job->printer, uri, sizeof(uri));
	req = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
	    uri);
	ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id",
	    job->id);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME,
	    "requesting-user-name", NULL, cupsUser());
	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD,
	    "requested-attributes", 2, NULL, want);
	resp = cupsDoRequest(CUPS_HTTP_DEFAULT, req, "/");
	if (resp == NULL || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
		ippDelete(resp);
		return kr_err_set(KR_ERR_PRINTER_GONE, "printer %s, job %d: "
		    "CUPS does not know the job any more (%s)", job->printer,
		    job->id, cupsLastErrorString());
	}
	if ((a = ippFindAttribute(resp, "job-state", IPP_TAG_ENUM)) != NULL)
		job->state = (enum kr_print_state)ippGetInteger(a, 0);
	jreasons[0] = '\0';
	keywords(ippFindAttribute(resp, "job-state-reasons", IPP_TAG_KEYWORD),
	    jreasons, size, NULL, NULL);
	ippDelete(resp);
	return 0;
}

int
kr_printer_poll(struct kr_print_job *job)
{
	struct pstate ps;
	char jreasons[128];
	int r;

	if ((r = get_job(job, jreasons, sizeof(jreasons))) != 0)
		return r;
	snprintf(job->reasons, sizeof(job->reasons), "%s", jreasons);
	if (job->state == KR_PRINT_COMPLETED)
		return 1;
	if (job->state == KR_PRINT_CANCELED || job->state == KR_PRINT_ABORTED)
		return kr_err_set(KR_ERR_PRINTER_JOB, "printer %s, job %d was "
		    "%s (%s): print again", job->printer, job->id,
		    kr_printer_state_name(job->state), jreasons[0] ? jreasons :
		    "no reason given");
	if ((r = get_printer(job->printer, &ps)) != 0)
		return r;
	snprintf(job->reasons, sizeof(job->reasons), "%s%s%s", ps.reasons,
	    ps.reasons[0] && jreasons[0] ? " " : "", jreasons);
	snprintf(job->message, sizeof(job->message), "%s", ps.message);
	if ((r = printer_trouble(job->printer, &ps, job->id)) != 0)
		return r;
	if (job->state == KR_PRINT_STOPPED || job->state == KR_PRINT_HELD)
		return kr_err_set(KR_ERR_PRINTER_JOB, "printer %s, job %d is "
		    "%s (%s%s%s): CUPS will not print it as it is; cancel it "
		    "(cancel %s-%d) and print again", job->printer, job->id,
		    kr_printer_state_name(job->state), jreasons[0] ? jreasons :
		    "no reason given", ps.message[0] ? ": " : "", ps.message,
		    job->printer, job->id);
	return 0;
}

int
kr_printer_wait(struct kr_print_job *job, unsigned int timeout_ms)
{
	struct timespec step = { 0, 200 * 1000 * 1000 }, t0, t;
	unsigned long ms;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((r = kr_printer_poll(job)) != 0)
			return r == 1 ? 0 : r;
		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (unsigned long)(t.tv_sec - t0.tv_sec) * 1000 +
		    (unsigned long)((t.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms >= timeout_ms)
			return kr_err_set(KR_ERR_PRINTER_JOB, "printer %s, job "
			    "%d: not finished after %u s (%s%s%s); see lpstat "
			    "-o", job->printer, job->id, timeout_ms / 1000,
			    kr_printer_state_name(job->state),
			    job->reasons[0] ? ", " : "", job->reasons);
		nanosleep(&step, NULL);
	}
}
