/*
 * test_paperproc.c: the paper helper's protocol (host/paperproc.h) read
 * strictly: messages built and read back over a socket pair; fields cut
 * short, running past the end, too many, or a message longer than the
 * limit refused; numbers only of their exact size; strings without NUL or
 * control bytes (text fields turn controls into '?'); a print job's
 * fields round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "base/buf.h"
#include "base/err.h"
#include "host/paperproc.h"
#include "host/printer.h"

/* Sends what b holds through a socket pair and reads it back into m. */
static int
roundtrip(struct kr_buf *b, struct kr_pp_msg *m)
{
	int sv[2], r;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(kr_pp_send(sv[0], b), 0, "send: %s", kr_err_detail());
	close(sv[0]);
	r = kr_pp_recv(sv[1], m);
	close(sv[1]);
	return r;
}

/* Writes raw bytes and reads them as a message. */
static int
raw(const void *p, size_t len, struct kr_pp_msg *m)
{
	int sv[2], r;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(write(sv[0], p, len), (ssize_t)len);
	close(sv[0]);
	r = kr_pp_recv(sv[1], m);
	close(sv[1]);
	return r;
}

Test(paperproc, fields_round_trip)
{
	struct kr_buf b;
	struct kr_pp_msg m;
	char s[16], *d;
	uint32_t u;
	int32_t i;
	uint64_t v;
	size_t len;

	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "render");
	kr_pp_put_u32(&b, 0xdeadbeef);
	kr_pp_put_i32(&b, -1320);
	kr_pp_put_u64(&b, 0x0102030405060708ULL);
	kr_pp_put(&b, "a\0b", 3);
	kr_pp_put(&b, "", 0);
	cr_assert_eq(roundtrip(&b, &m), 0, "%s", kr_err_detail());
	cr_assert_eq(m.n, 6);
	cr_assert_eq(kr_pp_get_str(&m, 0, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "render");
	cr_assert_eq(kr_pp_get_u32(&m, 1, &u), 0);
	cr_assert_eq(u, 0xdeadbeef);
	cr_assert_eq(kr_pp_get_i32(&m, 2, &i), 0);
	cr_assert_eq(i, -1320);
	cr_assert_eq(kr_pp_get_u64(&m, 3, &v), 0);
	cr_assert_eq(v, 0x0102030405060708ULL);
	cr_assert_eq(kr_pp_get_dup(&m, 4, &d, &len), 0);
	cr_assert(len == 3 && memcmp(d, "a\0b", 3) == 0 && d[3] == '\0');
	free(d);
	cr_assert_eq(m.f[5].len, 0);
	/* Sizes are exact: a u32 is not a u64, a string has no NUL. */
	cr_assert_eq(kr_pp_get_u64(&m, 1, &v), KR_ERR_FORMAT);
	cr_assert_eq(kr_pp_get_u32(&m, 3, &u), KR_ERR_FORMAT);
	cr_assert_eq(kr_pp_get_str(&m, 4, s, sizeof(s)), KR_ERR_FORMAT);
	cr_assert_eq(kr_pp_get_str(&m, 0, s, 6), KR_ERR_FORMAT, "too long");
	cr_assert_eq(kr_pp_get_u32(&m, 6, &u), KR_ERR_FORMAT, "no field 6");
	kr_pp_msg_free(&m);
	kr_buf_free(&b);
}

Test(paperproc, malformed_messages_refused)
{
	struct kr_pp_msg m;
	/* 6 bytes: a field claiming 5 bytes with 2 there. */
	static const uint8_t past[] = { 0, 0, 0, 6, 0, 0, 0, 5, 'o', 'k' };
	/* 6 bytes: one whole field of 2, then 0 of a 4-byte length. */
	static const uint8_t cut[] = { 0, 0, 0, 7, 0, 0, 0, 2, 'o', 'k', 0 };
	/* announces 8 bytes, holds 2. */
	static const uint8_t shortmsg[] = { 0, 0, 0, 8, 0, 0 };
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t half[] = { 0, 0 };
	uint8_t many[4 + 4 * (KR_PAPERPROC_FIELDS_MAX + 1)];

	cr_assert_eq(raw(past, sizeof(past), &m), KR_ERR_FORMAT);
	cr_assert_eq(raw(cut, sizeof(cut), &m), KR_ERR_FORMAT);
	cr_assert_eq(raw(shortmsg, sizeof(shortmsg), &m), KR_ERR_FORMAT);
	cr_assert_eq(raw(huge, sizeof(huge), &m), KR_ERR_FORMAT);
	cr_assert(strstr(kr_err_detail(), "at most") != NULL);
	cr_assert_eq(raw(half, sizeof(half), &m), KR_ERR_FORMAT);
	cr_assert_eq(raw("", 0, &m), KR_ERR_NOT_FOUND, "clean end of file");
	/* KR_PAPERPROC_FIELDS_MAX + 1 empty fields. */
	memset(many, 0, sizeof(many));
	many[3] = 4 * (KR_PAPERPROC_FIELDS_MAX + 1);
	cr_assert_eq(raw(many, sizeof(many), &m), KR_ERR_FORMAT);
	cr_assert(strstr(kr_err_detail(), "fields") != NULL);
	/* Exactly the maximum is fine. */
	many[3] = 4 * KR_PAPERPROC_FIELDS_MAX;
	cr_assert_eq(raw(many, sizeof(many) - 4, &m), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(m.n, KR_PAPERPROC_FIELDS_MAX);
	kr_pp_msg_free(&m);
}

Test(paperproc, strings_and_text)
{
	struct kr_buf b;
	struct kr_pp_msg m;
	char s[64];

	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "line one\nline\ttwo \x1b[2J");
	cr_assert_eq(roundtrip(&b, &m), 0);
	cr_assert_eq(kr_pp_get_str(&m, 0, s, sizeof(s)), KR_ERR_FORMAT,
	    "a name with control bytes");
	cr_assert_eq(kr_pp_get_text(&m, 0, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "line one\nline\ttwo ?[2J");
	kr_pp_msg_free(&m);
	kr_buf_free(&b);
}

Test(paperproc, print_job_round_trip)
{
	struct kr_print_job j, k;
	struct kr_buf b;
	struct kr_pp_msg m;

	memset(&j, 0, sizeof(j));
	snprintf(j.printer, sizeof(j.printer), "office-laser");
	j.id = 42;
	j.state = KR_PRINT_STOPPED;
	snprintf(j.reasons, sizeof(j.reasons), "media-empty-error");
	snprintf(j.message, sizeof(j.message), "Load paper in tray 1");
	memset(&b, 0, sizeof(b));
	kr_pp_begin(&b);
	kr_pp_put_str(&b, "x");
	kr_pp_put_job(&b, &j);
	cr_assert_eq(roundtrip(&b, &m), 0);
	cr_assert_eq(m.n, 6);
	cr_assert_eq(kr_pp_get_job(&m, 1, &k), 0, "%s", kr_err_detail());
	cr_assert(memcmp(&j, &k, sizeof(j)) == 0);
	cr_assert_eq(kr_pp_get_job(&m, 2, &k), KR_ERR_FORMAT, "misaligned");
	kr_pp_msg_free(&m);
	kr_buf_free(&b);
}

Test(paperproc, reply_header)
{
	struct kr_buf b;
	struct kr_pp_msg m;
	char s[128];
	int32_t code;

	memset(&b, 0, sizeof(b));
	kr_err_set(KR_ERR_PRINTER_NONE, "no printer called x");
	kr_pp_reply_begin(&b, KR_ERR_PRINTER_NONE);
	cr_assert_eq(roundtrip(&b, &m), 0);
	cr_assert_eq(m.n, 3);
	cr_assert_eq(kr_pp_get_str(&m, 0, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "error");
	cr_assert_eq(kr_pp_get_i32(&m, 1, &code), 0);
	cr_assert_eq(code, KR_ERR_PRINTER_NONE);
	cr_assert_eq(kr_pp_get_text(&m, 2, s, sizeof(s)), 0);
	cr_assert_str_eq(s, "no printer called x");
	kr_pp_msg_free(&m);
	kr_buf_free(&b);
}
