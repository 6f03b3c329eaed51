/*
 * audit-text.c: the audit report for a terminal, and the escaping the
 * renderers share.
 *
 * Findings first, then the chain, the keys and the access log.  Every
 * line that states a figure ends with where it comes from ("FILE record
 * N").  Every byte read from a file goes through kr_printable(), so a
 * crafted transcript cannot move the cursor, clear the screen or print a
 * fake "good".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hex.h"
#include "base/text.h"
#include "audit-int.h"
#include "audit.h"

/* --- escaping ------------------------------------------------------------- */

/* s made printable (kr_printable), malloc()ed; NULL -> "". */
static char *
printable(const char *s)
{
	size_t n;
	char *out;

	if (s == NULL)
		s = "";
	n = 4 * strlen(s) + 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	return kr_printable(s, out, n);
}

/* Appends s, made printable. */
static void
put(struct kr_buf *b, const char *s)
{
	char *p = printable(s);

	if (p == NULL) {
		b->failed = 1;
		return;
	}
	kr_buf_puts(b, p);
	free(p);
}

void
kr_audit_esc_json(struct kr_buf *b, const char *s)
{
	const unsigned char *p;
	char *q = printable(s);

	if (q == NULL) {
		b->failed = 1;
		return;
	}
	kr_buf_puts(b, "\"");
	for (p = (const unsigned char *)q; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			kr_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			kr_buf_printf(b, "\\u%04x", *p);
		else
			kr_buf_append(b, p, 1);
	}
	kr_buf_puts(b, "\"");
	free(q);
}

void
kr_audit_esc_html(struct kr_buf *b, const char *s)
{
	const unsigned char *p;
	char *q = printable(s);

	if (q == NULL) {
		b->failed = 1;
		return;
	}
	for (p = (const unsigned char *)q; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			kr_buf_puts(b, "&amp;");
			break;
		case '<':
			kr_buf_puts(b, "&lt;");
			break;
		case '>':
			kr_buf_puts(b, "&gt;");
			break;
		case '"':
			kr_buf_puts(b, "&quot;");
			break;
		case '\'':
			kr_buf_puts(b, "&#39;");
			break;
		default:
			kr_buf_append(b, p, 1);
		}
	}
	free(q);
}

/* Appends "  [FILE record N]". */
static void
cite(struct kr_buf *b, const struct kr_audit *a, const struct kr_audit_ref *r)
{
	char where[8192];

	kr_audit_ref_text(a, r, where, sizeof(where));
	kr_buf_puts(b, "  [");
	put(b, where);
	kr_buf_puts(b, "]");
}

/* --- sections ------------------------------------------------------------- */

static void
head(struct kr_buf *b, const struct kr_audit *a)
{
	size_t n[5] = { 0 }, i, crl = 0, cert = 0;
	char from[21], to[21];

	for (i = 0; i < a->ntranscripts; i++)
		n[a->transcripts[i].status]++;
	for (i = 0; i < a->ncerts; i++)
		a->certs[i].is_crl ? crl++ : cert++;
	kr_buf_printf(b, "keyrite audit, judged at %s\n", a->at_text);
	kr_buf_puts(b, "  archive       ");
	for (i = 0; i < a->ndirs; i++) {
		kr_buf_puts(b, i > 0 ? ", " : "");
		put(b, a->dirs[i]);
	}
	kr_buf_printf(b, "\n  transcripts   %zu: %zu good, %zu incomplete, "
	    "%zu unsealed, %zu bad, %zu unreadable\n", a->ntranscripts, n[0],
	    n[1], n[2], n[3], n[4]);
	kr_buf_printf(b, "  other files   %zu escrow package%s, %zu "
	    "certificate%s, %zu CRL%s, %zu polic%s; %zu other file%s "
	    "ignored\n", a->nescrows, a->nescrows == 1 ? "" : "s", cert,
	    cert == 1 ? "" : "s", crl, crl == 1 ? "" : "s", a->npolicies,
	    a->npolicies == 1 ? "y" : "ies", a->ignored,
	    a->ignored == 1 ? "" : "s");
	kr_buf_printf(b, "  mode          %s\n", a->real && a->rehearsal ?
	    "MIXED: real ceremonies and rehearsals" : a->real ? "real" :
	    "rehearsal: every transcript is a rehearsal, evidence of practice "
	    "only");
	if (a->opt.from != 0 || a->opt.to != 0) {
		kr_audit_format_time(a->opt.from, from);
		kr_audit_format_time(a->opt.to, to);
		kr_buf_printf(b, "  window        %s .. %s (ceremonies started "
		    "in it; key state judged at %s)\n", a->opt.from ? from :
		    "the beginning", a->opt.to ? to : "the end", a->at_text);
	}
	if (a->key_filter >= 0) {
		kr_buf_puts(b, "  key           ");
		kr_buf_hex(b, a->keys[a->key_filter].id, 32);
		kr_buf_puts(b, " only\n");
	}
}

static void
findings(struct kr_buf *b, const struct kr_audit *a)
{
	const struct kr_audit_finding *f;
	char where[8192];
	size_t i;

	kr_buf_printf(b, "\nFINDINGS: %zu (%zu high, %zu medium, %zu low)\n",
	    a->nfindings, a->count[KR_AUDIT_HIGH], a->count[KR_AUDIT_MEDIUM],
	    a->count[KR_AUDIT_LOW]);
	if (a->nfindings == 0)
		kr_buf_puts(b, "  none\n");
	for (i = 0; i < a->nfindings; i++) {
		f = &a->findings[i];
		kr_buf_printf(b, "%3zu. %-6s %s\n     ", i + 1,
		    f->severity == KR_AUDIT_HIGH ? "HIGH" :
		    f->severity == KR_AUDIT_MEDIUM ? "MEDIUM" : "LOW", f->code);
		put(b, f->text);
		kr_buf_puts(b, "\n     at: ");
		kr_audit_ref_text(a, &f->ref, where, sizeof(where));
		put(b, where);
		kr_buf_printf(b, "\n     ask for: %s\n", f->evidence);
	}
}

static const char *
link_text(const struct kr_audit *a, const struct kr_audit_transcript *t,
    char *out, size_t outlen)
{
	static const char *const words[] = { "first", "follows", "GAP",
	    "FORK", "RESTART", "BACKWARDS", "follows a bad one", "-" };

	if ((t->link == KR_AUDIT_LINK_OK || t->link == KR_AUDIT_LINK_FORK ||
	    t->link == KR_AUDIT_LINK_BACKWARDS ||
	    t->link == KR_AUDIT_LINK_TO_BAD) && t->prev >= 0)
		snprintf(out, outlen, "%s %.15s", words[t->link],
		    a->transcripts[t->prev].ceremony_id);
	else
		snprintf(out, outlen, "%s", words[t->link]);
	return out;
}

static void
chain(struct kr_buf *b, const struct kr_audit *a)
{
	char link[64];
	size_t i;

	kr_buf_printf(b, "\nCHAIN: %zu transcripts, oldest first "
	    "(previous-transcript-sha256, header line 8)\n", a->ntranscripts);
	kr_buf_printf(b, "  %-20s  %-24s  %-18s  %-10s  %-26s  %s\n",
	    "started", "ceremony id", "ceremony", "status", "link", "file");
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (!t->in_window || (a->key_filter >= 0 &&
		    t->key != a->key_filter))
			continue;
		kr_buf_printf(b, "  %-20s  %-24s  %-18s  %-10s  %-26s  ",
		    t->started[0] ? t->started : "-",
		    t->ceremony_id[0] ? t->ceremony_id : "-",
		    t->ceremony[0] ? t->ceremony : "-",
		    kr_audit_status_name(t->status),
		    link_text(a, t, link, sizeof(link)));
		put(b, kr_audit_path(a, t->ref.file));
		if (t->from_scan == 2)
			kr_buf_puts(b, " (paper agrees)");
		else if (t->from_scan == 1)
			kr_buf_puts(b, " (from the paper's QR codes)");
		kr_buf_puts(b, "\n");
	}
}

static void
people(struct kr_buf *b, const struct kr_audit *a, const char *label,
    const struct kr_audit_person *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		kr_buf_printf(b, "    %-14s", i == 0 ? label : "");
		if (v[i].name != NULL)
			put(b, v[i].name);
		if (v[i].card != NULL) {
			kr_buf_puts(b, v[i].name != NULL ? " (card " : "card ");
			put(b, v[i].card);
			if (v[i].serial != NULL) {
				kr_buf_puts(b, ", serial ");
				put(b, v[i].serial);
			}
			kr_buf_puts(b, v[i].name != NULL ? ")" : "");
		}
		cite(b, a, &v[i].ref);
		kr_buf_puts(b, "\n");
	}
}

static void
key_timeline(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_key *k)
{
	const struct kr_audit_transcript *t;
	const struct kr_audit_ref *r;
	size_t i, j;

	kr_buf_printf(b, "  timeline (%zu ceremon%s)\n", k->nevents,
	    k->nevents == 1 ? "y" : "ies");
	for (i = 0; i < k->nevents; i++) {
		t = &a->transcripts[k->events[i]];
		if (!t->in_window)
			continue;
		r = t->recovered.record > 0 ? &t->recovered :
		    t->key_ref.record > 0 ? &t->key_ref : &t->ref;
		kr_buf_printf(b, "    %-20s  %-16s  %-9s  %s", t->started,
		    kr_audit_kind_name(t->kind), kr_audit_end_name(t->end),
		    t->ceremony_id);
		cite(b, a, r);
		kr_buf_puts(b, "\n");
		for (j = 0; j < t->nacts; j++) {
			kr_buf_printf(b, "      %s: ", t->acts[j].event);
			put(b, t->acts[j].detail);
			cite(b, a, &t->acts[j].ref);
			kr_buf_puts(b, "\n");
		}
	}
}

static void
one_key(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_key *k)
{
	const struct kr_audit_transcript *c = k->created >= 0 ?
	    &a->transcripts[k->created] : NULL;
	const struct kr_audit_escrow *e = k->escrow >= 0 ?
	    &a->escrows[k->escrow] : NULL;
	char id[17];
	size_t i;

	kr_audit_short_id(k->id, id);
	kr_buf_printf(b, "\nKEY %s  %s %s%s\n  key id        ", id,
	    k->key_class[0] ? k->key_class : "(class unknown)", k->algorithm,
	    k->destroyed >= 0 ? "  DESTROYED" : "");
	kr_buf_hex(b, k->id, 32);
	kr_buf_puts(b, "\n");
	if (c != NULL) {
		kr_buf_printf(b, "  created       %s in ceremony %s (%s)",
		    k->created_at, c->ceremony_id, c->ceremony);
		cite(b, a, &k->created_ref);
		kr_buf_puts(b, "\n    administrator ");
		put(b, c->operator_.name);
		cite(b, a, &c->operator_.ref);
		kr_buf_puts(b, "\n");
		people(b, a, "witnesses", c->witnesses, c->nwitnesses);
		if (c->threshold > 0) {
			kr_buf_printf(b, "    quorum        %u of %u",
			    c->threshold, c->nsplit);
			cite(b, a, &c->split_ref);
			kr_buf_puts(b, "\n");
		}
		people(b, a, "shares to", c->shares, c->nshares);
	} else
		kr_buf_puts(b, "  created       no sealed creation transcript "
		    "in the archive\n");
	if (e != NULL) {
		kr_buf_printf(b, "  roster now    %u of %u, escrow package",
		    e->m, e->n);
		cite(b, a, &e->ref);
		kr_buf_puts(b, "\n");
		for (i = 0; i < e->n && e->roster != NULL; i++) {
			kr_buf_printf(b, "    %u. ", (unsigned int)i + 1);
			put(b, e->roster[i].name);
			kr_buf_puts(b, " (card ");
			put(b, e->roster[i].card);
			kr_buf_puts(b, ", serial ");
			put(b, e->roster[i].serial);
			kr_buf_puts(b, ")\n");
		}
	}
	if (k->has_cryptoperiod) {
		kr_buf_printf(b, "  cryptoperiod  %u days, %.10s .. %.10s: ",
		    k->cp_days, k->cp_start, k->cp_end);
		if (k->cp_days_left < 0)
			kr_buf_printf(b, "ENDED %ld days before %.10s",
			    -k->cp_days_left, a->at_text);
		else
			kr_buf_printf(b, "%ld days left at %.10s",
			    k->cp_days_left, a->at_text);
		cite(b, a, &k->created_ref);
		kr_buf_puts(b, " (policy ");
		put(b, k->cp_policy >= 0 ? a->policies[k->cp_policy].source :
		    "?");
		kr_buf_puts(b, ")\n");
	} else
		kr_buf_puts(b, "  cryptoperiod  unknown (the creating policy "
		    "is not in the archive)\n");
	if (k->last_recovery_at[0] != '\0') {
		kr_buf_printf(b, "  last recovery %s (%s), %ld days before "
		    "%.10s; drill interval %u days: %s",
		    k->last_recovery_at, k->last_recovery >= 0 ?
		    kr_audit_kind_name(a->transcripts[k->last_recovery].kind) :
		    "never recovered: its creation", k->days_since_recovery,
		    a->at_text, k->drill_interval, k->destroyed >= 0 ?
		    "destroyed" : k->drill_overdue ? "OVERDUE" : "ok");
		cite(b, a, k->last_recovery >= 0 ?
		    &a->transcripts[k->last_recovery].recovered :
		    &k->created_ref);
		kr_buf_puts(b, "\n");
	}
	for (i = 0; i < k->ncerts; i++) {
		const struct kr_audit_cert *x = &a->certs[k->certs[i]];

		kr_buf_puts(b, i == 0 ? "  certificate   " :
		    "                ");
		put(b, x->subject);
		kr_buf_printf(b, ", valid to %.10s", x->not_after);
		cite(b, a, &x->ref);
		kr_buf_puts(b, "\n");
	}
	for (i = 0; i < k->nsigned; i++) {
		const struct kr_audit_cert *x = &a->certs[k->signed_[i]];

		if (x->key == (int)(k - a->keys))
			continue;	/* its own, self-signed */
		kr_buf_printf(b, "  signed        %s ", x->is_crl ? "CRL" :
		    "certificate");
		put(b, x->subject);
		kr_buf_puts(b, x->recorded ? "" : " (NOT RECORDED)");
		cite(b, a, &x->ref);
		kr_buf_puts(b, "\n");
	}
	key_timeline(b, a, k);
}

static void
access_entry(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_transcript *t)
{
	size_t i;

	kr_buf_printf(b, "\n  %s  %s (%s), %s, %s\n", t->started,
	    t->ceremony_id, t->ceremony, kr_audit_kind_name(t->kind),
	    t->end == KR_AUDIT_END_SEALED ? (t->status == KR_AUDIT_GOOD ?
	    "sealed" : "sealed, co-signatures missing") :
	    kr_audit_end_name(t->end));
	kr_buf_puts(b, "    file          ");
	put(b, kr_audit_path(a, t->ref.file));
	kr_buf_puts(b, "\n    key           ");
	if (t->has_key_id)
		kr_buf_hex(b, t->key_id, 32);
	kr_buf_puts(b, " from ");
	put(b, t->escrow_name);
	cite(b, a, &t->escrow_loaded);
	kr_buf_puts(b, "\n    administrator ");
	put(b, t->operator_.name);
	kr_buf_puts(b, "\n    reason        ");
	put(b, t->reason);
	kr_buf_puts(b, "\n    authorization ");
	put(b, t->authorization);
	cite(b, a, &t->roll_call);
	kr_buf_puts(b, "\n");
	people(b, a, "witnesses", t->witnesses, t->nwitnesses);
	people(b, a, "cards", t->cards, t->ncards);
	kr_buf_puts(b, "    recovered     ");
	if (t->recovered.record > 0) {
		kr_buf_puts(b, "yes");
		cite(b, a, &t->recovered);
	} else
		kr_buf_puts(b, "no");
	kr_buf_puts(b, "\n");
	for (i = 0; i < t->nacts; i++) {
		kr_buf_printf(b, "    %-14s", t->acts[i].event);
		put(b, t->acts[i].detail);
		cite(b, a, &t->acts[i].ref);
		kr_buf_puts(b, "\n");
	}
	if (t->end != KR_AUDIT_END_SEALED) {
		kr_buf_puts(b, "    ended         ");
		put(b, t->end_reason);
		if (t->end_ref.record > 0)
			cite(b, a, &t->end_ref);
		kr_buf_puts(b, "\n");
		return;
	}
	kr_buf_printf(b, "    co-signatures %u of %u present",
	    t->cosign_present, t->cosign_expected);
	cite(b, a, &t->end_ref);
	kr_buf_puts(b, "\n");
	for (i = 0; i < t->nmissing; i++) {
		kr_buf_puts(b, "      MISSING card ");
		put(b, t->missing[i].label);
		kr_buf_puts(b, " serial ");
		put(b, t->missing[i].serial);
		if (t->missing[i].reason[0] != '\0') {
			kr_buf_puts(b, ": ");
			put(b, t->missing[i].reason);
		}
		cite(b, a, &t->missing[i].ref);
		kr_buf_puts(b, "\n");
	}
}

static void
access_log(struct kr_buf *b, const struct kr_audit *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (t->status >= KR_AUDIT_BAD || !t->in_window ||
		    t->escrow_loaded.record == 0 || (a->key_filter >= 0 &&
		    t->key != a->key_filter))
			continue;
		if (n++ == 0)
			kr_buf_puts(b, "\nACCESS LOG: every ceremony that set "
			    "out to recover a key\n");
		access_entry(b, a, t);
	}
	if (n == 0)
		kr_buf_puts(b, "\nACCESS LOG: no ceremony recovered a key\n");
}

int
kr_audit_render_text(const struct kr_audit *a, char **textp, size_t *lenp)
{
	struct kr_buf b;
	size_t i;

	memset(&b, 0, sizeof(b));
	head(&b, a);
	findings(&b, a);
	chain(&b, a);
	for (i = 0; i < a->nkeys; i++)
		if (a->key_filter < 0 || (int)i == a->key_filter)
			one_key(&b, a, &a->keys[i]);
	access_log(&b, a);
	kr_buf_printf(&b, "\nresult: %zu finding%s of severity high%s\n",
	    a->count[KR_AUDIT_HIGH], a->count[KR_AUDIT_HIGH] == 1 ? "" : "s",
	    a->count[KR_AUDIT_HIGH] > 0 ? "" : ": the archive passes");
	return kr_buf_take(&b, textp, lenp);
}
