/*
 * audit-html.c: the audit report as one self-contained HTML file.
 *
 * Findings first, then each key with its life drawn as an inline SVG
 * timeline, the access log as a table, the chain, and the event table.
 * Nothing outside the file is referred to: the style is inline, there is
 * no script, and a Content-Security-Policy of default-src 'none' makes a
 * browser refuse anything else.  Every string from a file is escaped
 * (kr_printable, then character references).  Colours carry meaning only
 * together with a shape and a word (the legend), and each mark has a
 * title naming its ceremony, file and record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hex.h"
#include "audit-int.h"
#include "audit.h"

#define SVG_W		1000
#define SVG_H		120
#define X0		40
#define X1		960
#define AXIS_Y		70

static const char style[] =
"body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328;"
"max-width:1200px}"
"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;"
"border-bottom:1px solid #d0d7de}h3{font-size:16px;margin:20px 0 6px}"
"table{border-collapse:collapse;width:100%;margin:6px 0}"
"th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;"
"vertical-align:top}th{background:#f6f8fa}"
"td.code{white-space:nowrap;font-family:ui-monospace,monospace;"
"font-size:12px}"
".high{background:#ffebe9;color:#82071e;font-weight:bold}"
".medium{background:#fff8c5;color:#7d4e00;font-weight:bold}"
".low{background:#ddf4ff;color:#0a3069}"
".at,.mono{font-family:ui-monospace,monospace;font-size:12px;"
"word-break:break-all}"
".muted{color:#57606a}.bad{color:#cf222e;font-weight:bold}"
".ok{color:#116329}dl{display:grid;grid-template-columns:11em 1fr;"
"gap:2px 12px;margin:6px 0}dt{color:#57606a}dd{margin:0}"
".pass{color:#116329;font-weight:bold}.fail{color:#cf222e;"
"font-weight:bold}svg{border:1px solid #d0d7de;background:#fff}";

static void
esc(struct kr_buf *b, const char *s)
{
	kr_audit_esc_html(b, s);
}

static void
cite(struct kr_buf *b, const struct kr_audit *a, const struct kr_audit_ref *r)
{
	char where[8192];

	kr_audit_ref_text(a, r, where, sizeof(where));
	kr_buf_puts(b, "<span class=\"at\">");
	esc(b, where);
	kr_buf_puts(b, "</span>");
}

static void
header(struct kr_buf *b, const struct kr_audit *a)
{
	size_t n[5] = { 0 }, i;

	for (i = 0; i < a->ntranscripts; i++)
		n[a->transcripts[i].status]++;
	kr_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-"
	    "Policy\" content=\"default-src 'none'; style-src "
	    "'unsafe-inline'\">\n<title>keyrite audit, judged at ");
	esc(b, a->at_text);
	kr_buf_printf(b, "</title>\n<style>%s</style></head>\n<body>\n"
	    "<h1>keyrite audit</h1>\n<p>Judged at <b>%s</b>. Archive: ",
	    style, a->at_text);
	for (i = 0; i < a->ndirs; i++) {
		kr_buf_puts(b, i > 0 ? ", <span class=\"mono\">" :
		    "<span class=\"mono\">");
		esc(b, a->dirs[i]);
		kr_buf_puts(b, "</span>");
	}
	kr_buf_printf(b, ". %zu transcripts (%zu good, %zu incomplete, %zu "
	    "unsealed, %zu bad, %zu unreadable), %zu escrow packages, %zu "
	    "certificates and CRLs, %zu policy files, %zu keys.</p>\n",
	    a->ntranscripts, n[0], n[1], n[2], n[3], n[4], a->nescrows,
	    a->ncerts, a->npolicies, a->nkeys);
	kr_buf_printf(b, "<p>Mode: <b>%s</b>.%s</p>\n", a->real &&
	    a->rehearsal ? "mixed: real ceremonies and rehearsals" : a->real ?
	    "real" : "rehearsal", a->real ? "" : " Every transcript is a "
	    "rehearsal: evidence of practice, not of a real key.");
	if (a->key_filter >= 0) {
		kr_buf_puts(b, "<p>Only key <span class=\"mono\">");
		kr_buf_hex(b, a->keys[a->key_filter].id, 32);
		kr_buf_puts(b, "</span>.</p>\n");
	}
	kr_buf_printf(b, "<p class=\"%s\">%s</p>\n",
	    a->count[KR_AUDIT_HIGH] > 0 ? "fail" : "pass",
	    a->count[KR_AUDIT_HIGH] > 0 ? "The archive does not pass: there "
	    "are findings of severity high." : "The archive passes: no "
	    "finding of severity high.");
}

static void
findings(struct kr_buf *b, const struct kr_audit *a)
{
	size_t i;

	kr_buf_printf(b, "<section id=\"findings\"><h2>Findings: %zu (%zu "
	    "high, %zu medium, %zu low)</h2>\n", a->nfindings,
	    a->count[KR_AUDIT_HIGH], a->count[KR_AUDIT_MEDIUM],
	    a->count[KR_AUDIT_LOW]);
	if (a->nfindings == 0) {
		kr_buf_puts(b, "<p>None.</p></section>\n");
		return;
	}
	kr_buf_puts(b, "<table><tr><th>#</th><th>Severity</th><th>Finding"
	    "</th><th>What</th><th>Where</th><th>Ask for</th></tr>\n");
	for (i = 0; i < a->nfindings; i++) {
		const struct kr_audit_finding *f = &a->findings[i];
		const char *sev = kr_audit_severity_name(f->severity);

		kr_buf_printf(b, "<tr><td>%zu</td><td class=\"%s\">%s</td>"
		    "<td class=\"code\">%s</td><td>", i + 1, sev, sev, f->code);
		esc(b, f->text);
		kr_buf_puts(b, "</td><td>");
		cite(b, a, &f->ref);
		kr_buf_puts(b, "</td><td>");
		esc(b, f->evidence);
		kr_buf_puts(b, "</td></tr>\n");
	}
	kr_buf_puts(b, "</table></section>\n");
}

/* --- the timeline --------------------------------------------------------- */

struct axis {
	time_t	t0, t1;
};

static int
xpos(const struct axis *ax, time_t t)
{
	double f;

	if (ax->t1 <= ax->t0)
		return X0;
	f = (double)(t - ax->t0) / (double)(ax->t1 - ax->t0);
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return X0 + (int)(f * (X1 - X0));
}

static void
ticks(struct kr_buf *b, const struct axis *ax)
{
	struct tm tm;
	char y[16];
	time_t t;
	int year, x, last = -1000;

	gmtime_r(&ax->t0, &tm);
	for (year = tm.tm_year + 1901; ; year++) {
		snprintf(y, sizeof(y), "%04d", year);
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year - 1900;
		tm.tm_mday = 1;
		if ((t = timegm(&tm)) > ax->t1)
			break;
		x = xpos(ax, t);
		if (x - last < 36)
			continue;
		last = x;
		kr_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		    "y2=\"%d\" stroke=\"#8c959f\"/><text x=\"%d\" y=\"%d\" "
		    "font-size=\"11\" "
		    "text-anchor=\"middle\" fill=\"#57606a\">%s</text>", x,
		    AXIS_Y - 4, x, AXIS_Y + 4, x, AXIS_Y + 17, y);
	}
}

/* A band (cryptoperiod, overdue) between two times. */
static void
band(struct kr_buf *b, const struct axis *ax, time_t from, time_t to, int y,
    const char *fill, const char *title)
{
	int x = xpos(ax, from), x2 = xpos(ax, to);

	if (x2 <= x)
		return;
	kr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"8\" "
	    "fill=\"%s\"><title>", x, y, x2 - x, fill);
	esc(b, title);
	kr_buf_puts(b, "</title></rect>");
}

/* One ceremony's mark: a shape per kind, a cross for a failed one. */
static void
mark(struct kr_buf *b, const struct kr_audit *a, const struct axis *ax,
    const struct kr_audit_transcript *t, int row)
{
	const struct kr_audit_ref *r = t->recovered.record > 0 ?
	    &t->recovered : t->key_ref.record > 0 ? &t->key_ref : &t->ref;
	const char *kind = kr_audit_kind_name(t->kind);
	char where[8192];
	int x = xpos(ax, t->t_started), y = AXIS_Y - 18 - 14 * row;

	kr_buf_printf(b, "<g class=\"mark mark-%s\"><title>", kind);
	kr_audit_ref_text(a, r, where, sizeof(where));
	kr_buf_printf(b, "%s %s (%s, %s) ", t->started, kind, t->ceremony_id,
	    kr_audit_end_name(t->end));
	esc(b, where);
	kr_buf_puts(b, "</title>");
	if (t->end != KR_AUDIT_END_SEALED)
		kr_buf_printf(b, "<path d=\"M%d %dl10 10m0 -10l-10 10\" "
		    "stroke=\"#cf222e\" stroke-width=\"3\"/>", x - 5, y - 5);
	else if (t->kind == KR_AUDIT_KIND_CREATE ||
	    t->kind == KR_AUDIT_KIND_IMPORT)
		kr_buf_printf(b, "<polygon points=\"%d,%d %d,%d %d,%d %d,%d\" "
		    "fill=\"#2da44e\"/>", x, y - 8, x + 8, y, x, y + 8, x - 8,
		    y);
	else if (t->kind == KR_AUDIT_KIND_DRILL)
		kr_buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"6\" "
		    "fill=\"#1f6feb\"/>", x, y);
	else if (t->kind == KR_AUDIT_KIND_DESTROY)
		kr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"12\" "
		    "height=\"12\" fill=\"#1f2328\"/>", x - 6, y - 6);
	else if (t->kind == KR_AUDIT_KIND_RESHARE)
		kr_buf_printf(b, "<polygon points=\"%d,%d %d,%d %d,%d\" "
		    "fill=\"#bf8700\"/>", x, y - 7, x + 7, y + 6, x - 7, y + 6);
	else
		kr_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"11\" "
		    "height=\"11\" fill=\"#8250df\"/>", x - 5, y - 5);
	kr_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#d0d7de\"/></g>", x, y + 8, x, AXIS_Y);
}

static void
timeline(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_key *k)
{
	struct axis ax;
	time_t when, cs = 0, ce = 0, lr;
	char title[256], id[17];
	size_t i;
	int lastx = -100, row = 0, x;

	ax.t0 = ax.t1 = a->opt.at;
	for (i = 0; i < k->nevents; i++) {
		when = a->transcripts[k->events[i]].t_started;
		if (when != 0 && when < ax.t0)
			ax.t0 = when;
		if (when > ax.t1)
			ax.t1 = when;
	}
	if (a->opt.from != 0 && a->opt.from > ax.t0)
		ax.t0 = a->opt.from;
	ax.t0 -= 86400 * 15;
	ax.t1 += 86400 * 15;
	kr_audit_short_id(k->id, id);
	kr_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"timeline of key %s\">", SVG_W, SVG_H, SVG_W, SVG_H,
	    id);
	if (k->has_cryptoperiod &&
	    kr_audit_parse_date(k->cp_start, &cs) == 0 &&
	    kr_audit_parse_date(k->cp_end, &ce) == 0) {
		snprintf(title, sizeof(title), "cryptoperiod %s .. %s",
		    k->cp_start, k->cp_end);
		band(b, &ax, cs, ce < ax.t1 ? ce : ax.t1, AXIS_Y + 24,
		    "#aceebb", title);
		if (ce < ax.t1) {
			snprintf(title, sizeof(title), "past the cryptoperiod "
			    "since %s", k->cp_end);
			band(b, &ax, ce, ax.t1, AXIS_Y + 24, "#ff8182", title);
		}
	}
	if (k->drill_overdue && kr_audit_parse_date(k->last_recovery_at,
	    &lr) == 0) {
		snprintf(title, sizeof(title), "drill overdue since %ld days "
		    "after %s", (long)k->drill_interval, k->last_recovery_at);
		band(b, &ax, lr + (time_t)k->drill_interval * 86400, a->opt.at,
		    AXIS_Y + 34, "#ffb77c", title);
	}
	kr_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#57606a\" stroke-width=\"2\"/>", X0, AXIS_Y, X1, AXIS_Y);
	ticks(b, &ax);
	x = xpos(&ax, a->opt.at);
	kr_buf_printf(b, "<line x1=\"%d\" y1=\"6\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#cf222e\" stroke-dasharray=\"4 3\"/><text x=\"%d\" "
	    "y=\"%d\" font-size=\"11\" fill=\"#cf222e\" text-anchor=\"end\">"
	    "judged at %.10s</text>", x, x, SVG_H - 4, x - 4, SVG_H - 4,
	    a->at_text);
	for (i = 0; i < k->nevents; i++) {
		const struct kr_audit_transcript *t =
		    &a->transcripts[k->events[i]];

		if (!t->in_window)
			continue;
		x = xpos(&ax, t->t_started);
		row = x - lastx < 12 ? (row + 1) % 3 : 0;
		lastx = x;
		mark(b, a, &ax, t, row);
	}
	kr_buf_puts(b, "</svg>\n");
}

static void
legend(struct kr_buf *b)
{
	kr_buf_puts(b, "<p class=\"muted\">Marks: <svg width=\"14\" "
	    "height=\"14\"><polygon points=\"7,0 14,7 7,14 0,7\" "
	    "fill=\"#2da44e\"/></svg> creation or import, <svg width=\"14\" "
	    "height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5\" fill=\"#0550ae\"/>"
	    "</svg> drill, <svg width=\"14\" height=\"14\"><rect width=\"11\" "
	    "height=\"11\" fill=\"#8250df\"/></svg> use, <svg width=\"14\" "
	    "height=\"14\"><polygon points=\"7,0 14,13 0,13\" "
	    "fill=\"#bf8700\"/></svg> reshare, <svg width=\"14\" "
	    "height=\"14\"><rect width=\"12\" "
	    "height=\"12\" fill=\"#1f2328\"/></svg> destruction, <svg "
	    "width=\"14\" height=\"14\"><path d=\"M2 2l10 10m0 -10l-10 10\" "
	    "stroke=\"#cf222e\" stroke-width=\"3\"/></svg> did not complete "
	    "(unsealed). Bands: green, the cryptoperiod; red, past it; orange, "
	    "a drill overdue. Hover a mark for its ceremony, file and record."
	    "</p>\n");
}

static void
dt(struct kr_buf *b, const char *term)
{
	kr_buf_printf(b, "<dt>%s</dt><dd>", term);
}

static void
key_facts(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_key *k)
{
	const struct kr_audit_transcript *c = k->created >= 0 ?
	    &a->transcripts[k->created] : NULL;
	const struct kr_audit_escrow *e = k->escrow >= 0 ?
	    &a->escrows[k->escrow] : NULL;
	size_t i;

	kr_buf_puts(b, "<dl>");
	dt(b, "key id");
	kr_buf_puts(b, "<span class=\"mono\">");
	kr_buf_hex(b, k->id, 32);
	kr_buf_puts(b, "</span></dd>");
	dt(b, "created");
	if (c != NULL) {
		kr_buf_printf(b, "%s, ceremony %s, administrator ",
		    k->created_at, c->ceremony_id);
		esc(b, c->operator_.name);
		kr_buf_printf(b, ", %zu witness%s, quorum %u of %u ",
		    c->nwitnesses, c->nwitnesses == 1 ? "" : "es", c->threshold,
		    c->nsplit);
		cite(b, a, &k->created_ref);
	} else
		kr_buf_puts(b, "<span class=\"bad\">no sealed creation "
		    "transcript in the archive</span>");
	kr_buf_puts(b, "</dd>");
	if (e != NULL) {
		dt(b, "roster now");
		kr_buf_printf(b, "%u of %u: ", e->m, e->n);
		for (i = 0; i < e->n && e->roster != NULL; i++) {
			kr_buf_puts(b, i > 0 ? "; " : "");
			esc(b, e->roster[i].name);
			kr_buf_puts(b, " (");
			esc(b, e->roster[i].card);
			kr_buf_puts(b, ")");
		}
		kr_buf_puts(b, " ");
		cite(b, a, &e->ref);
		kr_buf_puts(b, "</dd>");
	}
	dt(b, "cryptoperiod");
	if (k->has_cryptoperiod) {
		kr_buf_printf(b, "%u days, %.10s to %.10s: ", k->cp_days,
		    k->cp_start, k->cp_end);
		if (k->cp_days_left < 0)
			kr_buf_printf(b, "<span class=\"bad\">ended %ld days "
			    "before %.10s</span> ", -k->cp_days_left,
			    a->at_text);
		else
			kr_buf_printf(b, "<span class=\"ok\">%ld days left"
			    "</span> ", k->cp_days_left);
		cite(b, a, &k->created_ref);
	} else
		kr_buf_puts(b, "unknown: the creating policy is not in the "
		    "archive");
	kr_buf_puts(b, "</dd>");
	dt(b, "last recovery");
	kr_buf_printf(b, "%s, %ld days before %.10s; interval %u days: %s ",
	    k->last_recovery_at[0] ? k->last_recovery_at : "never",
	    k->days_since_recovery, a->at_text, k->drill_interval,
	    k->destroyed >= 0 ? "destroyed" : k->drill_overdue ?
	    "<span class=\"bad\">overdue</span>" :
	    "<span class=\"ok\">on time</span>");
	if (k->last_recovery >= 0)
		cite(b, a, &a->transcripts[k->last_recovery].recovered);
	kr_buf_puts(b, "</dd>");
	for (i = 0; i < k->ncerts; i++) {
		dt(b, i == 0 ? "certificate" : "");
		esc(b, a->certs[k->certs[i]].subject);
		kr_buf_printf(b, ", valid to %.10s ",
		    a->certs[k->certs[i]].not_after);
		cite(b, a, &a->certs[k->certs[i]].ref);
		kr_buf_puts(b, "</dd>");
	}
	kr_buf_puts(b, "</dl>\n");
}

static void
uses(struct kr_buf *b, const struct kr_audit *a, const struct kr_audit_key *k)
{
	size_t i, j, n = 0;

	for (i = 0; i < k->nevents; i++) {
		const struct kr_audit_transcript *t =
		    &a->transcripts[k->events[i]];

		for (j = 0; j < t->nacts && t->in_window; j++) {
			if (n++ == 0)
				kr_buf_puts(b, "<table><tr><th>When</th><th>"
				    "Event</th><th>What</th><th>Where</th>"
				    "</tr>");
			kr_buf_printf(b, "<tr><td>%s</td><td>%s</td><td "
			    "class=\"mono\">", t->started, t->acts[j].event);
			esc(b, t->acts[j].detail);
			kr_buf_puts(b, "</td><td>");
			cite(b, a, &t->acts[j].ref);
			kr_buf_puts(b, "</td></tr>\n");
		}
	}
	if (n > 0)
		kr_buf_puts(b, "</table>\n");
}

static void
keys(struct kr_buf *b, const struct kr_audit *a)
{
	char id[17];
	size_t i;

	kr_buf_printf(b, "<section id=\"keys\"><h2>Keys: %zu</h2>\n",
	    a->key_filter >= 0 ? (size_t)1 : a->nkeys);
	legend(b);
	for (i = 0; i < a->nkeys; i++) {
		const struct kr_audit_key *k = &a->keys[i];

		if (a->key_filter >= 0 && (int)i != a->key_filter)
			continue;
		kr_audit_short_id(k->id, id);
		kr_buf_printf(b, "<h3>Key %s: ", id);
		esc(b, k->key_class[0] ? k->key_class : "class unknown");
		kr_buf_puts(b, " ");
		esc(b, k->algorithm);
		kr_buf_printf(b, "%s (%zu ceremon%s)</h3>\n",
		    k->destroyed >= 0 ? ", destroyed" : "", k->nevents,
		    k->nevents == 1 ? "y" : "ies");
		timeline(b, a, k);
		key_facts(b, a, k);
		uses(b, a, k);
	}
	kr_buf_puts(b, "</section>\n");
}

static void
people(struct kr_buf *b, const struct kr_audit_person *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		kr_buf_puts(b, i > 0 ? "<br>" : "");
		if (v[i].name != NULL)
			esc(b, v[i].name);
		if (v[i].card != NULL) {
			kr_buf_puts(b, v[i].name != NULL ? " (" : "");
			esc(b, v[i].card);
			if (v[i].serial != NULL) {
				kr_buf_puts(b, " <span class=\"mono\">");
				esc(b, v[i].serial);
				kr_buf_puts(b, "</span>");
			}
			kr_buf_puts(b, v[i].name != NULL ? ")" : "");
		}
	}
}

static void
access_row(struct kr_buf *b, const struct kr_audit *a,
    const struct kr_audit_transcript *t)
{
	char id[17];
	size_t i;

	kr_audit_short_id(t->key_id, id);
	kr_buf_printf(b, "<tr><td>%s</td><td class=\"mono\">%s<br>%s</td>"
	    "<td class=\"mono\">%s</td><td>%s<br>%s</td><td>",
	    t->started, t->ceremony_id, t->ceremony, t->has_key_id ? id : "?",
	    kr_audit_kind_name(t->kind), t->end == KR_AUDIT_END_SEALED ?
	    "sealed" : "<span class=\"bad\">not sealed</span>");
	esc(b, t->operator_.name);
	kr_buf_puts(b, "</td><td>");
	esc(b, t->reason);
	kr_buf_puts(b, "</td><td>");
	esc(b, t->authorization);
	kr_buf_puts(b, "</td><td>");
	people(b, t->witnesses, t->nwitnesses);
	kr_buf_puts(b, "</td><td>");
	people(b, t->cards, t->ncards);
	kr_buf_puts(b, "</td><td>");
	if (t->end == KR_AUDIT_END_SEALED)
		kr_buf_printf(b, "%u of %u", t->cosign_present,
		    t->cosign_expected);
	for (i = 0; i < t->nmissing; i++) {
		kr_buf_puts(b, "<br><span class=\"bad\">missing</span> ");
		esc(b, t->missing[i].label);
		kr_buf_puts(b, " ");
		esc(b, t->missing[i].reason);
	}
	kr_buf_puts(b, "</td><td>");
	cite(b, a, t->roll_call.record > 0 ? &t->roll_call : &t->ref);
	if (t->recovered.record > 0) {
		kr_buf_puts(b, "<br>recovered: ");
		cite(b, a, &t->recovered);
	}
	kr_buf_puts(b, "</td></tr>\n");
}

static void
access_log(struct kr_buf *b, const struct kr_audit *a)
{
	size_t i, n = 0;

	kr_buf_puts(b, "<section id=\"access\"><h2>Access log: every ceremony "
	    "that set out to recover a key</h2>\n<table><tr><th>Started</th>"
	    "<th>Ceremony</th><th>Key</th><th>Kind, outcome</th><th>"
	    "Administrator</th><th>Reason</th><th>Authorization</th><th>"
	    "Witnesses</th><th>Cards presented</th><th>Co-signatures</th>"
	    "<th>Where</th></tr>\n");
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];

		if (t->status >= KR_AUDIT_BAD || !t->in_window ||
		    t->escrow_loaded.record == 0 || (a->key_filter >= 0 &&
		    t->key != a->key_filter))
			continue;
		access_row(b, a, t);
		n++;
	}
	kr_buf_printf(b, "</table><p class=\"muted\">%zu ceremon%s.</p>"
	    "</section>\n", n, n == 1 ? "y" : "ies");
}

static void
chain(struct kr_buf *b, const struct kr_audit *a)
{
	static const char *const links[] = { "first", "follows", "GAP",
	    "FORK", "RESTART", "BACKWARDS", "follows a bad one", "-" };
	size_t i;

	kr_buf_puts(b, "<section id=\"chain\"><h2>Chain of ceremonies</h2>\n"
	    "<table><tr><th>Started</th><th>Ceremony</th><th>Status</th>"
	    "<th>Link to previous</th><th>File</th></tr>\n");
	for (i = 0; i < a->ntranscripts; i++) {
		const struct kr_audit_transcript *t = &a->transcripts[i];
		int badlink = t->link == KR_AUDIT_LINK_GAP ||
		    t->link == KR_AUDIT_LINK_FORK ||
		    t->link == KR_AUDIT_LINK_RESTART ||
		    t->link == KR_AUDIT_LINK_BACKWARDS;

		if (!t->in_window || (a->key_filter >= 0 &&
		    t->key != a->key_filter))
			continue;
		kr_buf_printf(b, "<tr><td>%s</td><td class=\"mono\">%s %s</td>"
		    "<td%s>%s</td><td%s>%s %s</td><td>", t->started,
		    t->ceremony_id, t->ceremony, t->status >=
		    KR_AUDIT_UNSEALED ? " class=\"bad\"" : "",
		    kr_audit_status_name(t->status), badlink ?
		    " class=\"bad\"" : "", links[t->link], t->prev >= 0 ?
		    a->transcripts[t->prev].ceremony_id : "");
		cite(b, a, &t->ref);
		kr_buf_puts(b, "</td></tr>\n");
	}
	kr_buf_puts(b, "</table></section>\n");
}

static void
events(struct kr_buf *b)
{
	const struct kr_audit_event_row *row;
	size_t i;

	kr_buf_puts(b, "<section id=\"events\"><h2>What each event means "
	    "here</h2>\n<table><tr><th>Event</th><th>Meaning for the key"
	    "</th><th>From</th></tr>\n");
	for (i = 0; (row = kr_audit_event_at(i)) != NULL; i++)
		kr_buf_printf(b, "<tr><td class=\"mono\">%s</td><td>%s</td>"
		    "<td>%s</td></tr>\n", row->event, row->means,
		    row->from != NULL ? row->from : "");
	kr_buf_puts(b, "</table></section>\n");
}

int
kr_audit_render_html(const struct kr_audit *a, char **textp, size_t *lenp)
{
	struct kr_buf b;

	memset(&b, 0, sizeof(b));
	header(&b, a);
	findings(&b, a);
	keys(&b, a);
	access_log(&b, a);
	chain(&b, a);
	events(&b);
	kr_buf_puts(&b, "</body></html>\n");
	return kr_buf_take(&b, textp, lenp);
}
