/*
 * test_x509.c: root CA certificates, checked field by field with OpenSSL's
 * own accessors and raw DER rather than with keyrite's description of
 * them: version, serial (positive, 16 bytes, random), names and their
 * string types, validity to the second, the four extensions with their
 * criticality and exact contents, the signature algorithm per key (one
 * parameterized test over all seven algorithms; rsa-4096 is generated
 * only there), path validation by OpenSSL's verifier in strict mode, PEM
 * and DER round trips, fingerprints and the public key.  Then the subject
 * grammar (tables of good and bad subjects), rehearsal marking, request
 * bounds, strict PEM reading, and describing a certificate keyrite did
 * not make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "crypto/key.h"
#include "crypto/x509.h"

#define EXAMPLE_SUBJECT	"CN=Example Root CA,O=Example Corp,C=DE"

static const struct alg_case {
	const char	*name;
	int		 sig_nid;	/* expected signatureAlgorithm */
	int		 null_params;	/* RSA: parameters NULL, else absent */
} cases[] = {
	{ "ecdsa-p256", NID_ecdsa_with_SHA256, 0 },
	{ "ecdsa-p384", NID_ecdsa_with_SHA384, 0 },
	{ "ecdsa-p521", NID_ecdsa_with_SHA512, 0 },
	{ "rsa-3072", NID_sha256WithRSAEncryption, 1 },
	{ "rsa-4096", NID_sha384WithRSAEncryption, 1 },
	{ "ed25519", NID_ED25519, 0 },
	{ "ed448", NID_ED448, 0 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
setup(void)
{
	cr_assert_eq(kr_harden_process(NULL), 0, "harden: %s",
	    kr_err_detail());
}

TestSuite(x509, .init = setup, .timeout = 120);

/* --- helpers -------------------------------------------------------------- */

static EVP_PKEY *
generate(const char *name)
{
	EVP_PKEY *key = NULL;

	cr_assert_eq(kr_key_generate(kr_key_alg_find(name), &key), 0,
	    "%s: generate: %s", name, kr_err_detail());
	return key;
}

static X509 *
make_root(const char *alg, EVP_PKEY *key, const char *subject, int days,
    int path_len, int rehearsal)
{
	struct kr_x509_request req = {
		.subject = subject,
		.validity_days = days,
		.path_len = path_len,
		.rehearsal = rehearsal,
	};
	X509 *cert = NULL;

	cr_assert_eq(kr_x509_self_sign(key, &req, &cert), 0,
	    "%s: self_sign \"%s\": %s", alg, subject, kr_err_detail());
	cr_assert_not_null(cert, "%s: self_sign returned 0 but no cert", alg);
	return cert;
}

static size_t
der_of(X509 *cert, unsigned char **derp)
{
	int len;

	*derp = NULL;
	len = i2d_X509(cert, derp);
	cr_assert_gt(len, 0, "i2d_X509 failed");
	return (size_t)len;
}

/* The DER value (tag, length, contents) of extension nid. */
static const ASN1_OCTET_STRING *
ext_value(const char *alg, X509 *cert, int nid, int critical)
{
	X509_EXTENSION *ext;
	int idx;

	idx = X509_get_ext_by_NID(cert, nid, -1);
	cr_assert_geq(idx, 0, "%s: extension %s missing", alg,
	    OBJ_nid2sn(nid));
	cr_assert_eq(X509_get_ext_by_NID(cert, nid, idx), -1,
	    "%s: extension %s appears twice", alg, OBJ_nid2sn(nid));
	ext = X509_get_ext(cert, idx);
	cr_assert_eq(X509_EXTENSION_get_critical(ext), critical,
	    "%s: extension %s should %sbe critical", alg, OBJ_nid2sn(nid),
	    critical ? "" : "not ");
	return X509_EXTENSION_get_data(ext);
}

/* SHA-1 of the subjectPublicKey bits, computed here, not by keyrite. */
static void
expected_ski(X509 *cert, uint8_t ski[20])
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);
	unsigned int n = 0;

	cr_assert_not_null(bits, "no public key bit string");
	cr_assert_eq(EVP_Digest(ASN1_STRING_get0_data(bits),
	    (size_t)ASN1_STRING_length(bits), ski, &n, EVP_sha1(), NULL), 1,
	    "SHA-1");
	cr_assert_eq(n, 20, "SHA-1 length");
}

static void
check_extensions(const char *alg, X509 *cert, int path_len)
{
	static const uint8_t ku_der[] = { 0x03, 0x02, 0x01, 0x06 };
	const ASN1_OCTET_STRING *v, *ski, *akid;
	BASIC_CONSTRAINTS *bc;
	uint8_t want[20];
	int crit = -1;

	cr_assert_eq(X509_get_ext_count(cert), 4,
	    "%s: %d extensions, want exactly 4", alg,
	    X509_get_ext_count(cert));

	/* basicConstraints: critical, cA TRUE, pathLen as asked. */
	ext_value(alg, cert, NID_basic_constraints, 1);
	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	cr_assert_not_null(bc, "%s: basicConstraints does not decode", alg);
	cr_assert(bc->ca, "%s: basicConstraints cA is not TRUE", alg);
	if (path_len < 0)
		cr_assert_null(bc->pathlen, "%s: pathLenConstraint present "
		    "though none was asked for", alg);
	else {
		cr_assert_not_null(bc->pathlen, "%s: pathLenConstraint "
		    "missing", alg);
		cr_assert_eq(ASN1_INTEGER_get(bc->pathlen), path_len,
		    "%s: pathLenConstraint %ld, want %d", alg,
		    ASN1_INTEGER_get(bc->pathlen), path_len);
	}
	BASIC_CONSTRAINTS_free(bc);

	/* keyUsage: critical, exactly keyCertSign and cRLSign, in DER. */
	v = ext_value(alg, cert, NID_key_usage, 1);
	cr_assert(ASN1_STRING_length(v) == (int)sizeof(ku_der) &&
	    memcmp(ASN1_STRING_get0_data(v), ku_der, sizeof(ku_der)) == 0,
	    "%s: keyUsage is not BIT STRING {keyCertSign, cRLSign} "
	    "(03 02 01 06)", alg);
	cr_assert_eq(X509_get_key_usage(cert),
	    (uint32_t)(KU_KEY_CERT_SIGN | KU_CRL_SIGN),
	    "%s: OpenSSL reads key usage %#x", alg, X509_get_key_usage(cert));

	/* subjectKeyIdentifier: not critical, SHA-1 of the key bits. */
	ext_value(alg, cert, NID_subject_key_identifier, 0);
	expected_ski(cert, want);
	ski = X509_get0_subject_key_id(cert);
	cr_assert(ski != NULL && ASN1_STRING_length(ski) == 20 &&
	    memcmp(ASN1_STRING_get0_data(ski), want, 20) == 0,
	    "%s: subjectKeyIdentifier is not SHA-1 of the public key bits",
	    alg);

	/* authorityKeyIdentifier: not critical, keyIdentifier = SKI only. */
	ext_value(alg, cert, NID_authority_key_identifier, 0);
	akid = X509_get0_authority_key_id(cert);
	cr_assert(akid != NULL && ASN1_STRING_cmp(akid, ski) == 0,
	    "%s: authorityKeyIdentifier keyIdentifier differs from the SKI",
	    alg);
	cr_assert_null(X509_get0_authority_issuer(cert),
	    "%s: authorityCertIssuer present", alg);
	cr_assert_null(X509_get0_authority_serial(cert),
	    "%s: authorityCertSerialNumber present", alg);
}

static void
check_serial(const char *alg, X509 *cert)
{
	const ASN1_INTEGER *ai = X509_get0_serialNumber(cert);
	const unsigned char *d = ASN1_STRING_get0_data(ai);
	BIGNUM *bn;

	cr_assert_eq(ASN1_STRING_type(ai), V_ASN1_INTEGER,
	    "%s: serial is not a positive INTEGER", alg);
	cr_assert_eq(ASN1_STRING_length(ai), KR_X509_SERIAL_BYTES,
	    "%s: serial is %d bytes, want %d", alg, ASN1_STRING_length(ai),
	    KR_X509_SERIAL_BYTES);
	cr_assert(d[0] != 0 && d[0] < 0x80, "%s: serial first byte %#x: "
	    "must be 01..7f", alg, d[0]);
	bn = ASN1_INTEGER_to_BN(ai, NULL);
	cr_assert_not_null(bn, "%s: serial to BN", alg);
	cr_assert(!BN_is_negative(bn) && !BN_is_zero(bn),
	    "%s: serial not positive", alg);
	cr_assert_geq(BN_num_bits(bn), 121, "%s: serial has %d bits; 16 "
	    "bytes with a non-zero first byte have at least 121 (BR: 64)",
	    alg, BN_num_bits(bn));
	BN_free(bn);
}

static void
check_validity(const char *alg, X509 *cert, int days, time_t t0, time_t t1)
{
	const ASN1_TIME *nb = X509_get0_notBefore(cert);
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	time_t after = t0 + (time_t)days * 86400;
	struct tm tm;
	int day = 0, sec = 0;

	cr_assert_leq(ASN1_TIME_cmp_time_t(nb, t1), 0,
	    "%s: notBefore is after the call", alg);
	cr_assert_geq(ASN1_TIME_cmp_time_t(nb, t0), 0,
	    "%s: notBefore is before the call", alg);
	cr_assert_eq(ASN1_TIME_diff(&day, &sec, nb, na), 1,
	    "%s: validity diff", alg);
	cr_assert(day == days && sec == 0, "%s: validity %d days %d s, want "
	    "exactly %d days", alg, day, sec, days);
	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
	cr_assert_not_null(gmtime_r(&after, &tm), "gmtime");
	cr_assert_eq(ASN1_STRING_type(na), tm.tm_year + 1900 < 2050 ?
	    V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME,
	    "%s: notAfter in %d has the wrong time type", alg,
	    tm.tm_year + 1900);
	cr_assert_eq(ASN1_STRING_type(nb), V_ASN1_UTCTIME,
	    "%s: notBefore (now) must be UTCTime", alg);
}

static void
check_signature(const struct alg_case *c, EVP_PKEY *key, X509 *cert)
{
	const X509_ALGOR *outer = NULL, *inner;
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	EVP_PKEY *pub = NULL;
	uint8_t *spki = NULL;
	size_t len = 0;
	int ptype = -1;

	cr_assert_eq(X509_get_signature_nid(cert), c->sig_nid,
	    "%s: signed with %s, want %s", c->name,
	    OBJ_nid2ln(X509_get_signature_nid(cert)), OBJ_nid2ln(c->sig_nid));
	X509_get0_signature(NULL, &outer, cert);
	inner = X509_get0_tbs_sigalg(cert);
	cr_assert_eq(X509_ALGOR_cmp(outer, inner), 0,
	    "%s: signature algorithms inside and outside the TBS differ",
	    c->name);
	X509_ALGOR_get0(&obj, &ptype, &pval, outer);
	cr_assert_eq(ptype, c->null_params ? V_ASN1_NULL : V_ASN1_UNDEF,
	    "%s: signature algorithm parameters should be %s", c->name,
	    c->null_params ? "NULL" : "absent");

	/* Verify under the key as key.c encodes it, not as the cert has it. */
	cr_assert_eq(kr_key_to_spki(key, &spki, &len), 0, "to_spki");
	cr_assert_eq(kr_key_from_spki(spki, len, &pub), 0, "from_spki");
	cr_assert_eq(X509_verify(cert, pub), 1, "%s: signature does not "
	    "verify under the key", c->name);
	free(spki);
	EVP_PKEY_free(pub);
}

/* OpenSSL's path validation, strict RFC 5280 checks, cert as trust anchor. */
static void
check_path(const char *alg, X509 *cert)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	cr_assert(store != NULL && ctx != NULL, "store");
	cr_assert_eq(X509_STORE_add_cert(store, cert), 1, "add cert");
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT |
	    X509_V_FLAG_CHECK_SS_SIGNATURE);
	cr_assert_eq(X509_STORE_CTX_init(ctx, store, cert, NULL), 1, "init");
	ok = X509_verify_cert(ctx);
	cr_assert_eq(ok, 1, "%s: OpenSSL rejects the root: %s", alg,
	    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

static void
check_encodings(const char *alg, EVP_PKEY *key, X509 *cert)
{
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *p;
	uint8_t fp[KR_X509_FP_BYTES], want[32], *spki = NULL, *kspki = NULL;
	size_t len, len2, slen = 0, klen = 0;
	unsigned int n = 0;
	char *pem = NULL;
	size_t pemlen = 0;
	X509 *back = NULL, *y;

	/* DER round trip. */
	len = der_of(cert, &der);
	p = der;
	y = d2i_X509(NULL, &p, (long)len);
	cr_assert(y != NULL && p == der + len, "%s: DER does not decode",
	    alg);
	len2 = der_of(y, &der2);
	cr_assert(len == len2 && memcmp(der, der2, len) == 0,
	    "%s: DER does not re-encode to the same bytes", alg);
	X509_free(y);

	/* PEM round trip. */
	cr_assert_eq(kr_x509_to_pem(cert, &pem, &pemlen), 0, "%s: to_pem: %s",
	    alg, kr_err_detail());
	cr_assert_eq(strlen(pem), pemlen, "%s: PEM length", alg);
	cr_assert(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0,
	    "%s: PEM does not begin with the CERTIFICATE line", alg);
	cr_assert(pemlen > 26 && strcmp(pem + pemlen - 26,
	    "-----END CERTIFICATE-----\n") == 0,
	    "%s: PEM does not end with the END line", alg);
	cr_assert_eq(kr_x509_from_pem(pem, pemlen, "mem.pem", &back), 0,
	    "%s: from_pem: %s", alg, kr_err_detail());
	cr_assert_eq(X509_cmp(cert, back), 0, "%s: PEM round trip", alg);

	/* Fingerprint: SHA-256 over the DER, computed here. */
	cr_assert_eq(EVP_Digest(der, len, want, &n, EVP_sha256(), NULL), 1,
	    "SHA-256");
	cr_assert_eq(kr_x509_fingerprint(back, fp), 0, "%s: fingerprint: %s",
	    alg, kr_err_detail());
	cr_assert_arr_eq(fp, want, 32, "%s: fingerprint is not SHA-256 of "
	    "the DER", alg);

	/* The certificate's SPKI is the key's, byte for byte. */
	cr_assert_eq(kr_x509_public_spki(back, &spki, &slen), 0,
	    "%s: public_spki: %s", alg, kr_err_detail());
	cr_assert_eq(kr_key_to_spki(key, &kspki, &klen), 0, "to_spki");
	cr_assert(slen == klen && memcmp(spki, kspki, slen) == 0,
	    "%s: certificate SPKI differs from the key's", alg);

	free(spki);
	free(kspki);
	free(pem);
	X509_free(back);
	OPENSSL_free(der);
	OPENSSL_free(der2);
}

static void
check_describe(const struct alg_case *c, X509 *cert, const char *subject,
    int days, int path_len)
{
	struct kr_x509_info info;
	const ASN1_INTEGER *ai = X509_get0_serialNumber(cert);
	char hex[2 * KR_X509_SERIAL_BYTES + 1];
	uint8_t fp[KR_X509_FP_BYTES];

	memset(&info, 0x5a, sizeof(info));
	cr_assert_eq(kr_x509_describe(cert, &info), 0, "%s: describe: %s",
	    c->name, kr_err_detail());
	cr_assert_str_eq(info.subject, subject, "%s: described subject",
	    c->name);
	cr_assert_str_eq(info.issuer, subject, "%s: described issuer",
	    c->name);
	kr_hex_encode(ASN1_STRING_get0_data(ai), KR_X509_SERIAL_BYTES, hex,
	    sizeof(hex));
	cr_assert_str_eq(info.serial, hex, "%s: described serial", c->name);
	cr_assert_not(info.serial_negative, "%s: serial negative", c->name);
	cr_assert(info.days == days && info.seconds == 0,
	    "%s: described validity %d days %d s, want %d days", c->name,
	    info.days, info.seconds, days);
	cr_assert_eq(strlen(info.not_before), 20, "%s: not_before \"%s\"",
	    c->name, info.not_before);
	cr_assert_eq(info.not_before[19], 'Z', "%s: not_before in UTC",
	    c->name);
	cr_assert(info.is_ca, "%s: described as not a CA", c->name);
	cr_assert_eq(info.path_len, path_len, "%s: described path length %d",
	    c->name, info.path_len);
	cr_assert(info.self_signed, "%s: described as not self-signed",
	    c->name);
	cr_assert_str_eq(info.sig_alg, OBJ_nid2ln(c->sig_nid),
	    "%s: described signature algorithm", c->name);
	cr_assert_str_eq(info.key_alg, c->name, "%s: described key", c->name);
	cr_assert_eq(kr_x509_fingerprint(cert, fp), 0, "fingerprint");
	cr_assert_arr_eq(info.fingerprint, fp, sizeof(fp),
	    "%s: described fingerprint", c->name);
}

/* Every check of the profile, for one certificate. */
static void
check_root(const struct alg_case *c, EVP_PKEY *key, X509 *cert,
    const char *subject, int days, int path_len, time_t t0, time_t t1)
{
	cr_assert_eq(X509_get_version(cert), X509_VERSION_3,
	    "%s: not X.509 v3", c->name);
	cr_assert_eq(X509_NAME_cmp(X509_get_subject_name(cert),
	    X509_get_issuer_name(cert)), 0, "%s: issuer differs from subject",
	    c->name);
	check_serial(c->name, cert);
	check_validity(c->name, cert, days, t0, t1);
	check_extensions(c->name, cert, path_len);
	check_signature(c, key, cert);
	check_path(c->name, cert);
	check_encodings(c->name, key, cert);
	check_describe(c, cert, subject, days, path_len);
}

static const struct alg_case *
case_of(const char *name)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		if (strcmp(cases[i].name, name) == 0)
			return &cases[i];
	cr_assert_fail("no test case for %s", name);
	return NULL;
}

/* --- the profile, per algorithm ------------------------------------------- */

ParameterizedTestParameters(x509, every_algorithm)
{
	static size_t idx[NCASES];
	size_t i;

	for (i = 0; i < NCASES; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NCASES);
}

ParameterizedTest(size_t *i, x509, every_algorithm)
{
	const struct alg_case *c = &cases[*i];
	EVP_PKEY *key = generate(c->name);
	time_t t0, t1;
	X509 *cert;

	t0 = time(NULL);
	cert = make_root(c->name, key, EXAMPLE_SUBJECT, 3650, -1, 0);
	t1 = time(NULL);
	check_root(c, key, cert, EXAMPLE_SUBJECT, 3650, -1, t0, t1);
	X509_free(cert);
	EVP_PKEY_free(key);
}

Test(x509, path_length_and_longest_validity)
{
	const struct alg_case *c = case_of("ecdsa-p256");
	EVP_PKEY *key = generate(c->name);
	static const int lens[] = { 0, 1, 3 };
	time_t t0, t1;
	X509 *cert;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		t0 = time(NULL);
		cert = make_root(c->name, key, EXAMPLE_SUBJECT, 365, lens[i],
		    0);
		t1 = time(NULL);
		check_root(c, key, cert, EXAMPLE_SUBJECT, 365, lens[i], t0, t1);
		X509_free(cert);
	}
	/* The longest validity: notAfter past 2049 is GeneralizedTime. */
	t0 = time(NULL);
	cert = make_root(c->name, key, EXAMPLE_SUBJECT, KR_X509_MAX_DAYS, -1,
	    0);
	t1 = time(NULL);
	check_root(c, key, cert, EXAMPLE_SUBJECT, KR_X509_MAX_DAYS, -1, t0,
	    t1);
	X509_free(cert);
	EVP_PKEY_free(key);
}

Test(x509, serials_are_random)
{
	enum { N = 32 };
	EVP_PKEY *key = generate("ed25519");
	uint8_t serials[N][KR_X509_SERIAL_BYTES], ored[KR_X509_SERIAL_BYTES];
	X509 *cert;
	size_t i, j;

	memset(ored, 0, sizeof(ored));
	for (i = 0; i < N; i++) {
		cert = make_root("ed25519", key, EXAMPLE_SUBJECT, 30, -1, 0);
		check_serial("ed25519", cert);
		memcpy(serials[i], ASN1_STRING_get0_data(
		    X509_get0_serialNumber(cert)), KR_X509_SERIAL_BYTES);
		for (j = 0; j < KR_X509_SERIAL_BYTES; j++)
			ored[j] |= serials[i][j];
		for (j = 0; j < i; j++)
			cr_assert_neq(memcmp(serials[i], serials[j],
			    KR_X509_SERIAL_BYTES), 0, "serials %zu and %zu "
			    "repeat", i, j);
		X509_free(cert);
	}
	/* Each of the 127 free bits was 1 at least once (fails w.p. 2^-25). */
	cr_assert_eq(ored[0], 0x7f, "serial byte 0: bits never set: %#x",
	    ored[0] ^ 0x7f);
	for (j = 1; j < KR_X509_SERIAL_BYTES; j++)
		cr_assert_eq(ored[j], 0xff, "serial byte %zu: bits never set: "
		    "%#x", j, ored[j] ^ 0xff);
	EVP_PKEY_free(key);
}

/* --- rehearsal ------------------------------------------------------------ */

static void
cn_of(X509 *cert, char *out, size_t outlen)
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, out, (int)outlen);

	cr_assert_gt(n, 0, "no CN");
}

Test(x509, rehearsal_marks_the_common_name)
{
	const struct alg_case *c = case_of("ed25519");
	EVP_PKEY *key = generate(c->name);
	char cn[128], longcn[80];
	const char *want = "CN=Example Root CA (REHEARSAL),O=Example Corp,C=DE";
	struct kr_x509_request req = { .validity_days = 30, .path_len = -1,
	    .rehearsal = 1 };
	time_t t0, t1;
	X509 *cert;
	int r;

	t0 = time(NULL);
	cert = make_root(c->name, key, EXAMPLE_SUBJECT, 30, -1, 1);
	t1 = time(NULL);
	cn_of(cert, cn, sizeof(cn));
	cr_assert_str_eq(cn, "Example Root CA (REHEARSAL)",
	    "rehearsal CN is \"%s\"", cn);
	check_root(c, key, cert, want, 30, -1, t0, t1);
	X509_free(cert);

	cert = make_root(c->name, key, EXAMPLE_SUBJECT, 30, -1, 0);
	cn_of(cert, cn, sizeof(cn));
	cr_assert_str_eq(cn, "Example Root CA", "real CN is \"%s\"", cn);
	X509_free(cert);

	/* 52 characters + " (REHEARSAL)" = 64, the limit; 53 is one over. */
	memcpy(longcn, "CN=", 3);
	memset(longcn + 3, 'R', 53);
	longcn[3 + 52] = '\0';
	cert = make_root(c->name, key, longcn, 30, -1, 1);
	cn_of(cert, cn, sizeof(cn));
	cr_assert_eq(strlen(cn), 64, "rehearsal CN of 52 + 12: \"%s\"", cn);
	X509_free(cert);
	longcn[3 + 52] = 'R';
	longcn[3 + 53] = '\0';
	cert = make_root(c->name, key, longcn, 30, -1, 0);
	X509_free(cert);
	req.subject = longcn;
	cert = (X509 *)&req;	/* must be cleared on failure */
	r = kr_x509_self_sign(key, &req, &cert);
	cr_assert_eq(r, KR_ERR_X509_SUBJECT, "53-character CN in a rehearsal: "
	    "%d (%s)", r, kr_err_detail());
	cr_assert_null(cert, "certificate output set on failure");
	cr_assert(strstr(kr_err_detail(), "REHEARSAL") != NULL &&
	    strstr(kr_err_detail(), "shorten it to 52") != NULL,
	    "message does not say why and what to do: %s", kr_err_detail());
	EVP_PKEY_free(key);
}

/* --- the subject grammar -------------------------------------------------- */

struct rdn {
	int		 nid;
	const char	*value;
	int		 type;
};

static const struct good_subject {
	const char	*text;
	const char	*described;	/* NULL: the same as text */
	struct rdn	 rdns[6];	/* in encoding order */
} good_subjects[] = {
	{ EXAMPLE_SUBJECT, NULL, {
	    { NID_countryName, "DE", V_ASN1_PRINTABLESTRING },
	    { NID_organizationName, "Example Corp", V_ASN1_UTF8STRING },
	    { NID_commonName, "Example Root CA", V_ASN1_UTF8STRING } } },
	{ "CN=X", NULL, {
	    { NID_commonName, "X", V_ASN1_UTF8STRING } } },
	{ "C=US,O=Acme\\, Inc.,CN=Acme\\, Inc. Root", NULL, {
	    { NID_commonName, "Acme, Inc. Root", V_ASN1_UTF8STRING },
	    { NID_organizationName, "Acme, Inc.", V_ASN1_UTF8STRING },
	    { NID_countryName, "US", V_ASN1_PRINTABLESTRING } } },
	{ "CN=Wurzel-CA M\xc3\xbcller,OU=Zertifizierungsstelle,"
	    "O=M\xc3\xbcller GmbH,L=M\xc3\xbcnchen,ST=Bayern,C=DE", NULL, {
	    { NID_countryName, "DE", V_ASN1_PRINTABLESTRING },
	    { NID_stateOrProvinceName, "Bayern", V_ASN1_UTF8STRING },
	    { NID_localityName, "M\xc3\xbcnchen", V_ASN1_UTF8STRING },
	    { NID_organizationName, "M\xc3\xbcller GmbH", V_ASN1_UTF8STRING },
	    { NID_organizationalUnitName, "Zertifizierungsstelle",
		V_ASN1_UTF8STRING },
	    { NID_commonName, "Wurzel-CA M\xc3\xbcller",
		V_ASN1_UTF8STRING } } },
	{ "CN=a\\+b\\\\c\\\"d\\;e\\<f\\>g\\=h\\#i",
	    "CN=a\\+b\\\\c\\\"d\\;e\\<f\\>g=h#i", {
	    { NID_commonName, "a+b\\c\"d;e<f>g=h#i", V_ASN1_UTF8STRING } } },
	{ "CN=\\#1 Root,O=x=y#z", "CN=\\#1 Root,O=x=y#z", {
	    { NID_organizationName, "x=y#z", V_ASN1_UTF8STRING },
	    { NID_commonName, "#1 Root", V_ASN1_UTF8STRING } } },
	/* 64 characters of 2 bytes each: the bound is in characters. */
	{ "CN=\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    NULL, { { NID_commonName, NULL, V_ASN1_UTF8STRING } } },
	{ "CN=\xf0\x9f\x94\x91 Key Root", NULL, {
	    { NID_commonName, "\xf0\x9f\x94\x91 Key Root",
		V_ASN1_UTF8STRING } } },
};
#define NGOOD	(sizeof(good_subjects) / sizeof(good_subjects[0]))

Test(x509, good_subjects_encode_as_written)
{
	const struct good_subject *g;
	const struct rdn *want;
	X509_NAME_ENTRY *e;
	const ASN1_STRING *v;
	X509_NAME *name;
	size_t i, j, n;

	for (i = 0; i < NGOOD; i++) {
		g = &good_subjects[i];
		name = NULL;
		cr_assert_eq(kr_x509_subject_parse(g->text, 0, &name), 0,
		    "\"%s\": %s", g->text, kr_err_detail());
		for (n = 0; n < 6 && g->rdns[n].nid != 0; n++)
			;
		cr_assert_eq((size_t)X509_NAME_entry_count(name), n,
		    "\"%s\": %d attributes, want %zu", g->text,
		    X509_NAME_entry_count(name), n);
		for (j = 0; j < n; j++) {
			want = &g->rdns[j];
			e = X509_NAME_get_entry(name, (int)j);
			cr_assert_eq(X509_NAME_ENTRY_set(e), (int)j,
			    "\"%s\": attribute %zu shares an RDN", g->text, j);
			cr_assert_eq(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)),
			    want->nid, "\"%s\": attribute %zu is %s, want %s",
			    g->text, j, OBJ_nid2sn(OBJ_obj2nid(
			    X509_NAME_ENTRY_get_object(e))),
			    OBJ_nid2sn(want->nid));
			v = X509_NAME_ENTRY_get_data(e);
			cr_assert_eq(ASN1_STRING_type(v), want->type,
			    "\"%s\": %s has string type %d, want %d", g->text,
			    OBJ_nid2sn(want->nid), ASN1_STRING_type(v),
			    want->type);
			if (want->value != NULL)
				cr_assert(ASN1_STRING_length(v) ==
				    (int)strlen(want->value) && memcmp(
				    ASN1_STRING_get0_data(v), want->value,
				    strlen(want->value)) == 0,
				    "\"%s\": %s is \"%.*s\", want \"%s\"",
				    g->text, OBJ_nid2sn(want->nid),
				    ASN1_STRING_length(v),
				    ASN1_STRING_get0_data(v), want->value);
		}
		X509_NAME_free(name);
	}
}

/* The subject keyrite describes is the subject as written. */
Test(x509, described_subject_reads_as_written)
{
	EVP_PKEY *key = generate("ed25519");
	struct kr_x509_info info;
	const struct good_subject *g;
	X509 *cert;
	size_t i;

	for (i = 0; i < NGOOD; i++) {
		g = &good_subjects[i];
		cert = make_root("ed25519", key, g->text, 30, -1, 0);
		cr_assert_eq(kr_x509_describe(cert, &info), 0, "describe: %s",
		    kr_err_detail());
		cr_assert_str_eq(info.subject, g->described != NULL ?
		    g->described : g->text, "subject \"%s\" described as "
		    "\"%s\"", g->text, info.subject);
		X509_free(cert);
	}
	EVP_PKEY_free(key);
}

static const struct bad_subject {
	const char	*text;
	const char	*message;	/* a part of the detail */
} bad_subjects[] = {
	{ "", "subject is empty" },
	{ "O=Example Corp,C=DE", "subject has no CN" },
	{ "CN=A,O=B,CN=C", "CN appears twice (attributes 1 and 3)" },
	{ "cn=Example", "attribute 1: write the type \"cn\" as CN" },
	{ "CN=Example,E=root@example.com", "attribute 2: unknown type \"E\"" },
	{ "CN=Example,serialNumber=1", "unknown type \"serialNumber\"" },
	{ "CN=Example, O=Corp", "attribute 2: type \" O\" contains a space" },
	{ "CN= Example", "CN (attribute 1) starts with a space" },
	{ "CN=Example ,O=Corp", "CN (attribute 1) ends with a space" },
	{ "CN=Example,O=A,B", "attribute 3 \"B\" has no '='" },
	{ "CN=Example,,O=B", "attribute 2 is empty" },
	{ "CN=Example,", "ends with a comma after attribute 1" },
	{ "=Example", "attribute 1 has no type before '='" },
	{ "CN=", "CN (attribute 1) has an empty value" },
	{ "CN=Example,C=Germany", "C (attribute 2) \"Germany\" is not a "
	    "country code" },
	{ "CN=Example,C=de", "C (attribute 2) \"de\" is not a country code" },
	{ "CN=Example,C=D1", "C (attribute 2) \"D1\"" },
	{ "CN=Exa+mple", "CN (attribute 1): write '+' as \\+ (multi-valued" },
	{ "CN=Example,OU=a;b", "OU (attribute 2): write ';' as \\;" },
	{ "CN=a<b", "write '<' as \\<" },
	{ "CN=say \"hi\"", "write '\"' as \\\"" },
	{ "CN=#1", "a leading '#' must be written \\#" },
	{ "CN=Example\\", "CN (attribute 1) ends in a lone backslash" },
	{ "CN=Ex\\qample", "\"\\q\" is not an escape" },
	{ "CN=Ex\\2Cample", "\"\\2\" is not an escape" },
	{ "CN=tab\there", "CN (attribute 1) contains a control character" },
	{ "CN=c1\xc2\x85", "CN (attribute 1) contains a control character" },
	{ "CN=bad\xff", "CN (attribute 1) is not valid UTF-8" },
	{ "CN=over\xc0\xaflong", "CN (attribute 1) is not valid UTF-8" },
	{ "CN=surrogate\xed\xa0\x80", "is not valid UTF-8 (overlong or out" },
	{ "CN=cut\xe2\x82", "not valid UTF-8 (truncated" },
	{ "CN=0123456789012345678901234567890123456789012345678901234567890123"
	    "4", "CN (attribute 1) is 65 characters long; RFC 5280 allows at "
	    "most 64" },
	{ "CN=x,L=01234567890123456789012345678901234567890123456789012345678"
	    "90123456789012345678901234567890123456789012345678901234567890123"
	    "45678", "L (attribute 2) is 129 characters long" },
};
#define NBAD	(sizeof(bad_subjects) / sizeof(bad_subjects[0]))

Test(x509, bad_subjects_are_named)
{
	X509_NAME *name;
	size_t i;
	int r;

	for (i = 0; i < NBAD; i++) {
		name = (X509_NAME *)&r;	/* must be cleared on failure */
		r = kr_x509_subject_parse(bad_subjects[i].text, 0, &name);
		cr_assert_eq(r, KR_ERR_X509_SUBJECT, "\"%s\": got %d (%s), "
		    "want KR_ERR_X509_SUBJECT", bad_subjects[i].text, r,
		    kr_err_detail());
		cr_assert_null(name, "\"%s\": output set on failure",
		    bad_subjects[i].text);
		cr_assert(strstr(kr_err_detail(), bad_subjects[i].message) !=
		    NULL, "\"%s\": detail \"%s\" lacks \"%s\"",
		    bad_subjects[i].text, kr_err_detail(),
		    bad_subjects[i].message);
	}
	name = (X509_NAME *)&r;
	cr_assert_eq(kr_x509_subject_parse(NULL, 0, &name),
	    KR_ERR_X509_SUBJECT, "NULL subject");
	cr_assert_null(name, "NULL subject: output set on failure");
}

Test(x509, bad_subject_makes_no_certificate)
{
	EVP_PKEY *key = generate("ecdsa-p256");
	struct kr_x509_request req = { .subject = "CN=Example,C=Germany",
	    .validity_days = 30, .path_len = -1 };
	X509 *cert = (X509 *)&req;

	cr_assert_eq(kr_x509_self_sign(key, &req, &cert), KR_ERR_X509_SUBJECT,
	    "bad subject accepted: %s", kr_err_detail());
	cr_assert_null(cert, "certificate output set on failure");
	cr_assert(strstr(kr_err_detail(), "C (attribute 2)") != NULL,
	    "detail does not name the attribute: %s", kr_err_detail());
	EVP_PKEY_free(key);
}

/* --- requests and keys outside the profile -------------------------------- */

Test(x509, requests_outside_the_profile)
{
	static const struct {
		int		 days;
		int		 path_len;
		const char	*message;
	} bad[] = {
		{ 0, -1, "validity of 0 days is outside 1..9131" },
		{ -30, -1, "validity of -30 days" },
		{ KR_X509_MAX_DAYS + 1, -1, "validity of 9132 days" },
		{ 365, -2, "path length -2 is negative" },
	};
	EVP_PKEY *key = generate("ed25519");
	struct kr_x509_request req = { .subject = EXAMPLE_SUBJECT };
	X509 *cert;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.validity_days = bad[i].days;
		req.path_len = bad[i].path_len;
		cert = (X509 *)&req;
		r = kr_x509_self_sign(key, &req, &cert);
		cr_assert_eq(r, KR_ERR_X509_REQUEST, "days %d path %d: got %d "
		    "(%s)", bad[i].days, bad[i].path_len, r, kr_err_detail());
		cr_assert_null(cert, "output set on failure");
		cr_assert(strstr(kr_err_detail(), bad[i].message) != NULL,
		    "detail \"%s\" lacks \"%s\"", kr_err_detail(),
		    bad[i].message);
	}
	cert = (X509 *)&req;
	cr_assert_eq(kr_x509_self_sign(key, NULL, &cert),
	    KR_ERR_INVALID_ARGUMENT, "NULL request");
	cr_assert_null(cert, "output set on failure");
	EVP_PKEY_free(key);
}

Test(x509, keys_keyrite_does_not_manage_or_cannot_sign)
{
	struct kr_x509_request req = { .subject = EXAMPLE_SUBJECT,
	    .validity_days = 30, .path_len = -1 };
	EVP_PKEY *p224, *key, *pub = NULL;
	uint8_t *spki = NULL;
	size_t len = 0;
	X509 *cert;
	int r;

	p224 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp224r1");
	cr_assert_not_null(p224, "P-224 keygen");
	cert = (X509 *)&req;
	r = kr_x509_self_sign(p224, &req, &cert);
	cr_assert_eq(r, KR_ERR_KEY_ALGORITHM, "P-224 key: got %d (%s)", r,
	    kr_err_detail());
	cr_assert_null(cert, "output set on failure");

	key = generate("ed25519");
	cr_assert_eq(kr_key_to_spki(key, &spki, &len), 0, "spki");
	cr_assert_eq(kr_key_from_spki(spki, len, &pub), 0, "pub");
	cert = (X509 *)&req;
	r = kr_x509_self_sign(pub, &req, &cert);
	cr_assert_eq(r, KR_ERR_X509_SIGN, "public key signed: got %d (%s)", r,
	    kr_err_detail());
	cr_assert_null(cert, "output set on failure");
	cr_assert(strstr(kr_err_detail(), "private key") != NULL,
	    "detail does not suggest the cause: %s", kr_err_detail());
	cr_assert_eq(ERR_peek_error(), 0, "OpenSSL error queue not drained");
	free(spki);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	EVP_PKEY_free(p224);
}

/* --- fingerprints --------------------------------------------------------- */

Test(x509, fingerprint_text_is_grouped_upper_case)
{
	uint8_t fp[KR_X509_FP_BYTES];
	char out[KR_X509_FP_TEXT_BYTES], small[KR_X509_FP_TEXT_BYTES - 1];
	size_t i;

	for (i = 0; i < sizeof(fp); i++)
		fp[i] = (uint8_t)(i * 0x11 + 0x0a);
	memset(out, 'x', sizeof(out));
	kr_x509_fingerprint_text(fp, out, sizeof(out));
	cr_assert_str_eq(out, "0A1B 2C3D 4E5F 7081 92A3 B4C5 D6E7 F809 "
	    "1A2B 3C4D 5E6F 8091 A2B3 C4D5 E6F7 0819",
	    "fingerprint text \"%s\"", out);
	cr_assert_eq(strlen(out), KR_X509_FP_TEXT_BYTES - 1,
	    "text is %zu characters", strlen(out));
	memset(small, 'x', sizeof(small));
	kr_x509_fingerprint_text(fp, small, sizeof(small));
	cr_assert_eq(small[0], '\0', "a short buffer must get \"\"");
	kr_x509_fingerprint_text(fp, small, 0);	/* must not write */
}

/* --- PEM ------------------------------------------------------------------ */

static char *
cat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = malloc(la + lb + lc + 1);

	cr_assert_not_null(s, "malloc");
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* A PEM CERTIFICATE block around arbitrary DER. */
static char *
pem_around(const unsigned char *der, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *s;
	long n;

	cr_assert_not_null(bio, "bio");
	cr_assert_gt(PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len), 0,
	    "PEM_write_bio");
	n = BIO_get_mem_data(bio, &data);
	s = malloc((size_t)n + 1);
	cr_assert_not_null(s, "malloc");
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	BIO_free(bio);
	return s;
}

Test(x509, pem_reading_is_strict)
{
	EVP_PKEY *key = generate("ed25519");
	X509 *cert = make_root("ed25519", key, EXAMPLE_SUBJECT, 30, -1, 0);
	unsigned char *der = NULL, *bad;
	uint8_t *spki = NULL;
	size_t derlen, spkilen = 0, pemlen = 0, i;
	char *pem = NULL, *in[9];
	const char *want[9];
	X509 *x;
	int r;

	cr_assert_eq(kr_x509_to_pem(cert, &pem, &pemlen), 0, "to_pem");
	derlen = der_of(cert, &der);

	/* Leading and trailing whitespace are fine. */
	in[0] = cat("\n  \n", pem, "\n\n");
	x = NULL;
	cr_assert_eq(kr_x509_from_pem(in[0], strlen(in[0]), "ws.pem",
	    &x), 0, "whitespace around the block: %s", kr_err_detail());
	X509_free(x);
	free(in[0]);

	/* Not NUL-terminated: only len bytes are read. */
	x = NULL;
	cr_assert_eq(kr_x509_from_pem(pem, pemlen - 1, "cut.pem", &x), 0,
	    "without its last newline: %s", kr_err_detail());
	X509_free(x);

	in[0] = strdup("hello");
	want[0] = "x.pem: does not start with";
	in[1] = cat("Certificate:\n", pem, "");
	want[1] = "x.pem: does not start with";
	in[2] = cat(pem, "junk\n", "");
	want[2] = "x.pem: something follows the certificate";
	in[3] = cat(pem, pem, "");
	want[3] = "x.pem: something follows the certificate";
	cr_assert_not_null(strstr(pem, "-----\n"), "pem form");
	in[4] = cat("-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
	    strstr(pem, "-----\n") + 6, "");
	want[4] = "x.pem: the PEM block has headers";
	/* Base64 damaged in the middle. */
	in[5] = strdup(pem);
	in[5][100] = '*';
	want[5] = "x.pem";
	/* Well-formed PEM of something that is not a certificate. */
	cr_assert_eq(kr_key_to_spki(key, &spki, &spkilen), 0, "spki");
	in[6] = pem_around(spki, spkilen);
	want[6] = "x.pem";
	/* Bytes after the certificate inside the PEM. */
	bad = malloc(derlen + 2);
	cr_assert_not_null(bad, "malloc");
	memcpy(bad, der, derlen);
	bad[derlen] = 0x05;
	bad[derlen + 1] = 0x00;
	in[7] = pem_around(bad, derlen + 2);
	want[7] = "x.pem: the certificate is not in DER";
	/* A non-minimal outer length: BER, not DER. */
	cr_assert(der[0] == 0x30 && der[1] == 0x82, "outer SEQUENCE form");
	memcpy(bad + 1, der, derlen);
	bad[0] = 0x30;
	bad[1] = 0x83;
	bad[2] = 0x00;
	in[8] = pem_around(bad, derlen + 1);
	want[8] = "x.pem";
	free(bad);

	for (i = 0; i < 9; i++) {
		x = (X509 *)&r;
		r = kr_x509_from_pem(in[i], strlen(in[i]), "x.pem",
		    &x);
		cr_assert_eq(r, KR_ERR_X509_DECODE, "case %zu: got %d (%s)",
		    i, r, kr_err_detail());
		cr_assert_null(x, "case %zu: output set on failure", i);
		cr_assert(strstr(kr_err_detail(), want[i]) != NULL,
		    "case %zu: detail \"%s\" lacks \"%s\"", i, kr_err_detail(),
		    want[i]);
		cr_assert_eq(ERR_peek_error(), 0, "case %zu: OpenSSL queue "
		    "not drained", i);
		free(in[i]);
	}
	x = (X509 *)&r;
	cr_assert_eq(kr_x509_from_pem(pem, 0, "empty.pem", &x),
	    KR_ERR_X509_DECODE, "empty input");
	cr_assert_null(x, "empty: output set on failure");
	cr_assert_eq(kr_x509_from_pem(pem, KR_X509_PEM_MAX + 1, "big.pem", &x),
	    KR_ERR_TOO_LARGE, "oversized input");
	free(spki);
	free(pem);
	OPENSSL_free(der);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* --- describing a certificate keyrite did not make ------------------------ */

Test(x509, describe_a_foreign_certificate)
{
	EVP_PKEY *p224 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp224r1");
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	struct kr_x509_info info;
	time_t t = 1700000000;	/* 2023-11-14T22:13:20Z */

	cr_assert(p224 != NULL && x != NULL && subj != NULL && iss != NULL,
	    "setup");
	cr_assert_eq(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)"leaf, with comma", -1, -1, 0), 1, "subj");
	cr_assert_eq(X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Someone Else", -1, -1, 0), 1, "iss");
	cr_assert(X509_set_version(x, X509_VERSION_1) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
	    X509_set_subject_name(x, subj) == 1 &&
	    X509_set_issuer_name(x, iss) == 1 &&
	    ASN1_TIME_adj(X509_getm_notBefore(x), t, 0, 0) != NULL &&
	    ASN1_TIME_adj(X509_getm_notAfter(x), t, 10, 3600) != NULL &&
	    X509_set_pubkey(x, p224) == 1 &&
	    X509_sign(x, p224, EVP_sha256()) > 0, "building a v1 cert");

	cr_assert_eq(kr_x509_describe(x, &info), 0, "describe: %s",
	    kr_err_detail());
	cr_assert_str_eq(info.subject, "CN=leaf\\, with comma",
	    "subject \"%s\"", info.subject);
	cr_assert_str_eq(info.issuer, "CN=Someone Else", "issuer \"%s\"",
	    info.issuer);
	cr_assert_str_eq(info.serial, "01", "serial \"%s\"", info.serial);
	cr_assert_str_eq(info.not_before, "2023-11-14T22:13:20Z",
	    "not_before \"%s\"", info.not_before);
	cr_assert_str_eq(info.not_after, "2023-11-24T23:13:20Z",
	    "not_after \"%s\"", info.not_after);
	cr_assert(info.days == 10 && info.seconds == 3600,
	    "validity %d days %d s, want 10 days 3600 s", info.days,
	    info.seconds);
	cr_assert_not(info.is_ca, "a v1 leaf described as a CA");
	cr_assert_eq(info.path_len, -1, "path length %d", info.path_len);
	cr_assert_not(info.self_signed, "issuer differs: not self-signed");
	cr_assert_str_eq(info.sig_alg, "ecdsa-with-SHA256", "sig_alg \"%s\"",
	    info.sig_alg);
	cr_assert_str_eq(info.key_alg, "", "P-224 is not a managed key: "
	    "\"%s\"", info.key_alg);
	cr_assert_eq(ERR_peek_error(), 0, "OpenSSL error queue not drained");
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	EVP_PKEY_free(p224);
}

Test(x509, error_codes_have_text)
{
	static const int codes[] = { KR_ERR_X509_SUBJECT, KR_ERR_X509_REQUEST,
	    KR_ERR_X509_SIGN, KR_ERR_X509_SELFCHECK, KR_ERR_X509_DECODE,
	    KR_ERR_X509_SERIAL };
	size_t i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_assert(codes[i] <= -800 && codes[i] >= -899,
		    "code %d outside the X.509 range", codes[i]);
		cr_assert_str_neq(kr_strerror(codes[i]), "unknown error",
		    "code %d has no text", codes[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(kr_strerror(codes[i]),
			    kr_strerror(codes[j]), "codes %d and %d share "
			    "text", codes[i], codes[j]);
	}
}

/* Found by tests/fuzz/fuzz_x509.c: OpenSSL prints a value "#" unescaped. */
Test(x509, lone_hash_value_reads_back)
{
	static const char *const subjects[] = { "CN=\\#", "CN=\\#,O=x",
	    "CN=a,O=\\#,OU=\\#" };
	char text[KR_X509_NAME_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		X509_NAME *n = NULL, *again = NULL;

		cr_assert_eq(kr_x509_subject_parse(subjects[i], 0, &n), 0,
		    "%s: %s", subjects[i], kr_err_detail());
		cr_assert_eq(kr_x509_name_text(n, text, sizeof(text)), 0,
		    "print %s", subjects[i]);
		cr_assert_eq(kr_x509_subject_parse(text, 0, &again), 0,
		    "%s printed as '%s' does not read back: %s", subjects[i],
		    text, kr_err_detail());
		cr_assert_eq(X509_NAME_cmp(n, again), 0, "%s -> '%s' differs",
		    subjects[i], text);
		X509_NAME_free(n);
		X509_NAME_free(again);
	}
}
