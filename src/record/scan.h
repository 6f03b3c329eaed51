/*
 * scan.h: a transcript back from scans of its paper record.
 *
 * Scanned pages (PNG, JPEG, PNM — P1 to P6 — and PDF, whose pages are
 * rendered with poppler) are decoded with libzbar; every QR code that is
 * a keyrite chunk (qrchunk.h) goes to a collector, in any order, from any
 * number of files, duplicates tolerated.  A first pass scans each page
 * whole; if chunks are still missing, a second pass crops each cell where
 * the paper record puts a code (A4 and Letter layouts) and scans it alone,
 * which reads codes that blur, noise or a small rotation hid in the whole
 * page.  Nothing here prints; the caller asks for the counts.
 */
#ifndef KR_SCAN_H
#define KR_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct kr_scan;

/* Per input file, after kr_scan_add_file(). */
struct kr_scan_file {
	const char	*path;
	unsigned int	 pages;		/* images: 1 */
	unsigned int	 codes;		/* keyrite chunks read (with repeats) */
	unsigned int	 others;	/* other QR codes (the seal page's) */
	unsigned int	 rejected;	/* chunks failing their check */
};

/* A new scan.  *sp set only on success. */
int	kr_scan_new(struct kr_scan **sp);

/* Frees s; NULL-safe. */
void	kr_scan_free(struct kr_scan *s);

/*
 * Reads the image or PDF at path (format from its first bytes) and
 * decodes every QR code on it.  Keeps the pages for a second pass.
 * KR_ERR_SCAN_IMAGE (unreadable, not an image this reads, or too large:
 * at most 100 megapixels a page, 200 pages a PDF), KR_ERR_IO,
 * KR_ERR_NOMEM.
 */
int	kr_scan_add_file(struct kr_scan *s, const char *path);

/*
 * Finishes: runs the second pass if chunks are missing, then reassembles
 * the transcript (kr_qrchunk_assemble: its errors name missing and
 * conflicting chunks).  On success *textp / *lenp hold the transcript's
 * exact bytes (malloc()ed) and sha256 (may be NULL) their hash.
 */
int	kr_scan_finish(struct kr_scan *s, char **textp, size_t *lenp,
	    uint8_t sha256[32]);

/* The files added so far, and chunk counts (distinct found, announced). */
size_t	kr_scan_files(const struct kr_scan *s,
	    const struct kr_scan_file **files);
void	kr_scan_counts(const struct kr_scan *s, unsigned int *have,
	    unsigned int *count);

/* Whether the second pass ran, and how many chunks it added. */
unsigned int	kr_scan_second_pass(const struct kr_scan *s, int *ran);

#endif /* KR_SCAN_H */
