/*
 * test_secmem.c: secret memory faults on overflow, wipes on free, detects
 * canary corruption, and is locked and excluded from core dumps.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/crypto.h>

#include "base/err.h"
#include "base/harden.h"
#include "base/secmem.h"

static const uint8_t pattern[8] = { 0xde, 0xad, 0xbe, 0xef, 0x5e, 0xc4, 0xe7, 0x01 };
static int hook_called;
static int hook_found_pattern;
static int hook_nonzero;

static void
scan_hook(const void *region, size_t len)
{
	const uint8_t *r = region;
	size_t i;

	hook_called++;
	for (i = 0; i < len; i++)
		if (r[i] != 0)
			hook_nonzero++;
	for (i = 0; i + sizeof(pattern) <= len; i++)
		if (memcmp(r + i, pattern, sizeof(pattern)) == 0)
			hook_found_pattern++;
}

Test(secmem, alloc_is_zeroed_and_usable)
{
	size_t sizes[] = { 1, 15, 16, 17, 4000, 4096, 4097, 100000 };
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = kr_secmem_alloc(sizes[i]);

		cr_assert_not_null(p, "alloc(%zu) failed: %s", sizes[i],
		    kr_err_detail());
		for (j = 0; j < sizes[i]; j++)
			cr_assert_eq(p[j], 0, "byte %zu of %zu not zero", j,
			    sizes[i]);
		memset(p, 0xa5, sizes[i]);
		cr_assert_eq(kr_secmem_check(p), 0, "check after full write");
		kr_secmem_free(p, sizes[i]);
	}
	cr_assert_eq(kr_secmem_live(), 0, "allocations leaked");
}

Test(secmem, zero_length_refused)
{
	errno = 0;
	cr_assert_null(kr_secmem_alloc(0), "alloc(0) must fail");
	cr_assert_eq(errno, EINVAL, "errno should be EINVAL");
}

Test(secmem, one_byte_past_end_faults, .signal = SIGSEGV)
{
	volatile uint8_t *p = kr_secmem_alloc(32);

	cr_assert_not_null(p, "alloc failed");
	p[32] = 1;
	cr_assert_fail("writing one byte past the end did not fault");
}

Test(secmem, one_byte_past_odd_length_faults, .signal = SIGSEGV)
{
	volatile uint8_t *p = kr_secmem_alloc(33);

	cr_assert_not_null(p, "alloc failed");
	p[33] = 1;
	cr_assert_fail("writing one byte past the end did not fault");
}

Test(secmem, leading_guard_page_faults, .signal = SIGSEGV)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = kr_secmem_alloc(32);
	volatile uint8_t *below;

	cr_assert_not_null(p, "alloc failed");
	/* The body starts at a page boundary; the byte before is guard. */
	below = (uint8_t *)(((uintptr_t)p & ~(uintptr_t)(page - 1)) - 1);
	*below = 1;
	cr_assert_fail("writing into the leading guard page did not fault");
}

Test(secmem, canary_corruption_detected, .signal = SIGABRT)
{
	uint8_t *p = kr_secmem_alloc(32);

	cr_assert_not_null(p, "alloc failed");
	p[-1] ^= 0x01;			/* an underflow by one byte */
	cr_assert_neq(kr_secmem_check(p), 0, "check missed the corruption");
	kr_secmem_free(p, 32);		/* must abort */
	cr_assert_fail("free did not abort on a corrupted canary");
}

Test(secmem, double_free_aborts, .signal = SIGABRT)
{
	uint8_t *p = kr_secmem_alloc(32);

	cr_assert_not_null(p, "alloc failed");
	kr_secmem_free(p, 32);
	kr_secmem_free(p, 32);
	cr_assert_fail("double free did not abort");
}

Test(secmem, wrong_length_aborts, .signal = SIGABRT)
{
	uint8_t *p = kr_secmem_alloc(32);

	cr_assert_not_null(p, "alloc failed");
	kr_secmem_free(p, 31);
	cr_assert_fail("free with a wrong length did not abort");
}

Test(secmem, foreign_pointer_aborts, .signal = SIGABRT)
{
	static uint8_t notsecret[64];

	kr_secmem_free(notsecret + 32, 32);
	cr_assert_fail("free of a foreign pointer did not abort");
}

Test(secmem, null_free_is_noop)
{
	kr_secmem_free(NULL, 0);
	kr_secmem_free(NULL, 32);
	cr_assert_eq(kr_secmem_live(), 0, "NULL free changed the registry");
}

Test(secmem, wiped_on_free)
{
	size_t n = 4096 + 100, i;
	uint8_t *p = kr_secmem_alloc(n);

	cr_assert_not_null(p, "alloc failed");
	for (i = 0; i + sizeof(pattern) <= n; i += sizeof(pattern))
		memcpy(p + i, pattern, sizeof(pattern));
	hook_called = hook_found_pattern = hook_nonzero = 0;
	kr_secmem_set_free_hook(scan_hook);
	kr_secmem_free(p, n);
	kr_secmem_set_free_hook(NULL);
	cr_assert_eq(hook_called, 1, "free hook not called");
	cr_assert_eq(hook_found_pattern, 0, "secret pattern survived free");
	cr_assert_eq(hook_nonzero, 0, "%d non-zero bytes after wipe",
	    hook_nonzero);
}

/* Finds the smaps entry holding addr; copies its text into buf. */
static int
smaps_entry(const void *addr, char *buf, size_t buflen)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	size_t used = 0;

	if (f == NULL)
		return -1;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		}
		if (in && used + strlen(line) < buflen) {
			memcpy(buf + used, line, strlen(line) + 1);
			used += strlen(line);
		}
	}
	fclose(f);
	return in || used ? 0 : -1;
}

Test(secmem, locked_and_not_dumped)
{
	char buf[8192], *flags;
	uint8_t *p = kr_secmem_alloc(64);

	cr_assert_not_null(p, "alloc failed: %s", kr_err_detail());
	cr_assert_eq(smaps_entry(p, buf, sizeof(buf)), 0, "no smaps entry");
	flags = strstr(buf, "VmFlags:");
	cr_assert_not_null(flags, "no VmFlags in smaps entry:\n%s", buf);
#if !defined(__SANITIZE_ADDRESS__)
	/* ASan intercepts mlock() as a no-op, so only plain builds see it. */
	cr_assert_not_null(strstr(flags, " lo"), "not mlocked: %s", flags);
#endif
	cr_assert_not_null(strstr(flags, " dd"), "not MADV_DONTDUMP: %s",
	    flags);
	cr_assert_not_null(strstr(flags, " wf"), "not MADV_WIPEONFORK: %s",
	    flags);
	kr_secmem_free(p, 64);
}

Test(harden, process_is_hardened)
{
	struct kr_harden_status st;
	struct rlimit rl;

	cr_assert_eq(kr_harden_process(&st), 0, "harden failed: %s",
	    kr_err_detail());
	cr_assert_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0,
	    "process still dumpable");
	cr_assert_eq(getrlimit(RLIMIT_CORE, &rl), 0, "getrlimit");
	cr_assert(rl.rlim_cur == 0 && rl.rlim_max == 0, "core limit not 0");
	cr_assert(st.nondumpable && st.core_limit_zero, "status disagrees");
	cr_assert(CRYPTO_secure_malloc_initialized(), "no secure heap");
	cr_assert(st.secure_heap, "status says no secure heap");
	/* Idempotent. */
	cr_assert_eq(kr_harden_process(NULL), 0, "second harden failed");
}
