/* test_err.c: error codes have distinct texts; OpenSSL's queue is drained. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/err.h"

Test(err, known_codes_have_text)
{
	static const int codes[] = { KR_ERR_INTERNAL, KR_ERR_NOMEM,
	    KR_ERR_SECMEM_MLOCK, KR_ERR_SELFTEST_FAILED, KR_ERR_AIRGAP_NETIF,
	    KR_ERR_SHAMIR_TOO_FEW, KR_ERR_SHARE_CHECKSUM,
	    KR_ERR_ESCROW_INTEGRITY, KR_ERR_TOKEN_PIN_INCORRECT,
	    KR_ERR_ABORTED, KR_ERR_SIGNALLED, KR_ERR_TERMINAL_LOST,
	    KR_ERR_AIRGAP_SCAN, KR_ERR_AIRGAP_BREACHED };
	size_t i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		cr_assert_str_neq(kr_strerror(codes[i]), "unknown error",
		    "code %d has no text", codes[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(kr_strerror(codes[i]),
			    kr_strerror(codes[j]), "codes %d and %d share text",
			    codes[i], codes[j]);
	}
	cr_assert_str_eq(kr_strerror(0), "success", "0 is success");
	cr_assert_str_eq(kr_strerror(-99999), "unknown error", "unknown code");
}

Test(err, set_returns_code_and_keeps_detail)
{
	int r = kr_err_set(KR_ERR_FORMAT, "file %s line %d", "x.conf", 7);

	cr_assert_eq(r, KR_ERR_FORMAT, "kr_err_set must return its code");
	cr_assert_str_eq(kr_err_detail(), "file x.conf line 7", "detail");
	kr_err_clear();
	cr_assert_str_eq(kr_err_detail(), "", "detail after clear");
}

Test(err, libcrypto_queue_drained)
{
	/* Provoke an OpenSSL error: an unknown cipher name. */
	cr_assert_null(EVP_CIPHER_fetch(NULL, "NO-SUCH-CIPHER", NULL),
	    "fetch of a bogus cipher succeeded");
	cr_assert_neq(ERR_peek_error(), 0, "no OpenSSL error queued");
	cr_assert_eq(kr_err_libcrypto(KR_ERR_LIBCRYPTO, "fetching cipher"),
	    KR_ERR_LIBCRYPTO, "returns its code");
	cr_assert_eq(ERR_peek_error(), 0, "queue not drained");
	cr_assert(strncmp(kr_err_detail(), "fetching cipher: ", 17) == 0,
	    "detail lacks context: %s", kr_err_detail());
	cr_assert(strlen(kr_err_detail()) > 17, "detail lacks OpenSSL text");
}

/*
 * Adding context to a lower layer's detail passes the detail itself as an
 * argument; the result must be the context followed by the old text, not
 * a garbled mix (seen as "PKCS#11 module ...: e card out, put it back").
 */
Test(err, detail_may_be_an_argument)
{
	kr_err_set(KR_ERR_TOKEN_REMOVED, "card custodian-3 was taken out, "
	    "put it back");
	kr_err_set(KR_ERR_TOKEN_REMOVED, "PKCS#11 module /x/y.so: %s",
	    kr_err_detail());
	cr_assert_str_eq(kr_err_detail(), "PKCS#11 module /x/y.so: card "
	    "custodian-3 was taken out, put it back", "got '%s'",
	    kr_err_detail());
	errno = ENOENT;
	kr_err_errno(KR_ERR_IO, "%s (reading)", kr_err_detail());
	cr_assert_str_eq(kr_err_detail(), "PKCS#11 module /x/y.so: card "
	    "custodian-3 was taken out, put it back (reading): No such file "
	    "or directory", "got '%s'", kr_err_detail());
}
