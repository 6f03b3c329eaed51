/*
 * x509-options.c: what a ceremony may ask to put in a certificate
 * (struct kr_x509_options, x509-issue.h), read from the text of its
 * parameters: policy OIDs, extended key usages, URIs, name constraints.
 * Each key is a row of a table with its reader; every reader says which
 * parameter and which entry is wrong.  Nothing here is secret.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "x509-int.h"
#include "x509-issue.h"

void
kr_x509_options_init(struct kr_x509_options *o)
{
	memset(o, 0, sizeof(*o));
	o->path_len = -1;
}

static int __attribute__((format(printf, 2, 3)))
opt_err(const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_X509_REQUEST, "%s: %s", key, msg);
}

/* A dotted OID in canonical form ("2.23.140.1.2.1"). */
static int
oid_ok(const char *s)
{
	ASN1_OBJECT *o;
	char back[KR_X509_OID_MAX];
	const char *p;
	int ok;

	if (strlen(s) >= KR_X509_OID_MAX || (s[0] != '0' && s[0] != '1' &&
	    s[0] != '2') || s[1] != '.')
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.') ||
		    (*p == '.' && (p[1] == '.' || p[1] == '\0')) ||
		    (*p == '0' && (p == s || p[-1] == '.') && p[1] >= '0' &&
		    p[1] <= '9'))
			return 0;
	if ((o = OBJ_txt2obj(s, 1)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	ok = OBJ_obj2txt(back, sizeof(back), o, 1) > 0 &&
	    strcmp(back, s) == 0;
	ASN1_OBJECT_free(o);
	return ok;
}

/* Splits value at spaces into words, each checked by word(). */
static int
oid_list(const char *key, const char *value,
    char (*list)[KR_X509_OID_MAX], size_t *np,
    int (*word)(const char *, const char *, char *))
{
	char w[KR_X509_OID_MAX + 32], oid[KR_X509_OID_MAX];
	const char *p = value, *end;
	size_t len, i;
	int r;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ' '; end++)
			;
		len = (size_t)(end - p);
		if (len >= sizeof(w))
			return opt_err(key, "'%.40s...' is too long to be an "
			    "OID", p);
		memcpy(w, p, len);
		w[len] = '\0';
		if ((r = word(key, w, oid)) != 0)
			return r;
		for (i = 0; i < *np; i++)
			if (strcmp(list[i], oid) == 0)
				return opt_err(key, "%s is listed twice", w);
		if (*np == KR_X509_MAX_OIDS)
			return kr_err_set(KR_ERR_X509_REQUEST, "%s: more than "
			    "%d entries", key, KR_X509_MAX_OIDS);
		snprintf(list[(*np)++], KR_X509_OID_MAX, "%s", oid);
		p = end;
	}
	return 0;
}

static int
policy_word(const char *key, const char *w, char *oid)
{
	if (strcmp(w, "anyPolicy") == 0)
		w = "2.5.29.32.0";
	if (!oid_ok(w))
		return opt_err(key, "'%.64s' is not a dotted OID (e.g. "
		    "2.23.140.1.2.1) or anyPolicy", w);
	snprintf(oid, KR_X509_OID_MAX, "%s", w);
	return 0;
}

static const struct { const char *name, *oid; } eku_names[] = {
	{ "serverAuth", "1.3.6.1.5.5.7.3.1" },
	{ "clientAuth", "1.3.6.1.5.5.7.3.2" },
	{ "codeSigning", "1.3.6.1.5.5.7.3.3" },
	{ "emailProtection", "1.3.6.1.5.5.7.3.4" },
	{ "timeStamping", "1.3.6.1.5.5.7.3.8" },
	{ "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
};

static int
eku_word(const char *key, const char *w, char *oid)
{
	size_t i;

	for (i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
		if (strcmp(w, eku_names[i].name) == 0) {
			snprintf(oid, KR_X509_OID_MAX, "%s", eku_names[i].oid);
			return 0;
		}
	if (strcmp(w, "anyExtendedKeyUsage") == 0 ||
	    strcmp(w, "2.5.29.37.0") == 0)
		return opt_err(key, "%s: a CA certificate may not carry "
		    "anyExtendedKeyUsage (BR 7.1.2.10.6)", w);
	if (!oid_ok(w))
		return opt_err(key, "'%.64s' is not serverAuth, clientAuth, "
		    "codeSigning, emailProtection, timeStamping, OCSPSigning "
		    "or a dotted OID", w);
	snprintf(oid, KR_X509_OID_MAX, "%s", w);
	return 0;
}

static int
parse_policies(struct kr_x509_options *o, const char *key, const char *v)
{
	return oid_list(key, v, o->policies, &o->npolicies, policy_word);
}

static int
parse_eku(struct kr_x509_options *o, const char *key, const char *v)
{
	return oid_list(key, v, o->ekus, &o->nekus, eku_word);
}

/* One http:// URI of printable ASCII; *dst is one of o's URI fields. */
static int
uri_ok(const char *key, const char *v, char *dst)
{
	size_t i, len = strlen(v);

	if (strncmp(v, "http://", 7) != 0 || len == 7)
		return opt_err(key, "'%.64s' is not an http:// URI: relying "
		    "parties fetch CRLs and issuer certificates over plain "
		    "HTTP (BR 7.1.2.10.6, 7.1.2.10.3)", v);
	if (len >= KR_X509_URI_MAX)
		return kr_err_set(KR_ERR_X509_REQUEST, "%s: the URI is %zu "
		    "bytes; at most %d", key, len, KR_X509_URI_MAX - 1);
	for (i = 0; i < len; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return opt_err(key, "'%.64s': a URI is printable ASCII "
			    "without spaces (percent-encode the rest)", v);
	memcpy(dst, v, len + 1);
	return 0;
}

static int
parse_crl_uri(struct kr_x509_options *o, const char *key, const char *v)
{
	return uri_ok(key, v, o->crl_uri);
}

static int
parse_ca_issuers(struct kr_x509_options *o, const char *key, const char *v)
{
	return uri_ok(key, v, o->ca_issuers_uri);
}

static int
parse_ocsp(struct kr_x509_options *o, const char *key, const char *v)
{
	return uri_ok(key, v, o->ocsp_uri);
}

/* LDH labels separated by dots, an optional leading dot. */
static int
dns_ok(const char *s)
{
	size_t label = 0, total = strlen(s);
	const char *p = s;

	if (*p == '.')
		p++;
	if (*p == '\0' || total > 253)
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-' || p[1] == '\0')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
		if (*p == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return p[-1] != '-';
}

static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL)
		return dns_ok(s);
	if (at == s || strchr(at + 1, '@') != NULL || at[1] == '.')
		return 0;
	for (p = s; p < at; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '(' || *p == ')' ||
		    *p == ',' || *p == ';' || *p == ':' || *p == '<' ||
		    *p == '>' || *p == '[' || *p == ']' || *p == '\\' ||
		    *p == '"')
			return 0;
	return dns_ok(at + 1);
}

/* One "type:value" entry into t. */
static int
subtree(const char *key, const char *e, struct kr_x509_subtree *t)
{
	X509_NAME *dn = NULL;
	const char *v;
	size_t n;
	int r;

	if (strncmp(e, "dns:", 4) == 0) {
		t->type = KR_X509_SUBTREE_DNS;
		v = e + 4;
		if (!dns_ok(v))
			return opt_err(key, "'%.64s' is not a DNS name "
			    "(letters, digits and '-' in labels separated by "
			    "dots, an optional leading dot)", v);
	} else if (strncmp(e, "email:", 6) == 0) {
		t->type = KR_X509_SUBTREE_EMAIL;
		v = e + 6;
		if (!email_ok(v))
			return opt_err(key, "'%.64s' is not a mailbox, a host "
			    "or a .domain", v);
	} else if (strncmp(e, "dn:", 3) == 0) {
		t->type = KR_X509_SUBTREE_DN;
		v = e + 3;
		r = kr_x509_dn_parse(v, &dn);
		X509_NAME_free(dn);
		if (r != 0)
			return kr_err_set(KR_ERR_X509_REQUEST, "%s: dn:%.64s: "
			    "%s", key, v, kr_err_detail());
	} else
		return opt_err(key, "'%.64s' does not start with dns:, email: "
		    "or dn:", e);
	if ((n = strlen(v)) >= sizeof(t->value))
		return opt_err(key, "'%.40s...' is too long", v);
	memcpy(t->value, v, n + 1);
	return 0;
}

static int
subtree_list(const char *key, const char *value,
    struct kr_x509_subtree *list, size_t *np)
{
	char e[KR_X509_SUBJECT_MAX + 16];
	const char *p = value, *end;
	size_t len, i;
	int r;

	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		/* A ';' escaped in a dn: value stays in it. */
		for (end = p; *end != '\0' && *end != ';'; end++)
			if (*end == '\\' && end[1] != '\0')
				end++;
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len >= sizeof(e))
			return opt_err(key, "'%.40s...' is too long", p);
		memcpy(e, p, len);
		e[len] = '\0';
		if (*np == KR_X509_MAX_SUBTREES)
			return kr_err_set(KR_ERR_X509_REQUEST, "%s: more than "
			    "%d entries", key, KR_X509_MAX_SUBTREES);
		if ((r = subtree(key, e, &list[*np])) != 0)
			return r;
		for (i = 0; i < *np; i++)
			if (list[i].type == list[*np].type &&
			    strcmp(list[i].value, list[*np].value) == 0)
				return opt_err(key, "%.64s is listed twice", e);
		(*np)++;
		p = end;
	}
	return 0;
}

static int
parse_permitted(struct kr_x509_options *o, const char *key, const char *v)
{
	return subtree_list(key, v, o->permitted, &o->npermitted);
}

static int
parse_excluded(struct kr_x509_options *o, const char *key, const char *v)
{
	return subtree_list(key, v, o->excluded, &o->nexcluded);
}

static const struct {
	const char	*key;
	int		(*parse)(struct kr_x509_options *, const char *,
			    const char *);
} option_keys[] = {
	{ "policies", parse_policies },
	{ "eku", parse_eku },
	{ "crl-uri", parse_crl_uri },
	{ "ca-issuers-uri", parse_ca_issuers },
	{ "ocsp-uri", parse_ocsp },
	{ "permitted", parse_permitted },
	{ "excluded", parse_excluded },
};

int
kr_x509_option_parse(struct kr_x509_options *o, const char *key,
    const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(option_keys) / sizeof(option_keys[0]); i++)
		if (strcmp(option_keys[i].key, key) == 0)
			return value == NULL || *value == '\0' ? 0 :
			    option_keys[i].parse(o, key, value);
	return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no certificate option "
	    "%s", key);
}

