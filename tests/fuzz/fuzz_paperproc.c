/*
 * fuzz_paperproc.c: libFuzzer harness for what keyrite reads from its
 * paper helper, keyrite-paper (host/paperproc.h): a message's body split
 * into fields (kr_pp_parse) and each field read as a number, a string,
 * text and a print job.  The helper parses hostile scans; if one took it
 * over, these replies are all it could send keyrite.  Run with `make fuzz`
 * (tests/fuzz/fuzz.mk).
 *
 * Input: a message body.  Checked: every field lies inside the input and
 * the fields with their 4-byte lengths cover it exactly; a string read
 * back has the field's length and no control byte; text has none but
 * newline and tab.  A mismatch calls abort().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "host/paperproc.h"
#include "host/printer.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_paperproc: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_print_job job;
	struct kr_pp_msg m;
	uint8_t *copy;
	char s[KR_PAPERPROC_STR_MAX], *d;
	size_t i, k, total = 0, len;
	uint32_t u;
	uint64_t v;

	/* An exact-size copy: ASan sees a read past the end. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	memset(&m, 0, sizeof(m));
	if (kr_pp_parse(copy, size, &m) != 0) {
		free(copy);
		return 0;
	}
	for (i = 0; i < m.n; i++) {
		if (m.f[i].p < copy || m.f[i].p + m.f[i].len > copy + size)
			fail("a field outside the message");
		total += 4 + m.f[i].len;
		(void)kr_pp_get_u32(&m, i, &u);
		(void)kr_pp_get_u64(&m, i, &v);
		if (kr_pp_get_str(&m, i, s, sizeof(s)) == 0) {
			if (strlen(s) != m.f[i].len)
				fail("a string of another length");
			for (k = 0; s[k] != '\0'; k++)
				if ((uint8_t)s[k] < 0x20 || s[k] == 0x7f)
					fail("a control byte in a string");
		}
		if (kr_pp_get_text(&m, i, s, sizeof(s)) == 0)
			for (k = 0; s[k] != '\0'; k++)
				if (((uint8_t)s[k] < 0x20 && s[k] != '\n' &&
				    s[k] != '\t') || s[k] == 0x7f)
					fail("a control byte in text");
		if (kr_pp_get_dup(&m, i, &d, &len) == 0) {
			if (len != m.f[i].len || d[len] != '\0')
				fail("a copy of another length");
			free(d);
		}
		(void)kr_pp_get_job(&m, i, &job);
	}
	if (total != size)
		fail("the fields do not cover the message");
	free(copy);
	return 0;
}
