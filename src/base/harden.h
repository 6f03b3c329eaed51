/*
 * harden.h: process hardening before any secret is touched.
 *
 * kr_harden_process() makes the process non-dumpable (no core files, no
 * ptrace by other users, /proc/<pid>/mem closed), sets RLIMIT_CORE to 0,
 * locks all current and future pages with mlockall() where permitted (each
 * page as it is first touched: MCL_ONFAULT), and
 * starts OpenSSL's secure heap so that private-key numbers live in locked
 * memory.  Every keyrite subcommand that may touch a secret calls it first.
 */
#ifndef KR_HARDEN_H
#define KR_HARDEN_H

#include <stddef.h>

/* Size of OpenSSL's secure heap (power of two) and its minimum block. */
#define KR_SECURE_HEAP_BYTES	(1024 * 1024)
#define KR_SECURE_HEAP_MINSIZE	16

struct kr_harden_status {
	int	nondumpable;	/* prctl(PR_GET_DUMPABLE) == 0 */
	int	core_limit_zero;/* RLIMIT_CORE is 0/0 */
	int	mlockall_ok;	/* all memory locked */
	int	mlockall_errno;	/* why not, when !mlockall_ok */
	char	mlockall_why[128];	/* the same, in words */
	int	secure_heap;	/* CRYPTO_secure_malloc_initialized() */
};

/*
 * Hardens the process; idempotent.  Fills *st when st is non-NULL.
 * Returns 0, or KR_ERR_HARDEN (non-dumpable or core limit failed) or
 * KR_ERR_SECMEM_HEAP.  mlockall() is attempted only with CAP_IPC_LOCK or an
 * unlimited RLIMIT_MEMLOCK: with a finite limit MCL_FUTURE would use up the
 * limit and make every later allocation fail.  Not locking is not an error:
 * st->mlockall_ok and st->mlockall_why say so and the caller warns;
 * kr_secmem_alloc() still locks each secret individually.  Under
 * AddressSanitizer mlockall() is skipped (its shadow memory is terabytes of
 * address space).
 */
int	kr_harden_process(struct kr_harden_status *st);

/*
 * Makes OpenSSL wipe every heap block it frees (CRYPTO_set_mem_functions
 * with explicit_bzero over malloc_usable_size), so that the temporary
 * copies OpenSSL's encoders and decoders make of private keys do not
 * outlive their use.  Must run before OpenSSL's first allocation: main()
 * calls it first thing.  Returns 0, or KR_ERR_HARDEN when OpenSSL had
 * already allocated.
 */
int	kr_harden_crypto_memory(void);

/* Whether kr_harden_crypto_memory() is in effect. */
int	kr_harden_crypto_memory_active(void);

/* Reads the current state without changing anything. */
void	kr_harden_status(struct kr_harden_status *st);

#endif /* KR_HARDEN_H */
