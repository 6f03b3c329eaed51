/*
 * answers.c: strict `key = value` files held in secret memory.
 *
 * The file is read with read(2) into one kr_secmem buffer and parsed in
 * place: line ends and the ends of keys and values become NULs, and the
 * entry table points into the buffer.  Nothing of the file passes through
 * stdio or ordinary heap memory, and error details carry line numbers and
 * keys only, never a value: a line that cannot be parsed may be a PIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "answers.h"
#include "base/err.h"
#include "base/secmem.h"

struct entry {
	const char	*key;
	const char	*value;
	unsigned int	 line;
};

struct kr_answers {
	char		*buf;		/* kr_secmem, buflen bytes */
	size_t		 buflen;
	struct entry	*e;
	size_t		 n;
	char		*path;
};

/* Reads the whole regular file at path into secret memory. */
static int
slurp(const char *path, char **bufp, size_t *buflenp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t got;
	int fd = -1, r = KR_ERR_INTERNAL;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		r = kr_err_errno(KR_ERR_IO, "%s", path);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = kr_err_errno(KR_ERR_IO, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = kr_err_set(KR_ERR_IO, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_size > KR_ANSWERS_MAX_BYTES) {
		r = kr_err_set(KR_ERR_TOO_LARGE, "%s is larger than %d bytes",
		    path, KR_ANSWERS_MAX_BYTES);
		goto out;
	}
	/* One byte more than the size, to notice a file that grew. */
	cap = (size_t)st.st_size + 2;
	if ((buf = kr_secmem_alloc(cap)) == NULL) {
		r = kr_err_errno(KR_ERR_SECMEM_MMAP, "reading %s: no secret "
		    "memory", path);
		goto out;
	}
	while (len < cap - 1) {
		got = read(fd, buf + len, cap - 1 - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			r = kr_err_errno(KR_ERR_IO, "%s", path);
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > (size_t)st.st_size) {
		r = kr_err_set(KR_ERR_IO, "%s changed while it was read; "
		    "read it again", path);
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*buflenp = cap;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	kr_secmem_free(buf, cap);
	if (fd != -1)
		close(fd);
	return r;
}

/* Valid UTF-8 with no control character but tab?  0 if so. */
static int
check_text(const unsigned char *p, size_t n)
{
	size_t i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		if (p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f)) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			len = 2, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			len = 3, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			len = 4, cp = p[i] & 0x07;
		else
			return -1;
		if (len > n - i)
			return -1;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp <= 0x9f)
			return -1;
		i += len;
	}
	return 0;
}

static char *
trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	return s;
}

/* Parses one line (NUL-terminated, no line end) into *e. */
static int
parse_line(struct kr_answers *a, char *line, unsigned int no,
    struct entry *e, int *emptyp)
{
	char *end = line + strlen(line), *eq, *key;
	size_t i;

	*emptyp = 0;
	if (end > line && end[-1] == '\r')
		*--end = '\0';
	if (check_text((unsigned char *)line, (size_t)(end - line)) != 0)
		return kr_err_set(KR_ERR_FORMAT, "%s line %u: a control "
		    "character or malformed UTF-8", a->path, no);
	key = trim(line, end);
	if (*key == '\0' || *key == '#') {
		*emptyp = 1;
		return 0;
	}
	if ((eq = strchr(key, '=')) == NULL)
		return kr_err_set(KR_ERR_FORMAT, "%s line %u: expected "
		    "'key = value'", a->path, no);
	e->value = trim(eq + 1, key + strlen(key));
	e->key = key = trim(key, eq);
	e->line = no;
	if (*key == '\0')
		return kr_err_set(KR_ERR_FORMAT, "%s line %u: nothing before "
		    "'='", a->path, no);
	for (i = 0; i < a->n; i++)
		if (strcmp(a->e[i].key, key) == 0)
			return kr_err_set(KR_ERR_FORMAT, "%s line %u: '%s' is "
			    "already given on line %u", a->path, no, key,
			    a->e[i].line);
	return 0;
}

static int
parse(struct kr_answers *a, size_t len)
{
	char *p = a->buf, *nl, *end = a->buf + len;
	unsigned int no = 0;
	size_t lines = 1, i;
	int empty, r;

	if (memchr(a->buf, '\0', len) != NULL) {
		for (i = 0; a->buf[i] != '\0'; i++)
			no += a->buf[i] == '\n';
		return kr_err_set(KR_ERR_FORMAT, "%s line %u: a NUL byte; "
		    "this is not a text file", a->path, no + 1);
	}
	for (i = 0; i < len; i++)
		lines += a->buf[i] == '\n';
	if ((a->e = calloc(lines, sizeof(*a->e))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", a->path);
	while (p < end) {
		no++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
			*nl = '\0';
		if ((r = parse_line(a, p, no, &a->e[a->n], &empty)) != 0)
			return r;
		if (!empty)
			a->n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

int
kr_answers_load(const char *path, struct kr_answers **ap)
{
	struct kr_answers *a = NULL;
	size_t len = 0;
	int r = KR_ERR_INTERNAL;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->path = strdup(path)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "reading %s", path);
		goto out;
	}
	if ((r = slurp(path, &a->buf, &a->buflen, &len)) != 0)
		goto out;
	if ((r = parse(a, len)) != 0)
		goto out;
	*ap = a;
	a = NULL;
	r = 0;
 out:
	kr_answers_free(a);
	return r;
}

static const struct entry *
lookup(const struct kr_answers *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->e[i].key, key) == 0)
			return &a->e[i];
	return NULL;
}

const char *
kr_answers_get(const struct kr_answers *a, const char *key)
{
	const struct entry *e = lookup(a, key);

	return e != NULL ? e->value : NULL;
}

unsigned int
kr_answers_line(const struct kr_answers *a, const char *key)
{
	const struct entry *e = lookup(a, key);

	return e != NULL ? e->line : 0;
}

const char *
kr_answers_path(const struct kr_answers *a)
{
	return a->path;
}

size_t
kr_answers_count(const struct kr_answers *a)
{
	return a->n;
}

const char *
kr_answers_key(const struct kr_answers *a, size_t i)
{
	return i < a->n ? a->e[i].key : NULL;
}

void
kr_answers_free(struct kr_answers *a)
{
	if (a == NULL)
		return;
	kr_secmem_free(a->buf, a->buflen);
	free(a->e);
	free(a->path);
	free(a);
}
