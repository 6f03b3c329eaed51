/*
 * secmem.h: locked, guarded, non-dumpable memory for secrets.
 *
 * Every secret keyrite holds on the heap (KEKs, shares, PINs, PKCS#8 DER of
 * private keys) lives in memory from kr_secmem_alloc(), in the manner of
 * libsodium's sodium_malloc():
 *
 *   [guard page][header | ... | canary | user bytes][guard page]
 *
 * The user bytes end exactly at the trailing guard page, so writing one byte
 * past them faults (SIGSEGV).  The pages are mlock()ed (a failure fails the
 * allocation: a secret must never reach swap), marked MADV_DONTDUMP and
 * MADV_WIPEONFORK, and wiped before they are unmapped.
 *
 * Because the user bytes end at a page boundary, the returned pointer is
 * only as aligned as the length allows: use it for byte buffers.
 */
#ifndef KR_SECMEM_H
#define KR_SECMEM_H

#include <stddef.h>

/*
 * Allocates len (> 0) bytes of secret memory, zero-filled.  Returns NULL and
 * sets errno (ENOMEM, EINVAL, or mlock's errno) on failure, with the reason
 * in kr_err_detail().  Free with kr_secmem_free().
 */
void	*kr_secmem_alloc(size_t len);

/*
 * Wipes and releases p, which must come from kr_secmem_alloc() with the same
 * len.  NULL is a no-op.  Programmer errors are fatal (abort()): a pointer
 * that is not a live allocation (including a double free), a len that does
 * not match, or a corrupted canary (an underflow wrote over it).
 */
void	 kr_secmem_free(void *p, size_t len);

/*
 * Returns 0 if p's canary and header are intact, KR_ERR_INTERNAL if not.
 * p must be a live allocation.
 */
int	 kr_secmem_check(const void *p);

/* Number of live allocations (for leak checks in tests). */
size_t	 kr_secmem_live(void);

/*
 * For tests only: hook called by kr_secmem_free() with the whole wiped
 * region, just before it is unlocked and unmapped, so a test can prove that
 * no byte of the secret survived.  NULL removes the hook.
 */
void	 kr_secmem_set_free_hook(void (*hook)(const void *region, size_t len));

#endif /* KR_SECMEM_H */
