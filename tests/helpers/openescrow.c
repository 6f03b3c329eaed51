/*
 * openescrow.c: test helper.  Opens an escrow package with shares read off
 * the cards by an outside tool (pkcs11-tool --read-object), and writes the
 * key it holds, so that a test can compare it byte for byte (cmp) with the
 * key that was imported:
 *
 *   openescrow PACKAGE OUT SHARE-FILE...
 *
 * OUT receives the private key as PKCS#8 DER, or for a symmetric package
 * the raw key.  A throwaway for tests only: it writes a secret in the
 * clear, which keyrite never does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"
#include "crypto/escrow.h"
#include "crypto/key.h"
#include "crypto/quorum.h"
#include "crypto/share.h"

#define MAX_SHARES	16

static int
read_share(const char *path, uint8_t out[KR_SHARE_BYTES], size_t *lenp)
{
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	*lenp = fread(out, 1, KR_SHARE_BYTES, f);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct kr_quorum_input in[MAX_SHARES];
	struct kr_quorum_verdict v[MAX_SHARES];
	struct kr_escrow *e = NULL;
	uint8_t *values = NULL, *kek = NULL, *out = NULL;
	size_t n, i, outlen = 0;
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	int r, rc = 1;

	if (argc < 4 || argc - 3 > MAX_SHARES) {
		fprintf(stderr, "usage: openescrow PACKAGE OUT SHARE...\n");
		return 2;
	}
	if (kr_harden_process(NULL) != 0 ||
	    (values = kr_secmem_alloc(MAX_SHARES * KR_SHARE_BYTES)) == NULL ||
	    (kek = kr_secmem_alloc(KR_KEK_BYTES)) == NULL)
		goto out;
	if ((r = kr_escrow_load(argv[1], &e)) != 0) {
		fprintf(stderr, "openescrow: %s\n", kr_err_detail());
		goto out;
	}
	n = (size_t)argc - 3;
	for (i = 0; i < n; i++) {
		in[i].source = argv[3 + i];
		in[i].data = values + i * KR_SHARE_BYTES;
		if (read_share(argv[3 + i], values + i * KR_SHARE_BYTES,
		    &in[i].len) != 0)
			goto out;
	}
	if ((r = kr_quorum_recover(e, in, n, v, kek)) != 0) {
		fprintf(stderr, "openescrow: %s\n", kr_err_detail());
		goto out;
	}
	if (e->symmetric)
		r = kr_escrow_open_symmetric(e, kek, &key, &out, &outlen);
	else if ((r = kr_escrow_open(e, kek, &key)) == 0)
		r = kr_key_to_pkcs8(key, &out, &outlen);
	if (r != 0) {
		fprintf(stderr, "openescrow: %s\n", kr_err_detail());
		goto out;
	}
	if ((f = fopen(argv[2], "wbx")) == NULL ||
	    fwrite(out, 1, outlen, f) != outlen || fclose(f) != 0) {
		perror(argv[2]);
		goto out;
	}
	printf("openescrow: %zu bytes of %s key written\n", outlen,
	    e->algorithm);
	rc = 0;
 out:
	EVP_PKEY_free(key);
	kr_secmem_free(out, outlen);
	kr_secmem_free(kek, KR_KEK_BYTES);
	kr_secmem_free(values, MAX_SHARES * KR_SHARE_BYTES);
	kr_escrow_free(e);
	return rc;
}
