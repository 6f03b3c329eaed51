/*
 * engine-ocsp.c: a root key signs OCSP responses in advance for the
 * certificates it issued (root-ca-ocsp-responses.ceremony).
 *
 *   preflight (sign-ocsp)  the status list is read strictly (ocsp.h), and
 *                          every certificate file it names is read from
 *                          the first medium (subject-cert.h) and must be
 *                          one this root issued; the responses are
 *                          planned: nextUpdate within the policy's
 *                          max-ocsp-next-update-days for the key class and
 *                          the root's life.  The outputs, one
 *                          <prefix>-<serial>-<date>.der per certificate,
 *                          are checked absent with the other outputs.
 *   review-ocsp            before any card: the plan and every entry are
 *                          recorded (each certificate file by its SHA-256)
 *                          and shown to the administrator, who confirms
 *                          them (no stops the ceremony).
 *   sign-ocsp              with the recovered key: sign each response,
 *                          check it against its plan, verify it under the
 *                          root, stage it, record its serial, status and
 *                          SHA-256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/ocsp.h"
#include "crypto/subject-cert.h"
#include "engine-int.h"

#define REVIEW_BYTES(n)	(2048 + (size_t)(n) * 320)
#define RESPONSE_MAX	(16u << 10)	/* bytes of one response, planned */

struct kr_engine_ocsp {
	struct kr_ocsp_list	*list;
	struct kr_ocsp_plan	*plan;
	char			 list_name[129];
	uint8_t			 list_sha256[32];
	uint8_t			(*cert_sha256)[32];	/* per entry, files */
};

void
kr_engine_ocsp_free(struct kr_engine *e)
{
	if (e->ocsp == NULL)
		return;
	kr_ocsp_list_free(e->ocsp->list);
	kr_ocsp_plan_free(e->ocsp->plan);
	free(e->ocsp->cert_sha256);
	free(e->ocsp);
	e->ocsp = NULL;
}

static int
step_err(struct kr_engine *e, const struct kr_script_step *st, int r)
{
	char detail[4096];

	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	return kr_err_set(r, "%s:%zu: step %s: %s", e->script->source,
	    st->line, st->verb, detail);
}

/* The certificate file entry i names, read and decoded. */
static int
read_cert(struct kr_engine *e, struct kr_engine_ocsp *o, size_t i, X509 **xp)
{
	const struct kr_ocsp_entry *en = &o->list->e[i];
	char path[4096], *data = NULL, detail[2048];
	size_t len = 0;
	int r;

	if ((r = kr_engine_read_input(e, en->file, KR_SUBJECT_CERT_MAX_BYTES,
	    &data, &len, o->cert_sha256[i], path, sizeof(path))) == 0)
		r = kr_subject_cert_read((const uint8_t *)data, len, path, xp,
		    NULL);
	free(data);
	if (r == 0)
		return 0;
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	return kr_err_set(r, "%s:%zu: %s", o->list->source, en->line, detail);
}

static int
read_list(struct kr_engine *e, struct kr_engine_ocsp *o, const char *name)
{
	char path[4096], *data = NULL;
	size_t len = 0;
	int r;

	snprintf(o->list_name, sizeof(o->list_name), "%s", name);
	if ((r = kr_engine_read_input(e, name, KR_OCSP_LIST_MAX_BYTES, &data,
	    &len, o->list_sha256, path, sizeof(path))) != 0)
		return r;
	r = kr_ocsp_list_parse(data, len, path, kr_engine_now(e), &o->list);
	free(data);
	if (r == 0 && o->list->n > ENGINE_MAX_OUTPUTS - 2)
		r = kr_err_set(KR_ERR_OCSP, "%s: %zu certificates; one "
		    "ceremony signs at most %d responses: split the list",
		    path, o->list->n, ENGINE_MAX_OUTPUTS - 2);
	return r;
}

static int
plan(struct kr_engine *e, const struct kr_script_step *st,
    struct kr_engine_ocsp *o)
{
	X509 **certs;
	size_t i;
	int r = 0;

	if ((certs = calloc(o->list->n, sizeof(*certs))) == NULL ||
	    (o->cert_sha256 = calloc(o->list->n, 32)) == NULL) {
		free(certs);
		return kr_err_set(KR_ERR_NOMEM, "sign-ocsp");
	}
	for (i = 0; i < o->list->n && r == 0; i++)
		if (o->list->e[i].file[0] != '\0')
			r = read_cert(e, o, i, &certs[i]);
	if (r == 0)
		r = kr_ocsp_plan_new(e->cert, o->list, certs,
		    kr_script_arg(st, "prefix"),
		    atoi(kr_script_arg(st, "next-update-days")),
		    e->pclass->max_ocsp_next_update_days, e->policy->name,
		    kr_engine_now(e), &o->plan);
	for (i = 0; i < o->list->n; i++)
		X509_free(certs[i]);
	free(certs);
	return r;
}

int
kr_engine_preflight_ocsp(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_ocsp *o;
	size_t i;
	int r;

	if (e->ocsp != NULL)
		return kr_err_set(KR_ERR_SCRIPT_SYNTAX, "%s:%zu: a ceremony "
		    "signs one set of OCSP responses", e->script->source,
		    st->line);
	if (e->cert == NULL)
		return kr_err_set(KR_ERR_SCRIPT_PARAM, "%s:%zu: sign-ocsp needs "
		    "the root's certificate: give load-escrow a certificate=",
		    e->script->source, st->line);
	if (e->pclass == NULL || e->pclass->max_ocsp_next_update_days == 0)
		return kr_err_set(KR_ERR_POLICY_VIOLATION, "%s:%zu: policy %s "
		    "lets no %s key sign OCSP responses (its class has no "
		    "max-ocsp-next-update-days)", e->script->source, st->line,
		    e->policy->name, e->script->key_class);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "sign-ocsp");
	e->ocsp = o;
	if ((r = read_list(e, o, kr_script_arg(st, "status-list"))) != 0 ||
	    (r = plan(e, st, o)) != 0)
		return step_err(e, st, r);
	for (i = 0; i < o->plan->n; i++)
		if ((r = kr_engine_plan_output(e, o->plan->items[i].file_name,
		    RESPONSE_MAX)) != 0)
			return r;
	return 0;
}

/* --- review-ocsp --------------------------------------------------------- */

static void
date_text(time_t t, char out[21])
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "%s", t == 0 ? "at signing" : "?");
}

static void
review_text(const struct kr_engine *e, const struct kr_engine_ocsp *o,
    char *out, size_t outlen)
{
	const struct kr_ocsp_plan *p = o->plan;
	const struct kr_ocsp_item *it;
	char hex[65], date[21];
	size_t i, used = 0;

#define OUT(...)	do { if (used < outlen) used += (size_t)snprintf( \
			    out + used, outlen - used, __VA_ARGS__); } while (0)
	kr_hex_encode(o->list_sha256, 32, hex, sizeof(hex));
	OUT("OCSP RESPONSES: %zu, signed by this root (%s)\n", p->n,
	    e->cert_name);
	OUT("  list       %s\n  SHA-256    %.32s\n             %s\n",
	    o->list_name, hex, hex + 32);
	OUT("  valid      %d days from signing (thisUpdate to nextUpdate)\n",
	    p->next_update_days);
	kr_hex_encode(p->responder_key_hash, 20, hex, sizeof(hex));
	OUT("  responder  byKey %s\n\n", hex);
	for (i = 0; i < p->n && used < outlen; i++) {
		it = &p->items[i];
		OUT("%s %s %s\n", it->e.revoked ? "+" : " ",
		    it->e.rev.serial_hex, it->e.revoked ? "REVOKED" : "good");
		if (it->cert != NULL)
			OUT("    %s: %s\n", it->e.file, it->subject);
		else
			OUT("    by serial: no certificate file to check\n");
		if (it->e.revoked) {
			date_text(it->e.rev.date, date);
			OUT("    %s, revoked %s\n", kr_crl_reason_name(
			    it->e.rev.reason), date);
		}
		OUT("    -> %s\n", it->file_name);
	}
	OUT("\n%zu response%s; revoked ones marked +.\n", p->n, p->n == 1 ?
	    "" : "s");
#undef OUT
}

static int
record_entry(struct kr_engine *e, const struct kr_engine_ocsp *o, size_t i)
{
	const struct kr_ocsp_item *it = &o->plan->items[i];
	char line[24], hex[65], date[21];

	snprintf(line, sizeof(line), "%zu", it->e.line);
	kr_hex_encode(o->cert_sha256[i], 32, hex, sizeof(hex));
	date_text(it->e.rev.date, date);
	{
		struct kr_fact f[] = { { "line", line },
		    { "certificate", it->cert ? it->e.file : "none: by serial" },
		    { "certificate-sha256", it->cert ? hex : "none" },
		    { "subject", it->cert ? it->subject : "unknown" },
		    { "serial", it->e.rev.serial_hex },
		    { "status", kr_ocsp_status_name(&it->e) },
		    { "reason", it->e.revoked ?
		    kr_crl_reason_name(it->e.rev.reason) : "none" },
		    { "revoked-at", it->e.revoked ? date : "none" },
		    { "output", it->file_name } };

		return kr_engine_record(e, "ocsp-entry", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
}

static int
record_plan(struct kr_engine *e, const struct kr_engine_ocsp *o)
{
	const struct kr_ocsp_plan *p = o->plan;
	char n[16], days[16], lh[65], rk[41], nh[65], kh[65];
	size_t i;
	int r;

	snprintf(n, sizeof(n), "%zu", p->n);
	snprintf(days, sizeof(days), "%d", p->next_update_days);
	kr_hex_encode(o->list_sha256, 32, lh, sizeof(lh));
	kr_hex_encode(p->responder_key_hash, 20, rk, sizeof(rk));
	kr_hex_encode(p->name_hash, 32, nh, sizeof(nh));
	kr_hex_encode(p->key_hash, 32, kh, sizeof(kh));
	{
		struct kr_fact f[] = { { "status-list", o->list_name },
		    { "sha256", lh }, { "entries", n },
		    { "next-update-days", days },
		    { "responder-key-sha1", rk },
		    { "issuer-name-sha256", nh },
		    { "issuer-key-sha256", kh } };

		if ((r = kr_engine_record(e, "ocsp-planned", "engine", f,
		    sizeof(f) / sizeof(f[0]))) != 0)
			return r;
	}
	for (i = 0; i < p->n; i++)
		if ((r = record_entry(e, o, i)) != 0)
			return r;
	return 0;
}

int
kr_engine_verb_review_ocsp(struct kr_engine *e,
    const struct kr_script_step *st)
{
	struct kr_prompt p;
	struct kr_answer a;
	char *text;
	size_t len;
	int r, yes;

	(void)st;
	if (e->ocsp == NULL || e->ocsp->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "review-ocsp: nothing "
		    "was planned before the ceremony started");
	if ((r = record_plan(e, e->ocsp)) != 0)
		return r;
	len = REVIEW_BYTES(e->ocsp->plan->n);
	if ((text = malloc(len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "review-ocsp");
	review_text(e, e->ocsp, text, len - 128);
	strcat(text, "\nAre these the statuses to sign? yes: go on; no: stop "
	    "here, before any card is used.");
	memset(&p, 0, sizeof(p));
	p.kind = KR_PROMPT_CONFIRM;
	p.id = "ocsp.confirm";
	p.role = "administrator";
	p.title = "OCSP responses";
	p.text = text;
	r = kr_engine_ask(e, &p, &a);
	free(text);
	if (r != 0)
		return r;
	yes = a.yes || (a.text != NULL && strcasecmp(a.text, "yes") == 0);
	kr_engine_answer_free(&p, &a);
	if (!yes) {
		e->abort_reason = "ocsp-not-confirmed";
		return kr_err_set(KR_ERR_ABORTED, "the administrator did not "
		    "confirm the OCSP statuses");
	}
	{
		struct kr_fact f[] = { { "confirmed-by", e->operator_name } };

		return kr_engine_record(e, "ocsp-confirmed", "administrator",
		    f, 1);
	}
}

/* --- sign-ocsp ----------------------------------------------------------- */

static int
record_response(struct kr_engine *e, const struct kr_ocsp_item *it,
    const struct kr_ocsp_response *resp)
{
	char hex[65], date[21];

	kr_hex_encode(resp->sha256, 32, hex, sizeof(hex));
	date_text(it->e.rev.date, date);
	{
		struct kr_fact f[] = { { "name", it->file_name },
		    { "serial", it->e.rev.serial_hex },
		    { "status", kr_ocsp_status_name(&it->e) },
		    { "reason", it->e.revoked ?
		    kr_crl_reason_name(it->e.rev.reason) : "none" },
		    { "revoked-at", it->e.revoked ? (it->e.rev.date ? date :
		    resp->this_update) : "none" },
		    { "produced-at", resp->produced_at },
		    { "this-update", resp->this_update },
		    { "next-update", resp->next_update },
		    { "sha256", hex },
		    { "verified", "checked against the plan; "
		    "OCSP_basic_verify under the root" } };

		return kr_engine_record(e, "ocsp-response-signed", "engine", f,
		    sizeof(f) / sizeof(f[0]));
	}
}

int
kr_engine_verb_sign_ocsp(struct kr_engine *e, const struct kr_script_step *st)
{
	struct kr_engine_ocsp *o = e->ocsp;
	struct kr_ocsp_response *resp = NULL;
	size_t i;
	int r;

	(void)st;
	if (o == NULL || o->plan == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "sign-ocsp: nothing was "
		    "planned before the ceremony started");
	if (e->key == NULL)
		return kr_err_set(KR_ERR_ENGINE_STATE, "sign-ocsp: the root key "
		    "is not recovered (recover and prove-key come first)");
	if ((r = kr_ocsp_issue(o->plan, e->key, kr_engine_now(e), &resp)) != 0)
		return r;
	for (i = 0; i < o->plan->n && r == 0; i++)
		if ((r = kr_engine_output_file(e, o->plan->items[i].file_name,
		    resp[i].der, resp[i].len, "ocsp-response")) == 0)
			r = record_response(e, &o->plan->items[i], &resp[i]);
	kr_ocsp_responses_free(resp, o->plan->n);
	return r;
}
