/*
 * audit-json.c: the audit report as JSON, for other tools.
 *
 * The shape is docs/audit-report.schema.json (JSON Schema draft 2020-12,
 * "keyrite.audit.v1"); tests/integration/t-audit.sh validates a report
 * against it.  Every place a figure comes from is a "ref" object: the
 * file, the record number (null for a header or a whole file) and the
 * same words the terminal report prints.  Strings from files are escaped
 * as for the terminal (kr_printable: \xNN for what is not printable
 * UTF-8), then as JSON strings, so the output is always valid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hex.h"
#include "audit-int.h"
#include "audit.h"

struct jw {
	struct kr_buf	 b;
	int		 first;
	const struct kr_audit *a;
};

static void
sep(struct jw *w)
{
	if (!w->first)
		kr_buf_puts(&w->b, ",");
	w->first = 0;
}

static void
key(struct jw *w, const char *k)
{
	sep(w);
	kr_buf_printf(&w->b, "\"%s\":", k);
}

static void
open_(struct jw *w, const char *k, const char *bracket)
{
	if (k != NULL)
		key(w, k);
	else
		sep(w);
	kr_buf_puts(&w->b, bracket);
	w->first = 1;
}

static void
close_(struct jw *w, const char *bracket)
{
	kr_buf_puts(&w->b, bracket);
	w->first = 0;
}

static void
str(struct jw *w, const char *k, const char *v)
{
	if (k != NULL)
		key(w, k);
	else
		sep(w);
	if (v == NULL)
		kr_buf_puts(&w->b, "null");
	else
		kr_audit_esc_json(&w->b, v);
}

/* A time field: null when empty. */
static void
when(struct jw *w, const char *k, const char *v)
{
	str(w, k, v != NULL && v[0] != '\0' ? v : NULL);
}

static void
num(struct jw *w, const char *k, long v)
{
	key(w, k);
	kr_buf_printf(&w->b, "%ld", v);
}

static void
boolean(struct jw *w, const char *k, int v)
{
	key(w, k);
	kr_buf_puts(&w->b, v ? "true" : "false");
}

static void
hex(struct jw *w, const char *k, const uint8_t *p)
{
	key(w, k);
	if (p == NULL) {
		kr_buf_puts(&w->b, "null");
		return;
	}
	kr_buf_puts(&w->b, "\"");
	kr_buf_hex(&w->b, p, 32);
	kr_buf_puts(&w->b, "\"");
}

static void
ref(struct jw *w, const char *k, const struct kr_audit_ref *r)
{
	char where[8192];

	if (r == NULL || r->file < 0) {
		key(w, k);
		kr_buf_puts(&w->b, "null");
		return;
	}
	open_(w, k, "{");
	str(w, "file", kr_audit_path(w->a, r->file));
	key(w, "record");
	if (r->record > 0)
		kr_buf_printf(&w->b, "%lu", r->record);
	else
		kr_buf_puts(&w->b, "null");
	kr_audit_ref_text(w->a, r, where, sizeof(where));
	str(w, "text", where);
	close_(w, "}");
}

static void
persons(struct jw *w, const char *k, const struct kr_audit_person *v,
    size_t n)
{
	size_t i;

	open_(w, k, "[");
	for (i = 0; i < n; i++) {
		open_(w, NULL, "{");
		str(w, "name", v[i].name);
		str(w, "card", v[i].card);
		str(w, "serial", v[i].serial);
		ref(w, "at", &v[i].ref);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
acts(struct jw *w, const struct kr_audit_transcript *t)
{
	size_t i;

	open_(w, "acts", "[");
	for (i = 0; i < t->nacts; i++) {
		open_(w, NULL, "{");
		str(w, "event", t->acts[i].event);
		str(w, "means", t->acts[i].what);
		str(w, "detail", t->acts[i].detail);
		ref(w, "at", &t->acts[i].ref);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
cosignatures(struct jw *w, const struct kr_audit_transcript *t)
{
	size_t i;

	open_(w, "cosignatures", "{");
	num(w, "expected", t->cosign_expected);
	num(w, "present", t->cosign_present);
	open_(w, "missing", "[");
	for (i = 0; i < t->nmissing; i++) {
		open_(w, NULL, "{");
		str(w, "card", t->missing[i].label);
		str(w, "serial", t->missing[i].serial);
		str(w, "reason", t->missing[i].reason);
		ref(w, "at", &t->missing[i].ref);
		close_(w, "}");
	}
	close_(w, "]");
	close_(w, "}");
}

static void
archive(struct jw *w)
{
	const struct kr_audit *a = w->a;
	static const char *const kinds[] = { "transcript", "escrow-package",
	    "certificate", "crl", "policy", "scan" };
	size_t i;

	open_(w, "archive", "{");
	open_(w, "directories", "[");
	for (i = 0; i < a->ndirs; i++)
		str(w, NULL, a->dirs[i]);
	close_(w, "]");
	str(w, "mode", a->real && a->rehearsal ? "mixed" : a->real ? "real" :
	    a->rehearsal ? "rehearsal" : "empty");
	num(w, "ignored_files", (long)a->ignored);
	open_(w, "files", "[");
	for (i = 0; i < a->nfiles; i++) {
		const struct kr_audit_file *f = &a->files[i];

		open_(w, NULL, "{");
		str(w, "path", f->path);
		str(w, "kind", kinds[f->kind]);
		hex(w, "sha256", f->kind == KR_AUDIT_SCAN && f->same_as < 0 &&
		    f->item < 0 ? NULL : f->sha256);
		str(w, "copy_of", f->same_as >= 0 ?
		    a->files[f->same_as].path : NULL);
		close_(w, "}");
	}
	close_(w, "]");
	close_(w, "}");
}

static void
summary(struct jw *w)
{
	const struct kr_audit *a = w->a;
	size_t n[5] = { 0 }, i, crl = 0;

	for (i = 0; i < a->ntranscripts; i++)
		n[a->transcripts[i].status]++;
	for (i = 0; i < a->ncerts; i++)
		crl += a->certs[i].is_crl != 0;
	open_(w, "summary", "{");
	num(w, "transcripts", (long)a->ntranscripts);
	for (i = 0; i < 5; i++)
		num(w, kr_audit_status_name(i), (long)n[i]);
	num(w, "escrow_packages", (long)a->nescrows);
	num(w, "certificates", (long)(a->ncerts - crl));
	num(w, "crls", (long)crl);
	num(w, "policies", (long)a->npolicies);
	num(w, "keys", (long)a->nkeys);
	open_(w, "findings", "{");
	num(w, "high", (long)a->count[KR_AUDIT_HIGH]);
	num(w, "medium", (long)a->count[KR_AUDIT_MEDIUM]);
	num(w, "low", (long)a->count[KR_AUDIT_LOW]);
	close_(w, "}");
	boolean(w, "passes", a->count[KR_AUDIT_HIGH] == 0);
	close_(w, "}");
}

static void
findings(struct jw *w)
{
	const struct kr_audit *a = w->a;
	size_t i;

	open_(w, "findings", "[");
	for (i = 0; i < a->nfindings; i++) {
		const struct kr_audit_finding *f = &a->findings[i];

		open_(w, NULL, "{");
		str(w, "code", f->code);
		str(w, "severity", kr_audit_severity_name(f->severity));
		str(w, "text", f->text);
		str(w, "evidence", f->evidence);
		ref(w, "at", &f->ref);
		hex(w, "key_id", f->key >= 0 ? a->keys[f->key].id : NULL);
		str(w, "ceremony_id", f->transcript >= 0 &&
		    a->transcripts[f->transcript].ceremony_id[0] != '\0' ?
		    a->transcripts[f->transcript].ceremony_id : NULL);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
transcripts(struct jw *w)
{
	static const char *const links[] = { "first", "ok", "gap", "fork",
	    "restart", "backwards", "to-bad", "none" };
	static const char *const paper[] = { "none", "only", "agrees" };
	const struct kr_audit *a = w->a;
	size_t i;

	open_(w, "transcripts", "[");
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];
		int use = t->status < KR_AUDIT_BAD;

		open_(w, NULL, "{");
		ref(w, "file", &t->ref);
		hex(w, "sha256", t->status == KR_AUDIT_UNREADABLE ? NULL :
		    a->files[t->ref.file].sha256);
		str(w, "status", kr_audit_status_name(t->status));
		str(w, "error", t->error);
		str(w, "ceremony_id", use ? t->ceremony_id : NULL);
		str(w, "ceremony", use ? t->ceremony : NULL);
		str(w, "mode", !use ? NULL : t->rehearsal ? "rehearsal" :
		    "real");
		when(w, "started", use ? t->started : NULL);
		when(w, "ended", use ? t->ended : NULL);
		num(w, "records", (long)t->records);
		str(w, "end", use ? kr_audit_end_name(t->end) : NULL);
		str(w, "end_reason", t->end_reason);
		ref(w, "end_at", use && t->end_ref.record > 0 ? &t->end_ref :
		    NULL);
		str(w, "kind", use ? kr_audit_kind_name(t->kind) : NULL);
		hex(w, "key_id", t->key >= 0 ? a->keys[t->key].id : NULL);
		hex(w, "previous_sha256", use && t->has_previous ?
		    t->previous : NULL);
		str(w, "link", links[t->link]);
		str(w, "previous_ceremony_id", t->prev >= 0 ?
		    a->transcripts[t->prev].ceremony_id : NULL);
		str(w, "paper", paper[t->from_scan]);
		boolean(w, "in_window", t->in_window);
		if (use)
			cosignatures(w, t);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
key_created(struct jw *w, const struct kr_audit_key *k)
{
	const struct kr_audit_transcript *c;

	if (k->created < 0) {
		key(w, "created");
		kr_buf_puts(&w->b, "null");
		return;
	}
	c = &w->a->transcripts[k->created];
	open_(w, "created", "{");
	when(w, "at", k->created_at);
	str(w, "ceremony_id", c->ceremony_id);
	str(w, "ceremony", c->ceremony);
	ref(w, "ref", &k->created_ref);
	str(w, "administrator", c->operator_.name);
	ref(w, "roll_call", c->roll_call.record > 0 ? &c->roll_call : NULL);
	persons(w, "witnesses", c->witnesses, c->nwitnesses);
	num(w, "threshold", c->threshold);
	num(w, "shares", c->nsplit);
	ref(w, "quorum_at", c->split_ref.record > 0 ? &c->split_ref : NULL);
	persons(w, "shares_written", c->shares, c->nshares);
	close_(w, "}");
}

static void
key_state(struct jw *w, const struct kr_audit_key *k)
{
	const struct kr_audit *a = w->a;
	const struct kr_audit_escrow *e = k->escrow >= 0 ?
	    &a->escrows[k->escrow] : NULL;

	if (e == NULL) {
		key(w, "roster");
		kr_buf_puts(&w->b, "null");
	} else {
		open_(w, "roster", "{");
		num(w, "threshold", e->m);
		num(w, "shares", e->n);
		ref(w, "escrow_package", &e->ref);
		persons(w, "custodians", e->roster, e->roster ? e->n : 0);
		close_(w, "}");
	}
	if (!k->has_cryptoperiod) {
		key(w, "cryptoperiod");
		kr_buf_puts(&w->b, "null");
	} else {
		open_(w, "cryptoperiod", "{");
		num(w, "days", k->cp_days);
		when(w, "start", k->cp_start);
		when(w, "end", k->cp_end);
		num(w, "days_left", k->cp_days_left);
		str(w, "policy", k->cp_policy >= 0 ?
		    a->policies[k->cp_policy].source : NULL);
		ref(w, "at", &k->created_ref);
		close_(w, "}");
	}
	open_(w, "recovery", "{");
	when(w, "last", k->last_recovery_at);
	str(w, "last_kind", k->last_recovery >= 0 ? kr_audit_kind_name(
	    a->transcripts[k->last_recovery].kind) : k->created >= 0 ?
	    "creation" : NULL);
	ref(w, "at", k->last_recovery >= 0 ?
	    &a->transcripts[k->last_recovery].recovered :
	    k->created >= 0 ? &k->created_ref : NULL);
	num(w, "days_since", k->days_since_recovery);
	num(w, "drill_interval_days", k->drill_interval);
	boolean(w, "overdue", k->drill_overdue);
	close_(w, "}");
	boolean(w, "destroyed", k->destroyed >= 0);
}

static void
key_files(struct jw *w, const struct kr_audit_key *k)
{
	const struct kr_audit *a = w->a;
	size_t i;

	open_(w, "certificates", "[");
	for (i = 0; i < k->ncerts; i++) {
		const struct kr_audit_cert *c = &a->certs[k->certs[i]];

		open_(w, NULL, "{");
		str(w, "subject", c->subject);
		str(w, "serial", c->serial);
		when(w, "not_before", c->not_before);
		when(w, "not_after", c->not_after);
		boolean(w, "recorded", c->recorded);
		ref(w, "file", &c->ref);
		close_(w, "}");
	}
	close_(w, "]");
	open_(w, "signed", "[");
	for (i = 0; i < k->nsigned; i++) {
		const struct kr_audit_cert *c = &a->certs[k->signed_[i]];

		open_(w, NULL, "{");
		str(w, "type", c->is_crl ? "crl" : "certificate");
		str(w, "subject", c->subject);
		str(w, "serial", c->serial);
		boolean(w, "recorded", c->recorded);
		ref(w, "file", &c->ref);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
keys(struct jw *w)
{
	const struct kr_audit *a = w->a;
	size_t i, j;

	open_(w, "keys", "[");
	for (i = 0; i < a->nkeys; i++) {
		const struct kr_audit_key *k = &a->keys[i];

		if (a->key_filter >= 0 && (int)i != a->key_filter)
			continue;
		open_(w, NULL, "{");
		hex(w, "key_id", k->id);
		str(w, "key_class", k->key_class[0] ? k->key_class : NULL);
		str(w, "algorithm", k->algorithm[0] ? k->algorithm : NULL);
		key_created(w, k);
		key_state(w, k);
		key_files(w, k);
		open_(w, "timeline", "[");
		for (j = 0; j < k->nevents; j++) {
			const struct kr_audit_transcript *t =
			    &a->transcripts[k->events[j]];

			if (!t->in_window)
				continue;
			open_(w, NULL, "{");
			when(w, "at", t->started);
			str(w, "kind", kr_audit_kind_name(t->kind));
			str(w, "end", kr_audit_end_name(t->end));
			str(w, "ceremony_id", t->ceremony_id);
			str(w, "ceremony", t->ceremony);
			ref(w, "at_record", t->recovered.record > 0 ?
			    &t->recovered : t->key_ref.record > 0 ?
			    &t->key_ref : &t->ref);
			acts(w, t);
			close_(w, "}");
		}
		close_(w, "]");
		close_(w, "}");
	}
	close_(w, "]");
}

static void
access_log(struct jw *w)
{
	const struct kr_audit *a = w->a;
	size_t i;

	open_(w, "access_log", "[");
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (t->status >= KR_AUDIT_BAD || !t->in_window ||
		    t->escrow_loaded.record == 0 || (a->key_filter >= 0 &&
		    t->key != a->key_filter))
			continue;
		open_(w, NULL, "{");
		str(w, "ceremony_id", t->ceremony_id);
		str(w, "ceremony", t->ceremony);
		when(w, "started", t->started);
		str(w, "kind", kr_audit_kind_name(t->kind));
		str(w, "end", kr_audit_end_name(t->end));
		str(w, "status", kr_audit_status_name(t->status));
		ref(w, "file", &t->ref);
		hex(w, "key_id", t->has_key_id ? t->key_id : NULL);
		str(w, "escrow", t->escrow_name);
		ref(w, "escrow_loaded", &t->escrow_loaded);
		str(w, "administrator", t->operator_.name);
		str(w, "reason", t->reason);
		str(w, "authorization", t->authorization);
		ref(w, "roll_call", t->roll_call.record > 0 ? &t->roll_call :
		    NULL);
		persons(w, "witnesses", t->witnesses, t->nwitnesses);
		persons(w, "cards", t->cards, t->ncards);
		ref(w, "recovered", t->recovered.record > 0 ? &t->recovered :
		    NULL);
		acts(w, t);
		cosignatures(w, t);
		close_(w, "}");
	}
	close_(w, "]");
}

static void
event_table(struct jw *w)
{
	const struct kr_audit_event_row *row;
	size_t i;

	open_(w, "events", "[");
	for (i = 0; (row = kr_audit_event_at(i)) != NULL; i++) {
		open_(w, NULL, "{");
		str(w, "event", row->event);
		str(w, "means", row->means);
		str(w, "from", row->from);
		close_(w, "}");
	}
	close_(w, "]");
}

int
kr_audit_render_json(const struct kr_audit *a, char **textp, size_t *lenp)
{
	struct jw w;
	char t[KR_AUDIT_TIME_BYTES];

	memset(&w, 0, sizeof(w));
	w.a = a;
	w.first = 1;
	open_(&w, NULL, "{");
	str(&w, "schema", KR_AUDIT_SCHEMA);
	str(&w, "judged_at", a->at_text);
	open_(&w, "window", "{");
	kr_audit_format_time(a->opt.from, t);
	str(&w, "from", a->opt.from != 0 ? t : NULL);
	kr_audit_format_time(a->opt.to, t);
	str(&w, "to", a->opt.to != 0 ? t : NULL);
	close_(&w, "}");
	hex(&w, "key_filter", a->key_filter >= 0 ?
	    a->keys[a->key_filter].id : NULL);
	archive(&w);
	summary(&w);
	findings(&w);
	transcripts(&w);
	keys(&w);
	access_log(&w);
	event_table(&w);
	close_(&w, "}");
	kr_buf_puts(&w.b, "\n");
	return kr_buf_take(&w.b, textp, lenp);
}
