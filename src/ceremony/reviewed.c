/*
 * reviewed.c: what a real ceremony checks before it touches anything
 * (reviewed.h): its script and policy are the installed, reviewed,
 * read-only ones, and its cards are hardware cards.
 *
 * The installed directory comes from /proc/self/exe alone.  A test
 * installation is made as any installation is (make install into a
 * prefix), so tests reach real mode without any switch in the binary.
 *
 * Read-only means mode bits and mount flags: as root, access(W_OK)
 * succeeds on a 0444 file, so it says nothing.  A file is read-only here
 * when no write bit is set (POSIX ACLs show in the group bits, which hold
 * their mask) or when its file system is mounted read-only (the
 * appliance's squashfs).  The SHA-256 compared with the manifest is that
 * of the bytes the engine parsed, not of a second read, so a file changed
 * between the check and the load cannot slip through.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/hex.h"
#include "reviewed.h"

#define TAIL_INSTALL	"run it with --rehearsal, or install the reviewed " \
			"scripts"
#define TAIL_POLICY	"run the installed script without --policy, or " \
			"run it with --rehearsal"
#define HASH_HEX	64
#define NAME_MAX_LEN	255

/* Names the manifest may hold: a plain file name, as scripts use. */
#define NAME_CHAR(c)	(((c) >= 'a' && (c) <= 'z') || \
			((c) >= 'A' && (c) <= 'Z') || \
			((c) >= '0' && (c) <= '9') || (c) == '.' || \
			(c) == '_' || (c) == '-')

/* Prefixes of the manufacturer or model of known software tokens. */
static const char *const software_tokens[] = { "SoftHSM" };

struct manifest {
	const char	*name[KR_REVIEWED_MAX_FILES];	/* into text */
	size_t		 namelen[KR_REVIEWED_MAX_FILES];
	size_t		 line[KR_REVIEWED_MAX_FILES];
	uint8_t		 sha256[KR_REVIEWED_MAX_FILES][32];
	size_t		 n;
	char		*text;
};

static int	refuse(const char *tail, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* KR_ERR_SCRIPT_NOT_REVIEWED: what is wrong, "; ", what to do. */
static int
refuse(const char *tail, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_SCRIPT_NOT_REVIEWED, "%s; %s", msg, tail);
}

int
kr_reviewed_dir(char *out, size_t outlen)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64], real[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return refuse(TAIL_INSTALL, "cannot tell which keyrite is "
		    "running (/proc/self/exe: %s), so no script counts as "
		    "reviewed", strerror(errno));
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL || slash - exe < 4 ||
	    strncmp(slash - 4, "/bin", 4) != 0)
		return refuse(TAIL_INSTALL, "keyrite at %s is not installed "
		    "(it is not in a bin directory), so no script counts as "
		    "reviewed", exe);
	snprintf(cand, sizeof(cand), "%.*s/" KR_REVIEWED_SUBDIR,
	    (int)(slash - 4 - exe), exe);
	if (realpath(cand, real) == NULL)
		return refuse(TAIL_INSTALL, "keyrite at %s has no installed "
		    "scripts directory (%s: %s), so no script counts as "
		    "reviewed", exe, cand, strerror(errno));
	if (strlen(real) >= outlen)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "%s: path too long",
		    real);
	memcpy(out, real, strlen(real) + 1);
	return 0;
}

/*
 * Opens path (not through a symbolic link) as a directory or a regular
 * file and checks that nobody may write it.  what prefixes the name.
 */
static int
open_read_only(const char *path, int dir, const char *what, int *fdp)
{
	struct statvfs vfs;
	struct stat st;
	int fd;

	*fdp = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    (dir ? O_DIRECTORY : 0))) < 0)
		return refuse(TAIL_INSTALL, "%s%s: %s", what, path,
		    errno == ELOOP ? "a symbolic link, not the reviewed file" :
		    strerror(errno));
	if (fstat(fd, &st) != 0 || (dir ? !S_ISDIR(st.st_mode) :
	    !S_ISREG(st.st_mode))) {
		close(fd);
		return refuse(TAIL_INSTALL, "%s%s is not a %s", what, path,
		    dir ? "directory" : "regular file");
	}
	if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0 &&
	    !(fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0)) {
		close(fd);
		return refuse(TAIL_INSTALL, "%s%s is writable (mode %04o): "
		    "reviewed files are read-only (no write bit, or a "
		    "read-only mount), so that what runs is what was "
		    "reviewed", what, path, (unsigned)(st.st_mode & 07777));
	}
	*fdp = fd;
	return 0;
}

static int
check_read_only(const char *path, int dir, const char *what)
{
	int fd, r;

	if ((r = open_read_only(path, dir, what, &fd)) == 0)
		close(fd);
	return r;
}

/* A manifest error at line:column, with what to do. */
static int
merr(const char *source, size_t line, size_t col, const char *msg)
{
	return refuse(TAIL_INSTALL, "%s:%zu:%zu: %s", source, line, col, msg);
}

/* One line "<64 hex>  NAME" (or " *NAME") into m. */
static int
manifest_line(struct manifest *m, const char *source, size_t line,
    const char *p, size_t len)
{
	const char *name = p + HASH_HEX + 2;
	char msg[256], hex[HASH_HEX + 1];
	size_t i, nlen;

	for (i = 0; i < HASH_HEX; i++)
		if (i >= len || !((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			return merr(source, line, i + 1, "expected the SHA-256 "
			    "as 64 lower-case hex digits, as sha256sum writes "
			    "it");
	if (len < HASH_HEX + 2 || p[HASH_HEX] != ' ' ||
	    (p[HASH_HEX + 1] != ' ' && p[HASH_HEX + 1] != '*'))
		return merr(source, line, HASH_HEX + 1, "expected two spaces "
		    "(or ' *') between the SHA-256 and the file name");
	nlen = len - HASH_HEX - 2;
	for (i = 0; i < nlen && NAME_CHAR(name[i]); i++)
		;
	if (nlen == 0 || nlen > NAME_MAX_LEN || i != nlen ||
	    name[0] == '.' || name[0] == '-')
		return merr(source, line, HASH_HEX + 3 + (i < nlen &&
		    name[0] != '.' && name[0] != '-' ? i : 0),
		    "expected a plain file name (letters, digits, '.', '_', "
		    "'-'), the name of a file beside the manifest");
	for (i = 0; i < m->n; i++)
		if (m->namelen[i] == nlen &&
		    memcmp(m->name[i], name, nlen) == 0) {
			snprintf(msg, sizeof(msg), "%.*s is listed twice "
			    "(first at line %zu)", (int)nlen, name,
			    m->line[i]);
			return merr(source, line, HASH_HEX + 3, msg);
		}
	if (m->n == KR_REVIEWED_MAX_FILES)
		return merr(source, line, 1, "too many files");
	memcpy(hex, p, HASH_HEX);
	hex[HASH_HEX] = '\0';
	if (kr_hex_decode(hex, m->sha256[m->n], 32) != 0)
		return merr(source, line, 1, "unreadable SHA-256");
	m->name[m->n] = name;
	m->namelen[m->n] = nlen;
	m->line[m->n++] = line;
	return 0;
}

static int
manifest_parse(struct manifest *m, const char *source, size_t len)
{
	const char *p = m->text, *end = m->text + len, *nl;
	size_t line = 0;
	int r;

	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return merr(source, line, (size_t)(end - p) + 1,
			    "the last line does not end with a newline");
		if ((r = manifest_line(m, source, line, p,
		    (size_t)(nl - p))) != 0)
			return r;
	}
	if (m->n == 0)
		return merr(source, 1, 1, "the manifest lists no file");
	return 0;
}

/* Reads and parses the manifest at path, which must be read-only. */
static int
manifest_read(const char *path, struct manifest **mp)
{
	struct manifest *m = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, r;

	*mp = NULL;
	if ((r = open_read_only(path, 0, "the reviewed manifest ", &fd)) != 0)
		return r;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->text = malloc(KR_REVIEWED_MAX_BYTES + 1)) == NULL) {
		r = kr_err_set(KR_ERR_NOMEM, "reading %s", path);
		goto out;
	}
	while (len <= KR_REVIEWED_MAX_BYTES && (n = read(fd, m->text + len,
	    KR_REVIEWED_MAX_BYTES + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = refuse(TAIL_INSTALL, "reading %s: %s", path,
			    strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > KR_REVIEWED_MAX_BYTES) {
		r = refuse(TAIL_INSTALL, "%s is larger than %d bytes", path,
		    KR_REVIEWED_MAX_BYTES);
		goto out;
	}
	if ((r = manifest_parse(m, path, len)) != 0)
		goto out;
	*mp = m;
	m = NULL;
 out:
	if (m != NULL)
		free(m->text);
	free(m);
	close(fd);
	return r;
}

static void
manifest_free(struct manifest *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m);
}

/* The manifest lists file (as shown) with exactly this SHA-256. */
static int
manifest_want(const struct manifest *m, const char *path, const char *file,
    const char *shown, const uint8_t sha256[32], const char *what)
{
	char got[HASH_HEX + 1], want[HASH_HEX + 1];
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->namelen[i] == strlen(file) &&
		    memcmp(m->name[i], file, m->namelen[i]) == 0)
			break;
	if (i == m->n)
		return refuse(TAIL_INSTALL, "%s is not %s: the manifest %s "
		    "does not list %s", shown, what, path, file);
	if (memcmp(m->sha256[i], sha256, 32) == 0)
		return 0;
	kr_hex_encode(sha256, 32, got, sizeof(got));
	kr_hex_encode(m->sha256[i], 32, want, sizeof(want));
	return refuse(TAIL_INSTALL, "%s is not %s: its SHA-256 is %s, but "
	    "the manifest %s lists %s for it (line %zu), so it changed after "
	    "it was reviewed", shown, what, got, path, want, m->line[i]);
}

int
kr_reviewed_check(const char *dir, const char *script, const char *policy,
    const uint8_t *script_sha256, const uint8_t *policy_sha256)
{
	char d[PATH_MAX], s[PATH_MAX], p[PATH_MAX], want[PATH_MAX + 32];
	char path[PATH_MAX + 32];
	struct manifest *m = NULL;
	const char *base;
	size_t dlen;
	int r;

	if (dir == NULL && (r = kr_reviewed_dir(d, sizeof(d))) != 0)
		return r;
	if (dir != NULL && realpath(dir, d) == NULL)
		return refuse(TAIL_INSTALL, "the scripts directory %s: %s",
		    dir, strerror(errno));
	if (realpath(script, s) == NULL)
		return kr_err_errno(KR_ERR_IO, "%s", script);
	base = strrchr(s, '/') + 1;
	dlen = strlen(d);
	if ((size_t)(base - 1 - s) != dlen || strncmp(s, d, dlen) != 0)
		return refuse(TAIL_INSTALL, "%s is not a reviewed script: it is "
		    "not in the installed scripts directory %s", script, d);
	snprintf(want, sizeof(want), "%s/" KR_REVIEWED_POLICY, d);
	if (policy == NULL)
		policy = want;
	if (realpath(policy, p) == NULL)
		return refuse(TAIL_INSTALL, "the policy %s: %s", policy,
		    strerror(errno));
	if (strcmp(p, want) != 0)
		return refuse(TAIL_POLICY, "the policy %s is not the reviewed "
		    "policy %s: a real ceremony uses the policy installed "
		    "beside its scripts", policy, want);
	if ((r = check_read_only(d, 1, "the installed scripts directory ")) !=
	    0 || (r = check_read_only(s, 0, "")) != 0 ||
	    (r = check_read_only(p, 0, "")) != 0)
		return r;
	snprintf(path, sizeof(path), "%s/" KR_REVIEWED_MANIFEST, d);
	if ((r = manifest_read(path, &m)) != 0)
		goto out;
	if (script_sha256 != NULL && (r = manifest_want(m, path, base, script,
	    script_sha256, "a reviewed script")) != 0)
		goto out;
	if (policy_sha256 != NULL && (r = manifest_want(m, path,
	    KR_REVIEWED_POLICY, policy, policy_sha256,
	    "the reviewed policy")) != 0)
		goto out;
	r = 0;
 out:
	manifest_free(m);
	return r;
}

/* 1 if the card names itself as a known software token. */
static int
is_software(const struct kr_token_info *t)
{
	size_t i, n;

	for (i = 0; i < sizeof(software_tokens) / sizeof(software_tokens[0]);
	    i++) {
		n = strlen(software_tokens[i]);
		if (strncmp(t->manufacturer, software_tokens[i], n) == 0 ||
		    strncmp(t->model, software_tokens[i], n) == 0)
			return 1;
	}
	return 0;
}

int
kr_reviewed_token_ok(const struct kr_policy *p,
    const struct kr_token_info *t, int rehearsal, char *why, size_t whylen)
{
	char name[KR_TOKEN_NAME_MAX], manu[4 * 33], model[4 * 17];
	int soft;

	why[0] = '\0';
	if (rehearsal)
		return 0;
	soft = is_software(t);
	if (!soft && t->hw_slot)
		return 0;
	if (p != NULL && kr_policy_token_qualified(p, t->manufacturer,
	    t->model))
		return 0;
	kr_token_name(t, name, sizeof(name));
	kr_token_printable(t->manufacturer, manu, sizeof(manu));
	kr_token_printable(t->model, model, sizeof(model));
	snprintf(why, whylen, "%s is %s (%s %s%s): a real ceremony uses "
	    "hardware cards; qualify the model in the policy "
	    "(qualified-token = %s / %s) or run a rehearsal", name,
	    soft ? "a software token" : "not in a hardware slot", manu, model,
	    soft ? "" : "; its slot lacks CKF_HW_SLOT", manu, model);
	return kr_err_set(KR_ERR_TOKEN_NOT_QUALIFIED, "%s", why);
}
