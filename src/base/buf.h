/*
 * buf.h: a growable byte buffer for building public text (escrow metadata,
 * JSON, transcript records).  Not for secrets: it uses the ordinary heap.
 */
#ifndef KR_BUF_H
#define KR_BUF_H

#include <stddef.h>
#include <stdint.h>

struct kr_buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* sticky: an append ran out of memory */
};

/* Appends; on failure sets b->failed and leaves b as it was. */
void	kr_buf_append(struct kr_buf *b, const void *p, size_t len);
void	kr_buf_puts(struct kr_buf *b, const char *s);
void	kr_buf_printf(struct kr_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	kr_buf_hex(struct kr_buf *b, const uint8_t *p, size_t len);

/*
 * Hands the contents to the caller (*textp malloc()ed, NUL-terminated) and
 * empties b.  Returns 0, or KR_ERR_NOMEM if any append failed (then b is
 * freed and *textp is NULL).
 */
int	kr_buf_take(struct kr_buf *b, char **textp, size_t *lenp);

/* Frees the contents; b can be reused. */
void	kr_buf_free(struct kr_buf *b);

#endif /* KR_BUF_H */
