/*
 * transcript.h: the ceremony transcript, a hash-chained, signed text file.
 *
 * One canonical text record per event (sequence number, UTC time, event,
 * actor, key=value facts), each chained to the one before with SHA-256.
 * The file is appended and fsync()ed after every event, so a crash leaves
 * it complete up to the last event.  At the end the ceremony key signs the
 * final chain value; custodians' cards may add co-signatures.  The exact
 * bytes, and how to check a transcript by hand with sha256sum and openssl,
 * are in docs/transcript-format.md.
 *
 * Everything in a transcript is public: never put a secret in a fact.
 */
#ifndef KR_TRANSCRIPT_H
#define KR_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KR_TRANSCRIPT_VERSION		1
#define KR_TRANSCRIPT_ID_BYTES		25	/* "20261123-140509-3f9a2c1e" */
#define KR_TRANSCRIPT_WORD_MAX		64	/* events, actors, fact keys */
#define KR_TRANSCRIPT_TIME_BYTES	21	/* "2026-11-23T14:05:09Z" */
#define KR_TRANSCRIPT_LINE_MAX		65536	/* a record, newline included */
#define KR_TRANSCRIPT_FILE_MAX		(64 * 1024 * 1024)
#define KR_TRANSCRIPT_SEAL_MSG_MAX	128
#define KR_TRANSCRIPT_COSIGN_MSG_MAX	320
#define KR_TRANSCRIPT_COSIGN_MAX	255	/* one per custodian */
#define KR_TRANSCRIPT_LABEL_MAX		32	/* card label, raw bytes */
#define KR_TRANSCRIPT_SERIAL_MAX	16	/* card serial, raw bytes */

/* One fact of a record: key is a word, value any NUL-terminated text. */
struct kr_fact {
	const char	*key;
	const char	*value;
};

struct kr_transcript_header {
	char	ceremony_id[KR_TRANSCRIPT_ID_BYTES];	/* kr_transcript_id_new */
	char	ceremony[KR_TRANSCRIPT_WORD_MAX + 1];	/* script name */
	uint8_t	script_sha256[32];
	uint8_t	policy_sha256[32];
	int	rehearsal;
	int	has_previous;
	uint8_t	previous_sha256[32];	/* kr_transcript_file_sha256 */
	/* Set by kr_transcript_verify(); kr_transcript_create() ignores them. */
	char	keyrite_version[KR_TRANSCRIPT_WORD_MAX + 1];
	char	started[KR_TRANSCRIPT_TIME_BYTES];
};

/* A co-signature, as read back (label and serial stay percent-encoded). */
struct kr_transcript_cosigner {
	char	algorithm[16];
	char	label[3 * KR_TRANSCRIPT_LABEL_MAX + 1];
	char	serial[3 * KR_TRANSCRIPT_SERIAL_MAX + 1];
	uint8_t	key_id[32];
};

/*
 * A card the sealed chain binds (a custodian-key-bound record): it took
 * part, so its co-signature is expected.
 */
struct kr_transcript_expected {
	char	label[3 * KR_TRANSCRIPT_LABEL_MAX + 1];	/* percent-encoded */
	char	serial[3 * KR_TRANSCRIPT_SERIAL_MAX + 1];
	uint8_t	key_id[32];
	int	present;		/* a valid cosignature line */
	char	missing[KR_TRANSCRIPT_WORD_MAX + 1];	/* the reason a
					   cosignature-missing line gives */
};

/* What kr_transcript_verify() found. */
struct kr_transcript_summary {
	struct kr_transcript_header	header;
	unsigned long	records;	/* intact records, sealed one included */
	char		ended[KR_TRANSCRIPT_TIME_BYTES]; /* last record's time */
	uint8_t		chain[32];	/* chain value of the last record */
	int		sealed;
	int		incomplete_tail;/* unsealed: a cut-off line ignored */
	int		seal_cut;	/* unsealed: the seal itself was cut */
	size_t		intact_len;	/* bytes up to the last intact record */
	char		algorithm[16];	/* of the seal */
	uint8_t		signer_key_id[32];
	int		cert_checked;	/* the signer is the certificate's key */
	unsigned int	ncosigners;
	struct kr_transcript_cosigner cosigners[KR_TRANSCRIPT_COSIGN_MAX];
	/* Sealed: the co-signatures the chain expects, present or missing. */
	unsigned int	nexpected;
	struct kr_transcript_expected expected[KR_TRANSCRIPT_COSIGN_MAX];
	int		complete;	/* sealed, every expected one present */
};

struct kr_transcript;

/*
 * Makes a new ceremony id, "YYYYMMDD-HHMMSS-xxxxxxxx": the UTC time and 8
 * random hex digits.  It is a word (a-z 0-9 -), as escrow packages need.
 */
int	kr_transcript_id_new(char out[KR_TRANSCRIPT_ID_BYTES]);

/*
 * Creates the transcript file at path (never overwriting: KR_ERR_EXISTS if
 * it exists) with the header (current time, keyrite's version) written to
 * a temporary file beside it, fsync()ed, then linked to path, and the
 * directory fsync()ed: the name never shows an empty file.  h's ceremony_id must
 * come from kr_transcript_id_new() and ceremony must be a word.  *tp set
 * only on success; on failure no file is left behind.
 */
int	kr_transcript_create(const char *path,
	    const struct kr_transcript_header *h, struct kr_transcript **tp);

/*
 * Appends one record: event and actor are words ([a-z0-9._:-], 1..64
 * bytes; the event "sealed" is kr_transcript_seal()'s), facts' keys are
 * words other than "chain", values any text (percent-encoded on write).
 * The whole line goes out in one write(2) and is fsync()ed before this
 * returns.  chain (may be NULL) receives the record's chain value.
 * KR_ERR_ENGINE_STATE after sealing or after an earlier write failed,
 * KR_ERR_INVALID_ARGUMENT for a bad word, KR_ERR_TOO_LARGE for a line
 * over KR_TRANSCRIPT_LINE_MAX, KR_ERR_IO if writing or syncing failed.
 */
int	kr_transcript_append(struct kr_transcript *t, const char *event,
	    const char *actor, const struct kr_fact *facts, size_t nfacts,
	    uint8_t chain[32]);

/* The chain value of the last record written (the header's if none). */
void	kr_transcript_chain(const struct kr_transcript *t, uint8_t out[32]);

/* The ceremony id. */
const char	*kr_transcript_id(const struct kr_transcript *t);

/* Whether t has been sealed (the ceremony's commit point passed). */
int		 kr_transcript_sealed(const struct kr_transcript *t);

/*
 * Appends the "sealed" record, then the signature block with key's
 * signature (kr_key_sign) over the seal message of the final chain value,
 * in one write(2), fsync()ed.  key is the ceremony key: the new root key,
 * or in a drill the recovered key; the signature is checked before it is
 * written.  No record can be appended afterwards.
 */
int	kr_transcript_seal(struct kr_transcript *t, const EVP_PKEY *key);

/*
 * Signs msg[len] as kr_key_sign() does for the key whose public key the
 * sealer gave; *sigp malloc()ed.  Returns 0 or an error with its detail.
 */
typedef int (*kr_transcript_signer)(void *ctx, const uint8_t *msg,
    size_t len, uint8_t **sigp, size_t *siglenp);

/*
 * As kr_transcript_seal(), for a key that is not in memory (a custodian
 * card's P-256 key seals a card-check): spki is the sealing key's DER
 * SubjectPublicKeyInfo (an algorithm keyrite manages), sign(ctx, ...)
 * makes the signature, which is verified against spki before anything is
 * written.
 */
int	kr_transcript_seal_signer(struct kr_transcript *t, const uint8_t *spki,
	    size_t spkilen, kr_transcript_signer sign, void *ctx);

/*
 * The message the ceremony key signs, NUL-terminated in out:
 * "keyrite-transcript-seal <ceremony-id> <64 hex of final>\n".  Returns
 * its length (without the NUL).
 */
size_t	kr_transcript_seal_message(const char *ceremony_id,
	    const uint8_t final[32], char out[KR_TRANSCRIPT_SEAL_MSG_MAX]);

/*
 * The message a card co-signs, NUL-terminated in out:
 * "keyrite-transcript-cosign <ceremony-id> <64 hex of final> <label>
 * <serial>\n" with label and serial percent-encoded as in records, so that
 * the signature binds the card's name too.  Returns its length, or 0 if
 * label or serial is not 1..32 / 1..16 bytes of text without control
 * characters.  For a P-256 card key, CKM_ECDSA over SHA-256 of these bytes
 * is the ecdsa-p256 signature kr_transcript_cosign() wants.
 */
size_t	kr_transcript_cosign_message(const char *ceremony_id,
	    const uint8_t final[32], const char *label, const char *serial,
	    char out[KR_TRANSCRIPT_COSIGN_MSG_MAX]);

/*
 * Appends a co-signature line after sealing: the card's label (1..32 bytes
 * of text) and serial (1..16), its public key (DER SPKI of an algorithm
 * keyrite manages) and its signature over kr_transcript_cosign_message().
 * The signature is verified first: KR_ERR_TRANSCRIPT_SIGNATURE if it does
 * not verify, KR_ERR_ENGINE_STATE if t is not sealed.
 */
int	kr_transcript_cosign(struct kr_transcript *t, const char *label,
	    const char *serial, const uint8_t *spki, size_t spkilen,
	    const uint8_t *sig, size_t siglen);

/*
 * After sealing: records that card label/serial, which the chain expects
 * to co-sign, did not, and why (reason: a word such as "card-absent",
 * "skipped", "pin-attempts"): a "cosignature-missing:" line of the
 * signature block.  It proves nothing (the block is not signed); it tells
 * the reader of the paper why a signature is absent.  KR_ERR_ENGINE_STATE
 * if t is not sealed.
 */
int	kr_transcript_cosign_missing(struct kr_transcript *t, const char *label,
	    const char *serial, const char *reason);

/*
 * Opens the unsealed transcript at path to append records (the cleaning of
 * a failed ceremony's leftovers is recorded in that ceremony's own
 * transcript).  The file must verify as KR_ERR_TRANSCRIPT_UNSEALED: every
 * record intact; a last line cut off mid-way is removed first.  *sum
 * receives what kr_transcript_verify() found.  A sealed transcript is
 * KR_ERR_ENGINE_STATE; a bad one its verification error.
 */
int	kr_transcript_reopen(const char *path, struct kr_transcript **tp,
	    struct kr_transcript_summary *sum);

/* Closes and frees t; NULL-safe.  Everything written is already synced. */
void	kr_transcript_close(struct kr_transcript *t);

/* SHA-256 of the file at path (for --previous). */
int	kr_transcript_file_sha256(const char *path, uint8_t out[32]);

/*
 * Checks a transcript held in text[len]: the header, every record's chain
 * value, the seal signature, every co-signature and, when cert_spki is not
 * NULL, that the seal's key is the certificate's (cert_spki is the DER
 * SubjectPublicKeyInfo of the certificate).  source names the text in
 * details ("transcript <source>: record 17 (line 26): ...").
 *
 * Returns 0 (good, sealed); KR_ERR_TRANSCRIPT_FORMAT (not a transcript, or
 * a malformed line), KR_ERR_TRANSCRIPT_CHAIN (a chain value does not
 * match) or KR_ERR_TRANSCRIPT_SIGNATURE (the signature block), each naming
 * the first bad place: "header (line N)", "record K (line N)" or
 * "signature block (line N)"; or KR_ERR_TRANSCRIPT_UNSEALED when every
 * record is intact but the file ends before the seal (an interrupted
 * ceremony).  *sum is filled on 0 and on KR_ERR_TRANSCRIPT_UNSEALED (then
 * it describes the intact part); otherwise it is zeroed.
 */
int	kr_transcript_verify(const char *text, size_t len, const char *source,
	    const uint8_t *cert_spki, size_t cert_spki_len,
	    struct kr_transcript_summary *sum);

/*
 * Reads the file at path (KR_ERR_IO, KR_ERR_TOO_LARGE if unreadable) and
 * runs kr_transcript_verify() on it with source = path.
 */
int	kr_transcript_verify_file(const char *path, const uint8_t *cert_spki,
	    size_t cert_spki_len, struct kr_transcript_summary *sum);

/*
 * Reading the records of a transcript for people (the paper record, a
 * viewer): a cursor over text that kr_transcript_verify() accepted (it
 * still checks the shape of each line it hands out and never reads past
 * len).  Values stay percent-encoded until kr_transcript_pct_decode().
 */
struct kr_transcript_cursor {
	const char	*text;
	size_t		 len;
	size_t		 off;		/* of the next line */
	unsigned long	 next_seq;
	int		 done;		/* past the records */
};

struct kr_transcript_record {
	unsigned long	 seq;
	char		 time[KR_TRANSCRIPT_TIME_BYTES];
	char		 event[KR_TRANSCRIPT_WORD_MAX + 1];
	char		 actor[KR_TRANSCRIPT_WORD_MAX + 1];
	uint8_t		 chain[32];
	const char	*facts;		/* "k=v k=v", inside the text */
	size_t		 factslen;
};

/* Places c before record 1 of text[len] (after the header). */
int	kr_transcript_cursor_init(struct kr_transcript_cursor *c,
	    const char *text, size_t len);

/*
 * The next record into *rec: returns 1, or 0 after the last record (then
 * c->off is where the signature block starts, or len), or
 * KR_ERR_TRANSCRIPT_FORMAT if a line is not a record.
 */
int	kr_transcript_cursor_next(struct kr_transcript_cursor *c,
	    struct kr_transcript_record *rec);

/*
 * The next "key=value" of facts[len] from *off: returns 1 with key[keylen]
 * and the still-encoded value[valuelen] pointing into facts, or 0 at the
 * end.
 */
int	kr_transcript_fact_next(const char *facts, size_t len, size_t *off,
	    const char **key, size_t *keylen, const char **value,
	    size_t *valuelen);

/*
 * Decodes a canonically percent-encoded value s[n] into malloc()ed *outp
 * (NUL-terminated; the value may itself hold NUL bytes, *outlenp counts
 * them).  KR_ERR_FORMAT if it is not canonical.
 */
int	kr_transcript_pct_decode(const char *s, size_t n, char **outp,
	    size_t *outlenp);

#endif /* KR_TRANSCRIPT_H */
