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
#include "crypto/escrow.h"
#include "engine.h"
#include "policy.h"
#include "record/transcript.h"
#include "script.h"

#define ENGINE_NAME_MAX		64
#define ENGINE_TEXT_MAX		256
#define ENGINE_MAX_WITNESSES	16
#define ENGINE_MAX_OUTPUTS	16
#define ENGINE_CARD_TRIES	3	/* wrong card presented, then stop */

struct kr_engine_custodian {
	char	name[ENGINE_NAME_MAX + 1];
	char	card[KR_ESCROW_LABEL_MAX + 1];
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
	char				 transcript_name[128];
	char				 transcript_path[4096];
	struct kr_transcript_header	 header;
	size_t				 step;	/* 1-based, current */

	/* Roll call. */
	char				 operator_name[ENGINE_NAME_MAX + 1];
	char				 witnesses[ENGINE_MAX_WITNESSES]
					    [ENGINE_NAME_MAX + 1];
	size_t				 nwitnesses;
	struct kr_engine_custodian	*custodians;
	size_t				 ncustodians;

	/* Key material: wiped by engine_wipe() on every path. */
	EVP_PKEY			*key;
	X509				*cert;
	struct kr_escrow		*escrow;
	uint8_t				*kek;		/* KR_KEK_BYTES secmem */
	uint8_t				*shares;	/* n * KR_SHARE_BYTES */
	size_t				 shareslen;
	time_t				 key_deadline;	/* recovery window */

	/* keyrite's own PIN budget, per card serial, for this ceremony. */
	struct {
		char				 serial[17];
		struct kr_token_pin_budget	 budget;
	}				 budgets[64];
	size_t				 nbudgets;

	char				 outputs[ENGINE_MAX_OUTPUTS][4096];
	size_t				 noutputs;
};

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
void	kr_engine_notice(struct kr_engine *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	kr_engine_progress(struct kr_engine *e, const char *what,
	    uint64_t done, uint64_t total);
int	kr_engine_output_file(struct kr_engine *e, const char *name,
	    const void *data, size_t len, const char *kind);
int	kr_engine_card(struct kr_engine *e, const char *id, const char *actor,
	    const char *want, struct kr_token_session **sp,
	    struct kr_token_info *info);
int	kr_engine_check_window(struct kr_engine *e);
/* engine-machine.c: the "machine" record (image, root, clock). */
int	kr_engine_record_machine(struct kr_engine *e);
void	kr_engine_wipe_kek(struct kr_engine *e);	/* KEK and shares */
void	kr_engine_wipe_secrets(struct kr_engine *e);	/* and the key */
time_t	kr_engine_now(const struct kr_engine *e);

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
int	kr_engine_verb_load_escrow(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_recover(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_prove_key(struct kr_engine *,
	    const struct kr_script_step *);


#endif /* KR_ENGINE_INT_H */
