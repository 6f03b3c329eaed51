/*
 * share.h: the binary format of one custodian's share, as stored on a card.
 *
 * A share is 80 bytes (docs/formats.md):
 *
 *   offset size field
 *        0    4 magic "KRSH"
 *        4    1 format version (1)
 *        5   16 key id (first 16 bytes of SHA-256 of the key's DER SPKI)
 *       21   16 share-set id (random, new for every split)
 *       37    1 threshold M
 *       38    1 share count N
 *       39    1 index x (1..N)
 *       40   32 value y (secret)
 *       72    8 checksum: first 8 bytes of
 *               SHA-256("keyrite share checksum v1" || 0x00 || bytes 0..71)
 *
 * The checksum lets a damaged share be named before any combining; the
 * commitment (kept in the escrow package, public) lets a share be matched to
 * the split it belongs to without a quorum.
 */
#ifndef KR_SHARE_H
#define KR_SHARE_H

#include <stddef.h>
#include <stdint.h>

#define KR_SHARE_MAGIC		"KRSH"
#define KR_SHARE_VERSION	1
#define KR_SHARE_BYTES		80
#define KR_SHARE_ID_BYTES	16	/* key id prefix, set id */
#define KR_SHARE_VALUE_BYTES	32
#define KR_SHARE_COMMIT_BYTES	32

/* A decoded share.  y is secret: keep struct kr_share in kr_secmem memory. */
struct kr_share {
	uint8_t	key_id[KR_SHARE_ID_BYTES];
	uint8_t	set_id[KR_SHARE_ID_BYTES];
	uint8_t	m;
	uint8_t	n;
	uint8_t	x;
	uint8_t	y[KR_SHARE_VALUE_BYTES];
};

/*
 * Encodes s into out (KR_SHARE_BYTES).  Checks 2 <= m <= n, 1 <= x <= n.
 * out holds the secret y: put it in secret memory.
 */
int	kr_share_encode(const struct kr_share *s, uint8_t out[KR_SHARE_BYTES]);

/*
 * Decodes and checks one encoded share: length, magic, version, checksum,
 * and field ranges.  source names where the bytes came from (a card label,
 * a file) for the error detail.  *s is written only on success.
 * Returns 0, KR_ERR_SHARE_FORMAT, KR_ERR_SHARE_VERSION or
 * KR_ERR_SHARE_CHECKSUM.
 */
int	kr_share_decode(const uint8_t *in, size_t len, const char *source,
	    struct kr_share *s);

/*
 * commitment = SHA-256("keyrite share commitment v1" || 0x00 || set_id ||
 * x || y).  Public: it goes into the escrow package's roster.
 */
int	kr_share_commitment(const uint8_t set_id[KR_SHARE_ID_BYTES], uint8_t x,
	    const uint8_t y[KR_SHARE_VALUE_BYTES],
	    uint8_t out[KR_SHARE_COMMIT_BYTES]);

/*
 * Checks s against an expected key id prefix, set id and commitment, in
 * that order, naming source in the detail.  Returns 0,
 * KR_ERR_SHARE_FOREIGN_KEY, KR_ERR_SHARE_FOREIGN_SET or
 * KR_ERR_SHARE_COMMITMENT.
 */
int	kr_share_check(const struct kr_share *s, const char *source,
	    const uint8_t key_id[KR_SHARE_ID_BYTES],
	    const uint8_t set_id[KR_SHARE_ID_BYTES],
	    const uint8_t commitment[KR_SHARE_COMMIT_BYTES]);

#endif /* KR_SHARE_H */
