/*
 * qrchunk.h: a transcript's exact bytes as numbered QR code payloads, and
 * back.
 *
 * The transcript is compressed (gzip, RFC 1952, so that `gzip -dc` undoes
 * it), the compressed bytes are cut into n slices of equal, even length
 * (the last may be shorter), and each slice becomes one payload of QR
 * alphanumeric characters:
 *
 *	KRT1:<CEREMONY-ID>:<i>/<n>:<SHA-256>:<base45 slice>:<CHECK>
 *
 * with the ceremony id and the SHA-256 of the whole transcript in upper
 * case, and CHECK the first 16 hex digits (upper case) of the SHA-256 of
 * everything before the last ':'.  The exact bytes, and how to reassemble
 * them by hand with zbarimg, sort, awk, basenc, gzip and sha256sum, are in
 * docs/transcript-format.md ("On paper").
 *
 * A collector takes payloads in any order, from any number of scans,
 * tolerates duplicates, and names missing and conflicting chunks by
 * number.  Nothing here prints.
 */
#ifndef KR_QRCHUNK_H
#define KR_QRCHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "transcript.h"

#define KR_QRCHUNK_MAGIC	"KRT1"
#define KR_QRCHUNK_MAX		9999	/* chunks of one transcript */
#define KR_QRCHUNK_CHECK_HEX	16
/* Everything of a payload but the base45 slice, at most: */
#define KR_QRCHUNK_OVERHEAD	(4 + 1 + 24 + 1 + 9 + 1 + 64 + 1 + 1 + \
				    KR_QRCHUNK_CHECK_HEX)

/* One payload, parsed and checked. */
struct kr_qrchunk {
	char		 ceremony_id[KR_TRANSCRIPT_ID_BYTES];	/* lower case */
	unsigned int	 index;		/* 1..count */
	unsigned int	 count;
	uint8_t		 sha256[32];	/* of the whole transcript */
	const char	*data;		/* base45, inside the payload */
	size_t		 datalen;
};

/*
 * Splits the transcript text[len] of ceremony_id (a transcript ceremony
 * id) into payloads of at most max_chars characters each (the capacity of
 * the QR code version chosen; at least KR_QRCHUNK_OVERHEAD + 30).  On
 * success *payloadsp is a malloc()ed array of *np malloc()ed,
 * NUL-terminated payloads (free with kr_qrchunk_free).  KR_ERR_TOO_LARGE
 * if it would take more than KR_QRCHUNK_MAX codes.
 */
int	kr_qrchunk_split(const char *text, size_t len, const char *ceremony_id,
	    size_t max_chars, char ***payloadsp, size_t *np);

/* Frees what kr_qrchunk_split() made; NULL-safe. */
void	kr_qrchunk_free(char **payloads, size_t n);

/*
 * Whether p[0..len) starts like a keyrite chunk ("KRT1:"); other QR codes
 * (the seal page's) are not chunks.
 */
int	kr_qrchunk_is_chunk(const char *p, size_t len);

/*
 * Parses and checks one payload p[0..len): fields, base45 alphabet and
 * the CHECK digits.  c->data points into p.  KR_ERR_FORMAT (detail says
 * why) if it is not a well-formed chunk or its check digits do not match.
 */
int	kr_qrchunk_parse(const char *p, size_t len, struct kr_qrchunk *c);

struct kr_qrchunk_collector;

/* A new, empty collector.  *cp set only on success. */
int	kr_qrchunk_collector_new(struct kr_qrchunk_collector **cp);

/* Frees c; NULL-safe. */
void	kr_qrchunk_collector_free(struct kr_qrchunk_collector *c);

/*
 * Offers one decoded QR payload found in origin (a file name, "page 3 of
 * x.pdf"; copied).  Returns 0 when it is a chunk that was kept or an exact
 * duplicate, KR_ERR_NOT_FOUND when it is not a keyrite chunk at all
 * (ignored), KR_ERR_FORMAT when it looks like one but fails its check
 * (remembered and reported by kr_qrchunk_assemble if that chunk stays
 * missing).  Conflicts (the same chunk number with other bytes, or a chunk
 * of another transcript) are remembered too.
 */
int	kr_qrchunk_collector_add(struct kr_qrchunk_collector *c,
	    const char *p, size_t len, const char *origin);

/* Counts so far: distinct good chunks, and the total the codes announce. */
void	kr_qrchunk_collector_counts(const struct kr_qrchunk_collector *c,
	    unsigned int *have, unsigned int *count);

/*
 * Whether every chunk has been seen (and no conflict): the caller may stop
 * scanning.
 */
int	kr_qrchunk_collector_complete(const struct kr_qrchunk_collector *c);

/*
 * Reassembles the transcript: every chunk 1..n present, no conflict, the
 * gzip stream whole, and the SHA-256 of the result the one every chunk
 * names.  On success *textp (malloc()ed, NUL-terminated) and *lenp hold
 * the transcript's exact bytes and sha256 (may be NULL) its hash.
 * Returns KR_ERR_SCAN_INCOMPLETE ("chunks 3, 7-9 of 12 are missing"; the
 * detail also names codes that failed their check), KR_ERR_SCAN_CONFLICT
 * (the chunk numbers and where each version was found, or the codes of
 * another transcript), or KR_ERR_FORMAT if the bytes do not decompress to
 * the named hash.
 */
int	kr_qrchunk_assemble(const struct kr_qrchunk_collector *c,
	    char **textp, size_t *lenp, uint8_t sha256[32]);

#endif /* KR_QRCHUNK_H */
