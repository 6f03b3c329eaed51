/*
 * mkroot.c: test helper.  Makes a key and its self-signed root certificate
 * with kr_x509_self_sign(), for tests/integration/t-x509.sh.
 *
 *   mkroot [-r] [-p PATHLEN] DIR ALG DAYS SUBJECT
 *
 * writes DIR/root.pem and DIR/key.pem (the private key in the clear: a
 * throwaway key for tests only), reads root.pem back with
 * kr_x509_from_pem() and prints what kr_x509_describe() says of it, one
 * "name: value" a line, ending with the fingerprint as witnesses read it.
 * -r makes a rehearsal certificate; -p sets pathLenConstraint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "base/err.h"
#include "base/harden.h"
#include "crypto/key.h"
#include "crypto/x509.h"

static int
write_file(const char *dir, const char *name, const char *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wx")) == NULL) {
		perror(path);
		return -1;
	}
	if (fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static int
write_key(const char *dir, EVP_PKEY *key)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if ((f = fopen(path, "wx")) == NULL) {
		perror(path);
		return -1;
	}
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(f) != 0) {
		fprintf(stderr, "mkroot: writing %s failed\n", path);
		return -1;
	}
	return 0;
}

static int
read_file(const char *dir, const char *name, char *buf, size_t size,
    size_t *lenp)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	*lenp = fread(buf, 1, size, f);
	fclose(f);
	return 0;
}

static void
print_info(const struct kr_x509_info *in)
{
	char fp[KR_X509_FP_TEXT_BYTES];

	kr_x509_fingerprint_text(in->fingerprint, fp, sizeof(fp));
	printf("subject: %s\n", in->subject);
	printf("issuer: %s\n", in->issuer);
	printf("serial: %s\n", in->serial);
	printf("not-before: %s\n", in->not_before);
	printf("not-after: %s\n", in->not_after);
	printf("validity: %d days %d seconds\n", in->days, in->seconds);
	printf("ca: %s\n", in->is_ca ? "yes" : "no");
	if (in->path_len >= 0)
		printf("path-len: %d\n", in->path_len);
	else
		printf("path-len: none\n");
	printf("self-signed: %s\n", in->self_signed ? "yes" : "no");
	printf("signature: %s\n", in->sig_alg);
	printf("key: %s\n", in->key_alg);
	printf("fingerprint: %s\n", fp);
}

int
main(int argc, char **argv)
{
	struct kr_x509_request req = { .path_len = -1 };
	struct kr_x509_info info;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *back = NULL;
	static char buf[KR_X509_PEM_MAX + 1];
	char *pem = NULL;
	size_t len;
	int ch, r;

	while ((ch = getopt(argc, argv, "rp:")) != -1) {
		switch (ch) {
		case 'r':
			req.rehearsal = 1;
			break;
		case 'p':
			req.path_len = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4)
		goto usage;
	req.validity_days = atoi(argv[2]);
	req.subject = argv[3];
	if ((r = kr_harden_process(NULL)) != 0 ||
	    (r = kr_key_generate(kr_key_alg_find(argv[1]), &key)) != 0 ||
	    (r = kr_x509_self_sign(key, &req, &cert)) != 0 ||
	    (r = kr_x509_to_pem(cert, &pem, &len)) != 0)
		goto fail;
	if (write_file(argv[0], "root.pem", pem, len) != 0 ||
	    write_key(argv[0], key) != 0 ||
	    read_file(argv[0], "root.pem", buf, sizeof(buf), &len) != 0)
		return 1;
	if ((r = kr_x509_from_pem(buf, len, "root.pem", &back)) != 0 ||
	    (r = kr_x509_describe(back, &info)) != 0)
		goto fail;
	print_info(&info);
	free(pem);
	X509_free(cert);
	X509_free(back);
	EVP_PKEY_free(key);
	return 0;
 fail:
	fprintf(stderr, "mkroot: %s: %s\n", kr_strerror(r), kr_err_detail());
	return 1;
 usage:
	fprintf(stderr, "usage: mkroot [-r] [-p PATHLEN] DIR ALG DAYS "
	    "SUBJECT\n");
	return 2;
}
