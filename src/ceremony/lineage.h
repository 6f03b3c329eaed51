/*
 * lineage.h: what the sealed transcripts on the media say about a key's
 * life since its package was made.
 *
 * Three kinds of sealed event change what a package or a share is worth,
 * and each is vouched for only by the sealed transcript of the ceremony
 * that did it, signed by the key itself:
 *
 *  - a reshare (custodian-reshare) superseded a package: from its seal on
 *    the old package is refused, and the shares the old package's
 *    ceremony wrote are retired (deleted wherever a card is presented);
 *  - a destroy (key-destroy) ended the key: every package of it is
 *    refused and every share of it left on a card is a leftover;
 *  - a recovery (a drill, a reshare, any ceremony that recovered the KEK)
 *    shows when the key was last proven recoverable, against the policy's
 *    drill-interval-days.
 *
 * kr_lineage_scan() reads every transcript-<id>.txt of the media given,
 * keeps those that verify and are sealed by the key their record names,
 * and lists the events; the lookups answer for a package (by SHA-256) or
 * a share (by short key id and the ceremony that wrote it).  Nothing here
 * is secret; nothing is written.
 */
#ifndef KR_LINEAGE_H
#define KR_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "host/media.h"

enum kr_lineage_kind {
	KR_LINEAGE_RESHARE,	/* escrow-superseded */
	KR_LINEAGE_DESTROY,	/* key-destroyed */
	KR_LINEAGE_RECOVERY,	/* kek-recovered */
};

struct kr_lineage_event {
	enum kr_lineage_kind	 kind;
	uint8_t			 key_id[32];
	char			 ceremony[KR_MEDIA_ID_MAX + 1];	/* whose seal */
	char			 when[21];	/* the seal's time */
	char			 path[4400];	/* the transcript */
	/* A reshare: the package and shares it retired, and its own. */
	uint8_t			 old_sha256[32];
	char			 old_ceremony[KR_MEDIA_ID_MAX + 1];
	uint8_t			 new_sha256[32];
	char			 new_name[129];
};

struct kr_lineage {
	struct kr_lineage_event	*ev;
	size_t			 n;
};

/*
 * Scans the transcripts in dirs (each ceremony id once).  A transcript that
 * is unsealed, damaged, or sealed by another key than the one its event
 * names is ignored.  l is filled (free with kr_lineage_free()) even when
 * nothing is found.  Returns 0, or KR_ERR_NOMEM / KR_ERR_IO (a directory
 * that cannot be read).
 */
int	kr_lineage_scan(const char *const *dirs, size_t ndirs,
	    struct kr_lineage *l);

void	kr_lineage_free(struct kr_lineage *l);

/* The reshare that superseded the package whose file has SHA-256 sha. */
const struct kr_lineage_event	*kr_lineage_successor(
				    const struct kr_lineage *l,
				    const uint8_t sha[32]);

/*
 * The reshare that retired the shares of key (its first 16 bytes, as in
 * share labels) written by ceremony, or NULL.
 */
const struct kr_lineage_event	*kr_lineage_retired(
				    const struct kr_lineage *l,
				    const uint8_t key_short[16],
				    const char *ceremony);

/* The ceremony that destroyed key (first 16 bytes), or NULL. */
const struct kr_lineage_event	*kr_lineage_destroyed(
				    const struct kr_lineage *l,
				    const uint8_t key_short[16]);

/* The latest sealed recovery of key_id, or NULL. */
const struct kr_lineage_event	*kr_lineage_last_recovery(
				    const struct kr_lineage *l,
				    const uint8_t key_id[32]);

#endif /* KR_LINEAGE_H */
