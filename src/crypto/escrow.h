/*
 * escrow.h: the escrow package, a managed key sealed under a KEK.
 *
 * A package is a UTF-8 text file (docs/formats.md): canonical metadata
 * lines, then the AES-256-GCM nonce and the sealed PKCS#8 key.  The
 * metadata bytes, exactly as written, are the GCM associated data, so a
 * change to any of them makes opening fail.  Nothing in a package is secret
 * without a quorum of shares of its KEK.
 *
 * Version 2 (written since the key's whole life is managed) adds the
 * key's cryptoperiod, the package a reshare supersedes, and symmetric
 * keys (symkey.h); version 1 packages are still read, never written.
 */
#ifndef KR_ESCROW_H
#define KR_ESCROW_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <time.h>

#include "key.h"
#include "share.h"
#include "symkey.h"

#define KR_ESCROW_VERSION	2	/* written */
#define KR_ESCROW_VERSION_MIN	1	/* still read */
#define KR_KEK_BYTES		32
#define KR_ESCROW_NONCE_BYTES	12
#define KR_ESCROW_TAG_BYTES	16
#define KR_ESCROW_NAME_MAX	64	/* custodian name, bytes of UTF-8 */
#define KR_ESCROW_LABEL_MAX	32	/* PKCS#11 token label */
#define KR_ESCROW_SERIAL_MAX	16	/* PKCS#11 token serial */
#define KR_ESCROW_WORD_MAX	64	/* key class, algorithm, policy, ids */

struct kr_escrow_custodian {
	char	name[KR_ESCROW_NAME_MAX + 1];
	char	card[KR_ESCROW_LABEL_MAX + 1];
	char	serial[KR_ESCROW_SERIAL_MAX + 1];
	uint8_t	commitment[KR_SHARE_COMMIT_BYTES];
	/*
	 * The card's custodian key (SHA-256 of its SubjectPublicKeyInfo), the
	 * key it co-signs transcripts with; has_key 0 for a card without one
	 * (a package made before custodian keys were enrolled).
	 */
	uint8_t	key_id[32];
	int	has_key;
};

struct kr_escrow {
	uint8_t				 key_id[KR_KEY_ID_BYTES];
	char				 key_class[KR_ESCROW_WORD_MAX + 1];
	char				 algorithm[KR_ESCROW_WORD_MAX + 1];
	uint8_t				*spki;		/* DER */
	size_t				 spki_len;
	char				 created[21];	/* YYYY-MM-DDTHH:MM:SSZ */
	int				 version;	/* as read; 2 */
	/*
	 * Symmetric packages (algorithm aes-256, hmac-sha256): the key
	 * check value; spki, key_id are then the seal key's.
	 */
	int				 symmetric;
	uint8_t				 key_check[KR_SYMKEY_CHECK_BYTES];
	/* Version 2: the cryptoperiod, and what a reshare superseded. */
	char				 cp_start[21];
	char				 cp_end[21];
	int				 has_supersedes;
	uint8_t				 supersedes[32];	/* SHA-256 */
	uint8_t				 m;
	uint8_t				 n;
	uint8_t				 set_id[KR_SHARE_ID_BYTES];
	struct kr_escrow_custodian	*roster;	/* n entries, x = i + 1 */
	char				 policy_name[KR_ESCROW_WORD_MAX + 1];
	uint8_t				 policy_hash[32];
	char				 transcript_id[KR_ESCROW_WORD_MAX + 1];
	uint8_t				 transcript_hash[32];
	int				 has_transcript;
	uint8_t				 nonce[KR_ESCROW_NONCE_BYTES];
	uint8_t				*sealed;	/* ciphertext || tag */
	size_t				 sealed_len;
	char				 source[256];	/* file name, for messages */
};

/*
 * Allocates an empty package for an m-of-n split (roster of n zeroed
 * entries), of version KR_ESCROW_VERSION.  Returns NULL on bad m, n
 * (2 <= m <= n <= 255) or no memory.
 */
struct kr_escrow	*kr_escrow_new(uint8_t m, uint8_t n);

/* Frees e; NULL-safe.  Nothing in it is secret. */
void			 kr_escrow_free(struct kr_escrow *e);

/*
 * Sets the key id, algorithm and public key of e from key (private or
 * public).  Returns 0 or an error (unsupported algorithm).
 */
int	kr_escrow_set_key(struct kr_escrow *e, const EVP_PKEY *key);

/*
 * Encodes the metadata (the associated data) in canonical form: *textp is
 * malloc()ed, NUL-terminated, *lenp excludes the NUL.  Checks every field.
 */
int	kr_escrow_metadata(const struct kr_escrow *e, char **textp,
	    size_t *lenp);

/* Encodes the whole package (metadata and sealed key). */
int	kr_escrow_encode(const struct kr_escrow *e, char **textp,
	    size_t *lenp);

/*
 * Parses a package strictly.  source names the file for messages
 * ("root-ca.escrow line 7: ...").  Checks structure, not integrity: the
 * key id must equal SHA-256 of the public key, every field its form, and
 * the text must be canonical.  *ep is set only on success.
 * Returns 0, KR_ERR_ESCROW_FORMAT or KR_ERR_ESCROW_VERSION.
 */
int	kr_escrow_parse(const char *text, size_t len, const char *source,
	    struct kr_escrow **ep);

/* Reads and parses the file at path (at most 1 MiB). */
int	kr_escrow_load(const char *path, struct kr_escrow **ep);

/*
 * Seals key under kek (KR_KEK_BYTES, secret) with a fresh random nonce,
 * using the metadata of e as associated data.  e's key must already be set
 * from key (kr_escrow_set_key) and its roster complete.
 */
int	kr_escrow_seal(struct kr_escrow *e, const EVP_PKEY *key,
	    const uint8_t *kek);

/*
 * Opens e with kek: decrypts into secret memory, checks the GCM tag over
 * the metadata, decodes the key, and proves it matches e's public key.
 * *keyp is set only on success.  Returns 0, KR_ERR_ESCROW_INTEGRITY (altered
 * package or wrong KEK) or KR_ERR_ESCROW_KEY_MISMATCH.
 */
int	kr_escrow_open(const struct kr_escrow *e, const uint8_t *kek,
	    EVP_PKEY **keyp);

/* Current UTC time as YYYY-MM-DDTHH:MM:SSZ into out[21]. */
void	kr_escrow_now(char out[21]);

/* t as YYYY-MM-DDTHH:MM:SSZ into out[21]. */
void	kr_escrow_time_format(time_t t, char out[21]);

/* Parses YYYY-MM-DDTHH:MM:SSZ (UTC); 0 or KR_ERR_FORMAT (no detail). */
int	kr_escrow_time_parse(const char *s, time_t *tp);

/*
 * The cryptoperiod of e as times: a version 2 package's own; a version 1
 * package (which has none) from its creation and days (the policy's
 * cryptoperiod-days in force now; docs/formats.md).  Returns 0 or
 * KR_ERR_ESCROW_FORMAT.
 */
int	kr_escrow_cryptoperiod(const struct kr_escrow *e, unsigned int days,
	    time_t *startp, time_t *endp);

/* Sets e's cryptoperiod: from start, days long. */
void	kr_escrow_set_cryptoperiod(struct kr_escrow *e, time_t start,
	    unsigned int days);

/*
 * Makes e a symmetric package of the key raw[len] (secret, kr_secmem) of
 * algorithm alg (symkey.h), whose transcripts seal_key (a private key of
 * KR_SYMKEY_SEAL_ALG) will seal: sets algorithm, key check value, and the
 * seal key's public key and id.
 */
int	kr_escrow_set_symmetric(struct kr_escrow *e,
	    const struct kr_symkey_alg *alg, const uint8_t *raw, size_t len,
	    const EVP_PKEY *seal_key);

/*
 * Seals the symmetric key raw[len] and its seal key under kek, as
 * kr_escrow_seal() seals a private key (the plaintext layout is in
 * docs/formats.md).  e must be set by kr_escrow_set_symmetric().
 */
int	kr_escrow_seal_symmetric(struct kr_escrow *e, const uint8_t *raw,
	    size_t len, const EVP_PKEY *seal_key, const uint8_t *kek);

/*
 * Opens a symmetric package: as kr_escrow_open(), and the raw key, whose
 * check value must equal the package's, into *rawp (kr_secmem memory of
 * *lenp bytes; free with kr_secmem_free()).  rawp may be NULL: the key is
 * checked and wiped.  *keyp (the seal key) and *rawp set only on success.
 * kr_escrow_open() on a symmetric package is this with rawp NULL.
 */
int	kr_escrow_open_symmetric(const struct kr_escrow *e, const uint8_t *kek,
	    EVP_PKEY **keyp, uint8_t **rawp, size_t *lenp);

#endif /* KR_ESCROW_H */
