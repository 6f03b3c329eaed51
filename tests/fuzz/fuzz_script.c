/*
 * fuzz_script.c: libFuzzer harness for the ceremony script and policy
 * parsers.  Run it with `make fuzz` (tests/fuzz/fuzz.mk; not part of
 * `make check`); seeds are the shipped scripts and policy
 * (tests/fuzz/corpus/script/).
 *
 * The first byte chooses the parser: even for a script, odd for a
 * policy; the rest is the file.  A parse that succeeds is exercised
 * further: every argument looked up, a parameter overridden with the
 * input's own bytes and the script resolved again; a policy checks a
 * request made from the input.  Any crash, leak or sanitizer report is a
 * bug: the parsers must refuse every input cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise_script(struct kr_script *s, const uint8_t *data, size_t size)
{
	struct kr_policy_request req;
	char value[64];
	size_t i, j, n;

	for (i = 0; i < s->nsteps; i++)
		for (j = 0; j < s->steps[i].nargs; j++)
			(void)kr_script_arg(&s->steps[i],
			    s->steps[i].args[j].name);
	if (s->nparams > 0) {
		n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;
		memcpy(value, data, n);
		value[n] = '\0';
		if (kr_script_set_param(s, s->params[size % s->nparams].name,
		    value) == 0)
			(void)kr_script_resolve(s);
	}
	kr_script_policy_request(s, &req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_script *s = NULL;
	struct kr_policy *p = NULL;
	struct kr_policy_request req;
	char **v = NULL;
	size_t n = 0;

	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0) {
		if (kr_script_parse((const char *)data + 1, size - 1,
		    "fuzz.ceremony", &s) == 0)
			exercise_script(s, data + 1, size - 1);
	} else if (kr_policy_parse((const char *)data + 1, size - 1,
	    "fuzz.conf", &p) == 0) {
		memset(&req, 0, sizeof(req));
		req.key_class = kr_policy_class_name_at(size % 6);
		req.algorithm = "ecdsa-p384";
		req.validity_days = (unsigned)size;
		req.threshold = data[0] >> 1;
		req.shares = (unsigned)(size & 0xff);
		req.escrow = 1;
		(void)kr_policy_check(p, &req, &v, &n);
		kr_policy_violations_free(v, n);
	}
	kr_script_free(s);
	kr_policy_free(p);
	return 0;
}
