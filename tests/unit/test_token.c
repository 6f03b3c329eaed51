/*
 * test_token.c: the token layer against real SoftHSM2 tokens.
 *
 * Each test (its own process under Criterion) makes a private token
 * directory with five initialised tokens, custodian-1..5 (user PIN
 * "pin-<i>"), and SoftHSM2's free slot, and points SOFTHSM2_CONF at it
 * before loading the module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "base/secmem.h"
#include "card/token.h"

/* The ceremony id shares written here carry in their label. */
#define CER	"20261206-120000-0a0b0c0d"
#include "crypto/share.h"

#define SOFTHSM		"/usr/lib/softhsm/libsofthsm2.so"
#define NTOKENS		5
#define SO_PIN		"12345678"

static char dir[256];
static struct kr_token_module *mod;

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "command failed: %s", cmd);
}

static void
pin_of(int i, char *pin, size_t len)
{
	snprintf(pin, len, "pin-%d", i);
}

static void
setup(void)
{
	char conf[300];
	FILE *f;
	int i;

	if (access(SOFTHSM, R_OK) != 0)
		cr_skip_test("SoftHSM2 is not installed (%s)", SOFTHSM);
	snprintf(dir, sizeof(dir), "/tmp/kr-test-token-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	sh("mkdir %s/tokens", dir);
	f = fopen(conf, "w");
	cr_assert_not_null(f, "writing %s", conf);
	fprintf(f, "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\nslots.removable = true\n", dir);
	fclose(f);
	cr_assert_eq(setenv("SOFTHSM2_CONF", conf, 1), 0, "setenv");
	for (i = 1; i <= NTOKENS; i++)
		sh("softhsm2-util --init-token --free --label custodian-%d "
		    "--so-pin " SO_PIN " --pin pin-%d >/dev/null", i, i);
	mod = NULL;
}

static void
teardown(void)
{
	kr_token_module_close(mod);
	if (dir[0] != '\0')
		sh("rm -rf %s", dir);
}

TestSuite(token, .init = setup, .fini = teardown);

static void
open_module(void)
{
	int r = kr_token_module_open(SOFTHSM, &mod);

	cr_assert_eq(r, 0, "module open: %s: %s", kr_strerror(r),
	    kr_err_detail());
}

static struct kr_token_session *
open_card(int i, int login)
{
	struct kr_token_pin_budget b = { KR_TOKEN_PIN_ATTEMPTS, 0 };
	struct kr_token_session *s = NULL;
	struct kr_token_info t;
	char label[32], pin[32];
	int r;

	snprintf(label, sizeof(label), "custodian-%d", i);
	r = kr_token_find(mod, label, &t);
	cr_assert_eq(r, 0, "find %s: %s", label, kr_err_detail());
	r = kr_token_open(mod, &t, &s);
	cr_assert_eq(r, 0, "open %s: %s", label, kr_err_detail());
	if (login) {
		pin_of(i, pin, sizeof(pin));
		r = kr_token_login(s, pin, strlen(pin), &b);
		cr_assert_eq(r, 0, "login %s: %s", label, kr_err_detail());
	}
	return s;
}

/* A valid encoded share of key_id with index x, and its commitment. */
static void
make_share(const uint8_t key_id[16], uint8_t x, uint8_t enc[KR_SHARE_BYTES],
    uint8_t commit[32])
{
	struct kr_share s;

	memset(&s, 0, sizeof(s));
	memcpy(s.key_id, key_id, 16);
	cr_assert_eq(RAND_bytes(s.set_id, 16), 1, "rand");
	cr_assert_eq(RAND_bytes(s.y, 32), 1, "rand");
	s.m = 2;
	s.n = 5;
	s.x = x;
	cr_assert_eq(kr_share_encode(&s, enc), 0, "encode: %s",
	    kr_err_detail());
	cr_assert_eq(kr_share_commitment(s.set_id, s.x, s.y, commit), 0,
	    "commitment");
	explicit_bzero(&s, sizeof(s));
}

static const uint8_t key_a[16] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
static const uint8_t key_b[16] = {
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};

static void
assert_names_card(int i, const struct kr_token_info *t)
{
	char want[64];

	snprintf(want, sizeof(want), "card custodian-%d (serial %s)", i,
	    t->serial);
	cr_assert_not_null(strstr(kr_err_detail(), want),
	    "detail does not name %s: %s", want, kr_err_detail());
}

Test(token, module_path_precedence)
{
	unsetenv(KR_TOKEN_MODULE_ENV);
	cr_assert_str_eq(kr_token_module_path(NULL), KR_TOKEN_DEFAULT_MODULE,
	    "default module");
	setenv(KR_TOKEN_MODULE_ENV, "", 1);
	cr_assert_str_eq(kr_token_module_path(NULL), KR_TOKEN_DEFAULT_MODULE,
	    "empty environment variable is ignored");
	setenv(KR_TOKEN_MODULE_ENV, "/env/module.so", 1);
	cr_assert_str_eq(kr_token_module_path(NULL), "/env/module.so",
	    "environment");
	cr_assert_str_eq(kr_token_module_path("/cli.so"), "/cli.so",
	    "--module wins over the environment");
}

Test(token, module_open_errors_name_the_module)
{
	int r;

	r = kr_token_module_open("/nonexistent/pkcs11.so", &mod);
	cr_assert_eq(r, KR_ERR_TOKEN_MODULE, "missing module: %d", r);
	cr_assert_null(mod, "output set on failure");
	cr_assert_not_null(strstr(kr_err_detail(), "/nonexistent/pkcs11.so"),
	    "detail: %s", kr_err_detail());
	r = kr_token_module_open("libcrypto.so.3", &mod);
	cr_assert_eq(r, KR_ERR_TOKEN_MODULE, "not a module: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "not a PKCS#11 module"),
	    "detail: %s", kr_err_detail());
}

Test(token, list_shows_five_cards_and_the_free_slot)
{
	struct kr_token_info *list = NULL;
	size_t n = 0, i, blank = 0;
	int seen[NTOKENS + 1] = { 0 }, k;

	open_module();
	cr_assert_not_null(strstr(kr_token_module_description(mod), "SoftHSM"),
	    "description: %s", kr_token_module_description(mod));
	cr_assert_eq(kr_token_list(mod, &list, &n), 0, "list: %s",
	    kr_err_detail());
	cr_assert_eq(n, NTOKENS + 1, "%zu tokens, want 5 and the free slot",
	    n);
	for (i = 0; i < n; i++) {
		if (!list[i].initialized) {
			blank++;
			continue;
		}
		cr_assert_eq(sscanf(list[i].label, "custodian-%d", &k), 1,
		    "label '%s'", list[i].label);
		cr_assert(k >= 1 && k <= NTOKENS && !seen[k], "label %s",
		    list[i].label);
		seen[k] = 1;
		cr_assert_eq(strlen(list[i].serial), 16, "serial '%s'",
		    list[i].serial);
		cr_assert_str_eq(list[i].manufacturer, "SoftHSM project",
		    "manufacturer, trailing blanks cut");
		cr_assert_str_eq(list[i].model, "SoftHSM v2", "model");
		cr_assert(list[i].login_required, "login required");
		cr_assert(!list[i].write_protected, "not write-protected");
		cr_assert(!list[i].pin_locked && !list[i].pin_final_try,
		    "PIN flags");
		/* C_GetSlotInfo: software, and removable as configured. */
		cr_assert(!list[i].hw_slot, "SoftHSM2 slot says CKF_HW_SLOT");
		cr_assert(list[i].removable, "slots.removable = true not "
		    "seen");
	}
	cr_assert_eq(blank, 1, "one free slot");
	free(list);
}

Test(token, find_by_label_or_serial)
{
	struct kr_token_info a, b;
	int r;

	open_module();
	cr_assert_eq(kr_token_find(mod, "custodian-3", &a), 0, "by label: %s",
	    kr_err_detail());
	cr_assert_str_eq(a.label, "custodian-3", "label");
	cr_assert_eq(kr_token_find(mod, a.serial, &b), 0, "by serial: %s",
	    kr_err_detail());
	cr_assert_str_eq(b.label, "custodian-3", "found by serial");
	r = kr_token_find(mod, "custodian-9", &b);
	cr_assert_eq(r, KR_ERR_TOKEN_NOT_PRESENT, "absent card: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "custodian-9"),
	    "detail names the card asked for: %s", kr_err_detail());
}

Test(token, find_refuses_two_cards_with_one_label)
{
	struct kr_token_info t;
	int r;

	sh("softhsm2-util --init-token --free --label custodian-2 --so-pin "
	    SO_PIN " --pin pin-x >/dev/null");
	open_module();
	r = kr_token_find(mod, "custodian-2", &t);
	cr_assert_eq(r, KR_ERR_INVALID_ARGUMENT, "ambiguous label: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "both card custodian-2"),
	    "detail: %s", kr_err_detail());
}

Test(token, write_read_list_delete_on_five_cards)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a[NTOKENS + 1][KR_SHARE_BYTES], b[KR_SHARE_BYTES], c[32];
	size_t n = 0, live = kr_secmem_live();
	int i, r;

	open_module();
	for (i = 1; i <= NTOKENS; i++) {
		s = open_card(i, 1);
		make_share(key_a, (uint8_t)i, a[i], c);
		r = kr_token_write_share(s, key_a, (uint8_t)i, a[i],
		    KR_SHARE_BYTES, c, CER);
		cr_assert_eq(r, 0, "write A on %d: %s", i, kr_err_detail());
		make_share(key_b, (uint8_t)i, b, c);
		r = kr_token_write_share(s, key_b, (uint8_t)i, b,
		    KR_SHARE_BYTES, c, CER);
		cr_assert_eq(r, 0, "write B on %d: %s", i, kr_err_detail());

		r = kr_token_read_shares(s, key_a, &sh, &n);
		cr_assert_eq(r, 0, "read A: %s", kr_err_detail());
		cr_assert_eq(n, 1, "card %d: %zu shares of A", i, n);
		cr_assert_eq(sh[0].x, i, "x from the label");
		cr_assert_eq(memcmp(sh[0].key_id, key_a, 16), 0, "key id");
		cr_assert_eq(sh[0].len, KR_SHARE_BYTES, "length");
		cr_assert_eq(memcmp(sh[0].value, a[i], KR_SHARE_BYTES), 0,
		    "card %d: bytes read differ from bytes written", i);
		cr_assert(sh[0].is_private, "written as a private object");
		cr_assert(strncmp(sh[0].label, "keyrite-share:00112233445566"
		    "778899aabbccddeeff:", 47) == 0, "label %s", sh[0].label);
		cr_assert_str_eq(sh[0].ceremony, CER, "the writing ceremony "
		    "from the label %s", sh[0].label);
		kr_token_shares_free(sh, n);

		r = kr_token_read_shares(s, NULL, &sh, &n);
		cr_assert_eq(r, 0, "read all: %s", kr_err_detail());
		cr_assert_eq(n, 2, "card %d holds shares of 2 keys, not %zu",
		    i, n);
		kr_token_shares_free(sh, n);

		r = kr_token_delete_share(s, key_a);
		cr_assert_eq(r, 0, "delete A: %s", kr_err_detail());
		r = kr_token_read_shares(s, key_a, &sh, &n);
		cr_assert_eq(r, 0, "read A after delete: %s", kr_err_detail());
		cr_assert_eq(n, 0, "share of A still there after delete");
		kr_token_shares_free(sh, n);
		r = kr_token_read_shares(s, NULL, &sh, &n);
		cr_assert_eq(r == 0 && n == 1 &&
		    memcmp(sh[0].key_id, key_b, 16) == 0, 1,
		    "B survives A's deletion");
		kr_token_shares_free(sh, n);
		r = kr_token_delete_share(s, key_a);
		cr_assert_eq(r, KR_ERR_NOT_FOUND, "second delete: %d", r);
		assert_names_card(i, kr_token_session_info(s));
		kr_token_close(s);
	}
	cr_assert_eq(kr_secmem_live(), live, "secret memory leaked");

	/* B is still there after the module is loaded again. */
	kr_token_module_close(mod);
	mod = NULL;
	open_module();
	for (i = 1; i <= NTOKENS; i++) {
		s = open_card(i, 1);
		r = kr_token_read_shares(s, key_b, &sh, &n);
		cr_assert_eq(r == 0 && n == 1 && sh[0].x == i, 1,
		    "card %d: B after reload: %s", i, kr_err_detail());
		kr_token_shares_free(sh, n);
		kr_token_close(s);
	}
}

Test(token, refuses_second_share_of_a_key)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a1[KR_SHARE_BYTES], a2[KR_SHARE_BYTES], c1[32], c2[32];
	size_t n = 0;
	int r;

	open_module();
	s = open_card(2, 1);
	make_share(key_a, 1, a1, c1);
	make_share(key_a, 2, a2, c2);
	r = kr_token_write_share(s, key_a, 1, a1, KR_SHARE_BYTES, c1, CER);
	cr_assert_eq(r, 0, "first write: %s", kr_err_detail());
	r = kr_token_write_share(s, key_a, 2, a2, KR_SHARE_BYTES, c2, CER);
	cr_assert_eq(r, KR_ERR_TOKEN_EXISTS, "second share of A: %d", r);
	assert_names_card(2, kr_token_session_info(s));
	r = kr_token_write_share(s, key_a, 1, a1, KR_SHARE_BYTES, c1, CER);
	cr_assert_eq(r, KR_ERR_TOKEN_EXISTS, "same share again: %d", r);
	r = kr_token_read_shares(s, key_a, &sh, &n);
	cr_assert_eq(r == 0 && n == 1 && sh[0].x == 1 &&
	    memcmp(sh[0].value, a1, KR_SHARE_BYTES) == 0, 1,
	    "the first share is untouched");
	kr_token_shares_free(sh, n);
	kr_token_close(s);
}

Test(token, shares_need_a_login)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a[KR_SHARE_BYTES], c[32];
	size_t n = 0;
	int r;

	open_module();
	s = open_card(1, 0);
	make_share(key_a, 1, a, c);
	r = kr_token_write_share(s, key_a, 1, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_TOKEN_NOT_LOGGED_IN, "write: %d", r);
	r = kr_token_read_shares(s, NULL, &sh, &n);
	cr_assert_eq(r, KR_ERR_TOKEN_NOT_LOGGED_IN,
	    "read without PIN must not say 'no shares': %d", r);
	cr_assert_null(sh, "output set on failure");
	kr_token_close(s);
}

Test(token, refuses_a_share_that_fails_its_commitment)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a[KR_SHARE_BYTES], c[32];
	size_t n = 0;
	int r;

	open_module();
	s = open_card(1, 1);
	make_share(key_a, 1, a, c);
	c[0] ^= 1;
	r = kr_token_write_share(s, key_a, 1, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_SHARE_COMMITMENT, "commitment: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "nothing was written"),
	    "detail: %s", kr_err_detail());
	c[0] ^= 1;
	r = kr_token_write_share(s, key_b, 1, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_INVALID_ARGUMENT, "key id differs: %d", r);
	r = kr_token_write_share(s, key_a, 2, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_INVALID_ARGUMENT, "x differs: %d", r);
	a[75] ^= 0x40;
	r = kr_token_write_share(s, key_a, 1, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_SHARE_CHECKSUM, "damaged share: %d", r);
	r = kr_token_read_shares(s, NULL, &sh, &n);
	cr_assert_eq(r == 0 && n == 0, 1, "nothing written: %zu", n);
	kr_token_shares_free(sh, n);
	kr_token_close(s);
}

Test(token, wrong_pin_stops_at_keyrites_bound)
{
	struct kr_token_pin_budget b = { KR_TOKEN_PIN_ATTEMPTS, 0 };
	struct kr_token_session *s;
	char want[64];
	unsigned int k;
	int r;

	open_module();
	s = open_card(4, 0);
	for (k = 1; k <= KR_TOKEN_PIN_ATTEMPTS; k++) {
		r = kr_token_login(s, "wrong", 5, &b);
		cr_assert_eq(r, KR_ERR_TOKEN_PIN_INCORRECT, "attempt %u: %d",
		    k, r);
		cr_assert_eq(b.failed, k, "budget counts attempt %u", k);
		if (k < KR_TOKEN_PIN_ATTEMPTS)
			snprintf(want, sizeof(want), "allows %u more "
			    "attempt(s)", KR_TOKEN_PIN_ATTEMPTS - k);
		else
			snprintf(want, sizeof(want), "the last attempt");
		cr_assert_not_null(strstr(kr_err_detail(), want),
		    "attempt %u: %s", k, kr_err_detail());
		cr_assert_not_null(strstr(kr_err_detail(), "the card says"),
		    "says what the card reports: %s", kr_err_detail());
		assert_names_card(4, kr_token_session_info(s));
	}
	/* The bound holds even for the right PIN: it is not tried. */
	r = kr_token_login(s, "pin-4", 5, &b);
	cr_assert_eq(r, KR_ERR_TOKEN_ATTEMPTS, "after the bound: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "not tried"), "detail: %s",
	    kr_err_detail());
	assert_names_card(4, kr_token_session_info(s));
	cr_assert_eq(b.failed, KR_TOKEN_PIN_ATTEMPTS, "not counted");
	kr_token_close(s);

	/* Another ceremony: SoftHSM2 never locks, the right PIN works. */
	b.failed = 0;
	s = open_card(4, 0);
	r = kr_token_login(s, "pin-4", 5, &b);
	cr_assert_eq(r, 0, "right PIN after the bound: %s", kr_err_detail());
	kr_token_close(s);
}

/* Moves card i's token directory away, as if the card were pulled. */
static void
pull_card(int i)
{
	sh("d=$(grep -l 'custodian-%d ' %s/tokens/*/token.object | "
	    "xargs dirname) && mv \"$d\" %s/pulled", i, dir, dir);
}

Test(token, pulled_card_is_named_never_success)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	struct kr_token_info t;
	uint8_t a[KR_SHARE_BYTES], c[32], d[32] = { 1 }, *p = NULL;
	size_t n = 0, len = 0;
	int r, created;

	open_module();
	s = open_card(3, 1);
	t = *kr_token_session_info(s);
	make_share(key_a, 3, a, c);
	r = kr_token_write_share(s, key_a, 3, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, 0, "write: %s", kr_err_detail());
	pull_card(3);

	r = kr_token_read_shares(s, key_a, &sh, &n);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "read of key: %d (%zu shares)",
	    r, n);
	assert_names_card(3, &t);
	r = kr_token_read_shares(s, NULL, &sh, &n);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "read all: %d", r);
	make_share(key_b, 3, a, c);
	r = kr_token_write_share(s, key_b, 3, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "write: %d", r);
	assert_names_card(3, &t);
	r = kr_token_delete_share(s, key_a);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "delete: %d", r);
	r = kr_token_custodian_key(s, 1, &p, &len, &created);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "custodian key: %d", r);
	cr_assert_null(p, "no key exported");
	r = kr_token_custodian_sign(s, d, &p, &len);
	cr_assert_eq(r, KR_ERR_TOKEN_REMOVED, "sign: %d", r);
	assert_names_card(3, &t);
	kr_token_close(s);
}

/* The faulty-card module tests/tests.mk builds next to the tests. */
static const char *
shim_path(void)
{
	static char p[512];
	const char *b = getenv("BUILD");

	snprintf(p, sizeof(p), "%s/shim/p11-corrupt.so",
	    b != NULL && *b != '\0' ? b : "build");
	return p;
}

/* Writes a share through the faulty module in mode; the write must fail. */
static void
faulty_write(const char *mode, const char *want)
{
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a[KR_SHARE_BYTES], c[32];
	size_t n = 0;
	int r;

	cr_assert_eq(access(shim_path(), R_OK), 0, "%s is not built (run "
	    "the tests through make)", shim_path());
	setenv("KR_SHIM_CORRUPT", mode, 1);
	r = kr_token_module_open(shim_path(), &mod);
	cr_assert_eq(r, 0, "shim: %s", kr_err_detail());
	s = open_card(1, 1);
	make_share(key_a, 1, a, c);
	r = kr_token_write_share(s, key_a, 1, a, KR_SHARE_BYTES, c, CER);
	cr_assert_eq(r, KR_ERR_TOKEN_READBACK, "%s: a failed read-back must "
	    "fail the write: %d %s", mode, r, kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), want), "%s: detail: %s",
	    mode, kr_err_detail());
	cr_assert_not_null(strstr(kr_err_detail(), "the write failed and "
	    "keyrite removed the object again"), "%s: detail: %s", mode,
	    kr_err_detail());
	assert_names_card(1, kr_token_session_info(s));
	kr_token_close(s);
	kr_token_module_close(mod);
	mod = NULL;
	unsetenv("KR_SHIM_CORRUPT");

	/* Through the real module: the bad object is gone. */
	open_module();
	s = open_card(1, 1);
	r = kr_token_read_shares(s, NULL, &sh, &n);
	cr_assert_eq(r == 0 && n == 0, 1, "%s: %zu objects left behind: %s",
	    mode, n, kr_err_detail());
	kr_token_shares_free(sh, n);
	kr_token_close(s);
	kr_token_module_close(mod);
	mod = NULL;
}

Test(token, readback_mismatch_is_a_failed_write)
{
	faulty_write("value", "differ from the 80 bytes written");
	faulty_write("hide", "the card shows 0 share(s)");
}

static int
verify(const uint8_t *spki, size_t spkilen, const uint8_t dg[32],
    const uint8_t *sig, size_t siglen)
{
	const unsigned char *p = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)spkilen);
	EVP_PKEY_CTX *ctx;
	int ok;

	cr_assert_not_null(pk, "public key does not decode");
	cr_assert_str_eq(EVP_PKEY_get0_type_name(pk), "EC", "key type");
	cr_assert_eq(EVP_PKEY_get_bits(pk), 256, "P-256");
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_verify(ctx, sig, siglen, dg, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return ok;
}

Test(token, custodian_key_made_once_then_reused)
{
	struct kr_token_session *s;
	uint8_t *k1 = NULL, *k2 = NULL, *sig = NULL, dg[32];
	size_t l1 = 0, l2 = 0, sl = 0;
	int r, created = -1;

	open_module();
	s = open_card(5, 1);
	r = kr_token_custodian_key(s, 0, &k1, &l1, &created);
	cr_assert_eq(r, KR_ERR_NOT_FOUND, "no key yet, create unset: %d", r);
	cr_assert_eq(created, 0, "not created");
	r = kr_token_custodian_sign(s, dg, &sig, &sl);
	cr_assert_eq(r, KR_ERR_NOT_FOUND, "sign without a key: %d", r);
	r = kr_token_custodian_key(s, 1, &k1, &l1, &created);
	cr_assert_eq(r, 0, "create: %s", kr_err_detail());
	cr_assert_eq(created, 1, "created now");
	r = kr_token_custodian_key(s, 1, &k2, &l2, &created);
	cr_assert_eq(r, 0, "again: %s", kr_err_detail());
	cr_assert_eq(created, 0, "reused, not created again");
	cr_assert_eq(l1 == l2 && memcmp(k1, k2, l1) == 0, 1, "same key");
	free(k2);
	kr_token_close(s);

	/* A later ceremony finds the same key and signs with it. */
	kr_token_module_close(mod);
	mod = NULL;
	open_module();
	s = open_card(5, 1);
	r = kr_token_custodian_key(s, 0, &k2, &l2, &created);
	cr_assert_eq(r == 0 && l1 == l2 && memcmp(k1, k2, l1) == 0, 1,
	    "same key after reload: %s", kr_err_detail());
	cr_assert_eq(RAND_bytes(dg, sizeof(dg)), 1, "rand");
	r = kr_token_custodian_sign(s, dg, &sig, &sl);
	cr_assert_eq(r, 0, "sign: %s", kr_err_detail());
	cr_assert(verify(k1, l1, dg, sig, sl), "signature does not verify");
	dg[0] ^= 1;
	cr_assert(!verify(k1, l1, dg, sig, sl), "verifies another digest");
	free(k1);
	free(k2);
	free(sig);
	kr_token_close(s);

	/* Another card has its own key. */
	s = open_card(1, 1);
	r = kr_token_custodian_key(s, 0, &k1, &l1, &created);
	cr_assert_eq(r, KR_ERR_NOT_FOUND, "card 1 has no key: %d", r);
	kr_token_close(s);
}

/*
 * A card pulled while its key pair was being made holds half a pair: it is
 * named when the key is only looked for, and replaced by a whole new pair
 * when keyrite is asked to make one.
 */
Test(token, half_a_custodian_key_pair)
{
	struct kr_token_session *s;
	uint8_t *k1 = NULL, *k2 = NULL;
	size_t l1 = 0, l2 = 0;
	int r, created = 0;

	open_module();
	s = open_card(2, 1);
	cr_assert_eq(kr_token_custodian_key(s, 1, &k1, &l1, &created), 0,
	    "create: %s", kr_err_detail());
	kr_token_close(s);
	kr_token_module_close(mod);
	mod = NULL;
	sh("pkcs11-tool --module %s --token-label custodian-2 --login --pin "
	    "pin-2 --delete-object --type privkey --label keyrite-custodian "
	    ">/dev/null 2>&1", SOFTHSM);
	open_module();
	s = open_card(2, 1);
	r = kr_token_custodian_key(s, 0, &k2, &l2, &created);
	cr_assert_eq(r, KR_ERR_TOKEN_CUSTODIAN_KEY, "half a pair: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "holds only the public "
	    "half of its keyrite-custodian key pair"), "%s", kr_err_detail());
	r = kr_token_custodian_key(s, 1, &k2, &l2, &created);
	cr_assert_eq(r, 0, "remade: %s", kr_err_detail());
	cr_assert_eq(created, 1, "made now");
	cr_assert(l1 != l2 || memcmp(k1, k2, l1) != 0, "the same key again");
	free(k1);
	free(k2);
	kr_token_close(s);
}

Test(token, rehearsal_card_initialised_in_free_slot)
{
	struct kr_token_pin_budget b = { KR_TOKEN_PIN_ATTEMPTS, 0 };
	struct kr_token_session *s = NULL;
	struct kr_token_info t;
	unsigned long *slots = NULL;
	size_t n = 0;
	int r;

	open_module();
	r = kr_token_free_slots(mod, &slots, &n);
	cr_assert_eq(r, 0, "free slots: %s", kr_err_detail());
	cr_assert_eq(n, 1, "SoftHSM2 has one free slot, not %zu", n);
	r = kr_token_init_token(mod, slots[0], SO_PIN, "rehearsal-1", "1234");
	cr_assert_eq(r, 0, "init: %s", kr_err_detail());
	free(slots);
	cr_assert_eq(kr_token_module_reload(mod), 0, "reload: %s",
	    kr_err_detail());
	r = kr_token_find(mod, "rehearsal-1", &t);
	cr_assert_eq(r, 0, "new card: %s", kr_err_detail());
	cr_assert(t.initialized, "initialised");
	cr_assert_eq(kr_token_open(mod, &t, &s), 0, "open: %s",
	    kr_err_detail());
	cr_assert_eq(kr_token_login(s, "1234", 4, &b), 0, "user PIN: %s",
	    kr_err_detail());
	r = kr_token_module_reload(mod);
	cr_assert_eq(r, KR_ERR_ENGINE_STATE, "reload with a session: %d", r);
	kr_token_close(s);
	r = kr_token_free_slots(mod, &slots, &n);
	cr_assert_eq(r == 0 && n == 1, 1, "a new free slot after reload");
	free(slots);
}

Test(token, slot_events_unsupported_on_softhsm)
{
	unsigned long slot = 0;
	int r;

	open_module();
	r = kr_token_slot_event(mod, &slot);
	cr_assert(r == KR_ERR_UNSUPPORTED || r == KR_ERR_NOT_FOUND,
	    "no event, or unsupported: %d", r);
}

Test(token, names_escape_what_a_card_says)
{
	struct kr_token_info t;
	char out[KR_TOKEN_NAME_MAX];
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "custodian-1", "custodian-1" },
		{ "J\xc3\xbcrgen", "J\xc3\xbcrgen" },
		{ "a\x1b[2Jb", "a\\x1b[2Jb" },
		{ "c1\xc2\x9b" "31m", "c1\\xc2\\x9b31m" },
		{ "bad\xff\xc3", "bad\\xff\\xc3" },
		{ "del\x7f", "del\\x7f" },
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kr_token_printable(cases[i].in, out, sizeof(out));
		cr_assert_str_eq(out, cases[i].want, "case %zu", i);
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.label, sizeof(t.label), "x\ny");
	snprintf(t.serial, sizeof(t.serial), "0123456789abcdef");
	kr_token_name(&t, out, sizeof(out));
	cr_assert_str_eq(out, "card x\\x0ay (serial 0123456789abcdef)",
	    "name");
	kr_token_printable("\x01\x02\x03", out, 8);
	cr_assert_str_eq(out, "\\x01", "cut short, whole escapes only");
}

/*
 * A reshare's new share goes beside the one it supersedes, and only that
 * one; deleting by ceremony leaves the other split's share alone (a
 * failed reshare's pending share goes, the old one stays; a retired old
 * share goes, the new one stays).
 */
Test(token, reshare_writes_beside_and_deletes_by_ceremony)
{
	static const char old[] = "20261123-140509-aaaaaaaa";
	static const char new[] = "20261201-090000-bbbbbbbb";
	static const char other[] = "20261202-090000-cccccccc";
	struct kr_token_session *s;
	struct kr_token_share *sh = NULL;
	uint8_t a1[KR_SHARE_BYTES], a3[KR_SHARE_BYTES], a4[KR_SHARE_BYTES];
	uint8_t c1[32], c3[32], c4[32];
	size_t n = 0;
	int r;

	open_module();
	s = open_card(3, 1);
	make_share(key_a, 1, a1, c1);
	make_share(key_a, 3, a3, c3);
	make_share(key_a, 4, a4, c4);
	cr_assert_eq(kr_token_write_share(s, key_a, 1, a1, KR_SHARE_BYTES, c1,
	    old), 0, "old share: %s", kr_err_detail());
	/* Beside another ceremony's share: refused, naming it. */
	r = kr_token_write_share_beside(s, key_a, 3, a3, KR_SHARE_BYTES, c3,
	    new, other);
	cr_assert_eq(r, KR_ERR_TOKEN_EXISTS, "beside the wrong share: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), old), "names %s: %s", old,
	    kr_err_detail());
	/* Beside the share it supersedes: written, read back alone. */
	cr_assert_eq(kr_token_write_share_beside(s, key_a, 3, a3,
	    KR_SHARE_BYTES, c3, new, old), 0, "beside: %s", kr_err_detail());
	cr_assert_eq(kr_token_read_shares(s, key_a, &sh, &n), 0, "read");
	cr_assert_eq(n, 2, "two shares of the key, of two splits");
	kr_token_shares_free(sh, n);
	/* A third, even beside the old one: the new one is in the way. */
	r = kr_token_write_share_beside(s, key_a, 4, a4, KR_SHARE_BYTES, c4,
	    other, old);
	cr_assert_eq(r, KR_ERR_TOKEN_EXISTS, "a third share: %d", r);
	/* The pending one goes, the old one stays. */
	cr_assert_eq(kr_token_delete_share_of(s, key_a, new), 0, "delete new");
	cr_assert_eq(kr_token_delete_share_of(s, key_a, new), KR_ERR_NOT_FOUND,
	    "deleted twice");
	cr_assert_eq(kr_token_read_shares(s, key_a, &sh, &n), 0, "read");
	cr_assert(n == 1 && strcmp(sh[0].ceremony, old) == 0 && sh[0].x == 1 &&
	    memcmp(sh[0].value, a1, KR_SHARE_BYTES) == 0, "the old share "
	    "is untouched");
	kr_token_shares_free(sh, n);
	kr_token_close(s);
}
