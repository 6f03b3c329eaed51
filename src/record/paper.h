/*
 * paper.h: the printable record of a ceremony, transcript-<id>.pdf.
 *
 * A PDF (cairo's PDF surface) for people and for scanners:
 *   - on every page the ceremony id, "page n of m" and the SHA-256 of the
 *     transcript file;
 *   - the records decoded for reading: number, time, event, actor, and the
 *     facts as a two-column table with values percent-decoded, escaped
 *     where not printable (\xNN, \n, \u{XXXX} for invisible characters,
 *     \\ for a backslash) and wrapped;
 *   - QR codes that together carry the transcript's exact bytes
 *     (qrchunk.h), each numbered "chunk i of n" under it;
 *   - a last page with the seal (final chain value in groups of four, the
 *     signature lines as text and as QR codes) and a sign-off block for
 *     every person of the roll call: role, printed name, a line to sign
 *     and a date.
 * The PDF is made in memory: the caller writes it through the media layer
 * (kr_media_write) or hands it to a printer (host/printer.h).  Nothing
 * here prints to a terminal.  Layout and format: docs/transcript-format.md
 * ("On paper") and docs/auditor-guide.md.
 */
#ifndef KR_PAPER_H
#define KR_PAPER_H

#include <stddef.h>
#include <stdint.h>

#include "transcript.h"

/* "transcript-" + ceremony id + ".pdf" + NUL */
#define KR_PAPER_NAME_BYTES	(11 + KR_TRANSCRIPT_ID_BYTES - 1 + 4 + 1)

enum kr_paper_size {
	KR_PAPER_A4 = 0,	/* 595 x 842 pt */
	KR_PAPER_LETTER		/* 612 x 792 pt */
};

struct kr_paper_opts {
	enum kr_paper_size size;
	int		allow_unsealed;	/* render an interrupted ceremony's
					   transcript, marked NOT SEALED */
	/* For tests and measurements; 0 takes the defaults. */
	int		qr_version;	/* 10..30; default: the largest
					   that fits 2 x 3 codes a page */
	int		qr_level;	/* 1 L, 2 M (default), 3 Q, 4 H */
};

/* What kr_paper_render() made. */
struct kr_paper_info {
	unsigned int	pages;
	unsigned int	record_pages;	/* pages 1..record_pages */
	unsigned int	code_pages;	/* then the QR code pages */
	unsigned int	codes;		/* QR chunks */
	int		qr_version;
	double		module_pt;	/* printed size of one QR module */
	char		ceremony_id[KR_TRANSCRIPT_ID_BYTES];
	uint8_t		sha256[32];	/* of the transcript file */
	int		sealed;
	unsigned long	records;
};

/* "a4" or "letter" (any case) into *size; KR_ERR_INVALID_ARGUMENT else. */
int	kr_paper_size_parse(const char *s, enum kr_paper_size *size);

/* "A4" or "Letter". */
const char	*kr_paper_size_name(enum kr_paper_size size);

/* The PDF's file name for ceremony_id: "transcript-<id>.pdf". */
void	kr_paper_name(const char *ceremony_id,
	    char out[KR_PAPER_NAME_BYTES]);

/*
 * Renders the transcript text[len] (source names it in details) as a PDF
 * into malloc()ed *pdfp / *pdflenp.  The transcript is verified first
 * (kr_transcript_verify): a bad one is refused with its error; an unsealed
 * one too unless o->allow_unsealed.  info (may be NULL) describes what was
 * made.  Returns 0, the verifier's KR_ERR_TRANSCRIPT_*, KR_ERR_PAPER_RENDER
 * (cairo, fonts, QR encoding), KR_ERR_TOO_LARGE or KR_ERR_NOMEM.  The same
 * transcript and options give the same bytes (the PDF's date is the
 * transcript's start).
 */
int	kr_paper_render(const char *text, size_t len, const char *source,
	    const struct kr_paper_opts *o, uint8_t **pdfp, size_t *pdflenp,
	    struct kr_paper_info *info);

#endif /* KR_PAPER_H */
