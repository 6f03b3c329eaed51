/*
 * fuzz_release.c: libFuzzer harness for the release manifest parser,
 * kr_release_parse().  Run with `make fuzz` (tests/fuzz/fuzz.mk); seeds in
 * tests/fuzz/corpus/release/.
 *
 * The input is the manifest, byte for byte.  A manifest that parses must
 * keep the parser's promises (release.h), checked here:
 *
 *   - 1 to KR_RELEASE_MAX_IMAGES images, a non-empty printable name;
 *   - every path relative, without an empty, "." or ".." component or
 *     one starting with '.', of [A-Za-z0-9._-/] only, so that it cannot
 *     leave the manifest's directory; base is its last component, of at
 *     most KR_RELEASE_BASE_MAX bytes;
 *   - no two paths, and no two file names, alike;
 *   - sizes from 1 to KR_RELEASE_SIZE_MAX;
 *   - its SHA-256 is the input's;
 *   - an image line for each image names its line number.
 *
 * A failure must leave the output NULL and return a documented code.  A
 * broken promise calls abort(), which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "base/text.h"
#include "crypto/release.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_release: %s\n", what);
	abort();
}

static void
check_path(const struct kr_release_image *im)
{
	const char *p = im->path, *c;
	size_t len = strlen(p);

	if (len == 0 || len > KR_RELEASE_PATH_MAX || p[0] == '/' ||
	    p[len - 1] == '/')
		fail("a path is empty, too long, absolute or ends in '/'");
	for (c = p; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		    *c == '-' || *c == '/'))
			fail("a path has a character outside [A-Za-z0-9._-/]");
		if ((c == p || c[-1] == '/') && (*c == '.' || *c == '/'))
			fail("a path component is empty or starts with '.'");
	}
	if (strrchr(p, '/') != NULL ? im->base != strrchr(p, '/') + 1 :
	    im->base != p)
		fail("base is not the last component");
	if (strlen(im->base) > KR_RELEASE_BASE_MAX)
		fail("a file name is too long for its outputs' names");
}

static void
check(const struct kr_release *r, const uint8_t *data, size_t size)
{
	uint8_t sha[32];
	size_t i, j;

	if (r->n < 1 || r->n > KR_RELEASE_MAX_IMAGES)
		fail("image count out of range");
	if (r->name[0] == '\0' || !kr_text_printable(r->name))
		fail("the name is empty or not printable");
	if (EVP_Digest(data, size, sha, NULL, EVP_sha256(), NULL) != 1 ||
	    memcmp(sha, r->sha256, 32) != 0)
		fail("the manifest's SHA-256 is not the input's");
	for (i = 0; i < r->n; i++) {
		check_path(&r->images[i]);
		if (r->images[i].size < 1 ||
		    r->images[i].size > KR_RELEASE_SIZE_MAX)
			fail("a size out of range");
		if (r->images[i].line < 3 || (i > 0 &&
		    r->images[i].line <= r->images[i - 1].line))
			fail("image lines out of order");
		for (j = 0; j < i; j++)
			if (strcmp(r->images[i].path, r->images[j].path) == 0 ||
			    strcmp(r->images[i].base, r->images[j].base) == 0)
				fail("two images alike");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_release *r = NULL;
	int rc;

	rc = kr_release_parse((const char *)data, size, "fuzz.txt", &r);
	if (rc == 0)
		check(r, data, size);
	else if (r != NULL)
		fail("failed but set the output");
	else if (rc != KR_ERR_RELEASE_FORMAT && rc != KR_ERR_TOO_LARGE &&
	    rc != KR_ERR_NOMEM)
		fail("failed with an undocumented code");
	kr_release_free(r);
	ERR_clear_error();
	return 0;
}
