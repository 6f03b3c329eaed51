/*
 * clean.c: rolling interrupted ceremonies forward or back (see clean.h).
 *
 * The only question ever asked is the one the commit point answers: is
 * the ceremony's transcript sealed?  Sealed, everything it staged is
 * published, because the transcript already vouches for it.  Intact but
 * unsealed, nothing it made may be used: its staging is removed and its
 * shares deleted from any card presented.  Anything else (no transcript on
 * the media given, or one that does not verify) is left exactly as found
 * and reported, because guessing could lose a key or publish what nobody
 * vouches for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/hex.h"
#include "clean.h"
#include "host/media.h"
#include "lineage.h"
#include "record/transcript.h"

#define TRANSCRIPT_MAX	(64 * 1024 * 1024)

const char *
kr_clean_state_name(enum kr_clean_state s)
{
	switch (s) {
	case KR_CLEAN_COMMITTED:
		return "committed";
	case KR_CLEAN_FAILED:
		return "failed";
	case KR_CLEAN_DAMAGED:
		return "damaged";
	case KR_CLEAN_UNKNOWN:
		break;
	}
	return "unknown";
}

enum kr_clean_state
kr_clean_state_of(const char *const *dirs, size_t ndirs, const char *id,
    char *path, size_t pathlen)
{
	struct kr_transcript_summary *sum;
	char p[4400];
	size_t i;
	int r;

	if (path != NULL && pathlen > 0)
		path[0] = '\0';
	for (i = 0; i < ndirs; i++) {
		snprintf(p, sizeof(p), "%s/transcript-%s.txt", dirs[i], id);
		if (access(p, F_OK) != 0)
			continue;
		if (path != NULL)
			snprintf(path, pathlen, "%s", p);
		if ((sum = calloc(1, sizeof(*sum))) == NULL)
			return KR_CLEAN_DAMAGED;
		r = kr_transcript_verify_file(p, NULL, 0, sum);
		free(sum);
		if (r == 0)
			return KR_CLEAN_COMMITTED;
		return r == KR_ERR_TRANSCRIPT_UNSEALED ? KR_CLEAN_FAILED :
		    KR_CLEAN_DAMAGED;
	}
	return KR_CLEAN_UNKNOWN;
}

static struct kr_clean_action *
add(struct kr_clean_report *rep, const char *dir, const char *id,
    const char *ceremony, enum kr_clean_state state, const char *done)
{
	struct kr_clean_action *a;

	if ((a = reallocarray(rep->a, rep->n + 1, sizeof(*a))) == NULL)
		return NULL;
	rep->a = a;
	a = &rep->a[rep->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->dir, sizeof(a->dir), "%s", dir);
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->ceremony, sizeof(a->ceremony), "%s", ceremony);
	a->state = state;
	a->done = done;
	if (strcmp(done, "left") == 0)
		rep->left++;
	return a;
}

void
kr_clean_report_free(struct kr_clean_report *rep)
{
	free(rep->a);
	memset(rep, 0, sizeof(*rep));
}

/* Appends one record to the failed ceremony's own transcript at path. */
static int
record_in(const char *path, const char *event, const struct kr_fact *f,
    size_t n)
{
	struct kr_transcript_summary *sum = NULL;
	struct kr_transcript *t = NULL;
	int r;

	if ((sum = calloc(1, sizeof(*sum))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcript %s", path);
	if ((r = kr_transcript_reopen(path, &t, sum)) == 0)
		r = kr_transcript_append(t, event, "engine", f, n, NULL);
	kr_transcript_close(t);
	free(sum);
	return r;
}

/* Publishes a committed ceremony's staging in dir, transcript first. */
static int
roll_forward(const char *dir, const char *id, const char *tpath)
{
	char mine[4400], name[128], *text = NULL;
	size_t len = 0;
	int r;

	snprintf(name, sizeof(name), "transcript-%s.txt", id);
	snprintf(mine, sizeof(mine), "%s/%s", dir, name);
	if (access(mine, F_OK) != 0) {
		if ((r = kr_media_read(tpath, TRANSCRIPT_MAX, &text, &len,
		    NULL)) != 0 ||
		    (r = kr_media_stage_into(dir, id, name, text, len)) != 0)
			goto out;
	}
	r = kr_media_publish_staging(dir, id);
 out:
	free(text);
	return r;
}

static int
clean_staging(const char *const *dirs, size_t ndirs, const char *dir,
    const struct kr_media_leftover *l, const char *by,
    struct kr_clean_report *rep)
{
	struct kr_clean_action *a;
	enum kr_clean_state st;
	char tpath[4400];
	int r;

	if (l->in_use)
		return 0;
	if (l->id[0] == '\0') {
		if ((a = add(rep, dir, "", "", KR_CLEAN_UNKNOWN, "left")) ==
		    NULL)
			return kr_err_set(KR_ERR_NOMEM, "cleaning");
		snprintf(a->what, sizeof(a->what), "%s", l->name);
		snprintf(a->why, sizeof(a->why), "%s/%s is not named after a "
		    "ceremony id; look at it and remove it by hand", dir,
		    l->name);
		return 0;
	}
	st = kr_clean_state_of(dirs, ndirs, l->id, tpath, sizeof(tpath));
	if ((a = add(rep, dir, l->id, l->ceremony, st, "left")) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "cleaning");
	snprintf(a->what, sizeof(a->what), "%s", l->files);
	switch (st) {
	case KR_CLEAN_COMMITTED:
		if ((r = roll_forward(dir, l->id, tpath)) != 0) {
			snprintf(a->why, sizeof(a->why), "%s", kr_err_detail());
			return 0;
		}
		a->done = "published";
		rep->left--;
		return 0;
	case KR_CLEAN_FAILED:
		if ((r = kr_media_remove_staging(dir, l->id)) != 0) {
			snprintf(a->why, sizeof(a->why), "%s", kr_err_detail());
			return 0;
		}
		a->done = "removed";
		rep->left--;
		{
			struct kr_fact f[] = { { "medium", dir },
			    { "removed", l->files[0] ? l->files : "nothing "
			    "staged yet" }, { "by", by } };

			if (record_in(tpath, "staging-removed", f, 3) != 0)
				snprintf(a->why, sizeof(a->why), "removed, but "
				    "not recorded in %.300s: %.150s", tpath,
				    kr_err_detail());
		}
		return 0;
	case KR_CLEAN_DAMAGED:
		snprintf(a->why, sizeof(a->why), "its transcript %.400s does not "
		    "verify (keyrite verify says why); nothing was touched",
		    tpath);
		return 0;
	case KR_CLEAN_UNKNOWN:
		break;
	}
	snprintf(a->why, sizeof(a->why), "transcript-%s.txt is not on the "
	    "media given: give the medium that holds it too, so that keyrite "
	    "can tell whether the ceremony completed", l->id);
	return 0;
}

/* ".keyrite-tmp-<id>-transcript" -> id; "" for other temporary names. */
static void
temp_id(const char *name, char *id, size_t idlen)
{
	const char *p = name + strlen(KR_MEDIA_TEMP_PREFIX);
	const char *end = strstr(p, "-transcript");

	id[0] = '\0';
	if (end != NULL && end[11] == '\0' && (size_t)(end - p) < idlen)
		snprintf(id, idlen, "%.*s", (int)(end - p), p);
}

/*
 * A temporary file never became an output (outputs are linked from their
 * temporary in one step), so it can always go; it is recorded where its
 * ceremony is known to have failed.
 */
static int
clean_temp(const char *const *dirs, size_t ndirs, const char *dir,
    const struct kr_media_leftover *l, const char *by,
    struct kr_clean_report *rep)
{
	struct kr_clean_action *a;
	enum kr_clean_state st = KR_CLEAN_UNKNOWN;
	char id[KR_MEDIA_ID_MAX + 1], tpath[4400] = "";

	temp_id(l->name, id, sizeof(id));
	if (id[0] != '\0')
		st = kr_clean_state_of(dirs, ndirs, id, tpath, sizeof(tpath));
	if ((a = add(rep, dir, id, "", st, "left")) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "cleaning");
	snprintf(a->what, sizeof(a->what), "%s", l->name);
	if (kr_media_remove_temp(dir, l->name) != 0) {
		snprintf(a->why, sizeof(a->why), "%s", kr_err_detail());
		return 0;
	}
	a->done = "removed";
	rep->left--;
	if (st == KR_CLEAN_FAILED) {
		struct kr_fact f[] = { { "medium", dir },
		    { "removed", l->name }, { "by", by } };

		(void)record_in(tpath, "staging-removed", f, 3);
	}
	return 0;
}

int
kr_clean_media(const char *const *dirs, size_t ndirs, const char *by,
    struct kr_clean_report *rep)
{
	struct kr_media_leftover *l = NULL;
	size_t n = 0, i, j;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < ndirs && r == 0; i++) {
		if ((r = kr_media_leftovers(dirs[i], &l, &n)) != 0)
			break;
		for (j = 0; j < n && r == 0; j++)
			r = l[j].kind == 's' ? clean_staging(dirs, ndirs,
			    dirs[i], &l[j], by, rep) : clean_temp(dirs, ndirs,
			    dirs[i], &l[j], by, rep);
		free(l);
		l = NULL;
	}
	if (r == 0 && rep->left > 0) {
		for (i = 0; i < rep->n; i++)
			if (strcmp(rep->a[i].done, "left") == 0)
				break;
		r = kr_err_set(KR_ERR_MEDIA, "%s: %s%s", rep->a[i].dir,
		    rep->a[i].why, rep->left > 1 ? " (and more: see keyrite "
		    "clean)" : "");
	}
	return r;
}

/*
 * Why a share of a committed ceremony no longer counts, from the sealed
 * transcripts on the media: its key was destroyed, or a reshare retired
 * it.  Returns NULL when it still counts.
 */
static const char *
retired(const struct kr_lineage *lin, const struct kr_token_share *sh,
    char *why, size_t whylen)
{
	const struct kr_lineage_event *ev;

	if ((ev = kr_lineage_destroyed(lin, sh->key_id)) != NULL) {
		snprintf(why, whylen, "its key was destroyed by ceremony %s "
		    "(%s)", ev->ceremony, ev->when);
		return why;
	}
	if (sh->ceremony[0] != '\0' && (ev = kr_lineage_retired(lin,
	    sh->key_id, sh->ceremony)) != NULL) {
		snprintf(why, whylen, "its package was superseded by reshare "
		    "%s (%s), whose package is %.128s", ev->ceremony, ev->when,
		    ev->new_name);
		return why;
	}
	return NULL;
}

/* Deletes one share written by a failed ceremony; recorded there. */
static void
delete_failed(struct kr_token_session *s, const struct kr_token_info *info,
    const struct kr_token_share *sh, const char *tpath, const char *key,
    const char *by, struct kr_clean_report *rep, struct kr_clean_action *a)
{
	char x[8];

	if (kr_token_delete_share_of(s, sh->key_id, sh->ceremony) != 0) {
		snprintf(a->why, sizeof(a->why), "%s", kr_err_detail());
		return;
	}
	a->done = "removed";
	rep->left--;
	snprintf(x, sizeof(x), "%u", sh->x);
	{
		struct kr_fact f[] = { { "card", info->label },
		    { "serial", info->serial }, { "key", key },
		    { "x", x }, { "by", by } };

		if (record_in(tpath, "pending-share-deleted", f, 5) != 0)
			snprintf(a->why, sizeof(a->why), "deleted, but not "
			    "recorded in %.300s: %.150s", tpath,
			    kr_err_detail());
	}
}

/* One share on the card: kept, deleted, or left and reported. */
static int
clean_share(struct kr_token_session *s, const struct kr_token_info *info,
    const struct kr_token_share *sh, const struct kr_lineage *lin,
    const char *const *dirs, size_t ndirs, const char *by,
    struct kr_clean_report *rep)
{
	struct kr_clean_action *a;
	enum kr_clean_state st = KR_CLEAN_COMMITTED;
	char tpath[4400] = "", key[33], name[KR_TOKEN_NAME_MAX], why[400];
	const char *gone;

	kr_token_name(info, name, sizeof(name));
	kr_hex_encode(sh->key_id, sizeof(sh->key_id), key, sizeof(key));
	if (sh->ceremony[0] != '\0')
		st = kr_clean_state_of(dirs, ndirs, sh->ceremony, tpath,
		    sizeof(tpath));
	gone = st == KR_CLEAN_COMMITTED || sh->ceremony[0] == '\0' ?
	    retired(lin, sh, why, sizeof(why)) : NULL;
	if ((st == KR_CLEAN_COMMITTED || sh->ceremony[0] == '\0') &&
	    gone == NULL)
		return 0;
	if ((a = add(rep, "", sh->ceremony, "", st, "left")) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "cleaning");
	snprintf(a->what, sizeof(a->what), "%s: share %u of key %s", name,
	    sh->x, key);
	if (gone != NULL) {
		/* Roll forward: the sealed transcript retired it already. */
		snprintf(a->why, sizeof(a->why), "%s", gone);
		if (kr_token_delete_share_of(s, sh->key_id, sh->ceremony) != 0) {
			snprintf(a->why, sizeof(a->why), "%.300s; deleting "
			    "it failed: %.150s", gone, kr_err_detail());
			return 0;
		}
		a->done = "removed";
		rep->left--;
		return 0;
	}
	if (st != KR_CLEAN_FAILED) {
		snprintf(a->why, sizeof(a->why), "the ceremony that wrote it "
		    "is %s on the media given; the share was kept",
		    kr_clean_state_name(st));
		return 0;
	}
	delete_failed(s, info, sh, tpath, key, by, rep, a);
	return 0;
}

int
kr_clean_card(struct kr_token_session *s, const struct kr_token_info *info,
    const char *const *dirs, size_t ndirs, const char *by,
    struct kr_clean_report *rep)
{
	struct kr_token_share *sh = NULL;
	struct kr_lineage lin;
	size_t n = 0, i;
	int r;

	memset(&lin, 0, sizeof(lin));
	if ((r = kr_token_read_shares(s, NULL, &sh, &n)) != 0)
		return r;
	if ((r = kr_lineage_scan(dirs, ndirs, &lin)) != 0)
		goto out;
	for (i = 0; i < n && r == 0; i++)
		r = clean_share(s, info, &sh[i], &lin, dirs, ndirs, by, rep);
 out:
	kr_lineage_free(&lin);
	kr_token_shares_free(sh, n);
	return r;
}
