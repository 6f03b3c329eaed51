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
#include "lineage.h"
#include "policy.h"
#include "record/transcript.h"
#include "script.h"

#define ENGINE_NAME_MAX		64
#define ENGINE_TEXT_MAX		256
#define ENGINE_MAX_WITNESSES	16
#define ENGINE_MAX_OUTPUTS	112	/* a release of 32 images: 98 */
#define ENGINE_MAX_PATHS	128	/* published copies reported */
#define ENGINE_CARD_TRIES	3	/* card not found, then stop */
#define ENGINE_WRONG_CARDS	20	/* wrong cards presented, then stop */
#define ENGINE_ANSWER_TRIES	3	/* a refused answer asked again */
/* Room a ceremony needs on each medium besides its outputs' estimates. */
#define ENGINE_TRANSCRIPT_RESERVE	(2u << 20)
#define ENGINE_PAPER_RESERVE		(8u << 20)	/* PDF and print log */

#define ENGINE_MAX_COSIGNERS	255

/* A card bound in the chain, asked to co-sign after the seal. */
struct kr_engine_cosigner {
	char	label[33];
	char	serial[17];
	char	name[ENGINE_NAME_MAX + 1];	/* the custodian, if known */
	uint8_t	key_id[32];
	int	done;		/* co-signed, or recorded as missing */
	int	retired;	/* reshare: 1 card dealt with, 2 its old share deleted */
};

struct kr_engine_fw;

struct kr_engine_custodian {
	char	name[ENGINE_NAME_MAX + 1];
	char	card[KR_ESCROW_LABEL_MAX + 1];
	char	serial[17];		/* found at the roll-call check */
};

/* escrow-import: what preflight read of the key file (engine-import.c). */
struct kr_engine_import {
	char		 file[129];		/* on the first medium */
	char		 path[4096];
	uint8_t		 sha256[32];		/* of the file's bytes */
	char		 format[32];		/* the format argument */
	char		 kind[32];		/* pkcs8, pkcs8-encrypted, raw */
	char		 algorithm[64];
	uint8_t		 key_id[32];		/* asymmetric: SHA-256 SPKI */
	uint8_t		 key_check[32];		/* symmetric */
	int		 symmetric;
	int		 encrypted;
};

struct kr_engine {
	struct kr_engine_config		 cfg;
	struct kr_frontend		 fe;
	struct kr_script		*script;
	struct kr_policy		*policy;
	const struct kr_policy_class	*pclass;
	/* The class worked on: the script's, an import's, the package's. */
	const char			*key_class;
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
	char				 outputs[ENGINE_MAX_PATHS][4096];
	size_t				 noutputs;

	/* Cards bound in the chain (engine-cosign.c). */
	struct kr_engine_cosigner	 cosigners[ENGINE_MAX_COSIGNERS];
	size_t				 ncosigners;

	/* Inputs read and checked before the first card (load-escrow). */
	uint8_t				 escrow_sha256[32];
	uint8_t				 cert_sha256[32];
	char				 escrow_name[129];
	char				 cert_name[129];
	char				 escrow_creation[4400];	/* transcript */

	/*
	 * The use of a recovered key, planned before the first card
	 * (engine-sign.c, engine-crl.c, engine-restore.c), and the outputs
	 * whose names the plan decided (a serial, a CRL number), which
	 * check_outputs() checks with the others.
	 */
	struct kr_engine_sign		*sign;
	struct kr_engine_crl		*crl;
	struct kr_engine_restore	*restore;
	struct kr_engine_ocsp		*ocsp;
	char				 planned[ENGINE_MAX_OUTPUTS][129];
	uint64_t			 planned_size[ENGINE_MAX_OUTPUTS];
	size_t				 nplanned;
	/* A release to sign, read and hashed before the first card. */
	struct kr_engine_fw		*fw;
	/* The key's life (engine-lifecycle.c, engine-import.c). */
	struct kr_escrow		*old_escrow;	/* reshare: superseded */
	uint8_t				 old_escrow_sha256[32];
	struct kr_lineage		 lineage;	/* the media's history */
	int				 cp_recorded;	/* status recorded */
	int				 rolling_forward; /* after the seal */
	uint8_t				*symkey;	/* secmem: symmetric */
	size_t				 symkey_len;
	struct kr_engine_import		*import;
	struct kr_token_session		*seal_card;	/* card-check */
	struct kr_token_info		 seal_card_info;
	uint8_t				*seal_card_spki;
	size_t				 seal_card_spki_len;

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
/* The same in bytes (kr_event.bytes); callers send about one a percent. */
void	kr_engine_progress_bytes(struct kr_engine *e, const char *what,
	    uint64_t done, uint64_t total);
/* Stages an output on every medium; published when the ceremony commits. */
int	kr_engine_output_file(struct kr_engine *e, const char *name,
	    const void *data, size_t len, const char *kind);
/*
 * The same for an output too large for memory: begin, then
 * kr_media_stage_stream_write() on *sp, then end (which records it, its
 * SHA-256 into sha256 if not NULL), or kr_media_stage_stream_abort().
 */
struct kr_media_stream;
int	kr_engine_output_stream_begin(struct kr_engine *e, const char *name,
	    struct kr_media_stream **sp);
int	kr_engine_output_stream_end(struct kr_engine *e, const char *name,
	    struct kr_media_stream *s, const char *kind, uint8_t sha256[32]);
/*
 * Records staging output name (SHA-256 h, copies) as an output-staged
 * record, and tells people where it is.
 */
int	kr_engine_output_staged(struct kr_engine *e, const char *name,
	    const uint8_t h[32], const char *kind);
/*
 * Witness j confirms what is shown (text) by typing the last group of
 * fp (16 groups of 4 hex digits, drawn as a detail labelled label);
 * prompt "witness.<j>.<what>", recorded as event with the facts what=fp;
 * a wrong group is recorded as fingerprint-refused; three tries, then
 * the ceremony stops with abort reason "<what>-not-confirmed".
 */
int	kr_engine_witness_confirm(struct kr_engine *e, size_t j,
	    const char *what, const char *title, const char *label,
	    const char *text, const char *fp, const char *event);
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
/* engine-machine.c: the "machine" record (image, root, clock). */
int	kr_engine_record_machine(struct kr_engine *e);
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

/*
 * engine-lifecycle.c: a key's life after it is made.
 *
 * kr_engine_cryptoperiod_check() is what every verb that uses a loaded
 * key calls, in its preflight (from check_inputs(), so that a refusal
 * comes before any card: exit 7) and when it runs: use says what for.
 * It compares the engine's clock with the package's cryptoperiod
 * (docs/policy.md, "Rotation"): within 90 days of its end it shows a
 * notice and records cryptoperiod-warning (once, when a transcript
 * exists); after the end it refuses KR_ENGINE_USE_SIGN with
 * KR_ERR_CRYPTOPERIOD_ENDED, saying when it ended and what is still
 * allowed, and only warns for the other uses.  No package loaded: 0.
 */
enum kr_engine_use {
	KR_ENGINE_USE_SIGN,	/* new certificates, firmware, signatures */
	KR_ENGINE_USE_CRL,	/* a CRL: allowed after the end */
	KR_ENGINE_USE_MAINTAIN,	/* drill, card check, reshare, destroy */
};
int	kr_engine_cryptoperiod_check(struct kr_engine *e,
	    enum kr_engine_use use);
/*
 * The package e->escrow against the media's sealed history (lineage.h):
 * refused when its key was destroyed or a reshare superseded it (naming
 * the successor).  Fills e->lineage.  From kr_engine_preflight_escrow().
 */
int	kr_engine_preflight_lineage(struct kr_engine *e);
/* load-escrow's record of the last recovery against drill-interval-days. */
int	kr_engine_record_drill(struct kr_engine *e);
/* After the seal of a reshare: old shares deleted from cards presented. */
void	kr_engine_retire_old_shares(struct kr_engine *e);
/*
 * After a reshare's seal, on a card open and logged in for its
 * co-signature: deletes the old share the reshare retired, if the card
 * holds one, so that its custodian presents it once.  1 deleted, 0 none
 * there (or not a reshare), else an error (the card keeps it; shown).
 */
int	kr_engine_retire_on(struct kr_engine *e, struct kr_token_session *s,
	    const struct kr_token_info *info);
/* The reshare's records of what it supersedes (write-escrow). */
int	kr_engine_record_supersedes(struct kr_engine *e, const char *name,
	    const uint8_t sha256[32]);
/* card-check: seals with the custodian card's key (verb_seal). */
int	kr_engine_seal_with_card(struct kr_engine *e);
void	kr_engine_seal_card_close(struct kr_engine *e);
int	kr_engine_verb_destroy_shares(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_attest_copies(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_check_card(struct kr_engine *,
	    const struct kr_script_step *);

/* engine-import.c: escrow-import. */
int	kr_engine_preflight_import(struct kr_engine *e,
	    const struct kr_script_step *st);
int	kr_engine_verb_import_key(struct kr_engine *,
	    const struct kr_script_step *);
/* The import-key step's class= argument, or NULL. */
const char	*kr_engine_import_class(const struct kr_script *s);

/* engine-create.c and engine-recover.c: the verbs. */
struct kr_engine_verb {
	const char	*name;
	int		(*run)(struct kr_engine *e,
			    const struct kr_script_step *st);
};
const struct kr_engine_verb *kr_engine_verb_find(const char *name);

/*
 * The verbs that read and check what their step will use from
 * kr_engine_new(), before anything irreversible (engine-common.c's
 * second table): a refusal there is a refusal before any work.  NULL
 * for a verb that has nothing to check.
 */
typedef int (*kr_engine_preflight_fn)(struct kr_engine *,
    const struct kr_script_step *);
kr_engine_preflight_fn	kr_engine_preflight_find(const char *name);

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

/* engine-cosign.c */
int	kr_engine_bind_card(struct kr_engine *e, struct kr_token_session *s,
	    const struct kr_token_info *info, const char *name, int create,
	    const uint8_t *expect, uint8_t key_id[32]);
int	kr_engine_verb_cosign(struct kr_engine *,
	    const struct kr_script_step *);
/* engine-paper.c */
int	kr_engine_verb_print(struct kr_engine *,
	    const struct kr_script_step *);

/* After the seal, a stop: the cards not reached are recorded missing. */
void	kr_engine_cosign_stopped(struct kr_engine *e);

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

/*
 * engine.c: an output whose name preflight decided, checked with the
 * script's own outputs (distinct, absent, room for size bytes).
 */
int	kr_engine_plan_output(struct kr_engine *e, const char *name,
	    uint64_t size);

/*
 * The file name of a step's input, read whole from the first medium:
 * *datap malloc()ed (one NUL after it), *lenp, SHA-256 into sha256 (may
 * be NULL), the path into path.  At most max bytes.
 */
int	kr_engine_read_input(struct kr_engine *e, const char *name,
	    size_t max, char **datap, size_t *lenp, uint8_t sha256[32],
	    char *path, size_t pathlen);

/*
 * The last group of a fingerprint text ("3F2A 09C1 ... 4DF0"): what a
 * witness types.  Points into fp.
 */
const char	*kr_engine_last_group(const char *fp);

/*
 * engine-sign.c, engine-crl.c, engine-restore.c: each verb's preflight
 * (a row of preflights[]), its review before any card, its use after
 * prove-key, and a free function kr_engine_free() calls (NULL-safe: it
 * frees e->sign, e->crl or e->restore when set).
 */
/* engine-sign.c: review-csr, sign-csr. */
int	kr_engine_preflight_sign(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_review_csr(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_sign_csr(struct kr_engine *,
	    const struct kr_script_step *);
void	kr_engine_sign_free(struct kr_engine *);

/* engine-crl.c: review-crl, issue-crl. */
int	kr_engine_preflight_crl(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_review_crl(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_issue_crl(struct kr_engine *,
	    const struct kr_script_step *);
void	kr_engine_crl_free(struct kr_engine *);

/* engine-restore.c: review-target, restore-key. */
int	kr_engine_preflight_restore(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_review_target(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_restore_key(struct kr_engine *,
	    const struct kr_script_step *);
void	kr_engine_restore_free(struct kr_engine *);
/* engine-firmware.c: firmware keys and releases (docs/firmware-signing.md) */
int	kr_engine_verb_write_public_key(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_write_pubhash(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_write_csr(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_review_release(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_sign_release(struct kr_engine *,
	    const struct kr_script_step *);
/*
 * Preflight of a review-release step (from kr_engine_new(), after the
 * escrow package and certificate were read): parses the manifest, finds
 * every image with the size it names, and fixes the output names.
 */
int	kr_engine_preflight_release(struct kr_engine *e,
	    const struct kr_script_step *st);
/*
 * The outputs a release will have, appended to names (at most max in
 * all, *n updated), and the bytes they need on each medium added to
 * *need.  Nothing when the script signs no release.
 */
int	kr_engine_release_outputs(struct kr_engine *e, const char **names,
	    size_t max, size_t *n, uint64_t *need);
/*
 * Hashes every image of the release (progress events), compares each
 * with the manifest, and for secure-boot keys checks each is an
 * unsigned PE/COFF image: the last preflight, before any card.
 */
int	kr_engine_hash_release(struct kr_engine *e);
void	kr_engine_fw_free(struct kr_engine_fw *fw);

/*
 * engine-sign.c: cross-sign's preflight (the CA's certificate or request,
 * profile cross-ca); review-cross and cross-sign run as review-csr and
 * sign-csr do.
 */
int	kr_engine_preflight_cross(struct kr_engine *,
	    const struct kr_script_step *);

/* engine-ocsp.c: review-ocsp, sign-ocsp. */
int	kr_engine_preflight_ocsp(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_review_ocsp(struct kr_engine *,
	    const struct kr_script_step *);
int	kr_engine_verb_sign_ocsp(struct kr_engine *,
	    const struct kr_script_step *);
void	kr_engine_ocsp_free(struct kr_engine *);


#endif /* KR_ENGINE_INT_H */
