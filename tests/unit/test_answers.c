/*
 * test_answers.c: the strict `key = value` reader: good files parse, bad
 * ones name file and line and never quote a value, and the file's bytes
 * live only in secret memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "base/secmem.h"
#include "ceremony/answers.h"

static char path[64];

static void
write_file(const char *content, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kr-test-answers-%d", getpid());
	f = fopen(path, "wb");
	cr_assert_not_null(f, "fopen %s", path);
	cr_assert_eq(fwrite(content, 1, len, f), len, "fwrite");
	fclose(f);
}

static void
cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
}

TestSuite(answers, .fini = cleanup);

Test(answers, good_file)
{
	static const char text[] =
	    "# PINs for the rehearsal\n"
	    "\n"
	    "pin.custodian-1 = 123456\n"
	    "  pin.Alice's card\t=\tp#ss word  \r\n"
	    "pin.custodian-3=\n"
	    "name = J\xc3\xbcrgen\n"
	    "last = no newline";
	struct kr_answers *a = NULL;
	size_t live = kr_secmem_live();
	int r;

	write_file(text, sizeof(text) - 1);
	r = kr_answers_load(path, &a);
	cr_assert_eq(r, 0, "load: %s", kr_err_detail());
	cr_assert_eq(kr_secmem_live(), live + 1, "file held in secret memory");
	cr_assert_eq(kr_answers_count(a), 5, "5 entries");
	cr_assert_str_eq(kr_answers_get(a, "pin.custodian-1"), "123456", "1");
	cr_assert_str_eq(kr_answers_get(a, "pin.Alice's card"), "p#ss word",
	    "blanks inside a key and value kept, around them dropped; '#' in "
	    "a value is not a comment; CR LF");
	cr_assert_str_eq(kr_answers_get(a, "pin.custodian-3"), "",
	    "empty value");
	cr_assert_str_eq(kr_answers_get(a, "name"), "J\xc3\xbcrgen", "UTF-8");
	cr_assert_str_eq(kr_answers_get(a, "last"), "no newline", "last");
	cr_assert_null(kr_answers_get(a, "pin.custodian-9"), "absent");
	cr_assert_eq(kr_answers_line(a, "pin.Alice's card"), 4, "line");
	cr_assert_eq(kr_answers_line(a, "nope"), 0, "absent line");
	cr_assert_str_eq(kr_answers_key(a, 0), "pin.custodian-1", "order");
	cr_assert_str_eq(kr_answers_path(a), path, "path");
	kr_answers_free(a);
	cr_assert_eq(kr_secmem_live(), live, "secret memory released");
	kr_answers_free(NULL);
}

Test(answers, bad_files_name_the_line_never_the_value)
{
	static const struct {
		const char	*text;
		size_t		 len;
		int		 code;
		const char	*where;
	} cases[] = {
		{ "a = 1\nsecret-pin-9876\n", 22, KR_ERR_FORMAT, "line 2:" },
		{ "a = 1\n = secret-pin-9876\n", 25, KR_ERR_FORMAT, "line 2:" },
		{ "a = 1\nb = 2\na = secret-pin-9876\n", 32, KR_ERR_FORMAT,
		    "line 3: 'a' is already given on line 1" },
		{ "a = secret-pin-9876\x01\n", 21, KR_ERR_FORMAT, "line 1:" },
		{ "a = 1\nb = secret-pin-9876\xff\n", 26, KR_ERR_FORMAT,
		    "line 2:" },
		{ "a = 1\n\nb = secret\0pin-9876\n", 27, KR_ERR_FORMAT,
		    "line 3: a NUL byte" },
		{ "a = secret-pin-9876\xc2\x85\n", 22, KR_ERR_FORMAT,
		    "line 1:" },
	};
	struct kr_answers *a;
	size_t i, live = kr_secmem_live();
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].text, cases[i].len);
		a = (struct kr_answers *)1;
		r = kr_answers_load(path, &a);
		cr_assert_eq(r, cases[i].code, "case %zu: %d", i, r);
		cr_assert_null(a, "case %zu: output set on failure", i);
		cr_assert_not_null(strstr(kr_err_detail(), path),
		    "case %zu names the file: %s", i, kr_err_detail());
		cr_assert_not_null(strstr(kr_err_detail(), cases[i].where),
		    "case %zu: want '%s' in: %s", i, cases[i].where,
		    kr_err_detail());
		cr_assert_null(strstr(kr_err_detail(), "secret"),
		    "case %zu quotes a value: %s", i, kr_err_detail());
	}
	cr_assert_eq(kr_secmem_live(), live, "secret memory leaked");
}

Test(answers, missing_large_and_odd_files)
{
	struct kr_answers *a = NULL;
	char *big;
	int r;

	r = kr_answers_load("/nonexistent/pins", &a);
	cr_assert_eq(r, KR_ERR_IO, "missing file: %d", r);
	cr_assert_not_null(strstr(kr_err_detail(), "/nonexistent/pins"),
	    "names the file: %s", kr_err_detail());
	r = kr_answers_load("/tmp", &a);
	cr_assert_eq(r, KR_ERR_IO, "a directory: %d", r);
	big = malloc(KR_ANSWERS_MAX_BYTES + 1);
	cr_assert_not_null(big, "malloc");
	memset(big, '#', KR_ANSWERS_MAX_BYTES + 1);
	write_file(big, KR_ANSWERS_MAX_BYTES + 1);
	free(big);
	r = kr_answers_load(path, &a);
	cr_assert_eq(r, KR_ERR_TOO_LARGE, "too large: %d", r);
	write_file("", 0);
	r = kr_answers_load(path, &a);
	cr_assert_eq(r, 0, "empty file: %s", kr_err_detail());
	cr_assert_eq(kr_answers_count(a), 0, "no entries");
	kr_answers_free(a);
}
