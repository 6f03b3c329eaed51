/*
 * engine.h: the ceremony engine and the interface every frontend implements.
 *
 * The engine runs a ceremony script as a state machine.  Everything a
 * person provides (names, confirmations, choices, PINs, presenting a card)
 * it asks of its frontend through one call, ask(), with a prompt whose id is
 * stable and documented in docs/prompts.md.  The frontend shows the prompt
 * and returns the answer; it never touches keys, cards or files.  The
 * engine tells the frontend what happens (step started, transcript record
 * written, progress) through event().
 *
 * Two frontends exist: the batch frontend of `keyrite run` (answers from a
 * file) and the ncurses TUI (ui/).
 */
#ifndef KR_ENGINE_H
#define KR_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum kr_prompt_kind {
	KR_PROMPT_INFO,		/* read this; acknowledge */
	KR_PROMPT_CONFIRM,	/* yes/no; a typed word when expect is set */
	KR_PROMPT_TEXT,		/* a line of text (a name, a reason) */
	KR_PROMPT_CHOICE,	/* one of choices[] */
	KR_PROMPT_PIN,		/* a card PIN: secret, no echo */
	KR_PROMPT_CARD,		/* present a card: answer its label/serial */
};

/* A card as a frontend may show it (escaped, printable). */
struct kr_card_view {
	char	label[33];
	char	serial[17];
	/*
	 * Whose card it is, when the ceremony knows: the custodian named
	 * for it at the roll call, or in the escrow package's roster
	 * (escaped); "" when nobody's.  The lobby leaves it empty.
	 */
	char	holder[65];
};

/*
 * A fact a frontend shows with a prompt or a result: a short key and its
 * value, both printable (the engine escaped what came from a file, a card
 * or an answer).  Details let a screen show what people read aloud or
 * compare (the key a package holds, its custodians, whether a proof
 * held) on the step where it is read, in a general way: any ceremony
 * fills them, any frontend shows them as a table.  docs/prompts.md,
 * "Details".
 */
#define KR_DETAIL_GOOD		0x01	/* a check that passed */
#define KR_DETAIL_BAD		0x02	/* a check that failed */
#define KR_DETAIL_GROUPS	0x04	/* hex in groups of four, to compare */
#define KR_DETAIL_HEADING	0x08	/* starts a group: key is its title */
#define KR_DETAIL_SUMMARY	0x10	/* repeat it on the ceremony's summary */
#define KR_DETAIL_ROW		0x20	/* one row of a list (key: its number) */

struct kr_detail {
	const char	*key;
	const char	*value;
	unsigned int	 flags;		/* KR_DETAIL_* */
};

struct kr_prompt {
	enum kr_prompt_kind	 kind;
	const char		*id;	/* stable, e.g. "custodian.2.card" */
	const char		*role;	/* administrator, custodian, witness */
	const char		*actor;	/* the person's name when known */
	const char		*title;	/* short heading */
	const char		*text;	/* what to do, in plain words */
	/*
	 * CHOICE: the words to choose from.  CONFIRM with choices
	 * (roll-call.confirm, roll-call.check): the entries under review;
	 * the answer yes goes on, no with choice = k (1-based) corrects
	 * entry k alone (the engine asks for it again), no with choice 0
	 * asks every custodian again.
	 */
	const char *const	*choices;
	size_t			 nchoices;
	const char		*expect;	/* CONFIRM: the word to type */
	int			 optional;	/* TEXT: "" is an answer */
	size_t			 max_len;	/* TEXT: longest answer in
						   bytes the engine takes;
						   0: no limit */
	const char		*card;		/* PIN/CARD: the card wanted */
	const char		*card_serial;	/* PIN: that card's serial */
	unsigned int		 attempts_left;	/* PIN: keyrite's budget */
	int			 final_try;	/* PIN: the card says so */
	int			 irreversible;	/* CONFIRM: cannot be undone */
	/*
	 * Set when this prompt is asked again because the previous answer
	 * was refused: why, in plain words ("custodian-2 is named twice").
	 * A frontend that cannot ask a person (batch) fails with it.
	 */
	const char		*refused;
	/*
	 * CARD prompts, and the TEXT prompts that ask which card a
	 * custodian brings (custodian.<i>.card): lists the cards present
	 * now.  A frontend may call it while it waits (every ~250 ms) to
	 * react to insertion and removal, to answer on its own when the
	 * wanted card appears, or to let people choose a label instead of
	 * typing it.  Returns 0 or an error; *n cards were written to out.
	 */
	int			(*cards_present)(void *ctx,
				    struct kr_card_view *out, size_t max,
				    size_t *n);
	void			*cards_ctx;
	/*
	 * Every prompt the engine asks carries its air-gap watch (NULL
	 * before the air-gap check).  A frontend that waits for a person
	 * calls it every ~250 ms.  It returns 0, or an error when the
	 * ceremony must stop (the air gap was breached: the engine has
	 * already wiped every secret and recorded which device); the
	 * frontend then stops waiting and ask() returns that error.
	 */
	int			(*watch)(void *ctx);
	void			*watch_ctx;
	/*
	 * Facts shown with the prompt (NULL, 0: none): the step's facts
	 * with its instruction (step.<k>), a step's result
	 * (step.<k>.result), a share written (custodian.<i>.written), the
	 * roll call's entries.
	 */
	const struct kr_detail	*details;
	size_t			 ndetails;
	/*
	 * CARD prompts, and custodian.<i>.card: the serials of the cards
	 * already presented in this step, or already named in this roll
	 * call.  A frontend refuses them on the spot: each card counts
	 * once.
	 */
	const char		(*used)[17];
	size_t			 nused;
	/*
	 * PIN prompts: the card may be left out (a recovery takes any M
	 * custodians' cards).  A frontend may offer to skip it; it then
	 * returns KR_ERR_ANSWER_MISSING, and the engine asks for the next
	 * custodian's card.
	 */
	int			 may_skip;
	/*
	 * CONFIRM prompts that review a list (a reshare's roll call: the old
	 * roster beside the new): the same content as text, as lines of
	 * TAB-separated cells, the first line the headings, for a frontend
	 * that lays it out in columns.  NULL otherwise.
	 */
	const char		*table;
};

/*
 * An answer.  For KR_PROMPT_PIN, text is kr_secmem memory of len + 1 bytes
 * that the engine wipes and frees; otherwise malloc()ed and freed by the
 * engine.  choice is the index for KR_PROMPT_CHOICE; yes for CONFIRM.
 */
struct kr_answer {
	char	*text;
	size_t	 len;
	size_t	 choice;
	int	 yes;
};

enum kr_event_kind {
	KR_EVENT_STEP,		/* a step starts: step, nsteps, text */
	KR_EVENT_RECORD,	/* a transcript record was written: text */
	KR_EVENT_PROGRESS,	/* done of total (bytes if .bytes): text */
	KR_EVENT_NOTICE,	/* something people should see: text */
	KR_EVENT_OUTPUT,	/* a file was written: text is its path */
	KR_EVENT_RESULT,	/* a result: id, text (its title), details */
};

struct kr_event {
	enum kr_event_kind	 kind;
	size_t			 step;		/* 1-based */
	size_t			 nsteps;
	const char		*verb;
	const char		*role;
	const char		*text;
	uint64_t		 done;
	uint64_t		 total;
	/*
	 * KR_EVENT_RESULT: what a step found (id step.<k>.result, also
	 * asked as an information prompt so that people read it on the
	 * step's screen), or how the ceremony ended and what it leaves
	 * (id ceremony.end, after the last record).
	 */
	const char		*id;
	const struct kr_detail	*details;
	size_t			 ndetails;
	int			 bytes;		/* PROGRESS: done and total
						   count bytes */
};

struct kr_frontend {
	/*
	 * Returns 0 with *a filled, KR_ERR_ABORTED when the people in the
	 * room abort, KR_ERR_SIGNALLED when a signal asks keyrite to stop,
	 * KR_ERR_TERMINAL_LOST when the frontend's terminal went away
	 * (hang-up, end of file, I/O error), what p->watch returned when it
	 * failed, or KR_ERR_ANSWER_MISSING (batch: no answer for p->id).
	 * The frontend sets the detail.  The engine records each kind of
	 * stop with its own reason (docs/transcript-format.md).
	 */
	int	(*ask)(void *ctx, const struct kr_prompt *p,
		    struct kr_answer *a);
	void	(*event)(void *ctx, const struct kr_event *e);
	void	*ctx;
};

/* How a ceremony is run: everything that is not in the script. */
struct kr_engine_config {
	const char		*script_path;
	const char		*policy_path;	/* NULL: beside the script */
	const char		*media_dirs[8];
	size_t			 nmedia;
	const char		*module;	/* PKCS#11 module, or NULL */
	/*
	 * The module of the token a key is restored into (restore-key), or
	 * NULL: $KEYRITE_TARGET_PKCS11_MODULE, else the custodians' module.
	 */
	const char		*target_module;
	const char		*previous;	/* previous transcript, or NULL */
	const char		*printer;	/* CUPS printer for the paper
						   record; NULL: the default */
	int			 rehearsal;
	const char *const	*sets;		/* "NAME=VALUE" overrides */
	size_t			 nsets;
	/*
	 * The clock the recovery window is measured with; NULL: time().
	 * Tests move it forward to see the window close.
	 */
	time_t			(*clock)(void);
};

struct kr_engine;

/*
 * Loads the script and policy, applies overrides, checks the policy (all
 * violations at once) and that no output exists, without touching a card.
 * *ep set only on success.
 */
int	kr_engine_new(const struct kr_engine_config *cfg,
	    const struct kr_frontend *fe, struct kr_engine **ep);

/*
 * Runs every step.  On any failure or abort the engine wipes every secret,
 * records why in the transcript (which stays, unsealed), and returns the
 * error.  Returns 0 when the ceremony completed and its transcript is
 * sealed.
 */
int	kr_engine_run(struct kr_engine *e);

/* Paths of the files written so far (outputs, then the transcript). */
size_t		 kr_engine_outputs(const struct kr_engine *e);
const char	*kr_engine_output(const struct kr_engine *e, size_t i);
const char	*kr_engine_transcript_path(const struct kr_engine *e);

/* Wipes everything and frees e; NULL-safe. */
void	kr_engine_free(struct kr_engine *e);

#endif /* KR_ENGINE_H */
