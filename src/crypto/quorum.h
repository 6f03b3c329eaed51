/*
 * quorum.h: from a KEK to custodians' shares and back, for one escrow
 * package.
 *
 * kr_quorum_split() makes a new share set for a package: a random set id,
 * the encoded shares, the per-share commitments in the package's roster,
 * and a check that every M-subset (or a covering sample) gives the KEK back.
 * kr_quorum_recover() takes the shares read from the cards presented,
 * checks each on its own (checksum, key, set, commitment, duplicates),
 * names every bad one, and combines M good ones.
 */
#ifndef KR_QUORUM_H
#define KR_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include "escrow.h"

/*
 * Splits kek (KR_KEK_BYTES, secret) M-of-N as e->m, e->n say.  Sets
 * e->set_id and every e->roster[i].commitment; writes share x = i + 1 to
 * shares + i * KR_SHARE_BYTES (caller provides e->n * KR_SHARE_BYTES bytes
 * of kr_secmem memory).  Verifies the split before returning.
 */
int	kr_quorum_split(struct kr_escrow *e, const uint8_t *kek,
	    uint8_t *shares);

/* One share as read from a card: source names the card for messages. */
struct kr_quorum_input {
	const char	*source;	/* e.g. "card custodian-3 (serial ...)" */
	const uint8_t	*data;
	size_t		 len;
};

/* What recovery made of one input. */
struct kr_quorum_verdict {
	int		 status;	/* 0 good and used/usable, or KR_ERR_* */
	uint8_t		 x;		/* share index, 0 if unreadable */
	int		 used;		/* combined into the KEK */
	char		 detail[320];	/* why not good; names the source */
};

/*
 * Checks count shares against e and, if at least e->m are good, combines
 * the first e->m good ones into kek (KR_KEK_BYTES of kr_secmem memory).
 * verdicts (count entries) say what happened to each input.  Bad inputs do
 * not stop recovery when enough good ones remain.
 * Returns 0, or KR_ERR_SHAMIR_TOO_FEW with a detail saying how many more
 * good cards are needed and naming every bad one, or another error.  kek is
 * written only on success.
 */
int	kr_quorum_recover(const struct kr_escrow *e,
	    const struct kr_quorum_input *in, size_t count,
	    struct kr_quorum_verdict *verdicts, uint8_t *kek);

#endif /* KR_QUORUM_H */
