/*
 * engine-restore.c: a recovered key goes into an HSM (root CA recovery:
 * key-restore-hsm.ceremony).
 *
 *   preflight (restore-key)  the target token's module is loaded (the
 *                            custodians' module unless --target-module or
 *                            $KEYRITE_TARGET_PKCS11_MODULE names another),
 *                            the token named is present, is not one of
 *                            the custodians' cards, is a hardware token
 *                            in a real ceremony, and shows no object
 *                            with the key's id (public objects: no PIN
 *                            is asked yet).
 *   review-target            before any card: the token and what will be
 *                            written are recorded and shown; the
 *                            administrator confirms.
 *   restore-key              with the recovered key: the target's PIN
 *                            (prompt target.pin), no object with the id
 *                            (private ones too, now), the record
 *                            hsm-restore-started, the private key object
 *                            and the certificate created, read back,
 *                            the token signs a challenge that verifies
 *                            with the certificate's public key, the
 *                            record hsm-key-restored.
 *
 * The commit point (docs/architecture.md): the key in the HSM is not a
 * file that can be staged.  It is created as late as possible, checked,
 * and the transcript sealed right after; a restore that fails before the
 * seal destroys what it made when it can, and what an interrupted one
 * leaves is named by the unsealed transcript (hsm-restore-started: the
 * token's serial and the key id) and removed by hand
 * (docs/operator-guide.md).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/key.h"
#include "engine-int.h"
#include "reviewed.h"

struct kr_engine_restore {
	struct kr_token_module	*mod;		/* the target's */
	int			 own_mod;	/* else it is e->mod */
	struct kr_token_info	 info;		/* found in preflight */
	char			 token[KR_ESCROW_LABEL_MAX + 1];
	char			 label[KR_TOKEN_KEY_LABEL_MAX + 1];
	char			 module[PATH_MAX];
};

void
kr_engine_restore_free(struct kr_engine *e)
{
	if (e->restore == NULL)
		return;
	if (e->restore->own_mod)
		kr_token_module_close(e->restore->mod);
	free(e->restore);
	e->restore = NULL;
}

static int
label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > KR_TOKEN_KEY_LABEL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* The target's module: e->mod when it is the same library. */
static int
open_module(struct kr_engine *e, struct kr_engine_restore *t)
{
	const char *want = kr_token_target_module_path(e->cfg.target_module);
	const char *mine = kr_token_module_path(e->cfg.module);
	char a[PATH_MAX], b[PATH_MAX];

	if (want == NULL)
		want = mine;
	snprintf(t->module, sizeof(t->module), "%s", want);
	if (e->mod != NULL && (strcmp(want, mine) == 0 ||
	    (realpath(want, a) != NULL && realpath(mine, b) != NULL &&
	    strcmp(a, b) == 0))) {
		t->mod = e->mod;
		return 0;
	}
	t->own_mod = 1;
	return kr_token_module_open(want, &t->mod);
}

/* Finds the target token again (after a reload where the module allows). */
static int
find_target(struct kr_engine_restore *t, struct kr_token_info *info)
{
	int r = kr_token_find(t->mod, t->token, info);

	if (r == KR_ERR_TOKEN_NOT_PRESENT &&
	    kr_token_module_reload(t->mod) == 0)
		r = kr_token_find(t->mod, t->token, info);
	if (r == KR_ERR_TOKEN_NOT_PRESENT)
		return kr_err_set(r, "the target token %s is not present "
		    "(PKCS#11 module %s): connect the HSM and check its label, "
		    "or give its module with --target-module", t->token,
		    t->module);
	return r;
}

/* The token must not be a custodian's card: their serials are known. */
static int
not_a_custodian(struct kr_engine *e, const struct kr_token_info *info)
{
	size_t i;

	for (i = 0; e->escrow != NULL && i < e->escrow->n; i++)
		if (strcmp(e->escrow->roster[i].serial, info->serial) == 0)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "the target "
			    "token %s (serial %s) is custodian %s's card: the "
			    "key goes into an HSM, never onto a share card",
			    info->label, info->serial,
			    e->escrow->roster[i].name);
	return 0;
}

/* No object with the key id is visible (public ones, before a PIN). */
static int
id_absent(struct kr_engine *e, struct kr_engine_restore *t)
{
	struct kr_token_session *s = NULL;
	char hex[65];
	size_t n = 0;
	int r;

	if ((r = kr_token_open(t->mod, &t->info, &s)) != 0)
		return r;
	r = kr_token_count_id(s, e->escrow->key_id, KR_KEY_ID_BYTES, &n);
	kr_token_close(s);
	if (r != 0)
		return r;
	kr_hex_encode(e->escrow->key_id, KR_KEY_ID_BYTES, hex, sizeof(hex));
	if (n > 0)
		return kr_err_set(KR_ERR_TOKEN_ID_EXISTS, "the target token %s "
		    "already holds %zu object%s with CKA_ID %s, this key's id: "
		    "the key is there already, or an interrupted restore left "
		    "it; nothing was done (docs/operator-guide.md says how to "
		    "check and remove it)", t->token, n, n == 1 ? "" : "s",
		    hex);
	return 0;
}

int
kr_engine_preflight_restore(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_restore *t;
	const char *token = kr_script_arg(st, "token");
	const char *label = kr_script_arg(st, "label");
	char why[1024];
	int r;

	if (e->restore != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "restores a key once", e->script->source, st->line);
	if (e->escrow == NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: restore-key "
		    "needs load-escrow before it", e->script->source, st->line);
	if (!label_ok(label) || strlen(token) > KR_ESCROW_LABEL_MAX)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: restore-key: "
		    "label= is 1 to %d printable ASCII characters and token= "
		    "a token label of at most %d", e->script->source, st->line,
		    KR_TOKEN_KEY_LABEL_MAX, KR_ESCROW_LABEL_MAX);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "restore-key");
	e->restore = t;
	snprintf(t->token, sizeof(t->token), "%s", token);
	snprintf(t->label, sizeof(t->label), "%s", label);
	if ((r = open_module(e, t)) != 0 ||
	    (r = find_target(t, &t->info)) != 0 ||
	    (r = not_a_custodian(e, &t->info)) != 0)
		return r;
	if ((r = kr_reviewed_token_ok(e->policy, &t->info, e->cfg.rehearsal,
	    why, sizeof(why))) != 0)
		return kr_err_set(r, "the target token: %s", why);
	return id_absent(e, t);
}

/* --- review-target ------------------------------------------------------- */

int
kr_engine_verb_review_target(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_restore *t = e->restore;
	struct kr_prompt p;
	struct kr_answer a;
	char hex[65], text[2048], name[KR_TOKEN_NAME_MAX];
	int r, yes;

	(void)st;
	if (t == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "review-target: the "
		    "target was not checked before the ceremony started");
	kr_hex_encode(e->escrow->key_id, KR_KEY_ID_BYTES, hex, sizeof(hex));
	{
		struct kr_fact f[] = { { "token", t->info.label },
		    { "serial", t->info.serial },
		    { "manufacturer", t->info.manufacturer },
		    { "model", t->info.model },
		    { "module", kr_token_module_description(t->mod) },
		    { "hw-slot", t->info.hw_slot ? "yes" : "no" },
		    { "key-id", hex }, { "label", t->label },
		    { "objects-with-key-id", "0 (public objects; private ones "
		    "are checked after the PIN)" },
		    { "certificate", e->cert ? e->cert_name : "none" } };

		if ((r = kr_engine_record(e, "hsm-target-checked", "engine", f,
		    sizeof(f) / sizeof(f[0]))) != 0)
			return r;
	}
	kr_token_name(&t->info, name, sizeof(name));
	snprintf(text, sizeof(text), "TARGET TOKEN\n  %s\n  manufacturer %s, "
	    "model %s%s\n  module %s\n\nWILL BE WRITTEN\n  the private key of "
	    "key id\n    %s\n  as a private key object: sensitive, not "
	    "extractable, for signing only,\n  CKA_ID the key id, CKA_LABEL "
	    "\"%s\"%s%s\n\nThe key can never be read out of the token again. "
	    "Is this the right token? yes: go on; no: stop here, before any "
	    "card is used.", name, t->info.manufacturer, t->info.model,
	    t->info.hw_slot ? "" : " (not a hardware slot)",
	    kr_token_module_description(t->mod), hex, t->label,
	    e->cert ? ",\n  and the certificate " : "",
	    e->cert ? e->cert_name : "");
	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_CONFIRM;
	p.id = "target.confirm";
	p.role = "administrator";
	p.title = "Target token";
	p.text = text;
	if ((r = kr_engine_ask(e, &p, &a)) != 0)
		return r;
	yes = a.yes || (a.text != NULL && strcasecmp(a.text, "yes") == 0);
	kr_engine_answer_free(&p, &a);
	if (!yes) {
		e->abort_reason = "restore-not-confirmed";
		return kr_err_set(KR_ERR_ABORTED, "the administrator did not "
		    "confirm the target token");
	}
	return 0;
}

/* --- restore-key --------------------------------------------------------- */

/* The target's PIN, asked like a custodian's, within keyrite's budget. */
static int
target_login(struct kr_engine *e, struct kr_token_session *s,
    const struct kr_token_info *info)
{
	struct kr_token_pin_budget b;
	struct kr_prompt p;
	struct kr_answer a;
	char text[512], name[KR_TOKEN_NAME_MAX];
	int r;

	memset(&b, 0, sizeof(b));
	b.limit = e->pclass != NULL && e->pclass->pin_attempts > 0 ?
	    e->pclass->pin_attempts : KR_TOKEN_PIN_ATTEMPTS;
	kr_token_name(info, name, sizeof(name));
	for (;;) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_PIN;
		p.id = "target.pin";
		p.role = "administrator";
		p.card = info->label;
		p.card_serial = info->serial;
		p.attempts_left = b.failed < b.limit ? b.limit - b.failed : 0;
		p.final_try = kr_token_session_info(s)->pin_final_try;
		snprintf(text, sizeof(text), "Type the user PIN of the target "
		    "token, %s.%s", name, p.final_try ? " WARNING: the token "
		    "says this is the LAST try before it locks." : "");
		p.title = "Target PIN";
		p.text = text;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			return r;
		r = kr_token_login(s, a.text ? a.text : "", a.len, &b);
		kr_engine_answer_free(&p, &a);
		if (r != KR_ERR_TOKEN_PIN_INCORRECT)
			return r;
		{
			struct kr_fact f[] = { { "card", info->label },
			    { "serial", info->serial } };

			if ((r = kr_engine_record(e, "pin-rejected",
			    "administrator", f, 2)) != 0)
				return r;
		}
		if (b.failed >= b.limit)
			return kr_err_set(KR_ERR_TOKEN_ATTEMPTS, "%s: %u wrong "
			    "PINs; the key is not restored", name, b.failed);
		kr_engine_notice(e, "%s", kr_err_detail());
	}
}

static const char *
yn(int v)
{
	return v ? "yes" : "no";
}

static int
record_restored(struct kr_engine *e, const struct kr_engine_restore *t,
    const struct kr_token_key_attrs *a, const char *mech)
{
	char id[2 * KR_TOKEN_KEY_ID_MAX + 1], proof[256];

	kr_hex_encode(a->id, a->id_len, id, sizeof(id));
	snprintf(proof, sizeof(proof), "the token signed a random challenge "
	    "with %s; verified with the public key of %s", mech,
	    e->cert ? e->cert_name : "the escrow package");
	{
		struct kr_fact f[] = { { "token", t->info.label },
		    { "serial", t->info.serial },
		    { "manufacturer", t->info.manufacturer },
		    { "model", t->info.model },
		    { "class", "CKO_PRIVATE_KEY" },
		    { "key-type", a->key_type_name },
		    { "token-object", yn(a->token) },
		    { "private", yn(a->is_private) },
		    { "sensitive", yn(a->sensitive) },
		    { "extractable", yn(a->extractable) },
		    { "always-sensitive", yn(a->always_sensitive) },
		    { "never-extractable", yn(a->never_extractable) },
		    { "sign", yn(a->sign) },
		    { "value", a->value_hidden ? "refused by the token" :
		    "readable" },
		    { "id", id }, { "label", a->label },
		    { "certificate-object", yn(a->certificate) },
		    { "proof", proof } };

		return kr_engine_record(e, "hsm-key-restored", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
}

static int
restore(struct kr_engine *e, struct kr_engine_restore *t,
    struct kr_token_session *s)
{
	struct kr_token_key_attrs a;
	const char *mech = NULL;
	EVP_PKEY *pub = e->cert ? X509_get0_pubkey(e->cert) : NULL, *own = NULL;
	char hex[65], detail[1024];
	size_t n = 0;
	int r;

	kr_hex_encode(e->escrow->key_id, KR_KEY_ID_BYTES, hex, sizeof(hex));
	{
		struct kr_fact f[] = { { "token", t->info.label },
		    { "serial", t->info.serial }, { "key-id", hex },
		    { "label", t->label } };

		if ((r = kr_engine_record(e, "hsm-restore-started",
		    "engine", f, 4)) != 0)
			return r;
	}
	if (pub == NULL && (r = kr_key_from_spki(e->escrow->spki,
	    e->escrow->spki_len, &own)) != 0)
		return r;
	if ((r = kr_token_restore_key(s, e->key, e->escrow->key_id,
	    KR_KEY_ID_BYTES, t->label, e->cert, &a)) != 0)
		goto out;
	if ((r = kr_token_prove_key(s, e->escrow->key_id, KR_KEY_ID_BYTES,
	    pub ? pub : own, &mech)) != 0) {
		snprintf(detail, sizeof(detail), "%s", kr_err_detail());
		if (kr_token_destroy_id(s, e->escrow->key_id, KR_KEY_ID_BYTES,
		    &n) == 0) {
			struct kr_fact f[] = { { "token", t->info.label },
			    { "serial", t->info.serial }, { "key-id", hex } };

			(void)kr_engine_record(e, "hsm-objects-destroyed",
			    "engine", f, 3);
		}
		r = kr_err_set(r, "%s; the %zu object%s made were destroyed",
		    detail, n, n == 1 ? "" : "s");
		goto out;
	}
	r = record_restored(e, t, &a, mech);
 out:
	EVP_PKEY_free(own);
	return r;
}

int
kr_engine_verb_restore_key(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_engine_restore *t = e->restore;
	struct kr_token_session *s = NULL;
	struct kr_token_info info;
	int r;

	(void)st;
	if (t == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "restore-key: the "
		    "target was not checked before the ceremony started");
	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "restore-key: the key "
		    "is not recovered (recover and prove-key come first)");
	if ((r = find_target(t, &info)) != 0)
		return r;
	if (strcmp(info.serial, t->info.serial) != 0)
		return kr_err_set(KR_ERR_TOKEN_NOT_PRESENT, "the token "
		    "labelled %s now has serial %s, not %s as when it was "
		    "checked: nothing was written", t->token, info.serial,
		    t->info.serial);
	t->info = info;
	if ((r = kr_token_open(t->mod, &info, &s)) != 0 ||
	    (r = target_login(e, s, &info)) != 0)
		goto out;
	r = restore(e, t, s);
 out:
	kr_token_close(s);
	return r;
}
