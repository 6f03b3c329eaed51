/* placeholder, replaced below */
#include "audit.h"
#include "base/err.h"
int
kr_audit_render_html(const struct kr_audit *a, char **textp, size_t *lenp)
{
	(void)a; *textp = NULL; *lenp = 0;
	return KR_ERR_UNSUPPORTED;
}
