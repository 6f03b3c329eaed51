/*
 * answers.h: strict `key = value` files, such as a PIN file for
 * `keyrite cards --pins` and, later, the batch frontend's answers file.
 *
 * The format, one entry per line, UTF-8:
 *
 *   # a comment (only on a line of its own: a value may contain '#')
 *   pin.custodian-1 = 123456
 *   key = value
 *
 * Blanks (spaces, tabs) around the key and the value are dropped; a key is
 * everything before the first '=', so it may contain blanks inside (card
 * labels do); a value may be empty.  A line with no '=', an empty key, a
 * key given twice, a control character, a NUL byte or malformed UTF-8 is an
 * error naming the file and line.  Lines may end in CR LF.
 *
 * Such files hold PINs, so the whole file is read straight into kr_secmem
 * memory (never through stdio buffers) and wiped when freed, and no error
 * detail ever quotes a line's content: at most a key, never a value.
 */
#ifndef KR_ANSWERS_H
#define KR_ANSWERS_H

#include <stddef.h>

#define KR_ANSWERS_MAX_BYTES	(64 * 1024)

struct kr_answers;

/*
 * Reads and checks the file at path.  *ap set only on success; free with
 * kr_answers_free().  Returns 0, KR_ERR_IO (cannot read; detail names the
 * file), KR_ERR_TOO_LARGE, KR_ERR_FORMAT ("FILE line N: ...") or
 * KR_ERR_SECMEM_*.
 */
int		 kr_answers_load(const char *path, struct kr_answers **ap);

/*
 * The value of key (NUL-terminated, in secret memory owned by a), or NULL
 * if the file does not give it.  Valid until kr_answers_free(a).
 */
const char	*kr_answers_get(const struct kr_answers *a, const char *key);

/* The line key is on, or 0 if absent; for messages ("FILE line N"). */
unsigned int	 kr_answers_line(const struct kr_answers *a, const char *key);

/* The path the answers were read from. */
const char	*kr_answers_path(const struct kr_answers *a);

/* Number of entries, and the key of entry i (i < count), in file order. */
size_t		 kr_answers_count(const struct kr_answers *a);
const char	*kr_answers_key(const struct kr_answers *a, size_t i);

/* Wipes and frees; NULL-safe. */
void		 kr_answers_free(struct kr_answers *a);

#endif /* KR_ANSWERS_H */
