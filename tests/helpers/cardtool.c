/*
 * cardtool.c: test helper.  Drives the token layer from a shell script, so
 * that integration tests can put keyrite and outside tools (pkcs11-tool,
 * openssl) on either side of one card.
 *
 *   cardtool [--module PATH] [--limit N] --card LABEL-OR-SERIAL OP...
 *
 * Operations run in order, in one module load and one session, so a card
 * can be pulled between two of them; each prints "ok OP ..." or
 * "error OP: <error>: <detail>", and cardtool exits 1 if any failed:
 *
 *   login:PIN            log in (keyrite's budget: --limit, default 3)
 *   write:KEYHEX:X:OUT   make a throwaway share of key KEYHEX (32 hex) with
 *                        index X, write it to the card, save it to OUT
 *   put:FILE             write the encoded share in FILE (its key id, index
 *                        and commitment taken from the share itself)
 *   read:KEYHEX:OUT      read the card's one share of KEYHEX into OUT
 *   list                 print the card's shares
 *   delete:KEYHEX        delete the card's share(s) of KEYHEX
 *   custodian:create:OUT find or make the custodian key; public key to OUT
 *   custodian:find:OUT   the same, but never make one
 *   sign:DIGEST:OUT      sign the 32 bytes in file DIGEST; DER to OUT
 *   info                 print the card's flags
 *   pause:PATH           create PATH.ready, then wait until PATH exists
 *
 * PINs on a command line are for tests only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/secmem.h"
#include "card/token.h"
#include "crypto/share.h"

struct ctx {
	struct kr_token_module		*m;
	struct kr_token_session		*s;
	struct kr_token_pin_budget	 budget;
};

static int
save(const char *path, const uint8_t *p, size_t len)
{
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL)
		return kr_err_errno(KR_ERR_IO, "%s", path);
	if (fwrite(p, 1, len, f) != len || fclose(f) != 0)
		return kr_err_errno(KR_ERR_IO, "%s", path);
	return 0;
}

static int
key_arg(const char *hex, uint8_t key_id[KR_SHARE_ID_BYTES])
{
	char buf[2 * KR_SHARE_ID_BYTES + 1];

	if (strlen(hex) < sizeof(buf) - 1)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "key id %s", hex);
	memcpy(buf, hex, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	if (kr_hex_decode(buf, key_id, KR_SHARE_ID_BYTES) != 0)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "key id %s", hex);
	return 0;
}

static int
op_login(struct ctx *c, const char *pin)
{
	size_t len = strlen(pin);
	char *p;
	int r;

	if ((p = kr_secmem_alloc(len + 1)) == NULL)
		return KR_ERR_SECMEM_MMAP;
	memcpy(p, pin, len);
	r = kr_token_login(c->s, p, len, &c->budget);
	kr_secmem_free(p, len + 1);
	return r;
}

static int
op_write(struct ctx *c, const char *arg)
{
	struct kr_share *sh = NULL;
	uint8_t *enc = NULL, commit[KR_SHARE_COMMIT_BYTES];
	const char *p;
	int r;

	if ((sh = kr_secmem_alloc(sizeof(*sh))) == NULL ||
	    (enc = kr_secmem_alloc(KR_SHARE_BYTES)) == NULL) {
		r = KR_ERR_SECMEM_MMAP;
		goto out;
	}
	if ((r = key_arg(arg, sh->key_id)) != 0)
		goto out;
	p = arg + 2 * KR_SHARE_ID_BYTES;
	if (*p++ != ':' || (sh->x = (uint8_t)strtoul(p, NULL, 10)) == 0 ||
	    (p = strchr(p, ':')) == NULL) {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "write:KEYHEX:X:OUT");
		goto out;
	}
	sh->m = 2;
	sh->n = sh->x < 2 ? 2 : sh->x;
	if (RAND_bytes(sh->set_id, sizeof(sh->set_id)) != 1 ||
	    RAND_bytes(sh->y, sizeof(sh->y)) != 1) {
		r = KR_ERR_LIBCRYPTO;
		goto out;
	}
	if ((r = kr_share_encode(sh, enc)) != 0 ||
	    (r = kr_share_commitment(sh->set_id, sh->x, sh->y, commit)) != 0 ||
	    (r = kr_token_write_share(c->s, sh->key_id, sh->x, enc,
	    KR_SHARE_BYTES, commit, "cardtool")) != 0)
		goto out;
	r = save(p + 1, enc, KR_SHARE_BYTES);
 out:
	kr_secmem_free(sh, sizeof(*sh));
	kr_secmem_free(enc, KR_SHARE_BYTES);
	return r;
}

static int
op_put(struct ctx *c, const char *path)
{
	struct kr_share *sh = NULL;
	uint8_t *enc = NULL, commit[KR_SHARE_COMMIT_BYTES];
	size_t n = 0;
	FILE *f = NULL;
	int r;

	if ((sh = kr_secmem_alloc(sizeof(*sh))) == NULL ||
	    (enc = kr_secmem_alloc(KR_SHARE_BYTES + 1)) == NULL) {
		r = KR_ERR_SECMEM_MMAP;
		goto out;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		r = kr_err_errno(KR_ERR_IO, "%s", path);
		goto out;
	}
	n = fread(enc, 1, KR_SHARE_BYTES + 1, f);
	if ((r = kr_share_decode(enc, n, path, sh)) != 0 ||
	    (r = kr_share_commitment(sh->set_id, sh->x, sh->y, commit)) != 0)
		goto out;
	r = kr_token_write_share(c->s, sh->key_id, sh->x, enc, n, commit,
	    "cardtool");
 out:
	if (f != NULL)
		fclose(f);
	kr_secmem_free(sh, sizeof(*sh));
	kr_secmem_free(enc, KR_SHARE_BYTES + 1);
	return r;
}

static int
op_read(struct ctx *c, const char *arg)
{
	struct kr_token_share *sh = NULL;
	uint8_t key_id[KR_SHARE_ID_BYTES];
	size_t n = 0;
	int r;

	if ((r = key_arg(arg, key_id)) != 0)
		goto out;
	if (arg[2 * KR_SHARE_ID_BYTES] != ':') {
		r = kr_err_set(KR_ERR_INVALID_ARGUMENT, "read:KEYHEX:OUT");
		goto out;
	}
	if ((r = kr_token_read_shares(c->s, key_id, &sh, &n)) != 0)
		goto out;
	if (n != 1) {
		r = kr_err_set(KR_ERR_NOT_FOUND, "%zu shares of that key", n);
		goto out;
	}
	printf("share %s x=%u %zu bytes %s\n", sh[0].label, sh[0].x,
	    sh[0].len, sh[0].is_private ? "private" : "PUBLIC");
	r = save(arg + 2 * KR_SHARE_ID_BYTES + 1, sh[0].value, sh[0].len);
 out:
	kr_token_shares_free(sh, n);
	return r;
}

static int
op_list(struct ctx *c)
{
	struct kr_token_share *sh = NULL;
	size_t n = 0, i;
	int r;

	if ((r = kr_token_read_shares(c->s, NULL, &sh, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		printf("share %s x=%u %zu bytes %s\n", sh[i].label, sh[i].x,
		    sh[i].len, sh[i].is_private ? "private" : "PUBLIC");
	printf("%zu share(s)\n", n);
	kr_token_shares_free(sh, n);
	return 0;
}

static int
op_delete(struct ctx *c, const char *arg)
{
	uint8_t key_id[KR_SHARE_ID_BYTES];
	int r;

	if ((r = key_arg(arg, key_id)) != 0)
		return r;
	return kr_token_delete_share(c->s, key_id);
}

static int
op_custodian(struct ctx *c, const char *arg)
{
	uint8_t *spki = NULL;
	size_t len = 0;
	int r, created = 0, create;

	if (strncmp(arg, "create:", 7) == 0)
		create = 1;
	else if (strncmp(arg, "find:", 5) == 0)
		create = 0;
	else
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "custodian:%s", arg);
	if ((r = kr_token_custodian_key(c->s, create, &spki, &len,
	    &created)) != 0)
		return r;
	printf("custodian key %s (%zu bytes of public key)\n",
	    created ? "created" : "found", len);
	r = save(strchr(arg, ':') + 1, spki, len);
	free(spki);
	return r;
}

static int
op_sign(struct ctx *c, const char *arg)
{
	uint8_t digest[33], *sig = NULL;
	char path[4096];
	const char *colon = strchr(arg, ':');
	size_t len = 0, n;
	FILE *f;
	int r;

	if (colon == NULL || (size_t)(colon - arg) >= sizeof(path))
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "sign:DIGEST:OUT");
	memcpy(path, arg, (size_t)(colon - arg));
	path[colon - arg] = '\0';
	if ((f = fopen(path, "rb")) == NULL)
		return kr_err_errno(KR_ERR_IO, "%s", path);
	n = fread(digest, 1, sizeof(digest), f);
	fclose(f);
	if (n != 32)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: not 32 bytes",
		    path);
	if ((r = kr_token_custodian_sign(c->s, digest, &sig, &len)) != 0)
		return r;
	r = save(colon + 1, sig, len);
	free(sig);
	return r;
}

static int
op_info(struct ctx *c)
{
	const struct kr_token_info *t = kr_token_session_info(c->s);

	printf("label=%s serial=%s login=%d wp=%d low=%d final=%d locked=%d\n",
	    t->label, t->serial, t->login_required, t->write_protected,
	    t->pin_count_low, t->pin_final_try, t->pin_locked);
	return 0;
}

static int
op_pause(const char *path)
{
	char ready[4200];
	FILE *f;
	int i;

	snprintf(ready, sizeof(ready), "%s.ready", path);
	if ((f = fopen(ready, "w")) == NULL || fclose(f) != 0)
		return kr_err_errno(KR_ERR_IO, "%s", ready);
	for (i = 0; i < 600 && access(path, F_OK) != 0; i++)
		usleep(50000);
	return i < 600 ? 0 : kr_err_set(KR_ERR_ABORTED, "no %s", path);
}

static int
run(struct ctx *c, const char *op)
{
	if (strncmp(op, "login:", 6) == 0)
		return op_login(c, op + 6);
	if (strncmp(op, "write:", 6) == 0)
		return op_write(c, op + 6);
	if (strncmp(op, "put:", 4) == 0)
		return op_put(c, op + 4);
	if (strncmp(op, "read:", 5) == 0)
		return op_read(c, op + 5);
	if (strcmp(op, "list") == 0)
		return op_list(c);
	if (strncmp(op, "delete:", 7) == 0)
		return op_delete(c, op + 7);
	if (strncmp(op, "custodian:", 10) == 0)
		return op_custodian(c, op + 10);
	if (strncmp(op, "sign:", 5) == 0)
		return op_sign(c, op + 5);
	if (strcmp(op, "info") == 0)
		return op_info(c);
	if (strncmp(op, "pause:", 6) == 0)
		return op_pause(op + 6);
	return kr_err_set(KR_ERR_INVALID_ARGUMENT, "unknown operation");
}

int
main(int argc, char **argv)
{
	struct ctx c = { NULL, NULL, { KR_TOKEN_PIN_ATTEMPTS, 0 } };
	struct kr_token_info t;
	const char *module = NULL, *card = NULL, *op;
	int i, r, failed = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			module = argv[++i];
		else if (strcmp(argv[i], "--card") == 0 && i + 1 < argc)
			card = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
			c.budget.limit = (unsigned int)atoi(argv[++i]);
		else
			break;
	}
	if (card == NULL || i == argc) {
		fprintf(stderr, "usage: cardtool [--module PATH] [--limit N] "
		    "--card LABEL OP...\n");
		return 2;
	}
	if ((r = kr_token_module_open(module, &c.m)) != 0 ||
	    (r = kr_token_find(c.m, card, &t)) != 0 ||
	    (r = kr_token_open(c.m, &t, &c.s)) != 0) {
		printf("error open: %s: %s\n", kr_strerror(r), kr_err_detail());
		kr_token_module_close(c.m);
		return 1;
	}
	for (; i < argc; i++) {
		op = argv[i];
		kr_err_clear();
		if ((r = run(&c, op)) == 0)
			printf("ok %.*s\n", (int)strcspn(op, ":"), op);
		else {
			printf("error %.*s: %s: %s\n", (int)strcspn(op, ":"),
			    op, kr_strerror(r), kr_err_detail());
			failed = 1;
		}
		fflush(stdout);
	}
	kr_token_close(c.s);
	kr_token_module_close(c.m);
	return failed;
}
