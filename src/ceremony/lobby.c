/*
 * lobby.c: the facts a frontend shows between ceremonies (lobby.h).
 *
 * Scripts are listed once, when the lobby is made; the self-tests and the
 * air-gap scan run when the frontend asks (at start, and before a
 * ceremony); the cards present are listed on every call, re-initialising
 * the module as src/card/presence.c does for SoftHSM2.  For the
 * Parameters screen it checks the media and the input files a ceremony
 * will read, as the engine will, and finds the previous ceremony about
 * the same key, so that a wrong name or a missing medium is seen before
 * a ceremony starts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/text.h"
#include "base/hex.h"
#include "card/token.h"
#include "clean.h"
#include "crypto/crl.h"
#include "crypto/csr.h"
#include "crypto/escrow.h"
#include "crypto/ocsp.h"
#include "crypto/release.h"
#include "crypto/selftest.h"
#include "crypto/subject-cert.h"
#include "crypto/x509.h"
#include "host/airgap.h"
#include "host/media.h"
#include "host/printer.h"
#include "lobby.h"
#include "policy.h"
#include "record/paper.h"
#include "record/transcript.h"
#include "script.h"

struct kr_lobby {
	char			*module_path;	/* NULL: the default */
	struct kr_token_module	*mod;
	struct kr_lobby_script	 scripts[KR_LOBBY_MAX_SCRIPTS];
	size_t			 nscripts;
	struct kr_lobby_health	 health;
};

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
kr_lobby_scripts_dir(const char *dir, char *out, size_t outlen)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64], *slash;
	const char *env = getenv("KEYRITE_SCRIPTS");
	ssize_t n;

	if (dir != NULL || (env != NULL && *env != '\0')) {
		dir = dir != NULL ? dir : env;
		if (!is_dir(dir))
			return kr_err_set(KR_ERR_NOT_FOUND, "ceremony scripts "
			    "directory %s does not exist", dir);
		snprintf(out, outlen, "%s", dir);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/../share/keyrite/"
		    "ceremony-scripts", exe);
		if (!is_dir(cand))
			snprintf(cand, sizeof(cand), "%s/../ceremony-scripts",
			    exe);
		if (is_dir(cand)) {
			snprintf(out, outlen, "%s", cand);
			return 0;
		}
	}
	if (is_dir("ceremony-scripts")) {
		snprintf(out, outlen, "ceremony-scripts");
		return 0;
	}
	return kr_err_set(KR_ERR_NOT_FOUND, "no ceremony-scripts directory "
	    "beside keyrite, in $KEYRITE_SCRIPTS or here: give --scripts DIR");
}

static int
by_path(const void *a, const void *b)
{
	const struct kr_lobby_script *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* First line of an error detail (the file:line:column message). */
static char *
first_line(const char *s)
{
	size_t len = strcspn(s, "\n");
	char *out = malloc(len + 1);

	if (out != NULL) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

static int
add_script(struct kr_lobby *l, const char *dir, const char *file)
{
	struct kr_lobby_script *ls = &l->scripts[l->nscripts];
	struct kr_script *s = NULL;
	size_t len = strlen(dir) + strlen(file) + 2;

	if ((ls->path = malloc(len)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "listing scripts");
	snprintf(ls->path, len, "%s/%s", dir, file);
	l->nscripts++;
	if (kr_script_load(ls->path, &s) == 0) {
		ls->ok = 1;
		ls->name = strdup(s->name);
		ls->description = strdup(s->description ? s->description : "");
	} else {
		ls->name = strndup(file, strlen(file) - strlen(".ceremony"));
		ls->description = first_line(kr_err_detail());
	}
	kr_script_free(s);
	if (ls->name == NULL || ls->description == NULL)
		return kr_err_set(KR_ERR_NOMEM, "listing scripts");
	return 0;
}

static int
list_scripts(struct kr_lobby *l, const char *dir)
{
	struct dirent *de;
	DIR *d;
	size_t len;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return kr_err_errno(KR_ERR_IO, "ceremony scripts directory %s",
		    dir);
	while (r == 0 && (de = readdir(d)) != NULL &&
	    l->nscripts < KR_LOBBY_MAX_SCRIPTS) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= strlen(".ceremony") ||
		    strcmp(de->d_name + len - strlen(".ceremony"),
		    ".ceremony") != 0)
			continue;
		r = add_script(l, dir, de->d_name);
	}
	closedir(d);
	if (r == 0)
		qsort(l->scripts, l->nscripts, sizeof(l->scripts[0]), by_path);
	return r;
}

int
kr_lobby_new(const char *scripts_dir, const char *module,
    struct kr_lobby **lp)
{
	struct kr_lobby *l;
	int r;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "lobby");
	if (module != NULL && (l->module_path = strdup(module)) == NULL) {
		kr_lobby_free(l);
		return kr_err_set(KR_ERR_NOMEM, "lobby");
	}
	if ((r = list_scripts(l, scripts_dir)) != 0) {
		kr_lobby_free(l);
		return r;
	}
	*lp = l;
	return 0;
}

void
kr_lobby_free(struct kr_lobby *l)
{
	size_t i;

	if (l == NULL)
		return;
	kr_lobby_release(l);
	for (i = 0; i < l->nscripts; i++) {
		free(l->scripts[i].path);
		free(l->scripts[i].name);
		free(l->scripts[i].description);
	}
	free(l->module_path);
	free(l);
}

size_t
kr_lobby_nscripts(const struct kr_lobby *l)
{
	return l->nscripts;
}

const struct kr_lobby_script *
kr_lobby_script(const struct kr_lobby *l, size_t i)
{
	return i < l->nscripts ? &l->scripts[i] : NULL;
}

static void
check_selftest(struct kr_lobby_health *h)
{
	struct kr_selftest_result res[KR_SELFTEST_MAX_RESULTS];
	size_t n = 0, i, used = 0;
	int r;

	r = kr_selftest_run(res, KR_SELFTEST_MAX_RESULTS, &n);
	h->selftest_total = n;
	h->selftest_passed = 0;
	h->selftest_failed[0] = '\0';
	for (i = 0; i < n; i++) {
		if (res[i].ok) {
			h->selftest_passed++;
			continue;
		}
		if (used < sizeof(h->selftest_failed))
			used += (size_t)snprintf(h->selftest_failed + used,
			    sizeof(h->selftest_failed) - used, "%s%s",
			    used ? "; " : "", res[i].name);
	}
	h->selftest_ok = r == 0 && n > 0 && h->selftest_passed == n;
}

int
kr_lobby_check(struct kr_lobby *l)
{
	struct kr_lobby_health *h = &l->health;
	struct kr_airgap_report *rep = NULL;
	int r;

	check_selftest(h);
	r = kr_airgap_scan(&rep);
	if (rep == NULL && r != 0)
		return r;
	h->airgapped = r == 0;
	snprintf(h->airgap_detail, sizeof(h->airgap_detail), "%s",
	    r == 0 ? "" : kr_err_detail());
	kr_airgap_report_free(rep);
	h->checked = 1;
	kr_err_clear();
	return 0;
}

const struct kr_lobby_health *
kr_lobby_health(const struct kr_lobby *l)
{
	return &l->health;
}

static int
natural_cmp(const char *a, const char *b)
{
	unsigned long x, y;
	char *ea, *eb;

	while (*a != '\0' && *b != '\0') {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			x = strtoul(a, &ea, 10);
			y = strtoul(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return (*a != '\0') - (*b != '\0');
}

int
kr_lobby_label_cmp(const char *a, const char *b)
{
	return natural_cmp(a, b);
}

int
kr_lobby_card_cmp(const void *a, const void *b)
{
	const struct kr_card_view *x = a, *y = b;
	int c;

	if ((c = natural_cmp(x->label, y->label)) != 0)
		return c;
	return strcmp(x->serial, y->serial);
}

int
kr_lobby_cards(struct kr_lobby *l, struct kr_card_view *out, size_t max,
    size_t *n)
{
	struct kr_token_info *list = NULL;
	size_t count = 0, i;
	int r;

	*n = 0;
	if (l->mod == NULL) {
		if ((r = kr_token_module_open(l->module_path, &l->mod)) != 0)
			return r;
	} else if ((r = kr_token_module_reload(l->mod)) != 0)
		return r;
	if ((r = kr_token_list(l->mod, &list, &count)) != 0)
		return r;
	for (i = 0; i < count && *n < max; i++) {
		if (!list[i].initialized)
			continue;
		kr_token_printable(list[i].label, out[*n].label,
		    sizeof(out[*n].label));
		kr_token_printable(list[i].serial, out[*n].serial,
		    sizeof(out[*n].serial));
		(*n)++;
	}
	free(list);
	qsort(out, *n, sizeof(*out), kr_lobby_card_cmp);
	return 0;
}

void
kr_lobby_release(struct kr_lobby *l)
{
	if (l == NULL)
		return;
	kr_token_module_close(l->mod);
	l->mod = NULL;
}

/*
 * The step arguments that feed each value the policy checks, as the verb
 * table in script.c declares them, and the words with which policy.c's
 * sentences begin when they are about that value.
 */
static const struct {
	const char	*verb;
	const char	*arg;
	const char	*prefixes[3];
} feeds[] = {
	{ "generate-key", "algorithm", { "algorithm ", NULL } },
	{ "self-sign", "validity-days", { "certificate validity",
	    "certificates are not allowed", NULL } },
	{ "split", "threshold", { "threshold ", "share count", NULL } },
	{ "split", "shares", { "share count ", "threshold ", NULL } },
};

/* Whether v is about feeds[f]; "threshold M is larger than the share
 * count" and "share count N leaves K spare shares" concern both. */
static int
concerns(size_t f, const char *v)
{
	size_t i;

	if (strcmp(feeds[f].arg, "threshold") == 0 &&
	    strncmp(v, "share count ", 12) == 0)
		return strstr(v, "spare") != NULL;
	if (strcmp(feeds[f].arg, "shares") == 0 &&
	    strncmp(v, "threshold ", 10) == 0)
		return strstr(v, "share count") != NULL;
	for (i = 0; feeds[f].prefixes[i] != NULL; i++)
		if (strncmp(v, feeds[f].prefixes[i],
		    strlen(feeds[f].prefixes[i])) == 0)
			return 1;
	return 0;
}

static size_t
add_index(size_t *idx, size_t n, size_t max, size_t i)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (idx[k] == i)
			return n;
	if (n < max)
		idx[n++] = i;
	return n;
}

size_t
kr_lobby_violation_params(const struct kr_script *s, const char *v,
    size_t *idx, size_t max)
{
	char ref[KR_SCRIPT_MAX_NAME + 4];
	size_t f, i, j, p, n = 0;

	for (f = 0; f < sizeof(feeds) / sizeof(feeds[0]); f++) {
		if (!concerns(f, v))
			continue;
		for (i = 0; i < s->nsteps; i++) {
			const struct kr_script_step *st = &s->steps[i];

			if (strcmp(st->verb, feeds[f].verb) != 0)
				continue;
			for (j = 0; j < st->nargs; j++) {
				if (strcmp(st->args[j].name, feeds[f].arg))
					continue;
				for (p = 0; p < s->nparams; p++) {
					snprintf(ref, sizeof(ref), "${%s}",
					    s->params[p].name);
					if (strstr(st->args[j].raw, ref))
						n = add_index(idx, n, max, p);
				}
			}
		}
	}
	return n;
}

int
kr_lobby_transcript(const char *path, char **textp, size_t *lenp,
    uint8_t sha256[32])
{
	return kr_media_read(path, KR_TRANSCRIPT_FILE_MAX, textp, lenp,
	    sha256);
}

/* --- the Parameters screen: media, inputs, the previous ceremony ------- */

int
kr_lobby_media_check(const char *const *dirs, size_t ndirs)
{
	struct kr_media *m = NULL;
	int r;

	if ((r = kr_media_open(dirs, ndirs, &m)) != 0)
		return r;
	kr_media_close(m);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
by_name_desc(const void *a, const void *b)
{
	return strcmp(b, a);
}

int
kr_lobby_media_files(const char *const *dirs, size_t ndirs, const char *prefix,
    const char *suffix, int newest, char (*names)[KR_LOBBY_NAME_MAX],
    size_t max, size_t *count)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t i, j, len, plen = strlen(prefix), slen = strlen(suffix);
	DIR *d;

	*count = 0;
	for (i = 0; i < ndirs; i++) {
		if ((d = opendir(dirs[i])) == NULL)
			continue;
		while ((de = readdir(d)) != NULL && *count < max) {
			len = strlen(de->d_name);
			if (de->d_name[0] == '.' || len < plen + slen ||
			    len >= KR_LOBBY_NAME_MAX ||
			    strncmp(de->d_name, prefix, plen) != 0 ||
			    strcmp(de->d_name + len - slen, suffix) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i],
			    de->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			for (j = 0; j < *count; j++)
				if (strcmp(names[j], de->d_name) == 0)
					break;
			/* len < KR_LOBBY_NAME_MAX, checked above. */
			if (j == *count)
				memcpy(names[(*count)++], de->d_name, len + 1);
		}
		closedir(d);
	}
	qsort(names, *count, KR_LOBBY_NAME_MAX, newest ? by_name_desc :
	    by_name);
	return 0;
}

int
kr_lobby_media_path(const char *const *dirs, size_t ndirs, const char *name,
    char *path, size_t pathlen)
{
	struct stat st;
	size_t i;

	for (i = 0; i < ndirs; i++) {
		snprintf(path, pathlen, "%s/%s", dirs[i], name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 1;
	}
	path[0] = '\0';
	return 0;
}

/*
 * The step arguments the engine reads as input files before a ceremony
 * starts (engine.c check_inputs()); a new verb that reads one adds a row.
 * optional: the verb takes "" as "none".
 */
static const struct {
	const char		*verb;
	const char		*arg;
	enum kr_lobby_input	 kind;
	int			 optional;
} inputs[] = {
	{ "load-escrow", "file", KR_LOBBY_INPUT_ESCROW, 0 },
	{ "load-escrow", "certificate", KR_LOBBY_INPUT_CERTIFICATE, 0 },
	{ "sign-csr", "csr", KR_LOBBY_INPUT_CSR, 0 },
	{ "cross-sign", "csr", KR_LOBBY_INPUT_CSR, 1 },
	{ "cross-sign", "subject-cert", KR_LOBBY_INPUT_SUBJECT_CERT, 1 },
	{ "issue-crl", "revocations", KR_LOBBY_INPUT_REVOCATIONS, 1 },
	{ "issue-crl", "previous", KR_LOBBY_INPUT_CRL, 1 },
	{ "review-release", "file", KR_LOBBY_INPUT_RELEASE, 0 },
	{ "sign-ocsp", "status-list", KR_LOBBY_INPUT_STATUS_LIST, 0 },
	{ "import-key", "file", KR_LOBBY_INPUT_SECRET_KEY, 0 },
};

/*
 * Each kind: its suffixes, the most its reader reads, and what an empty
 * optional value means.
 */
static const struct {
	enum kr_lobby_input	 kind;
	const char		*suffixes;
	size_t			 max;
	const char		*none;
} kinds[] = {
	{ KR_LOBBY_INPUT_ESCROW, ".escrow", 1024 * 1024, "" },
	{ KR_LOBBY_INPUT_CERTIFICATE, ".pem", KR_X509_PEM_MAX, "" },
	{ KR_LOBBY_INPUT_CSR, ".csr .pem", KR_CSR_MAX_BYTES,
	    "none: the CA's certificate (subject_cert) is cross-signed" },
	{ KR_LOBBY_INPUT_SUBJECT_CERT, ".pem .crt .cer .der",
	    KR_SUBJECT_CERT_MAX_BYTES,
	    "none: the CA's request (csr) is cross-signed" },
	{ KR_LOBBY_INPUT_REVOCATIONS, ".txt", KR_CRL_LIST_MAX_BYTES,
	    "none: no certificate is revoked now; the previous CRL's "
	    "entries are carried over" },
	{ KR_LOBBY_INPUT_CRL, ".crl .pem", KR_CRL_MAX_BYTES,
	    "none: this is the root's first CRL, number 1" },
	{ KR_LOBBY_INPUT_RELEASE, ".txt", KR_RELEASE_FILE_MAX, "" },
	{ KR_LOBBY_INPUT_STATUS_LIST, ".txt", KR_OCSP_LIST_MAX_BYTES, "" },
	{ KR_LOBBY_INPUT_SECRET_KEY, ".key .pem .der .p8 .bin .hex", 0, "" },
};

static int
param_row(const struct kr_script *s, size_t p)
{
	char ref[KR_SCRIPT_MAX_NAME + 4];
	size_t f, i, j;

	if (p >= s->nparams)
		return -1;
	snprintf(ref, sizeof(ref), "${%s}", s->params[p].name);
	for (f = 0; f < sizeof(inputs) / sizeof(inputs[0]); f++)
		for (i = 0; i < s->nsteps; i++) {
			const struct kr_script_step *st = &s->steps[i];

			if (strcmp(st->verb, inputs[f].verb) != 0)
				continue;
			for (j = 0; j < st->nargs; j++)
				if (strcmp(st->args[j].name, inputs[f].arg) ==
				    0 && strcmp(st->args[j].raw, ref) == 0)
					return (int)f;
		}
	return -1;
}

enum kr_lobby_input
kr_lobby_param_input(const struct kr_script *s, size_t p)
{
	int f = param_row(s, p);

	return f < 0 ? KR_LOBBY_INPUT_NONE : inputs[f].kind;
}

int
kr_lobby_param_optional(const struct kr_script *s, size_t p)
{
	int f = param_row(s, p);

	return f >= 0 && inputs[f].optional;
}

static int
kind_row(enum kr_lobby_input kind)
{
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (kinds[k].kind == kind)
			return (int)k;
	return -1;
}

const char *
kr_lobby_input_suffix(enum kr_lobby_input kind)
{
	int k = kind_row(kind);

	return k < 0 ? "" : kinds[k].suffixes;
}

/* A transcript or its print log: not offered as a *.txt input. */
static int
is_transcript(const char *name)
{
	size_t len = strlen(name);

	return strncmp(name, "transcript-", 11) == 0 || (len > 10 &&
	    strcmp(name + len - 10, ".print.txt") == 0);
}

int
kr_lobby_input_files(const char *const *dirs, size_t ndirs,
    enum kr_lobby_input kind, const char *current,
    char (*names)[KR_LOBBY_NAME_MAX], size_t max, size_t *count)
{
	char (*some)[KR_LOBBY_NAME_MAX], suffix[16], path[PATH_MAX];
	const char *p = kr_lobby_input_suffix(kind);
	size_t n, i, j, len;

	*count = 0;
	if ((some = calloc(max, sizeof(*some))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "listing files");
	while (*p != '\0') {
		len = strcspn(p, " ");
		snprintf(suffix, sizeof(suffix), "%.*s", (int)len, p);
		p += len + (p[len] == ' ');
		n = 0;
		kr_lobby_media_files(dirs, ndirs, "", suffix, 0, some, max, &n);
		for (i = 0; i < n && *count < max; i++) {
			if (strcmp(suffix, ".txt") == 0 &&
			    is_transcript(some[i]))
				continue;
			for (j = 0; j < *count; j++)
				if (strcmp(names[j], some[i]) == 0)
					break;
			if (j == *count)
				memcpy(names[(*count)++], some[i],
				    KR_LOBBY_NAME_MAX);
		}
	}
	free(some);
	/* What people typed is offered whatever its suffix. */
	if (current != NULL && kr_media_name_ok(current) &&
	    strlen(current) < KR_LOBBY_NAME_MAX &&
	    kr_lobby_media_path(dirs, ndirs, current, path, sizeof(path))) {
		for (j = 0; j < *count; j++)
			if (strcmp(names[j], current) == 0)
				break;
		if (j == *count && *count < max)
			snprintf(names[(*count)++], KR_LOBBY_NAME_MAX, "%s",
			    current);
	}
	qsort(names, *count, KR_LOBBY_NAME_MAX, by_name);
	return 0;
}

/* The parser's message, or what to say when it left none. */
static void
verdict_err(struct kr_lobby_input_state *st, const char *fallback)
{
	snprintf(st->verdict, sizeof(st->verdict), "%s", kr_err_detail()[0] ?
	    kr_err_detail() : fallback);
}

static void
check_escrow(const char *const *dirs, size_t ndirs, const char *path,
    const char *text, size_t len, struct kr_lobby_input_state *st)
{
	struct kr_escrow *e = NULL;
	enum kr_clean_state cs;
	char id[17];

	if (kr_escrow_parse(text, len, path, &e) != 0) {
		snprintf(st->verdict, sizeof(st->verdict), "%s",
		    kr_err_detail());
		return;
	}
	memcpy(st->key_id, e->key_id, 32);
	st->has_key = 1;
	kr_hex_encode(e->key_id, 8, id, sizeof(id));
	cs = e->has_transcript ? kr_clean_state_of(dirs, ndirs,
	    e->transcript_id, NULL, 0) : KR_CLEAN_UNKNOWN;
	switch (cs) {
	case KR_CLEAN_COMMITTED:
		st->ok = 1;
		snprintf(st->verdict, sizeof(st->verdict), "escrow package of "
		    "key %s..., %s, any %u of %u custodians; its ceremony %s "
		    "completed (transcript sealed)", id, e->algorithm, e->m,
		    e->n, e->transcript_id);
		break;
	case KR_CLEAN_FAILED:
		snprintf(st->verdict, sizeof(st->verdict), "made by ceremony "
		    "%s, which did not complete: it must not be used; keyrite "
		    "clean removes it", e->transcript_id);
		break;
	case KR_CLEAN_DAMAGED:
		snprintf(st->verdict, sizeof(st->verdict), "made by ceremony "
		    "%s, whose transcript does not verify (keyrite verify): "
		    "it is not used", e->transcript_id);
		break;
	case KR_CLEAN_UNKNOWN:
		snprintf(st->verdict, sizeof(st->verdict), "made by ceremony "
		    "%s, whose transcript transcript-%s.txt is not on the "
		    "media: copy it beside the package", e->has_transcript ?
		    e->transcript_id : "(none named)", e->has_transcript ?
		    e->transcript_id : "?");
		break;
	}
	kr_escrow_free(e);
}

static void
check_certificate(const char *path, const char *text, size_t len,
    const uint8_t *want_key, struct kr_lobby_input_state *st)
{
	X509 *cert = NULL;
	uint8_t *spki = NULL;
	size_t spkilen = 0;
	unsigned int n = 0;

	if (kr_x509_from_pem(text, len, path, &cert) != 0 ||
	    kr_x509_public_spki(cert, &spki, &spkilen) != 0 ||
	    EVP_Digest(spki, spkilen, st->key_id, &n, EVP_sha256(),
	    NULL) != 1) {
		snprintf(st->verdict, sizeof(st->verdict), "%s",
		    kr_err_detail()[0] ? kr_err_detail() : "not a certificate");
		goto out;
	}
	st->has_key = 1;
	if (want_key != NULL && memcmp(want_key, st->key_id, 32) != 0) {
		snprintf(st->verdict, sizeof(st->verdict), "a certificate of "
		    "another key than the escrow package's: choose the "
		    "package's certificate");
		goto out;
	}
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "certificate%s",
	    want_key != NULL ? " of the package's key" : "");
 out:
	free(spki);
	X509_free(cert);
}

static void
check_csr(const char *path, const char *text, size_t len,
    struct kr_lobby_input_state *st)
{
	struct kr_csr *c = NULL;
	char subj[512];

	if (kr_csr_parse((const uint8_t *)text, len, path, &c) != 0) {
		verdict_err(st, "not a certificate request");
		return;
	}
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "request of %.200s, %s key, "
	    "self-signature verified (the requester holds the key)",
	    kr_printable(c->subject, subj, sizeof(subj)), c->key_text);
	kr_csr_free(c);
}

static void
check_subject_cert(const char *path, const char *text, size_t len,
    struct kr_lobby_input_state *st)
{
	struct kr_subject_cert *sc = NULL;
	char subj[512], iss[512];

	if (kr_subject_cert_parse((const uint8_t *)text, len, path,
	    &sc) != 0) {
		verdict_err(st, "not a CA certificate");
		return;
	}
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "CA certificate of %.160s, "
	    "%s key, %s%.160s, valid to %s",
	    kr_printable(sc->subject, subj, sizeof(subj)), sc->key_text,
	    sc->self_signed ? "self-signed (verified)" : "issued by ",
	    sc->self_signed ? "" : kr_printable(sc->issuer, iss, sizeof(iss)),
	    sc->not_after);
	kr_subject_cert_free(sc);
}

static void
check_revocations(const char *path, const char *text, size_t len,
    struct kr_lobby_input_state *st)
{
	struct kr_crl_list *l = NULL;

	if (kr_crl_list_parse(text, len, path, time(NULL), &l) != 0) {
		verdict_err(st, "not a revocation list");
		return;
	}
	st->ok = 1;
	if (l->n == 0)
		snprintf(st->verdict, sizeof(st->verdict), "revocation list "
		    "with no serial: nothing is revoked now");
	else
		snprintf(st->verdict, sizeof(st->verdict), "revocation list "
		    "of %zu serial%s, read", l->n, l->n == 1 ? "" : "s");
	kr_crl_list_free(l);
}

/* The certificate issuer names on the first medium, read; or NULL. */
static X509 *
read_issuer(const char *const *dirs, size_t ndirs, const char *issuer,
    struct kr_lobby_input_state *st)
{
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	X509 *cert = NULL;

	if (issuer == NULL || *issuer == '\0' || !kr_media_name_ok(issuer) ||
	    !kr_lobby_media_path(dirs, ndirs > 0 ? 1 : 0, issuer, path,
	    sizeof(path))) {
		snprintf(st->verdict, sizeof(st->verdict), "the root's "
		    "certificate is needed to check the previous CRL: choose "
		    "it (certificate) first");
		return NULL;
	}
	if (kr_media_read(path, KR_X509_PEM_MAX, &text, &len, NULL) != 0 ||
	    kr_x509_from_pem(text, len, path, &cert) != 0)
		snprintf(st->verdict, sizeof(st->verdict), "the root's "
		    "certificate %.128s does not read, so the CRL cannot be "
		    "checked: choose the right one (certificate)", issuer);
	free(text);
	return cert;
}

static void
check_crl(const char *const *dirs, size_t ndirs, const char *path,
    const char *text, size_t len, const char *issuer,
    struct kr_lobby_input_state *st)
{
	struct kr_crl *c = NULL;
	X509 *root;
	char iss[512], esc[1024];

	if ((root = read_issuer(dirs, ndirs, issuer, st)) == NULL)
		return;
	if (kr_crl_parse((const uint8_t *)text, len, path, root, time(NULL),
	    &c) != 0) {
		verdict_err(st, "not a CRL of the root");
		X509_free(root);
		return;
	}
	if (kr_x509_name_text(X509_CRL_get_issuer(c->crl), iss,
	    sizeof(iss)) != 0)
		snprintf(iss, sizeof(iss), "?");
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "CRL number %llu of %.160s, "
	    "%zu entr%s, issued %s, verified under %.128s; the next is number "
	    "%llu", (unsigned long long)c->number,
	    kr_printable(iss, esc, sizeof(esc)), c->n, c->n == 1 ? "y" : "ies",
	    c->this_update, issuer, (unsigned long long)c->number + 1);
	kr_crl_free(c);
	X509_free(root);
}

static void
size_text(uint64_t n, char *out, size_t outlen)
{
	if (n < 1024 * 1024)
		snprintf(out, outlen, "%llu bytes", (unsigned long long)n);
	else
		snprintf(out, outlen, "%.1f MiB", (double)n / (1024 * 1024));
}

static void
check_release(const char *path, const char *text, size_t len,
    struct kr_lobby_input_state *st)
{
	struct kr_release *rel = NULL;
	char dir[PATH_MAX], *slash, name[4 * KR_RELEASE_NAME_MAX + 1], sz[32];
	uint64_t total = 0;
	size_t i;
	int dfd, fd;

	if (kr_release_parse(text, len, path, &rel) != 0) {
		verdict_err(st, "not a release manifest");
		return;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((dfd = open(slash != NULL ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		snprintf(st->verdict, sizeof(st->verdict), "opening the "
		    "directory of %.300s failed", path);
		goto out;
	}
	/* Each image there, of its size; hashed when the ceremony starts. */
	for (i = 0; i < rel->n; i++) {
		if (kr_release_open_image(dfd, rel, i, &fd) != 0) {
			verdict_err(st, "an image is not usable");
			close(dfd);
			goto out;
		}
		close(fd);
		total += rel->images[i].size;
	}
	close(dfd);
	size_text(total, sz, sizeof(sz));
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "release manifest of "
	    "\"%.200s\": %zu image%s, %s in all, each on the media with its "
	    "size",
	    kr_printable(rel->name, name, sizeof(name)), rel->n, rel->n == 1 ?
	    "" : "s", sz);
 out:
	kr_release_free(rel);
}

static void
check_status_list(const char *path, const char *text, size_t len,
    struct kr_lobby_input_state *st)
{
	struct kr_ocsp_list *l = NULL;

	if (kr_ocsp_list_parse(text, len, path, time(NULL), &l) != 0) {
		verdict_err(st, "not an OCSP status list");
		return;
	}
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "status list of %zu "
	    "certificate%s, read", l->n, l->n == 1 ? "" : "s");
	kr_ocsp_list_free(l);
}

/* A key to import is secret: its size is all that is looked at here. */
static void
check_secret_key(const char *path, const char *name,
    struct kr_lobby_input_state *st)
{
	struct stat sb;

	if (stat(path, &sb) != 0 || sb.st_size == 0) {
		snprintf(st->verdict, sizeof(st->verdict), "%.300s is empty: "
		    "copy the key to import there", path);
		return;
	}
	st->ok = 1;
	snprintf(st->verdict, sizeof(st->verdict), "%.128s, %lld bytes: a "
	    "secret, read and checked only when the ceremony starts", name,
	    (long long)sb.st_size);
}

int
kr_lobby_input_check(const char *const *dirs, size_t ndirs,
    enum kr_lobby_input kind, const char *name,
    const struct kr_lobby_input_ctx *ctx, struct kr_lobby_input_state *st)
{
	static const struct kr_lobby_input_ctx none;
	char path[PATH_MAX], *text = NULL;
	size_t len = 0;
	int k = kind_row(kind);

	memset(st, 0, sizeof(*st));
	if (ctx == NULL)
		ctx = &none;
	if (k < 0)
		return 0;
	if (*name == '\0' && ctx->optional) {
		st->ok = 1;
		snprintf(st->verdict, sizeof(st->verdict), "%s",
		    kinds[k].none);
		return 0;
	}
	if (*name == '\0') {
		snprintf(st->verdict, sizeof(st->verdict), "no file named: "
		    "Enter lists the %s files on the media", kinds[k].suffixes);
		return 0;
	}
	if (!kr_media_name_ok(name)) {
		snprintf(st->verdict, sizeof(st->verdict), "'%.64s' is not a "
		    "plain file name", name);
		return 0;
	}
	if (!kr_lobby_media_path(dirs, ndirs, name, path, sizeof(path))) {
		snprintf(st->verdict, sizeof(st->verdict), "%s is not on the "
		    "media: Enter lists the %s files there", name,
		    kinds[k].suffixes);
		return 0;
	}
	/* The engine reads every input on the first medium. */
	if (!kr_lobby_media_path(dirs, 1, name, path, sizeof(path))) {
		kr_lobby_media_path(dirs, ndirs, name, path, sizeof(path));
		snprintf(st->verdict, sizeof(st->verdict), "%s is not on the "
		    "first medium %.150s, where the ceremony reads its inputs "
		    "(only %.150s): copy it there", name, dirs[0], path);
		return 0;
	}
	if (kind == KR_LOBBY_INPUT_SECRET_KEY) {
		check_secret_key(path, name, st);
		return 0;
	}
	if (kr_media_read(path, kinds[k].max, &text, &len, NULL) != 0) {
		verdict_err(st, "cannot be read");
		kr_err_clear();
		return 0;
	}
	switch (kind) {
	case KR_LOBBY_INPUT_ESCROW:
		check_escrow(dirs, ndirs, path, text, len, st);
		break;
	case KR_LOBBY_INPUT_CERTIFICATE:
		check_certificate(path, text, len, ctx->want_key, st);
		break;
	case KR_LOBBY_INPUT_CSR:
		check_csr(path, text, len, st);
		break;
	case KR_LOBBY_INPUT_SUBJECT_CERT:
		check_subject_cert(path, text, len, st);
		break;
	case KR_LOBBY_INPUT_REVOCATIONS:
		check_revocations(path, text, len, st);
		break;
	case KR_LOBBY_INPUT_CRL:
		check_crl(dirs, ndirs, path, text, len, ctx->issuer, st);
		break;
	case KR_LOBBY_INPUT_RELEASE:
		check_release(path, text, len, st);
		break;
	case KR_LOBBY_INPUT_STATUS_LIST:
		check_status_list(path, text, len, st);
		break;
	case KR_LOBBY_INPUT_SECRET_KEY:
	case KR_LOBBY_INPUT_NONE:
		break;
	}
	free(text);
	kr_err_clear();
	return 0;
}

/* Whether the transcript at path verifies, is sealed, by key_id if set. */
static int
sealed_by(const char *path, const uint8_t *key_id)
{
	struct kr_transcript_summary *sum;
	int ok;

	if ((sum = calloc(1, sizeof(*sum))) == NULL)
		return 0;
	ok = kr_transcript_verify_file(path, NULL, 0, sum) == 0 &&
	    sum->sealed && (key_id == NULL ||
	    memcmp(sum->signer_key_id, key_id, 32) == 0);
	free(sum);
	kr_err_clear();
	return ok;
}

#define LOBBY_MAX_TRANSCRIPTS	256

int
kr_lobby_sealed_transcripts(const char *const *dirs, size_t ndirs,
    char (*names)[KR_LOBBY_NAME_MAX], size_t max, size_t *count)
{
	char (*all)[KR_LOBBY_NAME_MAX], path[PATH_MAX];
	size_t n = 0, i;

	*count = 0;
	if ((all = calloc(LOBBY_MAX_TRANSCRIPTS, sizeof(*all))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcripts");
	kr_lobby_media_files(dirs, ndirs, "transcript-", ".txt", 1, all,
	    LOBBY_MAX_TRANSCRIPTS, &n);
	for (i = 0; i < n && *count < max; i++)
		if (kr_lobby_media_path(dirs, ndirs, all[i], path,
		    sizeof(path)) && sealed_by(path, NULL))
			memcpy(names[(*count)++], all[i], KR_LOBBY_NAME_MAX);
	free(all);
	return 0;
}

int
kr_lobby_previous(const char *const *dirs, size_t ndirs,
    const uint8_t key_id[32], char *path, size_t pathlen)
{
	char (*all)[KR_LOBBY_NAME_MAX];
	size_t n = 0, i;
	int r = KR_ERR_NOT_FOUND;

	path[0] = '\0';
	if ((all = calloc(LOBBY_MAX_TRANSCRIPTS, sizeof(*all))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "transcripts");
	kr_lobby_media_files(dirs, ndirs, "transcript-", ".txt", 1, all,
	    LOBBY_MAX_TRANSCRIPTS, &n);
	for (i = 0; i < n; i++)
		if (kr_lobby_media_path(dirs, ndirs, all[i], path, pathlen) &&
		    sealed_by(path, key_id)) {
			r = 0;
			break;
		}
	if (r != 0)
		path[0] = '\0';
	free(all);
	return r;
}

/* Which step argument parameter i feeds (feeds[] above), or -1. */
static int
param_feeds(const struct kr_script *s, size_t p)
{
	char ref[KR_SCRIPT_MAX_NAME + 4];
	size_t f, i, j;

	snprintf(ref, sizeof(ref), "${%s}", s->params[p].name);
	for (f = 0; f < sizeof(feeds) / sizeof(feeds[0]); f++)
		for (i = 0; i < s->nsteps; i++) {
			const struct kr_script_step *st = &s->steps[i];

			if (strcmp(st->verb, feeds[f].verb) != 0)
				continue;
			for (j = 0; j < st->nargs; j++)
				if (strcmp(st->args[j].name, feeds[f].arg) ==
				    0 && strcmp(st->args[j].raw, ref) == 0)
					return (int)f;
		}
	return -1;
}

static int
class_allows(const struct kr_policy_class *c, const char *alg)
{
	size_t i;

	for (i = 0; i < c->nalgorithms; i++)
		if (strcmp(c->algorithms[i], alg) == 0)
			return 1;
	return 0;
}

void
kr_lobby_param_hint(const struct kr_script *s, const struct kr_policy *p,
    size_t i, char *out, size_t outlen)
{
	const struct kr_script_param *pm = &s->params[i];
	const struct kr_policy_class *c = NULL;
	long long lo = pm->min, hi = pm->max;
	size_t k, used = 0;
	int f = param_feeds(s, i), any = 0;

	out[0] = '\0';
	if (p != NULL && s->key_class != NULL)
		c = kr_policy_class(p, s->key_class);
	if (pm->type == KR_SCRIPT_CHOICE) {
		for (k = 0; k < pm->nchoices && used < outlen; k++) {
			if (c != NULL && f >= 0 &&
			    strcmp(feeds[f].arg, "algorithm") == 0 &&
			    !class_allows(c, pm->choices[k]))
				continue;
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", any++ ? " " : "<> ", pm->choices[k]);
		}
		if (c != NULL && f >= 0 && used < outlen &&
		    strcmp(feeds[f].arg, "algorithm") == 0)
			snprintf(out + used, outlen - used, " (policy: %s)",
			    c->name);
		return;
	}
	if (pm->type != KR_SCRIPT_INTEGER)
		return;
	if (c != NULL && f >= 0) {
		if (strcmp(feeds[f].arg, "validity-days") == 0 &&
		    c->max_validity_days > 0 && hi > c->max_validity_days)
			hi = c->max_validity_days;
		else if (strcmp(feeds[f].arg, "threshold") == 0 &&
		    lo < c->min_threshold)
			lo = c->min_threshold;
		else if (strcmp(feeds[f].arg, "shares") == 0 &&
		    lo < c->min_shares)
			lo = c->min_shares;
	}
	if (c != NULL && (lo != pm->min || hi != pm->max))
		snprintf(out, outlen, "%lld to %lld (policy: %s)", lo, hi,
		    c->name);
	else
		snprintf(out, outlen, "%lld to %lld", lo, hi);
}

/* The paper size the print log beside path names (a4 if none). */
static enum kr_paper_size
logged_paper(const char *path)
{
	char log[4200], *text = NULL;
	size_t len = 0, n = strlen(path);
	enum kr_paper_size size = KR_PAPER_A4;

	if (n < 4 || strcmp(path + n - 4, ".txt") != 0)
		return size;
	snprintf(log, sizeof(log), "%.*s.print.txt", (int)(n - 4), path);
	if (kr_media_read(log, 64 * 1024, &text, &len, NULL) == 0 &&
	    strstr(text, "\npaper: Letter\n") != NULL)
		size = KR_PAPER_LETTER;
	free(text);
	return size;
}

int
kr_lobby_reprint(const char *path, const char *printer, char *msg,
    size_t msglen)
{
	struct kr_paper_opts o;
	struct kr_paper_info info;
	struct kr_print_job job;
	char name[KR_PRINTER_NAME_MAX], title[96], *text = NULL;
	uint8_t *pdf = NULL;
	size_t len = 0, pdflen = 0;
	int r;

	msg[0] = '\0';
	memset(&o, 0, sizeof(o));
	o.size = logged_paper(path);
	if ((r = kr_media_read(path, KR_TRANSCRIPT_FILE_MAX, &text, &len,
	    NULL)) != 0 ||
	    (r = kr_paper_render(text, len, path, &o, &pdf, &pdflen,
	    &info)) != 0 ||
	    (r = kr_printer_find(printer, name)) != 0)
		goto out;
	snprintf(title, sizeof(title), "keyrite transcript %s",
	    info.ceremony_id);
	if ((r = kr_printer_submit(name, title, pdf, pdflen, 1,
	    kr_paper_size_name(o.size), &job)) != 0)
		goto out;
	if ((r = kr_printer_wait(&job, 10 * 60 * 1000)) != 0) {
		snprintf(msg, msglen, "printer %s, job %d: %s", name, job.id,
		    kr_printer_state_name(job.state));
		goto out;
	}
	snprintf(msg, msglen, "printer %s, job %d: printed (%u pages)", name,
	    job.id, info.pages);
 out:
	free(text);
	free(pdf);
	return r;
}
