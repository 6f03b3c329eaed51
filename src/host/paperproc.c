/*
 * paperproc.c: the keyrite-paper helper process and its protocol
 * (paperproc.h).
 */
#define _GNU_SOURCE		/* posix_spawn_file_actions_addclosefrom_np */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/err.h"
#include "base/text.h"
#include "paperproc.h"
#include "printer.h"

extern char **environ;

struct kr_paperproc {
	pid_t	pid;
	int	fd;
	int	errfd;			/* the helper's stderr: a memfd */
	int	dead;			/* failed: every call fails */
	char	path[PATH_MAX];
	char	why[1024];		/* what went wrong, once dead */
};

/* How much of the end of the helper's stderr an error quotes. */
#define PAPERPROC_STDERR_TAIL	300

/* --- messages ------------------------------------------------------------- */

static void
be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t p[4])
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
kr_pp_begin(struct kr_buf *b)
{
	static const uint8_t zero[4];

	kr_buf_free(b);
	kr_buf_append(b, zero, sizeof(zero));
}

void
kr_pp_put(struct kr_buf *b, const void *p, size_t len)
{
	uint8_t h[4];

	if (len > KR_PAPERPROC_MSG_MAX) {
		b->failed = 1;
		return;
	}
	be32(h, (uint32_t)len);
	kr_buf_append(b, h, sizeof(h));
	kr_buf_append(b, p, len);
}

void
kr_pp_put_str(struct kr_buf *b, const char *s)
{
	kr_pp_put(b, s, strlen(s));
}

void
kr_pp_put_u32(struct kr_buf *b, uint32_t v)
{
	uint8_t x[4];

	be32(x, v);
	kr_pp_put(b, x, sizeof(x));
}

void
kr_pp_put_i32(struct kr_buf *b, int32_t v)
{
	kr_pp_put_u32(b, (uint32_t)v);
}

void
kr_pp_put_u64(struct kr_buf *b, uint64_t v)
{
	uint8_t x[8];

	be32(x, (uint32_t)(v >> 32));
	be32(x + 4, (uint32_t)v);
	kr_pp_put(b, x, sizeof(x));
}

/* Writes p[len] whole; 0 or -1 with errno. */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads p[len] whole; returns the bytes read (less at end of file) or -1. */
static ssize_t
read_all(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
kr_pp_send(int fd, struct kr_buf *b)
{
	size_t body;

	if (b->failed || b->data == NULL || b->len < 4)
		return kr_err_set(KR_ERR_NOMEM, "%s message", KR_PAPERPROC_NAME);
	body = b->len - 4;
	if (body > KR_PAPERPROC_MSG_MAX)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s message: %zu bytes, "
		    "at most %u", KR_PAPERPROC_NAME, body,
		    KR_PAPERPROC_MSG_MAX);
	be32((uint8_t *)b->data, (uint32_t)body);
	if (write_all(fd, (const uint8_t *)b->data, b->len) != 0)
		return kr_err_errno(KR_ERR_IO, "%s: writing a message",
		    KR_PAPERPROC_NAME);
	return 0;
}

int
kr_pp_parse(const uint8_t *buf, size_t len, struct kr_pp_msg *m)
{
	size_t off = 0, flen;

	m->n = 0;
	while (off < len) {
		if (m->n == KR_PAPERPROC_FIELDS_MAX)
			return kr_err_set(KR_ERR_FORMAT, "%s message: more than "
			    "%d fields", KR_PAPERPROC_NAME,
			    KR_PAPERPROC_FIELDS_MAX);
		if (len - off < 4)
			return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu's "
			    "length is cut short", KR_PAPERPROC_NAME, m->n);
		flen = get_be32(buf + off);
		off += 4;
		if (flen > len - off)
			return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu "
			    "(%zu bytes) runs past the end (%zu left)",
			    KR_PAPERPROC_NAME, m->n, flen, len - off);
		m->f[m->n].p = buf + off;
		m->f[m->n].len = flen;
		m->n++;
		off += flen;
	}
	return 0;
}

int
kr_pp_recv(int fd, struct kr_pp_msg *m)
{
	uint8_t h[4];
	ssize_t n;
	size_t len;
	int r;

	memset(m, 0, sizeof(*m));
	if ((n = read_all(fd, h, sizeof(h))) < 0)
		return kr_err_errno(KR_ERR_IO, "%s: reading a message",
		    KR_PAPERPROC_NAME);
	if (n == 0)
		return kr_err_set(KR_ERR_NOT_FOUND, "%s: end of messages",
		    KR_PAPERPROC_NAME);
	if (n != sizeof(h))
		return kr_err_set(KR_ERR_FORMAT, "%s message: length cut short "
		    "(%zd of 4 bytes)", KR_PAPERPROC_NAME, n);
	len = get_be32(h);
	if (len > KR_PAPERPROC_MSG_MAX)
		return kr_err_set(KR_ERR_FORMAT, "%s message: %zu bytes, at "
		    "most %u", KR_PAPERPROC_NAME, len, KR_PAPERPROC_MSG_MAX);
	if ((m->buf = malloc(len > 0 ? len : 1)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s message of %zu bytes",
		    KR_PAPERPROC_NAME, len);
	if ((n = read_all(fd, m->buf, len)) < 0) {
		r = kr_err_errno(KR_ERR_IO, "%s: reading a message",
		    KR_PAPERPROC_NAME);
		goto out;
	}
	if ((size_t)n != len) {
		r = kr_err_set(KR_ERR_FORMAT, "%s message cut short: %zd of "
		    "%zu bytes", KR_PAPERPROC_NAME, n, len);
		goto out;
	}
	m->len = len;
	r = kr_pp_parse(m->buf, len, m);
 out:
	if (r != 0)
		kr_pp_msg_free(m);
	return r;
}

void
kr_pp_msg_free(struct kr_pp_msg *m)
{
	if (m == NULL)
		return;
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

int
kr_pp_get_u32(const struct kr_pp_msg *m, size_t i, uint32_t *v)
{
	if (i >= m->n || m->f[i].len != 4)
		return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu is not "
		    "a 4-byte number", KR_PAPERPROC_NAME, i);
	*v = get_be32(m->f[i].p);
	return 0;
}

int
kr_pp_get_i32(const struct kr_pp_msg *m, size_t i, int32_t *v)
{
	uint32_t u;
	int r;

	if ((r = kr_pp_get_u32(m, i, &u)) != 0)
		return r;
	*v = u <= INT32_MAX ? (int32_t)u : -(int32_t)(UINT32_MAX - u) - 1;
	return 0;
}

int
kr_pp_get_u64(const struct kr_pp_msg *m, size_t i, uint64_t *v)
{
	if (i >= m->n || m->f[i].len != 8)
		return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu is not "
		    "an 8-byte number", KR_PAPERPROC_NAME, i);
	*v = (uint64_t)get_be32(m->f[i].p) << 32 | get_be32(m->f[i].p + 4);
	return 0;
}

/* Copies field i into out[size]; controls: 0 refuse, 1 turn into '?'. */
static int
get_string(const struct kr_pp_msg *m, size_t i, char *out, size_t size,
    int text)
{
	size_t k;
	uint8_t c;

	if (i >= m->n || m->f[i].len >= size)
		return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu is "
		    "missing or longer than %zu bytes", KR_PAPERPROC_NAME, i,
		    size - 1);
	for (k = 0; k < m->f[i].len; k++) {
		c = m->f[i].p[k];
		if (c == 0 || ((c < 0x20 || c == 0x7f) && !text))
			return kr_err_set(KR_ERR_FORMAT, "%s message: field %zu "
			    "holds control byte 0x%02x", KR_PAPERPROC_NAME, i,
			    c);
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			c = '?';
		out[k] = (char)c;
	}
	out[k] = '\0';
	return 0;
}

int
kr_pp_get_str(const struct kr_pp_msg *m, size_t i, char *out, size_t size)
{
	return get_string(m, i, out, size, 0);
}

int
kr_pp_get_text(const struct kr_pp_msg *m, size_t i, char *out, size_t size)
{
	return get_string(m, i, out, size, 1);
}

int
kr_pp_get_dup(const struct kr_pp_msg *m, size_t i, char **outp,
    size_t *lenp)
{
	char *p;

	*outp = NULL;
	if (i >= m->n)
		return kr_err_set(KR_ERR_FORMAT, "%s message: no field %zu",
		    KR_PAPERPROC_NAME, i);
	if ((p = malloc(m->f[i].len + 1)) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s message", KR_PAPERPROC_NAME);
	memcpy(p, m->f[i].p, m->f[i].len);
	p[m->f[i].len] = '\0';
	*outp = p;
	if (lenp != NULL)
		*lenp = m->f[i].len;
	return 0;
}

void
kr_pp_put_job(struct kr_buf *b, const struct kr_print_job *job)
{
	kr_pp_put_str(b, job->printer);
	kr_pp_put_i32(b, job->id);
	kr_pp_put_u32(b, (uint32_t)job->state);
	kr_pp_put_str(b, job->reasons);
	kr_pp_put_str(b, job->message);
}

int
kr_pp_get_job(const struct kr_pp_msg *m, size_t at, struct kr_print_job *job)
{
	struct kr_print_job j;
	uint32_t state;
	int32_t id;

	memset(&j, 0, sizeof(j));
	if (kr_pp_get_str(m, at, j.printer, sizeof(j.printer)) != 0 ||
	    kr_pp_get_i32(m, at + 1, &id) != 0 ||
	    kr_pp_get_u32(m, at + 2, &state) != 0 || state > 99 ||
	    kr_pp_get_text(m, at + 3, j.reasons, sizeof(j.reasons)) != 0 ||
	    kr_pp_get_text(m, at + 4, j.message, sizeof(j.message)) != 0)
		return kr_err_set(KR_ERR_FORMAT, "%s message: a malformed "
		    "print job at field %zu", KR_PAPERPROC_NAME, at);
	j.id = id;
	j.state = (enum kr_print_state)state;
	*job = j;
	return 0;
}

void
kr_pp_reply_begin(struct kr_buf *b, int code)
{
	kr_pp_begin(b);
	kr_pp_put_str(b, code == 0 ? "ok" : "error");
	kr_pp_put_i32(b, code);
	kr_pp_put_str(b, code == 0 ? "" : kr_err_detail());
}

/* --- the caller's side ---------------------------------------------------- */

static int
executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

int
kr_paperproc_find(char *path, size_t size)
{
	char self[PATH_MAX], beside[PATH_MAX + 32], lib[PATH_MAX + 64];
	ssize_t n;
	char *slash;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return kr_err_errno(KR_ERR_PAPER_HELPER, "%s: cannot tell where "
		    "keyrite runs from (/proc/self/exe)", KR_PAPERPROC_NAME);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return kr_err_set(KR_ERR_PAPER_HELPER, "%s: /proc/self/exe is "
		    "not a path: %s", KR_PAPERPROC_NAME, self);
	*slash = '\0';
	snprintf(beside, sizeof(beside), "%s/%s", self, KR_PAPERPROC_NAME);
	snprintf(lib, sizeof(lib), "%s/%s/%s", self, KR_PAPERPROC_LIBDIR,
	    KR_PAPERPROC_NAME);
	if (executable(beside) && strlen(beside) < size)
		snprintf(path, size, "%s", beside);
	else if (executable(lib) && strlen(lib) < size)
		snprintf(path, size, "%s", lib);
	else
		return kr_err_set(KR_ERR_PAPER_HELPER, "the paper helper %s is "
		    "missing: neither %s nor %s is an executable file; it "
		    "renders, scans and prints the paper record, and `make "
		    "install` puts it there: reinstall keyrite",
		    KR_PAPERPROC_NAME, beside, lib);
	return 0;
}

int
kr_paperproc_start(struct kr_paperproc **pp)
{
	struct kr_paperproc *p;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char *argv[2];
	int sv[2] = { -1, -1 }, r;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "%s", KR_PAPERPROC_NAME);
	p->fd = -1;
	p->errfd = -1;
	if ((r = kr_paperproc_find(p->path, sizeof(p->path))) != 0) {
		free(p);
		return r;
	}
	/*
	 * The helper's stderr goes to an anonymous in-memory file, never to
	 * keyrite's: what its libraries print (GLib, fontconfig, a
	 * sanitizer) would otherwise land on the TUI's terminal and draw
	 * over the screen a witness reads.  An error quotes its end.
	 */
	p->errfd = memfd_create("keyrite-paper stderr", MFD_CLOEXEC);
	if (p->errfd < 0) {
		free(p);
		return kr_err_errno(KR_ERR_SYSTEM, "%s: memfd_create",
		    KR_PAPERPROC_NAME);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		close(p->errfd);
		free(p);
		return kr_err_errno(KR_ERR_SYSTEM, "%s: socketpair",
		    KR_PAPERPROC_NAME);
	}
	/*
	 * The helper's standard input and output are sv[1], its stderr the
	 * memfd; nothing else.
	 */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p->errfd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	argv[0] = (char *)(uintptr_t)KR_PAPERPROC_NAME;
	argv[1] = NULL;
	r = posix_spawn(&p->pid, p->path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (r != 0) {
		close(sv[0]);
		close(p->errfd);
		errno = r;
		r = kr_err_errno(KR_ERR_PAPER_HELPER, "%s: cannot start %s; "
		    "reinstall keyrite", KR_PAPERPROC_NAME, p->path);
		free(p);
		return r;
	}
	p->fd = sv[0];
	*pp = p;
	return 0;
}

/*
 * The last PAPERPROC_STDERR_TAIL bytes the helper wrote on its stderr,
 * escaped, as "; it said: ..." into out; empty when it said nothing.
 */
static void
stderr_tail(const struct kr_paperproc *p, char *out, size_t outlen)
{
	char raw[PAPERPROC_STDERR_TAIL + 1], safe[4 * sizeof(raw)];
	struct stat st;
	off_t from;
	ssize_t n;
	char *s;

	out[0] = '\0';
	if (p->errfd < 0 || fstat(p->errfd, &st) != 0 || st.st_size <= 0)
		return;
	from = st.st_size > PAPERPROC_STDERR_TAIL ?
	    st.st_size - PAPERPROC_STDERR_TAIL : 0;
	if ((n = pread(p->errfd, raw, sizeof(raw) - 1, from)) <= 0)
		return;
	raw[n] = '\0';
	/* One line: the message it ends on matters, not its layout. */
	for (s = raw; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
	while (n > 0 && raw[n - 1] == ' ')
		raw[--n] = '\0';
	if (n == 0)
		return;
	kr_printable(raw, safe, sizeof(safe));
	snprintf(out, outlen, "; it said: %s%s", from > 0 ? "..." : "", safe);
}

/* Waits for the helper; how it ended into p->why.  0 when it exited 0. */
static int
reap(struct kr_paperproc *p)
{
	int st;
	pid_t w;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return -1;
	while ((w = waitpid(p->pid, &st, 0)) < 0 && errno == EINTR)
		;
	p->pid = 0;
	if (w < 0) {
		snprintf(p->why, sizeof(p->why), "cannot wait for it: %s",
		    strerror(errno));
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		snprintf(p->why, sizeof(p->why), "it crashed: killed by signal "
		    "%d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(p->why, sizeof(p->why), "it exited with status %d",
		    WEXITSTATUS(st));
	return -1;
}

/*
 * The session failed (what): ends the helper (kill_it: it is alive and
 * misbehaving; a helper that already exited keeps its own status), finds
 * out how it ended, and sets the error every later call returns.
 */
static int
failed(struct kr_paperproc *p, const char *what, int kill_it)
{
	char how[sizeof(p->why)], said[PAPERPROC_STDERR_TAIL * 4 + 32];
	int st;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (kill_it && p->pid > 0)
		kill(p->pid, SIGKILL);
	p->why[0] = '\0';
	if ((st = reap(p)) == 0)
		snprintf(p->why, sizeof(p->why), "it exited 0");
	else if (kill_it && strstr(p->why, "signal 9 ") != NULL)
		snprintf(p->why, sizeof(p->why), "keyrite stopped it");
	snprintf(how, sizeof(how), "%s", p->why);
	stderr_tail(p, said, sizeof(said));
	snprintf(p->why, sizeof(p->why), "%s (%.200s) %.300s; %.150s%.330s",
	    KR_PAPERPROC_NAME, p->path, what, how, said);
	p->dead = 1;
	return kr_err_set(KR_ERR_PAPER_HELPER, "%s", p->why);
}

int
kr_paperproc_call(struct kr_paperproc *p, struct kr_buf *b,
    struct kr_pp_msg *reply)
{
	char what[KR_PAPERPROC_STR_MAX + 128], detail[KR_PAPERPROC_STR_MAX];
	int32_t code;
	int r, ok;

	memset(reply, 0, sizeof(*reply));
	if (p->dead)
		return kr_err_set(KR_ERR_PAPER_HELPER, "%s", p->why);
	if ((r = kr_pp_send(p->fd, b)) != 0) {
		if (r != KR_ERR_IO)
			return r;
		snprintf(what, sizeof(what), "did not take a request (%s)",
		    kr_err_detail());
		return failed(p, what, 0);
	}
	if ((r = kr_pp_recv(p->fd, reply)) != 0) {
		snprintf(what, sizeof(what), "gave no whole reply (%s)",
		    r == KR_ERR_NOT_FOUND ? "it closed the connection" :
		    kr_err_detail());
		return failed(p, what, r == KR_ERR_FORMAT);
	}
	ok = reply->n >= 3 && reply->f[0].len == 2 &&
	    memcmp(reply->f[0].p, "ok", 2) == 0;
	if ((!ok && (reply->n < 3 || reply->f[0].len != 5 ||
	    memcmp(reply->f[0].p, "error", 5) != 0)) ||
	    kr_pp_get_i32(reply, 1, &code) != 0 ||
	    kr_pp_get_text(reply, 2, detail, sizeof(detail)) != 0 ||
	    (ok && code != 0) ||
	    (!ok && (code >= 0 || strcmp(kr_strerror(code),
	    "unknown error") == 0))) {
		kr_pp_msg_free(reply);
		return failed(p, "sent a malformed reply", 1);
	}
	return ok ? 0 : kr_err_set(code, "%s", detail);
}

int
kr_paperproc_end(struct kr_paperproc *p)
{
	char said[PAPERPROC_STDERR_TAIL * 4 + 32];
	int r = 0;

	if (p == NULL)
		return 0;
	if (p->dead)
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s", p->why);
	else if (reap(p) != 0) {
		stderr_tail(p, said, sizeof(said));
		r = kr_err_set(KR_ERR_PAPER_HELPER, "%s (%.300s) ended badly: "
		    "%.400s%s", KR_PAPERPROC_NAME, p->path, p->why, said);
	}
	if (p->fd >= 0)
		close(p->fd);
	if (p->errfd >= 0)
		close(p->errfd);
	free(p);
	return r;
}

int
kr_paperproc_once(struct kr_buf *b, struct kr_pp_msg *reply)
{
	struct kr_paperproc *p;
	char detail[1024];
	int r, r2;

	memset(reply, 0, sizeof(*reply));
	if ((r = kr_paperproc_start(&p)) != 0)
		return r;
	r = kr_paperproc_call(p, b, reply);
	snprintf(detail, sizeof(detail), "%s", kr_err_detail());
	r2 = kr_paperproc_end(p);
	if (r == 0 && r2 != 0) {
		kr_pp_msg_free(reply);
		return r2;
	}
	if (r != 0)
		kr_err_set(r, "%s", detail);
	return r;
}
