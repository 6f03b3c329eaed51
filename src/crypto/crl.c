/*
 * crl.c: reading a previous CRL, planning the next and issuing it with
 * the CA key (crl.h), to the profile in docs/certificates.md.
 *
 * A previous CRL is trusted only as far as it verifies under the issuer
 * given: its number and its entries are carried into the next CRL, so a
 * CRL of another CA, or altered, is refused.  The CRL issued is checked
 * field by field against its plan, before and after it is signed, by
 * decoding what was built (check_crl()), then verified under the issuer's
 * public key.  Nothing here is secret but the key kr_crl_issue() is given.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/hex.h"
#include "crl.h"
#include "x509-int.h"

#define PEM_DASHES	"-----BEGIN "

static int
crl_err(const struct kr_crl *c, const char *what)
{
	return kr_err_set(KR_ERR_CRL, "%s: %s", c->source, what);
}

/* --- reading ------------------------------------------------------------- */

static int
all_space(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace(p[i]))
			return 0;
	return 1;
}

static int
from_pem(struct kr_crl *c, const uint8_t *data, size_t len, uint8_t **derp,
    long *dlenp)
{
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	uint8_t rest[256];
	BIO *bio;
	long dlen = 0;
	int n, r = KR_ERR_INTERNAL;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return kr_err_libcrypto(KR_ERR_NOMEM, c->source);
	if (PEM_read_bio(bio, &label, &header, &der, &dlen) != 1) {
		r = crl_err(c, "the PEM block does not decode (a line is "
		    "damaged, or the END line is missing)");
		goto out;
	}
	if (strcmp(label, "X509 CRL") != 0) {
		r = kr_err_set(KR_ERR_CRL, "%s: a PEM block labelled "
		    "\"%.40s\", not X509 CRL: this is not a CRL", c->source,
		    label);
		goto out;
	}
	if (header[0] != '\0') {
		r = crl_err(c, "the PEM block has headers; a CRL has none");
		goto out;
	}
	while ((n = BIO_read(bio, rest, sizeof(rest))) > 0)
		if (!all_space(rest, (size_t)n)) {
			r = crl_err(c, "something follows the CRL; the file "
			    "must hold exactly one");
			goto out;
		}
	*derp = der;
	*dlenp = dlen;
	der = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return r;
}

static int
decode(struct kr_crl *c, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	int same;

	if ((c->crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return crl_err(c, "not a CRL: neither a PEM \"X509 CRL\" nor "
		    "DER, or truncated");
	}
	if (p != der + len)
		return crl_err(c, "bytes follow the CRL; the file must hold "
		    "exactly one");
	same = i2d_X509_CRL(c->crl, &again) == (int)len &&
	    memcmp(again, der, len) == 0;
	OPENSSL_free(again);
	if (!same)
		return crl_err(c, "the CRL is not in DER (re-encoding it "
		    "changes its bytes)");
	if (EVP_Digest(der, len, c->sha256, NULL, EVP_sha256(), NULL) != 1)
		return kr_err_libcrypto(KR_ERR_LIBCRYPTO, c->source);
	return 0;
}

static time_t
to_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

/* Serial number of an entry or certificate, as a positive magnitude. */
static int
serial_of(const ASN1_INTEGER *ai, struct kr_crl_entry *e)
{
	BIGNUM *bn;
	int n, ok;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return 0;
	n = BN_num_bytes(bn);
	ok = !BN_is_negative(bn) && !BN_is_zero(bn) &&
	    n <= KR_CRL_SERIAL_MAX && BN_bn2bin(bn, e->serial) == n;
	e->serial_len = (size_t)n;
	BN_free(bn);
	if (ok)
		kr_hex_encode(e->serial, e->serial_len, e->serial_hex,
		    sizeof(e->serial_hex));
	return ok;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct kr_crl_entry *x = a, *y = b;

	if (x->serial_len != y->serial_len)
		return x->serial_len < y->serial_len ? -1 : 1;
	return memcmp(x->serial, y->serial, x->serial_len);
}

static int
read_entry(struct kr_crl *c, X509_REVOKED *rv, struct kr_crl_entry *e)
{
	ASN1_ENUMERATED *en;
	int i, crit = -1;

	memset(e, 0, sizeof(*e));
	e->reason = KR_CRL_NO_REASON;
	if (!serial_of(X509_REVOKED_get0_serialNumber(rv), e))
		return crl_err(c, "an entry's serial number is not a positive "
		    "integer of at most 20 octets");
	if ((e->date = to_time(X509_REVOKED_get0_revocationDate(rv))) ==
	    (time_t)-1)
		return crl_err(c, "an entry's revocation date cannot be read");
	for (i = 0; i < X509_REVOKED_get_ext_count(rv); i++)
		if (X509_EXTENSION_get_critical(X509_REVOKED_get_ext(rv, i)) >
		    0)
			return kr_err_set(KR_ERR_CRL, "%s: the entry for "
			    "serial %s has a critical extension (an indirect "
			    "CRL?); keyrite cannot carry it over", c->source,
			    e->serial_hex);
	if ((en = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit,
	    NULL)) != NULL) {
		e->reason = (int)ASN1_ENUMERATED_get(en);
		ASN1_ENUMERATED_free(en);
		if (kr_crl_reason_name(e->reason) == NULL)
			return kr_err_set(KR_ERR_CRL, "%s: the entry for "
			    "serial %s has reason code %d, which RFC 5280 does "
			    "not define", c->source, e->serial_hex, e->reason);
	} else if (crit != -1)
		return kr_err_set(KR_ERR_CRL, "%s: the entry for serial %s "
		    "has a reasonCode that cannot be read", c->source,
		    e->serial_hex);
	return 0;
}

static int
read_entries(struct kr_crl *c)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(c->crl);
	int i, n = sk_X509_REVOKED_num(revs), r;
	size_t k;

	if (n <= 0)
		return 0;
	if (n > KR_CRL_MAX_ENTRIES)
		return kr_err_set(KR_ERR_CRL, "%s: %d entries; keyrite carries "
		    "at most %d", c->source, n, KR_CRL_MAX_ENTRIES);
	if ((c->e = calloc((size_t)n, sizeof(*c->e))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", c->source);
	for (i = 0; i < n; i++)
		if ((r = read_entry(c, sk_X509_REVOKED_value(revs, i),
		    &c->e[i])) != 0)
			return r;
	c->n = (size_t)n;
	qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
	for (k = 1; k < c->n; k++)
		if (entry_cmp(&c->e[k - 1], &c->e[k]) == 0)
			return kr_err_set(KR_ERR_CRL, "%s: serial %s is listed "
			    "twice", c->source, c->e[k].serial_hex);
	return 0;
}

static int
same_name(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;

	return X509_NAME_get0_der(a, &da, &la) == 1 &&
	    X509_NAME_get0_der(b, &db, &lb) == 1 && la == lb &&
	    memcmp(da, db, la) == 0;
}

static int
check_header(struct kr_crl *c, X509 *issuer, time_t now)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(
	    c->crl);
	ASN1_INTEGER *num;
	char issuer_text[KR_X509_NAME_TEXT_MAX] = "?";
	int i, crit = -1;

	if (X509_CRL_get_version(c->crl) != X509_CRL_VERSION_2)
		return crl_err(c, "not a version 2 CRL");
	if (!same_name(X509_CRL_get_issuer(c->crl),
	    X509_get_subject_name(issuer))) {
		(void)kr_x509_name_text(X509_CRL_get_issuer(c->crl),
		    issuer_text, sizeof(issuer_text));
		return kr_err_set(KR_ERR_CRL, "%s was issued by %s, not by "
		    "this root: give the root's own previous CRL", c->source,
		    issuer_text);
	}
	if (X509_CRL_verify(c->crl, X509_get0_pubkey(issuer)) != 1)
		return crl_err(c, "its signature does not verify under the "
		    "root's key: it was signed by another key or altered; "
		    "give the CRL this root last issued");
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts,
		    i)) > 0)
			return crl_err(c, "it has a critical extension (a "
			    "partitioned or delta CRL?): keyrite continues "
			    "only complete CRLs");
	if (X509_CRL_get_ext_by_NID(c->crl, NID_delta_crl, -1) >= 0)
		return crl_err(c, "it is a delta CRL; give the complete CRL");
	if ((num = X509_CRL_get_ext_d2i(c->crl, NID_crl_number, &crit,
	    NULL)) == NULL)
		return crl_err(c, "it has no CRL number (RFC 5280 5.2.3), so "
		    "the next number is unknown");
	i = ASN1_INTEGER_get_uint64(&c->number, num);
	ASN1_INTEGER_free(num);
	if (i != 1 || c->number >= UINT64_MAX / 2)
		return crl_err(c, "its CRL number is negative or too large "
		    "for keyrite to continue");
	if (kr_x509_time_text(X509_CRL_get0_lastUpdate(c->crl), "thisUpdate",
	    c->this_update) != 0)
		return crl_err(c, "its thisUpdate cannot be read");
	if (X509_CRL_get0_nextUpdate(c->crl) != NULL &&
	    kr_x509_time_text(X509_CRL_get0_nextUpdate(c->crl), "nextUpdate",
	    c->next_update) != 0)
		return crl_err(c, "its nextUpdate cannot be read");
	if (ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(c->crl), now) > 0)
		return kr_err_set(KR_ERR_CRL, "%s: its thisUpdate, %s, is in "
		    "the future: check this machine's clock", c->source,
		    c->this_update);
	return 0;
}

int
kr_crl_parse(const uint8_t *data, size_t len, const char *source,
    X509 *issuer, time_t now, struct kr_crl **cp)
{
	struct kr_crl *c;
	uint8_t *der = NULL;
	long dlen = 0;
	size_t skip = 0;
	int r = KR_ERR_INTERNAL;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading a CRL");
	snprintf(c->source, sizeof(c->source), "%s", source ? source : "CRL");
	if (data == NULL || len == 0) {
		r = crl_err(c, "empty; it must hold one CRL");
		goto out;
	}
	if (len > KR_CRL_MAX_BYTES) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "%s: %zu bytes; a CRL is at "
		    "most %u", c->source, len, KR_CRL_MAX_BYTES);
		goto out;
	}
	while (skip < len && isspace(data[skip]))
		skip++;
	if (len - skip >= strlen(PEM_DASHES) &&
	    memcmp(data + skip, PEM_DASHES, strlen(PEM_DASHES)) == 0) {
		if ((r = from_pem(c, data, len, &der, &dlen)) != 0 ||
		    (r = decode(c, der, (size_t)dlen)) != 0)
			goto out;
	} else if ((r = decode(c, data, len)) != 0)
		goto out;
	if ((r = check_header(c, issuer, now)) != 0 ||
	    (r = read_entries(c)) != 0)
		goto out;
	*cp = c;
	c = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	kr_crl_free(c);
	return r;
}

void
kr_crl_free(struct kr_crl *c)
{
	if (c == NULL)
		return;
	X509_CRL_free(c->crl);
	free(c->e);
	free(c);
}

/* --- planning ------------------------------------------------------------ */

const char *
kr_crl_reason_refused(int reason)
{
	switch (reason) {
	case 0:
		return "unspecified: a CA certificate's entry names its reason "
		    "(BR 7.2.2); give the real one";
	case 6:
		return "certificateHold: BR 7.2.2 forbids holds";
	case 8:
		return "removeFromCRL: only a delta CRL uses it (RFC 5280 "
		    "5.3.1); to undo a revocation leave the serial out";
	case 10:
		return "aACompromise: for attribute certificates only";
	}
	return NULL;
}

static const struct kr_crl_entry *
find_entry(const struct kr_crl_entry *e, size_t n,
    const struct kr_crl_entry *k)
{
	return n == 0 ? NULL : bsearch(k, e, n, sizeof(*e), entry_cmp);
}

int
kr_crl_plan_new(X509 *issuer, const struct kr_crl *prev,
    const struct kr_crl_list *list, int next_update_days,
    unsigned max_days, const char *policy, struct kr_crl_plan **pp)
{
	struct kr_x509_problems pb;
	struct kr_crl_plan *p = NULL;
	const ASN1_OCTET_STRING *ski;
	const struct kr_crl_entry *k;
	const char *why;
	size_t ncar = prev ? prev->n : 0, nadd = list ? list->n : 0, i;
	int r = KR_ERR_INTERNAL;

	*pp = NULL;
	memset(&pb, 0, sizeof(pb));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->e = calloc(ncar + nadd + 1, sizeof(*p->e))) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "planning a CRL");
		goto out;
	}
	if (X509_up_ref(issuer) != 1) {
		r = kr_err_libcrypto(KR_ERR_INTERNAL, "issuer");
		goto out;
	}
	p->issuer = issuer;
	p->number = prev != NULL ? prev->number + 1 : 1;
	p->next_update_days = next_update_days;
	p->max_days = max_days;
	snprintf(p->policy, sizeof(p->policy), "%s", policy ? policy : "?");
	if ((ski = X509_get0_subject_key_id(issuer)) == NULL ||
	    ski->length <= 0 || (size_t)ski->length > sizeof(p->issuer_ski))
		kr_x509_problem(&pb, "the root's certificate has no "
		    "subjectKeyIdentifier for the CRL's "
		    "authorityKeyIdentifier");
	else {
		memcpy(p->issuer_ski, ski->data, (size_t)ski->length);
		p->issuer_ski_len = (size_t)ski->length;
	}
	if (next_update_days < 1 || (unsigned)next_update_days > max_days)
		kr_x509_problem(&pb, "next_update_days %d is outside 1..%u, "
		    "the most policy %s allows for this key class",
		    next_update_days, max_days, p->policy);
	if (ncar + nadd > KR_CRL_MAX_ENTRIES)
		kr_x509_problem(&pb, "%zu entries; at most %d", ncar + nadd,
		    KR_CRL_MAX_ENTRIES);
	for (i = 0; i < ncar; i++)
		p->e[p->n++] = prev->e[i];
	for (i = 0; i < nadd; i++) {
		k = &list->e[i];
		if ((why = kr_crl_reason_refused(k->reason)) != NULL)
			kr_x509_problem(&pb, "%s:%zu: serial %s: reason %s",
			    list->source, k->line, k->serial_hex, why);
		if (prev != NULL && find_entry(prev->e, prev->n, k) != NULL)
			kr_x509_problem(&pb, "%s:%zu: serial %s is revoked "
			    "already by %s (CRL number %llu): remove the line",
			    list->source, k->line, k->serial_hex,
			    prev->source, (unsigned long long)prev->number);
		p->e[p->n++] = *k;
	}
	p->ncarried = ncar;
	p->nadded = nadd;
	qsort(p->e, p->n, sizeof(*p->e), entry_cmp);
	if ((r = kr_x509_problems_err(&pb, "the CRL")) != 0)
		goto out;
	*pp = p;
	p = NULL;
	r = 0;
 out:
	kr_crl_plan_free(p);
	return r;
}

void
kr_crl_plan_free(struct kr_crl_plan *p)
{
	if (p == NULL)
		return;
	X509_free(p->issuer);
	free(p->e);
	free(p);
}

/* --- building and checking ----------------------------------------------- */

static int
add_entry(X509_CRL *c, const struct kr_crl_entry *e, time_t now)
{
	X509_REVOKED *rv = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *en = NULL;
	int ok = 0;

	if ((rv = X509_REVOKED_new()) == NULL ||
	    kr_x509_serial_integer(e->serial, e->serial_len, &serial) != 0 ||
	    X509_REVOKED_set_serialNumber(rv, serial) != 1 ||
	    (t = ASN1_TIME_adj(NULL, e->date ? e->date : now, 0, 0)) == NULL ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1)
		goto out;
	if (e->reason != KR_CRL_NO_REASON &&
	    ((en = ASN1_ENUMERATED_new()) == NULL ||
	    ASN1_ENUMERATED_set(en, e->reason) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, en, 0, 0) != 1))
		goto out;
	if (X509_CRL_add0_revoked(c, rv) != 1)
		goto out;
	rv = NULL;
	ok = 1;
 out:
	ASN1_ENUMERATED_free(en);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(serial);
	X509_REVOKED_free(rv);
	return ok;
}

static int
build(const struct kr_crl_plan *p, time_t now, X509_CRL **cp)
{
	AUTHORITY_KEYID *akid = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_TIME *tu = NULL, *nu = NULL;
	X509_CRL *c = NULL;
	size_t i;
	int r = KR_ERR_INTERNAL;

	*cp = NULL;
	if ((c = X509_CRL_new()) == NULL ||
	    X509_CRL_set_version(c, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(c, X509_get_subject_name(p->issuer)) !=
	    1 || (tu = ASN1_TIME_adj(NULL, now, 0, 0)) == NULL ||
	    (nu = ASN1_TIME_adj(NULL, now, p->next_update_days, 0)) == NULL ||
	    X509_CRL_set1_lastUpdate(c, tu) != 1 ||
	    X509_CRL_set1_nextUpdate(c, nu) != 1)
		goto fail;
	for (i = 0; i < p->n; i++)
		if (!add_entry(c, &p->e[i], now))
			goto fail;
	if (X509_CRL_sort(c) != 1 ||
	    (akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(akid->keyid, p->issuer_ski,
	    (int)p->issuer_ski_len) != 1 ||
	    X509_CRL_add1_ext_i2d(c, NID_authority_key_identifier, akid, 0,
	    0) != 1 || (num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_uint64(num, p->number) != 1 ||
	    X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0) != 1)
		goto fail;
	*cp = c;
	c = NULL;
	r = 0;
	goto out;
 fail:
	r = kr_err_libcrypto(KR_ERR_X509_SIGN, "building the CRL");
 out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	X509_CRL_free(c);
	return r;
}

static int
time_type_ok(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	return t != NULL && ASN1_TIME_to_tm(t, &tm) == 1 &&
	    ASN1_STRING_type(t) == (tm.tm_year + 1900 < 2050 ?
	    V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME);
}

static void
check_entries(const struct kr_crl_plan *p, X509_CRL *c, time_t now,
    struct kr_x509_problems *pb)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(c);
	struct kr_crl_entry got;
	X509_REVOKED *rv;
	ASN1_ENUMERATED *en;
	size_t i;
	int crit;

	if ((size_t)sk_X509_REVOKED_num(revs) != p->n && !(revs == NULL &&
	    p->n == 0)) {
		kr_x509_problem(pb, "it has %d entries, not %zu",
		    sk_X509_REVOKED_num(revs), p->n);
		return;
	}
	for (i = 0; i < p->n; i++) {
		rv = sk_X509_REVOKED_value(revs, (int)i);
		memset(&got, 0, sizeof(got));
		if (!serial_of(X509_REVOKED_get0_serialNumber(rv), &got) ||
		    entry_cmp(&got, &p->e[i]) != 0)
			kr_x509_problem(pb, "entry %zu is not serial %s", i + 1,
			    p->e[i].serial_hex);
		if (to_time(X509_REVOKED_get0_revocationDate(rv)) !=
		    (p->e[i].date ? p->e[i].date : now) ||
		    !time_type_ok(X509_REVOKED_get0_revocationDate(rv)))
			kr_x509_problem(pb, "serial %s: the revocation date is "
			    "not the planned one", p->e[i].serial_hex);
		crit = -1;
		en = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit, NULL);
		if ((p->e[i].reason == KR_CRL_NO_REASON) != (en == NULL) ||
		    (en != NULL && (ASN1_ENUMERATED_get(en) != p->e[i].reason ||
		    crit != 0)) || X509_REVOKED_get_ext_count(rv) !=
		    (en != NULL ? 1 : 0))
			kr_x509_problem(pb, "serial %s: the reasonCode is not "
			    "the planned one, non-critical and alone",
			    p->e[i].serial_hex);
		ASN1_ENUMERATED_free(en);
	}
}

static void
check_extensions(const struct kr_crl_plan *p, X509_CRL *c,
    struct kr_x509_problems *pb)
{
	AUTHORITY_KEYID *aki;
	ASN1_INTEGER *num;
	uint64_t n = 0;
	int crit = -1, i;

	if (X509_CRL_get_ext_count(c) != 2)
		kr_x509_problem(pb, "it has %d extensions, not 2 "
		    "(authorityKeyIdentifier, cRLNumber)",
		    X509_CRL_get_ext_count(c));
	for (i = 0; i < X509_CRL_get_ext_count(c); i++)
		if (X509_EXTENSION_get_critical(X509_CRL_get_ext(c, i)) > 0)
			kr_x509_problem(pb, "a CRL extension is critical");
	if ((aki = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier,
	    &crit, NULL)) == NULL || aki->keyid == NULL ||
	    (size_t)aki->keyid->length != p->issuer_ski_len ||
	    memcmp(aki->keyid->data, p->issuer_ski, p->issuer_ski_len) != 0 ||
	    aki->issuer != NULL || aki->serial != NULL)
		kr_x509_problem(pb, "authorityKeyIdentifier is not the root's "
		    "subjectKeyIdentifier alone");
	AUTHORITY_KEYID_free(aki);
	if ((num = X509_CRL_get_ext_d2i(c, NID_crl_number, &crit, NULL)) ==
	    NULL || ASN1_INTEGER_get_uint64(&n, num) != 1 || n != p->number)
		kr_x509_problem(pb, "cRLNumber is not %llu",
		    (unsigned long long)p->number);
	ASN1_INTEGER_free(num);
}

/* The CRL against its plan, decoded field by field. */
static int
check_crl(const struct kr_crl_plan *p, X509_CRL *c, time_t now,
    int is_signed)
{
	const struct kr_x509_sig *sig = NULL;
	struct kr_x509_problems pb;
	int days = 0, sec = 0;

	memset(&pb, 0, sizeof(pb));
	if (X509_CRL_get_version(c) != X509_CRL_VERSION_2)
		kr_x509_problem(&pb, "not version 2");
	if (!same_name(X509_CRL_get_issuer(c), X509_get_subject_name(
	    p->issuer)))
		kr_x509_problem(&pb, "the issuer is not the root's subject "
		    "byte for byte");
	if (!time_type_ok(X509_CRL_get0_lastUpdate(c)) ||
	    !time_type_ok(X509_CRL_get0_nextUpdate(c)))
		kr_x509_problem(&pb, "thisUpdate or nextUpdate is not UTCTime "
		    "before 2050 and GeneralizedTime after (RFC 5280 5.1.2.4)");
	if (to_time(X509_CRL_get0_lastUpdate(c)) != now)
		kr_x509_problem(&pb, "thisUpdate is not the time of signing");
	if (ASN1_TIME_diff(&days, &sec, X509_CRL_get0_lastUpdate(c),
	    X509_CRL_get0_nextUpdate(c)) != 1 || days != p->next_update_days ||
	    sec != 0 || days < 1 || (unsigned)days > p->max_days)
		kr_x509_problem(&pb, "nextUpdate is not %d days after "
		    "thisUpdate within policy %s's %u", p->next_update_days,
		    p->policy, p->max_days);
	check_extensions(p, c, &pb);
	check_entries(p, c, now, &pb);
	if (is_signed) {
		if (kr_x509_sig_of(X509_get0_pubkey(p->issuer), &sig) != 0 ||
		    X509_CRL_get_signature_nid(c) != sig->sig_nid)
			kr_x509_problem(&pb, "its signature algorithm is not "
			    "the one for the root's key");
		if (X509_CRL_verify(c, X509_get0_pubkey(p->issuer)) != 1)
			kr_x509_problem(&pb, "its signature does not verify "
			    "under the root's key");
	}
	ERR_clear_error();
	return kr_x509_problems_err(&pb, is_signed ? "the signed CRL against "
	    "its profile" : "the CRL to be signed against its profile");
}

static int
to_pem(X509_CRL *c, char **pemp, size_t *lenp)
{
	BUF_MEM *mem = NULL;
	BIO *bio;
	char *pem = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_CRL(bio, c) != 1 ||
	    BIO_get_mem_ptr(bio, &mem) <= 0 || mem == NULL ||
	    (pem = malloc(mem->length + 1)) == NULL) {
		BIO_free(bio);
		return kr_err_libcrypto(KR_ERR_NOMEM, "writing the CRL as PEM");
	}
	memcpy(pem, mem->data, mem->length);
	pem[mem->length] = '\0';
	*pemp = pem;
	*lenp = mem->length;
	BIO_free(bio);
	return 0;
}

/* Signs c, decodes its DER into *dp; the DER in *derp (OPENSSL_malloc). */
static int
sign_decode(X509_CRL *c, EVP_PKEY *key, X509_CRL **dp, uint8_t **derp,
    int *lenp)
{
	const struct kr_x509_sig *sig = NULL;
	EVP_MD_CTX *mctx = NULL;
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *q;
	X509_CRL *d = NULL;
	int len, r;

	*dp = NULL;
	if ((r = kr_x509_sig_of(key, &sig)) != 0 ||
	    (r = kr_x509_sign_init(key, sig, &mctx)) != 0)
		goto out;
	if (X509_CRL_sign_ctx(c, mctx) <= 0) {
		r = kr_err_libcrypto(KR_ERR_X509_SIGN, "signing the CRL");
		goto out;
	}
	if ((len = i2d_X509_CRL(c, &der)) <= 0 || (q = der,
	    (d = d2i_X509_CRL(NULL, &q, len)) == NULL) || q != der + len ||
	    i2d_X509_CRL(d, &der2) != len ||
	    memcmp(der, der2, (size_t)len) != 0) {
		r = kr_err_libcrypto(KR_ERR_X509_SELFCHECK, "the signed CRL's "
		    "DER does not decode and re-encode to the same bytes");
		goto out;
	}
	*dp = d;
	d = NULL;
	*derp = der;
	*lenp = len;
	der = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	X509_CRL_free(d);
	return r;
}

int
kr_crl_issue(const struct kr_crl_plan *p, EVP_PKEY *key, time_t now,
    uint8_t **derp, size_t *derlenp, char **pemp, size_t *pemlenp)
{
	X509_CRL *c = NULL, *d = NULL;
	unsigned char *der = NULL;
	uint8_t *out = NULL;
	int len = 0, r = KR_ERR_INTERNAL;

	*derp = NULL;
	*pemp = NULL;
	if (EVP_PKEY_eq(X509_get0_pubkey(p->issuer), key) != 1) {
		ERR_clear_error();
		return kr_err_set(KR_ERR_KEY_MISMATCH, "issuing a CRL: the key "
		    "is not the root certificate's key");
	}
	if ((r = build(p, now, &c)) != 0 ||
	    (r = check_crl(p, c, now, 0)) != 0 ||
	    (r = sign_decode(c, key, &d, &der, &len)) != 0)
		goto out;
	if ((r = check_crl(p, d, now, 1)) != 0) {
		r = kr_err_set(r == KR_ERR_X509_PROFILE ? KR_ERR_X509_VERIFY :
		    r, "%s", kr_err_detail());
		goto out;
	}
	if ((out = malloc((size_t)len)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "the CRL");
		goto out;
	}
	if ((r = to_pem(d, pemp, pemlenp)) != 0)
		goto out;
	memcpy(out, der, (size_t)len);
	*derp = out;
	*derlenp = (size_t)len;
	out = NULL;
	r = 0;
 out:
	free(out);
	OPENSSL_free(der);
	X509_CRL_free(c);
	X509_CRL_free(d);
	return r;
}
