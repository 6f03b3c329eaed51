/*
 * test_policy.c: the key policy.  Every error class of the policy parser
 * gives its exact "file:line:column: message"; a ceremony is refused with
 * every violation listed at once, each naming the limit and the value; the
 * shipped policy and scripts agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "base/err.h"
#include "ceremony/policy.h"
#include "ceremony/script.h"

/* A valid policy: [root-ca] is lines 4-13, each class 10 lines after. */
#define CLASS(name) \
	"[" name "]\n" \
	"algorithms = ecdsa-p384 rsa-3072\n" \
	"max-validity-days = 9132\n" \
	"min-threshold = 2\n" \
	"min-shares = 3\n" \
	"min-spare-shares = 1\n" \
	"escrow = required\n" \
	"cryptoperiod-days = 7305\n" \
	"pin-attempts = 3\n" \
	"recovery-window-minutes = 60\n"
#define BASE \
	"[policy]\nname = test\n\n" \
	CLASS("root-ca") CLASS("intermediate-ca") CLASS("firmware-signing") \
	CLASS("secure-boot") CLASS("data-at-rest") \
	"[device-identity]\n" \
	"algorithms = ecdsa-p256\n" \
	"max-validity-days = 7305\n" \
	"escrow = never\n" \
	"cryptoperiod-days = 7305\n" \
	"pin-attempts = 3\n"

static char *
edit(const char *find, const char *replace)
{
	const char *at = strstr(BASE, find);
	size_t pre, flen = strlen(find), rlen = strlen(replace);
	char *t;

	cr_assert_not_null(at, "'%s' is not in the base policy", find);
	pre = (size_t)(at - BASE);
	cr_assert_not_null(t = malloc(strlen(BASE) - flen + rlen + 1),
	    "malloc");
	memcpy(t, BASE, pre);
	memcpy(t + pre, replace, rlen);
	strcpy(t + pre + rlen, at + flen);
	return t;
}

static const struct {
	const char	*name, *find, *replace, *expect;
} syntax_rows[] = {
	{ "unknown_section", "[secure-boot]", "[secure-bot]",
	    "p.conf:34:2: unknown section 'secure-bot'\n"
	    "hint: did you mean 'secure-boot'?" },
	{ "duplicate_section", "[intermediate-ca]", "[root-ca]",
	    "p.conf:14:1: duplicate section [root-ca] (first at line 4)" },
	{ "unterminated_section", "[root-ca]", "[root-ca",
	    "p.conf:4:1: unterminated section header\nhint: write: [name]" },
	{ "text_after_section", "[root-ca]", "[root-ca] x",
	    "p.conf:4:10: unexpected text after ']'" },
	{ "key_outside_section", "[policy]\n", "# no section\n",
	    "p.conf:2:1: 'name' outside a section\n"
	    "hint: start with a [section] line" },
	{ "unknown_key", "min-threshold = 2", "min-treshold = 2",
	    "p.conf:7:1: unknown key 'min-treshold'\n"
	    "hint: did you mean 'min-threshold'?" },
	{ "duplicate_key", "min-shares = 3", "min-threshold = 3",
	    "p.conf:8:1: duplicate key 'min-threshold' (first at line 7)" },
	{ "no_equals", "pin-attempts = 3", "pin-attempts 3",
	    "p.conf:12:1: expected 'key = value' or '[section]'" },
	{ "no_value", "pin-attempts = 3", "pin-attempts =",
	    "p.conf:12:14: 'pin-attempts' has no value" },
	{ "indented", "min-shares = 3", " min-shares = 3",
	    "p.conf:8:1: policy lines start in column 1" },
	{ "comment_after_value", "pin-attempts = 3", "pin-attempts = 3 # x",
	    "p.conf:12:18: a comment must be on a line of its own" },
	{ "not_a_number", "max-validity-days = 9132", "max-validity-days = 25y",
	    "p.conf:6:21: max-validity-days: '25y' is not a whole number" },
	{ "threshold_of_one", "min-threshold = 2", "min-threshold = 1",
	    "p.conf:7:17: min-threshold = 1 is below the least keyrite "
	    "accepts, 2\nhint: a threshold of 1 would let a single person use "
	    "the key" },
	{ "no_spare_share", "min-spare-shares = 1", "min-spare-shares = 0",
	    "p.conf:9:20: min-spare-shares = 0 is below the least keyrite "
	    "accepts, 1\nhint: without a spare share one lost or broken card "
	    "loses the key" },
	{ "above_maximum", "pin-attempts = 3", "pin-attempts = 11",
	    "p.conf:12:16: pin-attempts = 11 is above the most keyrite "
	    "accepts, 10" },
	{ "unknown_algorithm", "ecdsa-p384 rsa-3072", "ecdsa-p384 rsa-1024",
	    "p.conf:5:25: unknown algorithm 'rsa-1024'\nhint: algorithms: "
	    "ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-2048, rsa-3072, rsa-4096, "
	    "ed25519, ed448, aes-256, hmac-sha256" },
	{ "algorithm_twice", "ecdsa-p384 rsa-3072", "ecdsa-p384 ecdsa-p384",
	    "p.conf:5:25: algorithm ecdsa-p384 is listed twice" },
	{ "unknown_escrow", "escrow = required", "escrow = yes",
	    "p.conf:10:10: unknown escrow setting 'yes'\n"
	    "hint: escrow is one of: required, allowed, never" },
	{ "missing_key", "recovery-window-minutes = 60\n", "",
	    "p.conf:4:1: [root-ca] has no recovery-window-minutes\n"
	    "hint: add a line: recovery-window-minutes = ..." },
	{ "missing_section", CLASS("data-at-rest"), "",
	    "p.conf:1:1: the policy has no [data-at-rest] section\n"
	    "hint: every key class needs a section" },
	{ "quorum_key_without_escrow", "escrow = never\n",
	    "escrow = never\nmin-threshold = 2\n",
	    "p.conf:58:1: min-threshold has no meaning for device-identity, "
	    "whose escrow is never\nhint: remove it" },
	{ "no_policy_name", "name = test\n", "",
	    "p.conf:1:1: the policy has no name\n"
	    "hint: add a section [policy] with a line name = ..." },
	{ "invalid_policy_name", "name = test", "name = Test Policy",
	    "p.conf:2:8: invalid policy name 'Test Policy'\n"
	    "hint: a policy name is lower-case letters, digits, '.', '_' and "
	    "'-'" },
	{ "duplicate_policy_name", "name = test\n", "name = test\nname = x\n",
	    "p.conf:3:1: duplicate key 'name'" },
	{ "unknown_policy_key", "name = test\n", "name = test\nversion = 1\n",
	    "p.conf:3:1: unknown key 'version' in [policy]\n"
	    "hint: [policy] has: name, qualified-token" },
	{ "qualified_without_slash", "name = test\n", "name = test\n"
	    "qualified-token = SoftHSM project SoftHSM v2\n",
	    "p.conf:3:19: qualified-token needs ' / ' between the manufacturer "
	    "and the model\nhint: write: qualified-token = MANUFACTURER / "
	    "MODEL, as keyrite cards lists them" },
	{ "qualified_two_slashes", "name = test\n", "name = test\n"
	    "qualified-token = A / B / C\n",
	    "p.conf:3:25: a second ' / ' in qualified-token\nhint: write: "
	    "qualified-token = MANUFACTURER / MODEL, as keyrite cards lists "
	    "them" },
	{ "qualified_blank_model", "name = test\n", "name = test\n"
	    "qualified-token = Acme /  Card\n",
	    "p.conf:3:26: the model is empty or starts or ends with a blank\n"
	    "hint: write: qualified-token = MANUFACTURER / MODEL, as keyrite "
	    "cards lists them" },
	{ "qualified_model_too_long", "name = test\n", "name = test\n"
	    "qualified-token = Acme / 0123456789abcdefX\n",
	    "p.conf:3:42: the model is longer than the 16 bytes a PKCS#11 "
	    "token reports" },
	{ "qualified_not_ascii", "name = test\n", "name = test\n"
	    "qualified-token = Caf\xc3\xa9 / Card\n",
	    "p.conf:3:22: the manufacturer is not printable ASCII\n"
	    "hint: copy the words keyrite cards lists: a token reports them "
	    "in ASCII" },
	{ "qualified_twice", "name = test\n", "name = test\n"
	    "qualified-token = Acme / Card\nqualified-token = Acme / Card\n",
	    "p.conf:4:19: Acme / Card is qualified twice (first at line 3)" },
	{ "tab", "pin-attempts = 3", "pin-attempts =\t3",
	    "p.conf:12:15: tab character\nhint: use spaces instead of tabs" },
	{ "trailing_space", "pin-attempts = 3", "pin-attempts = 3 ",
	    "p.conf:12:17: space at the end of the line\nhint: remove it" },
};

Test(policy, base_parses)
{
	struct kr_policy *p = NULL;
	const struct kr_policy_class *c;

	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "base policy: %s", kr_err_detail());
	cr_assert_str_eq(p->name, "test", "name");
	cr_assert_not_null(c = kr_policy_class(p, "device-identity"), "class");
	cr_assert_eq(c->escrow, KR_POLICY_ESCROW_NEVER, "escrow");
	cr_assert_eq(c->min_threshold + c->min_shares + c->min_spare_shares +
	    c->recovery_window_minutes, 0, "quorum fields of a never class");
	cr_assert_null(kr_policy_class(p, "root"), "unknown class");
	kr_policy_free(p);
	kr_policy_free(NULL);
}

Test(policy, qualified_tokens)
{
	struct kr_policy *p = NULL;
	char *text = edit("name = test\n", "name = test\n"
	    "qualified-token = SoftHSM project / SoftHSM v2\n"
	    "# a card that reports its slot as a software one\n"
	    "qualified-token = www.CardContact.de / PKCS#15 emulated\n");

	cr_assert_eq(kr_policy_parse(text, strlen(text), "p.conf", &p), 0,
	    "%s", kr_err_detail());
	cr_assert_eq(p->nqualified, 2, "two qualified tokens");
	cr_assert(kr_policy_token_qualified(p, "SoftHSM project",
	    "SoftHSM v2"), "SoftHSM2 qualified");
	cr_assert(kr_policy_token_qualified(p, "www.CardContact.de",
	    "PKCS#15 emulated"), "second line");
	cr_assert_not(kr_policy_token_qualified(p, "SoftHSM project",
	    "SoftHSM v3"), "another model");
	cr_assert_not(kr_policy_token_qualified(p, "softhsm project",
	    "SoftHSM v2"), "compared exactly, case too");
	kr_policy_free(p);
	free(text);
	p = NULL;
	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "base");
	cr_assert_eq(p->nqualified, 0, "nothing qualified by default");
	cr_assert_not(kr_policy_token_qualified(p, "SoftHSM project",
	    "SoftHSM v2"), "SoftHSM2 not qualified by default");
	kr_policy_free(p);
}

Test(policy, syntax_errors)
{
	struct kr_policy *p;
	size_t i;
	char *text;
	int r;

	for (i = 0; i < sizeof(syntax_rows) / sizeof(syntax_rows[0]); i++) {
		text = edit(syntax_rows[i].find, syntax_rows[i].replace);
		p = (struct kr_policy *)(uintptr_t)1;
		r = kr_policy_parse(text, strlen(text), "p.conf", &p);
		cr_assert_eq(r, KR_ERR_POLICY_SYNTAX, "%s: returned %d (%s)",
		    syntax_rows[i].name, r, kr_err_detail());
		cr_assert_null(p, "%s: output set on failure",
		    syntax_rows[i].name);
		cr_assert_str_eq(kr_err_detail(), syntax_rows[i].expect,
		    "%s: message differs:\n got: %s\nwant: %s",
		    syntax_rows[i].name, kr_err_detail(),
		    syntax_rows[i].expect);
		free(text);
	}
}

Test(policy, load_errors)
{
	struct kr_policy *p = NULL;

	cr_assert_eq(kr_policy_load("/nonexistent/policy.conf", &p), KR_ERR_IO,
	    "missing file");
	cr_assert_null(p, "output set on failure");
}

/* --- the shipped policy --------------------------------------------------- */

static struct kr_policy *
shipped_policy(void)
{
	const char *top = getenv("KR_TOP");
	struct kr_policy *p = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ceremony-scripts/policy.conf",
	    top ? top : ".");
	cr_assert_eq(kr_policy_load(path, &p), 0, "%s: %s (run from the top "
	    "of the tree or set KR_TOP)", path, kr_err_detail());
	return p;
}

Test(policy, shipped_values)
{
	struct kr_policy *p = shipped_policy();
	const struct kr_policy_class *c;
	size_t i;

	cr_assert_str_eq(p->name, "default", "policy name");
	for (i = 0; kr_policy_class_name_at(i) != NULL; i++)
		cr_assert_not_null(kr_policy_class(p,
		    kr_policy_class_name_at(i)), "class %zu", i);
	cr_assert_eq(i, 6, "six key classes");
	c = kr_policy_class(p, "root-ca");
	cr_assert_eq(c->nalgorithms, 4, "root-ca algorithms");
	cr_assert_eq(c->max_validity_days, 9132, "CA/B Forum root maximum");
	cr_assert_geq(c->min_threshold, 2, "root-ca M");
	cr_assert_gt(c->min_shares, c->min_threshold, "root-ca N > M");
	cr_assert_eq(c->escrow, KR_POLICY_ESCROW_REQUIRED, "root-ca escrow");
	cr_assert_eq(c->cryptoperiod_days, 7305, "root-ca cryptoperiod");
	c = kr_policy_class(p, "device-identity");
	cr_assert_eq(c->escrow, KR_POLICY_ESCROW_NEVER, "device identity");
	c = kr_policy_class(p, "data-at-rest");
	cr_assert_leq(c->cryptoperiod_days, 731, "SP 800-57 key-wrapping");
	kr_policy_free(p);
}

Test(policy, hash_is_of_the_exact_bytes)
{
	struct kr_policy *p = NULL;
	uint8_t md[32];
	unsigned int mdlen;

	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "parse");
	cr_assert(EVP_Digest(BASE, strlen(BASE), md, &mdlen, EVP_sha256(),
	    NULL), "SHA-256");
	cr_assert_eq(memcmp(kr_policy_sha256(p), md, 32), 0, "hash differs");
	kr_policy_free(p);
}

/* --- violations ----------------------------------------------------------- */

#define MAXV	6

static const struct {
	const char			*name;
	struct kr_policy_request	 req;
	const char			*expect[MAXV];	/* NULL-ended */
} check_rows[] = {
	{ "root_defaults", { "root-ca", "ecdsa-p384", 7300, 3, 5, 1 },
	    { NULL } },
	{ "root_threshold_1", { "root-ca", "ecdsa-p384", 7300, 1, 5, 1 },
	    { "threshold 1 is below the minimum of 2 for root-ca" } },
	{ "root_rsa_2048", { "root-ca", "rsa-2048", 7300, 3, 5, 1 },
	    { "algorithm rsa-2048 is not allowed for root-ca (allowed: "
	    "ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096)" } },
	{ "root_everything_wrong", { "root-ca", "rsa-2048", 36500, 1, 2, 1 },
	    { "algorithm rsa-2048 is not allowed for root-ca (allowed: "
	    "ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096)",
	    "certificate validity of 36500 days exceeds the maximum of 9132 "
	    "days for root-ca",
	    "threshold 1 is below the minimum of 2 for root-ca",
	    "share count 2 is below the minimum of 4 for root-ca",
	    "share count 2 leaves 1 spare share over threshold 1; root-ca "
	    "needs at least 2 (shares > threshold), so that one lost card "
	    "does not lose the key" } },
	{ "root_not_escrowed", { "root-ca", "ecdsa-p384", 7300, 0, 0, 0 },
	    { "root-ca keys must be escrowed: the appliance keeps no key, so "
	    "a key that is not escrowed is lost when the ceremony ends" } },
	{ "root_recovery_drill", { "root-ca", NULL, 0, 0, 0, 0 }, { NULL } },
	{ "device_identity_escrow",
	    { "device-identity", "ecdsa-p256", 365, 2, 3, 1 },
	    { "device-identity keys may never be escrowed: a device identity "
	    "key must stay unique to its device and non-exportable" } },
	{ "device_identity_not_escrowed",
	    { "device-identity", "ecdsa-p256", 365, 0, 0, 0 }, { NULL } },
	{ "threshold_above_shares",
	    { "intermediate-ca", "ecdsa-p256", 0, 4, 3, 1 },
	    { "threshold 4 is larger than the share count 3: a quorum could "
	    "never be assembled" } },
	{ "no_spare_share", { "intermediate-ca", "ecdsa-p256", 0, 3, 3, 1 },
	    { "share count 3 leaves 0 spare shares over threshold 3; "
	    "intermediate-ca needs at least 1 (shares > threshold), so that "
	    "one lost card does not lose the key" } },
	{ "signature_only_algorithm_for_data",
	    { "data-at-rest", "ed25519", 0, 2, 3, 1 },
	    { "algorithm ed25519 is not allowed for data-at-rest (allowed: "
	    "ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096, aes-256, "
	    "hmac-sha256)" } },
	{ "unknown_class", { "root", "ecdsa-p384", 0, 2, 3, 1 },
	    { "key class root is not in policy default" } },
};

Test(policy, violations_listed_all_at_once)
{
	struct kr_policy *p = shipped_policy();
	char **v = NULL;
	size_t i, j, n, want;
	int r;

	for (i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
		for (want = 0; want < MAXV && check_rows[i].expect[want];
		    want++)
			;
		r = kr_policy_check(p, &check_rows[i].req, &v, &n);
		cr_assert_eq(r, want ? KR_ERR_POLICY_VIOLATION : 0, "%s: "
		    "returned %d (%s)", check_rows[i].name, r, kr_err_detail());
		cr_assert_eq(n, want, "%s: %zu violations, want %zu (%s)",
		    check_rows[i].name, n, want, kr_err_detail());
		for (j = 0; j < n; j++) {
			cr_assert_str_eq(v[j], check_rows[i].expect[j], "%s: "
			    "violation %zu:\n got: %s\nwant: %s",
			    check_rows[i].name, j, v[j],
			    check_rows[i].expect[j]);
			cr_assert_not_null(strstr(kr_err_detail(), v[j]), "%s: "
			    "the detail lacks violation %zu: %s",
			    check_rows[i].name, j, kr_err_detail());
		}
		if (want == 0)
			cr_assert_null(v, "%s: a list without violations",
			    check_rows[i].name);
		kr_policy_violations_free(v, n);
	}
	kr_policy_free(p);
}

Test(policy, certificates_forbidden_by_a_zero_maximum)
{
	char *text = edit("max-validity-days = 9132", "max-validity-days = 0");
	struct kr_policy_request req = { "root-ca", "rsa-3072", 30, 2, 3, 1 };
	struct kr_policy *p = NULL;
	char **v = NULL;
	size_t n = 0;

	cr_assert_eq(kr_policy_parse(text, strlen(text), "p.conf", &p), 0,
	    "parse: %s", kr_err_detail());
	cr_assert_eq(kr_policy_check(p, &req, &v, &n),
	    KR_ERR_POLICY_VIOLATION, "certificate accepted");
	cr_assert_eq(n, 1, "one violation");
	cr_assert_str_eq(v[0], "certificates are not allowed for root-ca "
	    "keys, but one valid for 30 days was asked for", "%s", v[0]);
	cr_assert_str_eq(kr_err_detail(), "policy test refuses this ceremony "
	    "(1 violation): certificates are not allowed for root-ca keys, but "
	    "one valid for 30 days was asked for", "detail: %s",
	    kr_err_detail());
	kr_policy_violations_free(v, n);
	req.validity_days = 0;
	cr_assert_eq(kr_policy_check(p, &req, &v, &n), 0, "no certificate");
	kr_policy_free(p);
	free(text);
}

Test(policy, no_key_class)
{
	struct kr_policy *p = shipped_policy();
	struct kr_policy_request req = { NULL, NULL, 0, 0, 0, 0 };
	char **v = (char **)(uintptr_t)1;
	size_t n = 7;

	cr_assert_eq(kr_policy_check(p, &req, &v, &n), KR_ERR_INVALID_ARGUMENT,
	    "a request without a class");
	cr_assert(v == NULL && n == 0, "outputs not cleared");
	kr_policy_free(p);
}

/* --- the shipped script against the shipped policy ------------------------ */

static struct kr_script *
root_ca_create(void)
{
	const char *top = getenv("KR_TOP");
	struct kr_script *s = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/ceremony-scripts/"
	    "root-ca-create.ceremony", top ? top : ".");
	cr_assert_eq(kr_script_load(path, &s), 0, "%s: %s", path,
	    kr_err_detail());
	return s;
}

Test(policy, shipped_root_ca_create_defaults_pass)
{
	struct kr_policy *p = shipped_policy();
	struct kr_script *s = root_ca_create();
	struct kr_policy_request req;
	char **v = NULL;
	size_t n = 0;

	kr_script_policy_request(s, &req);
	cr_assert_eq(kr_policy_check(p, &req, &v, &n), 0, "the shipped "
	    "ceremony with its defaults breaks the shipped policy: %s",
	    kr_err_detail());
	cr_assert_eq(n, 0, "violations listed on success");
	kr_script_free(s);
	kr_policy_free(p);
}

/*
 * The shipped root-ca-create with RSA-2048 added to its key_type choices
 * (as a careless edit would) and threshold=1: the policy refuses both.
 */
static struct kr_script *
root_ca_create_with_rsa_2048(void)
{
	const char *top = getenv("KR_TOP"), *key = "param key_type choice ";
	struct kr_script *s = NULL;
	char path[4096], *text, *edited, *at;
	size_t pre;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/ceremony-scripts/"
	    "root-ca-create.ceremony", top ? top : ".");
	cr_assert_not_null(f = fopen(path, "rb"), "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	cr_assert_not_null(text = calloc(1, (size_t)n + 1), "calloc");
	cr_assert_not_null(edited = calloc(1, (size_t)n + 16), "calloc");
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n, "read");
	fclose(f);
	cr_assert_not_null(at = strstr(text, key), "no key_type choice line");
	pre = (size_t)(at - text) + strlen(key);
	memcpy(edited, text, pre);
	strcpy(edited + pre, "rsa-2048 ");
	strcpy(edited + pre + 9, text + pre);
	cr_assert_eq(kr_script_parse(edited, strlen(edited), "rsa.ceremony",
	    &s), 0, "edited script: %s", kr_err_detail());
	free(text);
	free(edited);
	return s;
}

Test(policy, shipped_root_ca_create_threshold_1_rsa_2048_refused)
{
	struct kr_policy *p = shipped_policy();
	struct kr_script *s = root_ca_create();
	struct kr_policy_request req;
	char **v = NULL;
	size_t n = 0;

	/* As shipped, the script does not even offer RSA-2048. */
	cr_assert_eq(kr_script_set_param(s, "key_type", "rsa-2048"),
	    KR_ERR_SCRIPT_PARAM, "rsa-2048 is a choice of the shipped script");
	kr_script_free(s);
	s = root_ca_create_with_rsa_2048();
	cr_assert_eq(kr_script_set_param(s, "key_type", "rsa-2048"), 0,
	    "set key_type: %s", kr_err_detail());
	cr_assert_eq(kr_script_set_param(s, "threshold", "1"), 0,
	    "the script leaves the minimum to the policy: %s",
	    kr_err_detail());
	cr_assert_eq(kr_script_resolve(s), 0, "resolve: %s", kr_err_detail());
	kr_script_policy_request(s, &req);
	cr_assert_eq(kr_policy_check(p, &req, &v, &n),
	    KR_ERR_POLICY_VIOLATION, "refusal expected");
	cr_assert_eq(n, 2, "both reasons listed, got %zu: %s", n,
	    kr_err_detail());
	cr_assert_str_eq(v[0], "algorithm rsa-2048 is not allowed for root-ca "
	    "(allowed: ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096)", "%s",
	    v[0]);
	cr_assert_str_eq(v[1], "threshold 1 is below the minimum of 2 for "
	    "root-ca", "%s", v[1]);
	cr_assert_str_eq(kr_err_detail(), "policy default refuses this "
	    "ceremony (2 violations): algorithm rsa-2048 is not allowed for "
	    "root-ca (allowed: ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096); "
	    "threshold 1 is below the minimum of 2 for root-ca", "detail: %s",
	    kr_err_detail());
	kr_policy_violations_free(v, n);
	kr_script_free(s);
	kr_policy_free(p);
}

Test(policy, shipped_root_ca_create_overrides_refused_together)
{
	static const char *const want[] = {
		"algorithm ecdsa-p256 is not allowed for root-ca (allowed: "
		"ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096)",
		"certificate validity of 36500 days exceeds the maximum of "
		"9132 days for root-ca",
		"threshold 1 is below the minimum of 2 for root-ca",
		"share count 3 is below the minimum of 4 for root-ca",
	};
	struct kr_policy *p = shipped_policy();
	struct kr_script *s = root_ca_create();
	struct kr_policy_request req;
	char **v = NULL;
	size_t i, n = 0;

	cr_assert_eq(kr_script_set_param(s, "threshold", "1") |
	    kr_script_set_param(s, "shares", "3") |
	    kr_script_set_param(s, "key_type", "ecdsa-p256") |
	    kr_script_set_param(s, "validity_days", "36500"), 0, "set: %s",
	    kr_err_detail());
	cr_assert_eq(kr_script_resolve(s), 0, "resolve: %s", kr_err_detail());
	kr_script_policy_request(s, &req);
	cr_assert_eq(kr_policy_check(p, &req, &v, &n),
	    KR_ERR_POLICY_VIOLATION, "refusal expected");
	cr_assert_eq(n, 4, "four reasons, got %zu: %s", n, kr_err_detail());
	for (i = 0; i < n; i++)
		cr_assert_str_eq(v[i], want[i], "violation %zu: %s", i, v[i]);
	kr_policy_violations_free(v, n);
	kr_script_free(s);
	kr_policy_free(p);
}

/* max-crl-next-update-days: optional, 0 when absent, bounded when given. */
Test(policy, crl_maximum_is_optional)
{
	struct kr_policy *p = NULL;
	char *t;

	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "%s", kr_err_detail());
	cr_assert_eq(kr_policy_class(p, "root-ca")->max_crl_next_update_days,
	    0, "absent: no CRLs");
	kr_policy_free(p);
	t = edit("pin-attempts = 3\nrecovery-window-minutes = 60\n",
	    "pin-attempts = 3\nrecovery-window-minutes = 60\n"
	    "max-crl-next-update-days = 365\n");
	cr_assert_eq(kr_policy_parse(t, strlen(t), "p.conf", &p), 0, "%s",
	    kr_err_detail());
	cr_assert_eq(kr_policy_class(p, "root-ca")->max_crl_next_update_days,
	    365);
	kr_policy_free(p);
	free(t);
	t = edit("pin-attempts = 3\nrecovery-window-minutes = 60\n",
	    "pin-attempts = 3\nrecovery-window-minutes = 60\n"
	    "max-crl-next-update-days = 0\n");
	cr_assert_eq(kr_policy_parse(t, strlen(t), "p.conf", &p),
	    KR_ERR_POLICY_SYNTAX, "0 is refused");
	free(t);
	p = shipped_policy();
	cr_assert_eq(kr_policy_class(p, "root-ca")->max_crl_next_update_days,
	    365, "BR: a root's CRL at most 12 months");
	kr_policy_free(p);
}

/* --- the lifecycle keys: drill-interval-days, import -------------------- */

Test(policy, lifecycle_keys_default_and_parse)
{
	struct kr_policy *p = NULL;
	const struct kr_policy_class *c;
	char *text;

	/* An older policy file without them: the documented defaults. */
	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "base: %s", kr_err_detail());
	c = kr_policy_class(p, "root-ca");
	cr_assert_eq(c->drill_interval_days, KR_POLICY_DRILL_INTERVAL_DEFAULT,
	    "drill default");
	cr_assert_eq(c->import, KR_POLICY_IMPORT_NEVER, "import default");
	cr_assert_eq(kr_policy_class(p, "device-identity")->drill_interval_days,
	    0, "no drills of a key never escrowed");
	kr_policy_free(p);
	p = NULL;
	text = edit("[data-at-rest]\nalgorithms = ecdsa-p384 rsa-3072\n",
	    "[data-at-rest]\nalgorithms = ecdsa-p384 aes-256 hmac-sha256\n"
	    "drill-interval-days = 90\nimport = allowed\n");
	cr_assert_eq(kr_policy_parse(text, strlen(text), "p.conf", &p), 0,
	    "%s", kr_err_detail());
	c = kr_policy_class(p, "data-at-rest");
	cr_assert_eq(c->drill_interval_days, 90, "drill set");
	cr_assert_eq(c->import, KR_POLICY_IMPORT_ALLOWED, "import set");
	cr_assert_eq(c->nalgorithms, 3, "symmetric algorithms listed");
	cr_assert_str_eq(c->algorithms[1], "aes-256", "aes-256");
	kr_policy_free(p);
	free(text);
}

Test(policy, lifecycle_key_errors)
{
	static const struct {
		const char	*find, *replace, *expect;
	} rows[] = {
		{ "escrow = never\n", "escrow = never\nimport = allowed\n",
		    "p.conf:58:1: device-identity keys are never escrowed, so "
		    "none can be imported into escrow\nhint: write: import = "
		    "never" },
		{ "escrow = never\n", "escrow = never\ndrill-interval-days = "
		    "5\n", "p.conf:58:1: drill-interval-days has no meaning "
		    "for device-identity, whose escrow is never\nhint: remove "
		    "it" },
		{ "[root-ca]\nalgorithms = ecdsa-p384 rsa-3072\n", "[root-ca]\n"
		    "algorithms = ecdsa-p384 rsa-3072\nimport = sometimes\n",
		    "p.conf:6:10: unknown import setting 'sometimes'\nhint: "
		    "import is one of: never, allowed" },
		{ "[root-ca]\nalgorithms = ecdsa-p384 rsa-3072\n", "[root-ca]\n"
		    "algorithms = ecdsa-p384 rsa-3072\ndrill-interval-days = "
		    "0\n", "p.conf:6:23: drill-interval-days = 0 is below the "
		    "least keyrite accepts, 1" },
	};
	struct kr_policy *p;
	size_t i;
	char *text;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = NULL;
		text = edit(rows[i].find, rows[i].replace);
		cr_assert_eq(kr_policy_parse(text, strlen(text), "p.conf", &p),
		    KR_ERR_POLICY_SYNTAX, "row %zu parsed", i);
		cr_assert_str_eq(kr_err_detail(), rows[i].expect, "row %zu:\n"
		    " got: %s\nwant: %s", i, kr_err_detail(), rows[i].expect);
		free(text);
	}
}

Test(policy, import_refused_by_default_and_for_device_identity)
{
	struct kr_policy *p = NULL;
	struct kr_policy_request req;
	char **v = NULL;
	size_t n = 0;

	cr_assert_eq(kr_policy_parse(BASE, strlen(BASE), "p.conf", &p), 0,
	    "base");
	memset(&req, 0, sizeof(req));
	req.key_class = "root-ca";
	req.algorithm = "ecdsa-p384";
	req.escrow = 1;
	req.threshold = 2;
	req.shares = 3;
	cr_assert_eq(kr_policy_check(p, &req, &v, &n), 0, "made here: ok");
	cr_assert_eq(kr_policy_check_import(p, &req, &v, &n),
	    KR_ERR_POLICY_VIOLATION, "import allowed by default");
	cr_assert_eq(n, 1, "one reason");
	cr_assert_not_null(strstr(v[0], "may not be imported"), "%s", v[0]);
	kr_policy_violations_free(v, n);
	req.key_class = "device-identity";
	req.algorithm = "ecdsa-p256";
	cr_assert_eq(kr_policy_check_import(p, &req, &v, &n),
	    KR_ERR_POLICY_VIOLATION, "device identity imported");
	cr_assert_not_null(strstr(v[0], "may never be escrowed"), "%s", v[0]);
	kr_policy_violations_free(v, n);
	kr_policy_free(p);
	p = shipped_policy();
	req.key_class = "firmware-signing";
	req.algorithm = "ecdsa-p256";
	cr_assert_eq(kr_policy_check_import(p, &req, &v, &n), 0, "shipped: %s",
	    kr_err_detail());
	cr_assert_eq(kr_policy_class(p, "device-identity")->import,
	    KR_POLICY_IMPORT_NEVER, "shipped device identity");
	kr_policy_free(p);
}
