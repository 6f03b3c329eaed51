/*
 * paperproc.h: keyrite-paper, the separate process that renders, scans
 * and prints the paper record, and the small protocol keyrite speaks to
 * it.
 *
 * The libraries that make the paper record (cairo, poppler, zbar, libjpeg,
 * libcups and the ~70 libraries they pull in) never load into the keyrite
 * process, which holds keys, shares and PINs: they run in keyrite-paper,
 * which never holds a secret (docs/architecture.md, "The paper helper";
 * docs/threat-model.md).  src/record/paper-client.c, scan-client.c and
 * src/host/printer-client.c keep the API of paper.h, scan.h and printer.h
 * and call the helper through this module; src/paper/keyrite-paper.c is
 * the helper's main and runs the real implementations.
 *
 * The helper is found beside the running program (the build tree:
 * build/keyrite-paper) or at ../lib/keyrite/keyrite-paper from it (an
 * installation: $PREFIX/lib/keyrite/keyrite-paper); nothing in the
 * environment can name another.  It runs with one end of a socket pair
 * as its standard input and output, its stderr a memfd (quoted when it
 * fails, never passed to keyrite's terminal), every other descriptor
 * closed, and the caller's environment (CUPS_SERVER...).
 *
 * Protocol: a session is a sequence of request, reply, request, reply...
 * until the caller closes its end; the helper then exits 0.  A message is
 *
 *	u32 length, then length bytes: fields, each u32 length + bytes
 *
 * (u32: 4 bytes, big endian).  A message is at most KR_PAPERPROC_MSG_MAX
 * bytes and KR_PAPERPROC_FIELDS_MAX fields, and must be made of whole
 * fields exactly.  A request's field 0 names the operation ("render",
 * "scan-add", "scan-finish", "printer-find", "printer-submit",
 * "printer-poll", "printer-wait"); a reply's fields 0..2 are "ok" or
 * "error", the kr_err code (i32) and the error detail, then the results.
 * The operations' fields: docs/architecture.md, "The paper helper".
 */
#ifndef KR_PAPERPROC_H
#define KR_PAPERPROC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define KR_PAPERPROC_NAME	"keyrite-paper"
#define KR_PAPERPROC_LIBDIR	"../lib/keyrite"
/* A message, whole: the largest transcript's PDF fits. */
#define KR_PAPERPROC_MSG_MAX	(320u * 1024 * 1024)
#define KR_PAPERPROC_FIELDS_MAX	32
/* A string field (names, details, reasons); bytes fields may be larger. */
#define KR_PAPERPROC_STR_MAX	4096

struct kr_pp_field {
	const uint8_t	*p;
	size_t		 len;
};

/* A message received and split into fields (which point into buf). */
struct kr_pp_msg {
	uint8_t			*buf;
	size_t			 len;
	size_t			 n;
	struct kr_pp_field	 f[KR_PAPERPROC_FIELDS_MAX];
};

/* A running helper. */
struct kr_paperproc;

/* --- messages (both sides) ------------------------------------------------ */

/* Starts a message in b (emptied first). */
void	kr_pp_begin(struct kr_buf *b);

/* Appends a field: bytes, a NUL-terminated string, a u32, an i32, a u64. */
void	kr_pp_put(struct kr_buf *b, const void *p, size_t len);
void	kr_pp_put_str(struct kr_buf *b, const char *s);
void	kr_pp_put_u32(struct kr_buf *b, uint32_t v);
void	kr_pp_put_i32(struct kr_buf *b, int32_t v);
void	kr_pp_put_u64(struct kr_buf *b, uint64_t v);

/*
 * Writes the message b holds to fd (retrying short writes and EINTR;
 * never raises SIGPIPE on a socket).  Returns 0, KR_ERR_NOMEM if building
 * it ran out of memory, KR_ERR_TOO_LARGE, or KR_ERR_IO.
 */
int	kr_pp_send(int fd, struct kr_buf *b);

/*
 * Splits buf[len], a message's body, into m's fields (m->buf is not
 * touched).  KR_ERR_FORMAT when a field's length runs past the end, the
 * fields do not fill the body exactly, or there are more than
 * KR_PAPERPROC_FIELDS_MAX.
 */
int	kr_pp_parse(const uint8_t *buf, size_t len, struct kr_pp_msg *m);

/*
 * Reads one message from fd into m (free with kr_pp_msg_free).  Returns 0;
 * KR_ERR_NOT_FOUND at end of file before the message's first byte;
 * KR_ERR_FORMAT when it ends inside a message, is larger than
 * KR_PAPERPROC_MSG_MAX or does not parse; KR_ERR_IO; KR_ERR_NOMEM.
 */
int	kr_pp_recv(int fd, struct kr_pp_msg *m);

/* Frees what kr_pp_recv() read; m can be reused.  NULL-safe. */
void	kr_pp_msg_free(struct kr_pp_msg *m);

/*
 * Field i of m as a u32 (exactly 4 bytes), an i32, a u64 (8 bytes), or a
 * string copied into out[size]: no NUL byte, shorter than size, and (for
 * kr_pp_get_str) no control character.  Each returns 0 or KR_ERR_FORMAT.
 * kr_pp_get_text allows newlines and tabs (error details, file names'
 * escapes) and turns other control characters into '?'.
 */
int	kr_pp_get_u32(const struct kr_pp_msg *m, size_t i, uint32_t *v);
int	kr_pp_get_i32(const struct kr_pp_msg *m, size_t i, int32_t *v);
int	kr_pp_get_u64(const struct kr_pp_msg *m, size_t i, uint64_t *v);
int	kr_pp_get_str(const struct kr_pp_msg *m, size_t i, char *out,
	    size_t size);
int	kr_pp_get_text(const struct kr_pp_msg *m, size_t i, char *out,
	    size_t size);

/*
 * Field i copied into malloc()ed memory with a NUL after it (*lenp: its
 * length, may be NULL).  0, KR_ERR_FORMAT (no field i) or KR_ERR_NOMEM.
 */
int	kr_pp_get_dup(const struct kr_pp_msg *m, size_t i, char **outp,
	    size_t *lenp);

struct kr_print_job;

/*
 * A print job (printer.h) as five fields: printer, i32 id, u32 state,
 * reasons, message; and back from fields at..at+4 of m (0 or
 * KR_ERR_FORMAT; reasons and message as kr_pp_get_text reads them).
 */
void	kr_pp_put_job(struct kr_buf *b, const struct kr_print_job *job);
int	kr_pp_get_job(const struct kr_pp_msg *m, size_t at,
	    struct kr_print_job *job);

/* --- the caller's side ---------------------------------------------------- */

/*
 * The helper's path into path[size]: beside the running program, else at
 * ../lib/keyrite/ from it.  KR_ERR_PAPER_HELPER when neither is an
 * executable file; the detail names both paths and says to reinstall.
 */
int	kr_paperproc_find(char *path, size_t size);

/*
 * Starts the helper.  *pp set only on success.  KR_ERR_PAPER_HELPER when
 * it is missing or cannot start; KR_ERR_SYSTEM, KR_ERR_NOMEM.
 */
int	kr_paperproc_start(struct kr_paperproc **pp);

/*
 * Sends the request b holds and reads the reply into reply (free it with
 * kr_pp_msg_free, also after an error).  Returns 0 when the helper said
 * "ok"; the helper's own kr_err code, with its detail, when it said
 * "error" (the reply's results are still there); KR_ERR_PAPER_HELPER,
 * naming keyrite-paper, when the reply is short or malformed or the
 * helper died (how: its exit status or signal).  After such a failure
 * every later call fails the same way.
 */
int	kr_paperproc_call(struct kr_paperproc *p, struct kr_buf *b,
	    struct kr_pp_msg *reply);

/*
 * Ends the session: closes the helper's input, waits for it and checks
 * that it exited 0.  Returns 0 or KR_ERR_PAPER_HELPER (the detail says how
 * it ended); frees p.  NULL-safe.
 */
int	kr_paperproc_end(struct kr_paperproc *p);

/*
 * One request, one reply: start, call, end.  An "ok" reply followed by a
 * bad exit is an error.
 */
int	kr_paperproc_once(struct kr_buf *b, struct kr_pp_msg *reply);

/* --- the helper's side ---------------------------------------------------- */

/*
 * Starts reply b: "ok", 0, "" when code is 0, else "error", code and
 * kr_err_detail().
 */
void	kr_pp_reply_begin(struct kr_buf *b, int code);

#endif /* KR_PAPERPROC_H */
