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

#endif /* KR_LOBBY_H */
