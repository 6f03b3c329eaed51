/*
 * appliance.h: what a frontend does on the appliance besides ceremonies.
 *
 * Like the lobby (lobby.h), this is engine code that gives a frontend
 * facts and does the privileged work it must not do itself: the image's
 * identity for the witnesses (host/sysid.h), the USB sticks that hold a
 * ceremony's outputs and earlier records, mounted and unmounted at the
 * media directory (host/removable.h), the clock, which the administrator
 * sets by hand since there is no network time (host/clock.h; the next
 * ceremony's transcript records the change), and rehearsal cards made on
 * a memory file system (card/rehearsal.h).  Nothing here is secret.
 */
#ifndef KR_APPLIANCE_H
#define KR_APPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#include "host/clock.h"
#include "host/removable.h"
#include "host/sysid.h"

#define KR_APPLIANCE_CARDS	5	/* rehearsal cards made at once */

struct kr_appliance_config {
	const char	*media_dir;	/* where a stick is mounted */
	const char	*cards_dir;	/* rehearsal cards go here; NULL */
	const char	*module;	/* SoftHSM2 for them; NULL: default */
};

struct kr_appliance;

/*
 * Reads the identity and scans the media; the strings of cfg must outlive
 * *ap.  A damaged identity is kept as a fact (kr_appliance_sysid_error),
 * not a failure.  Returns 0 or KR_ERR_NOMEM; *ap set only on success.
 */
int	kr_appliance_new(const struct kr_appliance_config *cfg,
	    struct kr_appliance **ap);

/* NULL-safe.  Leaves a mounted stick mounted. */
void	kr_appliance_free(struct kr_appliance *a);

/* The image's identity, and why it could not be read ("" if it could). */
const struct kr_sysid	*kr_appliance_sysid(const struct kr_appliance *a);
const char		*kr_appliance_sysid_error(const struct kr_appliance *a);

/*
 * Lists the USB sticks and what is mounted at the media directory again.
 * Returns 0 or the error of the scan (the detail says what).
 */
int	kr_appliance_media_scan(struct kr_appliance *a);
size_t	kr_appliance_media_count(const struct kr_appliance *a);
const struct kr_removable *kr_appliance_media(const struct kr_appliance *a,
	    size_t i);
/* What the media directory holds, as of the last scan. */
const struct kr_removable_mount *kr_appliance_media_state(
	    const struct kr_appliance *a);

/*
 * Mounts stick i (of the last scan) at the media directory and scans
 * again; *read_only is 1 when it could only be mounted read-only.
 * Returns 0 or kr_removable_mount()'s error.
 */
int	kr_appliance_media_mount(struct kr_appliance *a, size_t i,
	    int *read_only);

/* Syncs and unmounts the media directory, then scans again. */
int	kr_appliance_media_unmount(struct kr_appliance *a);

/*
 * Sets the clock from text ("YYYY-MM-DD HH:MM:SS", UTC).  On the
 * appliance a time before the image was built is refused: it cannot be
 * right.  chg (may be NULL) receives the change.  Returns 0,
 * KR_ERR_FORMAT or KR_ERR_SYSTEM, the detail saying what to do.
 */
int	kr_appliance_clock_set(struct kr_appliance *a, const char *text,
	    struct kr_clock_change *chg);

/*
 * Makes KR_APPLIANCE_CARDS rehearsal cards in the cards directory and
 * points this process's SoftHSM2 at them ($SOFTHSM2_CONF), so that the
 * lobby and the next ceremony see them.  A frontend must release the
 * lobby's module first (kr_lobby_release).  summary receives one line
 * naming the cards and their PINs.  Returns 0, KR_ERR_INVALID_ARGUMENT
 * (no cards directory), KR_ERR_EXISTS (made already) or the rehearsal
 * module's error.
 */
int	kr_appliance_cards_make(struct kr_appliance *a, char *summary,
	    size_t len);

/* 1 when there is a cards directory to make rehearsal cards in. */
int	kr_appliance_cards_possible(const struct kr_appliance *a);

#endif /* KR_APPLIANCE_H */
