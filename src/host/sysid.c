/*
 * sysid.c: the appliance image's identity and how / is mounted.
 *
 * The identity file is "key value" lines written by image/build.sh; keys
 * this version does not know are skipped, so that a later image can add
 * some, but every known value is checked character by character.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "sysid.h"

#define LINE_MAX_BYTES	512

static int
all_of(const char *s, const char *set)
{
	return *s != '\0' && strspn(s, set) == strlen(s);
}

static int
is_hex40(const char *s)
{
	return strlen(s) == 40 && all_of(s, "0123456789abcdef");
}

static int
set_field(struct kr_sysid *id, const char *key, const char *val)
{
	static const char verchars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+~_-";
	char *end;
	long long t;

	if (strcmp(key, "version") == 0) {
		if (!all_of(val, verchars) || strlen(val) >= sizeof(id->version))
			return -1;
		snprintf(id->version, sizeof(id->version), "%s", val);
	} else if (strcmp(key, "commit") == 0 || strcmp(key, "tree") == 0) {
		if (!is_hex40(val) && strcmp(val, "unknown") != 0)
			return -1;
		memcpy(key[0] == 'c' ? id->commit : id->tree, val,
		    strlen(val) + 1);
	} else if (strcmp(key, "dirty") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return -1;
		id->dirty = val[0] == 'y';
	} else if (strcmp(key, "source-date-epoch") == 0) {
		errno = 0;
		t = strtoll(val, &end, 10);
		if (!all_of(val, "0123456789") || *end != '\0' || errno != 0)
			return -1;
		id->source_date = t;
	} else if (strcmp(key, "debian") == 0) {
		/* "bookworm 6.1.0-57-amd64": the kernel is the second word. */
		if ((val = strchr(val, ' ')) == NULL || !all_of(val + 1,
		    verchars) || strlen(val + 1) >= sizeof(id->kernel))
			return -1;
		snprintf(id->kernel, sizeof(id->kernel), "%s", val + 1);
	}
	return 0;
}

static int
read_identity(const char *path, struct kr_sysid *id)
{
	char line[LINE_MAX_BYTES], *val;
	unsigned lineno = 0;
	size_t n;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return kr_err_errno(KR_ERR_IO, "%s: cannot read the image's "
		    "identity", path);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == 0 || line[n - 1] != '\n') {
			r = kr_err_set(KR_ERR_FORMAT, "%s:%u: line too long or "
			    "not ended: the image is damaged", path, lineno);
			goto out;
		}
		line[n - 1] = '\0';
		if ((val = strchr(line, ' ')) != NULL)
			*val++ = '\0';
		if (val == NULL || set_field(id, line, val) != 0) {
			r = kr_err_set(KR_ERR_FORMAT, "%s:%u: not a valid "
			    "identity line: the image is damaged", path, lineno);
			goto out;
		}
	}
	if (ferror(f)) {
		r = kr_err_errno(KR_ERR_IO, "%s: reading", path);
		goto out;
	}
	if (id->version[0] == '\0' || id->commit[0] == '\0') {
		r = kr_err_set(KR_ERR_FORMAT, "%s: no version or commit: the "
		    "image is damaged", path);
		goto out;
	}
	id->appliance = 1;
 out:
	fclose(f);
	return r;
}

static int
read_root_sha256(const char *path, struct kr_sysid *id)
{
	char buf[80];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : kr_err_errno(KR_ERR_IO, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n != 65 || buf[64] != '\n')
		return kr_err_set(KR_ERR_FORMAT, "%s: not one SHA-256 line",
		    path);
	buf[64] = '\0';
	if (!all_of(buf, "0123456789abcdef"))
		return kr_err_set(KR_ERR_FORMAT, "%s: not a SHA-256", path);
	memcpy(id->root_sha256, buf, sizeof(id->root_sha256));
	return 0;
}

/*
 * The last mount on "/" in mountinfo (later mounts hide earlier ones):
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ...".
 */
static void
read_root_mount(const char *path, struct kr_sysid *id)
{
	char line[4096], *tok, *save, *opts, *p;
	int field;
	FILE *f;

	id->root_ro = -1;
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		opts = NULL;
		save = NULL;
		field = 0;
		for (tok = strtok_r(line, " \n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \n", &save), field++) {
			if (field == 4 && strcmp(tok, "/") != 0)
				break;
			if (field == 5)
				opts = tok;
			if (field > 5 && strcmp(tok, "-") == 0) {
				tok = strtok_r(NULL, " \n", &save);
				if (opts == NULL || tok == NULL)
					break;
				/* "ro" or "rw" is the first option. */
				if ((p = strchr(opts, ',')) != NULL)
					*p = '\0';
				id->root_ro = strcmp(opts, "ro") == 0;
				snprintf(id->root_fstype,
				    sizeof(id->root_fstype), "%s", tok);
				break;
			}
		}
	}
	fclose(f);
}

int
kr_sysid_read(const struct kr_sysid_paths *paths, struct kr_sysid *out)
{
	struct kr_sysid id;
	const char *image_id = KR_SYSID_FILE, *root = KR_SYSID_ROOT_SHA256;
	const char *mountinfo = KR_SYSID_MOUNTINFO;
	int r;

	memset(out, 0, sizeof(*out));
	out->root_ro = -1;
	memset(&id, 0, sizeof(id));
	if (paths != NULL) {
		image_id = paths->image_id ? paths->image_id : image_id;
		root = paths->root_sha256 ? paths->root_sha256 : root;
		mountinfo = paths->mountinfo ? paths->mountinfo : mountinfo;
	}
	if ((r = read_identity(image_id, &id)) != 0 ||
	    (r = read_root_sha256(root, &id)) != 0)
		return r;
	read_root_mount(mountinfo, &id);
	*out = id;
	return 0;
}
