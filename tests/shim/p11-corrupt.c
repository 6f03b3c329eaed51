/*
 * p11-corrupt.c: a PKCS#11 module for tests that wraps a real one
 * ($KR_SHIM_MODULE, default SoftHSM2) and misbehaves as a faulty card
 * would, so the token layer's read-back check can be seen to work:
 *
 *   KR_SHIM_CORRUPT=value  every CKA_VALUE read has its last byte flipped
 *   KR_SHIM_CORRUPT=hide   C_FindObjects never finds anything
 *
 * Everything else passes through unchanged.  Built by tests/tests.mk as
 * $(BUILD)/shim/p11-corrupt.so; never installed.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST_PTR real;

static const char *
mode(void)
{
	const char *m = getenv("KR_SHIM_CORRUPT");

	return m != NULL ? m : "";
}

static CK_RV
shim_get_attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n)
{
	CK_RV rv = real->C_GetAttributeValue(h, o, t, n);
	CK_ULONG i;

	if (rv != CKR_OK || strcmp(mode(), "value") != 0)
		return rv;
	for (i = 0; i < n; i++)
		if (t[i].type == CKA_VALUE && t[i].pValue != NULL &&
		    t[i].ulValueLen > 0 &&
		    t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION)
			((CK_BYTE_PTR)t[i].pValue)[t[i].ulValueLen - 1] ^= 0x01;
	return rv;
}

static CK_RV
shim_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR objs, CK_ULONG max,
    CK_ULONG_PTR n)
{
	CK_RV rv = real->C_FindObjects(h, objs, max, n);

	if (rv == CKR_OK && strcmp(mode(), "hide") == 0)
		*n = 0;
	return rv;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	const char *path = getenv("KR_SHIM_MODULE");
	CK_C_GetFunctionList get;
	void *dl;
	CK_RV rv;

	if (path == NULL)
		path = "/usr/lib/softhsm/libsofthsm2.so";
	if (real == NULL) {
		if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
			return CKR_GENERAL_ERROR;
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
		if (get == NULL)
			return CKR_GENERAL_ERROR;
		if ((rv = get(&real)) != CKR_OK)
			return rv;
		shim = *real;
		shim.C_GetAttributeValue = shim_get_attr;
		shim.C_FindObjects = shim_find;
	}
	*pp = &shim;
	return CKR_OK;
}
