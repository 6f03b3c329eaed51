/*
 * test_release.c: the release manifest parser, table-driven: good
 * manifests and what they parse to, then one bad manifest per rule with
 * the exact message it gets (file:line and what to write instead).  Then
 * opening images below a directory: a symbolic link anywhere on the path
 * (to a file outside, to a directory), a missing file, a directory, and a
 * size other than the manifest's are refused, naming the manifest line.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/hex.h"
#include "crypto/release.h"

#define H	"keyrite-release 1\n"
#define N	"name ACME 4.2.0\n"
#define SHA_A	"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_B	"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

static int
parse(const char *text, struct kr_release **rp)
{
	return kr_release_parse(text, strlen(text), "r.txt", rp);
}

Test(release, good)
{
	static const char text[] = "# a comment\n\n" H N
	    "image fw/app.bin 1048576 " SHA_A "\n"
	    "# between images\n"
	    "image boot.efi 9 " SHA_B "\n";
	struct kr_release *r = NULL;
	uint8_t want[32];

	cr_assert_eq(parse(text, &r), 0, "%s", kr_err_detail());
	cr_assert_str_eq(r->name, "ACME 4.2.0");
	cr_assert_eq(r->n, 2);
	cr_assert_str_eq(r->images[0].path, "fw/app.bin");
	cr_assert_str_eq(r->images[0].base, "app.bin");
	cr_assert_eq(r->images[0].size, 1048576);
	cr_assert_eq(r->images[0].line, 5);
	kr_hex_decode(SHA_A, want, 32);
	cr_assert_eq(memcmp(r->images[0].sha256, want, 32), 0);
	cr_assert_str_eq(r->images[1].base, "boot.efi");
	cr_assert_eq(r->images[1].line, 7);
	/* The manifest's own SHA-256, of exactly these bytes. */
	cr_assert_eq(EVP_Digest(text, strlen(text), want, NULL, EVP_sha256(),
	    NULL), 1);
	cr_assert_eq(memcmp(r->sha256, want, 32), 0, "manifest hash");
	kr_release_free(r);
}

static const struct bad_case {
	const char	*name;
	const char	*text;
	int		 code;
	const char	*want;
} bad[] = {
	{ "empty", "", KR_ERR_RELEASE_FORMAT,
	    "r.txt: this is not a keyrite release manifest (it is empty): "
	    "its first line must be 'keyrite-release 1'" },
	{ "no_header", N, KR_ERR_RELEASE_FORMAT,
	    "r.txt:1: this is not a keyrite release manifest: its first line "
	    "must be 'keyrite-release 1'" },
	{ "version_2", "keyrite-release 2\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:1: manifest version 2: this keyrite reads version 1" },
	{ "no_images", H N, KR_ERR_RELEASE_FORMAT,
	    "r.txt: the release lists no image: a manifest names the release "
	    "and lists at least one image line 'image PATH SIZE SHA256'" },
	{ "no_name", H "image a 1 " SHA_A "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:2: the release has no name: add a line 'name ...' before "
	    "the first image" },
	{ "two_names", H N N, KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: a second name line (the first is line 2)" },
	{ "control_in_name", H "name a\033[2Jb\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:2: the release name must be printable UTF-8 text without "
	    "control characters" },
	{ "no_final_newline", H N "image a 1 " SHA_A, KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the last line has no line feed: end the file with one" },
	{ "crlf", H "name x\r\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:2: a carriage return: save the file with LF (Unix) line "
	    "endings" },
	{ "nul", H "name \0x\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt: a NUL byte: this is not a text file" },
	{ "unknown_line", H N "sign everything\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: unknown line 'sign everything': lines are 'name TEXT', "
	    "'image PATH SIZE SHA256' or '# comment'" },
	{ "three_fields", H N "image a 1\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: an image line has four fields: image PATH SIZE SHA256" },
	{ "two_spaces", H N "image a  1 " SHA_A "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: two spaces in a row: fields are separated by exactly "
	    "one space, with none at the start or end of the line" },
	{ "trailing_space", H N "image a 1 " SHA_A " \n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the line ends with a space: fields are separated by "
	    "exactly one space, with none at the start or end of the line" },
	{ "dotdot", H N "image ../etc/passwd 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path ../etc/passwd has a '..' component: an image "
	    "path may not leave the directory the manifest is in, nor name it "
	    "twice; give the plain path" },
	{ "inner_dotdot", H N "image fw/../../x 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path fw/../../x has a '..' component: an image path "
	    "may not leave the directory the manifest is in, nor name it "
	    "twice; give the plain path" },
	{ "dot", H N "image ./a 1 " SHA_A "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path ./a has a '.' component: an image path may not "
	    "leave the directory the manifest is in, nor name it twice; give "
	    "the plain path" },
	{ "absolute", H N "image /etc/passwd 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path /etc/passwd is absolute: give it relative to "
	    "the directory the manifest is in" },
	{ "double_slash", H N "image fw//a 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path fw//a has an empty component ('//' or a "
	    "trailing '/'): name a file" },
	{ "trailing_slash", H N "image fw/ 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path fw/ has an empty component ('//' or a "
	    "trailing '/'): name a file" },
	{ "hidden", H N "image fw/.a 1 " SHA_A "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path fw/.a has a component starting with '.': "
	    "hidden files are not signed; rename it" },
	{ "escape_in_path", H N "image a\033b 1 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the path a\\x1bb has the character \\x1b: paths are "
	    "letters, digits, '.', '_', '-' and '/'" },
	{ "size_zero", H N "image a 0 " SHA_A "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the image is 0 bytes long: there is nothing to sign; "
	    "leave it out of the release" },
	{ "size_leading_zero", H N "image a 01 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the size '01' is not a number of bytes: write it in "
	    "decimal without leading zeros (stat -c %s FILE)" },
	{ "size_huge", H N "image a 9999999999999 " SHA_A "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: the size 9999999999999 is larger than keyrite signs "
	    "(1099511627776 bytes)" },
	{ "sha_upper", H N "image a 1 9F86d081884c7d659a2feaa0c55ad015a3bf4f1"
	    "b2b0b822cd15d6c15b0f00a08\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: '9F86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c1"
	    "5b0f00a08' is not a SHA-256: write 64 lower-case hex digits "
	    "(sha256sum FILE)" },
	{ "sha_short", H N "image a 1 9f86\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:3: '9f86' is not a SHA-256: write 64 lower-case hex digits "
	    "(sha256sum FILE)" },
	{ "duplicate", H N "image a 1 " SHA_A "\nimage a 2 " SHA_B "\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:4: a is listed twice (first at line 3): list each image "
	    "once" },
	{ "same_file_name", H N "image x/a 1 " SHA_A "\nimage y/a 2 " SHA_B
	    "\n", KR_ERR_RELEASE_FORMAT,
	    "r.txt:4: y/a has the same file name as x/a (line 3): its "
	    "signatures are named after the file name (a.p7s), so each image "
	    "needs a file name of its own" },
	{ "name_after_images", H N "image a 1 " SHA_A "\nname again\n",
	    KR_ERR_RELEASE_FORMAT,
	    "r.txt:4: a second name line (the first is line 2)" },
};

Test(release, bad_manifests)
{
	struct kr_release *r;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		len = strlen(bad[i].text);
		if (strcmp(bad[i].name, "nul") == 0)
			len = strlen(H) + 8;
		rc = kr_release_parse(bad[i].text, len, "r.txt", &r);
		cr_expect_eq(rc, bad[i].code, "%s: returned %d (%s)",
		    bad[i].name, rc, kr_err_detail());
		cr_expect_null(r, "%s: output set on failure", bad[i].name);
		cr_expect_str_eq(kr_err_detail(), bad[i].want, "%s: message "
		    "differs:\n got: %s\nwant: %s", bad[i].name,
		    kr_err_detail(), bad[i].want);
	}
}

Test(release, limits)
{
	char *text, *p;
	struct kr_release *r = NULL;
	size_t i, cap = 64 * 1024 + 1024;

	cr_assert_not_null(text = malloc(cap));
	p = text + sprintf(text, H N);
	for (i = 0; i <= KR_RELEASE_MAX_IMAGES; i++)
		p += sprintf(p, "image f%zu 1 " SHA_A "\n", i);
	cr_assert_eq(parse(text, &r), KR_ERR_RELEASE_FORMAT);
	cr_assert_not_null(strstr(kr_err_detail(), "more than 32 images"),
	    "%s", kr_err_detail());
	memset(text, '#', cap);
	text[cap - 1] = '\n';
	cr_assert_eq(kr_release_parse(text, cap, "r.txt", &r),
	    KR_ERR_TOO_LARGE);
	free(text);
}

/* --- opening images ------------------------------------------------------ */

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kr-release-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
write_file(const char *rel, size_t len)
{
	char path[256];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_not_null(f = fopen(path, "w"), "%s", path);
	for (i = 0; i < len; i++)
		fputc('x', f);
	fclose(f);
}

static int
open_one(const char *manifest, int *fdp)
{
	struct kr_release *r = NULL;
	int dfd, rc;

	cr_assert_eq(parse(manifest, &r), 0, "%s", kr_err_detail());
	cr_assert_neq(dfd = open(dir, O_RDONLY | O_DIRECTORY), -1);
	rc = kr_release_open_image(dfd, r, 0, fdp);
	close(dfd);
	kr_release_free(r);
	return rc;
}

Test(release, open_images)
{
	char cmd[256], target[256], link[256];
	int fd = -1;

	make_dir();
	snprintf(cmd, sizeof(cmd), "%s/fw", dir);
	cr_assert_eq(mkdir(cmd, 0700), 0);
	write_file("fw/a.bin", 5);
	cr_assert_eq(open_one(H N "image fw/a.bin 5 " SHA_A "\n", &fd), 0,
	    "%s", kr_err_detail());
	cr_assert_geq(fd, 0);
	close(fd);

	cr_assert_eq(open_one(H N "image fw/a.bin 6 " SHA_A "\n", &fd),
	    KR_ERR_RELEASE_MISMATCH);
	cr_assert_str_eq(kr_err_detail(), "fw/a.bin (r.txt line 3) is 5 "
	    "bytes, but the manifest says 6: this is not the image the "
	    "release team listed; stop and ask them");
	cr_assert_eq(fd, -1, "fd set on failure");

	cr_assert_eq(open_one(H N "image fw/b.bin 5 " SHA_A "\n", &fd),
	    KR_ERR_NOT_FOUND);
	cr_assert_str_eq(kr_err_detail(), "fw/b.bin (r.txt line 3) is "
	    "missing: copy it onto the medium beside the manifest");

	cr_assert_eq(open_one(H N "image fw 5 " SHA_A "\n", &fd),
	    KR_ERR_RELEASE_FORMAT);
	cr_assert_str_eq(kr_err_detail(), "fw (r.txt line 3) is not a "
	    "regular file");

	/* A link to a file outside, and a directory that is a link. */
	snprintf(target, sizeof(target), "%s/fw/a.bin", dir);
	snprintf(link, sizeof(link), "%s/out.bin", dir);
	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(open_one(H N "image out.bin 5 " SHA_A "\n", &fd),
	    KR_ERR_RELEASE_FORMAT);
	cr_assert_str_eq(kr_err_detail(), "out.bin (r.txt line 3): 'out.bin' "
	    "is a symbolic link or not a directory: images are signed only "
	    "from plain files inside the manifest's directory; copy the file "
	    "there");
	snprintf(link, sizeof(link), "%s/up", dir);
	cr_assert_eq(symlink("/etc", link), 0);
	cr_assert_eq(open_one(H N "image up/hostname 5 " SHA_A "\n", &fd),
	    KR_ERR_RELEASE_FORMAT);
	cr_assert_not_null(strstr(kr_err_detail(), "'up' is a symbolic link"),
	    "%s", kr_err_detail());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}
