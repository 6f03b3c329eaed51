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

	fprintf(f, "usage: keyrite [<command> [arguments]]\n\n"
	    "keyrite holds key ceremonies on an offline appliance: keys are\n"
	    "made, split M of N onto custodians' cards, recovered and used,\n"
	    "and every act is recorded in a signed, hash-chained transcript.\n"
	    "On a terminal, keyrite alone starts the ceremony room (tui).\n\n"
	    "commands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-16s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nkeyrite <command> --help (or -h) shows a command's whole "
	    "help; man keyrite\nthe manual.  Exit codes: docs/exit-codes.md.\n");
}

/* "usage: keyrite NAME ARGS", the arguments wrapped at 76 columns. */
static void
usage_line(const struct kr_cmd_entry *e, FILE *f)
{
	const char *p = e->args, *sp;
	int col, indent, len;

	col = indent = fprintf(f, "usage: keyrite %s", e->name);
	while (*p != '\0') {
		sp = p + strcspn(p, " ");
		len = (int)(sp - p);
		/* Keep "[--media DIR...]" and the like together. */
		if (*p == '[' && memchr(p, ']', strlen(p)) != NULL)
			len = (int)(strchr(p, ']') - p + 1);
		if (col + 1 + len > 76 && col > indent) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		col += fprintf(f, " %.*s", len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void
kr_cmd_help(const struct kr_cmd_entry *e, FILE *f)
{
	usage_line(e, f);
	fputc('\n', f);
	fprintf(f, "%c%s.\n", e->summary[0] >= 'a' && e->summary[0] <= 'z' ?
	    e->summary[0] - 'a' + 'A' : e->summary[0], e->summary + 1);
	if (e->help != NULL)
		fprintf(f, "\n%s", e->help);
}

static const struct kr_cmd_entry *
find(const char *name)
{
	const struct kr_cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			return *e;
	return NULL;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
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
	usage_line(e, stderr);
	fprintf(stderr, "(keyrite %s --help tells more)\n", e->name);
	return KR_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static char tui_name[] = "tui";
	static char *tui_argv[] = { NULL, tui_name, NULL };
	const struct kr_cmd_entry *e;
	struct kr_harden_status st;
	const char *name;
	int i, r;

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
	/* keyrite -h, keyrite help [COMMAND] */
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (e = find(argv[2])) != NULL) {
			kr_cmd_help(e, stdout);
			return KR_EXIT_OK;
		}
		usage(stdout);
		return argc > 2 ? KR_EXIT_USAGE : KR_EXIT_OK;
	}
	name = strcmp(argv[1], "--version") == 0 ? "version" : argv[1];
	if ((e = find(name)) == NULL) {
		fprintf(stderr, "keyrite: unknown command '%s'\n", name);
		usage(stderr);
		return KR_EXIT_USAGE;
	}
	/* Every command's --help and -h, from the table, before it runs. */
	for (i = 2; i < argc; i++)
		if (is_help(argv[i])) {
			kr_cmd_help(e, stdout);
			return KR_EXIT_OK;
		}
	if (e->flags & KR_CMD_SECRETS) {
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
	return e->exec(argc - 1, argv + 1);
}
