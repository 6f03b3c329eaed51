/*
 * engine-crl.c: a root key issues its next CRL
 * (root-ca-issue-crl.ceremony).
 *
 *   preflight (issue-crl)  the previous CRL (optional) is read and must
 *                          verify under the root; the revocation list
 *                          (optional) is read strictly; the next CRL is
 *                          planned: number one above the previous (1 when
 *                          none), entries carried over and added, the
 *                          validity within the policy's maximum for the
 *                          key class.  The output names,
 *                          <prefix>-<number>.crl and .pem, are checked
 *                          absent with the other outputs.
 *   review-crl             before any card: the plan is recorded and the
 *                          whole list shown to the administrator, who
 *                          confirms it (no stops the ceremony).
 *   issue-crl              with the recovered key: issue, check, verify
 *                          under the root's public key, stage DER and PEM.
 *
 * An empty CRL (no previous, no revocations; or a previous and nothing
 * new: the periodic re-issue) is an ordinary run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/crl.h"
#include "engine-int.h"

/* Bytes of the review text: a head, a line per entry, a foot. */
#define REVIEW_BYTES(n)	(2048 + (size_t)(n) * 96)
#define SERIALS_MAX	(64u << 10)	/* bytes of the serials recorded */

struct kr_engine_crl {
	struct kr_crl		*prev;
	struct kr_crl_list	*list;
	struct kr_crl_plan	*plan;
	char			 prev_name[129];
	char			 list_name[129];
	uint8_t			 prev_sha256[32];	/* the files' bytes */
	uint8_t			 list_sha256[32];
	char			 der_name[160];
	char			 pem_name[160];
};

void
kr_engine_crl_free(struct kr_engine *e)
{
	if (e->crl == NULL)
		return;
	kr_crl_free(e->crl->prev);
	kr_crl_list_free(e->crl->list);
	kr_crl_plan_free(e->crl->plan);
	free(e->crl);
	e->crl = NULL;
}

static int
step_err(struct kr_engine *e, const struct kr_script_step *st, int r)
{
	char detail[4096];

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	return kr_err_set(r, "%s:%zu: step %s: %s", e->script->source,
	    st->line, st->verb, detail);
}

static int
read_previous(struct kr_engine *e, struct kr_engine_crl *c, const char *name)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int r;

	snprintf(c->prev_name, sizeof(c->prev_name), "%s", name);
	if ((r = kr_engine_read_input(e, name, KR_CRL_MAX_BYTES, &data, &len,
	    c->prev_sha256, path, sizeof(path))) != 0)
		return r;
	r = kr_crl_parse((const uint8_t *)data, len, path, e->cert,
	    kr_engine_now(e), &c->prev);
	free(data);
	return r;
}

static int
read_list(struct kr_engine *e, struct kr_engine_crl *c, const char *name)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int r;

	snprintf(c->list_name, sizeof(c->list_name), "%s", name);
	if ((r = kr_engine_read_input(e, name, KR_CRL_LIST_MAX_BYTES, &data,
	    &len, c->list_sha256, path, sizeof(path))) != 0)
		return r;
	r = kr_crl_list_parse(data, len, path, kr_engine_now(e), &c->list);
	free(data);
	return r;
}

int
kr_engine_preflight_crl(struct kr_engine *e, const struct kr_script_step *st)
{
	const char *prev = kr_script_arg(st, "previous");
	const char *list = kr_script_arg(st, "revocations");
	const char *prefix = kr_script_arg(st, "prefix");
	struct kr_engine_crl *c;
	unsigned max = e->pclass ? e->pclass->max_crl_next_update_days : 0;
	int r, days = atoi(kr_script_arg(st, "next-update-days"));

	if (e->crl != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "issues one CRL", e->script->source, st->line);
	if (e->cert == NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: issue-crl "
		    "needs the root's certificate: give load-escrow a "
		    "certificate=",
		    e->script->source, st->line);
	if (max == 0)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "%s:%zu: policy %s "
		    "lets no %s key issue CRLs (its class has no "
		    "max-crl-next-update-days)", e->script->source, st->line,
		    e->policy->name, e->script->key_class);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "issue-crl");
	e->crl = c;
	if ((prev != NULL && *prev != '\0' &&
	    (r = read_previous(e, c, prev)) != 0) ||
	    (list != NULL && *list != '\0' &&
	    (r = read_list(e, c, list)) != 0) ||
	    (r = kr_crl_plan_new(e->cert, c->prev, c->list, days, max,
	    e->policy->name, &c->plan)) != 0)
		return step_err(e, st, r);
	snprintf(c->der_name, sizeof(c->der_name), "%s-%llu.crl", prefix,
	    (unsigned long long)c->plan->number);
	snprintf(c->pem_name, sizeof(c->pem_name), "%s-%llu.pem", prefix,
	    (unsigned long long)c->plan->number);
	if (strlen(c->pem_name) > 128)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: issue-crl "
		    "prefix= is too long", e->script->source, st->line);
	if ((r = kr_engine_plan_output(e, c->der_name, (1u << 20) +
	    (uint64_t)c->plan->n * 64)) != 0)
		return r;
	return kr_engine_plan_output(e, c->pem_name, (2u << 20) +
	    (uint64_t)c->plan->n * 96);
}

/* --- review-crl ---------------------------------------------------------- */

static void
date_text(time_t t, char out[21])
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "%s", t == 0 ? "at signing" : "?");
}

static void
review_text(const struct kr_engine_crl *c, char *out, size_t outlen)
{
	const struct kr_crl_plan *p = c->plan;
	const char *reason;
	char hex[65], date[21];
	size_t i, used = 0;

#define OUT(...)	do { if (used < outlen) used += (size_t)snprintf( \
			    out + used, outlen - used, __VA_ARGS__); } while (0)
	OUT("CRL NUMBER %llu, valid %d days from signing\n",
	    (unsigned long long)p->number, p->next_update_days);
	if (c->prev != NULL) {
		kr_hex_encode(c->prev_sha256, 32, hex, sizeof(hex));
		OUT("  previous   %s: CRL number %llu of %s, %zu entr%s\n"
		    "             SHA-256 %.32s\n                     %s\n",
		    c->prev_name, (unsigned long long)c->prev->number,
		    c->prev->this_update, c->prev->n, c->prev->n == 1 ? "y" :
		    "ies", hex, hex + 32);
	} else
		OUT("  previous   none: this is the root's first CRL\n");
	if (c->list != NULL) {
		kr_hex_encode(c->list_sha256, 32, hex, sizeof(hex));
		OUT("  list       %s: %zu revocation%s\n"
		    "             SHA-256 %.32s\n                     %s\n",
		    c->list_name, c->list->n, c->list->n == 1 ? "" : "s", hex,
		    hex + 32);
	} else
		OUT("  list       none: nothing is added\n");
	OUT("\n  %-40s %-20s %s\n", "SERIAL", "REASON", "REVOKED");
	for (i = 0; i < p->n && used < outlen; i++) {
		reason = kr_crl_reason_name(p->e[i].reason);
		date_text(p->e[i].date, date);
		OUT("%s %-40s %-20s %s\n", p->e[i].line ? "+" : " ",
		    p->e[i].serial_hex, reason ? reason : "(none)", date);
	}
	if (p->n == 0)
		OUT("  (no entries: nothing is revoked)\n");
	OUT("\n%zu entr%s: %zu carried from the previous CRL, %zu new "
	    "(marked +).\n", p->n, p->n == 1 ? "y" : "ies", p->ncarried,
	    p->nadded);
#undef OUT
}

/* "serial:reason, ..." of the entries added, for the transcript. */
static char *
added_serials(const struct kr_crl_plan *p)
{
	char *out;
	size_t i, used = 0;

	if ((out = malloc(SERIALS_MAX)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < p->n && used < SERIALS_MAX; i++)
		if (p->e[i].line != 0)
			used += (size_t)snprintf(out + used, SERIALS_MAX - used,
			    "%s%s:%s", used ? "," : "", p->e[i].serial_hex,
			    kr_crl_reason_name(p->e[i].reason));
	if (used == 0)
		snprintf(out, SERIALS_MAX, "none");
	return out;
}

static int
record_plan(struct kr_engine *e, const struct kr_engine_crl *c)
{
	const struct kr_crl_plan *p = c->plan;
	char num[24], days[16], car[16], add[16], ph[65], lh[65], pn[24];
	char *serials;
	int r;

	if ((serials = added_serials(p)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "review-crl");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)p->number);
	snprintf(days, sizeof(days), "%d", p->next_update_days);
	snprintf(car, sizeof(car), "%zu", p->ncarried);
	snprintf(add, sizeof(add), "%zu", p->nadded);
	snprintf(pn, sizeof(pn), "%llu", c->prev ? (unsigned long long)
	    c->prev->number : 0ULL);
	kr_hex_encode(c->prev_sha256, 32, ph, sizeof(ph));
	kr_hex_encode(c->list_sha256, 32, lh, sizeof(lh));
	{
		struct kr_fact f[] = { { "number", num },
		    { "next-update-days", days },
		    { "previous", c->prev ? c->prev_name : "none" },
		    { "previous-sha256", c->prev ? ph : "none" },
		    { "previous-number", c->prev ? pn : "none" },
		    { "revocations", c->list ? c->list_name : "none" },
		    { "revocations-sha256", c->list ? lh : "none" },
		    { "carried", car }, { "added", add },
		    { "added-serials", serials },
		    { "outputs", c->der_name } };

		r = kr_engine_record(e, "crl-planned", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
	free(serials);
	return r;
}

int
kr_engine_verb_review_crl(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_prompt p;
	struct kr_answer a;
	char *text;
	size_t len;
	int r, yes;

	(void)st;
	if (e->crl == NULL || e->crl->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "review-crl: nothing "
		    "was planned before the ceremony started");
	if ((r = record_plan(e, e->crl)) != 0)
		return r;
	len = REVIEW_BYTES(e->crl->plan->n);
	if ((text = malloc(len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "review-crl");
	review_text(e->crl, text, len - 128);
	strcat(text, "\nIs this the CRL to issue? yes: go on; no: stop here, "
	    "before any card is used.");
	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_CONFIRM;
	p.id = "crl.confirm";
	p.role = "administrator";
	p.title = "Revocations";
	p.text = text;
	r = kr_engine_ask(e, &p, &a);
	free(text);
	if (r != 0)
		return r;
	yes = a.yes || (a.text != NULL && strcasecmp(a.text, "yes") == 0);
	kr_engine_answer_free(&p, &a);
	if (!yes) {
		e->abort_reason = "crl-not-confirmed";
		return kr_err_set(KR_ERR_ABORTED, "the administrator did not "
		    "confirm the CRL's entries");
	}
	{
		struct kr_fact f[] = { { "confirmed-by", e->operator_name } };

		return kr_engine_record(e, "crl-confirmed", "administrator", f,
		    1);
	}
}

/* --- issue-crl ----------------------------------------------------------- */

int
kr_engine_verb_issue_crl(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_crl *c = e->crl;
	uint8_t *der = NULL, h[32];
	char *pem = NULL, *serials = NULL, hex[65], num[24], n[16];
	size_t derlen = 0, pemlen = 0;
	time_t now = kr_engine_now(e);
	char tu[21], nu[21];
	int r;

	(void)st;
	if (c == NULL || c->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "issue-crl: nothing was "
		    "planned before the ceremony started");
	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "issue-crl: the root "
		    "key is not recovered (recover and prove-key come first)");
	if ((r = kr_crl_issue(c->plan, e->key, now, &der, &derlen, &pem,
	    &pemlen)) != 0 ||
	    (r = kr_engine_output_file(e, c->der_name, der, derlen,
	    "crl")) != 0 ||
	    (r = kr_engine_output_file(e, c->pem_name, pem, pemlen,
	    "crl-pem")) != 0)
		goto out;
	if ((serials = added_serials(c->plan)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "issue-crl");
		goto out;
	}
	EVP_Digest(der, derlen, h, NULL, EVP_sha256(), NULL);
	kr_hex_encode(h, sizeof(h), hex, sizeof(hex));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)c->plan->number);
	snprintf(n, sizeof(n), "%zu", c->plan->n);
	date_text(now, tu);
	date_text(now + 86400 * (time_t)c->plan->next_update_days, nu);
	{
		struct kr_fact f[] = { { "name", c->der_name },
		    { "number", num }, { "this-update", tu },
		    { "next-update", nu }, { "entries", n },
		    { "added-serials", serials }, { "sha256", hex },
		    { "verified", "signature verified under the root's key; "
		    "checked against the plan before and after signing" } };

		r = kr_engine_record(e, "crl-issued", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
 out:
	free(serials);
	free(der);
	free(pem);
	return r;
}
