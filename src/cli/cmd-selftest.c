/*
 * cmd-selftest.c: keyrite selftest [--hold]
 *
 * Runs the power-on self-tests (selftest.h) in the hardened process and
 * prints one row per test, then a summary.  Exits KR_EXIT_OK only if every
 * test passed, KR_EXIT_SELFTEST otherwise.
 *
 * --hold keeps the process alive after the table until end-of-file on
 * standard input, so that an auditor or a test can look at the hardened
 * process from outside (/proc/<pid>/status, its /proc ownership, whether
 * another process of the same user may read its memory map).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "cmd.h"
#include "crypto/selftest.h"

static void
help(void)
{
	printf("usage: keyrite %s %s\n\n", kr_cmd_selftest_entry.name,
	    kr_cmd_selftest_entry.args);
	printf("Runs the power-on self-tests: known-answer tests (SHA-256,\n"
	    "SHA-384, HMAC-SHA-256, AES-256-GCM), pairwise consistency of\n"
	    "fresh ECDSA P-256/P-384, Ed25519 and RSA-PSS keys, random\n"
	    "generator health, the secure heap and process hardening.\n"
	    "Exits 0 only if every test passed, 3 if any failed.\n\n"
	    "  --hold   after the results, wait for end-of-file on standard\n"
	    "           input, so the hardened process can be inspected\n"
	    "           (for example /proc/<pid>/status) while it runs\n"
	    "  --help   show this text\n");
}

/* Reads standard input to end-of-file, discarding it. */
static void
hold(void)
{
	char buf[256];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
}

static void
print_table(const struct kr_selftest_result *res, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(res[i].name) > w)
			w = strlen(res[i].name);
	for (i = 0; i < n; i++)
		printf("  %-*s  %s  %s\n", (int)w, res[i].name,
		    res[i].ok ? "PASS" : "FAIL", res[i].detail);
}

static int
cmd_selftest(int argc, char **argv)
{
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	size_t i, n = 0, failed = 0;
	int dohold = 0, r;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--hold") == 0)
			dohold = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			help();
			return KR_EXIT_OK;
		} else
			return kr_cmd_usage(&kr_cmd_selftest_entry);
	}

	r = kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	print_table(res, n);
	for (i = 0; i < n; i++)
		if (!res[i].ok)
			failed++;
	if (r == 0)
		printf("selftest: all %zu tests passed\n", n);
	else {
		printf("selftest: %zu of %zu tests FAILED\n", failed, n);
		kr_cmd_perror("selftest", r);
	}
	if (dohold) {
		printf("selftest: holding (pid %ld) until end-of-file on "
		    "standard input\n", (long)getpid());
		fflush(stdout);
		hold();
	}
	return r == 0 ? KR_EXIT_OK : KR_EXIT_SELFTEST;
}

const struct kr_cmd_entry kr_cmd_selftest_entry = {
	"selftest", "[--hold]", "run the power-on self-tests",
	KR_CMD_SECRETS, cmd_selftest
};
