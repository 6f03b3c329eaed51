/*
 * harden.c: make the process fit to hold secrets.
 *
 * Order matters: the process becomes non-dumpable and loses its core limit
 * before anything secret exists, memory is locked so nothing reaches swap,
 * and OpenSSL's secure heap is started before the first key is generated or
 * decoded (OpenSSL allocates private-key bignums from it once it exists).
 */
#define _GNU_SOURCE	/* pthread_setattr_default_np() */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

#define CAP_IPC_LOCK_BIT	14	/* linux/capability.h CAP_IPC_LOCK */

static int locked;
static int lock_errno;
static char lock_why[128] = "not attempted";

/* Whether the effective capability set holds CAP_IPC_LOCK. */
static int
have_ipc_lock(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long caps = 0;
	int found = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found && (caps >> CAP_IPC_LOCK_BIT & 1);
}

/*
 * Threads started after this (libusb's hot-plug thread) get small stacks:
 * glibc's default is RLIMIT_STACK, 8 MiB, and with all memory locked
 * every page of a stack is resident, whether the thread uses it or not.
 */
#define THREAD_STACK	(256 * 1024)

static void
small_thread_stacks(void)
{
	pthread_attr_t a;

	if (pthread_attr_init(&a) != 0)
		return;
	if (pthread_attr_setstacksize(&a, THREAD_STACK) == 0)
		(void)pthread_setattr_default_np(&a);
	pthread_attr_destroy(&a);
}

static void
lock_all(void)
{
	struct rlimit ml;

#ifdef UNDER_ASAN
	lock_errno = EINVAL;
	snprintf(lock_why, sizeof(lock_why), "skipped under "
	    "AddressSanitizer");
	return;
#endif
	if (!have_ipc_lock() && (getrlimit(RLIMIT_MEMLOCK, &ml) != 0 ||
	    ml.rlim_cur != RLIM_INFINITY)) {
		lock_errno = EPERM;
		snprintf(lock_why, sizeof(lock_why), "needs CAP_IPC_LOCK or "
		    "an unlimited RLIMIT_MEMLOCK (limit is %llu KiB)",
		    (unsigned long long)ml.rlim_cur / 1024);
		return;
	}
	small_thread_stacks();
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) {
		locked = 1;
		lock_errno = 0;
		snprintf(lock_why, sizeof(lock_why), "all memory locked");
	} else {
		lock_errno = errno;
		snprintf(lock_why, sizeof(lock_why), "mlockall: %s",
		    strerror(errno));
	}
}

static int wiping_allocator;

static void *
wipe_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void
wipe_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* Never lets realloc() leave the old block behind unwiped. */
static void *
wipe_realloc(void *p, size_t n, const char *file, int line)
{
	size_t old;
	void *q;

	if (p == NULL)
		return wipe_malloc(n, file, line);
	if (n == 0) {
		wipe_free(p, file, line);
		return NULL;
	}
	old = malloc_usable_size(p);
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old < n ? old : n);
	wipe_free(p, file, line);
	return q;
}

int
kr_harden_crypto_memory(void)
{
	if (wiping_allocator)
		return 0;
	if (CRYPTO_set_mem_functions(wipe_malloc, wipe_realloc,
	    wipe_free) != 1)
		return kr_err_set(KR_ERR_HARDEN, "OpenSSL allocated memory "
		    "before its wiping allocator could be installed");
	wiping_allocator = 1;
	return 0;
}

int
kr_harden_crypto_memory_active(void)
{
	return wiping_allocator;
}

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
	snprintf(st->mlockall_why, sizeof(st->mlockall_why), "%s", lock_why);
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

	if (!locked)
		lock_all();

	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(KR_SECURE_HEAP_BYTES,
	    KR_SECURE_HEAP_MINSIZE) == 0)
		return kr_err_libcrypto(KR_ERR_SECMEM_HEAP,
		    "CRYPTO_secure_malloc_init");

	if (st != NULL)
		kr_harden_status(st);
	return 0;
}
