/*
 * fuzz_answers.c: libFuzzer harness for the `key = value` answers parser,
 * kr_answers_load().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds are
 * in tests/fuzz/corpus/answers/.
 *
 * The parser has no in-memory entry point: it reads a file with read(2)
 * straight into secret memory.  So the input, byte for byte, is written
 * to a memfd (a regular file that lives in memory) and loaded through
 * /proc/self/fd/N, the real path through slurp() included.
 *
 * A file that loads is checked against answers.h: every key non-empty,
 * without '=' and without blanks at either end; no value with blanks at
 * either end; no control character but tab and no NUL in either; each key
 * found by kr_answers_get() and kr_answers_line() (so keys are unique),
 * lines strictly increasing in file order and within the file, and
 * kr_answers_key() NULL past the end.  A mismatch calls abort().
 */
#define _GNU_SOURCE		/* memfd_create */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "ceremony/answers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_answers: entry %zu: %s\n", i, what);
	abort();
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Text as answers.h allows it: no control characters but tab. */
static int
text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

static void
check(const struct kr_answers *a, const uint8_t *data, size_t size,
    const char *path)
{
	const char *k, *v;
	size_t i, n = kr_answers_count(a), lines = 1;
	unsigned int line, prev = 0;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (strcmp(kr_answers_path(a), path) != 0)
		fail("kr_answers_path is not the path loaded", 0);
	if (kr_answers_key(a, n) != NULL)
		fail("kr_answers_key past the end is not NULL", n);
	for (i = 0; i < n; i++) {
		if ((k = kr_answers_key(a, i)) == NULL || *k == '\0')
			fail("empty key", i);
		if (strchr(k, '=') != NULL || blank(k[0]) ||
		    blank(k[strlen(k) - 1]) || !text_ok(k))
			fail("a key with '=', outer blanks or a control "
			    "character", i);
		if ((v = kr_answers_get(a, k)) == NULL)
			fail("kr_answers_get cannot find a listed key", i);
		if ((*v != '\0' && (blank(v[0]) || blank(v[strlen(v) - 1]))) ||
		    !text_ok(v))
			fail("a value with outer blanks or a control "
			    "character", i);
		line = kr_answers_line(a, k);
		if (line <= prev || line > lines)
			fail("lines not increasing in file order (a key given "
			    "twice?) or past the end", i);
		prev = line;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct kr_answers *a = NULL;
	size_t off = 0;
	ssize_t n;
	int r;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz-answers", MFD_CLOEXEC)) == -1) {
			perror("fuzz_answers: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1)
		abort();
	while (off < size) {
		if ((n = pwrite(fd, data + off, size - off, (off_t)off)) <= 0)
			abort();
		off += (size_t)n;
	}
	r = kr_answers_load(path, &a);
	if (r == 0)
		check(a, data, size, path);
	else if (a != NULL)
		fail("kr_answers_load failed but set *ap", 0);
	else if (r != KR_ERR_FORMAT && r != KR_ERR_TOO_LARGE &&
	    r != KR_ERR_NOMEM && r != KR_ERR_SECMEM_MMAP &&
	    r != KR_ERR_SECMEM_MLOCK) {
		fprintf(stderr, "fuzz_answers: undocumented error %d: %s\n",
		    r, kr_err_detail());
		abort();
	}
	kr_answers_free(a);
	return 0;
}
