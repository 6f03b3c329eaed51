/*
 * presence.h: noticing custodian cards inserted and removed.
 *
 * A struct kr_presence watches one PKCS#11 module and reports tokens
 * that appeared or disappeared since the last look, by comparing
 * successive token lists (a token is its slot, label and serial: a card
 * re-initialised or moved to another reader is removed, then inserted).
 * How it learns that something changed depends on the module:
 *
 *  - KR_PRESENCE_SLOT_EVENTS: the module implements C_WaitForSlotEvent
 *    (OpenSC).  Each poll drains pending slot events without blocking and
 *    lists tokens again when there were any, and every few seconds anyway.
 *  - KR_PRESENCE_RELOAD: it does not, or a table of known modules says
 *    its answer cannot be trusted (SoftHSM2 always answers "no event",
 *    and sees tokens added or removed only after C_Finalize +
 *    C_Initialize).  Each poll
 *    re-initialises the module and lists tokens.  A module cannot be
 *    re-initialised under an open session, so while any kr_token_session
 *    on it is open the poll lists without reloading, and SoftHSM2's
 *    changes show once the sessions are closed.  A card pulled out during
 *    an operation is reported by that operation (KR_ERR_TOKEN_REMOVED).
 *
 * Polls are meant every KR_PRESENCE_POLL_MS; kr_presence_wait() sleeps
 * between them.  Not thread-safe; the module must not be used by another
 * thread meanwhile.
 */
#ifndef KR_PRESENCE_H
#define KR_PRESENCE_H

#include <stddef.h>

#include "token.h"

#define KR_PRESENCE_INSERTED	1
#define KR_PRESENCE_REMOVED	2

#define KR_PRESENCE_SLOT_EVENTS	1	/* C_WaitForSlotEvent */
#define KR_PRESENCE_RELOAD	2	/* re-initialise, then list */

#define KR_PRESENCE_POLL_MS	250

struct kr_presence;

struct kr_presence_event {
	int			 kind;	/* KR_PRESENCE_* */
	struct kr_token_info	 token;	/* as last listed */
};

/*
 * Starts watching m (which must outlive the watch): chooses the method
 * and lists the tokens present now, which are not reported as events
 * (kr_presence_tokens() shows them).  *pp set only on success.
 */
int	kr_presence_new(struct kr_token_module *m, struct kr_presence **pp);

/* NULL-safe.  Does not close the module. */
void	kr_presence_free(struct kr_presence *p);

/* KR_PRESENCE_SLOT_EVENTS or KR_PRESENCE_RELOAD. */
int	kr_presence_method(const struct kr_presence *p);

/* "slot events" / "re-initialise and list": for logs and transcripts. */
const char	*kr_presence_method_name(int method);

/*
 * Looks once (never sleeps) and stores up to max events, removals before
 * insertions, in ev[0..*np); events that do not fit are kept for the next
 * call, which then returns them without looking again.  Returns 0 (*np
 * may be 0) or the token layer's error (then *np is 0 and nothing is
 * lost: the next poll compares against the last good list).
 */
int	kr_presence_poll(struct kr_presence *p, struct kr_presence_event *ev,
	    size_t max, size_t *np);

/*
 * The tokens present as of the last look; *np their number.  The array
 * belongs to p and changes at the next poll.
 */
const struct kr_token_info *kr_presence_tokens(const struct kr_presence *p,
	    size_t *np);

/*
 * Waits until a token whose label or serial equals want (any token when
 * want is NULL) is present, polling every KR_PRESENCE_POLL_MS, for at most
 * timeout_ms (negative: no limit).  A matching token already present
 * returns at once without events.
 *
 * cb (may be NULL) is called for every insertion and removal seen while
 * waiting, with wanted set for the awaited token's insertion, so that a
 * frontend can say "wrong card inserted: custodian-4, expected
 * custodian-2" as it happens; and with ev NULL once per poll interval, so
 * that it can notice a key press.  cb returning non-zero stops the wait.
 *
 * *found is set on success.  Returns 0, KR_ERR_TOKEN_NOT_PRESENT on
 * timeout (the detail names the card awaited), KR_ERR_ABORTED when cb
 * stopped the wait, KR_ERR_INVALID_ARGUMENT when two present tokens match
 * want, or the token layer's error.
 */
int	kr_presence_wait(struct kr_presence *p, const char *want,
	    int timeout_ms,
	    int (*cb)(const struct kr_presence_event *ev, int wanted,
	    void *arg), void *arg, struct kr_token_info *found);

#endif /* KR_PRESENCE_H */
