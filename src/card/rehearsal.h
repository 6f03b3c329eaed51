/*
 * rehearsal.h: SoftHSM2 tokens that stand in for custodian cards.
 *
 * A rehearsal (and every test, and `make demo`) needs N custodian cards.
 * kr_rehearsal_create() makes them as SoftHSM2 tokens in a directory of
 * their own, with a private softhsm2.conf, so that nothing outside that
 * directory changes.  Labels and PINs are fixed and documented
 * (docs/rehearsal.md): rehearsal PINs are not secret, which is why they
 * must never protect anything real.
 *
 * Layout of DIR after success:
 *   DIR/softhsm2.conf  directories.tokendir = DIR/tokens, file backend,
 *                      removable slots, log level ERROR
 *   DIR/tokens/        SoftHSM2's token directories
 *   DIR/env            `. DIR/env` sets SOFTHSM2_CONF and
 *                      KEYRITE_PKCS11_MODULE
 *   DIR/README         the cards, their PINs, a REHEARSAL ONLY warning
 */
#ifndef KR_REHEARSAL_H
#define KR_REHEARSAL_H

#include <stddef.h>

#define KR_REHEARSAL_MODULE	"/usr/lib/softhsm/libsofthsm2.so"
#define KR_REHEARSAL_MAX_CARDS	32
#define KR_REHEARSAL_SO_PIN	"rehearsal-so-pin"
#define KR_REHEARSAL_LABEL_FMT	"custodian-%u"	/* 1-based */
#define KR_REHEARSAL_PIN_FMT	"1234%02u"	/* custodian-3: 123403 */
#define KR_REHEARSAL_CONF	"softhsm2.conf"
#define KR_REHEARSAL_TOKENS	"tokens"
#define KR_REHEARSAL_ENV	"env"
#define KR_REHEARSAL_README	"README"

struct kr_rehearsal_card {
	unsigned int	 index;		/* 1 .. count */
	unsigned long	 slot;
	char		 label[33];
	char		 serial[17];
	char		 pin[8];	/* the user PIN; not secret */
};

struct kr_rehearsal {
	char		*dir;		/* absolute */
	char		*conf;		/* DIR/softhsm2.conf */
	char		*env;		/* DIR/env */
	char		*module;	/* the SoftHSM2 module used */
	struct kr_rehearsal_card *cards;
	size_t		 ncards;
};

/*
 * The label and user PIN of rehearsal card i (1-based); out holds at
 * least 33 and 8 bytes respectively.
 */
void	kr_rehearsal_label(unsigned int i, char *out, size_t outlen);
void	kr_rehearsal_pin(unsigned int i, char *out, size_t outlen);

/*
 * Creates count (1 .. KR_REHEARSAL_MAX_CARDS) rehearsal cards in dir,
 * which must not exist (its parent must) or be an empty directory: it
 * refuses with KR_ERR_EXISTS, before changing anything, when dir holds
 * anything.  module is the SoftHSM2 module (NULL: KR_REHEARSAL_MODULE);
 * any other module is refused, since initialising a token erases it.
 * Files are written by kr_media_write(): never over an existing file,
 * read back after writing.  $SOFTHSM2_CONF is set to DIR/softhsm2.conf
 * while the module is loaded and restored afterwards.  On failure dir
 * may hold part of the result; the detail says so.  *rp set only on
 * success; free it with kr_rehearsal_free().
 */
int	kr_rehearsal_create(const char *dir, const char *module,
	    unsigned int count, struct kr_rehearsal **rp);

/* NULL-safe. */
void	kr_rehearsal_free(struct kr_rehearsal *r);

#endif /* KR_REHEARSAL_H */
