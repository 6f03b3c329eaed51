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
		else
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
	.name = "selftest",
	.args = "[--hold]",
	.summary = "run the power-on self-tests",
	.flags = KR_CMD_SECRETS,
	.exec = cmd_selftest,
	.help =
	"Runs the power-on self-tests every ceremony starts with: known-answer\n"
	"tests of the hashes, HMAC and AES-256-GCM, a fixed-key signature and\n"
	"a pairwise test for every algorithm the policy allows (ECDSA P-256,\n"
	"P-384, P-521, RSA-3072/4096-PSS, Ed25519, Ed448), secret sharing, the\n"
	"random generator's health, the secure heap and process hardening;\n"
	"one row each (docs/selftest.md).\n"
	"\n"
	"  --hold   after the results, wait for end of file on standard input,\n"
	"           so that the hardened process can be inspected (for example\n"
	"           /proc/<pid>/status) while it runs\n"
	"\n"
	"Exit status: 0 every test passed; 3 a test failed (do not hold a\n"
	"ceremony on this machine); 6 hardening failed; 2 bad command line.\n",
};
