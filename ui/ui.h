/*
 * ui.h: the ncurses TUI, the engine's interactive frontend.
 *
 * kr_ui_main() takes over the terminal, shows the Home screen and runs the
 * ceremonies people choose there through the engine's prompt interface
 * (src/ceremony/engine.h), and gives the terminal back on every way out, signals
 * included.  `keyrite tui` (src/cli/cmd-tui.c) parses the command line into a
 * struct kr_ui_config and calls it.
 */
#ifndef KR_UI_H
#define KR_UI_H

#include <stddef.h>

#define KR_UI_MAX_MEDIA	8

struct kr_ui_config {
	int		 rehearsal;
	const char	*module;		/* PKCS#11 module, or NULL */
	const char	*target_module;		/* restore-key's, or NULL */
	const char	*media[KR_UI_MAX_MEDIA];
	size_t		 nmedia;
	const char	*policy;		/* NULL: beside the script */
	const char	*scripts;		/* the scripts directory */
	const char	*printer;		/* CUPS printer; NULL: default */
};

/*
 * Runs the TUI until people leave it from the Home screen.  Returns 0;
 * KR_ERR_SIGNALLED when a signal stopped it, KR_ERR_TERMINAL_LOST when
 * its terminal went away (hang-up, end of file, I/O error), or
 * KR_ERR_AIRGAP_BREACHED when a ceremony's air gap was breached (the
 * machine is not fit for another) — in each case a ceremony in progress
 * was aborted and recorded first, and the detail says why and where the
 * transcript is; or another KR_ERR_* when the terminal or the lobby could
 * not be set up (the detail says why).  The terminal is restored, as far
 * as it still exists, before it returns.
 */
int	kr_ui_main(const struct kr_ui_config *cfg);

#endif /* KR_UI_H */
