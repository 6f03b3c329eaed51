/*
 * mkescrow.c: test helper.  Makes an escrow package and its shares, for
 * integration tests and for the known-answer vector in tests/vectors/.
 *
 *   mkescrow DIR ALG M N [KEK-HEX]
 *
 * writes DIR/test.escrow, DIR/kek.hex and DIR/share-<x>.bin.  A throwaway
 * key for tests only: the KEK and shares are written in the clear.  ALG
 * aes-256 or hmac-sha256 makes a symmetric package (a random 32-byte key,
 * written to DIR/key.bin, and its seal key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "crypto/escrow.h"
#include "crypto/key.h"
#include "crypto/quorum.h"
#include "crypto/symkey.h"

static int
write_file(const char *dir, const char *name, const void *p, size_t len)
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

int
main(int argc, char **argv)
{
	struct kr_escrow *e;
	const struct kr_symkey_alg *sym;
	uint8_t raw[32];
	EVP_PKEY *key = NULL;
	uint8_t *kek, *shares;
	char *text, hex[2 * KR_KEK_BYTES + 2], name[32];
	size_t len;
	unsigned int i, m, n;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: mkescrow DIR ALG M N [KEK-HEX]\n");
		return 2;
	}
	m = (unsigned int)atoi(argv[3]);
	n = (unsigned int)atoi(argv[4]);
	if (kr_harden_process(NULL) != 0 ||
	    (e = kr_escrow_new((uint8_t)m, (uint8_t)n)) == NULL ||
	    (kek = kr_secmem_alloc(KR_KEK_BYTES)) == NULL ||
	    (shares = kr_secmem_alloc((size_t)n * KR_SHARE_BYTES)) == NULL) {
		fprintf(stderr, "mkescrow: setup failed: %s\n",
		    kr_err_detail());
		return 1;
	}
	if (argc == 6 ? kr_hex_decode(argv[5], kek, KR_KEK_BYTES) != 0 :
	    RAND_priv_bytes(kek, KR_KEK_BYTES) != 1) {
		fprintf(stderr, "mkescrow: bad KEK\n");
		return 1;
	}
	sym = kr_symkey_alg_find(argv[2]);
	if (sym != NULL) {
		if (RAND_priv_bytes(raw, sizeof(raw)) != 1 ||
		    kr_key_generate(kr_key_alg_find(KR_SYMKEY_SEAL_ALG),
		    &key) != 0 ||
		    kr_escrow_set_symmetric(e, sym, raw, sizeof(raw), key) != 0 ||
		    write_file(argv[1], "key.bin", raw, sizeof(raw)) != 0)
			goto fail;
	} else if (kr_key_generate(kr_key_alg_find(argv[2]), &key) != 0 ||
	    kr_escrow_set_key(e, key) != 0)
		goto fail;
	strcpy(e->key_class, "root-ca");
	strcpy(e->policy_name, "default");
	memset(e->policy_hash, 0x5a, sizeof(e->policy_hash));
	kr_escrow_now(e->created);
	kr_escrow_set_cryptoperiod(e, time(NULL), 1096);
	for (i = 0; i < n; i++) {
		snprintf(e->roster[i].name, sizeof(e->roster[i].name),
		    "Custodian %u", i + 1);
		snprintf(e->roster[i].card, sizeof(e->roster[i].card),
		    "custodian-%u", i + 1);
		snprintf(e->roster[i].serial, sizeof(e->roster[i].serial),
		    "%016x", 0x1000 + i);
	}
	if (kr_quorum_split(e, kek, shares) != 0 ||
	    (sym != NULL ? kr_escrow_seal_symmetric(e, raw, sizeof(raw), key,
	    kek) : kr_escrow_seal(e, key, kek)) != 0 ||
	    kr_escrow_encode(e, &text, &len) != 0)
		goto fail;
	if (write_file(argv[1], "test.escrow", text, len) != 0)
		return 1;
	kr_hex_encode(kek, KR_KEK_BYTES, hex, sizeof(hex));
	strcat(hex, "\n");
	if (write_file(argv[1], "kek.hex", hex, strlen(hex)) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "share-%u.bin", i + 1);
		if (write_file(argv[1], name, shares + i * KR_SHARE_BYTES,
		    KR_SHARE_BYTES) != 0)
			return 1;
	}
	free(text);
	EVP_PKEY_free(key);
	kr_escrow_free(e);
	kr_secmem_free(kek, KR_KEK_BYTES);
	kr_secmem_free(shares, (size_t)n * KR_SHARE_BYTES);
	return 0;
 fail:
	fprintf(stderr, "mkescrow: %s\n", kr_err_detail());
	return 1;
}
