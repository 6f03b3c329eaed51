/*
 * test_lobby_inputs.c: the input files the Parameters screen checks
 * beyond escrow packages and certificates (lobby.c kr_lobby_input_check()):
 * certificate requests, CA certificates to cross-sign, revocation lists,
 * previous CRLs, release manifests, OCSP status lists and keys to import.
 * For each: which parameters of the shipped scripts name one, a good file
 * (the verdict says what it is), a malformed one (the verdict is the
 * parser's own message, naming the file and line), one absent, and an
 * empty optional value.  Requests are made by openssl req; CRLs and roots
 * by keyrite's own code (test_crl.c checks those against OpenSSL).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "ceremony/lobby.h"
#include "ceremony/script.h"

#include "shipped.h"
#include "crypto/crl.h"
#include "crypto/key.h"
#include "crypto/x509.h"

static char dir[64], m1[96], m2[96];
static const char *dirs[2] = { m1, m2 };

static void
setup(void)
{
	strcpy(dir, "/tmp/kr-lobbyin-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(m1, sizeof(m1), "%s/m1", dir);
	snprintf(m2, sizeof(m2), "%s/m2", dir);
	cr_assert_eq(mkdir(m1, 0700), 0);
	cr_assert_eq(mkdir(m2, 0700), 0);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

TestSuite(lobby_inputs, .init = setup, .fini = teardown, .timeout = 60);

static void
put(const char *d, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	cr_assert_not_null(f = fopen(path, "w"), "writing %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0, "closing %s", path);
}

static void
put_text(const char *d, const char *name, const char *text)
{
	put(d, name, text, strlen(text));
}

static void
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Checks name as kind; returns the verdict, asserting ok is want_ok. */
static const char *
check(enum kr_lobby_input kind, const char *name,
    const struct kr_lobby_input_ctx *ctx, int want_ok)
{
	static struct kr_lobby_input_state st;

	cr_assert_eq(kr_lobby_input_check(dirs, 2, kind, name, ctx, &st), 0);
	cr_assert_eq(st.ok, want_ok, "%s: ok %d, want %d: %s", name, st.ok,
	    want_ok, st.verdict);
	return st.verdict;
}

#define HAS(v, part)	cr_assert(strstr((v), (part)) != NULL, \
			    "'%s' not in: %s", (part), (v))

static void
want_input(const char *file, const char *param, enum kr_lobby_input kind,
    int optional)
{
	struct kr_script *s = load_shipped(file);
	size_t i = param_index(s, param);

	cr_assert_eq(kr_lobby_param_input(s, i), kind, "%s %s", file, param);
	cr_assert_eq(kr_lobby_param_optional(s, i), optional, "%s %s", file,
	    param);
	kr_script_free(s);
}

Test(lobby_inputs, every_input_file_parameter_is_known)
{
	want_input("root-ca-sign-intermediate.ceremony", "csr",
	    KR_LOBBY_INPUT_CSR, 0);
	want_input("root-ca-ocsp-signer.ceremony", "csr", KR_LOBBY_INPUT_CSR,
	    0);
	want_input("root-ca-cross-sign.ceremony", "csr", KR_LOBBY_INPUT_CSR,
	    1);
	want_input("root-ca-cross-sign.ceremony", "subject_cert",
	    KR_LOBBY_INPUT_SUBJECT_CERT, 1);
	want_input("root-ca-issue-crl.ceremony", "revocations",
	    KR_LOBBY_INPUT_REVOCATIONS, 1);
	want_input("root-ca-issue-crl.ceremony", "previous_crl",
	    KR_LOBBY_INPUT_CRL, 1);
	want_input("root-ca-issue-crl.ceremony", "certificate",
	    KR_LOBBY_INPUT_CERTIFICATE, 0);
	want_input("firmware-sign.ceremony", "release", KR_LOBBY_INPUT_RELEASE,
	    0);
	want_input("root-ca-ocsp-responses.ceremony", "status_list",
	    KR_LOBBY_INPUT_STATUS_LIST, 0);
	want_input("escrow-import.ceremony", "key_file",
	    KR_LOBBY_INPUT_SECRET_KEY, 0);
	/* Part of a name, an output, a plain value: no input. */
	want_input("firmware-sign.ceremony", "name", KR_LOBBY_INPUT_NONE, 0);
	want_input("firmware-sign.ceremony", "record", KR_LOBBY_INPUT_NONE, 0);
	want_input("root-ca-cross-sign.ceremony", "crl_uri",
	    KR_LOBBY_INPUT_NONE, 0);
	cr_assert_str_eq(kr_lobby_input_suffix(KR_LOBBY_INPUT_CSR),
	    ".csr .pem");
	cr_assert_str_eq(kr_lobby_input_suffix(KR_LOBBY_INPUT_RELEASE),
	    ".txt");
}

Test(lobby_inputs, lists_by_suffix_and_never_hides_what_was_typed)
{
	char names[16][KR_LOBBY_NAME_MAX];
	size_t n = 0;

	put_text(m1, "a.csr", "x");
	put_text(m2, "b.pem", "x");
	put_text(m1, "c.escrow", "x");
	put_text(m1, "req.weird", "x");
	put_text(m1, "release.txt", "x");
	put_text(m1, "transcript-20260101-000000-aa.txt", "x");
	put_text(m1, "transcript-20260101-000000-aa.print.txt", "x");
	cr_assert_eq(kr_lobby_input_files(dirs, 2, KR_LOBBY_INPUT_CSR, NULL,
	    names, 16, &n), 0);
	cr_assert_eq(n, 2, "a.csr and b.pem: %zu", n);
	cr_assert_str_eq(names[0], "a.csr");
	cr_assert_str_eq(names[1], "b.pem");
	cr_assert_eq(kr_lobby_input_files(dirs, 2, KR_LOBBY_INPUT_CSR,
	    "req.weird", names, 16, &n), 0);
	cr_assert_eq(n, 3, "the name typed is listed too: %zu", n);
	cr_assert_str_eq(names[2], "req.weird");
	/* Transcripts are no revocation list, unless typed. */
	cr_assert_eq(kr_lobby_input_files(dirs, 2, KR_LOBBY_INPUT_REVOCATIONS,
	    "", names, 16, &n), 0);
	cr_assert_eq(n, 1, "only release.txt: %zu", n);
	cr_assert_str_eq(names[0], "release.txt");
	cr_assert_eq(kr_lobby_input_files(dirs, 2, KR_LOBBY_INPUT_REVOCATIONS,
	    "transcript-20260101-000000-aa.txt", names, 16, &n), 0);
	cr_assert_eq(n, 2, "typed: %zu", n);
}

Test(lobby_inputs, names_absent_empty_and_on_another_medium)
{
	struct kr_lobby_input_ctx opt = { .optional = 1 };
	const char *v;

	v = check(KR_LOBBY_INPUT_CSR, "none.csr", NULL, 0);
	HAS(v, "none.csr is not on the media: Enter lists the .csr .pem");
	v = check(KR_LOBBY_INPUT_CSR, "", NULL, 0);
	HAS(v, "no file named");
	v = check(KR_LOBBY_INPUT_CSR, "", &opt, 1);
	HAS(v, "none: the CA's certificate (subject_cert) is cross-signed");
	v = check(KR_LOBBY_INPUT_REVOCATIONS, "", &opt, 1);
	HAS(v, "none: no certificate is revoked now");
	v = check(KR_LOBBY_INPUT_CRL, "", &opt, 1);
	HAS(v, "none: this is the root's first CRL");
	v = check(KR_LOBBY_INPUT_RELEASE, "../release.txt", NULL, 0);
	HAS(v, "is not a plain file name");
	/* The engine reads its inputs on the first medium only. */
	put_text(m2, "revs.txt", "0a keyCompromise\n");
	v = check(KR_LOBBY_INPUT_REVOCATIONS, "revs.txt", &opt, 0);
	HAS(v, "revs.txt is not on the first medium");
	HAS(v, "copy it there");
}

Test(lobby_inputs, certificate_requests)
{
	const char *v;
	char path[PATH_MAX];
	FILE *f;
	int c;

	run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 "
	    "-nodes -keyout %s/k.pem -subj '/O=Ex/CN=Example Intermediate' "
	    "-out %s/int.csr 2>/dev/null", dir, m1);
	v = check(KR_LOBBY_INPUT_CSR, "int.csr", NULL, 1);
	HAS(v, "request of CN=Example Intermediate,O=Ex, EC P-384 key");
	HAS(v, "signature verified");
	/* Its signature's last byte changed: the self-signature fails. */
	run("openssl req -in %s/int.csr -outform DER -out %s/bad.csr", m1, m1);
	snprintf(path, sizeof(path), "%s/bad.csr", m1);
	cr_assert_not_null(f = fopen(path, "r+b"));
	cr_assert_eq(fseek(f, -1, SEEK_END), 0);
	c = fgetc(f);
	cr_assert_eq(fseek(f, -1, SEEK_END), 0);
	fputc(c ^ 0x01, f);
	cr_assert_eq(fclose(f), 0);
	v = check(KR_LOBBY_INPUT_CSR, "bad.csr", NULL, 0);
	HAS(v, "bad.csr");
	HAS(v, "signature");
	put_text(m1, "junk.pem", "hello\n");
	v = check(KR_LOBBY_INPUT_CSR, "junk.pem", NULL, 0);
	HAS(v, "junk.pem");
	/* A certificate is no request, nor a request a CA certificate. */
	v = check(KR_LOBBY_INPUT_SUBJECT_CERT, "int.csr", NULL, 0);
	HAS(v, "int.csr");
}

/* A root and its key, made by keyrite; the PEM on medium 1 as name. */
static void
make_root(const char *subject, const char *name, EVP_PKEY **kp, X509 **cp)
{
	struct kr_x509_request req = { .subject = subject,
	    .validity_days = 3000, .path_len = 1 };
	char *pem = NULL;
	size_t len = 0;

	cr_assert_eq(kr_key_generate(kr_key_alg_find("ecdsa-p256"), kp), 0);
	cr_assert_eq(kr_x509_self_sign(*kp, &req, cp), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(kr_x509_to_pem(*cp, &pem, &len), 0);
	put(m1, name, pem, len);
	free(pem);
}

Test(lobby_inputs, ca_certificates_to_cross_sign)
{
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	const char *v;

	make_root("CN=Other Root,O=Other", "other.pem", &k, &c);
	v = check(KR_LOBBY_INPUT_SUBJECT_CERT, "other.pem", NULL, 1);
	HAS(v, "CA certificate of CN=Other Root,O=Other, EC P-256 key");
	HAS(v, "self-signed (verified)");
	put_text(m1, "two.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n");
	v = check(KR_LOBBY_INPUT_SUBJECT_CERT, "two.pem", NULL, 0);
	HAS(v, "two.pem");
	v = check(KR_LOBBY_INPUT_SUBJECT_CERT, "gone.pem", NULL, 0);
	HAS(v, "gone.pem is not on the media");
	EVP_PKEY_free(k);
	X509_free(c);
}

Test(lobby_inputs, revocation_lists)
{
	struct kr_lobby_input_ctx opt = { .optional = 1 };
	const char *v;

	put_text(m1, "revs.txt", "# revoked at the ceremony\n"
	    "0a keyCompromise 2026-01-02\n0b superseded\n"
	    "0c cessationOfOperation\n");
	v = check(KR_LOBBY_INPUT_REVOCATIONS, "revs.txt", &opt, 1);
	HAS(v, "revocation list of 3 serials");
	put_text(m1, "bad.txt", "0a keyCompromise\n0b notAReason\n");
	v = check(KR_LOBBY_INPUT_REVOCATIONS, "bad.txt", &opt, 0);
	HAS(v, "bad.txt:2:");
	v = check(KR_LOBBY_INPUT_REVOCATIONS, "gone.txt", &opt, 0);
	HAS(v, "gone.txt is not on the media");
}

Test(lobby_inputs, previous_crls)
{
	struct kr_lobby_input_ctx ctx = { .issuer = "root.pem",
	    .optional = 1 };
	struct kr_crl_list *l = NULL;
	struct kr_crl_plan *p = NULL;
	EVP_PKEY *k = NULL, *k2 = NULL;
	X509 *root = NULL, *root2 = NULL;
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t dl = 0, pl = 0;
	const char *v, *list = "0a keyCompromise\n0b superseded\n";

	make_root("CN=CRL Root,O=Test", "root.pem", &k, &root);
	make_root("CN=CRL Root,O=Test", "impostor.pem", &k2, &root2);
	cr_assert_eq(kr_crl_list_parse(list, strlen(list), "l.txt",
	    time(NULL), &l), 0, "%s", kr_err_detail());
	cr_assert_eq(kr_crl_plan_new(root, NULL, l, 30, 365, "test", &p), 0,
	    "%s", kr_err_detail());
	cr_assert_eq(kr_crl_issue(p, k, time(NULL), &der, &dl, &pem, &pl), 0,
	    "%s", kr_err_detail());
	put(m1, "root-1.crl", der, dl);
	put(m1, "root-1.pem", pem, pl);
	v = check(KR_LOBBY_INPUT_CRL, "root-1.crl", &ctx, 1);
	HAS(v, "CRL number 1 of CN=CRL Root,O=Test, 2 entries");
	HAS(v, "verified under root.pem; the next is number 2");
	v = check(KR_LOBBY_INPUT_CRL, "root-1.pem", &ctx, 1);
	HAS(v, "CRL number 1");
	/* Under another root of the same name it does not verify. */
	ctx.issuer = "impostor.pem";
	v = check(KR_LOBBY_INPUT_CRL, "root-1.crl", &ctx, 0);
	HAS(v, "root-1.crl: its signature does not verify");
	ctx.issuer = NULL;
	v = check(KR_LOBBY_INPUT_CRL, "root-1.crl", &ctx, 0);
	HAS(v, "the root's certificate is needed");
	ctx.issuer = "root.pem";
	put_text(m1, "junk.crl", "not a CRL\n");
	v = check(KR_LOBBY_INPUT_CRL, "junk.crl", &ctx, 0);
	HAS(v, "junk.crl");
	v = check(KR_LOBBY_INPUT_CRL, "gone.crl", &ctx, 0);
	HAS(v, "gone.crl is not on the media");
	free(der);
	free(pem);
	kr_crl_plan_free(p);
	kr_crl_list_free(l);
	X509_free(root);
	X509_free(root2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}

Test(lobby_inputs, release_manifests)
{
	static const char zeros[3000];
	char fw[PATH_MAX];
	const char *v;

	snprintf(fw, sizeof(fw), "%s/fw", m1);
	cr_assert_eq(mkdir(fw, 0700), 0);
	put(m1, "fw/app.bin", zeros, 1000);
	put(m1, "fw/boot.bin", zeros, 2000);
	run("cd %s && { echo 'keyrite-release 1'; echo 'name Pump 4.2'; "
	    "for f in fw/app.bin fw/boot.bin; do echo \"image $f "
	    "$(stat -c %%s $f) $(sha256sum < $f | cut -d' ' -f1)\"; done; } "
	    "> release.txt", m1);
	v = check(KR_LOBBY_INPUT_RELEASE, "release.txt", NULL, 1);
	HAS(v, "release manifest of \"Pump 4.2\": 2 images, 3000 bytes in "
	    "all");
	/* A bad third line: file:line from the strict parser. */
	run("sed '3s/^image /imag /' %s/release.txt > %s/bad.txt", m1, m1);
	v = check(KR_LOBBY_INPUT_RELEASE, "bad.txt", NULL, 0);
	HAS(v, "bad.txt:3:");
	/* An image gone: named, with the manifest's line. */
	run("rm %s/fw/boot.bin", m1);
	v = check(KR_LOBBY_INPUT_RELEASE, "release.txt", NULL, 0);
	HAS(v, "fw/boot.bin");
	v = check(KR_LOBBY_INPUT_RELEASE, "gone.txt", NULL, 0);
	HAS(v, "gone.txt is not on the media");
}

Test(lobby_inputs, ocsp_status_lists)
{
	const char *v;

	put_text(m1, "ocsp-status.txt", "int.pem good\n0a revoked "
	    "keyCompromise 2026-01-02\n");
	v = check(KR_LOBBY_INPUT_STATUS_LIST, "ocsp-status.txt", NULL, 1);
	HAS(v, "status list of 2 certificates");
	put_text(m1, "bad-status.txt", "int.pem good\nint.pem unknown\n");
	v = check(KR_LOBBY_INPUT_STATUS_LIST, "bad-status.txt", NULL, 0);
	HAS(v, "bad-status.txt:2:");
}

Test(lobby_inputs, keys_to_import_are_not_read)
{
	const char *v;

	put_text(m1, "import.key", "SECRET-CONTENTS\n");
	v = check(KR_LOBBY_INPUT_SECRET_KEY, "import.key", NULL, 1);
	HAS(v, "import.key, 16 bytes: a secret");
	cr_assert(strstr(v, "SECRET") == NULL, "%s", v);
	put_text(m1, "empty.key", "");
	v = check(KR_LOBBY_INPUT_SECRET_KEY, "empty.key", NULL, 0);
	HAS(v, "is empty");
}
