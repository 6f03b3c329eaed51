/*
 * clean.h: finishing or undoing what interrupted ceremonies left behind.
 *
 * A ceremony commits when its transcript is sealed (docs/architecture.md,
 * "The commit point").  Until then its outputs wait in a staging
 * directory on each medium and the shares it wrote carry its id in their
 * labels.  When a ceremony is killed, what remains is judged by its
 * transcript: sealed, the staging is published (rolled forward); unsealed,
 * the staging is removed and the shares it wrote are deleted from the
 * cards presented (rolled back); the transcript not on the media given,
 * nothing is touched and the report says so.  Every removal is recorded in
 * the failed ceremony's own transcript (kr_transcript_reopen()), and the
 * ceremony or command that cleaned adds its own record.
 *
 * The engine cleans the media of every ceremony it starts; `keyrite
 * clean` does the same on demand, and also cleans cards (it needs their
 * PINs).
 */
#ifndef KR_CLEAN_H
#define KR_CLEAN_H

#include <stddef.h>

#include "card/token.h"
#include "host/media.h"

/* What the media say about ceremony id. */
enum kr_clean_state {
	KR_CLEAN_UNKNOWN,	/* no transcript-<id>.txt on the media */
	KR_CLEAN_COMMITTED,	/* its transcript is sealed */
	KR_CLEAN_FAILED,	/* its transcript is intact but unsealed */
	KR_CLEAN_DAMAGED,	/* its transcript does not verify */
};

/* One thing found, and what was done with it. */
struct kr_clean_action {
	char			 dir[4096];	/* the medium */
	char			 id[KR_MEDIA_ID_MAX + 1];	/* ceremony */
	char			 ceremony[KR_MEDIA_ID_MAX + 1];
	enum kr_clean_state	 state;
	const char		*done;	/* "published", "removed", "left" */
	char			 what[1100];	/* files, or the card */
	char			 why[512];	/* for "left": what to do */
};

struct kr_clean_report {
	struct kr_clean_action	*a;
	size_t			 n;
	size_t			 left;	/* actions with done "left" */
};

/*
 * Looks for transcript-<id>.txt in dirs and judges it.  path (may be
 * NULL) receives where it was found.
 */
enum kr_clean_state	kr_clean_state_of(const char *const *dirs,
			    size_t ndirs, const char *id, char *path,
			    size_t pathlen);

/*
 * Cleans the leftovers (kr_media_leftovers()) of every directory in dirs,
 * judging each ceremony by its transcript found in any of dirs.  by names
 * the cleaner in the records written ("keyrite clean", or the id of the
 * ceremony that started).  A staging directory in use by a running
 * ceremony is left alone and not reported.  rep is filled (free it with
 * kr_clean_report_free()) even on failure.  Returns 0 when everything
 * found was published or removed, KR_ERR_MEDIA when something had to be
 * left (rep says what and why), or another error.
 */
int	kr_clean_media(const char *const *dirs, size_t ndirs, const char *by,
	    struct kr_clean_report *rep);

/*
 * On an open, logged-in card: deletes every keyrite share whose writing
 * ceremony the media judge KR_CLEAN_FAILED, each deletion recorded in that
 * ceremony's transcript and added to rep; and, rolling sealed ceremonies
 * forward (lineage.h), every share a sealed reshare retired or whose key a
 * sealed key-destroy destroyed, added to rep with why (their transcripts
 * are sealed: the caller records these).  Other shares of committed
 * ceremonies are kept silently; those of unknown or damaged ones are kept
 * and reported as left.
 */
int	kr_clean_card(struct kr_token_session *s,
	    const struct kr_token_info *info, const char *const *dirs,
	    size_t ndirs, const char *by, struct kr_clean_report *rep);

/* Frees what a report holds; rep itself is the caller's. */
void	kr_clean_report_free(struct kr_clean_report *rep);

/* "committed", "failed", "unknown", "damaged". */
const char	*kr_clean_state_name(enum kr_clean_state s);

#endif /* KR_CLEAN_H */
