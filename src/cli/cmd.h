/*
 * cmd.h: the keyrite command's subcommand table and exit codes.
 *
 * Each subcommand lives in its own cmd-<verb>.c and exports one
 * struct kr_cmd_entry; keyrite.c collects them in a table, parses the
 * command line and dispatches.  The usage text is generated from the table.
 * Subcommands are the frontend: they may print and choose exit codes; the
 * engine they call may not.
 */
#ifndef KR_CMD_H
#define KR_CMD_H

#include <stdio.h>

/* Exit codes; documented in docs/exit-codes.md.  Keep the two in step. */
#define KR_EXIT_OK		0	/* success */
#define KR_EXIT_FAILURE		1	/* the operation failed; see message */
#define KR_EXIT_USAGE		2	/* bad command line */
#define KR_EXIT_SELFTEST	3	/* a power-on self-test failed */
#define KR_EXIT_AIRGAP		4	/* the machine is not air-gapped */
#define KR_EXIT_INTEGRITY	5	/* a file failed its integrity check */
#define KR_EXIT_HARDEN		6	/* could not harden the process */
#define KR_EXIT_REFUSED		7	/* refused before any work: policy,
					   existing outputs */
#define KR_EXIT_PRINT		8	/* the PDF is written, but printing
					   failed (see message) */
#define KR_EXIT_INCOMPLETE	9	/* verify: sealed and intact, but an
					   expected co-signature is missing */
#define KR_EXIT_FINDINGS	10	/* audit: a finding of severity high */

/* Flags for struct kr_cmd_entry. */
#define KR_CMD_SECRETS		0x1	/* harden the process before running */

/*
 * One subcommand.  Write entries with designated initializers: fields may
 * be added.  `keyrite NAME --help` (or -h) prints, to stdout with exit 0,
 * "usage: keyrite NAME ARGS", the summary, and help, before exec runs:
 * no subcommand handles --help itself.  help is the whole text: what the
 * command does, each option, the files it reads, its exit codes; lines
 * of at most 76 columns, each ending in a newline.  The man page
 * (docs/man/keyrite.1) says the same at more length.
 */
struct kr_cmd_entry {
	const char	*name;
	const char	*args;		/* usage, after the name */
	const char	*summary;	/* one line for the usage text */
	int		 flags;
	int		(*exec)(int argc, char **argv);	/* returns KR_EXIT_* */
	const char	*help;		/* the full help text, above */
};

extern const struct kr_cmd_entry kr_cmd_selftest_entry;
extern const struct kr_cmd_entry kr_cmd_airgap_check_entry;
extern const struct kr_cmd_entry kr_cmd_escrow_entry;
extern const struct kr_cmd_entry kr_cmd_run_entry;
extern const struct kr_cmd_entry kr_cmd_verify_entry;
extern const struct kr_cmd_entry kr_cmd_audit_entry;
extern const struct kr_cmd_entry kr_cmd_print_entry;
extern const struct kr_cmd_entry kr_cmd_rehearsal_cards_entry;
extern const struct kr_cmd_entry kr_cmd_version_entry;
extern const struct kr_cmd_entry kr_cmd_cards_entry;
extern const struct kr_cmd_entry kr_cmd_tui_entry;
extern const struct kr_cmd_entry kr_cmd_clean_entry;

struct kr_answers;
struct kr_token_session;

/*
 * Logs in to the open card s (named name in messages, context the
 * command) with its PIN from pins (pin.<label> or pin.<serial>), or typed
 * at the terminal without echo when ask is set.  Never tries a PIN from a
 * file on a card at its last attempt.  Returns 0, KR_ERR_NOT_FOUND when no
 * PIN was given (the card is skipped), or an error already printed.
 */
int	kr_cmd_card_login(const struct kr_answers *pins, int ask,
	    struct kr_token_session *s, const char *name, const char *context);

/*
 * Prints "keyrite: <context>: <kr_strerror(r)>[: <detail>]" to stderr.
 * context may be NULL.
 */
void	kr_cmd_perror(const char *context, int r);

/*
 * Prints "usage: keyrite <name> <args>" for e to stderr, and where the
 * whole help is; returns KR_EXIT_USAGE.
 */
int	kr_cmd_usage(const struct kr_cmd_entry *e);

/* Prints e's full help (usage, summary, help text) to f. */
void	kr_cmd_help(const struct kr_cmd_entry *e, FILE *f);

#endif /* KR_CMD_H */
