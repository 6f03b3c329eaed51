/*
 * secmem.c: locked, guarded, non-dumpable memory for secrets.
 *
 * Layout of one allocation (see secmem.h):
 *
 *   base                 base+page                        base+page+body
 *   | guard (PROT_NONE) | header ... canary | user bytes | guard (PROT_NONE) |
 *
 * The header records the mapping; the canary sits immediately before the
 * user bytes so that an underflow is caught at free time, while an overflow
 * hits the trailing guard page at once.  Live allocations are kept in a
 * registry so that a double free or a foreign pointer is a deterministic
 * abort() rather than a use of unmapped or reused memory.
 */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "secmem.h"

#define CANARY_BYTES	16
#define HEADER_MAGIC	0x6b72736563726574ULL	/* "krsecret" */

struct header {
	uint64_t	 magic;
	uint8_t		*base;		/* start of the whole mapping */
	size_t		 total;		/* length of the whole mapping */
	size_t		 body;		/* locked, writable part */
	size_t		 len;		/* user bytes */
	struct header	*next;		/* registry of live allocations */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct header *live;
static size_t nlive;
static uint8_t canary[CANARY_BYTES];
static int canary_ready;
static void (*free_hook)(const void *, size_t);

static void
fatal(const char *msg)
{
	/* A programmer error with secrets at stake: stop now, say why. */
	ssize_t r;

	r = write(STDERR_FILENO, "keyrite: secmem: ", 17);
	r = write(STDERR_FILENO, msg, strlen(msg));
	r = write(STDERR_FILENO, "\n", 1);
	(void)r;
	abort();
}

static size_t
page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

static int
init_canary(void)
{
	if (canary_ready)
		return 0;
	if (RAND_bytes(canary, sizeof(canary)) != 1)
		return -1;
	canary_ready = 1;
	return 0;
}

static struct header *
header_of(const void *p)
{
	uintptr_t u = (uintptr_t)p - CANARY_BYTES - sizeof(struct header);

	return (struct header *)(u & ~(uintptr_t)(page_size() - 1));
}

void *
kr_secmem_alloc(size_t len)
{
	size_t page = page_size(), body, total;
	struct header *h;
	uint8_t *base, *user;

	if (len == 0 || len > SIZE_MAX / 2 - 4 * page) {
		errno = EINVAL;
		kr_err_set(KR_ERR_INVALID_ARGUMENT,
		    "secret memory: invalid length %zu", len);
		return NULL;
	}
	body = (len + CANARY_BYTES + sizeof(struct header) + page - 1) &
	    ~(page - 1);
	total = body + 2 * page;

	base = mmap(NULL, total, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		kr_err_errno(KR_ERR_SECMEM_MMAP, "mmap of %zu bytes", total);
		return NULL;
	}
	if (mprotect(base, page, PROT_NONE) != 0 ||
	    mprotect(base + page + body, page, PROT_NONE) != 0) {
		kr_err_errno(KR_ERR_SECMEM_MMAP, "mprotect of guard pages");
		goto fail;
	}
	if (mlock(base + page, body) != 0) {
		kr_err_errno(KR_ERR_SECMEM_MLOCK,
		    "mlock of %zu bytes (raise RLIMIT_MEMLOCK or run as root)",
		    body);
		goto fail;
	}
	/* Best effort: not every kernel knows every advice. */
	(void)madvise(base + page, body, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
	(void)madvise(base + page, body, MADV_WIPEONFORK);
#endif

	pthread_mutex_lock(&lock);
	if (init_canary() != 0) {
		pthread_mutex_unlock(&lock);
		errno = EIO;
		kr_err_libcrypto(KR_ERR_LIBCRYPTO, "secret memory canary");
		munlock(base + page, body);
		goto fail;
	}
	h = (struct header *)(base + page);
	user = base + page + body - len;
	h->magic = HEADER_MAGIC;
	h->base = base;
	h->total = total;
	h->body = body;
	h->len = len;
	h->next = live;
	live = h;
	nlive++;
	memcpy(user - CANARY_BYTES, canary, CANARY_BYTES);
	pthread_mutex_unlock(&lock);
	return user;

 fail:
	munmap(base, total);
	return NULL;
}

/* Unlinks h from the registry; returns 0 if it was there.  Holds lock. */
static int
unregister(struct header *h)
{
	struct header **pp;

	for (pp = &live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			nlive--;
			return 0;
		}
	}
	return -1;
}

static int
registered(const struct header *h)
{
	const struct header *l;

	for (l = live; l != NULL; l = l->next)
		if (l == h)
			return 1;
	return 0;
}

int
kr_secmem_check(const void *p)
{
	const struct header *h = header_of(p);
	int ok;

	pthread_mutex_lock(&lock);
	ok = registered(h) && h->magic == HEADER_MAGIC &&
	    (const uint8_t *)p == (const uint8_t *)h + h->body - h->len &&
	    CRYPTO_memcmp((const uint8_t *)p - CANARY_BYTES, canary,
	    CANARY_BYTES) == 0;
	pthread_mutex_unlock(&lock);
	return ok ? 0 : KR_ERR_INTERNAL;
}

void
kr_secmem_free(void *p, size_t len)
{
	struct header *h;
	uint8_t *base, *body;
	size_t total, bodylen;
	int saved = errno;

	if (p == NULL)
		return;
	h = header_of(p);

	pthread_mutex_lock(&lock);
	if (!registered(h)) {
		pthread_mutex_unlock(&lock);
		fatal("free of a pointer that is not live secret memory "
		    "(double free?)");
	}
	if (h->magic != HEADER_MAGIC || h->len != len ||
	    (uint8_t *)p != (uint8_t *)h + h->body - h->len) {
		pthread_mutex_unlock(&lock);
		fatal("free with a wrong length or a damaged header");
	}
	if (CRYPTO_memcmp((uint8_t *)p - CANARY_BYTES, canary,
	    CANARY_BYTES) != 0) {
		pthread_mutex_unlock(&lock);
		fatal("canary overwritten: memory before a secret was "
		    "written to");
	}
	(void)unregister(h);
	pthread_mutex_unlock(&lock);

	base = h->base;
	total = h->total;
	bodylen = h->body;
	body = (uint8_t *)h;
	explicit_bzero(body, bodylen);
	if (free_hook != NULL)
		free_hook(body, bodylen);
	munlock(body, bodylen);
	munmap(base, total);
	errno = saved;
}

size_t
kr_secmem_live(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = nlive;
	pthread_mutex_unlock(&lock);
	return n;
}

void
kr_secmem_set_free_hook(void (*hook)(const void *, size_t))
{
	free_hook = hook;
}
