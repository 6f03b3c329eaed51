/*
 * test_presence.c: kr_presence against SoftHSM2 tokens that come and go.
 *
 * Each test has its own SoftHSM2 configuration and token directory (Criterion
 * runs each test in its own process, so setenv is private to it).  Tokens are
 * made with softhsm2-util, an outside tool, and "pulled out" by moving their
 * directory away, which is what SoftHSM2 sees as a removed token after a
 * re-initialisation.  Skips when SoftHSM2 is not installed.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "card/presence.h"
#include "card/token.h"

#define MODULE	"/usr/lib/softhsm/libsofthsm2.so"

static char top[64];
static char tokdir[128];
static struct kr_token_module *mod;

static void
setup(void)
{
	char conf[PATH_MAX + 32];
	FILE *f;

	if (access(MODULE, R_OK) != 0 ||
	    system("command -v softhsm2-util >/dev/null 2>&1") != 0)
		cr_skip_test("SoftHSM2 is not installed (package softhsm2)");
	snprintf(top, sizeof(top), "/tmp/kr-presence-XXXXXX");
	cr_assert_not_null(mkdtemp(top), "mkdtemp");
	snprintf(tokdir, sizeof(tokdir), "%s/tokens", top);
	cr_assert_eq(mkdir(tokdir, 0700), 0, "mkdir %s", tokdir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", top);
	cr_assert_not_null(f = fopen(conf, "w"), "writing %s", conf);
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\n"
	    "slots.removable = true\nlog.level = ERROR\n", tokdir);
	cr_assert_eq(fclose(f), 0, "closing %s", conf);
	cr_assert_eq(setenv("SOFTHSM2_CONF", conf, 1), 0, "setenv");
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	kr_token_module_close(mod);
	mod = NULL;
	if (top[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			fprintf(stderr, "test_presence: could not remove %s\n",
			    top);
	}
}

TestSuite(presence, .init = setup, .fini = teardown);

/* The one entry of tokdir not in before (a listing); "" if none. */
static void
new_entry(const char *before, char *out, size_t outlen)
{
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	cr_assert_not_null(d = opendir(tokdir), "opendir %s", tokdir);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strstr(before, de->d_name) == NULL)
			snprintf(out, outlen, "%s", de->d_name);
	closedir(d);
}

static void
listing(char *out, size_t outlen)
{
	struct dirent *de;
	size_t len = 0;
	DIR *d;

	out[0] = '\0';
	cr_assert_not_null(d = opendir(tokdir), "opendir %s", tokdir);
	while ((de = readdir(d)) != NULL && len + strlen(de->d_name) + 2 <
	    outlen)
		len += (size_t)snprintf(out + len, outlen - len, "%s ",
		    de->d_name);
	closedir(d);
}

/* Makes a token with softhsm2-util; dir (may be NULL) gets its directory. */
static void
make_token(const char *label, char *dir, size_t dirlen)
{
	char cmd[256], before[4096], d[256];

	listing(before, sizeof(before));
	snprintf(cmd, sizeof(cmd), "softhsm2-util --init-token --free "
	    "--label '%s' --so-pin 12345678 --pin 123456 >/dev/null", label);
	cr_assert_eq(system(cmd), 0, "softhsm2-util making %s", label);
	new_entry(before, d, sizeof(d));
	cr_assert_neq(d[0], '\0', "no new token directory for %s", label);
	if (dir != NULL)
		snprintf(dir, dirlen, "%s", d);
}

static void
move(const char *from_dir, const char *name, const char *to_dir)
{
	char a[PATH_MAX + 256], b[PATH_MAX + 256];

	snprintf(a, sizeof(a), "%s/%s", from_dir, name);
	snprintf(b, sizeof(b), "%s/%s", to_dir, name);
	cr_assert_eq(rename(a, b), 0, "moving %s to %s", a, b);
}

static struct kr_presence *
start(void)
{
	struct kr_presence *p = NULL;
	int r;

	r = kr_token_module_open(MODULE, &mod);
	cr_assert_eq(r, 0, "module: %s: %s", kr_strerror(r), kr_err_detail());
	r = kr_presence_new(mod, &p);
	cr_assert_eq(r, 0, "presence: %s: %s", kr_strerror(r),
	    kr_err_detail());
	return p;
}

static size_t
poll_n(struct kr_presence *p, struct kr_presence_event *ev, size_t max)
{
	size_t n = 99;
	int r;

	r = kr_presence_poll(p, ev, max, &n);
	cr_assert_eq(r, 0, "poll: %s: %s", kr_strerror(r), kr_err_detail());
	return n;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

Test(presence, softhsm_is_watched_by_reloading)
{
	struct kr_presence *p = start();

	cr_assert_eq(kr_presence_method(p), KR_PRESENCE_RELOAD,
	    "SoftHSM2 has no C_WaitForSlotEvent, so: reload and list");
	cr_assert_str_eq(kr_presence_method_name(KR_PRESENCE_RELOAD),
	    "re-initialise and list");
	kr_presence_free(p);
}

Test(presence, tokens_present_at_start_are_no_events)
{
	struct kr_presence_event ev[4];
	const struct kr_token_info *t;
	struct kr_presence *p;
	size_t n;

	make_token("alpha", NULL, 0);
	make_token("bravo", NULL, 0);
	p = start();
	t = kr_presence_tokens(p, &n);
	cr_assert_eq(n, 2, "two initialised tokens (not the free slot): %zu",
	    n);
	cr_assert(strcmp(t[0].label, "alpha") == 0 ||
	    strcmp(t[1].label, "alpha") == 0, "alpha listed");
	cr_assert_eq(poll_n(p, ev, 4), 0, "no change, no event");
	kr_presence_free(p);
}

Test(presence, new_token_is_inserted)
{
	struct kr_presence_event ev[4];
	struct kr_token_info t;
	struct kr_presence *p;
	int r;

	make_token("alpha", NULL, 0);
	p = start();
	make_token("bravo", NULL, 0);
	cr_assert_eq(poll_n(p, ev, 4), 1, "one event for one new token");
	cr_assert_eq(ev[0].kind, KR_PRESENCE_INSERTED);
	cr_assert_str_eq(ev[0].token.label, "bravo");
	cr_assert_eq(strlen(ev[0].token.serial), 16, "serial '%s'",
	    ev[0].token.serial);
	r = kr_token_find(mod, "bravo", &t);
	cr_assert_eq(r, 0, "find bravo: %s", kr_err_detail());
	cr_assert_str_eq(t.serial, ev[0].token.serial);
	cr_assert_eq(poll_n(p, ev, 4), 0, "reported once");
	kr_presence_free(p);
}

Test(presence, moved_away_is_removed_and_back_is_inserted)
{
	struct kr_presence_event ev[4];
	struct kr_presence *p;
	char dir[256], serial[17];

	make_token("alpha", dir, sizeof(dir));
	make_token("bravo", NULL, 0);
	p = start();
	move(tokdir, dir, top);
	cr_assert_eq(poll_n(p, ev, 4), 1, "one event for one pulled card");
	cr_assert_eq(ev[0].kind, KR_PRESENCE_REMOVED);
	cr_assert_str_eq(ev[0].token.label, "alpha");
	memcpy(serial, ev[0].token.serial, sizeof(serial));
	cr_assert_eq(poll_n(p, ev, 4), 0, "reported once");
	move(top, dir, tokdir);
	cr_assert_eq(poll_n(p, ev, 4), 1, "the card is back");
	cr_assert_eq(ev[0].kind, KR_PRESENCE_INSERTED);
	cr_assert_str_eq(ev[0].token.label, "alpha");
	cr_assert_str_eq(ev[0].token.serial, serial, "the same card");
	kr_presence_free(p);
}

Test(presence, events_beyond_max_wait_for_the_next_poll)
{
	struct kr_presence_event ev[1];
	struct kr_presence *p;
	char dir[256];

	make_token("alpha", dir, sizeof(dir));
	p = start();
	move(tokdir, dir, top);
	make_token("bravo", NULL, 0);
	make_token("charlie", NULL, 0);
	cr_assert_eq(poll_n(p, ev, 1), 1);
	cr_assert_eq(ev[0].kind, KR_PRESENCE_REMOVED, "removals first");
	cr_assert_str_eq(ev[0].token.label, "alpha");
	cr_assert_eq(poll_n(p, ev, 1), 1);
	cr_assert_eq(ev[0].kind, KR_PRESENCE_INSERTED);
	cr_assert_eq(poll_n(p, ev, 1), 1);
	cr_assert_eq(ev[0].kind, KR_PRESENCE_INSERTED);
	cr_assert_eq(poll_n(p, ev, 1), 0, "all three delivered, once");
	kr_presence_free(p);
}

Test(presence, no_reload_under_an_open_session)
{
	struct kr_presence_event ev[4];
	struct kr_token_session *s = NULL;
	struct kr_token_info t;
	struct kr_presence *p;
	int r;

	make_token("alpha", NULL, 0);
	p = start();
	r = kr_token_find(mod, "alpha", &t);
	cr_assert_eq(r, 0, "find alpha: %s", kr_err_detail());
	r = kr_token_open(mod, &t, &s);
	cr_assert_eq(r, 0, "open alpha: %s", kr_err_detail());
	make_token("bravo", NULL, 0);
	cr_assert_eq(poll_n(p, ev, 4), 0, "SoftHSM2 cannot see bravo "
	    "without a reload, and a session forbids one");
	kr_token_close(s);
	cr_assert_eq(poll_n(p, ev, 4), 1, "seen once the session closed");
	cr_assert_str_eq(ev[0].token.label, "bravo");
	kr_presence_free(p);
}

Test(presence, wait_returns_a_present_card_at_once)
{
	struct kr_token_info found;
	struct kr_presence *p;
	long t0;
	int r;

	make_token("custodian-2", NULL, 0);
	p = start();
	t0 = now_ms();
	r = kr_presence_wait(p, "custodian-2", 5000, NULL, NULL, &found);
	cr_assert_eq(r, 0, "wait: %s: %s", kr_strerror(r), kr_err_detail());
	cr_assert_str_eq(found.label, "custodian-2");
	cr_assert_lt(now_ms() - t0, 200, "no sleeping when present");
	r = kr_presence_wait(p, found.serial, 0, NULL, NULL, &found);
	cr_assert_eq(r, 0, "by serial: %s", kr_err_detail());
	kr_presence_free(p);
}

struct seen {
	char	 labels[8][33];
	int	 wanted[8];
	int	 kinds[8];
	int	 n;
	int	 ticks;
	int	 stop_after_ticks;	/* 0: never */
};

static int
record(const struct kr_presence_event *ev, int wanted, void *arg)
{
	struct seen *s = arg;

	if (ev == NULL) {
		s->ticks++;
		return s->stop_after_ticks && s->ticks >= s->stop_after_ticks;
	}
	if (s->n < 8) {
		snprintf(s->labels[s->n], sizeof(s->labels[0]), "%s",
		    ev->token.label);
		s->wanted[s->n] = wanted;
		s->kinds[s->n] = ev->kind;
		s->n++;
	}
	return 0;
}

Test(presence, wait_reports_the_wrong_card_then_finds_the_right_one)
{
	struct kr_token_info found;
	struct seen seen = { 0 };
	struct kr_presence *p;
	pid_t pid;
	int r, status;

	p = start();
	pid = fork();
	cr_assert_neq(pid, -1, "fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 0.4; softhsm2-util "
		    "--init-token --free --label custodian-4 --so-pin 12345678 "
		    "--pin 123456 >/dev/null && sleep 0.6 && softhsm2-util "
		    "--init-token --free --label custodian-2 --so-pin 12345678 "
		    "--pin 123456 >/dev/null", (char *)NULL);
		_exit(127);
	}
	r = kr_presence_wait(p, "custodian-2", 10000, record, &seen, &found);
	cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "softhsm2-util failed");
	cr_assert_eq(r, 0, "wait: %s: %s", kr_strerror(r), kr_err_detail());
	cr_assert_str_eq(found.label, "custodian-2");
	cr_assert_eq(seen.n, 2, "two insertions seen, not %d", seen.n);
	cr_assert_str_eq(seen.labels[0], "custodian-4");
	cr_assert_eq(seen.kinds[0], KR_PRESENCE_INSERTED);
	cr_assert_eq(seen.wanted[0], 0, "custodian-4 is the wrong card");
	cr_assert_str_eq(seen.labels[1], "custodian-2");
	cr_assert_eq(seen.wanted[1], 1, "custodian-2 is the one awaited");
	cr_assert_geq(seen.ticks, 3, "ticked while waiting (%d)", seen.ticks);
	cr_assert_leq(seen.ticks, 20, "~250 ms between polls, not a busy "
	    "loop (%d ticks in ~1 s)", seen.ticks);
	kr_presence_free(p);
}

Test(presence, wait_times_out_naming_the_card)
{
	struct kr_token_info found;
	struct kr_presence *p;
	long t0, dt;
	int r;

	make_token("alpha", NULL, 0);
	p = start();
	t0 = now_ms();
	r = kr_presence_wait(p, "custodian-9", 600, NULL, NULL, &found);
	dt = now_ms() - t0;
	cr_assert_eq(r, KR_ERR_TOKEN_NOT_PRESENT, "%s", kr_strerror(r));
	cr_assert_not_null(strstr(kr_err_detail(), "custodian-9"), "detail "
	    "'%s' names the card", kr_err_detail());
	cr_assert(dt >= 550 && dt < 2000, "waited %ld ms for 600", dt);
	kr_presence_free(p);
}

Test(presence, wait_stops_when_the_frontend_says_so)
{
	struct kr_token_info found;
	struct seen seen = { .stop_after_ticks = 2 };
	struct kr_presence *p;
	int r;

	p = start();
	r = kr_presence_wait(p, "custodian-1", -1, record, &seen, &found);
	cr_assert_eq(r, KR_ERR_ABORTED, "%s", kr_strerror(r));
	cr_assert_eq(seen.ticks, 2);
	kr_presence_free(p);
}

Test(presence, wait_refuses_two_cards_with_one_label)
{
	struct kr_token_info found;
	struct kr_presence *p;
	int r;

	make_token("twin", NULL, 0);
	make_token("twin", NULL, 0);
	p = start();
	r = kr_presence_wait(p, "twin", 1000, NULL, NULL, &found);
	cr_assert_eq(r, KR_ERR_INVALID_ARGUMENT, "%s", kr_strerror(r));
	cr_assert_not_null(strstr(kr_err_detail(), "serial"), "detail '%s'",
	    kr_err_detail());
	kr_presence_free(p);
}

/*
 * The other half of presence: a card pulled out in the middle of an
 * operation.  SoftHSM2 answers a search on a vanished token with "no
 * objects"; the token layer must say the card is gone, naming it, rather
 * than "no share".
 */
Test(presence, card_pulled_mid_operation_is_named)
{
	struct kr_token_pin_budget budget = { KR_TOKEN_PIN_ATTEMPTS, 0 };
	struct kr_token_session *s = NULL;
	struct kr_token_share *shares = NULL;
	struct kr_token_info t;
	struct kr_presence *p;
	char dir[256];
	size_t n = 0;
	int r;

	make_token("custodian-7", dir, sizeof(dir));
	p = start();
	r = kr_token_find(mod, "custodian-7", &t);
	cr_assert_eq(r, 0, "find: %s", kr_err_detail());
	r = kr_token_open(mod, &t, &s);
	cr_assert_eq(r, 0, "open: %s", kr_err_detail());
	r = kr_token_login(s, "123456", 6, &budget);
	cr_assert_eq(r, 0, "login: %s", kr_err_detail());
	r = kr_token_read_shares(s, NULL, &shares, &n);
	cr_assert_eq(r, 0, "read while present: %s", kr_err_detail());
	cr_assert_eq(n, 0, "a new card holds no share");
	kr_token_shares_free(shares, n);
	shares = NULL;
	move(tokdir, dir, top);
	r = kr_token_read_shares(s, NULL, &shares, &n);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "pulled card: %s (%s), not "
	    "'no share'", kr_strerror(r), kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "custodian-7"), "detail "
	    "'%s' names the card", kr_err_detail());
	kr_token_close(s);
	kr_presence_free(p);
}
