/*
 * cmd-tui.c: keyrite tui, the interactive frontend.
 *
 * Parses the command line into a struct kr_ui_config and hands the
 * terminal to the TUI (ui/).  `keyrite` with no arguments on a terminal
 * comes here too.  The options are those of keyrite run, less the answers
 * file: people give the answers.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "cmd.h"
#include "ui/ui.h"

static int
parse_args(int argc, char **argv, struct kr_ui_config *cfg,
    const char **scriptsp)
{
	int i;

	memset(cfg, 0, sizeof(*cfg));
	*scriptsp = NULL;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--rehearsal") == 0) {
			cfg->rehearsal = 1;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(o, "--media") == 0 && cfg->nmedia < KR_UI_MAX_MEDIA)
			cfg->media[cfg->nmedia++] = v;
		else if (strcmp(o, "--module") == 0)
			cfg->module = v;
		else if (strcmp(o, "--target-module") == 0)
			cfg->target_module = v;
		else if (strcmp(o, "--policy") == 0)
			cfg->policy = v;
		else if (strcmp(o, "--scripts") == 0)
			*scriptsp = v;
		else if (strcmp(o, "--printer") == 0)
			cfg->printer = v;
		else if (strcmp(o, "--cards-dir") == 0)
			cfg->cards_dir = v;
		else
			return -1;
	}
	return 0;
}

static int
cmd_tui(int argc, char **argv)
{
	struct kr_ui_config cfg;
	const char *scripts;
	char dir[4096];
	int r;

	if (parse_args(argc, argv, &cfg, &scripts) != 0)
		return kr_cmd_usage(&kr_cmd_tui_entry);
	if ((r = kr_lobby_scripts_dir(scripts, dir, sizeof(dir))) != 0) {
		kr_cmd_perror("tui", r);
		return KR_EXIT_USAGE;
	}
	cfg.scripts = dir;
	if ((r = kr_ui_main(&cfg)) != 0) {
		kr_cmd_perror("tui", r);
		return r == KR_ERR_AIRGAP_BREACHED ? KR_EXIT_AIRGAP :
		    KR_EXIT_FAILURE;
	}
	return KR_EXIT_OK;
}

const struct kr_cmd_entry kr_cmd_tui_entry = {
	.name = "tui",
	.args = "[--rehearsal] [--media DIR...] [--module PATH] "
	    "[--target-module PATH] "
	    "[--policy FILE] [--scripts DIR] [--printer NAME] [--cards-dir DIR]",
	.summary = "run ceremonies interactively (the default on a terminal)",
	.flags = KR_CMD_SECRETS,
	.exec = cmd_tui,
	.help =
	"The ceremony room: a full-screen terminal interface (80x25 at least)\n"
	"that shows the administrator, custodians and witnesses each step, what\n"
	"to read aloud, and asks for names, cards, PINs and confirmations\n"
	"(docs/operator-guide.md).  keyrite with no arguments on a terminal\n"
	"starts it.  F10 (or Ctrl-X, Ctrl-C) and ABORT typed abort a ceremony;\n"
	"F2 shows the transcript, F3 its SHA-256 as a QR code.\n"
	"\n"
	"  --rehearsal     virtual cards and any script; nothing made is real\n"
	"  --media DIR     where outputs and transcripts go (repeat for copies)\n"
	"  --module PATH   the PKCS#11 module for the cards\n"
	"  --target-module PATH\n"
	"                  the PKCS#11 module of the HSM a key is restored to\n"
	"  --policy FILE   the policy (default: beside the scripts)\n"
	"  --scripts DIR   the ceremony scripts (default: installed beside\n"
	"                  keyrite, $KEYRITE_SCRIPTS, or ./ceremony-scripts)\n"
	"  --printer NAME  the CUPS printer for print-transcript (default:\n"
	"                  CUPS's default printer, if any)\n"
	"  --cards-dir DIR where the appliance's Home makes rehearsal cards\n"
	"                  (c, in a rehearsal)\n"
	"\n"
	"Exit status: 0 left from Home; 1 stopped by a signal or a lost\n"
	"terminal (a ceremony in progress was aborted and recorded first), or no\n"
	"terminal; 4 a ceremony's air gap was breached; 2 bad command line.\n",
};
