/*
 * audit.c: reading a ceremony archive for keyrite audit.
 *
 * Walks the directories given, keeps every file it knows by its first
 * bytes (transcripts, escrow packages, certificates, CRLs, policy files
 * and, with --scan, scanned paper records), and verifies every transcript
 * with kr_transcript_verify(), as `keyrite verify` does, on as many
 * threads as there are processors: verification (the seal and the
 * co-signatures) is most of the work.  Copies of one file (the same
 * bytes on several media) count once; the first path found names it.
 * audit-model.c then reads the records, audit-judge.c links and judges.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/escrow.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "host/media.h"
#include "record/scan.h"
#include "record/transcript.h"
#include "audit-int.h"
#include "audit.h"

#define SMALL_MAX	(1024 * 1024)	/* packages, certificates, CRLs */
#define POLICY_MAX	65536
#define MAX_DEPTH	16
#define MAX_THREADS	8

/* --- small helpers -------------------------------------------------------- */

char *
kr_audit_strndup(const char *s, size_t n)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
kr_audit_strdup(const char *s)
{
	return kr_audit_strndup(s == NULL ? "" : s, s == NULL ? 0 : strlen(s));
}

/* Grows *p (of *cap elements of size) to hold n + 1. */
static int
grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp, *q;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap == 0 ? 16 : *cap * 2;
	if ((q = realloc(*p, nc * size)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	memset((char *)q + *cap * size, 0, (nc - *cap) * size);
	*p = q;
	*cap = nc;
	return 0;
}

int
kr_audit_parse_date(const char *s, time_t *t)
{
	static const char form[] = "0000-00-00T00:00:00Z";
	struct tm tm, back;
	size_t n = strlen(s), i;
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if (n != 10 && n != 20)
		return -1;
	for (i = 0; i < n; i++)
		if (form[i] == '0' ? (s[i] < '0' || s[i] > '9') :
		    s[i] != form[i])
			return -1;
	if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3 || (n == 20 &&
	    sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &sec) != 3))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	/* 2026-02-30 is not a date: timegm would move it to March. */
	if (gmtime_r(t, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != mo - 1 || back.tm_hour != h || back.tm_min != mi)
		return -1;
	return 0;
}

/* A malloc()ed printf; NULL when out of memory. */
static char *
vformat(const char *fmt, va_list ap)
{
	va_list aq;
	char *p;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

static char *
format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
format(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = vformat(fmt, ap);
	va_end(ap);
	return p;
}

void
kr_audit_format_time(time_t t, char out[KR_AUDIT_TIME_BYTES])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, KR_AUDIT_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long
kr_audit_days(time_t t0, time_t t1)
{
	double d = difftime(t1, t0) / 86400.0;

	return d < 0 ? -(long)(-d) : (long)d;
}

void
kr_audit_short_id(const uint8_t id[32], char out[17])
{
	kr_hex_encode(id, 8, out, 17);
}

const char *
kr_audit_path(const struct kr_audit *a, int file)
{
	if (file < 0 || (size_t)file >= a->nfiles)
		return "(none)";
	return a->files[file].path;
}

void
kr_audit_ref_text(const struct kr_audit *a, const struct kr_audit_ref *r,
    char *out, size_t outlen)
{
	const char *path = kr_audit_path(a, r->file);

	if (r->file < 0)
		snprintf(out, outlen, "(option)");
	else if (r->record > 0)
		snprintf(out, outlen, "%s record %lu", path, r->record);
	else if (a->files[r->file].kind == KR_AUDIT_TRANSCRIPT ||
	    a->files[r->file].kind == KR_AUDIT_SCAN)
		snprintf(out, outlen, "%s header", path);
	else
		snprintf(out, outlen, "%s", path);
}

const char *
kr_audit_severity_name(enum kr_audit_severity s)
{
	return s == KR_AUDIT_HIGH ? "high" : s == KR_AUDIT_MEDIUM ? "medium" :
	    "low";
}

const char *
kr_audit_status_name(enum kr_audit_status s)
{
	static const char *const n[] = { "good", "incomplete", "unsealed",
	    "bad", "unreadable" };

	return n[s];
}

const char *
kr_audit_end_name(enum kr_audit_end e)
{
	static const char *const n[] = { "sealed", "failed", "aborted",
	    "cut-short" };

	return n[e];
}

const char *
kr_audit_kind_name(enum kr_audit_kind k)
{
	static const char *const n[] = { "other", "creation", "import",
	    "drill", "use", "reshare", "destruction", "card-check",
	    "recovery-attempt" };

	return n[k];
}

/* --- hashes the transcripts name ------------------------------------------ */

void
kr_audit_hash_add(struct kr_audit *a, const uint8_t h[32])
{
	struct kr_audit_priv *p = a->priv;

	if (grow(&p->hashes, &p->hashcap, p->nhashes, 32) != 0)
		return;
	memcpy(p->hashes + 32 * p->nhashes++, h, 32);
}

static int
cmp32(const void *x, const void *y)
{
	return memcmp(x, y, 32);
}

void
kr_audit_hash_sort(struct kr_audit *a)
{
	struct kr_audit_priv *p = a->priv;

	if (p->nhashes > 0)
		qsort(p->hashes, p->nhashes, 32, cmp32);
}

int
kr_audit_hash_named(const struct kr_audit *a, const uint8_t h[32])
{
	const struct kr_audit_priv *p = a->priv;

	return p->nhashes > 0 &&
	    bsearch(h, p->hashes, p->nhashes, 32, cmp32) != NULL;
}

/* --- findings ------------------------------------------------------------- */

void
kr_audit_find(struct kr_audit *a, const char *code,
    enum kr_audit_severity sev, const struct kr_audit_ref *ref, int key,
    int transcript, const char *fmt, ...)
{
	static const struct kr_audit_ref none = { -1, 0 };
	struct kr_audit_finding *f;
	size_t cap = a->nfindings;
	va_list ap;
	char *text = NULL;

	/* nfindings is the capacity too: grow by one, rarely many. */
	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	if (text == NULL || (f = realloc(a->findings, (cap + 1) *
	    sizeof(*f))) == NULL) {
		free(text);
		return;
	}
	a->findings = f;
	f += a->nfindings++;
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->evidence = kr_audit_evidence(code);
	f->severity = sev;
	f->text = text;
	f->ref = ref != NULL ? *ref : none;
	f->key = key;
	f->transcript = transcript;
}

/* --- setting up ----------------------------------------------------------- */

int
kr_audit_new(const struct kr_audit_options *opt, struct kr_audit **ap)
{
	struct kr_audit *a;
	size_t i;

	*ap = NULL;
	if (opt->key != NULL) {
		for (i = 0; opt->key[i] != '\0'; i++)
			if (strchr("0123456789abcdef", opt->key[i]) == NULL)
				break;
		if (opt->key[i] != '\0' || i < 8 || i > 64)
			return kr_err_set(KR_ERR_INVALID_ARGUMENT, "--key %s: "
			    "give a key id, or at least its first 8 digits, in "
			    "lower-case hex", opt->key);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->priv = calloc(1, sizeof(struct kr_audit_priv))) == NULL) {
		free(a);
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	}
	a->opt = *opt;
	if (opt->key != NULL) {
		((struct kr_audit_priv *)a->priv)->key =
		    kr_audit_strdup(opt->key);
		a->opt.key = ((struct kr_audit_priv *)a->priv)->key;
	}
	if (a->opt.at == 0)
		a->opt.at = time(NULL);
	kr_audit_format_time(a->opt.at, a->at_text);
	a->key_filter = -1;
	*ap = a;
	return 0;
}

int
kr_audit_add_policy(struct kr_audit *a, struct kr_audit_policy *p)
{
	struct kr_audit_policy *q;

	if ((q = realloc(a->policies, (a->npolicies + 1) *
	    sizeof(*q))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->policies = q;
	a->policies[a->npolicies++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

/* --- one file ------------------------------------------------------------- */

static int
add_file(struct kr_audit *a, const char *path, enum kr_audit_file_kind kind,
    const uint8_t sha[32], int *indexp)
{
	struct kr_audit_file *f;
	size_t i;

	for (i = 0; i < a->nfiles; i++)
		if (a->files[i].kind == kind && a->files[i].same_as < 0 &&
		    memcmp(a->files[i].sha256, sha, 32) == 0)
			break;
	if ((f = realloc(a->files, (a->nfiles + 1) * sizeof(*f))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->files = f;
	f += a->nfiles;
	memset(f, 0, sizeof(*f));
	if ((f->path = kr_audit_strdup(path)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	f->kind = kind;
	memcpy(f->sha256, sha, 32);
	f->same_as = i < a->nfiles ? (int)i : -1;
	f->item = i < a->nfiles ? a->files[i].item : -1;
	*indexp = (int)a->nfiles++;
	return 0;
}

static int
new_transcript(struct kr_audit *a, int file, char *text, size_t len,
    char *scan_dir)
{
	struct kr_audit_priv *p = a->priv;
	struct kr_audit_transcript *t;
	struct kr_audit_text *x;

	if ((t = realloc(a->transcripts, (a->ntranscripts + 1) *
	    sizeof(*t))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->transcripts = t;
	if ((x = realloc(p->texts, (a->ntranscripts + 1) *
	    sizeof(*x))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	p->texts = x;
	t += a->ntranscripts;
	x += a->ntranscripts;
	memset(t, 0, sizeof(*t));
	t->ref.file = file;
	t->scan.file = -1;
	t->key = -1;
	t->next = -1;
	t->operator_.ref.file = -1;
	x->text = text;
	x->len = len;
	x->scan_dir = scan_dir;
	if (file >= 0)
		a->files[file].item = (int)a->ntranscripts;
	a->ntranscripts++;
	return 0;
}

static void
escrow_from(struct kr_audit_escrow *x, const struct kr_escrow *e)
{
	unsigned int i;

	memcpy(x->key_id, e->key_id, 32);
	snprintf(x->key_class, sizeof(x->key_class), "%s", e->key_class);
	snprintf(x->algorithm, sizeof(x->algorithm), "%s", e->algorithm);
	snprintf(x->created, sizeof(x->created), "%s", e->created);
	snprintf(x->transcript_id, sizeof(x->transcript_id), "%s",
	    e->has_transcript ? e->transcript_id : "");
	x->m = e->m;
	x->n = e->n;
	if ((x->roster = calloc(e->n, sizeof(*x->roster))) == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		x->roster[i].name = kr_audit_strdup(e->roster[i].name);
		x->roster[i].card = kr_audit_strdup(e->roster[i].card);
		x->roster[i].serial = kr_audit_strdup(e->roster[i].serial);
		x->roster[i].ref = x->ref;
	}
}

static int
add_escrow(struct kr_audit *a, int file, const char *text, size_t len)
{
	struct kr_audit_escrow *x;
	struct kr_escrow *e = NULL;
	int r;

	if ((x = realloc(a->escrows, (a->nescrows + 1) * sizeof(*x))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->escrows = x;
	x += a->nescrows;
	memset(x, 0, sizeof(*x));
	x->ref.file = file;
	x->vouched_by = -1;
	x->vouch_ref.file = -1;
	x->key = -1;
	a->files[file].item = (int)a->nescrows++;
	if ((r = kr_escrow_parse(text, len, a->files[file].path, &e)) != 0) {
		x->error = kr_audit_strdup(kr_err_detail());
		return 0;
	}
	x->ok = 1;
	escrow_from(x, e);
	kr_escrow_free(e);
	return 0;
}

/* ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ", or "" */
static void
asn1_time(const ASN1_TIME *at, char out[KR_AUDIT_TIME_BYTES])
{
	struct tm tm;

	out[0] = '\0';
	if (at != NULL && ASN1_TIME_to_tm(at, &tm) == 1)
		strftime(out, KR_AUDIT_TIME_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
der_sha256(const unsigned char *der, int len, uint8_t out[32])
{
	unsigned int n = 32;

	if (len <= 0 || EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(),
	    NULL) != 1)
		memset(out, 0, 32);
}

static void
cert_fill(struct kr_audit_cert *c, X509 *x)
{
	unsigned char *der = NULL;
	char name[KR_X509_NAME_TEXT_MAX];
	BIGNUM *bn;
	char *dec = NULL;
	int n;

	c->x = x;
	c->ok = 1;
	if (kr_x509_name_text(X509_get_subject_name(x), name,
	    sizeof(name)) != 0)
		snprintf(name, sizeof(name), "(a name keyrite cannot show)");
	c->subject = kr_audit_strdup(name);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) !=
	    NULL && (dec = BN_bn2hex(bn)) != NULL)
		c->serial = kr_audit_strdup(dec);
	OPENSSL_free(dec);
	BN_free(bn);
	asn1_time(X509_get0_notBefore(x), c->not_before);
	asn1_time(X509_get0_notAfter(x), c->not_after);
	n = i2d_X509(x, &der);
	der_sha256(der, n, c->der_sha256);
	OPENSSL_free(der);
	der = NULL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	der_sha256(der, n, c->spki_id);
	OPENSSL_free(der);
}

static void
crl_fill(struct kr_audit_cert *c, X509_CRL *x)
{
	unsigned char *der = NULL;
	char name[KR_X509_NAME_TEXT_MAX];
	ASN1_INTEGER *num;
	BIGNUM *bn = NULL;
	char *dec = NULL;
	int n;

	c->x = x;
	c->ok = 1;
	c->is_crl = 1;
	if (kr_x509_name_text(X509_CRL_get_issuer(x), name,
	    sizeof(name)) != 0)
		snprintf(name, sizeof(name), "(a name keyrite cannot show)");
	c->subject = kr_audit_strdup(name);
	if ((num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL)) !=
	    NULL && (bn = ASN1_INTEGER_to_BN(num, NULL)) != NULL &&
	    (dec = BN_bn2dec(bn)) != NULL)
		c->serial = kr_audit_strdup(dec);
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	asn1_time(X509_CRL_get0_lastUpdate(x), c->not_before);
	asn1_time(X509_CRL_get0_nextUpdate(x), c->not_after);
	n = i2d_X509_CRL(x, &der);
	der_sha256(der, n, c->der_sha256);
	OPENSSL_free(der);
}

static int
add_cert(struct kr_audit *a, int file, const char *text, size_t len,
    int crl)
{
	const unsigned char *p = (const unsigned char *)text;
	struct kr_audit_cert *c;
	X509_CRL *xc = NULL;
	X509 *x = NULL;
	BIO *bio;

	if ((c = realloc(a->certs, (a->ncerts + 1) * sizeof(*c))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->certs = c;
	c += a->ncerts;
	memset(c, 0, sizeof(*c));
	c->ref.file = file;
	c->key = -1;
	c->signer = -1;
	c->is_crl = crl;
	a->files[file].item = (int)a->ncerts++;
	if (len > 0 && (unsigned char)text[0] == 0x30) {
		if (crl)
			xc = d2i_X509_CRL(NULL, &p, (long)len);
		else
			x = d2i_X509(NULL, &p, (long)len);
	} else if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL) {
		if (crl)
			xc = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		else
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	if (x != NULL)
		cert_fill(c, x);
	else if (xc != NULL)
		crl_fill(c, xc);
	else
		c->error = kr_audit_strdup(crl ? "not a CRL OpenSSL can read" :
		    "not a certificate OpenSSL can read");
	return 0;
}

static int
add_policy_file(struct kr_audit *a, int file, const char *text, size_t len)
{
	struct kr_audit_policy p;

	if (a->opt.read_policy == NULL)
		return 0;
	memset(&p, 0, sizeof(p));
	if (a->opt.read_policy(a->files[file].path, text, len, &p) != 0) {
		kr_audit_find(a, "policy-unreadable", KR_AUDIT_LOW,
		    &(struct kr_audit_ref){ file, 0 }, -1, -1, "policy file "
		    "%s does not parse: %s", a->files[file].path,
		    kr_err_detail());
		return 0;
	}
	p.ref.file = file;
	memcpy(p.sha256, a->files[file].sha256, 32);
	return kr_audit_add_policy(a, &p);
}

/* --- classifying ---------------------------------------------------------- */

static int
starts(const char *text, size_t len, const char *magic)
{
	size_t n = strlen(magic);

	return len >= n && memcmp(text, magic, n) == 0;
}

static int
has_line(const char *text, size_t len, const char *line)
{
	size_t n = strlen(line), i;

	for (i = 0; i + n <= len; i++)
		if ((i == 0 || text[i - 1] == '\n') &&
		    memcmp(text + i, line, n) == 0 &&
		    (i + n == len || text[i + n] == '\n'))
			return 1;
	return 0;
}

static int
ends(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcasecmp(s + n - m, tail) == 0;
}

static int
scan_image(const char *path)
{
	return ends(path, ".png") || ends(path, ".jpg") ||
	    ends(path, ".jpeg") || ends(path, ".pnm") || ends(path, ".pgm") ||
	    ends(path, ".ppm") || ends(path, ".pbm");
}

/* Reads a known file and adds it; unknown files are counted. */
static int
take(struct kr_audit *a, const char *path, const struct stat *st)
{
	enum kr_audit_file_kind kind;
	uint8_t sha[32];
	char *text = NULL, head[64];
	size_t len = 0, max;
	FILE *f;
	int idx, r, crl = 0;

	if (a->opt.scan && (ends(path, ".pdf") || scan_image(path)))
		return 0;	/* gathered by scan_groups() */
	if ((f = fopen(path, "rb")) == NULL) {
		a->ignored++;
		return 0;
	}
	len = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (starts(head, len, "keyrite-transcript: ")) {
		kind = KR_AUDIT_TRANSCRIPT;
		max = KR_TRANSCRIPT_FILE_MAX;
	} else if (starts(head, len, "keyrite-escrow: ")) {
		kind = KR_AUDIT_ESCROW;
		max = SMALL_MAX;
	} else if (starts(head, len, "-----BEGIN CERTIFICATE-----") ||
	    (len > 0 && (unsigned char)head[0] == 0x30 &&
	    (ends(path, ".der") || ends(path, ".cer") || ends(path, ".crt")))) {
		kind = KR_AUDIT_CERTIFICATE;
		max = SMALL_MAX;
	} else if (starts(head, len, "-----BEGIN X509 CRL-----") ||
	    (len > 0 && (unsigned char)head[0] == 0x30 &&
	    ends(path, ".crl"))) {
		kind = KR_AUDIT_CRL;
		max = SMALL_MAX;
		crl = 1;
	} else if (ends(path, ".conf") && st->st_size <= POLICY_MAX) {
		kind = KR_AUDIT_POLICY;
		max = POLICY_MAX;
	} else {
		a->ignored++;
		return 0;
	}
	if ((r = kr_media_read(path, max, &text, &len, sha)) != 0) {
		if (r == KR_ERR_NOMEM)
			return r;
		/* Unreadable or too large: a transcript is a finding. */
		if (kind != KR_AUDIT_TRANSCRIPT) {
			a->ignored++;
			return 0;
		}
		memset(sha, 0, sizeof(sha));
		if ((r = add_file(a, path, kind, sha, &idx)) != 0 ||
		    (r = new_transcript(a, idx, NULL, 0, NULL)) != 0)
			return r;
		a->transcripts[a->ntranscripts - 1].status =
		    KR_AUDIT_UNREADABLE;
		a->transcripts[a->ntranscripts - 1].error =
		    kr_audit_strdup(kr_err_detail());
		return 0;
	}
	if (kind == KR_AUDIT_POLICY && !has_line(text, len, "[policy]")) {
		free(text);
		a->ignored++;
		return 0;
	}
	if ((r = add_file(a, path, kind, sha, &idx)) != 0)
		goto out;
	if (a->files[idx].same_as >= 0)
		goto out;	/* a copy: counted once */
	switch (kind) {
	case KR_AUDIT_TRANSCRIPT:
		r = new_transcript(a, idx, text, len, NULL);
		if (r == 0)
			text = NULL;	/* kept */
		break;
	case KR_AUDIT_ESCROW:
		r = add_escrow(a, idx, text, len);
		break;
	case KR_AUDIT_CERTIFICATE:
	case KR_AUDIT_CRL:
		r = add_cert(a, idx, text, len, crl);
		break;
	case KR_AUDIT_POLICY:
		r = add_policy_file(a, idx, text, len);
		break;
	default:
		break;
	}
 out:
	free(text);
	return r;
}

struct pathlist {
	char	**v;
	size_t	  n, cap;
	char	**scans;	/* scan files (--scan) */
	size_t	  ns, scap;
};

static int
walk(struct pathlist *pl, const char *dir, int depth, int scan)
{
	struct dirent *d;
	struct stat st;
	char *path;
	DIR *dp;
	int r = 0;

	if (depth > MAX_DEPTH)
		return 0;
	if ((dp = opendir(dir)) == NULL)
		return kr_err_set(KR_ERR_IO, "%s: %s", dir, strerror(errno));
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;	/* ., .., staging, temporaries */
		if ((path = format("%s/%s", dir, d->d_name)) == NULL) {
			r = kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
			break;
		}
		if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode)) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			r = walk(pl, path, depth + 1, scan);
			free(path);
			if (r != 0 && r != KR_ERR_IO)
				break;
			r = 0;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (scan && (ends(path, ".pdf") || scan_image(path))) {
			if ((r = grow(&pl->scans, &pl->scap, pl->ns,
			    sizeof(char *))) != 0) {
				free(path);
				break;
			}
			pl->scans[pl->ns++] = path;
			continue;
		}
		if ((r = grow(&pl->v, &pl->cap, pl->n, sizeof(char *))) != 0) {
			free(path);
			break;
		}
		pl->v[pl->n++] = path;
	}
	closedir(dp);
	return r;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * With --scan: each PDF is one paper record; the images of one folder
 * together are one (a folder per scanned record).
 */
static int
scan_groups(struct kr_audit *a, struct pathlist *pl)
{
	static const uint8_t zero[32];
	size_t i, j, n;
	char *dir;
	int idx, r;

	for (i = 0; i < pl->ns; i = j) {
		n = strrchr(pl->scans[i], '/') - pl->scans[i];
		j = i + 1;
		if (!ends(pl->scans[i], ".pdf"))
			while (j < pl->ns && !ends(pl->scans[j], ".pdf") &&
			    strncmp(pl->scans[j], pl->scans[i], n) == 0 &&
			    pl->scans[j][n] == '/' &&
			    strchr(pl->scans[j] + n + 1, '/') == NULL)
				j++;
		if ((r = add_file(a, pl->scans[i], KR_AUDIT_SCAN, zero,
		    &idx)) != 0)
			return r;
		a->files[idx].same_as = -1;
		dir = ends(pl->scans[i], ".pdf") ? kr_audit_strdup(
		    pl->scans[i]) : kr_audit_strndup(pl->scans[i], n);
		if (dir == NULL || (r = new_transcript(a, idx, NULL, 0,
		    dir)) != 0) {
			free(dir);
			return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
		}
		a->transcripts[a->ntranscripts - 1].from_scan = 1;
		a->transcripts[a->ntranscripts - 1].scan.file = idx;
	}
	return 0;
}

int
kr_audit_add_dir(struct kr_audit *a, const char *dir)
{
	struct pathlist pl;
	struct stat st;
	char **d;
	size_t i;
	int r;

	memset(&pl, 0, sizeof(pl));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return kr_err_set(KR_ERR_IO, "%s: %s", dir, errno != 0 &&
		    !S_ISDIR(st.st_mode) ? "not a directory" :
		    strerror(errno));
	if ((d = realloc(a->dirs, (a->ndirs + 1) * sizeof(*d))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	a->dirs = d;
	a->dirs[a->ndirs++] = kr_audit_strdup(dir);
	if ((r = walk(&pl, dir, 0, a->opt.scan)) != 0)
		goto out;
	if (pl.n > 0)
		qsort(pl.v, pl.n, sizeof(char *), cmp_str);
	if (pl.ns > 0)
		qsort(pl.scans, pl.ns, sizeof(char *), cmp_str);
	for (i = 0; i < pl.n; i++) {
		if (stat(pl.v[i], &st) != 0)
			continue;
		if ((r = take(a, pl.v[i], &st)) != 0)
			goto out;
	}
	r = scan_groups(a, &pl);
 out:
	for (i = 0; i < pl.n; i++)
		free(pl.v[i]);
	for (i = 0; i < pl.ns; i++)
		free(pl.scans[i]);
	free(pl.v);
	free(pl.scans);
	return r;
}

/* --- verifying ------------------------------------------------------------ */

static void
person_free(struct kr_audit_person *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].card);
		free(v[i].serial);
	}
	free(v);
}

static void
transcript_free(struct kr_audit_transcript *t)
{
	size_t i;

	free(t->error);
	for (i = 0; i < t->nmissing; i++) {
		free(t->missing[i].label);
		free(t->missing[i].serial);
		free(t->missing[i].reason);
	}
	free(t->missing);
	free(t->end_reason);
	free(t->operator_.name);
	free(t->reason);
	free(t->authorization);
	person_free(t->witnesses, t->nwitnesses);
	person_free(t->custodians, t->ncustodians);
	person_free(t->cards, t->ncards);
	person_free(t->shares, t->nshares);
	free(t->escrow_name);
	free(t->signer_spki);
	for (i = 0; i < t->nacts; i++)
		free(t->acts[i].detail);
	free(t->acts);
}

/* Reads a paper record's codes into x->text (in the calling thread). */
static void
read_scan(struct kr_audit *a, size_t i)
{
	struct kr_audit_transcript *t = &a->transcripts[i];
	struct kr_audit_text *x = &((struct kr_audit_priv *)a->priv)->texts[i];
	struct kr_scan *s = NULL;
	struct dirent *d;
	char *path;
	DIR *dp;
	int r;

	if ((r = kr_scan_new(&s)) != 0)
		goto out;
	if (ends(x->scan_dir, ".pdf"))
		r = kr_scan_add_file(s, x->scan_dir);
	else if ((dp = opendir(x->scan_dir)) != NULL) {
		while (r == 0 && (d = readdir(dp)) != NULL) {
			if (d->d_name[0] == '.' || !scan_image(d->d_name))
				continue;
			if ((path = format("%s/%s", x->scan_dir,
			    d->d_name)) == NULL)
				break;
			r = kr_scan_add_file(s, path);
			free(path);
		}
		closedir(dp);
	}
	if (r == 0)
		r = kr_scan_finish(s, &x->text, &x->len, NULL);
 out:
	if (r != 0) {
		t->status = KR_AUDIT_UNREADABLE;
		t->error = kr_audit_strdup(kr_err_detail());
	}
	kr_scan_free(s);
}

static void
take_summary(struct kr_audit_transcript *t,
    const struct kr_transcript_summary *s)
{
	const struct kr_transcript_header *h = &s->header;
	unsigned int i;

	memcpy(t->ceremony_id, h->ceremony_id, sizeof(t->ceremony_id));
	memcpy(t->ceremony, h->ceremony, sizeof(t->ceremony));
	memcpy(t->started, h->started, sizeof(t->started));
	memcpy(t->ended, s->ended, sizeof(t->ended));
	t->rehearsal = h->rehearsal;
	t->has_previous = h->has_previous;
	memcpy(t->previous, h->previous_sha256, 32);
	memcpy(t->policy_sha256, h->policy_sha256, 32);
	t->records = s->records;
	snprintf(t->signer_alg, sizeof(t->signer_alg), "%s", s->algorithm);
	memcpy(t->signer_key_id, s->signer_key_id, 32);
	t->cosign_expected = s->nexpected;
	t->cosign_present = 0;
	for (i = 0; i < s->nexpected; i++)
		t->cosign_present += s->expected[i].present != 0;
	if (t->cosign_present == s->nexpected || (t->missing = calloc(
	    s->nexpected - t->cosign_present, sizeof(*t->missing))) == NULL)
		return;
	for (i = 0; i < s->nexpected; i++) {
		struct kr_audit_missing *m = &t->missing[t->nmissing];

		if (s->expected[i].present)
			continue;
		m->label = kr_audit_strdup(s->expected[i].label);
		m->serial = kr_audit_strdup(s->expected[i].serial);
		m->reason = kr_audit_strdup(s->expected[i].missing);
		m->ref = t->ref;
		t->nmissing++;
	}
}

static void
verify_one(struct kr_audit *a, size_t i, struct kr_transcript_summary *s)
{
	struct kr_audit_transcript *t = &a->transcripts[i];
	struct kr_audit_text *x = &((struct kr_audit_priv *)a->priv)->texts[i];
	const char *source = a->files[t->ref.file].path;
	int r;

	if (t->status == KR_AUDIT_UNREADABLE || x->text == NULL)
		return;
	r = kr_transcript_verify(x->text, x->len, source, NULL, 0, s);
	switch (r) {
	case 0:
		t->status = s->complete ? KR_AUDIT_GOOD : KR_AUDIT_INCOMPLETE;
		take_summary(t, s);
		break;
	case KR_ERR_TRANSCRIPT_UNSEALED:
		t->status = KR_AUDIT_UNSEALED;
		t->error = kr_audit_strdup(kr_err_detail());
		take_summary(t, s);
		break;
	default:
		t->status = KR_AUDIT_BAD;
		t->error = kr_audit_strdup(kr_err_detail());
		break;
	}
}

struct worker {
	struct kr_audit		*a;
	pthread_mutex_t		*lock;
	size_t			*next;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct kr_transcript_summary *s;
	size_t i;

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	for (;;) {
		pthread_mutex_lock(w->lock);
		i = (*w->next)++;
		pthread_mutex_unlock(w->lock);
		if (i >= w->a->ntranscripts)
			break;
		verify_one(w->a, i, s);
	}
	free(s);
	return NULL;
}

static int
verify_all(struct kr_audit *a)
{
	pthread_t tid[MAX_THREADS];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct worker w = { a, &lock, NULL };
	size_t next = 0, i;
	unsigned int n = a->opt.threads, started = 0;
	long cpus;

	w.next = &next;
	for (i = 0; i < a->ntranscripts; i++)
		if (a->transcripts[i].from_scan)
			read_scan(a, i);
	if (n == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS :
		    (unsigned int)cpus;
	}
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	for (; started + 1 < n; started++)
		if (pthread_create(&tid[started], NULL, worker_main, &w) != 0)
			break;
	worker_main(&w);	/* this thread works too */
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

/*
 * A paper record and a file with the same bytes are one transcript: the
 * file stays, and says that the paper agrees.  Two scans of one record
 * likewise count once.
 */
static void
merge_scans(struct kr_audit *a)
{
	struct kr_audit_priv *p = a->priv;
	uint8_t sha[32];
	size_t i, j, k;

	for (i = 0; i < a->ntranscripts; i++) {
		struct kr_audit_transcript *t = &a->transcripts[i];

		if (t->from_scan != 1 || p->texts[i].text == NULL)
			continue;
		der_sha256((const unsigned char *)p->texts[i].text,
		    (int)p->texts[i].len, sha);
		memcpy(a->files[t->ref.file].sha256, sha, 32);
		for (j = 0; j < a->ntranscripts; j++) {
			struct kr_audit_transcript *u = &a->transcripts[j];

			if (j == i || (u->from_scan == 1 && j > i) ||
			    u->status == KR_AUDIT_UNREADABLE ||
			    memcmp(a->files[u->ref.file].sha256, sha, 32) != 0)
				continue;
			if (u->from_scan != 1) {
				u->from_scan = 2;
				u->scan = t->scan;
			}
			a->files[t->ref.file].same_as = u->ref.file;
			transcript_free(t);
			free(p->texts[i].text);
			free(p->texts[i].scan_dir);
			for (k = i; k + 1 < a->ntranscripts; k++) {
				a->transcripts[k] = a->transcripts[k + 1];
				p->texts[k] = p->texts[k + 1];
			}
			a->ntranscripts--;
			i--;
			break;
		}
	}
}

/* Oldest first; a transcript without a start time (BAD) goes last. */
static int
cmp_started(const void *x, const void *y)
{
	const struct kr_audit_transcript *t = x, *u = y;
	int c;

	if ((t->started[0] == '\0') != (u->started[0] == '\0'))
		return t->started[0] == '\0' ? 1 : -1;
	if ((c = strcmp(t->started, u->started)) != 0)
		return c;
	if ((c = strcmp(t->ceremony_id, u->ceremony_id)) != 0)
		return c;
	return t->ref.file - u->ref.file;
}

/* Sorts transcripts by start, keeping their texts alongside. */
static int
sort_transcripts(struct kr_audit *a)
{
	struct kr_audit_priv *p = a->priv;
	struct kr_audit_text *texts;
	size_t i, j, n = a->ntranscripts;

	if (n == 0)
		return 0;
	if ((texts = calloc(n, sizeof(*texts))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "audit: out of memory");
	/* Remember each transcript's text by its file, then sort. */
	for (i = 0; i < n; i++)
		a->files[a->transcripts[i].ref.file].item = (int)i;
	qsort(a->transcripts, n, sizeof(*a->transcripts), cmp_started);
	for (i = 0; i < n; i++) {
		j = (size_t)a->files[a->transcripts[i].ref.file].item;
		texts[i] = p->texts[j];
	}
	for (i = 0; i < n; i++) {
		a->files[a->transcripts[i].ref.file].item = (int)i;
		if (a->transcripts[i].scan.file >= 0)
			a->files[a->transcripts[i].scan.file].item = (int)i;
	}
	for (i = 0; i < a->nfiles; i++)
		if (a->files[i].same_as >= 0 &&
		    (a->files[i].kind == KR_AUDIT_TRANSCRIPT ||
		    a->files[i].kind == KR_AUDIT_SCAN))
			a->files[i].item = a->files[a->files[i].same_as].item;
	free(p->texts);
	p->texts = texts;
	return 0;
}

int
kr_audit_finish(struct kr_audit *a)
{
	struct kr_audit_priv *p = a->priv;
	size_t i;
	int r;

	if ((r = verify_all(a)) != 0)
		return r;
	merge_scans(a);
	if ((r = sort_transcripts(a)) != 0)
		return r;
	for (i = 0; i < a->ntranscripts; i++) {
		if ((r = kr_audit_read_records(a, i)) != 0)
			return r;
		free(p->texts[i].text);
		p->texts[i].text = NULL;
	}
	kr_audit_hash_sort(a);
	return kr_audit_judge(a);
}

void
kr_audit_free(struct kr_audit *a)
{
	struct kr_audit_priv *p;
	size_t i;

	if (a == NULL)
		return;
	p = a->priv;
	for (i = 0; i < a->ntranscripts; i++) {
		transcript_free(&a->transcripts[i]);
		if (p != NULL && p->texts != NULL) {
			free(p->texts[i].text);
			free(p->texts[i].scan_dir);
		}
	}
	free(a->transcripts);
	for (i = 0; i < a->nescrows; i++) {
		free(a->escrows[i].error);
		person_free(a->escrows[i].roster, a->escrows[i].n);
	}
	free(a->escrows);
	for (i = 0; i < a->ncerts; i++) {
		free(a->certs[i].error);
		free(a->certs[i].subject);
		free(a->certs[i].serial);
		if (a->certs[i].is_crl)
			X509_CRL_free(a->certs[i].x);
		else
			X509_free(a->certs[i].x);
	}
	free(a->certs);
	for (i = 0; i < a->npolicies; i++) {
		free(a->policies[i].source);
		free(a->policies[i].classes);
	}
	free(a->policies);
	for (i = 0; i < a->nkeys; i++) {
		free(a->keys[i].events);
		free(a->keys[i].certs);
		free(a->keys[i].signed_);
		EVP_PKEY_free(a->keys[i].pkey);
	}
	free(a->keys);
	for (i = 0; i < a->nfindings; i++)
		free(a->findings[i].text);
	free(a->findings);
	for (i = 0; i < a->nfiles; i++)
		free(a->files[i].path);
	free(a->files);
	for (i = 0; i < a->ndirs; i++)
		free(a->dirs[i]);
	free(a->dirs);
	if (p != NULL) {
		free(p->texts);
		free(p->hashes);
		free(p->key);
	}
	free(p);
	free(a);
}
