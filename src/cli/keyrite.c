/*
 * keyrite.c: main() for the keyrite command.
 *
 * Parses the first argument, finds the subcommand in the table, hardens the
 * process when the subcommand may touch secrets, and runs it.  Nothing else
 * happens here: each verb is in its own cmd-<verb>.c.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/text.h"
#include "base/version.h"
#include "cmd.h"

static const struct kr_cmd_entry *const cmd_table[] = {
	&kr_cmd_tui_entry,
	&kr_cmd_selftest_entry,
	&kr_cmd_airgap_check_entry,
	&kr_cmd_run_entry,
	&kr_cmd_escrow_entry,
	&kr_cmd_verify_entry,
	&kr_cmd_audit_entry,
	&kr_cmd_print_entry,
	&kr_cmd_cards_entry,
	&kr_cmd_clean_entry,
	&kr_cmd_rehearsal_cards_entry,
	&kr_cmd_version_entry,
	NULL
};

static void
usage(FILE *f)
{
	const struct kr_cmd_entry *const *e;

	fprintf(f, "usage: keyrite <command> [arguments]\n\ncommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-16s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nkeyrite <command> --help shows a command's arguments.\n");
}

void
kr_cmd_perror(const char *context, int r)
{
	/* A detail may quote bytes of a file, a card or an answer. */
	static char d[4 * 1024 + 1];

	kr_printable_lines(kr_err_detail(), d, sizeof(d));
	fprintf(stderr, "keyrite: %s%s%s%s%s\n", context ? context : "",
	    context ? ": " : "", kr_strerror(r), *d ? ": " : "", d);
}

int
kr_cmd_usage(const struct kr_cmd_entry *e)
{
	fprintf(stderr, "usage: keyrite %s %s\n", e->name, e->args);
	return KR_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static char tui_name[] = "tui";
	static char *tui_argv[] = { NULL, tui_name, NULL };
	const struct kr_cmd_entry *const *e;
	struct kr_harden_status st;
	const char *name;
	int r;

	/* Before anything can make OpenSSL allocate. */
	if ((r = kr_harden_crypto_memory()) != 0) {
		kr_cmd_perror("hardening OpenSSL's memory", r);
		return KR_EXIT_HARDEN;
	}
	/* On a terminal, no command means the TUI. */
	if (argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		tui_argv[0] = argv[0];
		argc = 2;
		argv = tui_argv;
	}
	if (argc < 2) {
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return KR_EXIT_OK;
	}
	name = strcmp(argv[1], "--version") == 0 ? "version" : argv[1];

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			break;
	if (*e == NULL) {
		fprintf(stderr, "keyrite: unknown command '%s'\n", name);
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	if ((*e)->flags & KR_CMD_SECRETS) {
		if ((r = kr_harden_process(&st)) != 0) {
			kr_cmd_perror("hardening the process", r);
			return KR_EXIT_HARDEN;
		}
		if (!st.mlockall_ok)
			fprintf(stderr, "keyrite: warning: not all memory is "
			    "locked (%s); secrets are still kept in "
			    "individually locked pages, but other memory may "
			    "be swapped. Run as root for full protection.\n",
			    st.mlockall_why);
	}
	return (*e)->exec(argc - 1, argv + 1);
}
