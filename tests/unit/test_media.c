/* test_media.c: outputs are written everywhere, read back, never overwritten. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "host/media.h"

static char d1[64], d2[64];

static void
setup(void)
{
	strcpy(d1, "/tmp/kr-media-XXXXXX");
	strcpy(d2, "/tmp/kr-media-XXXXXX");
	cr_assert_not_null(mkdtemp(d1), "mkdtemp");
	cr_assert_not_null(mkdtemp(d2), "mkdtemp");
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d1, d2);
	cr_assert_eq(system(cmd), 0, "cleanup");
}

static void
slurp(const char *dir, const char *name, char *out, size_t outlen)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "r"), "open %s", path);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
}

Test(media, writes_every_copy_and_hashes, .init = setup, .fini = teardown)
{
	const char *dirs[2] = { d1, d2 };
	struct kr_media *m = NULL;
	uint8_t h[32];
	char got[64];

	cr_assert_eq(kr_media_open(dirs, 2, &m), 0, "open: %s",
	    kr_err_detail());
	cr_assert_eq(kr_media_write(m, "root-ca.pem", "hello\n", 6, h), 0,
	    "write: %s", kr_err_detail());
	slurp(d1, "root-ca.pem", got, sizeof(got));
	cr_assert_str_eq(got, "hello\n", "primary copy");
	slurp(d2, "root-ca.pem", got, sizeof(got));
	cr_assert_str_eq(got, "hello\n", "second copy");
	/* sha256("hello\n") */
	cr_assert_eq(h[0], 0x58, "hash byte 0 is %02x", h[0]);
	cr_assert_eq(h[31], 0x03, "hash byte 31 is %02x", h[31]);
	kr_media_close(m);
}

Test(media, never_overwrites, .init = setup, .fini = teardown)
{
	const char *dirs[2] = { d1, d2 };
	const char *names[2] = { "a.pem", "b.escrow" };
	struct kr_media *m = NULL;
	char path[256], got[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/b.escrow", d2);
	cr_assert_not_null(f = fopen(path, "w"), "create");
	fputs("precious\n", f);
	fclose(f);
	cr_assert_eq(kr_media_open(dirs, 2, &m), 0, "open");
	cr_assert_eq(kr_media_check_absent(m, names, 2), KR_ERR_EXISTS,
	    "existing output not noticed");
	cr_assert_not_null(strstr(kr_err_detail(), path), "not named: %s",
	    kr_err_detail());
	cr_assert_eq(kr_media_write(m, "b.escrow", "new\n", 4, NULL),
	    KR_ERR_EXISTS, "overwrote");
	slurp(d2, "b.escrow", got, sizeof(got));
	cr_assert_str_eq(got, "precious\n", "existing file changed");
	snprintf(path, sizeof(path), "%s/b.escrow", d1);
	cr_assert_neq(access(path, F_OK), 0, "half-written output left in d1");
	kr_media_close(m);
}

Test(media, names_and_dirs_checked, .init = setup, .fini = teardown)
{
	static const char *bad[] = { "", ".hidden", "a/b", "../x", "a b",
	    "x\n" };
	const char *dirs[1] = { "/nonexistent/keyrite" };
	struct kr_media *m = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(kr_media_name_ok(bad[i]), "'%s' accepted",
		    bad[i]);
	cr_assert(kr_media_name_ok("transcript-20261123T140509Z-3f9a.txt"),
	    "good name refused");
	cr_assert_eq(kr_media_open(dirs, 1, &m), KR_ERR_MEDIA, "bad dir");
	cr_assert_not_null(strstr(kr_err_detail(), "/nonexistent/keyrite"),
	    "dir not named");
	cr_assert_null(m, "output set on failure");
}
