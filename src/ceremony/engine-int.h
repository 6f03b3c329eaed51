/*
 * engine-int.h: the engine's state, shared by engine.c (the run loop,
 * prompts, failure handling) and the verb files engine-create.c and
 * engine-recover.c.  Not for frontends.
 */
#ifndef KR_ENGINE_INT_H
#define KR_ENGINE_INT_H

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "card/token.h"
#include "clean.h"
#include "crypto/escrow.h"
#include "engine.h"
#include "policy.h"
#include "record/transcript.h"
#include "script.h"

#define ENGINE_NAME_MAX		64
#define ENGINE_TEXT_MAX		256
#define ENGINE_MAX_WITNESSES	16
#define ENGINE_MAX_OUTPUTS	16
#define ENGINE_CARD_TRIES	3	/* card not found, then stop */
#define ENGINE_WRONG_CARDS	20	/* wrong cards presented, then stop */
#define ENGINE_ANSWER_TRIES	3	/* a refused answer asked again */
/* Room a ceremony needs on each medium besides its outputs' estimates. */
#define ENGINE_TRANSCRIPT_RESERVE	(2u << 20)

struct kr_engine_custodian {
	char	name[ENGINE_NAME_MAX + 1];
	char	card[KR_ESCROW_LABEL_MAX + 1];
	char	serial[17];		/* found at the roll-call check */
};

struct kr_engine {
	struct kr_engine_config		 cfg;
	struct kr_frontend		 fe;
	struct kr_script		*script;
	struct kr_policy		*policy;
	const struct kr_policy_class	*pclass;
	struct kr_media			*media;
	struct kr_transcript		*tr;
	struct kr_token_module		*mod;
	struct kr_clean_report		 cleaned;	/* at the start */
	char				 transcript_name[128];
	char				 transcript_path[4096];
	struct kr_transcript_header	 header;
	size_t				 step;	/* 1-based, current */
	int				 script_reviewed; /* reviewed.h */

	/* Roll call. */
	char				 operator_name[ENGINE_NAME_MAX + 1];
	char				 witnesses[ENGINE_MAX_WITNESSES]
					    [ENGINE_NAME_MAX + 1];
	size_t				 nwitnesses;
	struct kr_engine_custodian	*custodians;
	size_t				 ncustodians;
	char				 reason[ENGINE_TEXT_MAX + 1];
	char				 authorization[ENGINE_TEXT_MAX + 1];

	/* Key material: wiped by engine_wipe() on every path. */
	EVP_PKEY			*key;
	X509				*cert;
	struct kr_escrow		*escrow;
	uint8_t				*kek;		/* KR_KEK_BYTES secmem */
	uint8_t				*shares;	/* n * KR_SHARE_BYTES */
	size_t				 shareslen;
	time_t				 key_deadline;	/* recovery window */
	int				 made_escrow;	/* split made e->escrow */

	/* keyrite's own PIN budget, per card serial, for this ceremony. */
	struct {
		char				 serial[17];
		struct kr_token_pin_budget	 budget;
	}				 budgets[64];
	size_t				 nbudgets;

	/* Outputs: staged, then published at the commit (the seal). */
	char				 staged[ENGINE_MAX_OUTPUTS][129];
	size_t				 nstaged;
	char				 outputs[ENGINE_MAX_OUTPUTS][4096];
	size_t				 noutputs;

	/* Inputs read and checked before the first card (load-escrow). */
	uint8_t				 escrow_sha256[32];
	uint8_t				 cert_sha256[32];
	char				 escrow_name[129];
	char				 cert_name[129];
	char				 escrow_creation[4400];	/* transcript */

	/* The air gap, watched from the air-gap check on (engine-watch.c). */
	struct kr_engine_watch		*watch;
	/* Why KR_ERR_ABORTED, when not the people at a prompt: a word. */
	const char			*abort_reason;
};

/*
 * Facts for a prompt or a result (engine.h, struct kr_detail), built one
 * by one: kr_engine_detail() copies key and the formatted value (escaped
 * with kr_printable(), so a name from a file or a card is safe to draw).
 * A detail that does not fit (memory) is left out; the list stays valid.
 */
struct kr_engine_details {
	struct kr_detail	*d;
	size_t			 n, cap;
};
void	kr_engine_detail(struct kr_engine_details *ds, unsigned int flags,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	kr_engine_details_free(struct kr_engine_details *ds);

/*
 * A step's result, shown on that step's screen: a KR_EVENT_RESULT event,
 * then an information prompt "step.<k>.result" with the details (batch
 * frontends acknowledge it by themselves).  Frees ds.  Returns 0 or what
 * the prompt returned (an abort, a signal, a breach).
 */
int	kr_engine_result(struct kr_engine *e, const char *title,
	    struct kr_engine_details *ds);
/*
 * An information prompt with details and a stable id of its own (e.g.
 * "custodian.2.written"); frees ds.  Returns 0 or what the prompt
 * returned.
 */
int	kr_engine_inform(struct kr_engine *e, const char *id, const char *role,
	    const char *actor, const char *title, const char *text,
	    struct kr_engine_details *ds);

/*
 * The facts shown with step st's instruction, before it runs (the
 * fingerprint the witnesses compare, the key a package holds); empty for
 * most verbs.  engine-common.c.
 */
void	kr_engine_step_details(struct kr_engine *e,
	    const struct kr_script_step *st, struct kr_engine_details *ds);
/* The key fingerprint text witnesses compare ("XXXX XXXX ..."). */
int	kr_engine_fingerprint_text(struct kr_engine *e, char *out,
	    size_t outlen);
/* The roster of the package loaded, as details (engine-recover.c). */
void	kr_engine_escrow_details(struct kr_engine *e,
	    struct kr_engine_details *ds);

/* engine.c */
int	kr_engine_record(struct kr_engine *e, const char *event,
	    const char *actor, const struct kr_fact *facts, size_t n);
int	kr_engine_ask(struct kr_engine *e, const struct kr_prompt *p,
	    struct kr_answer *a);
/* Frees an answer to p (PINs from secret memory, wiped); leaves a empty. */
void	kr_engine_answer_free(const struct kr_prompt *p, struct kr_answer *a);
int	kr_engine_ask_text(struct kr_engine *e, const char *id,
	    const char *role, const char *title, const char *text,
	    int required, char *out, size_t outlen);
/*
 * Asks the TEXT prompt p (id, role, title, text, optional, refused and any
 * other field set by the caller; kind and max_len are set here) into out.
 */
int	kr_engine_ask_line(struct kr_engine *e, struct kr_prompt *p, char *out,
	    size_t outlen);
/* The same, with the reason the previous answer was refused (or NULL). */
int	kr_engine_ask_text_again(struct kr_engine *e, const char *id,
	    const char *role, const char *title, const char *text,
	    int required, const char *refused, char *out, size_t outlen);
void	kr_engine_notice(struct kr_engine *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	kr_engine_progress(struct kr_engine *e, const char *what,
	    uint64_t done, uint64_t total);
/* Stages an output on every medium; published when the ceremony commits. */
int	kr_engine_output_file(struct kr_engine *e, const char *name,
	    const void *data, size_t len, const char *kind);
/*
 * Asks for a card (want: its label or serial, or NULL for any) until one
 * is presented that is not among the nused serials in used, opens it and
 * logs in with the custodian's PIN.  *sp and *info set only on success.
 */
int	kr_engine_card(struct kr_engine *e, const char *id, const char *actor,
	    const char *want, const char (*used)[17], size_t nused,
	    struct kr_token_session **sp, struct kr_token_info *info);
/*
 * Whose card it is: the custodian named for it at the roll call, or in
 * the package's roster; NULL when nobody's.  Not escaped.
 */
const char	*kr_engine_holder(const struct kr_engine *e, const char *label,
		    const char *serial);
/* kr_prompt.cards_present for the engine's prompts (ctx: the engine). */
int	kr_engine_cards_present(void *ctx, struct kr_card_view *out,
	    size_t max, size_t *n);
/* Records that a card was refused, and why ("card-refused"). */
int	kr_engine_card_refused(struct kr_engine *e,
	    const struct kr_token_info *info, const char *why);
int	kr_engine_check_window(struct kr_engine *e);
void	kr_engine_wipe_kek(struct kr_engine *e);	/* KEK and shares */
void	kr_engine_wipe_secrets(struct kr_engine *e);	/* and the key */
time_t	kr_engine_now(const struct kr_engine *e);

/*
 * engine-watch.c: the air gap watched for the rest of the ceremony.
 * kr_engine_watch_start() arms the watch with the air-gap check's report
 * as its baseline; enforced when the check found the machine air-gapped.
 * kr_engine_watch() looks once, without blocking: 0, or, when enforced
 * and something appeared (or the watch went blind), wipes every secret,
 * records which device and returns KR_ERR_AIRGAP_BREACHED (or
 * KR_ERR_AIRGAP_SCAN), and keeps returning it.  Unenforced, it records
 * airgap-changed and shows a notice.  kr_engine_watch_end() looks once
 * more and records how often the watch looked (before the seal).
 */
struct kr_airgap_report;
int	kr_engine_watch_start(struct kr_engine *e,
	    const struct kr_airgap_report *rep);
int	kr_engine_watch(struct kr_engine *e);
int	kr_engine_watch_prompt(void *ctx);	/* kr_prompt.watch */
int	kr_engine_watch_end(struct kr_engine *e);
void	kr_engine_watch_stop(struct kr_engine *e);

/* engine-create.c and engine-recover.c: the verbs. */
struct kr_engine_verb {
	const char	*name;
	int		(*run)(struct kr_engine *e,
			    const struct kr_script_step *st);
};
const struct kr_engine_verb *kr_engine_verb_find(const char *name);

/* engine-create.c */
int	kr_engine_verb_generate_key(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_self_sign(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_write_certificate(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_split(struct kr_engine *, const struct kr_script_step *);
int	kr_engine_verb_write_shares(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_verify_shares(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_write_escrow(struct kr_engine *,
	    const struct kr_script_step *);

/* engine-recover.c */
/*
 * Reads, parses and checks the escrow package (and certificate) a
 * load-escrow step names, before anything is touched: the package must
 * come from a committed ceremony (its creation transcript sealed and
 * vouching for these bytes).
 */
int	kr_engine_preflight_escrow(struct kr_engine *e,
	    const struct kr_script_step *st);
int	kr_engine_verb_load_escrow(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_recover(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_prove_key(struct kr_engine *,
	    const struct kr_script_step *);


#endif /* KR_ENGINE_INT_H */
