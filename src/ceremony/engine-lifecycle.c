/*
 * engine-lifecycle.c: a key's life after it is made: rotation (the
 * cryptoperiod check every use of a key goes through, and the drill
 * interval), the package's history on the media (superseded, destroyed),
 * the reshare's retirement of the old shares, key-destroy and card-check.
 *
 * A reshare commits like every ceremony, at its seal (docs/architecture.md,
 * "The commit point"): its new shares are pending until then, and the old
 * package and old shares stay valid until then, so that whatever stops it
 * the old quorum still opens the key.  Deleting old shares cannot come
 * before the seal (a kill half-way through the deletions would leave
 * neither quorum), so it is the seal's roll-forward, like publishing: the
 * transcript records before the seal which shares are retired
 * (share-retiring), and after it the engine deletes them from the old
 * cards presented; `keyrite clean --pins` finishes on cards presented
 * later, and every ceremony that meets such a card deletes the share and
 * records it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/share.h"
#include "engine-int.h"
#include "host/media.h"

#define CP_WARN_DAYS	90
#define MAX_CARDS	64
#define MAX_COPIES	32

/* --- rotation ------------------------------------------------------------ */

static const char *
use_word(enum kr_engine_use use)
{
	switch (use) {
	case KR_ENGINE_USE_SIGN:
		return "sign";
	case KR_ENGINE_USE_CRL:
		return "crl";
	case KR_ENGINE_USE_MAINTAIN:
		break;
	}
	return "maintain";
}

int
kr_engine_cryptoperiod_check(struct kr_engine *e, enum kr_engine_use use)
{
	const struct kr_escrow *p = e->old_escrow ? e->old_escrow : e->escrow;
	char end_text[21], days[32], id[17];
	time_t start, end, now = kr_engine_now(e);
	long long left;
	int r;

	if (p == NULL)
		return 0;
	if ((r = kr_escrow_cryptoperiod(p, e->pclass ?
	    e->pclass->cryptoperiod_days : 0, &start, &end)) != 0)
		return r;
	if (end - now >= (time_t)CP_WARN_DAYS * 86400)
		return 0;
	kr_escrow_time_format(end, end_text);
	kr_hex_encode(p->key_id, 8, id, sizeof(id));
	/* A day begun counts as left; after the end, whole days gone. */
	left = end > now ? ((long long)(end - now) + 86399) / 86400 :
	    -((long long)(now - end) / 86400);
	snprintf(days, sizeof(days), "%lld", left);
	if (now >= end && use == KR_ENGINE_USE_SIGN) {
		struct kr_fact f[] = { { "end", end_text }, { "use", "sign" },
		    { "action", "refused" } };

		(void)kr_engine_record(e, "cryptoperiod-ended", "engine", f, 3);
		return kr_err_set(KR_ERR_CRYPTOPERIOD_ENDED, "%s: the "
		    "cryptoperiod of key %s... ended on %s, %lld days ago: it "
		    "signs nothing new. CRLs can still be issued with it, and "
		    "it can be reshared or destroyed; make its successor "
		    "(docs/policy.md, Rotation)", p->source, id, end_text,
		    -left);
	}
	/* Before the ceremony starts only a refusal is said; load-escrow
	 * shows and records the rest. */
	if (e->tr == NULL)
		return 0;
	if (now >= end)
		kr_engine_notice(e, "the cryptoperiod of key %s... ended on "
		    "%s, %lld days ago: this %s is allowed, but the key signs "
		    "nothing new", id, end_text, -left, use == KR_ENGINE_USE_CRL ?
		    "CRL" : "ceremony");
	else
		kr_engine_notice(e, "the cryptoperiod of key %s... ends on %s, "
		    "in %lld days: plan its successor; after that date it "
		    "signs nothing new", id, end_text, left);
	if (e->cp_recorded)
		return 0;
	e->cp_recorded = 1;
	{
		struct kr_fact f[] = { { "end", end_text },
		    { "days-left", days }, { "use", use_word(use) },
		    { "action", "allowed" } };

		return kr_engine_record(e, "cryptoperiod-warning", "engine", f,
		    4);
	}
}

/* --- the package's history on the media ---------------------------------- */

/* Whether the file name on the first medium has SHA-256 sha. */
static int
present(struct kr_engine *e, const char *name, const uint8_t sha[32])
{
	uint8_t got[32];
	char path[4096], *text = NULL;
	size_t len = 0;
	int r;

	if (kr_media_path(e->media, 0, name, path, sizeof(path)) != 0)
		return 0;
	r = kr_media_read(path, 1u << 20, &text, &len, got);
	free(text);
	kr_err_clear();
	return r == 0 && memcmp(got, sha, 32) == 0;
}

int
kr_engine_preflight_lineage(struct kr_engine *e)
{
	const struct kr_lineage_event *ev, *next;
	const char *dirs[KR_MEDIA_MAX_DIRS];
	char hex[65];
	size_t i, n = kr_media_count(e->media), hops;
	int r;

	for (i = 0; i < n; i++)
		dirs[i] = kr_media_dir(e->media, i);
	kr_lineage_free(&e->lineage);
	if ((r = kr_lineage_scan(dirs, n, &e->lineage)) != 0)
		return r;
	if ((ev = kr_lineage_destroyed(&e->lineage, e->escrow->key_id)) !=
	    NULL)
		return kr_err_set(KR_ERR_KEY_DESTROYED, "%s: its key was "
		    "destroyed by ceremony %s on %s (%s): no package or share "
		    "of it may be used again", e->escrow->source, ev->ceremony,
		    ev->when, ev->path);
	if ((ev = kr_lineage_successor(&e->lineage, e->escrow_sha256)) ==
	    NULL)
		return 0;
	/* The newest package of the key: a reshare of a reshare. */
	for (hops = 0; hops < 64 && (next = kr_lineage_successor(&e->lineage,
	    ev->new_sha256)) != NULL; hops++)
		ev = next;
	kr_hex_encode(ev->new_sha256, 32, hex, sizeof(hex));
	return kr_err_set(KR_ERR_ESCROW_SUPERSEDED, "%s was superseded by "
	    "reshare %s on %s: its shares were retired. Use the current "
	    "package, %s (sha256 %.16s...), %s", e->escrow->source,
	    ev->ceremony, ev->when, ev->new_name, hex, present(e,
	    ev->new_name, ev->new_sha256) ? "which is on the media: set the "
	    "escrow parameter to its name" : "which is not on the media "
	    "given: bring a copy of it");
}

int
kr_engine_record_drill(struct kr_engine *e)
{
	const struct kr_lineage_event *last;
	char interval[16], since[32];
	time_t t, now = kr_engine_now(e);
	long long days = -1;
	int due;

	if (e->escrow == NULL || e->pclass == NULL ||
	    e->pclass->drill_interval_days == 0)
		return 0;
	last = kr_lineage_last_recovery(&e->lineage, e->escrow->key_id);
	/* Never drilled: the interval runs from the key's making. */
	if (kr_escrow_time_parse(last ? last->when : e->escrow->created,
	    &t) == 0)
		days = (long long)(now - t) / 86400;
	due = days > (long long)e->pclass->drill_interval_days;
	snprintf(interval, sizeof(interval), "%u",
	    e->pclass->drill_interval_days);
	snprintf(since, sizeof(since), "%lld", days);
	if (due && last != NULL)
		kr_engine_notice(e, "a recovery drill of this key is overdue: "
		    "the last recovery on these media was %lld days ago (%s), "
		    "and the policy asks for one every %s days "
		    "(drill-interval-days)", days, last->when, interval);
	else if (due)
		kr_engine_notice(e, "a recovery drill of this key is overdue: "
		    "no recovery of it is on these media, and it was made %lld "
		    "days ago; the policy asks for one every %s days "
		    "(drill-interval-days)", days, interval);
	{
		struct kr_fact f[] = { { "last-recovery", last ? last->when :
		    "none on these media" }, { "by", last ? last->ceremony :
		    "-" }, { "days-since", since },
		    { "drill-interval-days", interval },
		    { "drill-due", due ? "yes" : "no" } };

		return kr_engine_record(e, "drill-status", "engine", f, 5);
	}
}

/* --- reshare ------------------------------------------------------------- */

int
kr_engine_record_supersedes(struct kr_engine *e, const char *name,
    const uint8_t sha256[32])
{
	const struct kr_escrow *old = e->old_escrow;
	char key[65], oldsha[65], newsha[65], set[33], x[8];
	size_t i;
	int r;

	kr_hex_encode(e->escrow->key_id, 32, key, sizeof(key));
	kr_hex_encode(e->old_escrow_sha256, 32, oldsha, sizeof(oldsha));
	kr_hex_encode(sha256, 32, newsha, sizeof(newsha));
	kr_hex_encode(e->escrow->set_id, 16, set, sizeof(set));
	{
		struct kr_fact f[] = { { "key-id", key },
		    { "superseded-sha256", oldsha },
		    { "superseded-ceremony", old->transcript_id },
		    { "package", name }, { "package-sha256", newsha },
		    { "share-set", set },
		    { "takes-effect", "at the seal of this transcript" } };

		if ((r = kr_engine_record(e, "escrow-superseded", "engine", f,
		    7)) != 0)
			return r;
	}
	for (i = 0; i < old->n; i++) {
		struct kr_fact f[] = { { "x", x },
		    { "card", old->roster[i].card },
		    { "serial", old->roster[i].serial },
		    { "written-by", old->transcript_id },
		    { "deleted", "after the seal, from each old card "
		    "presented; keyrite clean --pins deletes it later" } };

		snprintf(x, sizeof(x), "%zu", i + 1);
		if ((r = kr_engine_record(e, "share-retiring", "engine", f,
		    5)) != 0)
			return r;
	}
	return 0;
}

/* One old card presented after the seal: its retired share deleted. */
static int
retire_card(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info)
{
	const struct kr_escrow *old = e->old_escrow;
	struct kr_token_share *sh = NULL;
	char name[KR_TOKEN_NAME_MAX];
	size_t n = 0, i;
	unsigned int x = 0;
	int r;

	kr_token_name(info, name, sizeof(name));
	if ((r = kr_token_read_shares(s, old->key_id, &sh, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (strcmp(sh[i].ceremony, old->transcript_id) == 0)
			x = sh[i].x;
	kr_token_shares_free(sh, n);
	if (x == 0) {
		kr_engine_notice(e, "%s holds no share retired by this "
		    "reshare; nothing was deleted", name);
		return 0;
	}
	if ((r = kr_token_delete_share_of(s, old->key_id,
	    old->transcript_id)) != 0)
		return r;
	kr_engine_notice(e, "%s: its old share (x=%u, written by %s) was "
	    "deleted", name, x, old->transcript_id);
	return 1;
}

int
kr_engine_retire_on(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info)
{
	size_t i;
	int r;

	if (e->old_escrow == NULL || !kr_transcript_sealed(e->tr))
		return 0;
	for (i = 0; i < e->old_escrow->n; i++)
		if (strcmp(e->old_escrow->roster[i].serial, info->serial) == 0)
			break;
	if (i == e->old_escrow->n)
		return 0;	/* a new custodian's card: nothing old on it */
	e->rolling_forward = 1;
	if ((r = retire_card(e, s, info)) < 0)
		kr_engine_notice(e, "%s; the card's old share stays until "
		    "keyrite clean --pins deletes it", kr_err_detail());
	return r;
}

/* Whether every card of the old roster was dealt with while co-signing. */
static int
all_retired(const struct kr_engine *e)
{
	const struct kr_escrow *old = e->old_escrow;
	size_t i, j;

	for (i = 0; i < old->n; i++) {
		for (j = 0; j < e->ncosigners; j++)
			if (e->cosigners[j].retired &&
			    strcmp(e->cosigners[j].serial,
			    old->roster[i].serial) == 0)
				break;
		if (j == e->ncosigners)
			return 0;
	}
	return 1;
}

void
kr_engine_retire_old_shares(struct kr_engine *e)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	char used[MAX_CARDS][17], id[64];
	size_t k, nused = 0, retired = 0, deleted = 0;
	int r;

	if (e->old_escrow == NULL)
		return;
	e->rolling_forward = 1;
	/* The cards that co-signed had their old shares deleted then. */
	for (k = 0; k < e->ncosigners && nused < MAX_CARDS; k++) {
		if (e->cosigners[k].retired)
			snprintf(used[nused++], sizeof(used[0]), "%s",
			    e->cosigners[k].serial);
		if (e->cosigners[k].retired == 2)
			retired++;
	}
	if (all_retired(e)) {
		kr_engine_notice(e, "The reshare is sealed: %zu old share%s "
		    "deleted as the cards co-signed; every card of the old "
		    "roster is done.", retired, retired == 1 ? "" : "s");
		return;
	}
	kr_engine_notice(e, "The reshare is sealed: the new shares count, the "
	    "old ones are retired. Old custodians whose cards did not "
	    "co-sign, present your cards now so that the old shares are "
	    "deleted; say no more cards when done.");
	for (k = 1; k <= MAX_CARDS; k++) {
		snprintf(id, sizeof(id), "retire.card.%zu", k);
		memset(&info, 0, sizeof(info));
		r = kr_engine_card(e, id, NULL, NULL, used, nused, &s, &info);
		if (r == KR_ERR_ANSWER_MISSING || r == KR_ERR_ABORTED)
			break;
		if (r == 0) {
			if (nused < MAX_CARDS)
				snprintf(used[nused++], sizeof(used[0]), "%s",
				    info.serial);
			r = retire_card(e, s, &info);
			kr_token_close(s);
			s = NULL;
			if (r > 0)
				deleted++;
			if (r >= 0)
				continue;
		}
		kr_engine_notice(e, "%s; the card's old share stays until "
		    "keyrite clean --pins deletes it", kr_err_detail());
		if (!((r <= -1000 && r > -1100) || (r <= -500 && r > -600)))
			break;
	}
	kr_engine_notice(e, "%zu old share%s deleted (%zu as the cards "
	    "co-signed, %zu after). Any old share still on a card opens "
	    "nothing through keyrite wherever this transcript is on the "
	    "media, and keyrite cards --media marks it; keyrite clean --media "
	    "DIR --pins FILE deletes it", retired + deleted,
	    retired + deleted == 1 ? "" : "s", retired, deleted);
}

/* --- card-check: sealed by the custodian's card -------------------------- */

static int
card_signer(void *ctx, const uint8_t *msg, size_t len, uint8_t **sigp,
    size_t *siglenp)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];

	SHA256(msg, len, digest);
	return kr_token_custodian_sign(ctx, digest, sigp, siglenp);
}

int
kr_engine_seal_with_card(struct kr_engine *e)
{
	int r;

	r = kr_transcript_seal_signer(e->tr, e->seal_card_spki,
	    e->seal_card_spki_len, card_signer, e->seal_card);
	kr_engine_seal_card_close(e);
	return r;
}

void
kr_engine_seal_card_close(struct kr_engine *e)
{
	kr_token_close(e->seal_card);
	e->seal_card = NULL;
	free(e->seal_card_spki);
	e->seal_card_spki = NULL;
	e->seal_card_spki_len = 0;
}

/* The card's PIN and health as it reports them, for the record. */
static void
card_health(const struct kr_engine *e, const struct kr_token_info *t,
    char *pin, size_t pinlen, char *health, size_t hlen)
{
	unsigned int failed = 0;
	size_t i;

	for (i = 0; i < e->nbudgets; i++)
		if (strcmp(e->budgets[i].serial, t->serial) == 0)
			failed = e->budgets[i].budget.failed;
	snprintf(pin, pinlen, "%s; %u wrong here", t->pin_locked ? "LOCKED" :
	    t->pin_final_try ? "ONE TRY LEFT" : t->pin_count_low ?
	    "few tries left" : "no low-count flag", failed);
	snprintf(health, hlen, "%s, %s%s", t->initialized ? "initialised" :
	    "NOT INITIALISED", t->write_protected ? "write-protected" :
	    "writable", t->hw_slot ? ", hardware slot" : "");
}

/*
 * The one share of the package's split on the card, checked: checksum,
 * label against contents, commitment in the roster.  Returns 0 with *xp,
 * or a KR_ERR_SHARE_* error naming the card; result says it in a word.
 */
static int
check_share(struct kr_engine *e, struct kr_token_session *s,
    const char *name, unsigned int *xp, const char **result)
{
	const struct kr_escrow *p = e->escrow;
	struct kr_token_share *sh = NULL;
	struct kr_share *d = NULL;
	size_t n = 0, i, k = 0, at = 0;
	int r;

	*xp = 0;
	if ((r = kr_token_read_shares(s, p->key_id, &sh, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (sh[i].ceremony[0] == '\0' ||
		    strcmp(sh[i].ceremony, p->transcript_id) == 0) {
			k++;
			at = i;
		}
	if (n == 0) {
		*result = "no share of this key";
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_KEY, "%s holds no share of "
		    "the key in %s: it is another key's card, or its share is "
		    "gone", name, p->source);
		goto out;
	}
	if (k == 0) {
		*result = "another split";
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_SET, "%s holds a share of "
		    "this key written by ceremony %s, not by %s, which made "
		    "%s: a share a reshare retired, or one that never "
		    "committed (keyrite cards --media says which)", name,
		    sh[0].ceremony, p->transcript_id, p->source);
		goto out;
	}
	if (k > 1) {
		*result = "altered";
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "%s holds %zu shares of "
		    "this split, where keyrite writes one", name, k);
		goto out;
	}
	if ((d = kr_secmem_alloc(sizeof(*d))) == NULL) {
		r = KR_ERR_SECMEM_MLOCK;
		goto out;
	}
	*result = "damaged";
	if ((r = kr_share_decode(sh[at].value, sh[at].len, name, d)) != 0)
		goto out;
	if (d->x != sh[at].x || d->x == 0 || d->x > p->n ||
	    memcmp(d->key_id, sh[at].key_id, sizeof(d->key_id)) != 0) {
		*result = "mislabelled";
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "%s: the share inside "
		    "(x=%u) is not what its label says (x=%u)", name, d->x,
		    sh[at].x);
		goto out;
	}
	if ((r = kr_share_check(d, name, p->key_id, p->set_id,
	    p->roster[d->x - 1].commitment)) != 0) {
		*result = "not the package's";
		goto out;
	}
	if (!sh[at].is_private) {
		*result = "public object";
		r = kr_err_set(KR_ERR_SHARE_FORMAT, "%s: its share is readable "
		    "without the PIN; have it rewritten as a private object",
		    name);
		goto out;
	}
	*xp = d->x;
	*result = "ok";
	r = 0;
 out:
	kr_secmem_free(d, sizeof(*d));
	kr_token_shares_free(sh, n);
	return r;
}

/* The card's custodian key (made if absent), bound in the chain. */
static int
bind_custodian_key(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	char hex[65];
	int r, created = 0;

	if ((r = kr_token_custodian_key(s, 1, &e->seal_card_spki,
	    &e->seal_card_spki_len, &created)) != 0)
		return r;
	SHA256(e->seal_card_spki, e->seal_card_spki_len, md);
	kr_hex_encode(md, sizeof(md), hex, sizeof(hex));
	if (created)
		kr_engine_notice(e, "the card had no custodian key: keyrite "
		    "made one on it (keyrite-custodian, ECDSA P-256)");
	{
		struct kr_fact f[] = { { "card", info->label },
		    { "serial", info->serial }, { "key-id", hex } };

		return kr_engine_record(e, "custodian-key-bound", "engine", f,
		    3);
	}
}

/*
 * The card's custodian key must be the one the package enrolled with share
 * x (a package from before custodian keys has none to compare): a card
 * whose key changed co-signs nothing for this key.
 */
static int
check_enrolled_key(struct kr_engine *e, struct kr_token_session *s,
    const char *name, unsigned int x, const char **result)
{
	const struct kr_escrow_custodian *c;
	uint8_t md[SHA256_DIGEST_LENGTH], *spki = NULL;
	size_t len = 0;
	int r;

	if (x < 1 || x > e->escrow->n || !e->escrow->roster[x - 1].has_key)
		return 0;
	c = &e->escrow->roster[x - 1];
	if ((r = kr_token_custodian_key(s, 0, &spki, &len, NULL)) != 0) {
		*result = "custodian-key-missing";
		return r;
	}
	SHA256(spki, len, md);
	free(spki);
	if (memcmp(md, c->key_id, sizeof(md)) != 0) {
		*result = "custodian-key-changed";
		return kr_err_set(KR_ERR_TOKEN_CUSTODIAN_KEY, "%s's custodian "
		    "key is not the one the escrow package enrolled with share "
		    "%u: the card's key was replaced, so it can no longer "
		    "co-sign for this key; tell the administrator (a reshare "
		    "enrols the card again)", name, x);
	}
	return 0;
}

int
kr_engine_verb_check_card(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	char who[ENGINE_NAME_MAX + 1], name[KR_TOKEN_NAME_MAX], x[8];
	char pin[64], health[96], serial_ok[8];
	const char *result = "not read";
	unsigned int xv = 0;
	int r, rr;

	(void)st;
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "check-card: load-escrow "
		    "must come first");
	if ((r = kr_engine_ask_text(e, "check.custodian.name", "custodian",
	    "Card check", "Your name, custodian.", 1, who, sizeof(who))) != 0)
		return r;
	memset(&info, 0, sizeof(info));
	if ((r = kr_engine_card(e, "check.card", who, NULL, NULL, 0, &s,
	    &info)) != 0)
		return r;
	kr_token_name(&info, name, sizeof(name));
	if ((rr = check_share(e, s, name, &xv, &result)) == 0)
		rr = check_enrolled_key(e, s, name, xv, &result);
	card_health(e, kr_token_session_info(s), pin, sizeof(pin), health,
	    sizeof(health));
	snprintf(x, sizeof(x), "%u", xv);
	snprintf(serial_ok, sizeof(serial_ok), "%s", xv == 0 ? "-" :
	    strcmp(e->escrow->roster[xv - 1].serial, info.serial) == 0 ?
	    "yes" : "NO");
	{
		struct kr_fact f[] = { { "custodian", who },
		    { "card", info.label }, { "serial", info.serial },
		    { "x", x }, { "share", result },
		    { "serial-as-in-package", serial_ok },
		    { "pin", pin }, { "health", health },
		    { "detail", rr ? kr_err_detail() : "checksum, label and "
		    "commitment good" } };

		if ((r = kr_engine_record(e, "card-checked", "custodian", f,
		    9)) != 0)
			goto out;
	}
	if (rr != 0) {
		r = rr;
		goto out;
	}
	if (strcmp(serial_ok, "yes") != 0)
		kr_engine_notice(e, "%s holds share %u, which the package "
		    "records on the card with serial %s: the card was replaced "
		    "or re-initialised; tell the administrator", name, xv,
		    e->escrow->roster[xv - 1].serial);
	kr_engine_notice(e, "%s: share %u of %u is good (checksum, label, "
	    "commitment); PIN: %s; card: %s", name, xv, e->escrow->n, pin,
	    health);
	if ((r = bind_custodian_key(e, s, &info)) != 0)
		goto out;
	e->seal_card = s;
	e->seal_card_info = info;
	s = NULL;
	r = 0;
 out:
	kr_token_close(s);
	return r;
}

/* --- key-destroy ----------------------------------------------------------- */

/* Deletes every share of the key on one card; records each. */
static int
destroy_card(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info, size_t *deleted, uint8_t *gone)
{
	struct kr_token_share *sh = NULL;
	char x[8], name[KR_TOKEN_NAME_MAX];
	size_t n = 0, i;
	int r;

	kr_token_name(info, name, sizeof(name));
	if ((r = kr_token_read_shares(s, e->escrow->key_id, &sh, &n)) != 0)
		return r;
	if (n == 0) {
		r = kr_err_set(KR_ERR_SHARE_FOREIGN_KEY, "%s holds no share of "
		    "this key: nothing to delete", name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = kr_token_delete_share_of(s, e->escrow->key_id,
		    sh[i].ceremony)) != 0)
			goto out;
		snprintf(x, sizeof(x), "%u", sh[i].x);
		if (strcmp(sh[i].ceremony, e->escrow->transcript_id) == 0 ||
		    sh[i].ceremony[0] == '\0')
			gone[sh[i].x] = 1;
		(*deleted)++;
		kr_engine_notice(e, "%s: share %u deleted", name, sh[i].x);
		{
			struct kr_fact f[] = { { "card", info->label },
			    { "serial", info->serial }, { "x", x },
			    { "written-by", sh[i].ceremony[0] ?
			    sh[i].ceremony : "(not named)" },
			    { "confirmed", "gone from the card" } };

			if ((r = kr_engine_record(e, "share-destroyed",
			    "custodian", f, 5)) != 0)
				goto out;
		}
	}
	r = 0;
 out:
	kr_token_shares_free(sh, n);
	return r;
}

/* What was not deleted, from the package's roster. */
static void
not_deleted(const struct kr_escrow *p, const uint8_t *gone, char *out,
    size_t outlen, unsigned int *left)
{
	size_t i, used = 0;

	out[0] = '\0';
	*left = 0;
	for (i = 0; i < p->n && used < outlen; i++) {
		if (gone[i + 1])
			continue;
		(*left)++;
		used += (size_t)snprintf(out + used, outlen - used, "%sx=%zu "
		    "card %s serial %s", used ? "; " : "", i + 1,
		    p->roster[i].card, p->roster[i].serial);
	}
	if (*left == 0)
		snprintf(out, outlen, "none");
}

int
kr_engine_verb_destroy_shares(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	char used[MAX_CARDS][17], id[64], left[2048], key[65], count[16];
	char remain[16], below[8];
	uint8_t gone[256];
	size_t k, nused = 0, deleted = 0;
	unsigned int nleft;
	int r;

	(void)st;
	if (e->escrow == NULL || e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "destroy-shares: the "
		    "key must be recovered and proven first (recover, "
		    "prove-key): only its custodians may destroy it");
	memset(gone, 0, sizeof(gone));
	for (k = 1; k <= MAX_CARDS; k++) {
		snprintf(id, sizeof(id), "destroy.card.%zu", k);
		memset(&info, 0, sizeof(info));
		r = kr_engine_card(e, id, NULL, NULL, used, nused, &s, &info);
		if (r == KR_ERR_ANSWER_MISSING)
			break;
		if (r == 0) {
			snprintf(used[nused++], sizeof(used[0]), "%s",
			    info.serial);
			r = destroy_card(e, s, &info, &deleted, gone);
			kr_token_close(s);
			s = NULL;
		}
		if (r == 0)
			continue;
		if (!((r <= -1000 && r > -1100) || (r <= -500 && r > -600)))
			return r;
		kr_engine_notice(e, "%s; present the next card", kr_err_detail());
		{
			struct kr_fact f[] = { { "card", info.label[0] ?
			    info.label : "(not identified)" },
			    { "serial", info.serial },
			    { "reason", kr_strerror(r) },
			    { "detail", kr_err_detail() } };

			if ((r = kr_engine_record(e, "card-refused", "engine",
			    f, 4)) != 0)
				return r;
		}
	}
	not_deleted(e->escrow, gone, left, sizeof(left), &nleft);
	kr_hex_encode(e->escrow->key_id, 32, key, sizeof(key));
	snprintf(count, sizeof(count), "%zu", deleted);
	snprintf(remain, sizeof(remain), "%u", nleft);
	snprintf(below, sizeof(below), "%s", nleft < e->escrow->m ? "yes" :
	    "NO");
	if (nleft >= e->escrow->m)
		kr_engine_notice(e, "%u shares were not deleted, as many as the "
		    "threshold (%u) or more: with a copy of the package those "
		    "cards could still recover the key. Destroy every copy of "
		    "the package, and delete those shares when the cards are "
		    "found (keyrite clean --pins)", nleft, e->escrow->m);
	{
		struct kr_fact f[] = { { "key-id", key },
		    { "package", e->escrow_name },
		    { "shares-deleted", count }, { "shares-not-deleted",
		    remain }, { "not-deleted", left },
		    { "below-threshold", below } };

		return kr_engine_record(e, "key-destroyed", "engine", f, 6);
	}
}

int
kr_engine_verb_attest_copies(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_prompt p;
	struct kr_answer a;
	char id[64], where[ENGINE_TEXT_MAX + 1], text[512], remaining[2048];
	char ndestroyed[16];
	size_t j, destroyed = 0, used = 0;
	int r, yes;

	(void)st;
	remaining[0] = '\0';
	for (j = 1; j <= MAX_COPIES; j++) {
		snprintf(id, sizeof(id), "destroy.copy.%zu.location", j);
		r = kr_engine_ask_text(e, id, "administrator", "Package copies",
		    j == 1 ? "Where is copy 1 of the escrow package (a "
		    "medium, a safe, a printout)?" : "Where is the next copy "
		    "of the escrow package? Empty when there are no more.",
		    j == 1, where, sizeof(where));
		if (r == KR_ERR_ANSWER_MISSING && j > 1)
			break;
		if (r != 0)
			return r;
		if (where[0] == '\0')
			break;
		memset(&p, 0, sizeof(p));
		snprintf(id, sizeof(id), "destroy.copy.%zu.destroyed", j);
		snprintf(text, sizeof(text), "Copy %zu, %s: has it been "
		    "destroyed (wiped or shredded), in front of the witnesses? "
		    "yes: recorded as destroyed; no: recorded as remaining.", j,
		    where);
		p.kind = KR_PROMPT_CONFIRM;
		p.id = id;
		p.role = "administrator";
		p.title = "Package copies";
		p.text = text;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		yes = a.yes || (a.text != NULL && strcmp(a.text, "yes") == 0);
		kr_engine_answer_free(&p, &a);
		if (yes)
			destroyed++;
		else if (used < sizeof(remaining))
			used += (size_t)snprintf(remaining + used,
			    sizeof(remaining) - used, "%s%s", used ? "; " : "",
			    where);
		{
			struct kr_fact f[] = { { "location", where },
			    { "attested-by", e->operator_name },
			    { "package", e->escrow_name } };

			if ((r = kr_engine_record(e, yes ?
			    "escrow-copy-destroyed" : "escrow-copy-remaining",
			    "administrator", f, 3)) != 0)
				return r;
		}
	}
	snprintf(ndestroyed, sizeof(ndestroyed), "%zu", destroyed);
	if (used > 0)
		kr_engine_notice(e, "copies of the package remain: %s; destroy "
		    "them and record it", remaining);
	{
		struct kr_fact f[] = { { "copies-destroyed", ndestroyed },
		    { "copies-remaining", used ? remaining : "none" } };

		return kr_engine_record(e, "escrow-copies", "administrator", f,
		    2);
	}
}
