/*
 * shipped.h: the unit tests' way to the ceremony scripts this tree ships
 * ($KR_TOP/ceremony-scripts, or ./ceremony-scripts): load one, find one
 * of its parameters by name.  Included by the lobby tests.
 */
#ifndef KR_TEST_SHIPPED_H
#define KR_TEST_SHIPPED_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "ceremony/script.h"

/* The shipped scripts' directory into out. */
static inline void
scripts_path(char *out, size_t outlen)
{
	const char *top = getenv("KR_TOP");

	snprintf(out, outlen, "%s/ceremony-scripts", top ? top : ".");
}

/* The shipped script file, loaded, or the test fails. */
static inline struct kr_script *
load_shipped(const char *file)
{
	struct kr_script *s = NULL;
	char path[PATH_MAX];

	scripts_path(path, sizeof(path));
	strncat(path, "/", sizeof(path) - strlen(path) - 1);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	cr_assert_eq(kr_script_load(path, &s), 0, "%s", kr_err_detail());
	return s;
}

/* The index of parameter name in s, or the test fails. */
static inline size_t
param_index(const struct kr_script *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].name, name) == 0)
			return i;
	cr_assert_fail("no parameter %s", name);
	return 0;
}

#endif /* KR_TEST_SHIPPED_H */
