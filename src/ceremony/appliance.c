/*
 * appliance.c: identity, USB sticks, clock and rehearsal cards for a
 * frontend on the appliance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "card/rehearsal.h"
#include "appliance.h"

struct kr_appliance {
	struct kr_appliance_config	 cfg;
	struct kr_sysid			 id;
	char				 id_error[256];
	struct kr_removable		 sticks[KR_REMOVABLE_MAX];
	size_t				 nsticks;
	struct kr_removable_mount	 state;
};

int
kr_appliance_new(const struct kr_appliance_config *cfg,
    struct kr_appliance **ap)
{
	struct kr_appliance *a;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "appliance");
	a->cfg = *cfg;
	if (kr_sysid_read(NULL, &a->id) != 0)
		snprintf(a->id_error, sizeof(a->id_error), "%s",
		    kr_err_detail());
	(void)kr_appliance_media_scan(a);
	kr_err_clear();
	*ap = a;
	return 0;
}

void
kr_appliance_free(struct kr_appliance *a)
{
	free(a);
}

const struct kr_sysid *
kr_appliance_sysid(const struct kr_appliance *a)
{
	return &a->id;
}

const char *
kr_appliance_sysid_error(const struct kr_appliance *a)
{
	return a->id_error;
}

int
kr_appliance_media_scan(struct kr_appliance *a)
{
	int r;

	a->nsticks = 0;
	memset(&a->state, 0, sizeof(a->state));
	if ((r = kr_removable_list("/", a->sticks, KR_REMOVABLE_MAX,
	    &a->nsticks)) != 0)
		return r;
	if (a->cfg.media_dir == NULL)
		return 0;
	return kr_removable_status("/", a->cfg.media_dir, &a->state);
}

size_t
kr_appliance_media_count(const struct kr_appliance *a)
{
	return a->nsticks;
}

const struct kr_removable *
kr_appliance_media(const struct kr_appliance *a, size_t i)
{
	return i < a->nsticks ? &a->sticks[i] : NULL;
}

const struct kr_removable_mount *
kr_appliance_media_state(const struct kr_appliance *a)
{
	return &a->state;
}

int
kr_appliance_media_mount(struct kr_appliance *a, size_t i, int *read_only)
{
	int r;

	*read_only = 0;
	if (a->cfg.media_dir == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no media directory:"
		    " start keyrite with --media DIR");
	if (i >= a->nsticks)
		return kr_err_set(KR_ERR_NOT_FOUND, "that USB stick is gone: "
		    "look at the list again");
	r = kr_removable_mount(&a->sticks[i], a->cfg.media_dir, read_only);
	(void)kr_appliance_media_scan(a);
	return r;
}

int
kr_appliance_media_unmount(struct kr_appliance *a)
{
	char detail[1024];
	int r;

	if (a->cfg.media_dir == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no media directory");
	r = kr_removable_unmount(a->cfg.media_dir, NULL);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	(void)kr_appliance_media_scan(a);
	if (r != 0)
		kr_err_set(r, "%s", detail);
	return r;
}

int
kr_appliance_clock_set(struct kr_appliance *a, const char *text,
    struct kr_clock_change *chg)
{
	char built[KR_CLOCK_TEXT_BYTES];
	int64_t t;
	int r;

	if ((r = kr_clock_parse(text, &t)) != 0)
		return r;
	if (a->id.appliance && t < a->id.source_date) {
		kr_clock_format(a->id.source_date, built, sizeof(built));
		return kr_err_set(KR_ERR_FORMAT, "this image was built on %s "
		    "UTC: a time before that cannot be right. Check the date "
		    "against a trusted watch", built);
	}
	return kr_clock_set(t, chg);
}

int
kr_appliance_cards_possible(const struct kr_appliance *a)
{
	return a->cfg.cards_dir != NULL;
}

int
kr_appliance_cards_make(struct kr_appliance *a, char *summary, size_t len)
{
	struct kr_rehearsal *rh = NULL;
	const char *first, *last;
	int r;

	if (a->cfg.cards_dir == NULL)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no directory for "
		    "rehearsal cards: start keyrite with --cards-dir DIR");
	if ((r = kr_rehearsal_create(a->cfg.cards_dir, a->cfg.module,
	    KR_APPLIANCE_CARDS, &rh)) != 0)
		return r;
	if (setenv("SOFTHSM2_CONF", rh->conf, 1) != 0) {
		r = kr_err_errno(KR_ERR_SYSTEM, "setting $SOFTHSM2_CONF");
		goto out;
	}
	first = rh->cards[0].label;
	last = rh->cards[rh->ncards - 1].label;
	snprintf(summary, len, "Made %zu rehearsal cards, %s to %s, with PINs "
	    "%s to %s (published: rehearsal only).", rh->ncards, first, last,
	    rh->cards[0].pin, rh->cards[rh->ncards - 1].pin);
	r = 0;
 out:
	kr_rehearsal_free(rh);
	return r;
}
