/*
 * cmd-print.c: keyrite print TRANSCRIPT [--printer NAME] [--copies N]
 *     [--paper a4|letter] [--media DIR] [--allow-unsealed] [--pdf-only]
 *
 * Renders the transcript's paper record (record/paper.h), writes it to the
 * media as transcript-<id>.pdf (next to the transcript unless --media
 * names another directory) and, when CUPS has a printer (the one named,
 * or the default), prints it and follows the job to its end
 * (host/printer.h).  Without a printer the PDF is the result, and it says
 * so.  Exit codes are in docs/exit-codes.md.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cmd.h"
#include "host/media.h"
#include "host/printer.h"
#include "record/paper.h"
#include "record/transcript.h"

#define PRINT_TIMEOUT_MS	(10 * 60 * 1000)

struct print_args {
	const char		*path;
	const char		*printer;
	const char		*media;
	int			 copies;
	int			 pdf_only;
	struct kr_paper_opts	 paper;
};

static int
parse(int argc, char **argv, struct print_args *a)
{
	char *end;
	long n;
	int i;

	memset(a, 0, sizeof(*a));
	a->copies = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--printer") == 0 && i + 1 < argc)
			a->printer = argv[++i];
		else if (strcmp(argv[i], "--media") == 0 && i + 1 < argc)
			a->media = argv[++i];
		else if (strcmp(argv[i], "--copies") == 0 && i + 1 < argc) {
			n = strtol(argv[++i], &end, 10);
			if (*end != '\0' || n < 1 || n > 99) {
				fprintf(stderr, "keyrite: print: --copies: "
				    "'%s' is not 1 to 99\n", argv[i]);
				return -1;
			}
			a->copies = (int)n;
		} else if (strcmp(argv[i], "--paper") == 0 && i + 1 < argc) {
			if (kr_paper_size_parse(argv[++i],
			    &a->paper.size) != 0) {
				fprintf(stderr, "keyrite: print: --paper: %s\n",
				    kr_err_detail());
				return -1;
			}
		} else if (strcmp(argv[i], "--allow-unsealed") == 0)
			a->paper.allow_unsealed = 1;
		else if (strcmp(argv[i], "--pdf-only") == 0)
			a->pdf_only = 1;
		else if (argv[i][0] != '-' && a->path == NULL)
			a->path = argv[i];
		else
			return -1;
	}
	return a->path == NULL ? -1 : 0;
}

/* The transcript's directory, for the default --media. */
static void
dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/*
 * Writes the PDF to the media.  A PDF of that name already there with the
 * very same bytes (a reprint) is fine; different bytes are never replaced.
 */
static int
write_pdf(const char *dir, const char *name, const uint8_t *pdf,
    size_t len, char *path, size_t pathlen)
{
	struct kr_media *m = NULL;
	char *old = NULL;
	size_t oldlen = 0;
	int r;

	if ((r = kr_media_open(&dir, 1, &m)) != 0 ||
	    (r = kr_media_path(m, 0, name, path, pathlen)) != 0)
		goto out;
	if ((r = kr_media_write(m, name, pdf, len, NULL)) == KR_ERR_EXISTS) {
		if (kr_media_read(path, len + 1, &old, &oldlen, NULL) == 0 &&
		    oldlen == len && memcmp(old, pdf, len) == 0) {
			printf("pdf: %s is already on the media, identical\n",
			    path);
			r = 0;
		} else
			r = kr_err_set(KR_ERR_EXISTS, "%s exists and differs "
			    "from this rendering; it is never overwritten: "
			    "move it away or use another --media", path);
	}
 out:
	free(old);
	kr_media_close(m);
	return r;
}

/* Prints the PDF; returns KR_EXIT_*. */
static int
print_pdf(const struct print_args *a, const uint8_t *pdf, size_t len,
    const struct kr_paper_info *info)
{
	struct kr_print_job job;
	char printer[KR_PRINTER_NAME_MAX], title[96];
	int r;

	if ((r = kr_printer_find(a->printer, printer)) != 0) {
		if (r == KR_ERR_PRINTER_NONE && a->printer == NULL) {
			printf("printer: none (%s); the PDF is the paper "
			    "record: print it elsewhere\n", kr_err_detail());
			return KR_EXIT_OK;
		}
		kr_cmd_perror("print", r);
		printf("printer: not printed: %s\n", kr_err_detail());
		return KR_EXIT_PRINT;
	}
	snprintf(title, sizeof(title), "keyrite transcript %s",
	    info->ceremony_id);
	if ((r = kr_printer_submit(printer, title, pdf, len, a->copies,
	    kr_paper_size_name(a->paper.size), &job)) != 0) {
		kr_cmd_perror("print", r);
		printf("printer: %s: not printed: %s\n", printer,
		    kr_err_detail());
		return KR_EXIT_PRINT;
	}
	printf("printer: %s: job %d submitted (%d cop%s, %u pages)\n",
	    printer, job.id, a->copies, a->copies == 1 ? "y" : "ies",
	    info->pages);
	fflush(stdout);
	if ((r = kr_printer_wait(&job, PRINT_TIMEOUT_MS)) != 0) {
		kr_cmd_perror("print", r);
		printf("printer: %s: job %d: %s: %s\n", printer, job.id,
		    kr_printer_state_name(job.state), kr_err_detail());
		return KR_EXIT_PRINT;
	}
	printf("printer: %s: job %d completed\n", printer, job.id);
	return KR_EXIT_OK;
}

static int
cmd_print(int argc, char **argv)
{
	struct print_args a;
	struct kr_paper_info info;
	char *text = NULL, dir[PATH_MAX], name[KR_PAPER_NAME_BYTES];
	char path[PATH_MAX];
	uint8_t *pdf = NULL;
	size_t len = 0, pdflen = 0;
	int r, rc = KR_EXIT_FAILURE;

	if (parse(argc, argv, &a) != 0)
		return kr_cmd_usage(&kr_cmd_print_entry);
	if ((r = kr_media_read(a.path, KR_TRANSCRIPT_FILE_MAX, &text, &len,
	    NULL)) != 0) {
		kr_cmd_perror("print", r);
		goto out;
	}
	if ((r = kr_paper_render(text, len, a.path, &a.paper, &pdf, &pdflen,
	    &info)) != 0) {
		kr_cmd_perror("print", r);
		if (r == KR_ERR_TRANSCRIPT_FORMAT ||
		    r == KR_ERR_TRANSCRIPT_CHAIN ||
		    r == KR_ERR_TRANSCRIPT_SIGNATURE ||
		    r == KR_ERR_TRANSCRIPT_UNSEALED) {
			printf("transcript %s\nresult: BAD: not printed: %s\n",
			    a.path, kr_err_detail());
			rc = KR_EXIT_INTEGRITY;
		}
		goto out;
	}
	if (a.media != NULL)
		snprintf(dir, sizeof(dir), "%s", a.media);
	else
		dir_of(a.path, dir, sizeof(dir));
	kr_paper_name(info.ceremony_id, name);
	if ((r = write_pdf(dir, name, pdf, pdflen, path, sizeof(path))) != 0) {
		kr_cmd_perror("print: writing the PDF", r);
		goto out;
	}
	printf("pdf: %s\n", path);
	printf("  %u pages (%s): %u of records, %u of QR codes (%u codes, "
	    "version %d, %.2f pt modules), %u of seal and sign-off\n",
	    info.pages, kr_paper_size_name(a.paper.size), info.record_pages,
	    info.code_pages, info.codes, info.qr_version, info.module_pt,
	    info.pages - info.record_pages - info.code_pages);
	if (!info.sealed)
		printf("  NOT SEALED: the transcript ends after record %lu\n",
		    info.records);
	fflush(stdout);
	rc = a.pdf_only ? KR_EXIT_OK : print_pdf(&a, pdf, pdflen, &info);
 out:
	free(text);
	free(pdf);
	return rc;
}

const struct kr_cmd_entry kr_cmd_print_entry = {
	.name = "print",
	.args = "TRANSCRIPT [--printer NAME] [--copies N] [--paper a4|letter] "
	    "[--media DIR] [--allow-unsealed] [--pdf-only]",
	.summary = "make a transcript's paper record (PDF with QR codes) and "
	    "print it",
	.exec = cmd_print,
	.help =
	"Makes the paper record of a ceremony transcript,\n"
	"transcript-<id>.pdf: the records for people to read, QR codes carrying\n"
	"the file's exact bytes, the seal and a sign-off block.  Writes it to\n"
	"the media (never overwriting), then prints it when CUPS has a printer\n"
	"and follows the job to its end.\n"
	"\n"
	"  --printer NAME    print on this CUPS printer (default: CUPS's\n"
	"                    default printer, if any)\n"
	"  --copies N        copies to print, 1-99 (default 1)\n"
	"  --paper SIZE      a4 (default) or letter\n"
	"  --media DIR       write the PDF here (default: the transcript's\n"
	"                    directory)\n"
	"  --allow-unsealed  render an interrupted ceremony's transcript,\n"
	"                    marked NOT SEALED on every page\n"
	"  --pdf-only        write the PDF, do not print\n"
	"\n"
	"Exit status: 0 the PDF is written and printed (or there is no\n"
	"printer); 8 the PDF is written but printing failed (queue stopped, out\n"
	"of paper, printer gone, no such printer); 5 the transcript fails its\n"
	"check; 1 other errors; 2 bad command line.\n",
};
