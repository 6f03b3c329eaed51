/*
 * ui-int.h: what the TUI's files share.  Not for anything outside ui/.
 *
 * The TUI is a stack of screens.  Each screen is a small operations table,
 * struct kr_screen_ops, in the manner of tmux's struct window_mode: init
 * makes its state from an argument, key handles one key (or a tick of the
 * clock), draw paints it from its state and the engine's facts without
 * changing either, free releases it.  kr_ui_screen_run() drives one screen
 * until it is done; the engine's prompts run screens from inside
 * kr_engine_run() (ui-runner.c), so screens nest.
 *
 * All ncurses calls stay in ui/.  Nothing here touches keys, cards or
 * files: the engine and the lobby (src/ceremony/lobby.h) do.
 */
#ifndef KR_UI_INT_H
#define KR_UI_INT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <curses.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "ceremony/engine.h"
#include "ceremony/script.h"
#include "ui.h"

struct kr_appliance;
struct kr_lobby;
struct kr_script;

/* Keys as screens see them. */
#define KR_KEY_TICK		(KEY_MAX + 1)	/* the clock: every 250 ms */
#define KR_KEY_ABORT		(KEY_MAX + 2)	/* F10, Ctrl-X, Ctrl-C */
#define KR_KEY_TRANSCRIPT	(KEY_MAX + 3)	/* F2, Ctrl-T */
#define KR_KEY_QR		(KEY_MAX + 4)	/* F3, Ctrl-R */
#define KR_KEY_ESC		(KEY_MAX + 5)
#define KR_TICK_MS		250
/*
 * Enter is not taken until a screen that it would answer has been up this
 * long, so that a key pressed twice, or bouncing, never acknowledges an
 * instruction or sends an answer nobody has seen; the footer shows Enter
 * only from then on.
 */
#define KR_ENTER_GUARD_MS	300

struct kr_key {
	int	fn;	/* a KEY_* or KR_KEY_* code; 0 for a character */
	wint_t	ch;	/* the character when fn is 0 */
};

/* What a screen's key handler returns. */
enum kr_screen_result {
	KR_SCREEN_STAY,		/* keep going */
	KR_SCREEN_DONE,		/* finished; the result is in its state */
	KR_SCREEN_BACK,		/* left without a result */
	KR_SCREEN_ABORT,	/* the ceremony is to be aborted */
};

struct kr_ui;

struct kr_screen_ops {
	const char	*name;
	/* Makes the state (often arg itself); 0 or a KR_ERR_*. */
	int	(*init)(struct kr_ui *ui, void *arg, void **statep);
	/* One key; returns an enum kr_screen_result. */
	int	(*key)(struct kr_ui *ui, void *state, const struct kr_key *k);
	/* Paints the area between the header and footer rows. */
	void	(*draw)(const struct kr_ui *ui, const void *state);
	void	(*free)(void *state);
};

/* Display roles, mapped to colours or, without colour, to attributes. */
enum kr_ui_role {
	KR_UI_NORMAL,
	KR_UI_TITLE,		/* headings */
	KR_UI_HEADER,		/* the top row */
	KR_UI_REHEARSAL,	/* the REHEARSAL badge */
	KR_UI_REAL,		/* the REAL CEREMONY badge */
	KR_UI_SELECTED,		/* the highlighted row */
	KR_UI_GOOD,
	KR_UI_BAD,		/* errors, wrong card, final try */
	KR_UI_WARN,		/* notices */
	KR_UI_FIELD,		/* an input field */
	KR_UI_KEY,		/* key names in the footer */
	KR_UI_DIM,		/* hints, transcript pane */
	KR_UI_ROLE,		/* "CUSTODIAN Carol One" */
	KR_UI_QR,		/* dark modules on light */
	KR_UI_NROLES
};

#define KR_UI_PATH_MAX		4096
#define KR_RUN_TAIL		64	/* transcript lines kept for the pane */
#define KR_RUN_LINE		192
#define KR_RUN_MAX_STEPS	64

enum kr_step_state { KR_STEP_PENDING, KR_STEP_CURRENT, KR_STEP_DONE,
	KR_STEP_FAILED };

/*
 * A fact from a KR_EVENT_RESULT, kept for the Summary: what results asked
 * to repeat there (KR_DETAIL_SUMMARY: a certificate's fingerprint, a key
 * id), and what a ceremony that did not commit leaves (ceremony.end).
 */
#define KR_RUN_FACTS		24
struct kr_run_fact {
	char		key[48];
	char		value[512];
	unsigned int	flags;
};

/* A ceremony being run: what event() learnt, for the runner to draw. */
struct kr_run {
	struct kr_engine	*engine;
	const struct kr_script	*script;	/* the Parameters screen's */
	char			 name[64];
	size_t			 nsteps;
	size_t			 step;		/* 1-based; 0: none yet */
	char			 verbs[KR_RUN_MAX_STEPS][24];
	char			 roles[KR_RUN_MAX_STEPS][16];
	enum kr_step_state	 state[KR_RUN_MAX_STEPS];
	char			 say[4096];
	char			 role[16];
	int			 progress_on;
	char			 progress_text[128];
	uint64_t		 progress_done, progress_total;
	int			 progress_bytes;
	char			 notice[1024];
	char			 tail[KR_RUN_TAIL][KR_RUN_LINE];
	size_t			 ntail;		/* ring: the last KR_RUN_TAIL */
	size_t			 records;
	char			 transcript[KR_UI_PATH_MAX];
	struct kr_run_fact	 facts[KR_RUN_FACTS];	/* for the Summary */
	size_t			 nfacts;
	struct kr_run_fact	 end[KR_RUN_FACTS];	/* ceremony.end */
	size_t			 nend;
	char			 end_title[64];
	int			 in_ask;
	const struct kr_prompt	*asking;	/* the prompt up, or NULL */
	int			 watch_error;	/* its watch failed: why */
	char			 watch_detail[1024];
	int			 abort_pending;
	int			 finished;	/* kr_engine_run() returned */
	int			 result;	/* its return */
	char			 detail[1024];
};

struct kr_ui {
	const struct kr_ui_config *cfg;
	struct kr_lobby		*lobby;
	struct kr_appliance	*appliance;	/* sticks, clock, identity */
	int			 utf8;		/* the locale's codeset */
	int			 color;
	attr_t			 attrs[KR_UI_NROLES];
	int			 rows, cols;
	const char		*context;	/* header: what is going on */
	struct kr_run		*run;		/* NULL outside a ceremony */
	const char		*transcript;	/* for F2/F3, or NULL */
	char			*last_transcript; /* KR_UI_PATH_MAX: of a
						   ceremony a signal stopped */
};

/* --- ui.c: the terminal and the screen driver ----------------------------- */

/*
 * Runs ops until its key handler returns something other than
 * KR_SCREEN_STAY, handling resize, the clock, signals, the abort key
 * during a ceremony (which asks first) and the transcript and QR keys.
 * Returns an enum kr_screen_result, or a negative KR_ERR_* if init failed.
 */
int	kr_ui_screen_run(struct kr_ui *ui, const struct kr_screen_ops *ops,
	    void *arg);

/* Paints one frame of ops/state now, without reading a key. */
void	kr_ui_screen_draw(struct kr_ui *ui, const struct kr_screen_ops *ops,
	    const void *state);

/*
 * Reads pending keys without waiting (during the engine's work): notes
 * the abort key for the next prompt, handles resize.  Returns 1 if a
 * signal asks the TUI to stop.
 */
int	kr_ui_poll_keys(struct kr_ui *ui);

/* 1 when a signal or a lost terminal asks the TUI to stop. */
int	kr_ui_stopping(void);

/*
 * Why the TUI stops: 0 when it does not; else sets the detail and returns
 * KR_ERR_TERMINAL_LOST (the terminal is gone, whether or not a SIGHUP
 * came with it) or KR_ERR_SIGNALLED (a signal, the terminal intact).
 */
int	kr_ui_stop_error(void);

/* --- ui-draw.c: painting helpers ----------------------------------------- */

attr_t	kr_ui_attr(const struct kr_ui *ui, enum kr_ui_role role);
void	kr_ui_colors_init(struct kr_ui *ui);

/* Milliseconds on the monotonic clock. */
long long	kr_ui_now_ms(void);

/* Whether Enter is taken on a screen shown at shown_ms. */
int	kr_ui_enter_ready(long long shown_ms);

/* Columns text takes on the screen (UTF-8). */
int	kr_ui_width(const char *text);

/*
 * Writes text at y, x in at most w columns (cut with an ellipsis when
 * longer); unprintable characters show as '?'.  Returns columns used.
 */
int	kr_ui_text(const struct kr_ui *ui, int y, int x, int w,
	    enum kr_ui_role role, const char *text);
int	kr_ui_textf(const struct kr_ui *ui, int y, int x, int w,
	    enum kr_ui_role role, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));

/*
 * Word-wraps text (which may hold newlines) into w columns from row y,
 * at most maxrows rows.  Returns the rows the whole text needs (which may
 * be more than were drawn); with draw 0 it only measures.
 */
int	kr_ui_wrap(const struct kr_ui *ui, int y, int x, int w, int maxrows,
	    enum kr_ui_role role, const char *text, int draw);

/*
 * The bytes of text's first row when word-wrapped into w columns (the
 * way kr_ui_wrap() breaks it); *nextp is where the next row starts.
 */
size_t	kr_ui_fit(const char *text, int w, const char **nextp);

/* Blanks row y from x for w columns in role's colours. */
void	kr_ui_fill(const struct kr_ui *ui, int y, int x, int w,
	    enum kr_ui_role role);

/* A horizontal rule with an optional title. */
void	kr_ui_rule(const struct kr_ui *ui, int y, int x, int w,
	    const char *title);

/*
 * A progress bar with text and "done of total"; for one piece of work
 * (total 1) a line saying to wait, as there is no fraction to show.
 */
void	kr_ui_progress(const struct kr_ui *ui, int y, int x, int w,
	    const char *text, uint64_t done, uint64_t total);
/* The same for work counted in bytes: "512.0 of 1024.0 MiB  50%". */
void	kr_ui_progress_bytes(const struct kr_ui *ui, int y, int x, int w,
	    const char *text, uint64_t done, uint64_t total);

/* The top row: mode badge, context, clock. */
void	kr_ui_header(const struct kr_ui *ui);

/*
 * The bottom row: pairs of key and meaning, "Enter", "continue", ...,
 * ending with NULL.
 */
void	kr_ui_footer(const struct kr_ui *ui, ...);

/* Hex digits three rows high, four columns apart; returns the width. */
int	kr_ui_big_hex(const struct kr_ui *ui, int y, int x,
	    enum kr_ui_role role, const char *hex);

/* Where the cursor goes after this frame (a text field); else hidden. */
void	kr_ui_cursor_at(int y, int x);
void	kr_ui_cursor_apply(void);

/* "CUSTODIAN Carol One": the role in capitals, then the name. */
void	kr_ui_role_line(const struct kr_ui *ui, int y, int x, int w,
	    const char *role, const char *actor);

/* --- ui-line.c: a one-line editor ---------------------------------------- */

#define KR_LINE_MAX	256	/* characters */

struct kr_line {
	wchar_t	 buf[KR_LINE_MAX + 1];
	size_t	 len, pos;
	size_t	 max_bytes;	/* of the UTF-8 answer; 0: no limit */
};

void	kr_line_init(struct kr_line *l, size_t max_bytes, const char *text);
/* 1 if the key was an editing key it used. */
int	kr_line_key(struct kr_line *l, const struct kr_key *k);
/* The text as UTF-8 into out; returns its length, or -1 if too long. */
int	kr_line_text(const struct kr_line *l, char *out, size_t outlen);
/* Draws the field w columns wide with the cursor in it. */
void	kr_line_draw(const struct kr_ui *ui, const struct kr_line *l, int y,
	    int x, int w);

/*
 * The answer to a prompt that expects a typed word (st->p->expect, a
 * fingerprint's last group): st's line without spaces around it, compared
 * without case.  On a match sets the answer and returns KR_SCREEN_DONE;
 * else writes "<typed> is not <what>." into error and returns
 * KR_SCREEN_STAY.
 */
struct kr_ui_ask;
int	kr_ui_typed_answer(struct kr_ui_ask *st, const char *what,
	    char *error, size_t errlen);

/* --- screens ------------------------------------------------------------- */

extern const struct kr_screen_ops kr_ui_home_ops;
extern const struct kr_screen_ops kr_ui_params_ops;
extern const struct kr_screen_ops kr_ui_runner_ops;
extern const struct kr_screen_ops kr_ui_card_ops;
extern const struct kr_screen_ops kr_ui_pin_ops;
extern const struct kr_screen_ops kr_ui_fingerprint_ops;
extern const struct kr_screen_ops kr_ui_review_ops;
extern const struct kr_screen_ops kr_ui_release_ops;
extern const struct kr_screen_ops kr_ui_roster_ops;
extern const struct kr_screen_ops kr_ui_abort_ops;
extern const struct kr_screen_ops kr_ui_transcript_ops;
extern const struct kr_screen_ops kr_ui_qr_ops;
extern const struct kr_screen_ops kr_ui_summary_ops;
extern const struct kr_screen_ops kr_ui_result_ops;
extern const struct kr_screen_ops kr_ui_cardpick_ops;

/* --- ui-result.c: details (engine.h, struct kr_detail) as a table -------- */

/*
 * Draws n details from row y, column x, w wide, in at most maxrows rows;
 * returns the rows they all need (with draw 0 it only measures).
 */
int	kr_ui_details(const struct kr_ui *ui, int y, int x, int w, int maxrows,
	    const struct kr_detail *d, size_t n, int draw);

extern const struct kr_screen_ops kr_ui_csr_ops;	/* ui-csr.c */
extern const struct kr_screen_ops kr_ui_list_ops;	/* ui-list.c */

/*
 * ui-list.c: text that scrolls, a line at a time.  kr_ui_scroll_lines()
 * counts text's lines; kr_ui_scroll_draw() paints them from line top into
 * rows rows of w columns at y, x, long lines wrapped, headings, new ('+')
 * and dropped ('  !') lines in colour, and returns 1 when more lines
 * follow than fit.
 */
size_t	kr_ui_scroll_lines(const char *text);
int	kr_ui_scroll_draw(const struct kr_ui *ui, int y, int x, int w,
	    int rows, const char *text, size_t top);

extern const struct kr_screen_ops kr_ui_media_ops;
extern const struct kr_screen_ops kr_ui_clock_ops;
extern const struct kr_screen_ops kr_ui_about_ops;

/* Home: which script was chosen, or none (leave keyrite). */
struct kr_ui_home {
	size_t	sel;
	int	quit_asked;
	int	chosen;		/* 1: sel was chosen */
	struct kr_card_view cards[32];
	size_t	ncards;
	char	cards_error[256];
	char	message[1024];	/* why the last ceremony could not open */
	char	notice[512];	/* what the last Home action did */
	unsigned ticks;
	int	defaulted;	/* the first choice was made for people */
};

struct kr_lobby_input_state;

/*
 * Parameters: the script being set up and the error of the last start.
 * The rows are the script's parameters, then "previous" (the ceremony
 * this one follows), then Start.
 */
struct kr_ui_params {
	char			 path[KR_UI_PATH_MAX];
	struct kr_script	*script;
	struct kr_policy	*policy;
	size_t			 sel;
	int			 editing;
	struct kr_line		 line;
	char			 problem[KR_SCRIPT_MAX_PARAMS][256];
	char			 typed[KR_SCRIPT_MAX_PARAMS][128]; /* refused */
	int			 edited[KR_SCRIPT_MAX_PARAMS];
	char			**violations;
	size_t			 nviolations;
	char			 message[1024];
	int			 blocked;	/* message: script or policy */
	int			 start;
	/* Checked while the screen is up, as the ceremony will check. */
	char			 media_problem[512];	/* "" when ready */
	int			 input_kind[KR_SCRIPT_MAX_PARAMS];
	struct kr_lobby_input_state *inputs;	/* per parameter */
	unsigned		 ticks;
	/* The previous ceremony (a sealed transcript on the media). */
	char			 previous[KR_UI_PATH_MAX];	/* "": none */
	int			 previous_chosen;	/* by people */
	/* A list of files on the media to choose a value from. */
	size_t			 picking;	/* row + 1; 0: not picking */
	char			(*files)[129];
	size_t			 nfiles, fsel;
};

/* One prompt shown by a screen; the answer is written to a. */
struct kr_ui_ask {
	const struct kr_prompt	*p;	/* NULL: the engine is working */
	struct kr_answer	*a;
	struct kr_line		 line;
	size_t			 choice;
	char			 error[256];
	int			 no_more;	/* CARD: no more cards come */
	int			 skipped;	/* PIN: the card is left out */
	long long		 shown_ms;	/* when the prompt appeared */
};

/* The abort dialog. */
struct kr_ui_abort {
	struct kr_line	line;
	char		error[128];
	int		confirmed;
};

/* ui-appliance.c: Home's lines and keys for the appliance. */
/*
 * Handles the keys of the appliance's screens on Home (m media, t clock,
 * i the image's identity, c rehearsal cards); returns KR_SCREEN_STAY when
 * it took k, -1 when Home should handle it.
 */
int	kr_ui_home_appliance_key(struct kr_ui *ui, struct kr_ui_home *h,
	    const struct kr_key *k);
/* Draws the Image, USB stick and Clock lines from row y; returns the next. */
int	kr_ui_home_appliance_draw(const struct kr_ui *ui, int y);
/* Draws Home's footer when on the appliance; returns 0 when it did not. */
int	kr_ui_home_appliance_footer(const struct kr_ui *ui);
/* "63.9 MB", "8.0 GB": bytes for people (powers of 1000, as on sticks). */
void	kr_ui_bytes(uint64_t n, char *out, size_t outlen);

/* ui-runner.c */
/*
 * Runs the ceremony set up on pp through the engine, then the Summary.
 * Returns 0 when it ran (whatever its outcome), 1 when the engine refused
 * to start it (pp->message says why), or a KR_ERR_*: KR_ERR_AIRGAP_BREACHED
 * (detail set) when it ran and its air gap was breached, after which
 * keyrite stops.
 */
int	kr_ui_ceremony(struct kr_ui *ui, struct kr_ui_params *pp);

/* ui-params.c: loads the script and its policy for the Parameters screen. */
int	kr_ui_params_open(struct kr_ui_params *pp, const char *script_path,
	    const char *policy_path);
void	kr_ui_params_close(struct kr_ui_params *pp);

#endif /* KR_UI_INT_H */
