/*
 * lobby.h: what a frontend shows between ceremonies.
 *
 * The TUI's Home and Parameters screens show facts that are not prompts of
 * a running ceremony: the ceremony scripts on offer with their one-line
 * descriptions, the self-test and air-gap state of the machine, the cards
 * present, the policy's verdict on the parameters being edited, and
 * transcripts to review.  A frontend never touches cards or files itself,
 * so it asks the lobby, which is engine code.
 *
 * The lobby holds the PKCS#11 module open only while a frontend polls the
 * cards present; kr_lobby_release() closes it so that a ceremony's engine
 * can open the module for itself (a module is initialised once per
 * process).  Nothing here is secret.
 */
#ifndef KR_LOBBY_H
#define KR_LOBBY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define KR_LOBBY_MAX_SCRIPTS	64
#define KR_LOBBY_TEXT_MAX	512

struct kr_script;

/* A ceremony script found in the scripts directory. */
struct kr_lobby_script {
	char	*path;		/* DIR/<file>.ceremony */
	char	*name;		/* the script's name; the file name if bad */
	char	*description;	/* one line; the parse error when !ok */
	int	 ok;		/* parsed and resolved with its defaults */
};

/* The machine's state, as of kr_lobby_check(). */
struct kr_lobby_health {
	int	checked;		/* kr_lobby_check() ran */
	int	selftest_ok;
	size_t	selftest_passed;
	size_t	selftest_total;
	char	selftest_failed[KR_LOBBY_TEXT_MAX];	/* names, "; " */
	int	airgapped;
	char	airgap_detail[KR_LOBBY_TEXT_MAX];	/* offenders */
};

struct kr_lobby;

/*
 * Finds the scripts directory: dir when not NULL, else $KEYRITE_SCRIPTS,
 * else ../share/keyrite/ceremony-scripts or ../ceremony-scripts beside
 * the running binary, else ./ceremony-scripts; the first that is a
 * directory.  Returns 0 or KR_ERR_NOT_FOUND naming what was tried.
 */
int	kr_lobby_scripts_dir(const char *dir, char *out, size_t outlen);

/*
 * Lists the *.ceremony files of scripts_dir, sorted by file name, and
 * parses each (a script that does not parse is listed with its error).
 * module is the PKCS#11 module for kr_lobby_cards() (NULL: the default
 * of kr_token_module_path()).  *lp set only on success.
 */
int	kr_lobby_new(const char *scripts_dir, const char *module,
	    struct kr_lobby **lp);

/* NULL-safe; closes the module if open. */
void	kr_lobby_free(struct kr_lobby *l);

size_t				 kr_lobby_nscripts(const struct kr_lobby *l);
const struct kr_lobby_script	*kr_lobby_script(const struct kr_lobby *l,
				    size_t i);

/*
 * Runs the power-on self-tests (kr_selftest_run) and the air-gap scan
 * (kr_airgap_scan) and keeps the verdicts for kr_lobby_health().
 * Returns 0 unless memory ran out; failures are verdicts, not errors.
 */
int	kr_lobby_check(struct kr_lobby *l);
const struct kr_lobby_health *kr_lobby_health(const struct kr_lobby *l);

/*
 * The initialised cards present now (labels and serials made printable),
 * opening the module if needed and re-initialising it so that SoftHSM2
 * sees tokens come and go.  Returns 0 or the token layer's error (the
 * detail says which module).
 */
int	kr_lobby_cards(struct kr_lobby *l, struct kr_card_view *out,
	    size_t max, size_t *n);

/*
 * A qsort() comparator for struct kr_card_view: by label, numbers in
 * labels compared as numbers (custodian-2 before custodian-10), then by
 * serial.  kr_lobby_cards() lists cards in this order.
 */
int	kr_lobby_card_cmp(const void *a, const void *b);

/* The order of kr_lobby_card_cmp() for two labels alone. */
int	kr_lobby_label_cmp(const char *a, const char *b);

/* Closes the module until the next kr_lobby_cards(); NULL-safe. */
void	kr_lobby_release(struct kr_lobby *l);

/*
 * The parameters of s that policy violation v (one sentence from
 * kr_policy_check() on s's policy request) is about: the parameters whose
 * ${name} appears in the step argument that feeds the value the sentence
 * names (the algorithm, the certificate validity, the threshold, the share
 * count).  Stores up to max indexes into s->params in idx and returns how
 * many; 0 for a violation about the ceremony as a whole (its key class).
 */
size_t	kr_lobby_violation_params(const struct kr_script *s, const char *v,
	    size_t *idx, size_t max);

/*
 * Reads a transcript (at most KR_TRANSCRIPT_FILE_MAX bytes) for review:
 * *textp is malloc()ed and NUL-terminated, sha256 (may be NULL) receives
 * the SHA-256 of its exact bytes, as `sha256sum` prints it.  Outputs set
 * only on success.  Returns 0, KR_ERR_IO, KR_ERR_TOO_LARGE or
 * KR_ERR_NOMEM naming the file.
 */
/*
 * Prints the sealed transcript at path again (its paper record, A4 or as
 * its print log says) on printer (NULL: CUPS's default) and follows the
 * job to its end.  msg receives what happened in plain words ("printer x,
 * job 12: printed").  Returns 0 when printed, else an error whose detail
 * says why (no printer, queue stopped, out of paper).
 */
int	kr_lobby_reprint(const char *path, const char *printer, char *msg,
	    size_t msglen);

int	kr_lobby_transcript(const char *path, char **textp, size_t *lenp,
	    uint8_t sha256[32]);

/* --- the Parameters screen: media, inputs, the previous ceremony ------- */

struct kr_policy;

/*
 * What parameter i of s may be under policy p, for a hint beside it: the
 * script's range narrowed by the limit of the policy class on the value
 * the parameter feeds (a certificate's validity at most max-validity-
 * days; the threshold at least min-threshold; the share count at least
 * min-shares), e.g. "1 to 9132 (policy: root-ca)"; for the algorithm,
 * the choices the class allows.  Falls back to the script's own range or
 * choices; "" for a free string.  p may be NULL.
 */
void	kr_lobby_param_hint(const struct kr_script *s,
	    const struct kr_policy *p, size_t i, char *out, size_t outlen);

#define KR_LOBBY_NAME_MAX	129	/* a file name on the media, with NUL */

/*
 * The media directories as a ceremony will find them (kr_media_open():
 * each exists, is a writable directory, none twice).  Returns 0, or
 * KR_ERR_MEDIA with the detail naming the directory and what to do.  A
 * frontend calls it again while people fix a medium (create the
 * directory, mount it read-write) without leaving the screen.
 */
int	kr_lobby_media_check(const char *const *dirs, size_t ndirs);

/*
 * The plain files (not hidden, no directories) on the media whose names
 * start with prefix and end with suffix (either may be ""), each name
 * once, sorted newest first by name (transcript names sort by time) when
 * newest is set, else by name.  Stores up to max names and their count.
 */
int	kr_lobby_media_files(const char *const *dirs, size_t ndirs,
	    const char *prefix, const char *suffix, int newest,
	    char (*names)[KR_LOBBY_NAME_MAX], size_t max, size_t *count);

/* What kind of input file a script parameter names, if any. */
enum kr_lobby_input {
	KR_LOBBY_INPUT_NONE,
	KR_LOBBY_INPUT_ESCROW,		/* an escrow package (*.escrow) */
	KR_LOBBY_INPUT_CERTIFICATE,	/* a PEM certificate (*.pem) */
	KR_LOBBY_INPUT_CSR,		/* a PKCS#10 request (*.csr, *.pem) */
	KR_LOBBY_INPUT_SUBJECT_CERT,	/* a CA certificate to cross-sign */
	KR_LOBBY_INPUT_REVOCATIONS,	/* a revocation list (*.txt) */
	KR_LOBBY_INPUT_CRL,		/* the previous CRL (*.crl, *.pem) */
	KR_LOBBY_INPUT_RELEASE,		/* a release manifest (*.txt) */
	KR_LOBBY_INPUT_STATUS_LIST,	/* an OCSP status list (*.txt) */
	KR_LOBBY_INPUT_SECRET_KEY,	/* a key to import: listed, not read */
};

/*
 * Whether parameter i of s names an input file: it is the whole value
 * (${name}) of a step argument that the engine reads as an input before
 * the ceremony (load-escrow's file= and certificate=, sign-csr's csr=,
 * cross-sign's subject-cert= and csr=, issue-crl's revocations= and
 * previous=, review-release's file=, sign-ocsp's status-list=,
 * import-key's file=; the table in lobby.c lists them, so that new
 * verbs' inputs are added there).  A parameter that is only part of a
 * file name (firmware-sign's file=${name}.escrow) is not a file.  The
 * file names such inputs take end in one of kr_lobby_input_suffix()'s
 * suffixes.  kr_lobby_param_optional() tells whether the step takes ""
 * as "none" (issue-crl's previous= and revocations=, cross-sign's csr=
 * and subject-cert=: one of the two).
 */
enum kr_lobby_input	 kr_lobby_param_input(const struct kr_script *s,
			    size_t i);
int			 kr_lobby_param_optional(const struct kr_script *s,
			    size_t i);

/* The suffixes of kind's files, separated by spaces (".csr .pem"). */
const char		*kr_lobby_input_suffix(enum kr_lobby_input kind);

/*
 * The plain files on the media a parameter of kind may name, for a
 * frontend to offer: those ending in one of kind's suffixes, each name
 * once, sorted by name, except that a *.txt kind leaves out transcripts
 * and their print logs; and current (what the parameter says now, may be
 * NULL) whatever its suffix, when it is a plain file on the media, so
 * that a name people typed is never hidden.  Stores up to max names and
 * their count.
 */
int	kr_lobby_input_files(const char *const *dirs, size_t ndirs,
	    enum kr_lobby_input kind, const char *current,
	    char (*names)[KR_LOBBY_NAME_MAX], size_t max, size_t *count);

/* What kr_lobby_input_check() found. */
struct kr_lobby_input_state {
	int	ok;			/* usable as far as can be told here */
	char	verdict[512];		/* what it is, or what is wrong */
	uint8_t	key_id[32];		/* SHA-256 of its public key */
	int	has_key;
};

/* What kr_lobby_input_check() judges a file against; all may be 0. */
struct kr_lobby_input_ctx {
	const uint8_t	*want_key;	/* a certificate must be of this key */
	const char	*issuer;	/* the certificate file (on the media)
					   a previous CRL must be signed by */
	int		 optional;	/* "" means none, and is fine */
};

/*
 * Reads and checks the input file name of kind as the engine will before
 * the ceremony, on the first medium, where the engine reads its inputs
 * (a file only on another medium is refused, saying to copy it), with
 * the project's own parsers, whose error (naming the file, and the line
 * where there is one) becomes the verdict:
 *   ESCROW        parses, and comes from a ceremony whose transcript on
 *                 these media is sealed;
 *   CERTIFICATE   parses, and is of ctx->want_key when that is set;
 *   CSR           parses and its self-signature verifies: its subject
 *                 and key are said;
 *   SUBJECT_CERT  a CA certificate another CA may cross-certify;
 *   REVOCATIONS   parses: how many serials;
 *   CRL           parses and verifies under the certificate ctx->issuer
 *                 names: its number, issuer and entries;
 *   RELEASE       parses strictly and each image is on the media with the
 *                 size the manifest gives: how many, and their total size;
 *   STATUS_LIST   parses: how many certificates;
 *   SECRET_KEY    is a plain non-empty file; its contents are secret and
 *                 read only by the ceremony.
 * An empty name is fine when ctx->optional is set.  ctx may be NULL.
 * Fills st (the verdict names the file and says what to do).  Returns 0
 * (st->ok tells), or KR_ERR_NOMEM.  Prints nothing.
 */
int	kr_lobby_input_check(const char *const *dirs, size_t ndirs,
	    enum kr_lobby_input kind, const char *name,
	    const struct kr_lobby_input_ctx *ctx,
	    struct kr_lobby_input_state *st);

/*
 * The latest sealed transcript on the media whose ceremony key (the one
 * that sealed it) is key_id: the previous ceremony about the same key,
 * which a new ceremony names as previous (kr_engine_config.previous).
 * Writes its path into path; returns 0, or KR_ERR_NOT_FOUND when none.
 */
int	kr_lobby_previous(const char *const *dirs, size_t ndirs,
	    const uint8_t key_id[32], char *path, size_t pathlen);

/*
 * The sealed transcripts on the media, newest first (file names), for a
 * frontend to offer as the previous ceremony.
 */
int	kr_lobby_sealed_transcripts(const char *const *dirs, size_t ndirs,
	    char (*names)[KR_LOBBY_NAME_MAX], size_t max, size_t *count);

/* The first medium's path of name that exists, or 0 written; 1 if found. */
int	kr_lobby_media_path(const char *const *dirs, size_t ndirs,
	    const char *name, char *path, size_t pathlen);

#endif /* KR_LOBBY_H */
