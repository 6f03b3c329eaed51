/*
 * watch-usb-umockdev.c: USB devices plugged in during a ceremony, as the
 * engine's air-gap watch sees them, in a umockdev testbed.
 *
 * usage: watch-usb-umockdev [-t timeout_ms] SCRIPT MEDIA HUB.umockdev
 *            READER.umockdev NETDEV.umockdev
 *
 * Must run under umockdev-wrapper (exits 77 otherwise), in a network
 * namespace with only lo (the caller's `unshare -n`), with rehearsal cards
 * in $SOFTHSM2_CONF and $KEYRITE_PKCS11_MODULE.  Adds HUB to a testbed
 * (before libusb starts: the preload library needs it), then runs SCRIPT
 * in rehearsal through a frontend like the TUI's: the air-gap check sees
 * only lo and the hub, so the watch is enforced.  At the first prompt
 * after the roll call (step.4, before the key is generated) the frontend
 * plugs in READER and calls the prompt's watch for QUIET_MS, which must
 * keep saying 0 (a card reader is no way out), then plugs in NETDEV and
 * calls the watch until it fails, for at most the timeout (default 5000
 * ms; libusb hears of devices from a thread of its own).  Prints
 *   reader: 0 after N looks
 *   netdev: <code> after N looks: <detail>
 *   run: <code>
 *   transcript: <path>
 * for the calling script (tests/integration/t-airgap-watch-usb.sh) to
 * check.  Exit 0 when the watch and the run both said
 * KR_ERR_AIRGAP_BREACHED, 1 otherwise, 2 usage, 77 skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <umockdev.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"
#include "card/rehearsal.h"
#include "ceremony/engine.h"

#define LOOK_MS		50
#define QUIET_MS	300

struct fe {
	UMockdevTestbed	*tb;
	const char	*reader;
	const char	*netdev;
	int		 plugged;
	int		 reader_r;
	int		 netdev_r;
};

static long timeout_ms = 5000;

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
add(UMockdevTestbed *tb, const char *file)
{
	GError *err = NULL;
	gchar *text = NULL;
	int ok;

	if (!g_file_get_contents(file, &text, NULL, &err)) {
		printf("FAIL: %s\n", err->message);
		g_error_free(err);
		return -1;
	}
	ok = umockdev_testbed_add_from_string(tb, text, &err);
	g_free(text);
	if (!ok) {
		printf("FAIL: adding %s: %s\n", file, err->message);
		g_error_free(err);
		return -1;
	}
	return 0;
}

/*
 * Calls the prompt's watch every LOOK_MS for up to ms, as a frontend does
 * while it waits; stops at the first failure.  Returns what it said last.
 */
static int
look(const struct kr_prompt *p, long ms, const char *what)
{
	long deadline = now_ms() + ms;
	int r, n = 0;

	for (;;) {
		n++;
		if ((r = p->watch(p->watch_ctx)) != 0 || now_ms() >= deadline)
			break;
		pause_ms(LOOK_MS);
	}
	printf("%s: %d after %d looks%s%s\n", what, r, n, r ? ": " : "",
	    r ? kr_err_detail() : "");
	fflush(stdout);
	return r;
}

/* At step.4: a card reader, then a network adapter, are plugged in. */
static int
plug(struct fe *f, const struct kr_prompt *p)
{
	f->plugged = 1;
	if (p->watch == NULL) {
		printf("FAIL: no watch at %s\n", p->id);
		return KR_ERR_INTERNAL;
	}
	if (add(f->tb, f->reader) != 0)
		return KR_ERR_INTERNAL;
	if ((f->reader_r = look(p, QUIET_MS, "reader")) != 0)
		return f->reader_r;
	if (add(f->tb, f->netdev) != 0)
		return KR_ERR_INTERNAL;
	f->netdev_r = look(p, timeout_ms, "netdev");
	return f->netdev_r;
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

	if (!f->plugged && strcmp(p->id, "step.4") == 0)
		return plug(f, p);
	if (p->kind == KR_PROMPT_INFO)
		return 0;
	if (p->kind == KR_PROMPT_CONFIRM) {
		a->yes = 1;
		return 0;
	}
	if ((v = answer_for(p->id)) == NULL)
		return kr_err_set(KR_ERR_ANSWER_MISSING, "%s", p->id);
	a->len = strlen(v);
	a->text = p->kind == KR_PROMPT_PIN ? kr_secmem_alloc(a->len + 1) :
	    malloc(a->len + 1);
	if (a->text == NULL)
		return KR_ERR_NOMEM;
	memcpy(a->text, v, a->len + 1);
	return 0;
}

int
main(int argc, char **argv)
{
	struct kr_engine_config cfg;
	struct kr_engine *e = NULL;
	struct kr_frontend fe;
	struct fe f;
	const char *pre;
	int c, r, rc = 1;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't')
			goto usage;
		timeout_ms = strtol(optarg, NULL, 10);
	}
	if (argc - optind != 5 || timeout_ms <= 0)
		goto usage;
	pre = getenv("LD_PRELOAD");
	if (pre == NULL || strstr(pre, "libumockdev-preload") == NULL) {
		printf("SKIP: not running under umockdev-wrapper\n");
		return 77;
	}
	memset(&f, 0, sizeof(f));
	if ((r = kr_harden_process(NULL)) != 0) {
		printf("FAIL: hardening: %s\n", kr_err_detail());
		return 1;
	}
	f.reader = argv[optind + 3];
	f.netdev = argv[optind + 4];
	f.tb = umockdev_testbed_new();
	if (add(f.tb, argv[optind + 2]) != 0)
		goto out;
	memset(&cfg, 0, sizeof(cfg));
	cfg.script_path = argv[optind];
	cfg.media_dirs[0] = argv[optind + 1];
	cfg.nmedia = 1;
	cfg.rehearsal = 1;
	fe.ask = ask;
	fe.event = NULL;
	fe.ctx = &f;
	if ((r = kr_engine_new(&cfg, &fe, &e)) != 0) {
		printf("FAIL: engine: %s: %s\n", kr_strerror(r),
		    kr_err_detail());
		goto out;
	}
	r = kr_engine_run(e);
	printf("run: %d %s\n", r, r ? kr_err_detail() : "");
	if (kr_engine_transcript_path(e) != NULL)
		printf("transcript: %s\n", kr_engine_transcript_path(e));
	if (!f.plugged)
		printf("FAIL: the ceremony never reached step.4\n");
	else if (r == KR_ERR_AIRGAP_BREACHED &&
	    f.netdev_r == KR_ERR_AIRGAP_BREACHED)
		rc = 0;
 out:
	kr_engine_free(e);
	if (f.tb != NULL)
		g_object_unref(f.tb);
	return rc;
 usage:
	fprintf(stderr, "usage: watch-usb-umockdev [-t timeout_ms] SCRIPT "
	    "MEDIA HUB.umockdev READER.umockdev NETDEV.umockdev\n");
	return 2;
}
