/* buf.c: a growable buffer for public text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "hex.h"

static int
reserve(struct kr_buf *b, size_t more)
{
	size_t want;
	char *p;

	if (b->failed)
		return -1;
	if (more > ((size_t)1 << 30) || b->len + more + 1 <= b->cap)
		return more > ((size_t)1 << 30) ? (b->failed = 1, -1) : 0;
	want = b->cap ? b->cap : 256;
	while (want < b->len + more + 1)
		want *= 2;
	if ((p = realloc(b->data, want)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

void
kr_buf_append(struct kr_buf *b, const void *p, size_t len)
{
	if (reserve(b, len) != 0)
		return;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
kr_buf_puts(struct kr_buf *b, const char *s)
{
	kr_buf_append(b, s, strlen(s));
}

void
kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) != 0) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
kr_buf_hex(struct kr_buf *b, const uint8_t *p, size_t len)
{
	if (reserve(b, 2 * len) != 0)
		return;
	kr_hex_encode(p, len, b->data + b->len, 2 * len + 1);
	b->len += 2 * len;
}

int
kr_buf_take(struct kr_buf *b, char **textp, size_t *lenp)
{
	*textp = NULL;
	if (b->failed || reserve(b, 0) != 0) {
		kr_buf_free(b);
		return kr_err_set(KR_ERR_NOMEM, "building text");
	}
	b->data[b->len] = '\0';	/* also when nothing was appended */
	*textp = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	memset(b, 0, sizeof(*b));
	return 0;
}

void
kr_buf_free(struct kr_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
