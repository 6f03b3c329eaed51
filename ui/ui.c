/*
 * ui.c: the terminal, the screen driver and the TUI's main loop.
 *
 * The terminal is taken in raw mode, so that Ctrl-C, Ctrl-Z and Ctrl-\
 * arrive as keys (Ctrl-C asks to abort, like F10) rather than kill or
 * suspend a ceremony.  SIGINT, SIGTERM, SIGHUP and SIGQUIT from outside
 * only set a flag: the screen driver sees it within one tick, a prompt in
 * progress returns KR_ERR_SIGNALLED so that the engine wipes and records
 * the abort, and the terminal is given back before keyrite exits.  A
 * second signal (but not a second SIGHUP) restores the terminal settings
 * from the handler itself and exits at once.  ncurses handles SIGWINCH
 * (KEY_RESIZE).  An atexit handler ends curses on any other way out.
 *
 * A terminal can also go away without a signal reaching keyrite (a tmux
 * server killed, a serial line dropped, keyrite in a session of its own):
 * then every key read fails at once.  A failed read on a terminal that
 * polls as hung up (POLLHUP, POLLERR, POLLNVAL) or as readable with
 * nothing to read (end of file) is a lost terminal, and stops keyrite the
 * way a signal does, recorded as such.  A signal that arrives with the
 * terminal gone (the kernel's SIGHUP on hang-up) counts as a lost
 * terminal too.
 *
 * While a prompt waits, every tick (250 ms) calls the prompt's air-gap
 * watch; when it fails, the prompt returns its error and the engine,
 * which has already wiped every secret, stops the ceremony.
 *
 * Every new screen discards keys typed before it appeared, so that a key
 * pressed twice never answers a prompt nobody has read yet.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "ceremony/appliance.h"
#include "ceremony/lobby.h"
#include "ceremony/script.h"
#include "ui-int.h"

#define UI_MIN_ROWS	25
#define UI_MIN_COLS	80
#define UI_ESCDELAY_MS	25
#define UI_REDRAW_MS	100

static volatile sig_atomic_t ui_sig;
static int ui_lost;		/* the terminal went away */
static struct termios saved_tio;
static int have_tio;
static SCREEN *ui_screen;
static int ui_atexit_set;
static int ui_nested_dialog;	/* the abort dialog or a viewer is open */
static const int ui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction ui_old_actions[4];

/*
 * A second signal exits at once, for people who want keyrite gone now;
 * but not a second SIGHUP: a hang-up can bring two (the kernel's, and an
 * interactive shell passing its own on to its jobs), and nobody is left
 * at a hung-up terminal to want anything but the abort recorded.
 */
static void
on_signal(int sig)
{
	static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";

	if (ui_sig != 0 && sig != SIGHUP) {
		if (have_tio)
			(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		(void)!write(STDOUT_FILENO, reset, sizeof(reset) - 1);
		_exit(128 + sig);
	}
	if (ui_sig == 0)
		ui_sig = sig;
}

/*
 * Is the terminal gone?  A hung-up terminal polls as POLLHUP (and reads
 * return 0 or EIO); one at end of file polls readable with nothing to
 * read.
 */
static int
term_gone(void)
{
	struct pollfd pfd;
	int n = 0;

	memset(&pfd, 0, sizeof(pfd));
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) == -1)
		return errno != EINTR && errno != EAGAIN && errno != ENOMEM;
	if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
		return 1;
	if ((pfd.revents & POLLIN) == 0)
		return 0;
	if (ioctl(STDIN_FILENO, FIONREAD, &n) == -1)
		return errno == EIO;
	return n == 0;
}

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	case SIGQUIT:
		return "SIGQUIT";
	}
	return "a signal";
}

int
kr_ui_stopping(void)
{
	return ui_sig != 0 || ui_lost;
}

int
kr_ui_stop_error(void)
{
	if (!kr_ui_stopping())
		return 0;
	if (!ui_lost && term_gone())
		ui_lost = 1;
	if (ui_lost && ui_sig != 0)
		return kr_err_set(KR_ERR_TERMINAL_LOST, "%s%s", ui_sig ==
		    SIGHUP ? "hang-up (SIGHUP)" : signal_name(ui_sig), ui_sig ==
		    SIGHUP ? "" : ", with the terminal gone");
	if (ui_lost)
		return kr_err_set(KR_ERR_TERMINAL_LOST, "hang-up, end of file "
		    "or I/O error on it");
	return kr_err_set(KR_ERR_SIGNALLED, "%s", signal_name(ui_sig));
}

static void
term_restore(void)
{
	if (ui_screen == NULL)
		return;
	if (!isendwin())
		endwin();
	delscreen(ui_screen);
	ui_screen = NULL;
}

static void
signals_set(int install)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: wake the key read */
	for (i = 0; i < sizeof(ui_signals) / sizeof(ui_signals[0]); i++) {
		if (install)
			sigaction(ui_signals[i], &sa, &ui_old_actions[i]);
		else
			sigaction(ui_signals[i], &ui_old_actions[i], NULL);
	}
}

static int
term_start(struct kr_ui *ui)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "the TUI needs a "
		    "terminal on stdin and stdout; for a ceremony without one "
		    "use keyrite run --answers FILE");
	setlocale(LC_CTYPE, "");
	/* KEYRITE_ASCII=1: a console font without the block characters. */
	ui->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 &&
	    (getenv("KEYRITE_ASCII") == NULL ||
	    strcmp(getenv("KEYRITE_ASCII"), "1") != 0);
	have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	signals_set(1);
	if (!ui_atexit_set) {
		atexit(term_restore);
		ui_atexit_set = 1;
	}
	if ((ui_screen = newterm(NULL, stdout, stdin)) == NULL) {
		signals_set(0);
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "cannot use the "
		    "terminal type '%s': set TERM (linux, vt100, xterm)",
		    getenv("TERM") ? getenv("TERM") : "");
	}
	set_term(ui_screen);
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(UI_ESCDELAY_MS);
	curs_set(0);
	kr_ui_colors_init(ui);
	getmaxyx(stdscr, ui->rows, ui->cols);
	return 0;
}

static void
term_stop(void)
{
	term_restore();
	signals_set(0);
}

/* Maps the keys several terminals send for one meaning to one code. */
static void
normalize(struct kr_key *k)
{
	if (k->fn == 0) {
		switch (k->ch) {
		case '\r':
		case '\n':
			k->fn = KEY_ENTER;
			break;
		case 0x7f:
		case 0x08:
			k->fn = KEY_BACKSPACE;
			break;
		case 0x1b:
			k->fn = KR_KEY_ESC;
			break;
		case 0x03:	/* Ctrl-C */
		case 0x18:	/* Ctrl-X */
			k->fn = KR_KEY_ABORT;
			break;
		case 0x14:	/* Ctrl-T */
			k->fn = KR_KEY_TRANSCRIPT;
			break;
		case 0x12:	/* Ctrl-R */
			k->fn = KR_KEY_QR;
			break;
		case '\t':
			break;
		default:
			if (k->ch < 0x20)
				k->fn = KEY_MAX;	/* ignored */
		}
		if (k->fn != 0)
			k->ch = 0;
		return;
	}
	if (k->fn == KEY_F(10))
		k->fn = KR_KEY_ABORT;
	else if (k->fn == KEY_F(2))
		k->fn = KR_KEY_TRANSCRIPT;
	else if (k->fn == KEY_F(3))
		k->fn = KR_KEY_QR;
}

static int
read_key(struct kr_key *k, int timeout_ms)
{
	wint_t ch;
	int r;

	if (ui_lost)
		return 0;
	timeout(timeout_ms);
	r = get_wch(&ch);
	memset(k, 0, sizeof(*k));
	if (r == ERR) {
		/* A time-out, a signal, or a terminal that is gone. */
		if (term_gone())
			ui_lost = 1;
		return 0;
	}
	if (r == KEY_CODE_YES)
		k->fn = (int)ch;
	else
		k->ch = ch;
	normalize(k);
	return 1;
}

void
kr_ui_screen_draw(struct kr_ui *ui, const struct kr_screen_ops *ops,
    const void *state)
{
	getmaxyx(stdscr, ui->rows, ui->cols);
	erase();
	kr_ui_cursor_at(-1, -1);
	if (ui->rows < UI_MIN_ROWS || ui->cols < UI_MIN_COLS) {
		char msg[160];

		snprintf(msg, sizeof(msg), "keyrite needs a terminal of at "
		    "least %dx%d; this one is %dx%d. Make it larger: nothing "
		    "has been lost.", UI_MIN_COLS, UI_MIN_ROWS, ui->cols,
		    ui->rows);
		kr_ui_wrap(ui, 0, 0, ui->cols, ui->rows, KR_UI_TITLE, msg, 1);
		curs_set(0);
		refresh();
		return;
	}
	kr_ui_header(ui);
	ops->draw(ui, state);
	kr_ui_cursor_apply();
	refresh();
}

int
kr_ui_poll_keys(struct kr_ui *ui)
{
	struct kr_key k;

	while (read_key(&k, 0)) {
		if (k.fn == KR_KEY_ABORT && ui->run != NULL)
			ui->run->abort_pending = 1;
		/* Anything else typed while the machine works is dropped. */
	}
	return kr_ui_stopping();
}

/*
 * A tick during a prompt: the prompt's air-gap watch.  Returns 1 when it
 * failed (its error is kept for the prompt to return).
 */
static int
watch_tick(struct kr_ui *ui)
{
	struct kr_run *run = ui->run;
	const struct kr_prompt *p;
	int r;

	if (run == NULL || (p = run->asking) == NULL || p->watch == NULL)
		return 0;
	if ((r = p->watch(p->watch_ctx)) == 0)
		return 0;
	run->watch_error = r;
	snprintf(run->watch_detail, sizeof(run->watch_detail), "%s",
	    kr_err_detail());
	return 1;
}

/* Keys every screen shares; returns -1 when the screen should see k. */
static int
global_key(struct kr_ui *ui, const struct kr_key *k)
{
	struct kr_ui_abort ab;
	int r;

	if (ui_nested_dialog)
		return -1;
	if (k->fn == KR_KEY_ABORT && ui->run != NULL && ui->run->in_ask) {
		memset(&ab, 0, sizeof(ab));
		ui_nested_dialog = 1;
		r = kr_ui_screen_run(ui, &kr_ui_abort_ops, &ab);
		ui_nested_dialog = 0;
		if (r == KR_SCREEN_ABORT || ab.confirmed)
			return KR_SCREEN_ABORT;
		flushinp();
		return KR_SCREEN_STAY;
	}
	if ((k->fn == KR_KEY_TRANSCRIPT || k->fn == KR_KEY_QR) &&
	    ui->transcript != NULL) {
		ui_nested_dialog = 1;
		r = kr_ui_screen_run(ui, k->fn == KR_KEY_QR ? &kr_ui_qr_ops :
		    &kr_ui_transcript_ops, NULL);
		ui_nested_dialog = 0;
		flushinp();
		return r == KR_SCREEN_ABORT ? KR_SCREEN_ABORT : KR_SCREEN_STAY;
	}
	return -1;
}

/*
 * The next key; a tick when KR_TICK_MS have passed since the last one, so
 * that keys arriving faster (a key held down) never starve the screens
 * that poll on ticks, such as the card wait; or, every UI_REDRAW_MS
 * between, nothing (KEY_MAX), so that the screen is redrawn: a footer
 * offering Enter appears as soon as Enter is taken.
 */
static void
next_key(struct kr_key *k, long long *last_tick)
{
	long long wait = *last_tick + KR_TICK_MS - kr_ui_now_ms();

	if (wait > 0 && read_key(k, wait < UI_REDRAW_MS ? (int)wait :
	    UI_REDRAW_MS))
		return;
	memset(k, 0, sizeof(*k));
	if (*last_tick + KR_TICK_MS > kr_ui_now_ms()) {
		k->fn = KEY_MAX;
		return;
	}
	k->fn = KR_KEY_TICK;
	*last_tick = kr_ui_now_ms();
}

int
kr_ui_screen_run(struct kr_ui *ui, const struct kr_screen_ops *ops,
    void *arg)
{
	long long last_tick = kr_ui_now_ms();
	struct kr_key k;
	void *state = NULL;
	int r;

	if ((r = ops->init(ui, arg, &state)) != 0)
		return r;
	flushinp();
	for (;;) {
		if (kr_ui_stopping()) {
			r = KR_SCREEN_ABORT;
			break;
		}
		kr_ui_screen_draw(ui, ops, state);
		next_key(&k, &last_tick);
		if (kr_ui_stopping() ||
		    (k.fn == KR_KEY_TICK && watch_tick(ui))) {
			r = KR_SCREEN_ABORT;
			break;
		}
		if (k.fn == KEY_RESIZE || k.fn == KEY_MAX)
			continue;
		if ((r = global_key(ui, &k)) == KR_SCREEN_ABORT)
			break;
		if (r == KR_SCREEN_STAY)
			continue;
		if ((r = ops->key(ui, state, &k)) != KR_SCREEN_STAY)
			break;
	}
	ops->free(state);
	return r;
}

/* Parameters, then the ceremony, until people go back to Home. */
static int
prepare_and_run(struct kr_ui *ui, const struct kr_lobby_script *ls)
{
	struct kr_ui_params pp;
	int r;

	if ((r = kr_ui_params_open(&pp, ls->path, ui->cfg->policy)) != 0)
		return r;
	for (;;) {
		ui->context = pp.script->name;
		r = kr_ui_screen_run(ui, &kr_ui_params_ops, &pp);
		if (r != KR_SCREEN_DONE || !pp.start)
			break;
		/* 1: refused before anything started; the reason is shown. */
		/* 0: it ran; <0: it could not, or it must end keyrite. */
		if ((r = kr_ui_ceremony(ui, &pp)) != 1)
			break;
	}
	ui->context = NULL;
	kr_ui_params_close(&pp);
	return r;
}

/*
 * Home, and the ceremonies chosen there, until people leave (0), a signal
 * or a lost terminal stops keyrite (0: the caller asks why), or a
 * ceremony's air gap was breached (KR_ERR_AIRGAP_BREACHED, detail set):
 * the machine is then not fit for another ceremony.
 */
static int
home_loop(struct kr_ui *ui)
{
	struct kr_ui_home home;
	int r;

	memset(&home, 0, sizeof(home));
	for (;;) {
		home.chosen = 0;
		r = kr_ui_screen_run(ui, &kr_ui_home_ops, &home);
		if (r != KR_SCREEN_DONE || !home.chosen || kr_ui_stopping())
			break;
		home.message[0] = '\0';
		r = prepare_and_run(ui, kr_lobby_script(ui->lobby, home.sel));
		if (kr_ui_stopping())
			break;
		if (r == KR_ERR_AIRGAP_BREACHED)
			return r;
		if (r < 0)
			snprintf(home.message, sizeof(home.message), "%s: %s",
			    kr_strerror(r), kr_err_detail());
	}
	return 0;
}

int
kr_ui_main(const struct kr_ui_config *cfg)
{
	static char last[KR_UI_PATH_MAX];
	char detail[1024];
	struct kr_appliance_config acfg;
	struct kr_ui ui;
	int r;

	memset(&ui, 0, sizeof(ui));
	ui.cfg = cfg;
	ui_sig = 0;
	ui_lost = 0;
	acfg.media_dir = cfg->nmedia > 0 ? cfg->media[0] : NULL;
	acfg.cards_dir = cfg->rehearsal ? cfg->cards_dir : NULL;
	acfg.module = cfg->module;
	if ((r = kr_appliance_new(&acfg, &ui.appliance)) != 0)
		return r;
	if ((r = kr_lobby_new(cfg->scripts, cfg->module, &ui.lobby)) != 0) {
		kr_appliance_free(ui.appliance);
		return r;
	}
	if ((r = kr_lobby_check(ui.lobby)) != 0 ||
	    (r = term_start(&ui)) != 0) {
		kr_lobby_free(ui.lobby);
		kr_appliance_free(ui.appliance);
		return r;
	}
	ui.last_transcript = last;
	last[0] = '\0';
	r = home_loop(&ui);
	if (r == 0)
		r = kr_ui_stop_error();
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	term_stop();
	kr_lobby_free(ui.lobby);
	kr_appliance_free(ui.appliance);
	if (r != 0)
		return kr_err_set(r, "%s%s%s%s", detail, last[0] ? "; the "
		    "ceremony was aborted and the abort recorded in " : "",
		    last, last[0] ? " (unsealed)" : "");
	return 0;
}
