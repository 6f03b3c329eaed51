/*
 * cmd-audit.c: keyrite audit DIR... [--from DATE] [--to DATE] [--key KEYID]
 *              [--at DATE] [--policy FILE]... [--drill-interval-days N]
 *              [--scan] [--json FILE] [--html FILE]
 *
 * The auditor's desk: reads a whole ceremony archive (src/audit/audit.h),
 * prints the report (findings first, then the chain, each key's life and
 * the access log; every figure cites its file and record), and writes the
 * JSON (docs/audit-report.schema.json) and the self-contained HTML report
 * when asked, never over an existing file.  Policy files are read with
 * the ceremony layer's parser, for the cryptoperiods and drill intervals.
 * Exits 0 when there is no finding of severity high, 10 when there is,
 * 1 when the archive or an output cannot be read or written, 2 on a bad
 * command line.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/err.h"
#include "base/text.h"
#include "ceremony/policy.h"
#include "cmd.h"
#include "host/media.h"

/* The classes of a parsed policy, as the audit wants them. */
static int
policy_rules(struct kr_policy *p, const char *path, struct kr_audit_policy *ap)
{
	const struct kr_policy_class *c;
	const char *name;
	size_t i, n = 0;

	if ((ap->classes = calloc(KR_POLICY_NCLASSES,
	    sizeof(*ap->classes))) == NULL ||
	    (ap->source = strdup(path)) == NULL) {
		free(ap->classes);
		ap->classes = NULL;
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	}
	for (i = 0; (name = kr_policy_class_name_at(i)) != NULL; i++) {
		if ((c = kr_policy_class(p, name)) == NULL ||
		    n >= KR_POLICY_NCLASSES)
			continue;
		snprintf(ap->classes[n].key_class,
		    sizeof(ap->classes[n].key_class), "%s", name);
		ap->classes[n].cryptoperiod_days = c->cryptoperiod_days;
		ap->classes[n].drill_interval_days = c->drill_interval_days;
		n++;
	}
	ap->nclasses = n;
	memcpy(ap->sha256, kr_policy_sha256(p), 32);
	return 0;
}

static int
read_policy(const char *path, const char *text, size_t len,
    struct kr_audit_policy *ap)
{
	struct kr_policy *p = NULL;
	int r;

	if ((r = kr_policy_parse(text, len, path, &p)) == 0)
		r = policy_rules(p, path, ap);
	kr_policy_free(p);
	return r;
}

static int
option_policy(struct kr_audit *a, const char *path)
{
	struct kr_audit_policy ap;
	struct kr_policy *p = NULL;
	int r;

	memset(&ap, 0, sizeof(ap));
	ap.ref.file = -1;
	if ((r = kr_policy_load(path, &p)) == 0 &&
	    (r = policy_rules(p, path, &ap)) == 0)
		r = kr_audit_add_policy(a, &ap);
	kr_policy_free(p);
	free(ap.source);
	free(ap.classes);
	return r;
}

/* Writes text to path, never overwriting (host/media.h). */
static int
write_out(const char *path, const char *text, size_t len)
{
	struct kr_media *m = NULL;
	char dir[4096];
	const char *slash = strrchr(path, '/'), *name, *dirs[1];
	int r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), "."), name = path;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path), name = slash + 1;
	if (!kr_media_name_ok(name))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: the file name "
		    "must be [A-Za-z0-9._-], not starting with '.'", path);
	dirs[0] = dir;
	if ((r = kr_media_open(dirs, 1, &m)) == 0)
		r = kr_media_write(m, name, text, len, NULL);
	kr_media_close(m);
	return r;
}

static int
render_to(const struct kr_audit *a, const char *path,
    int (*render)(const struct kr_audit *, char **, size_t *),
    const char *what)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = render(a, &text, &len)) == 0 &&
	    (r = write_out(path, text, len)) == 0)
		printf("%s: %s\n", what, path);
	else
		kr_cmd_perror(what, r);
	free(text);
	return r;
}

/* Outputs are checked before any work: never overwritten. */
static int
absent(const char *path)
{
	struct stat st;
	char buf[4 * 4096 + 1];

	if (path == NULL || lstat(path, &st) != 0)
		return 0;
	fprintf(stderr, "keyrite: audit: %s exists: keyrite never overwrites "
	    "a file; name another one\n", kr_printable(path, buf,
	    sizeof(buf)));
	return -1;
}

struct args {
	struct kr_audit_options	 opt;
	const char		*json, *html;
	char			**dirs, **policies;
	int			 ndirs, npolicies;
};

static int
parse_date(const char *opt, const char *v, time_t *t)
{
	if (kr_audit_parse_date(v, t) == 0)
		return 0;
	fprintf(stderr, "keyrite: audit: %s %s: give a date as YYYY-MM-DD or "
	    "YYYY-MM-DDTHH:MM:SSZ (UTC)\n", opt, v);
	return -1;
}

static int
parse(int argc, char **argv, struct args *g)
{
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--scan") == 0) {
			g->opt.scan = 1;
			continue;
		}
		if (o[0] != '-') {
			g->dirs[g->ndirs++] = argv[i];
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(o, "--json") == 0)
			g->json = v;
		else if (strcmp(o, "--html") == 0)
			g->html = v;
		else if (strcmp(o, "--key") == 0)
			g->opt.key = v;
		else if (strcmp(o, "--policy") == 0)
			g->policies[g->npolicies++] = argv[i];
		else if (strcmp(o, "--from") == 0) {
			if (parse_date(o, v, &g->opt.from) != 0)
				return -1;
		} else if (strcmp(o, "--to") == 0) {
			if (parse_date(o, v, &g->opt.to) != 0)
				return -1;
			if (strlen(v) == 10)
				g->opt.to += 86399;	/* the whole day */
		} else if (strcmp(o, "--at") == 0) {
			if (parse_date(o, v, &g->opt.at) != 0)
				return -1;
		} else if (strcmp(o, "--drill-interval-days") == 0) {
			g->opt.drill_interval_days = (unsigned int)strtoul(v,
			    &end, 10);
			if (*end != '\0' || g->opt.drill_interval_days == 0 ||
			    g->opt.drill_interval_days > 36525)
				return -1;
		} else
			return -1;
	}
	return g->ndirs > 0 ? 0 : -1;
}

static int
cmd_audit(int argc, char **argv)
{
	struct kr_audit *a = NULL;
	struct args g;
	char *text = NULL;
	size_t len = 0;
	int i, r, rc = KR_EXIT_FAILURE;

	memset(&g, 0, sizeof(g));
	g.opt.read_policy = read_policy;
	if ((g.dirs = calloc((size_t)argc, sizeof(char *))) == NULL ||
	    (g.policies = calloc((size_t)argc, sizeof(char *))) == NULL) {
		free(g.dirs);
		return KR_EXIT_FAILURE;
	}
	if (parse(argc, argv, &g) != 0) {
		rc = kr_cmd_usage(&kr_cmd_audit_entry);
		goto out;
	}
	if (absent(g.json) != 0 || absent(g.html) != 0 ||
	    (g.json != NULL && g.html != NULL && strcmp(g.json, g.html) == 0)) {
		if (g.json != NULL && g.html != NULL &&
		    strcmp(g.json, g.html) == 0)
			fprintf(stderr, "keyrite: audit: --json and --html "
			    "name one file\n");
		goto out;
	}
	if ((r = kr_audit_new(&g.opt, &a)) != 0) {
		kr_cmd_perror("audit", r);
		rc = r == KR_ERR_INVALID_ARGUMENT ? KR_EXIT_USAGE : rc;
		goto out;
	}
	for (i = 0; i < g.npolicies; i++)
		if ((r = option_policy(a, g.policies[i])) != 0) {
			kr_cmd_perror("audit --policy", r);
			goto out;
		}
	for (i = 0; i < g.ndirs; i++)
		if ((r = kr_audit_add_dir(a, g.dirs[i])) != 0) {
			kr_cmd_perror("audit", r);
			goto out;
		}
	if ((r = kr_audit_finish(a)) != 0) {
		kr_cmd_perror("audit", r);
		goto out;
	}
	if ((r = kr_audit_render_text(a, &text, &len)) != 0) {
		kr_cmd_perror("audit", r);
		goto out;
	}
	fwrite(text, 1, len, stdout);
	if (g.json != NULL && render_to(a, g.json, kr_audit_render_json,
	    "json") != 0)
		goto out;
	if (g.html != NULL && render_to(a, g.html, kr_audit_render_html,
	    "html") != 0)
		goto out;
	rc = a->count[KR_AUDIT_HIGH] > 0 ? KR_EXIT_FINDINGS : KR_EXIT_OK;
 out:
	fflush(stdout);
	kr_audit_free(a);
	free(text);
	free(g.dirs);
	free(g.policies);
	return rc;
}

const struct kr_cmd_entry kr_cmd_audit_entry = {
	.name = "audit",
	.args = "DIR... [--from DATE] [--to DATE] [--key KEYID] [--at DATE] "
	    "[--policy FILE]... [--drill-interval-days N] [--scan] "
	    "[--json FILE] [--html FILE]",
	.summary = "review a ceremony archive: chain, keys, access log, "
	    "findings",
	.exec = cmd_audit,
	.help =
	"Reads every transcript, escrow package, certificate, CRL and policy\n"
	"file under the directories, verifies each transcript as `keyrite\n"
	"verify` does, and reports the chain of ceremonies, each key's life,\n"
	"the access log of every recovery, and the findings.\n"
	"docs/auditor-guide.md explains each finding.\n"
	"\n"
	"  --from DATE       only ceremonies started on or after DATE\n"
	"  --to DATE         only ceremonies started on or before DATE\n"
	"                    (DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)\n"
	"  --key KEYID       only this key (its id, or its first 8+ hex\n"
	"                    digits) and its ceremonies\n"
	"  --at DATE         judge drills and cryptoperiods at DATE, not now\n"
	"                    (the report says which)\n"
	"  --policy FILE     a policy file in force, besides those in the\n"
	"                    archive (repeatable)\n"
	"  --drill-interval-days N\n"
	"                    the drill interval for every key (default: the\n"
	"                    policy's, else 365 days)\n"
	"  --scan            also read paper records: each PDF, and the\n"
	"                    images (PNG, JPEG, PNM) of each folder, as the QR\n"
	"                    codes of one transcript\n"
	"  --json FILE       write the report as JSON\n"
	"                    (docs/audit-report.schema.json)\n"
	"  --html FILE       write the report as one self-contained HTML file\n"
	"\n"
	"Exit status: 0 no finding is of severity high; 10 one is; 1 a\n"
	"directory or an output cannot be read or written; 2 bad command\n"
	"line.  Outputs are never overwritten.\n",
};
