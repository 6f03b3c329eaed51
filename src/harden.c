/*
 * harden.c: make the process fit to hold secrets.
 *
 * Order matters: the process becomes non-dumpable and loses its core limit
 * before anything secret exists, memory is locked so nothing reaches swap,
 * and OpenSSL's secure heap is started before the first key is generated or
 * decoded (OpenSSL allocates private-key bignums from it once it exists).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "err.h"
#include "harden.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static int locked;
static int lock_errno;

void
kr_harden_status(struct kr_harden_status *st)
{
	struct rlimit rl;

	memset(st, 0, sizeof(*st));
	st->nondumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
	st->core_limit_zero = getrlimit(RLIMIT_CORE, &rl) == 0 &&
	    rl.rlim_cur == 0 && rl.rlim_max == 0;
	st->mlockall_ok = locked;
	st->mlockall_errno = lock_errno;
	st->secure_heap = CRYPTO_secure_malloc_initialized();
}

int
kr_harden_process(struct kr_harden_status *st)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return kr_err_errno(KR_ERR_HARDEN, "prctl(PR_SET_DUMPABLE)");
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return kr_err_errno(KR_ERR_HARDEN, "setrlimit(RLIMIT_CORE)");

	if (!locked) {
#ifdef UNDER_ASAN
		lock_errno = EINVAL;
#else
		if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
			locked = 1;
			lock_errno = 0;
		} else
			lock_errno = errno;
#endif
	}

	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(KR_SECURE_HEAP_BYTES,
	    KR_SECURE_HEAP_MINSIZE) == 0)
		return kr_err_libcrypto(KR_ERR_SECMEM_HEAP,
		    "CRYPTO_secure_malloc_init");

	if (st != NULL)
		kr_harden_status(st);
	return 0;
}
