/*
 * test_engine_watch.c: the engine watches the air gap for the whole
 * ceremony.  root-ca-create runs in rehearsal on SoftHSM2 cards, in a
 * network namespace of the test's own with a sysfs for it, through a
 * frontend that adds a veth pair while it waits at the first custodian's
 * card prompt and calls the prompt's watch, as the TUI does every 250 ms.
 *
 *  - air-gapped at the check (enforced, as in a real ceremony): the watch
 *    fails at its first call after the veth appears, every secret is
 *    wiped by then, it keeps failing, and the ceremony ends aborted with
 *    the device named in the transcript;
 *  - not air-gapped at the check (a veth was there already; allowed in
 *    rehearsal): the new veth is recorded and shown as a notice, and the
 *    ceremony completes and is sealed.
 * Needs root (unshare, mount, ip link): skipped, saying so, otherwise.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"
#include "card/rehearsal.h"
#include "ceremony/engine.h"

static char dir[64];

struct fe {
	const char	*add_at;	/* card prompt: add a veth pair there */
	const char	*add_cmd;
	int		 watch_r;	/* what the watch said there */
	int		 watch_again;	/* and when called once more */
	size_t		 live_before;	/* kr_secmem_live() before, after */
	size_t		 live_after;
	int		 watch_before_check;	/* a watch at step.1 */
	int		 watch_after_check;	/* a watch at step.3 */
	char		 notice[1024];	/* the watch's last notice */
};

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

/* At f->add_at: a veth pair appears while people are waited for. */
static int
add_and_watch(struct fe *f, const struct kr_prompt *p)
{
	cr_assert_not_null(p->watch, "%s: no watch after the check", p->id);
	f->live_before = kr_secmem_live();
	cr_assert_eq(system(f->add_cmd), 0, "%s failed", f->add_cmd);
	/* No waiting: the kernel has told the socket before ip returned. */
	f->watch_r = p->watch(p->watch_ctx);
	f->live_after = kr_secmem_live();
	f->watch_again = p->watch(p->watch_ctx);
	return f->watch_r;
}

static int
ask(void *ctx, const struct kr_prompt *p, struct kr_answer *a)
{
	struct fe *f = ctx;
	const char *v;
	int r;

	if (strcmp(p->id, "step.1") == 0)
		f->watch_before_check = p->watch != NULL;
	if (strcmp(p->id, "step.3") == 0)
		f->watch_after_check = p->watch != NULL;
	if (f->add_at != NULL && strcmp(p->id, f->add_at) == 0 &&
	    p->kind == KR_PROMPT_CARD && (r = add_and_watch(f, p)) != 0)
		return r;
	if (p->kind == KR_PROMPT_INFO)
		return 0;
	if (p->kind == KR_PROMPT_CONFIRM) {
		a->yes = 1;
		return 0;
	}
	if ((v = answer_for(p->id)) == NULL)
		return kr_err_set(KR_ERR_ANSWER_MISSING, "%s", p->id);
	a->len = strlen(v);
	if (p->kind == KR_PROMPT_PIN) {
		a->text = kr_secmem_alloc(a->len + 1);
		cr_assert_not_null(a->text, "pin");
		memcpy(a->text, v, a->len);
	} else
		cr_assert_not_null(a->text = strdup(v), "strdup");
	return 0;
}

static void
event(void *ctx, const struct kr_event *ev)
{
	struct fe *f = ctx;

	/* The watch's notice; others (outputs staged) come later. */
	if (ev->kind == KR_EVENT_NOTICE && strstr(ev->text, "appeared"))
		snprintf(f->notice, sizeof(f->notice), "%s", ev->text);
}

static int
run(struct fe *f, char *transcript, size_t tlen)
{
	struct kr_engine_config cfg;
	struct kr_frontend fe = { ask, event, f };
	struct kr_engine *e = NULL;
	char media[128];
	int r;

	snprintf(media, sizeof(media), "%s/media", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = "ceremony-scripts/root-ca-create.ceremony";
	cfg.media_dirs[0] = media;
	cfg.nmedia = 1;
	cfg.rehearsal = 1;
	cr_assert_eq(kr_engine_new(&cfg, &fe, &e), 0, "new: %s",
	    kr_err_detail());
	r = kr_engine_run(e);
	cr_assert_not_null(kr_engine_transcript_path(e), "no transcript");
	snprintf(transcript, tlen, "%s", kr_engine_transcript_path(e));
	kr_engine_free(e);
	cr_assert_eq(kr_secmem_live(), 0, "secret memory left after the run");
	return r;
}

static int
file_has(const char *path, const char *needle)
{
	char buf[1 << 17];
	FILE *fp = fopen(path, "r");
	size_t n;

	cr_assert_not_null(fp, "open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return strstr(buf, needle) != NULL;
}

static void
setup(void)
{
	struct kr_rehearsal *r = NULL;
	char cards[128], media[128], conf[160];

	if (geteuid() != 0)
		cr_skip_test("needs root for unshare(CLONE_NEWNET) and "
		    "ip link");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
		cr_skip_test("unshare(CLONE_NEWNET|CLONE_NEWNS) is not "
		    "permitted here");
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
	    "making mounts private");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		cr_skip_test("cannot mount sysfs in a new mount namespace");
	cr_assert_eq(kr_harden_process(NULL), 0, "harden");
	strcpy(dir, "/tmp/kr-watch-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(cards, sizeof(cards), "%s/cards", dir);
	cr_assert_eq(kr_rehearsal_create(cards, NULL, 5, &r), 0,
	    "rehearsal cards: %s", kr_err_detail());
	kr_rehearsal_free(r);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", cards);
	setenv("SOFTHSM2_CONF", conf, 1);
	setenv("KEYRITE_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so", 1);
	snprintf(media, sizeof(media), "%s/media", dir);
	cr_assert_eq(mkdir(media, 0700), 0, "mkdir");
}

static void
teardown(void)
{
	char cmd[128];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

Test(engine_watch, breach_aborts_and_wipes_at_once, .init = setup,
    .fini = teardown, .timeout = 120)
{
	char t[4096];
	struct fe f;
	int r;

	memset(&f, 0, sizeof(f));
	f.add_at = "custodian.1.card";
	f.add_cmd = "ip link add twa0 type veth peer name twb0";
	r = run(&f, t, sizeof(t));
	cr_assert_eq(r, KR_ERR_AIRGAP_BREACHED, "run: %d %s", r,
	    kr_err_detail());
	cr_assert_eq(f.watch_before_check, 0, "a watch before the check");
	cr_assert_eq(f.watch_after_check, 1, "no watch after the check");
	cr_assert_eq(f.watch_r, KR_ERR_AIRGAP_BREACHED, "watch said %d",
	    f.watch_r);
	cr_assert_gt(f.live_before, 0, "no secret at the card prompt (the "
	    "test did not reach the point)");
	cr_assert_eq(f.live_after, 0, "%zu secrets left after the watch "
	    "failed", f.live_after);
	cr_assert_eq(f.watch_again, KR_ERR_AIRGAP_BREACHED, "the breach did "
	    "not stick: %d", f.watch_again);
	cr_assert(strstr(kr_err_detail(), "interface twa0 (veth) appeared"),
	    "detail: %s", kr_err_detail());
	cr_assert(file_has(t, " airgap-watch-started engine on-change=abort "),
	    "watch start not recorded");
	cr_assert(file_has(t, " airgap-breached engine interface=twa0 index="),
	    "twa0 not named");
	cr_assert(file_has(t, " airgap-breached engine interface=twb0 index="),
	    "twb0 not named");
	cr_assert(file_has(t, " kind=veth type=ether "), "kind not recorded");
	cr_assert(file_has(t, " reason=airgap-breached chain="), "the abort's "
	    "reason is not airgap-breached");
	cr_assert_not(file_has(t, " share-written "), "a share was written");
	cr_assert_not(file_has(t, "\nsignature: "), "sealed");
}

Test(engine_watch, unenforced_rehearsal_records_and_goes_on, .init = setup,
    .fini = teardown, .timeout = 120)
{
	char t[4096];
	struct fe f;
	int r;

	cr_assert_eq(system("ip link add pre0 type veth peer name pre1"), 0,
	    "ip link add");
	memset(&f, 0, sizeof(f));
	f.add_at = "custodian.1.card";
	f.add_cmd = "ip link add twc0 type veth peer name twd0";
	r = run(&f, t, sizeof(t));
	cr_assert_eq(r, 0, "run: %d %s", r, kr_err_detail());
	cr_assert_eq(f.watch_r, 0, "watch said %d", f.watch_r);
	cr_assert(strstr(f.notice, "interface twc0 (veth) appeared") &&
	    strstr(f.notice, "did not start air-gapped"), "notice: %s",
	    f.notice);
	cr_assert(file_has(t, " airgap-check engine air-gapped=no "
	    "policy=allowed-in-rehearsal "), "start check");
	cr_assert(file_has(t, " airgap-watch-started engine on-change=record "),
	    "watch start not recorded");
	cr_assert(file_has(t, " airgap-changed engine interface=twc0 "),
	    "twc0 not recorded");
	cr_assert_not(file_has(t, " airgap-breached "), "called a breach");
	cr_assert(file_has(t, " airgap-watched engine looks="), "no summary");
	cr_assert(file_has(t, " changes=2 "), "not 2 changes");
	cr_assert(file_has(t, "\nsignature: "), "not sealed");
}
