/*
 * transcript-int.h: what transcript.c (the writer) and transcript-verify.c
 * (the reader) share, so that both agree on every byte.  Not part of the
 * engine's API.
 */
#ifndef KR_TRANSCRIPT_INT_H
#define KR_TRANSCRIPT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "transcript.h"

#define KR_TRANSCRIPT_MAGIC	"keyrite-transcript"
#define KR_TRANSCRIPT_SEAL_TAG	"keyrite-transcript-seal"
#define KR_TRANSCRIPT_COSIGN_TAG "keyrite-transcript-cosign"
#define KR_TRANSCRIPT_SEALED	"sealed"
#define KR_TRANSCRIPT_SEALER	"keyrite"

/* A word: 1..KR_TRANSCRIPT_WORD_MAX bytes of [a-z0-9._:-]. */
int	kr_transcript_word_ok(const char *s, size_t n);

/* "YYYYMMDD-HHMMSS-xxxxxxxx" with plausible date and time fields. */
int	kr_transcript_id_ok(const char *s, size_t n);

/* "YYYY-MM-DDTHH:MM:SSZ" with plausible fields. */
int	kr_transcript_time_ok(const char *s, size_t n);

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void	kr_transcript_now(char out[KR_TRANSCRIPT_TIME_BYTES]);

/* Whether byte c stands for itself in a value (else it is %XX). */
int	kr_transcript_pct_plain(unsigned char c);

/* Appends s[0..n) percent-encoded. */
void	kr_transcript_pct_encode(struct kr_buf *b, const char *s, size_t n);

/*
 * Whether s[0..n) is canonically percent-encoded (plain bytes as
 * themselves, every other byte as %XX with upper-case hex); *rawp (may be
 * NULL) receives the decoded length.
 */
int	kr_transcript_pct_ok(const char *s, size_t n, size_t *rawp);

/* out = SHA-256(hex(prev) || " " || line[0..len)). */
int	kr_transcript_chain_step(const uint8_t prev[32], const char *line,
	    size_t len, uint8_t out[32]);

/* out = SHA-256(p[0..len)). */
int	kr_transcript_sha256(const void *p, size_t len, uint8_t out[32]);

#endif /* KR_TRANSCRIPT_INT_H */
