/*
 * test_engine.c: the engine through a scripted frontend, on SoftHSM2
 * rehearsal cards.  Aborting at any prompt wipes every secret and records
 * the abort, leaving the transcript unsealed and no escrow package; an
 * expired recovery window wipes the recovered key.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"
#include "card/rehearsal.h"
#include "record/transcript.h"
#include "ceremony/engine.h"

static char dir[64];

struct fe {
	size_t		 asked;		/* prompts seen so far */
	size_t		 abort_at;	/* abort at this prompt (1-based); 0 never */
	const char	*abort_kind_id;	/* or at the CARD prompt with this id */
	const char	*jump_at;	/* advance the clock at this prompt id */
	const char	*cards;		/* recovery cards, comma-separated */
	char		 last_id[64];
};

static time_t clock_offset;
static const char *card1_override;	/* roll call names a missing card */

static time_t
fake_clock(void)
{
	return time(NULL) + clock_offset;
}

static const char *
answer_for(const char *id)
{
	static char buf[64];
	char what[16];
	unsigned int i;

	if (strcmp(id, "operator.name") == 0)
		return "Ada";
	if (strcmp(id, "witness.1.name") == 0)
		return "Wendy";
	if (strncmp(id, "witness.", 8) == 0 && strstr(id, ".name"))
		return "";
	if (sscanf(id, "custodian.%u.%15s", &i, what) == 2) {
		if (strcmp(what, "name") == 0)
			snprintf(buf, sizeof(buf), "Custodian %u", i);
		else if (i == 1 && card1_override != NULL)
			snprintf(buf, sizeof(buf), "%s", card1_override);
		else
			snprintf(buf, sizeof(buf), "custodian-%u", i);
		return buf;
	}
	if (sscanf(id, "pin.custodian-%u", &i) == 1) {
		kr_rehearsal_pin(i, buf, sizeof(buf));
		return buf;
	}
	return NULL;
}

static int
ask(void *ctx, const struct kr_prompt *p, struct kr_answer *a)
{
	struct fe *f = ctx;
	const char *v;
	unsigned int k;

	f->asked++;
	snprintf(f->last_id, sizeof(f->last_id), "%s", p->id);
	if (f->abort_at == f->asked || (f->abort_kind_id != NULL &&
	    p->kind == KR_PROMPT_CARD && strcmp(p->id, f->abort_kind_id) == 0))
		return KR_ERR_ABORTED;
	if (f->jump_at != NULL && strcmp(p->id, f->jump_at) == 0)
		clock_offset = 2 * 3600;
	if (p->kind == KR_PROMPT_INFO)
		return 0;
	if (p->kind == KR_PROMPT_CONFIRM) {
		a->yes = 1;
		return 0;
	}
	if (p->kind == KR_PROMPT_CARD && strncmp(p->id, "cosign.", 7) == 0 &&
	    p->card != NULL) {
		cr_assert_not_null(a->text = strdup(p->card), "strdup");
		a->len = strlen(p->card);
		return 0;
	}
	if (sscanf(p->id, "recover.card.%u", &k) == 1) {
		static char card[32];
		const char *c = f->cards;

		while (--k > 0 && c != NULL && (c = strchr(c, ',')) != NULL)
			c++;
		if (c == NULL || *c == '\0')
			return KR_ERR_ANSWER_MISSING;
		snprintf(card, sizeof(card), "%.*s", (int)strcspn(c, ","), c);
		v = card;
	} else if ((v = answer_for(p->id)) == NULL)
		return kr_err_set(KR_ERR_ANSWER_MISSING, "%s", p->id);
	a->len = strlen(v);
	if (p->kind == KR_PROMPT_PIN) {
		cr_assert_not_null(a->text = kr_secmem_alloc(a->len + 1), "pin");
		memcpy(a->text, v, a->len);
	} else
		cr_assert_not_null(a->text = strdup(v), "strdup");
	return 0;
}

static int
run(const char *script, const char *media, struct fe *f, char *transcript,
    size_t tlen)
{
	struct kr_engine_config cfg;
	struct kr_frontend fe = { ask, NULL, f };
	struct kr_engine *e = NULL;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = script;
	cfg.media_dirs[0] = media;
	cfg.nmedia = 1;
	cfg.rehearsal = 1;
	cfg.clock = fake_clock;
	cr_assert_eq(kr_engine_new(&cfg, &fe, &e), 0, "new: %s",
	    kr_err_detail());
	r = kr_engine_run(e);
	if (kr_engine_transcript_path(e) != NULL)
		snprintf(transcript, tlen, "%s", kr_engine_transcript_path(e));
	kr_engine_free(e);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory left after the run");
	return r;
}

static int
file_has(const char *path, const char *needle)
{
	char buf[1 << 16];
	FILE *fp = fopen(path, "r");
	size_t n;

	cr_assert_not_null(fp, "open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return strstr(buf, needle) != NULL;
}

static int
exists(const char *d, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return access(path, F_OK) == 0;
}

static void
setup(void)
{
	struct kr_rehearsal *r = NULL;
	char cards[128], media[128], conf[160], t[4096];
	struct fe f;

	cr_assert_eq(kr_harden_process(NULL), 0, "harden");
	strcpy(dir, "/tmp/kr-engine-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(cards, sizeof(cards), "%s/cards", dir);
	cr_assert_eq(kr_rehearsal_create(cards, NULL, 6, &r), 0,
	    "rehearsal cards: %s", kr_err_detail());
	kr_rehearsal_free(r);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", cards);
	setenv("SOFTHSM2_CONF", conf, 1);
	setenv("KEYRITE_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so", 1);
	/* One escrowed root on custodian-1..5, for the drills. */
	snprintf(media, sizeof(media), "%s/media", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	memset(&f, 0, sizeof(f));
	cr_assert_eq(run("ceremony-scripts/root-ca-create.ceremony", media, &f,
	    t, sizeof(t)), 0, "root-ca-create: %s (at %s)", kr_err_detail(),
	    f.last_id);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

Test(engine, abort_at_every_drill_prompt, .init = setup, .fini = teardown,
    .timeout = 120)
{
	char media[128], t[4096];
	struct fe f;
	size_t k, total;
	int r;

	snprintf(media, sizeof(media), "%s/media", dir);
	memset(&f, 0, sizeof(f));
	f.cards = "custodian-2,custodian-4,custodian-5";
	clock_offset = 0;
	cr_assert_eq(run("ceremony-scripts/key-recovery-drill.ceremony", media,
	    &f, t, sizeof(t)), 0, "drill: %s", kr_err_detail());
	total = f.asked;
	cr_assert_gt(total, 10, "only %zu prompts in a drill", total);
	for (k = 1; k <= total; k++) {
		memset(&f, 0, sizeof(f));
		f.cards = "custodian-2,custodian-4,custodian-5";
		f.abort_at = k;
		r = run("ceremony-scripts/key-recovery-drill.ceremony", media,
		    &f, t, sizeof(t));
		cr_assert_eq(r, KR_ERR_ABORTED, "abort at prompt %zu (%s): "
		    "r=%d", k, f.last_id, r);
		/*
		 * Before the seal an abort undoes the drill; after it (the
		 * co-signing step) the drill has happened, and the cards
		 * not reached are recorded as missing co-signers.
		 */
		if (file_has(t, "\nsignature: ")) {
			static struct kr_transcript_summary sum;

			cr_assert_eq(kr_transcript_verify_file(t, NULL, 0,
			    &sum), 0, "prompt %zu: %s", k, kr_err_detail());
			cr_assert(sum.complete || (file_has(t,
			    "\ncosignature-missing: ") && file_has(t,
			    " ceremony-stopped\n")), "prompt %zu (%s), after "
			    "the seal: the missing co-signatures are not "
			    "recorded in %s", k, f.last_id, t);
			cr_assert(strncmp(f.last_id, "cosign.", 7) == 0 ||
			    strcmp(f.last_id, "step.10") == 0 ||
			    strcmp(f.last_id, "step.11") == 0 ||
			    strncmp(f.last_id, "pin.", 4) == 0, "prompt %zu "
			    "(%s): sealed before it", k, f.last_id);
			continue;
		}
		cr_assert(file_has(t, " ceremony-aborted engine "), "prompt "
		    "%zu (%s): abort not recorded in %s", k, f.last_id, t);
	}
}

Test(engine, abort_while_writing_shares, .init = setup, .fini = teardown)
{
	char media[128], t[4096];
	struct fe f;

	snprintf(media, sizeof(media), "%s/media2", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	memset(&f, 0, sizeof(f));
	f.abort_kind_id = "custodian.3.card";
	cr_assert_eq(run("ceremony-scripts/root-ca-create.ceremony", media, &f,
	    t, sizeof(t)), KR_ERR_ABORTED, "not aborted: %s",
	    kr_err_detail());
	cr_assert(file_has(t, " share-written custodian "), "no share was "
	    "written before the abort (test did not reach the point)");
	cr_assert(file_has(t, " ceremony-aborted engine "), "not recorded");
	cr_assert_not(exists(media, "root-ca.escrow"), "escrow package "
	    "written by an aborted ceremony");
}

Test(engine, recovery_window_wipes_the_key, .init = setup, .fini = teardown)
{
	char media[128], t[4096];
	struct fe f;

	snprintf(media, sizeof(media), "%s/media", dir);
	memset(&f, 0, sizeof(f));
	f.cards = "custodian-1,custodian-3,custodian-5";
	f.jump_at = "step.7";	/* prove-key, after the KEK is recovered */
	clock_offset = 0;
	cr_assert_eq(run("ceremony-scripts/key-recovery-drill.ceremony", media,
	    &f, t, sizeof(t)), KR_ERR_ABORTED, "window did not close: %s",
	    kr_err_detail());
	clock_offset = 0;
	cr_assert(file_has(t, " kek-recovered engine "), "KEK not recovered "
	    "first: the test did not reach the window");
	cr_assert(file_has(t, " recovery-window-expired engine "),
	    "expiry not recorded");
	cr_assert_not(file_has(t, " key-proven "), "the key was used after "
	    "its window closed");
}

Test(engine, a_card_not_present_is_named, .init = setup, .fini = teardown)
{
	char media[128], t[4096];
	struct fe f;
	int r;

	snprintf(media, sizeof(media), "%s/media3", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	memset(&f, 0, sizeof(f));
	card1_override = "custodian-99";
	r = run("ceremony-scripts/root-ca-create.ceremony", media, &f, t,
	    sizeof(t));
	card1_override = NULL;
	cr_assert_eq(r, KR_ERR_TOKEN_NOT_PRESENT, "r=%d: %s", r,
	    kr_err_detail());
	/* Found at the roll call, before the key exists. */
	cr_assert_str_eq(kr_err_detail(), "roll call: card custodian-99 "
	    "(Custodian 1's) is not in a reader: insert the cards named, or "
	    "correct the roll call", "card not named: %s", kr_err_detail());
	cr_assert_not(file_has(t, " key-generated "), "a key was generated");
	cr_assert_not(file_has(t, " share-written "), "a share was written");
	cr_assert_not(exists(media, "root-ca.escrow"), "escrow written");
}

/*
 * A real ceremony from a keyrite that is not installed (this test binary,
 * like build/keyrite) refuses before anything is touched: no transcript,
 * no card.  A rehearsal runs and records that its script is not a
 * reviewed one.
 */
Test(engine, real_mode_needs_an_installed_keyrite, .init = setup,
    .fini = teardown)
{
	struct kr_engine_config cfg;
	struct fe f;
	struct kr_frontend fe = { ask, NULL, &f };
	struct kr_engine *e = NULL;
	char media[128], exe[4096], want[8192], t[4096];
	ssize_t n;
	int r;

	snprintf(media, sizeof(media), "%s/media4", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	memset(&f, 0, sizeof(f));
	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = "ceremony-scripts/root-ca-create.ceremony";
	cfg.media_dirs[0] = media;
	cfg.nmedia = 1;
	r = kr_engine_new(&cfg, &fe, &e);
	cr_assert_eq(r, KR_ERR_SCRIPT_NOT_REVIEWED, "r=%d: %s", r,
	    kr_err_detail());
	cr_assert_null(e, "engine made");
	cr_assert_gt(n = readlink("/proc/self/exe", exe, sizeof(exe) - 1), 0,
	    "readlink");
	exe[n] = '\0';
	snprintf(want, sizeof(want), "keyrite at %s is not installed (it is "
	    "not in a bin directory), so no script counts as reviewed; run it "
	    "with --rehearsal, or install the reviewed scripts", exe);
	cr_assert_str_eq(kr_err_detail(), want, "message");
	cr_assert_eq(f.asked, 0, "a real ceremony asked something");
	cr_assert_eq(rmdir(media), 0, "the refused ceremony wrote into %s",
	    media);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	cr_assert_eq(run("ceremony-scripts/root-ca-create.ceremony", media, &f,
	    t, sizeof(t)), 0, "rehearsal: %s", kr_err_detail());
	cr_assert(file_has(t, " mode=rehearsal script-reviewed=no "),
	    "rehearsal of an uninstalled script not recorded as unreviewed");
}

/* Writes text to dir/name beside a copy of the shipped policy. */
static void
script_file(const char *name, const char *text, char *path, size_t len)
{
	char cmd[512];
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/s && cp ceremony-scripts/"
	    "policy.conf %s/s/", dir, dir);
	cr_assert_eq(system(cmd), 0, "policy copy");
	snprintf(path, len, "%s/s/%s", dir, name);
	cr_assert_not_null(fp = fopen(path, "w"), "%s", path);
	fputs(text, fp);
	fclose(fp);
}

/* The key-id line of an escrow package as the fingerprint text records it. */
static void
key_id_fact(const char *escrow, char *out, size_t len)
{
	char line[256], hex[65] = "";
	FILE *fp;
	size_t i, o = 0;

	cr_assert_not_null(fp = fopen(escrow, "r"), "%s", escrow);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "key-id: %64[0-9a-f]", hex) == 1)
			break;
	fclose(fp);
	cr_assert_eq(strlen(hex), 64, "no key-id in %s", escrow);
	o = (size_t)snprintf(out, len, "fingerprint=");
	for (i = 0; i < 64 && o + 4 < len; i++) {
		if (i > 0 && i % 4 == 0)
			o += (size_t)snprintf(out + o, len - o, "%%20");
		out[o++] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
	}
	snprintf(out + o, len - o, " ");
}

#define STEP(verb, role) "step " verb "\n  role " role "\n  say \"s\"\n"
#define HEAD "ceremony t\ndescription \"d\"\nkey-class root-ca\n" \
	STEP("roll-call", "administrator")

/*
 * show-fingerprint without a certificate shows the key id (SHA-256 of the
 * public key): of the escrowed key after load-escrow, of the generated key
 * after generate-key; the witnesses' confirmation records it.
 */
Test(engine, fingerprint_without_a_certificate_is_the_key_id, .init = setup,
    .fini = teardown)
{
	char path[256], media[128], escrow[256], fact[256], t[4096];
	struct fe f;

	snprintf(media, sizeof(media), "%s/media", dir);
	snprintf(escrow, sizeof(escrow), "%s/root-ca.escrow", media);
	script_file("drill.ceremony", HEAD
	    "step load-escrow file=root-ca.escrow\n  role administrator\n"
	    "  say \"s\"\n" STEP("show-fingerprint", "witness")
	    STEP("recover", "custodian") STEP("prove-key", "witness")
	    STEP("wipe", "administrator")
	    STEP("seal-transcript", "administrator")
	    STEP("cosign-transcript", "custodian"), path, sizeof(path));
	memset(&f, 0, sizeof(f));
	f.cards = "custodian-1,custodian-2,custodian-3";
	cr_assert_eq(run(path, media, &f, t, sizeof(t)), 0, "drill: %s",
	    kr_err_detail());
	key_id_fact(escrow, fact, sizeof(fact));
	cr_assert(file_has(t, fact), "drill: %s not in %s", fact, t);

	snprintf(media, sizeof(media), "%s/media5", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
	snprintf(escrow, sizeof(escrow), "%s/g.escrow", media);
	script_file("gen.ceremony", HEAD
	    "step generate-key algorithm=ecdsa-p384\n  role administrator\n"
	    "  say \"s\"\n" STEP("show-fingerprint", "witness")
	    "step split threshold=2 shares=4\n  role administrator\n"
	    "  say \"s\"\n" STEP("write-shares", "custodian")
	    STEP("verify-shares", "custodian")
	    "step write-escrow name=g.escrow\n  role administrator\n"
	    "  say \"s\"\n" STEP("wipe", "administrator")
	    STEP("seal-transcript", "administrator")
	    STEP("cosign-transcript", "custodian"), path, sizeof(path));
	memset(&f, 0, sizeof(f));
	cr_assert_eq(run(path, media, &f, t, sizeof(t)), 0, "generate: %s "
	    "(at %s)", kr_err_detail(), f.last_id);
	key_id_fact(escrow, fact, sizeof(fact));
	cr_assert(file_has(t, fact), "generate: %s not in %s", fact, t);
}

/*
 * Rotation (docs/policy.md): the engine's cryptoperiod check, at the
 * package's clock.  A use that signs new things is refused after the end,
 * naming the date; a CRL and the key's maintenance are not; before the
 * last 90 days nothing is said.  White-box: the verbs that sign (issues
 * 12, 13) call kr_engine_cryptoperiod_check() from engine-int.h.
 */
#include "ceremony/engine-int.h"

Test(engine, cryptoperiod_refuses_signing_after_its_end, .init = setup,
    .fini = teardown)
{
	struct kr_engine_config cfg;
	struct fe f;
	struct kr_frontend fe = { ask, NULL, &f };
	struct kr_engine *e = NULL;
	char media[128];
	int r;

	snprintf(media, sizeof(media), "%s/media", dir);
	memset(&f, 0, sizeof(f));
	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = "ceremony-scripts/key-recovery-drill.ceremony";
	cfg.media_dirs[0] = media;
	cfg.nmedia = 1;
	cfg.rehearsal = 1;
	cfg.clock = fake_clock;
	/* root-ca: 7305 days.  A day after the end: */
	clock_offset = (time_t)7306 * 86400;
	cr_assert_eq(kr_engine_new(&cfg, &fe, &e), 0, "a drill after the end "
	    "is maintenance: %s", kr_err_detail());
	r = kr_engine_cryptoperiod_check(e, KR_ENGINE_USE_SIGN);
	cr_assert_eq(r, KR_ERR_CRYPTOPERIOD_ENDED, "signing after the end: r=%d",
	    r);
	cr_assert_not_null(strstr(kr_err_detail(), "it signs nothing new. "
	    "CRLs can still be issued with it, and it can be reshared or "
	    "destroyed"), "why: %s", kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "ended on "), "%s",
	    kr_err_detail());
	cr_assert_eq(kr_engine_cryptoperiod_check(e, KR_ENGINE_USE_CRL), 0,
	    "a CRL after the end");
	cr_assert_eq(kr_engine_cryptoperiod_check(e, KR_ENGINE_USE_MAINTAIN),
	    0, "maintenance after the end");
	kr_engine_free(e);
	e = NULL;
	/* In the last 90 days: allowed. */
	clock_offset = (time_t)(7305 - 30) * 86400;
	cr_assert_eq(kr_engine_new(&cfg, &fe, &e), 0, "new");
	cr_assert_eq(kr_engine_cryptoperiod_check(e, KR_ENGINE_USE_SIGN), 0,
	    "signing 30 days before the end: %s", kr_err_detail());
	kr_engine_free(e);
	clock_offset = 0;
}

Test(engine, cryptoperiod_warning_is_recorded_by_a_drill, .init = setup,
    .fini = teardown)
{
	char media[128], t[4096];
	struct fe f;

	snprintf(media, sizeof(media), "%s/media", dir);
	memset(&f, 0, sizeof(f));
	f.cards = "custodian-1,custodian-2,custodian-3";
	clock_offset = (time_t)(7305 - 10) * 86400;
	cr_assert_eq(run("ceremony-scripts/key-recovery-drill.ceremony", media,
	    &f, t, sizeof(t)), 0, "drill: %s", kr_err_detail());
	clock_offset = 0;
	cr_assert(file_has(t, " cryptoperiod-warning engine end="), "no "
	    "warning recorded in %s", t);
	cr_assert(file_has(t, " use=maintain action=allowed "), "use");
	cr_assert(file_has(t, " drill-status engine last-recovery=none%20on%20"
	    "these%20media "), "drill status");
	cr_assert(file_has(t, " drill-due=yes "), "a drill 20 years on is due");
}
