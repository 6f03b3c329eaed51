/*
 * reviewed.h: what a real ceremony demands of its script, its policy and
 * its cards ("real means real"; docs/rehearsal.md, "Real mode and
 * rehearsal").
 *
 * A real (non-rehearsal) ceremony runs only a script from the installed
 * scripts directory, <prefix>/share/keyrite/ceremony-scripts beside the
 * running <prefix>/bin/keyrite.  The directory is found from the running
 * executable (/proc/self/exe), never from an option or the environment,
 * so that nothing but an installation can make a file count as reviewed.
 * That directory, the script, the policy beside it and the reviewed
 * manifest (reviewed.sha256, in `sha256sum` format) must be read-only (no
 * write bit for anyone, or on a read-only mount), and the SHA-256 of the
 * script and of the policy must be the ones the manifest lists for them.
 *
 * A real ceremony also takes only hardware cards: a software token
 * (SoftHSM2, by the manufacturer and model it reports) or a token whose
 * slot lacks CKF_HW_SLOT is refused unless the policy qualifies its model
 * (qualified-token = MANUFACTURER / MODEL).
 *
 * A rehearsal runs any script on any card; the engine records whether the
 * script was a reviewed one.  Nothing here is secret.
 */
#ifndef KR_REVIEWED_H
#define KR_REVIEWED_H

#include <stddef.h>
#include <stdint.h>

#include "card/token.h"
#include "policy.h"

#define KR_REVIEWED_MANIFEST	"reviewed.sha256"
#define KR_REVIEWED_SUBDIR	"share/keyrite/ceremony-scripts"
#define KR_REVIEWED_POLICY	"policy.conf"
#define KR_REVIEWED_MAX_BYTES	65536		/* a manifest, at most */
#define KR_REVIEWED_MAX_FILES	256		/* lines of a manifest */

/*
 * Writes the installed scripts directory of the running keyrite into out
 * as an absolute path without symbolic links: <prefix>/share/keyrite/
 * ceremony-scripts, where /proc/self/exe is <prefix>/bin/keyrite.
 * Returns 0, or KR_ERR_SCRIPT_NOT_REVIEWED when this keyrite is not an
 * installed one (not in a bin/ directory, or no such directory beside it;
 * a binary run from build/ is not), with a detail saying so and what to
 * do.
 */
int	kr_reviewed_dir(char *out, size_t outlen);

/*
 * Checks that script and policy are reviewed files of dir (NULL: the
 * running keyrite's kr_reviewed_dir(); tests give their own): script's
 * real path is a regular file directly in dir; policy is dir's
 * policy.conf; dir, script, policy and dir's reviewed.sha256 are
 * read-only (no write bit for anyone, or on a read-only mount: mode bits
 * and mount flags, since access(W_OK) says yes to root whatever they say);
 * the manifest parses (64 lower-case hex digits, two spaces or " *", a
 * plain file name; each name once).  When script_sha256 and
 * policy_sha256 (the SHA-256 of the bytes the caller parsed) are given,
 * they must be the ones the manifest lists for the script's file name
 * and for policy.conf; NULL checks places and modes only, before the
 * files are read.
 *
 * Returns 0; KR_ERR_SCRIPT_NOT_REVIEWED with a detail naming the file,
 * what is wrong and what to do ("run it with --rehearsal, or install the
 * reviewed scripts"); KR_ERR_IO when script cannot be found at all;
 * KR_ERR_NOMEM.
 */
int	kr_reviewed_check(const char *dir, const char *script,
	    const char *policy, const uint8_t *script_sha256,
	    const uint8_t *policy_sha256);

/*
 * Whether the card info describes may take part in a ceremony: in a
 * rehearsal (rehearsal != 0) any card; in a real one only a hardware card
 * (not SoftHSM2 by its manufacturer or model, and in a slot with
 * CKF_HW_SLOT), unless p qualifies the card's manufacturer and model.
 * Needs no session: frontends and the roll call's preflight may call it
 * on a kr_token_list() entry.  Returns 0, or KR_ERR_TOKEN_NOT_QUALIFIED
 * with why (whylen > 0; the detail too) naming the card and saying what
 * to do; card strings are escaped (kr_token_printable()).
 */
int	kr_reviewed_token_ok(const struct kr_policy *p,
	    const struct kr_token_info *info, int rehearsal, char *why,
	    size_t whylen);

#endif /* KR_REVIEWED_H */
