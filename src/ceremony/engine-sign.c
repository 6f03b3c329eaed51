/*
 * engine-sign.c: a root key signs an intermediate CA's certificate
 * request (root-ca-sign-intermediate.ceremony), a delegated OCSP
 * responder's (root-ca-ocsp-signer.ceremony: the same verbs with
 * profile=ocsp-signer), or cross-certifies another CA from its
 * certificate or its request (root-ca-cross-sign.ceremony: review-cross
 * and cross-sign, profile cross-ca).
 *
 *   preflight (sign-csr)  the request is read from the first medium and
 *                         checked strictly (csr.h), and the certificate
 *                         planned against the profile, the root and the
 *                         policy class the profile names (x509-issue.h):
 *                         a bad request, a key or validity the policy
 *                         does not allow, a path length the root does
 *                         not allow, all refused before any work.  The
 *                         serial is drawn here, so the output's name,
 *                         intermediate-<serial>.pem, is checked absent
 *                         with the other outputs.
 *   review-csr            before any card: the request and the
 *                         certificate planned are recorded and shown;
 *                         each witness confirms the SPKI fingerprint
 *                         the requester sent out of band by typing its
 *                         last group.
 *   sign-csr              with the recovered key: issue, lint before and
 *                         after the signature, verify with OpenSSL's
 *                         path validation, stage the PEM.
 *
 * A cross-certificate is the same three steps (preflight of cross-sign,
 * review-cross, cross-sign) with the CA's own certificate as the input
 * (subject-cert.h) or its request: the witnesses confirm the SPKI
 * fingerprint of the CA's key, and the output is named by the two key
 * identifiers, cross-<subject SKI>-by-<root SKI>.pem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/csr.h"
#include "crypto/subject-cert.h"
#include "crypto/x509-issue.h"
#include "crypto/x509.h"
#include "engine-int.h"

#define REVIEW_MAX	16384	/* bytes of the review text */

struct kr_engine_sign {
	struct kr_csr		*csr;	/* the request, or */
	struct kr_subject_cert	*sc;	/* the CA's certificate (cross-sign) */
	struct kr_x509_plan	*plan;
	char			 csr_name[129];	/* the input file's name */
	uint8_t			 file_sha256[32];	/* the file's bytes */
	char			 spki_fp[KR_X509_FP_TEXT_BYTES];
	const struct kr_script_step *step;
};

void
kr_engine_sign_free(struct kr_engine *e)
{
	if (e->sign == NULL)
		return;
	kr_x509_plan_free(e->sign->plan);
	kr_csr_free(e->sign->csr);
	kr_subject_cert_free(e->sign->sc);
	free(e->sign);
	e->sign = NULL;
}

/* "source:line: step N (sign-csr): detail" for a refusal. */
static int
step_err(struct kr_engine *e, const struct kr_script_step *st, int r)
{
	char detail[4096];

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	return kr_err_set(r, "%s:%zu: step %s: %s", e->script->source,
	    st->line, st->verb, detail);
}

static const char *const option_args[] = { "policies", "eku", "crl-uri",
	"ca-issuers-uri", "permitted", "excluded" };

static int
options(struct kr_engine *e, const struct kr_script_step *st,
    const struct kr_x509_profile *prof, struct kr_x509_options *o)
{
	const char *ds = kr_script_arg(st, "digital-signature");
	const char *pl = kr_script_arg(st, "path-length");
	size_t i;
	int r;

	kr_x509_options_init(o);
	o->validity_days = atoi(kr_script_arg(st, "validity-days"));
	/* An end-entity profile (an OCSP responder) has no path length. */
	o->path_len = prof->ca && pl != NULL ? atoi(pl) : -1;
	o->rehearsal = e->cfg.rehearsal;
	if (ds != NULL && strcmp(ds, "yes") == 0)
		o->key_usage |= KR_X509_KU_DIGITAL_SIGNATURE;
	else if (ds != NULL && strcmp(ds, "no") != 0)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "digital-signature: "
		    "'%.40s' is not yes or no", ds);
	for (i = 0; i < sizeof(option_args) / sizeof(option_args[0]); i++)
		if ((r = kr_x509_option_parse(o, option_args[i],
		    kr_script_arg(st, option_args[i]))) != 0)
			return r;
	return 0;
}

static int
profile_of(const struct kr_script_step *st,
    const struct kr_x509_profile **pp)
{
	const char *name = kr_script_arg(st, "profile");
	const struct kr_x509_profile *p;
	char list[256];
	size_t i, used = 0;

	if ((*pp = kr_x509_profile_find(name)) != NULL)
		return 0;
	list[0] = '\0';
	for (i = 0; (p = kr_x509_profile_at(i)) != NULL &&
	    used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		    "%s%s", i ? ", " : "", p->name);
	return kr_err_set(KR_ERR_SCRIPT_PARAM, "profile '%.40s' is not one "
	    "keyrite issues (%s)", name ? name : "", list);
}

/*
 * The longest validity: the profile's class's max-validity-days, or for
 * a delegated OCSP responder the issuing class's max-ocsp-signer-days.
 */
static int
max_days(const struct kr_engine *e, const struct kr_x509_profile *prof,
    const struct kr_policy_class *pc, unsigned *daysp)
{
	*daysp = pc->max_validity_days;
	if (!(prof->flags & KR_X509_PROF_OCSP_SIGNER))
		return 0;
	if (e->pclass == NULL || e->pclass->max_ocsp_signer_days == 0)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "policy %s lets no "
		    "%s key certify an OCSP responder (its class has no "
		    "max-ocsp-signer-days)", e->policy->name,
		    e->script->key_class);
	*daysp = e->pclass->max_ocsp_signer_days;
	return 0;
}

static int
plan(struct kr_engine *e, const struct kr_script_step *st,
    const struct kr_x509_profile *prof, struct kr_engine_sign *s)
{
	const struct kr_policy_class *pc;
	struct kr_x509_options *opt = NULL;
	struct kr_x509_limits lim;
	int r;

	if ((pc = kr_policy_class(e->policy, prof->policy_class)) == NULL)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "policy %s has no "
		    "class %s for %s certificates", e->policy->name,
		    prof->policy_class, prof->name);
	if ((opt = malloc(sizeof(*opt))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", st->verb);
	memset(&lim, 0, sizeof(lim));
	if ((r = options(e, st, prof, opt)) != 0 ||
	    (r = max_days(e, prof, pc, &lim.max_days)) != 0)
		goto out;
	lim.algorithms = pc->algorithms;
	lim.nalgorithms = pc->nalgorithms;
	lim.policy = e->policy->name;
	if (s->sc != NULL)
		r = kr_x509_plan_new_cert(prof, e->cert, s->sc, opt, &lim,
		    kr_engine_now(e), &s->plan);
	else
		r = kr_x509_plan_new(prof, e->cert, s->csr, opt, &lim,
		    kr_engine_now(e), &s->plan);
 out:
	free(opt);
	return r;
}

/* The one signing a ceremony does, before anything is read for it. */
static int
sign_new(struct kr_engine *e, const struct kr_script_step *st,
    struct kr_engine_sign **sp)
{
	*sp = NULL;
	if (e->sign != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "signs one certificate", e->script->source, st->line);
	if (e->cert == NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: %s needs the "
		    "root's certificate: give load-escrow a certificate=",
		    e->script->source, st->line, st->verb);
	if ((e->sign = calloc(1, sizeof(*e->sign))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", st->verb);
	e->sign->step = st;
	*sp = e->sign;
	return 0;
}

/* Reads the request, or with cert set the CA's certificate, named. */
static int
read_subject(struct kr_engine *e, struct kr_engine_sign *s, const char *name,
    int cert)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int r;

	snprintf(s->csr_name, sizeof(s->csr_name), "%s", name);
	if ((r = kr_engine_read_input(e, name, cert ?
	    KR_SUBJECT_CERT_MAX_BYTES : KR_CSR_MAX_BYTES, &data, &len,
	    s->file_sha256, path, sizeof(path))) != 0)
		return r;
	if (cert)
		r = kr_subject_cert_parse((const uint8_t *)data, len, path,
		    &s->sc);
	else
		r = kr_csr_parse((const uint8_t *)data, len, path, &s->csr);
	free(data);
	return r;
}

/* The SHA-256 of the SubjectPublicKeyInfo the witnesses confirm. */
static const uint8_t *
spki_sha256(const struct kr_engine_sign *s)
{
	return s->sc != NULL ? s->sc->spki_sha256 : s->csr->spki_sha256;
}

int
kr_engine_preflight_sign(struct kr_engine *e, const struct kr_script_step *st)
{
	const struct kr_x509_profile *prof = NULL;
	struct kr_engine_sign *s;
	int r;

	if ((r = sign_new(e, st, &s)) != 0)
		return r;
	if ((r = read_subject(e, s, kr_script_arg(st, "csr"), 0)) != 0 ||
	    (r = profile_of(st, &prof)) != 0 ||
	    (r = plan(e, st, prof, s)) != 0)
		return step_err(e, st, r);
	kr_x509_fingerprint_text(spki_sha256(s), s->spki_fp,
	    sizeof(s->spki_fp));
	return kr_engine_plan_output(e, s->plan->file_name, 64u << 10);
}

int
kr_engine_preflight_cross(struct kr_engine *e,
    const struct kr_script_step *st)
{
	const char *cert = kr_script_arg(st, "subject-cert");
	const char *csr = kr_script_arg(st, "csr");
	const struct kr_x509_profile *prof;
	struct kr_engine_sign *s;
	int r, by_cert = cert != NULL && *cert != '\0';

	if (by_cert == (csr != NULL && *csr != '\0'))
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: cross-sign: "
		    "give the CA's certificate (subject_cert) or its request "
		    "(csr), one of the two", e->script->source, st->line);
	if ((prof = kr_x509_profile_find("cross-ca")) == NULL)
		return kr_err_set(KR_ERR_INTERNAL, "no cross-ca profile");
	if ((r = sign_new(e, st, &s)) != 0)
		return r;
	if ((r = read_subject(e, s, by_cert ? cert : csr, by_cert)) != 0 ||
	    (r = plan(e, st, prof, s)) != 0)
		return step_err(e, st, r);
	kr_x509_fingerprint_text(spki_sha256(s), s->spki_fp,
	    sizeof(s->spki_fp));
	return kr_engine_plan_output(e, s->plan->file_name, 64u << 10);
}

/* --- review-csr, review-cross ------------------------------------------- */

#define OUT(...)	do { if (*used < outlen) *used += (size_t)snprintf( \
			    out + *used, outlen - *used, __VA_ARGS__); } while (0)

/* "SPKI SHA-256" then two rows of eight groups: ui-csr.c finds them. */
static void
spki_rows(const struct kr_engine_sign *s, char *out, size_t outlen,
    size_t *used)
{
	OUT("  SPKI SHA-256\n    %.39s\n    %s\n", s->spki_fp, s->spki_fp + 40);
}

static void
request_text(const struct kr_engine_sign *s, char *out, size_t outlen,
    size_t *used)
{
	const struct kr_csr *c = s->csr;
	char hex[65];

	kr_hex_encode(s->file_sha256, 32, hex, sizeof(hex));
	/* Hashes in halves: a line fits 80 columns. */
	OUT("REQUEST %s\n  SHA-256    %.32s\n             %s\n", s->csr_name,
	    hex, hex + 32);
	OUT("  subject    %s\n", c->subject);
	OUT("  key        %s%s%s\n", c->key_text, c->key_alg[0] ? ", " : "",
	    c->key_alg);
	OUT("  signature  %s, verified: the requester holds the key\n",
	    c->sig_alg);
	spki_rows(s, out, outlen, used);
}

static void
cert_text(const struct kr_engine_sign *s, char *out, size_t outlen,
    size_t *used)
{
	const struct kr_subject_cert *c = s->sc;
	char hex[65];

	kr_hex_encode(s->file_sha256, 32, hex, sizeof(hex));
	OUT("SUBJECT CERTIFICATE %s\n  SHA-256    %.32s\n             %s\n",
	    s->csr_name, hex, hex + 32);
	OUT("  subject    %s\n  issuer     %s\n", c->subject, c->issuer);
	OUT("  signature  %s\n", c->self_signed ? "self-signed, verified "
	    "under its own key" : "not self-signed (its issuer's key is "
	    "not here to check it)");
	OUT("  validity   %s to %s\n", c->not_before, c->not_after);
	OUT("  key        %s%s%s\n", c->key_text, c->key_alg[0] ? ", " : "",
	    c->key_alg);
	OUT("  SKI        %.40s%s%s\n", c->ski_hex, strlen(c->ski_hex) > 40 ?
	    "\n             " : "", strlen(c->ski_hex) > 40 ? c->ski_hex + 40 :
	    "");
	spki_rows(s, out, outlen, used);
}

/* What becomes of extension k of the input, in words. */
static const char *
verdict_text(const struct kr_engine_sign *s, size_t k)
{
	enum kr_x509_verdict v = s->plan->verdict[k];

	if (v == KR_X509_DROPPED)
		return s->sc != NULL ? "DROPPED: not in the cross-certificate" :
		    "DROPPED: not issued";
	if (s->sc != NULL)
		return v == KR_X509_ISSUED_AS_ASKED ? "kept as it is" :
		    "issued as the profile says";
	return kr_x509_verdict_name(v);
}

static void
review_text(const struct kr_engine *e, const struct kr_engine_sign *s,
    char *out, size_t outlen)
{
	const struct kr_csr_ext *x = s->sc ? s->sc->exts : s->csr->exts;
	const struct kr_x509_plan *p = s->plan;
	size_t i, n = s->sc ? s->sc->nexts : s->csr->nexts, u = 0;
	size_t *used = &u;

	if (s->sc != NULL)
		cert_text(s, out, outlen, used);
	else
		request_text(s, out, outlen, used);
	OUT("\nEXTENSIONS %s (%zu)\n", s->sc ? "IT CARRIES" : "REQUESTED", n);
	if (n == 0)
		OUT("  none\n");
	for (i = 0; i < n; i++)
		OUT("  %s %s%s: %s\n    -> %s\n", p->verdict[i] ==
		    KR_X509_DROPPED ? "!" : " ", x[i].name, x[i].critical ?
		    " (critical)" : "", x[i].text, verdict_text(s, i));
	OUT("\n%s TO ISSUE (profile %s)\n", p->profile->flags &
	    KR_X509_PROF_CROSS ? "CROSS-CERTIFICATE" : "CERTIFICATE",
	    p->profile->name);
	OUT("  serial     %s\n  subject    %s\n", p->serial_hex,
	    p->subject_text);
	OUT("  issuer     this root (%s)\n", e->cert_name);
	OUT("  validity   %d days from signing, until about %s\n",
	    p->opt.validity_days, p->not_after);
	for (i = 0; i < p->nexts; i++)
		OUT("  %s%s: %s\n", p->exts[i].name, p->exts[i].critical ?
		    " (critical)" : "", p->exts[i].text);
	OUT("  file       %s\n", p->file_name);
}
#undef OUT

static int
record_input(struct kr_engine *e, const struct kr_engine_sign *s,
    const char *asked)
{
	char fhex[65], dhex[65], shex[65];

	kr_hex_encode(s->file_sha256, 32, fhex, sizeof(fhex));
	kr_hex_encode(spki_sha256(s), 32, shex, sizeof(shex));
	if (s->sc == NULL) {
		const struct kr_csr *c = s->csr;
		struct kr_fact f[] = { { "csr", s->csr_name },
		    { "sha256", fhex }, { "der-sha256", dhex },
		    { "subject", c->subject }, { "key", c->key_text },
		    { "key-algorithm", c->key_alg[0] ? c->key_alg : "none" },
		    { "spki-sha256", shex },
		    { "signature", c->sig_alg },
		    { "proof-of-possession", "verified" },
		    { "requested-extensions", asked[0] ? asked : "none" } };

		kr_hex_encode(c->sha256, 32, dhex, sizeof(dhex));
		return kr_engine_record(e, "csr-loaded", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	} else {
		const struct kr_subject_cert *c = s->sc;
		struct kr_fact f[] = { { "subject-cert", s->csr_name },
		    { "sha256", fhex }, { "der-sha256", dhex },
		    { "subject", c->subject }, { "issuer", c->issuer },
		    { "serial", c->serial }, { "not-after", c->not_after },
		    { "self-signed", c->self_signed ? "yes: verified" : "no" },
		    { "key", c->key_text },
		    { "key-algorithm", c->key_alg[0] ? c->key_alg : "none" },
		    { "spki-sha256", shex }, { "ski", c->ski_hex },
		    { "extensions", asked[0] ? asked : "none" } };

		kr_hex_encode(c->sha256, 32, dhex, sizeof(dhex));
		return kr_engine_record(e, "subject-cert-loaded", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
}

static int
record_review(struct kr_engine *e, const struct kr_engine_sign *s)
{
	const struct kr_csr_ext *x = s->sc ? s->sc->exts : s->csr->exts;
	const struct kr_x509_plan *p = s->plan;
	char days[16], pl[16];
	char asked[2048] = "", dropped[1024] = "", issued[1024] = "";
	size_t i, ua = 0, ud = 0, ui = 0, n = s->sc ? s->sc->nexts :
	    s->csr->nexts;
	int r;

	for (i = 0; i < n; i++) {
		if (ua < sizeof(asked))
			ua += (size_t)snprintf(asked + ua, sizeof(asked) - ua,
			    "%s%s%s: %s", ua ? "; " : "", x[i].name,
			    x[i].critical ? " (critical)" : "",
			    verdict_text(s, i));
		if (p->verdict[i] == KR_X509_DROPPED && ud < sizeof(dropped))
			ud += (size_t)snprintf(dropped + ud, sizeof(dropped) -
			    ud, "%s%s", ud ? ", " : "", x[i].name);
	}
	for (i = 0; i < p->nexts && ui < sizeof(issued); i++)
		ui += (size_t)snprintf(issued + ui, sizeof(issued) - ui,
		    "%s%s%s", ui ? ", " : "", p->exts[i].name,
		    p->exts[i].critical ? " (critical)" : "");
	if ((r = record_input(e, s, asked)) != 0)
		return r;
	snprintf(days, sizeof(days), "%d", p->opt.validity_days);
	snprintf(pl, sizeof(pl), "%d", p->opt.path_len);
	{
		struct kr_fact f[] = { { "profile", p->profile->name },
		    { "name", p->file_name }, { "serial", p->serial_hex },
		    { "subject", p->subject_text },
		    { "validity-days", days }, { "not-after", p->not_after },
		    { "path-length", pl }, { "extensions", issued },
		    { "dropped", ud ? dropped : "none" } };

		return kr_engine_record(e, "certificate-planned", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
}

/*
 * Witness j compares the SPKI fingerprint and types its last group:
 * csr.witness.<j> for a request, cross.witness.<j> for a CA to
 * cross-certify.
 */
static int
witness_spki(struct kr_engine *e, const struct kr_engine_sign *s, size_t j,
    const char *review)
{
	const char *last = kr_engine_last_group(s->spki_fp);
	int cross = (s->plan->profile->flags & KR_X509_PROF_CROSS) != 0;
	struct kr_prompt p;
	struct kr_answer a;
	char id[64], *text;
	size_t len = strlen(review) + 1024;
	int r, tries, ok;

	if ((text = malloc(len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "review");
	snprintf(text, len, "%s\nWitness %s: compare the SPKI SHA-256 above "
	    "with the one %s sent you out of band, group by group, and type "
	    "its last group. If it differs, abort: nothing has been signed.",
	    review, e->witnesses[j], cross ? "the CA to cross-certify" :
	    "the requester");
	snprintf(id, sizeof(id), "%s.witness.%zu", cross ? "cross" : "csr",
	    j + 1);
	for (tries = 0; tries < 3; tries++) {
		memset(&p, 0, sizeof(p));
		p.kind = KR_PROMPT_CONFIRM;
		p.id = id;
		p.role = "witness";
		p.actor = e->witnesses[j];
		p.title = cross ? "Cross-certificate" : "Certificate request";
		p.text = text;
		p.expect = last;
		if ((r = kr_engine_ask(e, &p, &a)) != 0)
			goto out;
		ok = a.yes || (a.text != NULL && strcasecmp(a.text, last) == 0);
		free(a.text);
		if (ok) {
			struct kr_fact f[] = { { "witness", e->witnesses[j] },
			    { "spki-sha256", s->spki_fp } };

			r = kr_engine_record(e, "spki-confirmed", "witness", f,
			    2);
			goto out;
		}
		kr_engine_notice(e, "that is not the last group of the SPKI "
		    "fingerprint; compare again");
	}
	e->abort_reason = "spki-not-confirmed";
	r = kr_err_set(KR_ERR_ABORTED, "witness %s did not confirm the "
	    "%s's SPKI fingerprint", e->witnesses[j], cross ? "CA" : "request");
 out:
	free(text);
	return r;
}

int
kr_engine_verb_review_csr(struct kr_engine *e, const struct kr_script_step *st)
{
	char *review;
	size_t j;
	int r;

	if (e->sign == NULL || e->sign->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "%s: nothing was read "
		    "before the ceremony started", st->verb);
	if (e->nwitnesses == 0)
		return kr_err_set(KR_ERR_ENGINE_STATE, "%s: no witness to "
		    "confirm the key: the roll call must come first", st->verb);
	if ((r = record_review(e, e->sign)) != 0)
		return r;
	if ((review = malloc(REVIEW_MAX)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", st->verb);
	review_text(e, e->sign, review, REVIEW_MAX);
	for (j = 0, r = 0; j < e->nwitnesses && r == 0; j++)
		r = witness_spki(e, e->sign, j, review);
	free(review);
	return r;
}

/* --- sign-csr, cross-sign ------------------------------------------------- */

static int
record_issued(struct kr_engine *e, const struct kr_engine_sign *s, X509 *x)
{
	struct kr_x509_info *info;
	char fp[65], spki[65], in[65], days[16];
	int r;

	if ((info = malloc(sizeof(*info))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "issuing");
	if ((r = kr_x509_describe(x, info)) != 0)
		goto out;
	kr_hex_encode(info->fingerprint, 32, fp, sizeof(fp));
	kr_hex_encode(spki_sha256(s), 32, spki, sizeof(spki));
	kr_hex_encode(s->sc ? s->sc->sha256 : s->csr->sha256, 32, in,
	    sizeof(in));
	snprintf(days, sizeof(days), "%d", info->days);
	{
		struct kr_fact f[] = { { "name", s->plan->file_name },
		    { "profile", s->plan->profile->name },
		    { "serial", info->serial }, { "subject", info->subject },
		    { "issuer", info->issuer },
		    { "not-before", info->not_before },
		    { "not-after", info->not_after }, { "days", days },
		    { "sha256", fp }, { "spki-sha256", spki },
		    { s->sc ? "subject-cert-sha256" : "csr-sha256", in },
		    { "lint", "passed before and after signing" },
		    { "path-validation", "X509_verify_cert, strict: "
		    "verified under the root" } };

		r = kr_engine_record(e, "certificate-issued", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
 out:
	free(info);
	return r;
}

int
kr_engine_verb_sign_csr(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_sign *s = e->sign;
	X509 *x = NULL;
	char *pem = NULL;
	size_t len = 0;
	int r;

	if (s == NULL || s->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "%s: nothing was "
		    "planned before the ceremony started", st->verb);
	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "%s: the root key is not "
		    "recovered (recover and prove-key come first)", st->verb);
	if ((r = kr_x509_issue(s->plan, e->key, kr_engine_now(e), &x)) != 0 ||
	    (r = kr_x509_to_pem(x, &pem, &len)) != 0 ||
	    (r = kr_engine_output_file(e, s->plan->file_name, pem, len,
	    s->plan->profile->flags & KR_X509_PROF_CROSS ?
	    "cross-certificate" : "certificate")) != 0)
		goto out;
	r = record_issued(e, s, x);
 out:
	free(pem);
	X509_free(x);
	return r;
}
