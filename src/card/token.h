/*
 * token.h: custodian cards through PKCS#11.
 *
 * keyrite loads a PKCS#11 module at run time (OpenSC's opensc-pkcs11.so for
 * real cards, SoftHSM2 for rehearsals and tests) and uses it for three
 * things: a custodian's share of a KEK, stored as a private data object;
 * the custodian's own P-256 key, which co-signs transcripts; and noticing
 * cards come and go.  The module, slots and PINs come from the command line
 * or the environment, never from a ceremony script.
 *
 * Every CKR_* code is mapped here, once, to a KR_ERR_TOKEN_* code whose
 * detail names the card ("card custodian-3 (serial 8d1c5a3e2f4b6071)") and
 * says what to do.  Nothing outside token.c sees a CK_RV.
 */
#ifndef KR_TOKEN_H
#define KR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define KR_TOKEN_DEFAULT_MODULE	"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
#define KR_TOKEN_MODULE_ENV	"KEYRITE_PKCS11_MODULE"
#define KR_TOKEN_APPLICATION	"keyrite"
#define KR_TOKEN_SHARE_PREFIX	"keyrite-share:"
#define KR_TOKEN_SHARE_LABEL_MAX 128	/* a share object's label, at most */
#define KR_TOKEN_CEREMONY_MAX	64	/* a ceremony id in a label */
#define KR_TOKEN_CUSTODIAN_LABEL "keyrite-custodian"
#define KR_TOKEN_PIN_ATTEMPTS	3	/* default bound per card per ceremony */
#define KR_TOKEN_PIN_MAX	64
#define KR_TOKEN_NAME_MAX	256	/* kr_token_name() always fits */

struct kr_token_module;
struct kr_token_session;

/*
 * One present token, as C_GetTokenInfo describes it (trailing blanks cut),
 * with its slot's flags from C_GetSlotInfo (both 0 when the module does
 * not answer that: a slot not known to be hardware is not).
 */
struct kr_token_info {
	unsigned long	slot;
	char		label[33];
	char		serial[17];
	char		manufacturer[33];
	char		model[17];
	int		login_required;
	int		write_protected;
	int		pin_count_low;	/* CKF_USER_PIN_COUNT_LOW */
	int		pin_final_try;	/* CKF_USER_PIN_FINAL_TRY */
	int		pin_locked;	/* CKF_USER_PIN_LOCKED */
	int		initialized;	/* CKF_TOKEN_INITIALIZED */
	int		hw_slot;	/* slot: CKF_HW_SLOT (a real reader) */
	int		removable;	/* slot: CKF_REMOVABLE_DEVICE */
};

/*
 * The module path to use: path if non-NULL, else $KEYRITE_PKCS11_MODULE if
 * set and non-empty, else KR_TOKEN_DEFAULT_MODULE.
 */
const char	*kr_token_module_path(const char *path);

/*
 * Loads the module at kr_token_module_path(path) with dlopen and calls
 * C_Initialize (OS locking allowed).  *mp set only on success.
 */
int	kr_token_module_open(const char *path, struct kr_token_module **mp);

/* C_Finalize and dlclose; NULL-safe.  All sessions must be closed. */
void	kr_token_module_close(struct kr_token_module *m);

/*
 * C_Finalize then C_Initialize again.  Some modules (SoftHSM2) see tokens
 * added or removed only after this.  Fails with KR_ERR_ENGINE_STATE while a
 * session is open.
 */
int	kr_token_module_reload(struct kr_token_module *m);

/*
 * "<manufacturer>, <library description> <major>.<minor>" from C_GetInfo
 * ("SoftHSM, Implementation of PKCS11 2.6"; "OpenSC Project, OpenSC
 * smartcard framework 0.23"), for the transcript.  Owned by m.
 */
const char	*kr_token_module_description(const struct kr_token_module *m);

/*
 * Lists tokens present now.  *listp is malloc()ed (free()), *np its length;
 * an empty list is success.
 */
int	kr_token_list(struct kr_token_module *m, struct kr_token_info **listp,
	    size_t *np);

/*
 * Finds the present token whose label or serial equals which.  Returns 0,
 * KR_ERR_TOKEN_NOT_PRESENT, or KR_ERR_INVALID_ARGUMENT when two tokens
 * match (the detail names both).
 */
int	kr_token_find(struct kr_token_module *m, const char *which,
	    struct kr_token_info *out);

/*
 * "card <label> (serial <serial>)": how messages and transcripts name it.
 * Label and serial pass through kr_token_printable().
 */
void	kr_token_name(const struct kr_token_info *t, char *out, size_t outlen);

/*
 * Copies in to out (outlen > 0, always NUL-terminated, cut short when too
 * small) with every byte that is not printable UTF-8 (C0 and C1 controls,
 * DEL, malformed sequences) written as \xNN, so that what a card says
 * about itself cannot drive the terminal.  4 * strlen(in) + 1 always fits.
 */
void	kr_token_printable(const char *in, char *out, size_t outlen);

/* Opens a read-write session on t's slot.  *sp set only on success. */
int	kr_token_open(struct kr_token_module *m, const struct kr_token_info *t,
	    struct kr_token_session **sp);

/* Logs out if logged in and closes the session; NULL-safe. */
void	kr_token_close(struct kr_token_session *s);

/* The token's info as of the last refresh (login refreshes it). */
const struct kr_token_info *kr_token_session_info(
	    const struct kr_token_session *s);

/*
 * PIN attempts keyrite allows on one card in one ceremony, whatever the
 * card does (SoftHSM2 never locks).  The caller keeps one per card.
 */
struct kr_token_pin_budget {
	unsigned int	limit;		/* e.g. KR_TOKEN_PIN_ATTEMPTS */
	unsigned int	failed;
};

/*
 * Logs in as the user with pin (pinlen bytes, in kr_secmem memory; not
 * modified, the caller wipes it).  Before trying, refuses with
 * KR_ERR_TOKEN_ATTEMPTS when budget->failed >= budget->limit.  A wrong PIN
 * increments budget->failed and returns KR_ERR_TOKEN_PIN_INCORRECT with a
 * detail saying how many attempts keyrite still allows and what the card
 * reports (count low, final try).  A locked PIN is KR_ERR_TOKEN_PIN_LOCKED
 * (not tried when the card already says so).  A pinlen of 0 or over
 * KR_TOKEN_PIN_MAX is KR_ERR_INVALID_ARGUMENT, not tried and not counted.
 * budget must not be NULL.  Already logged in is success.  Frontends must
 * check kr_token_session_info()->pin_final_try before asking and warn the
 * custodian in plain words.
 */
int	kr_token_login(struct kr_token_session *s, const char *pin,
	    size_t pinlen, struct kr_token_pin_budget *budget);

/* A share object as read from a card. */
struct kr_token_share {
	char	 label[KR_TOKEN_SHARE_LABEL_MAX + 1];
					/* keyrite-share:<32 hex>:<x>:<id> */
	uint8_t	 key_id[16];		/* from the label */
	uint8_t	 x;			/* from the label */
	char	 ceremony[KR_TOKEN_CEREMONY_MAX + 1];	/* from the label:
					   the ceremony that wrote it */
	uint8_t	*value;			/* kr_secmem memory */
	size_t	 len;
	int	 is_private;		/* CKA_PRIVATE; 0 is a badly made card */
};

/* Frees n shares read by kr_token_read_shares(), wiping values; NULL-safe. */
void	kr_token_shares_free(struct kr_token_share *shares, size_t n);

/*
 * Writes an encoded share (KR_SHARE_BYTES, secret) as a private token data
 * object: CKO_DATA, CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE false,
 * CKA_APPLICATION "keyrite", CKA_LABEL "keyrite-share:<hex of
 * key_id[16]>:<x>:<ceremony>" (ceremony: the id of the ceremony writing
 * it, [a-z0-9-], at most KR_TOKEN_CEREMONY_MAX bytes).  Refuses with
 * KR_ERR_TOKEN_EXISTS when the card already holds a share of key_id.
 * Reads the object back and compares byte for byte, then decodes it and
 * checks it against commitment; any difference is KR_ERR_TOKEN_READBACK
 * and the object is destroyed.  Must be logged in.
 */
int	kr_token_write_share(struct kr_token_session *s, const uint8_t key_id[16],
	    uint8_t x, const uint8_t *share, size_t len,
	    const uint8_t commitment[32], const char *ceremony);

/*
 * As kr_token_write_share(), for a reshare: the card may already hold one
 * share of key_id, written by ceremony beside (the share this one
 * supersedes, which stays until the reshare commits); any other share of
 * key_id is KR_ERR_TOKEN_EXISTS naming the ceremony that wrote it.  The
 * read-back looks at this ceremony's share only.
 */
int	kr_token_write_share_beside(struct kr_token_session *s,
	    const uint8_t key_id[16], uint8_t x, const uint8_t *share,
	    size_t len, const uint8_t commitment[32], const char *ceremony,
	    const char *beside);

/*
 * Reads the keyrite share objects on the card: of key_id when non-NULL,
 * else all of them.  *sharesp malloc()ed, values in secret memory; free
 * with kr_token_shares_free().  No share is success with *np = 0, but
 * only when logged in (else KR_ERR_TOKEN_NOT_LOGGED_IN: private objects
 * are invisible without the PIN) and after confirming the card still
 * answers: a card pulled out is KR_ERR_TOKEN_REMOVED naming it (never "no
 * share").  Values are not checked here: kr_share_decode() them.
 */
int	kr_token_read_shares(struct kr_token_session *s,
	    const uint8_t *key_id, struct kr_token_share **sharesp, size_t *np);

/*
 * Destroys the card's share(s) of key_id and confirms they are gone;
 * KR_ERR_NOT_FOUND if there were none.  Must be logged in.
 */
int	kr_token_delete_share(struct kr_token_session *s,
	    const uint8_t key_id[16]);

/*
 * The same for the shares of key_id written by ceremony only ("" names
 * labels written before ceremony ids; NULL: every share of key_id), so
 * that deleting a reshare's pending share leaves the share it would have
 * replaced, and retiring a superseded share leaves the new one.
 */
int	kr_token_delete_share_of(struct kr_token_session *s,
	    const uint8_t key_id[16], const char *ceremony);

/*
 * Finds the card's custodian key pair (label "keyrite-custodian", ECDSA
 * P-256), generating it on the card when absent and create is set (private
 * key CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_PRIVATE).  Exports the public
 * key as DER SubjectPublicKeyInfo (malloc()ed).  *createdp (may be NULL)
 * says whether it was generated now.  Must be logged in.  Absent and
 * create unset is KR_ERR_NOT_FOUND.  A key that is extractable, not
 * sensitive, not P-256, duplicated, half missing, or whose halves do not
 * match (a random digest is signed and verified every time) is
 * KR_ERR_TOKEN_CUSTODIAN_KEY.
 */
int	kr_token_custodian_key(struct kr_token_session *s, int create,
	    uint8_t **spkip, size_t *spkilenp, int *createdp);

/*
 * Signs a 32-byte digest with the custodian key (CKM_ECDSA); the signature
 * is returned DER-encoded (ECDSA-Sig-Value), as openssl pkeyutl expects.
 */
int	kr_token_custodian_sign(struct kr_token_session *s,
	    const uint8_t digest[32], uint8_t **sigp, size_t *siglenp);

/*
 * Non-blocking C_WaitForSlotEvent(CKF_DONT_BLOCK): 0 and *slotp when a
 * slot event is pending, KR_ERR_NOT_FOUND when none is, KR_ERR_UNSUPPORTED
 * when the module does not implement it.  SoftHSM2 implements it but
 * always answers "no event", so presence.c re-initialises and lists for
 * that module instead (kr_token_module_reload(), kr_token_list()).
 */
int	kr_token_slot_event(struct kr_token_module *m, unsigned long *slotp);

/*
 * Initialises the token in slot (C_InitToken with so_pin and label), then
 * sets its user PIN (C_InitPIN).  For rehearsal cards only: it erases the
 * token.  PINs are NUL-terminated; rehearsal PINs are not secret.
 */
int	kr_token_init_token(struct kr_token_module *m, unsigned long slot,
	    const char *so_pin, const char *label, const char *user_pin);

/*
 * Slots with a token present that is not initialised (SoftHSM2's free
 * slot), for kr_token_init_token().  *slotsp malloc()ed.
 */
int	kr_token_free_slots(struct kr_token_module *m, unsigned long **slotsp,
	    size_t *np);

/* --- restoring a key into an HSM (token-restore.c) ------------------------ */

#define KR_TOKEN_TARGET_MODULE_ENV	"KEYRITE_TARGET_PKCS11_MODULE"
#define KR_TOKEN_KEY_LABEL_MAX		64	/* a restored key's CKA_LABEL */
#define KR_TOKEN_KEY_ID_MAX		64	/* bytes of its CKA_ID */

/*
 * The module path for the token a key is restored into: path if
 * non-NULL, else $KEYRITE_TARGET_PKCS11_MODULE if set and non-empty, else
 * NULL (the custodians' module, kr_token_module_path(NULL)).
 */
const char	*kr_token_target_module_path(const char *path);

/* A restored private key object, as read back from the token. */
struct kr_token_key_attrs {
	unsigned long	cls;		/* CKO_PRIVATE_KEY */
	unsigned long	key_type;	/* CKK_EC, CKK_RSA, CKK_EC_EDWARDS */
	char		key_type_name[16];	/* "CKK_EC", ... */
	int		token;
	int		is_private;
	int		sensitive;
	int		extractable;
	int		always_sensitive;	/* FALSE for an imported key */
	int		never_extractable;	/* likewise */
	int		sign;
	int		value_hidden;	/* CKA_VALUE / CKA_PRIVATE_EXPONENT
					   refused (CKR_ATTRIBUTE_SENSITIVE) */
	uint8_t		id[KR_TOKEN_KEY_ID_MAX];
	size_t		id_len;
	char		label[KR_TOKEN_KEY_LABEL_MAX + 1];
	int		certificate;	/* a certificate object with the id */
};

/*
 * How many objects of any class with CKA_ID id the token shows now
 * (private ones only when logged in).  A token that has gone is
 * KR_ERR_TOKEN_REMOVED, never 0.
 */
int	kr_token_count_id(struct kr_token_session *s, const uint8_t *id,
	    size_t idlen, size_t *np);

/*
 * Creates key (a private key of an algorithm key.h manages; kept in
 * OpenSSL's secure heap) on the token as a private key object:
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE TRUE, CKA_EXTRACTABLE FALSE,
 * CKA_SIGN TRUE (and nothing else: no decrypt, derive, unwrap), CKA_ID
 * id, CKA_LABEL label (printable ASCII, 1..KR_TOKEN_KEY_LABEL_MAX), and,
 * when cert is given, a certificate object with the same id and label.
 * The key's secret numbers go into the PKCS#11 template from kr_secmem
 * memory only and are wiped once C_CreateObject returns.  Refuses with
 * KR_ERR_TOKEN_EXISTS when any object with id is on the token.  Reads
 * the object back into *attrs and checks it: one private key with the
 * id, the attributes above, its secret value refused by the token; on a
 * difference the objects created are destroyed and KR_ERR_TOKEN_READBACK
 * is returned.  Must be logged in.
 */
int	kr_token_restore_key(struct kr_token_session *s, EVP_PKEY *key,
	    const uint8_t *id, size_t idlen, const char *label, X509 *cert,
	    struct kr_token_key_attrs *attrs);

/*
 * Has the token sign a fresh random challenge with the private key whose
 * CKA_ID is id (ECDSA with the curve's digest, RSA PKCS#1 v1.5 with
 * SHA-256, EdDSA) and verifies the signature with pub in OpenSSL.
 * *mechp (may be NULL) names the mechanism.  Returns 0, KR_ERR_KEY_MISMATCH
 * (it signed, but not with pub's private key), or a token error.
 */
int	kr_token_prove_key(struct kr_token_session *s, const uint8_t *id,
	    size_t idlen, EVP_PKEY *pub, const char **mechp);

/*
 * Destroys every object with CKA_ID id (a restore that failed part-way);
 * *np (may be NULL) says how many.  Must be logged in.
 */
int	kr_token_destroy_id(struct kr_token_session *s, const uint8_t *id,
	    size_t idlen, size_t *np);

#endif /* KR_TOKEN_H */
