/*
 * release.c: the release manifest parser, and opening its images so that
 * no path leaves the directory the manifest is in.
 *
 * The grammar is line based and has no escapes: fields are separated by
 * exactly one space, lines end with a line feed (the last one too), and
 * '#' starts a comment line.  Anything else is an error naming the line,
 * because a manifest is what the witnesses approve: two readings of one
 * file must not be possible.
 *
 * Opening walks the path one component at a time with openat(2) and
 * O_NOFOLLOW, so a symbolic link (to /etc, to another medium) is refused
 * wherever it is, rather than resolved and compared afterwards.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/text.h"
#include "release.h"

#define HEADER		"keyrite-release"

struct rparser {
	struct kr_release	*rel;
	size_t			 line;
	int			 have_header, have_name;
	size_t			 name_line;
};

/* An error at the current line. */
static int __attribute__((format(printf, 2, 3)))
lerr(const struct rparser *ps, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err_set(KR_ERR_RELEASE_FORMAT, "%s:%zu: %s", ps->rel->source,
	    ps->line, msg);
}

/* [A-Za-z0-9._-]: the characters of output file names (media.h). */
static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* The text of a field for a message, escaped and cut. */
static const char *
shown(const char *p, size_t len, char *buf, size_t buflen)
{
	char raw[96];

	snprintf(raw, sizeof(raw), "%.*s%s", (int)(len > 64 ? 64 : len), p,
	    len > 64 ? "..." : "");
	return kr_printable(raw, buf, buflen);
}

static int
check_path(const struct rparser *ps, const char *p, size_t len)
{
	const char *c = p, *end = p + len, *slash;
	char buf[400], ch[16];
	size_t clen;

	if (len == 0)
		return lerr(ps, "the image path is empty: write image PATH SIZE "
		    "SHA256");
	if (p[0] == '/')
		return lerr(ps, "the path %s is absolute: give it relative to "
		    "the directory the manifest is in", shown(p, len, buf,
		    sizeof(buf)));
	if (len > KR_RELEASE_PATH_MAX)
		return lerr(ps, "the path is longer than %d bytes",
		    KR_RELEASE_PATH_MAX);
	/* The loop below ends at the last '/': a name must follow it. */
	if (p[len - 1] == '/')
		return lerr(ps, "the path %s has an empty component ('//' or a "
		    "trailing '/'): name a file", shown(p, len, buf,
		    sizeof(buf)));
	while (c < end) {
		if ((slash = memchr(c, '/', (size_t)(end - c))) == NULL)
			slash = end;
		clen = (size_t)(slash - c);
		if ((clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return lerr(ps, "the path %s has a '%.*s' component: "
			    "an image path may not leave the directory the "
			    "manifest is in, nor name it twice; give the plain "
			    "path", shown(p, len, buf, sizeof(buf)), (int)clen,
			    c);
		if (clen == 0)
			return lerr(ps, "the path %s has an empty component "
			    "('//' or a trailing '/'): name a file",
			    shown(p, len, buf, sizeof(buf)));
		if (c[0] == '.')
			return lerr(ps, "the path %s has a component starting "
			    "with '.': hidden files are not signed; rename it",
			    shown(p, len, buf, sizeof(buf)));
		for (; c < slash; c++)
			if (!name_char((unsigned char)*c))
				return lerr(ps, "the path %s has the character "
				    "%s: paths are letters, digits, '.', '_', "
				    "'-' and '/'", shown(p, len, buf,
				    sizeof(buf)), shown(c, 1, ch, sizeof(ch)));
		c = slash + 1;
	}
	return 0;
}

static int
parse_size(const struct rparser *ps, const char *p, size_t len,
    uint64_t *sizep)
{
	char buf[400];
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 13 || (p[0] == '0' && len > 1))
		goto bad;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			goto bad;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	if (n == 0)
		return lerr(ps, "the image is 0 bytes long: there is nothing to "
		    "sign; leave it out of the release");
	if (n > KR_RELEASE_SIZE_MAX)
		return lerr(ps, "the size %llu is larger than keyrite signs "
		    "(%llu bytes)", (unsigned long long)n,
		    (unsigned long long)KR_RELEASE_SIZE_MAX);
	*sizep = n;
	return 0;
 bad:
	return lerr(ps, "the size '%s' is not a number of bytes: write it in "
	    "decimal without leading zeros (stat -c %%s FILE)",
	    shown(p, len, buf, sizeof(buf)));
}

static int
parse_sha256(const struct rparser *ps, const char *p, size_t len,
    uint8_t out[32])
{
	char buf[400], hex[65];
	size_t i;

	for (i = 0; i < len && len == 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			break;
	if (len != 64 || i != 64)
		return lerr(ps, "'%s' is not a SHA-256: write 64 lower-case hex "
		    "digits (sha256sum FILE)", shown(p, len, buf, sizeof(buf)));
	memcpy(hex, p, 64);
	hex[64] = '\0';
	if (kr_hex_decode(hex, out, 32) != 0)
		return lerr(ps, "'%s' is not a SHA-256", hex);
	return 0;
}

/* Splits line into at most max fields at single spaces; *np fields. */
static int
split(const struct rparser *ps, const char *p, size_t len, const char **f,
    size_t *flen, size_t max, size_t *np)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ')
			continue;
		if (i == start)
			return lerr(ps, "%s: fields are separated by exactly "
			    "one space, with none at the start or end of the "
			    "line", i == 0 ? "the line starts with a space" :
			    i == len ? "the line ends with a space" :
			    "two spaces in a row");
		if (n == max)
			return lerr(ps, "too many fields: write image PATH SIZE "
			    "SHA256 (paths have no spaces)");
		f[n] = p + start;
		flen[n++] = i - start;
		start = i + 1;
	}
	*np = n;
	return 0;
}

static int
add_image(struct rparser *ps, const char *p, size_t len)
{
	struct kr_release *rel = ps->rel;
	struct kr_release_image *im;
	const char *f[4];
	size_t flen[4], n, i;
	int r;

	if ((r = split(ps, p, len, f, flen, 4, &n)) != 0)
		return r;
	if (n != 4)
		return lerr(ps, "an image line has four fields: image PATH SIZE "
		    "SHA256");
	if (rel->n == KR_RELEASE_MAX_IMAGES)
		return lerr(ps, "more than %d images: sign the release in parts",
		    KR_RELEASE_MAX_IMAGES);
	im = &rel->images[rel->n];
	memset(im, 0, sizeof(*im));
	if ((r = check_path(ps, f[1], flen[1])) != 0 ||
	    (r = parse_size(ps, f[2], flen[2], &im->size)) != 0 ||
	    (r = parse_sha256(ps, f[3], flen[3], im->sha256)) != 0)
		return r;
	memcpy(im->path, f[1], flen[1]);
	im->path[flen[1]] = '\0';
	im->base = strrchr(im->path, '/') ? strrchr(im->path, '/') + 1 :
	    im->path;
	im->line = ps->line;
	if (strlen(im->base) > KR_RELEASE_BASE_MAX)
		return lerr(ps, "the file name %s is longer than %d bytes: the "
		    "signatures are named after it", im->base,
		    KR_RELEASE_BASE_MAX);
	for (i = 0; i < rel->n; i++) {
		if (strcmp(rel->images[i].path, im->path) == 0)
			return lerr(ps, "%s is listed twice (first at line %zu): "
			    "list each image once", im->path,
			    rel->images[i].line);
		if (strcmp(rel->images[i].base, im->base) == 0)
			return lerr(ps, "%s has the same file name as %s (line "
			    "%zu): its signatures are named after the file name "
			    "(%s.p7s), so each image needs a file name of its "
			    "own", im->path, rel->images[i].path,
			    rel->images[i].line, im->base);
	}
	rel->n++;
	return 0;
}

static int
set_name(struct rparser *ps, const char *p, size_t len)
{
	char buf[KR_RELEASE_NAME_MAX + 1];

	if (ps->have_name)
		return lerr(ps, "a second name line (the first is line %zu)",
		    ps->name_line);
	if (ps->rel->n > 0)
		return lerr(ps, "the name line comes before the image lines");
	if (len == 0 || len > KR_RELEASE_NAME_MAX || p[0] == ' ' ||
	    p[len - 1] == ' ')
		return lerr(ps, "the release name must be 1 to %d bytes, without "
		    "spaces at either end", KR_RELEASE_NAME_MAX);
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (memchr(p, '\0', len) != NULL || !kr_text_printable(buf))
		return lerr(ps, "the release name must be printable UTF-8 text "
		    "without control characters");
	memcpy(ps->rel->name, buf, len + 1);
	ps->have_name = 1;
	ps->name_line = ps->line;
	return 0;
}

static int
parse_line(struct rparser *ps, const char *p, size_t len)
{
	char buf[400];

	if (len == 0 || p[0] == '#')
		return 0;
	if (memchr(p, '\r', len) != NULL)
		return lerr(ps, "a carriage return: save the file with LF (Unix) "
		    "line endings");
	if (!ps->have_header) {
		if (len == strlen(HEADER) + 2 &&
		    memcmp(p, HEADER " ", strlen(HEADER) + 1) == 0 &&
		    p[len - 1] == '0' + KR_RELEASE_VERSION) {
			ps->have_header = 1;
			return 0;
		}
		if (len > strlen(HEADER) && memcmp(p, HEADER " ",
		    strlen(HEADER) + 1) == 0)
			return lerr(ps, "manifest version %s: this keyrite reads "
			    "version %d", shown(p + strlen(HEADER) + 1,
			    len - strlen(HEADER) - 1, buf, sizeof(buf)),
			    KR_RELEASE_VERSION);
		return lerr(ps, "this is not a keyrite release manifest: its "
		    "first line must be '%s %d'", HEADER, KR_RELEASE_VERSION);
	}
	if (len >= 5 && memcmp(p, "name ", 5) == 0)
		return set_name(ps, p + 5, len - 5);
	if (len >= 6 && memcmp(p, "image ", 6) == 0) {
		if (!ps->have_name)
			return lerr(ps, "the release has no name: add a line "
			    "'name ...' before the first image");
		return add_image(ps, p, len);
	}
	return lerr(ps, "unknown line '%s': lines are 'name TEXT', 'image PATH "
	    "SIZE SHA256' or '# comment'", shown(p, len, buf, sizeof(buf)));
}

static int
parse_all(struct rparser *ps, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	int r;

	if (len > 0 && text[len - 1] != '\n') {
		for (ps->line = 1, nl = text; (nl = memchr(nl, '\n',
		    (size_t)(end - nl))) != NULL; nl++)
			ps->line++;
		return lerr(ps, "the last line has no line feed: end the file "
		    "with one");
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ps->line++;
		if ((r = parse_line(ps, p, (size_t)(nl - p))) != 0)
			return r;
		p = nl + 1;
	}
	if (!ps->have_header)
		return kr_err_set(KR_ERR_RELEASE_FORMAT, "%s: this is not a "
		    "keyrite release manifest (it is empty): its first line "
		    "must be '%s %d'", ps->rel->source, HEADER,
		    KR_RELEASE_VERSION);
	if (!ps->have_name || ps->rel->n == 0)
		return kr_err_set(KR_ERR_RELEASE_FORMAT, "%s: the release %s: "
		    "a manifest names the release and lists at least one "
		    "image line 'image PATH SIZE SHA256'", ps->rel->source,
		    ps->have_name ? "lists no image" : "has no name and no "
		    "image");
	return 0;
}

int
kr_release_parse(const char *text, size_t len, const char *source,
    struct kr_release **rp)
{
	struct kr_release *rel;
	struct rparser ps;
	int r;

	*rp = NULL;
	if (source == NULL)
		source = "<release>";
	if (len > KR_RELEASE_FILE_MAX)
		return kr_err_set(KR_ERR_TOO_LARGE, "%s: a release manifest is "
		    "at most %d bytes; this one is %zu", source,
		    KR_RELEASE_FILE_MAX, len);
	if ((rel = calloc(1, sizeof(*rel))) == NULL)
		return kr_err_set(KR_ERR_NOMEM, "reading %s", source);
	snprintf(rel->source, sizeof(rel->source), "%s", source);
	memset(&ps, 0, sizeof(ps));
	ps.rel = rel;
	if (memchr(text, '\0', len) != NULL) {
		r = kr_err_set(KR_ERR_RELEASE_FORMAT, "%s: a NUL byte: this is "
		    "not a text file", source);
		goto out;
	}
	if ((r = parse_all(&ps, text, len)) != 0)
		goto out;
	if (EVP_Digest(text, len, rel->sha256, NULL, EVP_sha256(),
	    NULL) != 1) {
		r = kr_err_libcrypto(KR_ERR_LIBCRYPTO, "hashing the manifest");
		goto out;
	}
	*rp = rel;
	rel = NULL;
	r = 0;
 out:
	kr_release_free(rel);
	return r;
}

/* Opens one component below dirfd without following a link. */
static int
open_component(int dirfd, const char *name, int last,
    const struct kr_release_image *im, const char *source, int *fdp)
{
	int fd, flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;

	if (!last)
		flags |= O_DIRECTORY;
	if ((fd = openat(dirfd, name, flags)) != -1) {
		*fdp = fd;
		return 0;
	}
	if (errno == ENOENT)
		return kr_err_set(KR_ERR_NOT_FOUND, "%s (%s line %zu) is "
		    "missing: copy it onto the medium beside the manifest",
		    im->path, source, im->line);
	if (errno == ELOOP || errno == ENOTDIR)
		return kr_err_set(KR_ERR_RELEASE_FORMAT, "%s (%s line %zu): "
		    "'%s' is a symbolic link or not a directory: images are "
		    "signed only from plain files inside the manifest's "
		    "directory; copy the file there", im->path, source,
		    im->line, name);
	return kr_err_errno(KR_ERR_IO, "%s (%s line %zu): cannot open '%s'",
	    im->path, source, im->line, name);
}

int
kr_release_open_image(int dirfd, const struct kr_release *rel, size_t i,
    int *fdp)
{
	const struct kr_release_image *im;
	char comp[KR_RELEASE_PATH_MAX + 1], *c, *slash;
	struct stat st;
	int fd = -1, next = -1, r;

	*fdp = -1;
	if (i >= rel->n)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "no image %zu", i);
	im = &rel->images[i];
	snprintf(comp, sizeof(comp), "%s", im->path);
	if ((fd = dup(dirfd)) == -1)
		return kr_err_errno(KR_ERR_IO, "opening %s", im->path);
	for (c = comp; ; c = slash + 1) {
		if ((slash = strchr(c, '/')) != NULL)
			*slash = '\0';
		r = open_component(fd, c, slash == NULL, im, rel->source,
		    &next);
		close(fd);
		fd = -1;
		if (r != 0)
			return r;
		fd = next;
		if (slash == NULL)
			break;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = kr_err_set(KR_ERR_RELEASE_FORMAT, "%s (%s line %zu) is not "
		    "a regular file", im->path, rel->source, im->line);
		goto fail;
	}
	if ((uint64_t)st.st_size != im->size) {
		r = kr_err_set(KR_ERR_RELEASE_MISMATCH, "%s (%s line %zu) is "
		    "%llu bytes, but the manifest says %llu: this is not the "
		    "image the release team listed; stop and ask them",
		    im->path, rel->source, im->line,
		    (unsigned long long)st.st_size,
		    (unsigned long long)im->size);
		goto fail;
	}
	*fdp = fd;
	return 0;
 fail:
	close(fd);
	return r;
}

void
kr_release_free(struct kr_release *rel)
{
	free(rel);
}
