/*
 * selftest.c: power-on self-tests.
 *
 * A key ceremony must not start on a machine whose cryptography is broken:
 * a miscompiled OpenSSL, a wrong library picked up at run time, a random
 * generator returning the same block twice.  So, as FIPS 140-3 asks of a
 * module, the engine runs known-answer tests with published vectors,
 * pairwise-consistency tests on freshly generated keys, and a health check
 * of both random sources before it does anything else, and refuses to go
 * on if any of them fails.  It also checks that the process hardening and
 * OpenSSL's secure heap, which protect the secrets to come, are in force.
 *
 * The vectors are embedded below and also listed, with their sources and
 * the commands that cross-check them, in tests/vectors/selftest-vectors.txt;
 * tests/unit/test_selftest.c checks that the two agree.  Only OpenSSL 3 EVP
 * interfaces are used.  Nothing here prints: results are rows for the
 * frontend (cmd-selftest.c) to show.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "base/err.h"
#include "base/harden.h"
#include "selftest.h"

#define WHY_MAX		160
#define KAT_MAX_BYTES	256	/* longest KAT input or output */
#define GCM_TAG_MAX	16
#define GCM_IV_MAX	64

/* gcm_decrypt() result when the tag does not verify. */
#define GCM_TAG_MISMATCH	1

/*
 * SHA-256 and SHA-384 of "abc": FIPS 180-2, Appendix B.1 and D.1; also NIST
 * CSRC "Examples with intermediate values", SHA256.pdf and SHA384.pdf.
 */
static const uint8_t abc[3] = { 0x61, 0x62, 0x63 };
static const uint8_t sha256_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41,
	0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3,
	0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00,
	0x15, 0xad
};
static const uint8_t sha384_abc[48] = {
	0xcb, 0x00, 0x75, 0x3f, 0x45, 0xa3, 0x5e, 0x8b, 0xb5, 0xa0,
	0x3d, 0x69, 0x9a, 0xc6, 0x50, 0x07, 0x27, 0x2c, 0x32, 0xab,
	0x0e, 0xde, 0xd1, 0x63, 0x1a, 0x8b, 0x60, 0x5a, 0x43, 0xff,
	0x5b, 0xed, 0x80, 0x86, 0x07, 0x2b, 0xa1, 0xe7, 0xcc, 0x23,
	0x58, 0xba, 0xec, 0xa1, 0x34, 0xc8, 0x25, 0xa7
};

/*
 * HMAC-SHA-256, RFC 4231 section 4.2 (test case 1: key 20 x 0x0b, data
 * "Hi There") and section 4.3 (test case 2: key "Jefe", data "what do ya
 * want for nothing?").
 */
static const uint8_t hmac_tc1_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b
};
static const uint8_t hmac_tc1_data[8] = {
	0x48, 0x69, 0x20, 0x54, 0x68, 0x65, 0x72, 0x65
};
static const uint8_t hmac_tc1_mac[32] = {
	0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8,
	0xaf, 0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00,
	0xc9, 0x83, 0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32,
	0xcf, 0xf7
};
static const uint8_t hmac_tc2_key[4] = { 0x4a, 0x65, 0x66, 0x65 };
static const uint8_t hmac_tc2_data[28] = {
	0x77, 0x68, 0x61, 0x74, 0x20, 0x64, 0x6f, 0x20, 0x79, 0x61,
	0x20, 0x77, 0x61, 0x6e, 0x74, 0x20, 0x66, 0x6f, 0x72, 0x20,
	0x6e, 0x6f, 0x74, 0x68, 0x69, 0x6e, 0x67, 0x3f
};
static const uint8_t hmac_tc2_mac[32] = {
	0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04,
	0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08,
	0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
	0x38, 0x43
};

/*
 * AES-256-GCM: McGrew and Viega, "The Galois/Counter Mode of Operation
 * (GCM)", revised 2005, Appendix B, test case 16 (256-bit key, 96-bit IV,
 * 60-byte plaintext, 20 bytes of additional authenticated data).
 */
static const uint8_t gcm16_key[32] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a,
	0x8f, 0x94, 0x67, 0x30, 0x83, 0x08, 0xfe, 0xff, 0xe9, 0x92,
	0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
	0x83, 0x08
};
static const uint8_t gcm16_iv[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca,
	0xf8, 0x88
};
static const uint8_t gcm16_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
	0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2
};
static const uint8_t gcm16_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59,
	0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53,
	0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
	0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53,
	0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25, 0xb1, 0x6a,
	0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39
};
static const uint8_t gcm16_ct[60] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f,
	0x37, 0xa3, 0x2a, 0x84, 0x42, 0x7d, 0x64, 0x3a, 0x8c, 0xdc,
	0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
	0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d,
	0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38, 0xc5, 0xf6,
	0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62
};
static const uint8_t gcm16_tag[16] = {
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf,
	0x88, 0x53, 0xbb, 0x2d, 0x55, 0x1b
};

#define BYTES(a)	(a), sizeof(a)

static const struct kr_kat kats[] = {
	{ "SHA-256 KAT", "FIPS 180-2 B.1, \"abc\"", KR_KAT_SHA256,
	    NULL, 0, NULL, 0, NULL, 0, BYTES(abc), BYTES(sha256_abc),
	    NULL, 0 },
	{ "SHA-384 KAT", "FIPS 180-2 D.1, \"abc\"", KR_KAT_SHA384,
	    NULL, 0, NULL, 0, NULL, 0, BYTES(abc), BYTES(sha384_abc),
	    NULL, 0 },
	{ "HMAC-SHA-256 KAT 1", "RFC 4231 test case 1", KR_KAT_HMAC_SHA256,
	    BYTES(hmac_tc1_key), NULL, 0, NULL, 0, BYTES(hmac_tc1_data),
	    BYTES(hmac_tc1_mac), NULL, 0 },
	{ "HMAC-SHA-256 KAT 2", "RFC 4231 test case 2", KR_KAT_HMAC_SHA256,
	    BYTES(hmac_tc2_key), NULL, 0, NULL, 0, BYTES(hmac_tc2_data),
	    BYTES(hmac_tc2_mac), NULL, 0 },
	{ "AES-256-GCM encrypt KAT", "GCM spec (McGrew-Viega) test case 16",
	    KR_KAT_AES256GCM_ENC, BYTES(gcm16_key), BYTES(gcm16_iv),
	    BYTES(gcm16_aad), BYTES(gcm16_pt), BYTES(gcm16_ct),
	    BYTES(gcm16_tag) },
	{ "AES-256-GCM decrypt KAT", "GCM spec (McGrew-Viega) test case 16",
	    KR_KAT_AES256GCM_DEC, BYTES(gcm16_key), BYTES(gcm16_iv),
	    BYTES(gcm16_aad), BYTES(gcm16_ct), BYTES(gcm16_pt),
	    BYTES(gcm16_tag) },
};

/*
 * Pairwise-consistency tests: a fresh key of each kind keyrite may
 * generate in a ceremony signs a message, the signature verifies under the
 * public half, and does not verify over a changed message: one row for
 * every algorithm the policy may allow (ceremony-scripts/policy.conf;
 * test_selftest.c checks the two stay in step).  RSA uses fixed test keys
 * published with keyrite (tests/vectors/selftest-rsa{2048,3072,4096}.pem,
 * made once with `openssl genpkey`): generating an RSA key takes 0.1 to 2 s
 * (seconds more for 4096 bits), which would make every ceremony's
 * preflight slow and its duration random; a signature self-test with a
 * fixed key exercises the same RSA-PSS code (FIPS 140-3 allows a
 * known-key signature test in place of a pairwise test here).
 */
static const char rsa_test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDnqKqYfkRCgCAX\n"
	"mCY93ltnMjEykN62WLvbWXyZGTmeFre9iJsXomkqtIyJ7/dfWB+o14E17O+sbo/d\n"
	"tOVIaWQV7cFJXV+mn3vMosOCt5+2J5SauLTQxSKu9J8KTeHu2T9IBwXkiQr9voWR\n"
	"5fIRDLHbCGQgRHPrvALVwVdcOm27NIQSTl/5QydhFHDQUO+1Rt40aVNxXUYIcMfb\n"
	"u70K8T/jJETryv5t+CCafhCvt581JNHpExFfPT4PnLi7D7UYlDtEwUy3BEjpMFFh\n"
	"RgNdAvCVNalpegLrccL01oP6koPwOcJ2ViR2IWedNex+MWkS47B1sXyo0KkxdtkQ\n"
	"Dv07lV+3AgMBAAECggEAIlFBqGJ4ITPSzTv8Wkjw2Go+kIOWgoPFnHp2s0Vh3DH4\n"
	"WSr98rPcCXgCo8J5LlYjJoN6QC9P2Abu6ASOvLnkGj2E1yXucAQLNmbcOKaUEctu\n"
	"P7diDdVOTIWvc7rS3+ut7LEhpdfJWYqaReE/CViMlmp5TrBlTcQl1V2VX/PF4qfe\n"
	"SjCLwSmzMQNsochGk3l+jDDaz/nW0BltqFPOylrPfK8+wxZl8MA6cjjvGCW44Kr8\n"
	"59blOALljpVK7KtPEEKpxSxc1dcmj1IvWh29LSc7jAIp80DuE0IDKx0kBxzO3XNx\n"
	"taUCBoUL2GIrBxHMIaMaExAsQ/ud/a+9+v96nIaVAQKBgQD26WtbInrj/kZZaz3B\n"
	"AIrW1kSxSSSUtNuNUDCpQgeYXVx4jpL6Pluwlr7S7H6zzx2nVZiFvKQBLcdiX7Jh\n"
	"QsOeyjEok2drjFPSnmahw2cOZokN33BSnxtMKFOkWtL0e8L5VZaNjs0FY1hE/rdE\n"
	"J6WeRUPCkejXJ0qpsV4murU+twKBgQDwL4XYxX+zV3NGILd2fO/Dc053mkMI5f0M\n"
	"aAnvCSuiBlxtNEA6vSCNbh8Oe0EDmDzI9sMLZMmVOxhdwRoRb+hDW2etohBgC+cy\n"
	"PqGlAEpzrZt7c2PtOy7BO/adbpn48vWdVyeEWkFm3mfk7j5E1wL1zImkhAxoXABl\n"
	"P3VLa//nAQKBgGcxOtsF2BJ9bO1mMpL9JQmQ13i4tv8nbzLqNswmeoIlUsZX3/mS\n"
	"IkP1XJ9Ok82WXDBZR7ttEaYkedYVZLnda2Br5Iuuv2Rla4r1BLPKtMGB/Pm9TnZZ\n"
	"ZNE5cWuZQd1H9D68lIVpDyqXUIbVZcaoQ0GYdS9WR9fT5hJxvIW3NpSVAoGAUK3F\n"
	"6gC9WoKfiAjpV3W0HBUZYHeC2PRYQdiYraCI9Y3pcg1BHfn1e0xoRjcEqa5zjJXH\n"
	"AobCZ8xH7QY2OXE7tZR4iQyNL5YP/QKozYIBgEXqmlcyU7ezhtkbh9plAgiqlEV4\n"
	"Uq72lRVUFMQqSnlm1yXzfj2U5WEyCNB+F+2ZMgECgYEAvnj4dp12svK6fMmKzbx7\n"
	"c9+6sVCrRLvkFi+X1dZ/PvBnnw7XsaAfvkSO4KulWkel6MFvNkKpT0+3l/XJN4pj\n"
	"c0nk70S7vbzEk4SKaFvPavi43gJfpr2kTM2Gupqwn5cPlyQkAQ/YmVuK+CQ4nGtw\n"
	"RTq7im6cIFM1FIZ20br5eIY=\n"
	"-----END PRIVATE KEY-----\n";

static const char rsa3072_test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQCka/JMtom1z3ZV\n"
	"m78TQRX7bv9EUXEummkI990Tw9svEXFNCb1Inhvwr8N44i67BYvNaR2Y5yJDAkCn\n"
	"pYvUNaseqFmqRm9s9kpXyxMe1ZntQ9ABDlmhK2OQtLqz95e/LbJPKeux6TUNeFse\n"
	"3IOUfq84WO2xwHESthkgMjoQ7XCRqutB8LKaQpBfKanhNqJlb3gW7YfbYy8uPrfe\n"
	"qsUgNpA9TvK1LoFehO1gLAWHnmObSpNvTUdjMSi95tukvmgy6JC9U4dwO8bSixgw\n"
	"0DULfoaXjYpWuOGYlbi8lGNc7/wC6HWtxpexnrdNMs6d0wOTctVBgYgcQ2n9xCF4\n"
	"syrp9AlnAFY+Fe5NbG2Peafcz6/fcQbr/zYLR2SCGfmHcwjQ2g/L93w5fMNKmPTh\n"
	"KT1qvXr8dhnmgv9mEbWuLj/3jL1ofcEKe+bNSR9Id8rvU/3m5nZwZ746QBFh9n1S\n"
	"xgcrl2ME4Z/Z0clgpdypjmGC+rZ8h3FVZdO5LR4KgXFnsloDGFMCAwEAAQKCAYA7\n"
	"rdCzJnhCjQxTE2Zdyzx62DWAKx1tQG+KaUkNsQPACFE7GKNjFbxndqx5FoPGr0Mo\n"
	"qhQrmQ1XDBzCnPRtcJNtW8a75rfv8U9XoWaNxRMLSxdXIsnGlZScg/TWeLJUGnaD\n"
	"hGA/4bk3a+2K/Jgn0Hmx9plD8Ok51O22wXRRC5XV0Zd1hjOViT6Uw+8cxzNXpQeO\n"
	"LuYma9BGtU4Q3KQTRqrBDgRLXhdn4tC0HRZevM9DoOR1vDOCnee/Uel8WP5CKCY4\n"
	"GKlUXFEDTn80xXuCDQ7/GgJc4Xhc8l1s2iDZezkeYsU0DUuapI0eQzPRw3T0lKJK\n"
	"81BzbYePzGFn11dxqRP7qE9togSKB1mtlHsbSo4REgWAbn9WquFsNTc9aWpr8AVe\n"
	"jfvOvq14gI29EsVYSrh+hZJbM06/i40rnfQw+8aAoDVcHXcH+ilfCDzl35mERPqC\n"
	"+5iDphFxq7B5gk7sI3fC5DDz46guN4IfiqwZ2cc/N+7K9gfhWN5YhVVilXP8aGkC\n"
	"gcEAzyr65NkhX2YFfm4Q0W4Ie8EaVuZ4IKrmTgwB1CAgl1T8hYI7By8POtiJ30Xz\n"
	"09Qm9jOmxqYXhJ+kUXSSktXpTptG7d3/yEoblOp9xTIWfmJqCleH3UNy3XclfIuC\n"
	"TCs9WxHk2ndeGwKSWz6x3zU5qRmu5btLGyULJi2d8unVbG1OkyH8tm3i0yPhL7y3\n"
	"w7Fv8BAYHtzSocoXLkVPUT07tEsjGCnG+iZS57AdJTE0sVYUsmmZrnQuH1xN9uAi\n"
	"KOR5AoHBAMstjdoQfaq5jjr7mp5kXCnljQfmi4PHpd6bbtBBICfYzmN1MrM/n4SX\n"
	"uqs4Nj++zn+XC+J02hjjYzsSHOPQWODSf0lmv++6Hun9T58joUsPBsCw7smQ+9bP\n"
	"6oMef9NwgyxKfHE6/4xNKc5l2eAREv+JEhW4mbT0Esvw/LAxaoiY0qGuDL+wF9az\n"
	"Zjbvhe+Q4YuSQiyZvL5isQWqsMcL4KigY9d4NvwSOavyxb2uzjhDZ3beV60eHRZw\n"
	"QKTnx2x4KwKBwQDF6Llmhkdra3s0HNHUQNm53+/ZtLJuAtWhGbdlfoukBnx2zsK1\n"
	"Si+yd8q+kYUtiC7wZMeeXm15NUk0x7h+rfwELDLGap5AKQvQZ3NfP0pd0oaa+qPA\n"
	"rP6+s2QMZvpC6cvjhGSsj/xGsV4/7NTf92juMqryrMpDVFAiWNHbjadlvcaiqIVT\n"
	"ggZ+zngBsrebK5dULwvb7/kItpcOjQgJBAZVZrJQExkTQClTTNuK/EbqYuHCzz8R\n"
	"ecvWCcgxYE1B44ECgcBmyxxaeD9sEccA1mzKuBHc7JNmrOBnAqpLrq3o1Ro0rr70\n"
	"mMXW5FiLV8yMdbsUky+cY8oSf3YcY2a/6xEMvUtKK5VUiJSQ78RWM9+Frxwagnaz\n"
	"JJEbD6wqaTTHs7WOPv1OejzteKDz1dJR5zvM3jaTbEDnFmdForqjzb+6ULYKd+8Q\n"
	"96LhlHDrIgaTwqkrpExINe4e7IUOeZYAPPSFL+Aw0DzTNbHz5DCjawdaSUdyNb/x\n"
	"5tnK71JeGNrL06wUl9MCgcBl8IPu/u2WSFJ6g1KTRqFfpvWrmB06E6w+NqP7nlLA\n"
	"YVmyevD9YpOGvYEwq3rq72q5C83I8HQWT77tUH0XWiaiWWX0cpv7k2ydHMQUX33t\n"
	"ay+dt3YUi8y/6uWoKVF6J40Y1YrYb5RH7VfOyHk4W2V4AhP43564zUBm2HVNeCOa\n"
	"bz5eDik7grB72Aw5Zb/Ze+e7FwgsNmS6VAKS6f429AqqGpsZyeGnaX/xWr9HNjAW\n"
	"SY3ZEVtMWgIFpIULbqb4BqA=\n"
	"-----END PRIVATE KEY-----\n";

static const char rsa4096_test_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIJQwIBADANBgkqhkiG9w0BAQEFAASCCS0wggkpAgEAAoICAQCVsTiE3RxFYwuw\n"
	"ucNevJERwQZGgEFgo0b6hF0lOrnRDvqp/8l9Gx5iajerusdaTbakr3sQq/4uAcmk\n"
	"i+BGeF3wF7pGVD7R53AbdB2lo4/y3Hpw1JUoJddfDewM9mVderRW2B8ddVajNNbt\n"
	"9+dWWl1qalAj9BkVXcl9wP9JZeLc79vJpa9odNLlQ19Jp1jrdI28M1fIvWa6FE2V\n"
	"CfC8QuOO6kjWKInOGMVSMPbllmXEGC9HOEoouFTmO6QJ8tavVTyVULb9jSJ4xkKC\n"
	"N+aNWwRNYs9KRwLwJTyTAuvQvsW10xqo/DBXOFXdPvqoup3tZxwC519nzQCcnzJC\n"
	"DjpqTHg3LKwJxw0VTTvq4qQMYPn+ClwKB77k85XH1uyYy9LGVcrHXpf86hsQAR9G\n"
	"nrTHArtoeC4zdlXyAGAsM1tYbBk2j0tzA8nOon81YUz9ZBD0nDKWISr6g4VW6ARZ\n"
	"p/FH0FmzUgRFJzgDcq1gQpKr1I8N9B+HFtGCvrhmeQ9AibPrfqpM5Mgk1OHWHzEY\n"
	"+PDRwVFyjE7c3BWXWll6YbJXAUrQVpH30Pa0Og+mJDz0mpCseWab90bvx4E1Um5I\n"
	"ydadDhl6MyyyAtccrNQz6kvwOx1feHta4Co3QMC4qrjTckxW8C6fBPJ9g6s14eHU\n"
	"uMGN2aoRNV7uhbL+TMiLhUmJ/wYHaQIDAQABAoICAArAP8nT4y5pyfkNqaYs6Kxi\n"
	"Qe2fuevs/iS+JSR1EcuduRh39wQsH1c8WR0IqddNNcNt/2qeN7MdMyeR8wmMpo6F\n"
	"kPE984V6Cx3lp1ilcfa+EAssSwqNoTWOyrfQA7RRiXc9R9ecfRyOp6scS9PY/KGV\n"
	"p7jVVLt2N3Aq0HFe+gqzk9EC1dTGPMlbhXhepqIoH+/dR74/bPI+kad7hcjRP9Lp\n"
	"XIU8Q+pDjC4P6moCqCXYnAV2jP9csdHkhOHab46hknU7TVE4XDpZXuut6row4cYf\n"
	"Ee08D85CL/xzafVdmW/EJpBUpuVbKSUq20mk0Y5JHASdxa178A6ccZ/qseMljj90\n"
	"44+yvqC4WZbeHHjmUpHZ6dIQWz8YqmjDjK29upCmT2z2CiVJIbBCUFAdtNF47mk0\n"
	"iokYILNb1imEz9KSFA3VSnyj8VIyCSQVXAgJ51Zj4/BFz8RjLqUcte6HgP5AGujZ\n"
	"UWtLl1wuMUcdvfRSr/sbOKWxC1F0/0saLt1/NWYSZ+Fn5MWNwUuiSUBAu03ODsEl\n"
	"VZGyaH5qR/t7bCnOBgJqA6DNwU10hxKyk4m5BlpM78k7GHD3D+sJvwO3glEeFB6N\n"
	"7c++ql2qXSsC+2K8/MouTw36vXxbcRGOGUy20EWG2YW1UvQGSIAod9t0qCSl8GAx\n"
	"NuY+jAYHCXp6WutVeQ0zAoIBAQDEwLlFrSOfRFcD0NCISLG2PrFR16u1cx1I/t0y\n"
	"Zp/nIwjMOpLrX8PoGVEUd2bNW9HBG5Sd2/AqEcRn9Is2ktDNBssyDVgLqZRFrw8Q\n"
	"JlgwJ2ea0wiCr9Txg/ZBWY4fJlFVW4wIzmzlqgmNTvWBdy1SvqYD224oPQNdqbzs\n"
	"G+VMZcJI6oHMs7/VKRY0dcQEkYIel0ME5hb9vOsTtrgMtutULhkXCNKGygy4P2SP\n"
	"cwkNT61jt8VCT2N6wB7+Z12NPf2tjcjWERGs/YOyqpD+zj+8srFqZ6xWRcnQYJzY\n"
	"PQkMiiG8ru09R0ersGUWNsqAWHVNtZ8hHpwA3r1TQ0aId767AoIBAQDCxLGvmnZY\n"
	"NQvXB3TuwQzoSTpq5VVdwEEpwm9Rw//KbmpThNgZjqwWYawi9yrNTs7XSOBTWzEI\n"
	"gWb8TiMyZBEnz1gGUiHVOgjPVivVY5If9Vowu/nqAASP9gL1JJ15xTjNfAVMwlRY\n"
	"u13EPp+VJGMYxiY+2LoeGgxsoIxXRSSdjntLZkusD1u6R0+oN6uKmyPQsS0N8E5z\n"
	"dzPW86bMg7p0ZuHVMDJYc+5n/bLdYzGxCcyHxlsh3ykSglxpmsdqE9unvYcEKUzA\n"
	"zQOWGPGGbCLo7fkRf0JT8WsAU4vLeOb65tcCbRNSSgSIyUgDKEmXRszkmCW+y46J\n"
	"vzldmFRE/horAoIBAH/O4YtNaTJwZkXoQ04ESsyj9PPBMZ1w5bkhNfcjiwPOUky4\n"
	"T+/uCYifyXeOCI2l85+JlwTkdiId4IPW6wfMXy6QFzawTF1nDxYlHZfUEL1XG4oL\n"
	"RCAAsEci/bh9wECj13mnOlQOI9ccmY/dlsU+8YYqqhUfWXNyDtmtBTgq9syl3YsY\n"
	"KrEaoqaJRg9V4LtG+kt83uAzxwOU0O/BZdV8jWnleA7qgDdm0NRu+Zfllh+7flqk\n"
	"adMlVu3KF1gTNUYm2r7+t1O3StAg7ogFHKMov2aIfY8tQVnZg7uExt4A5/vpTvkO\n"
	"eLWxs/DnaQMBHJI65BhSvsf45kX6aunHbe4AOzkCggEBAK7DvASr/wELKEKcSEps\n"
	"I17TRn3gpobnGhGUjDq8Omu0Q+gJTbcxFC1JGyKM0nVC/8qhc9iX/Rl6s6Q1oNN4\n"
	"gwRLwtp5HC6uUnVpBxAEtnvCtlkAczGLLozW3LSHVF6Nn3iSjlbgELtF9M9AugUj\n"
	"j2ANfQfrhKW6Defy77rnKgHOdcekVMZhSZeOoWV5/ozyxGJgeOMG+/4TugpouwTM\n"
	"NqR4JLAc/S/tZsEdHkAU3+PRvRsf22o7Sil3m+COp90BUJnlMJ+FR3/A9jTa0O4j\n"
	"XffQgSs4G5YjDDZQwSGkrO358HgW072E+SicI+fhYJdDSlrcQxI+qPnlAl5/by4x\n"
	"K90CggEBAIBBACbBByAPvbTLbbDq2XZWI6mDW+Zsu2No31GRAaisHB4RFINoHULX\n"
	"Q6/cpuZTmsamnhKCNbOIysta3Fj7QRwyNXwQUqIZa+TnFZmfcwFdOWAx3fcLi2iM\n"
	"vzMMCB3UwS1VYddaB53rX0/nN/2NKdpp2/N3rTJGKqgUhZm2iUNxmcNMXfWrf9Ho\n"
	"1SMXlHtoVIKYGbsvWD8emwUbB2bBZwIYdF2omGZB5EiSY09DukaRAwr/HFj9t5O4\n"
	"iFf9Yf/MwETyp6xPLTA0IRxdoZ+qY/iAYP0x3WdbaXf8r0T2wxE02XzEoT5WNtbr\n"
	"l8zG6akY/Ycgd+qKHZogyLEsJJ5xyP4=\n"
	"-----END PRIVATE KEY-----\n";

struct pct {
	const char	*name;
	const char	*alg;		/* EVP_PKEY type name */
	const char	*group;		/* EC curve, or NULL */
	unsigned int	 bits;		/* RSA modulus size, or 0 */
	const char	*fixed_pem;	/* a fixed test key instead of keygen */
	const char	*md;		/* NULL: the scheme hashes (Ed25519) */
	int		 pss;		/* RSA-PSS padding */
};

static const struct pct pcts[] = {
	{ "ECDSA P-256 sign/verify", "EC", "P-256", 0, NULL, "SHA256", 0 },
	{ "ECDSA P-384 sign/verify", "EC", "P-384", 0, NULL, "SHA384", 0 },
	{ "ECDSA P-521 sign/verify", "EC", "P-521", 0, NULL, "SHA512", 0 },
	{ "Ed25519 sign/verify", "ED25519", NULL, 0, NULL, NULL, 0 },
	{ "Ed448 sign/verify", "ED448", NULL, 0, NULL, NULL, 0 },
	{ "RSA-2048-PSS sign/verify", "RSA", NULL, 2048, rsa_test_key,
	    "SHA256", 1 },
	{ "RSA-3072-PSS sign/verify", "RSA", NULL, 3072, rsa3072_test_key,
	    "SHA256", 1 },
	{ "RSA-4096-PSS sign/verify", "RSA", NULL, 4096, rsa4096_test_key,
	    "SHA256", 1 },
};

const char *
kr_selftest_fixed_key(unsigned int bits)
{
	size_t i;

	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		if (pcts[i].bits == bits && pcts[i].fixed_pem != NULL)
			return pcts[i].fixed_pem;
	return NULL;
}

static const uint8_t pct_msg[] = "keyrite pairwise consistency test";

/* Random sources for the repetition test; each fills len bytes or fails. */
struct rng_source {
	const char	*name;
	int		(*fill)(uint8_t *buf, size_t len, char *why,
			    size_t whylen);
};

static int	rng_openssl(uint8_t *, size_t, char *, size_t);
static int	rng_getrandom(uint8_t *, size_t, char *, size_t);

static const struct rng_source rng_sources[] = {
	{ "DRBG health (RAND_bytes)", rng_openssl },
	{ "getrandom(2) health", rng_getrandom },
};

static void	say(char *why, size_t whylen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Formats into why (which may be NULL when whylen is 0). */
static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Says what failed with OpenSSL's first queued reason; empties the queue. */
static void
say_libcrypto(char *why, size_t whylen, const char *what)
{
	char buf[128];
	unsigned long e;

	if ((e = ERR_peek_error()) != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "no reason given");
	ERR_clear_error();
	say(why, whylen, "%s failed: %s", what, buf);
}

/* Compares output with the published value; says where they differ. */
static int
compare(const char *what, const uint8_t *got, size_t gotlen,
    const uint8_t *want, size_t wantlen, char *why, size_t whylen)
{
	size_t i;

	if (gotlen != wantlen) {
		say(why, whylen, "%s is %zu bytes, published value %zu",
		    what, gotlen, wantlen);
		return KR_ERR_SELFTEST_FAILED;
	}
	if (CRYPTO_memcmp(got, want, wantlen) == 0)
		return 0;
	/* Public test data: where it differs may be said. */
	for (i = 0; i < wantlen && got[i] == want[i]; i++)
		;
	say(why, whylen, "%s differs from the published value at byte %zu",
	    what, i);
	return KR_ERR_SELFTEST_FAILED;
}

static int
kat_digest(const struct kr_kat *k, const char *mdname, char *why,
    size_t whylen)
{
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	EVP_MD *md = NULL;
	int r = KR_ERR_SELFTEST_FAILED;

	if ((md = EVP_MD_fetch(NULL, mdname, NULL)) == NULL) {
		say_libcrypto(why, whylen, "fetching the digest");
		goto out;
	}
	if (EVP_Digest(k->input, k->inputlen, out, &outlen, md, NULL) != 1) {
		say_libcrypto(why, whylen, "hashing");
		goto out;
	}
	r = compare("digest", out, outlen, k->expected, k->expectedlen,
	    why, whylen);
 out:
	EVP_MD_free(md);
	return r;
}

static int
kat_hmac(const struct kr_kat *k, char *why, size_t whylen)
{
	uint8_t out[EVP_MAX_MD_SIZE];
	size_t outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->key, k->keylen,
	    k->input, k->inputlen, out, sizeof(out), &outlen) == NULL) {
		say_libcrypto(why, whylen, "HMAC-SHA-256");
		return KR_ERR_SELFTEST_FAILED;
	}
	return compare("MAC", out, outlen, k->expected, k->expectedlen,
	    why, whylen);
}

/* Sets up ctx for AES-256-GCM with k's key, IV and AAD. */
static int
gcm_init(EVP_CIPHER_CTX *ctx, const struct kr_kat *k, int enc, char *why,
    size_t whylen)
{
	EVP_CIPHER *cipher = NULL;
	int len, r = KR_ERR_SELFTEST_FAILED;

	if ((cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL) {
		say_libcrypto(why, whylen, "fetching AES-256-GCM");
		goto out;
	}
	if (EVP_CipherInit_ex2(ctx, cipher, NULL, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)k->ivlen,
	    NULL) != 1 ||
	    EVP_CipherInit_ex2(ctx, NULL, k->key, k->iv, enc, NULL) != 1) {
		say_libcrypto(why, whylen, "setting key and IV");
		goto out;
	}
	if (k->aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &len, k->aad,
	    (int)k->aadlen) != 1) {
		say_libcrypto(why, whylen, "adding the AAD");
		goto out;
	}
	r = 0;
 out:
	EVP_CIPHER_free(cipher);
	return r;
}

static int
kat_gcm_encrypt(const struct kr_kat *k, char *why, size_t whylen)
{
	uint8_t out[KAT_MAX_BYTES], tag[GCM_TAG_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int len = 0, fin = 0, r = KR_ERR_SELFTEST_FAILED;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		say_libcrypto(why, whylen, "allocating a cipher context");
		goto out;
	}
	if ((r = gcm_init(ctx, k, 1, why, whylen)) != 0)
		goto out;
	r = KR_ERR_SELFTEST_FAILED;
	if (EVP_EncryptUpdate(ctx, out, &len, k->input,
	    (int)k->inputlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)k->taglen,
	    tag) != 1) {
		say_libcrypto(why, whylen, "encrypting");
		goto out;
	}
	if ((r = compare("ciphertext", out, (size_t)(len + fin), k->expected,
	    k->expectedlen, why, whylen)) != 0)
		goto out;
	r = compare("tag", tag, k->taglen, k->tag, k->taglen, why, whylen);
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/*
 * Decrypts k->input under k->tag into out (KAT_MAX_BYTES).  Returns 0,
 * GCM_TAG_MISMATCH when the tag does not verify (then out must not be
 * used), or KR_ERR_SELFTEST_FAILED for any other failure.
 */
static int
gcm_decrypt(const struct kr_kat *k, uint8_t *out, size_t *outlen,
    char *why, size_t whylen)
{
	uint8_t tag[GCM_TAG_MAX];
	EVP_CIPHER_CTX *ctx = NULL;
	int len = 0, fin = 0, r = KR_ERR_SELFTEST_FAILED;

	*outlen = 0;
	memcpy(tag, k->tag, k->taglen);	/* the ctrl wants a non-const pointer */
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		say_libcrypto(why, whylen, "allocating a cipher context");
		goto out;
	}
	if ((r = gcm_init(ctx, k, 0, why, whylen)) != 0)
		goto out;
	r = KR_ERR_SELFTEST_FAILED;
	if (EVP_DecryptUpdate(ctx, out, &len, k->input,
	    (int)k->inputlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)k->taglen,
	    tag) != 1) {
		say_libcrypto(why, whylen, "decrypting");
		goto out;
	}
	if (EVP_DecryptFinal_ex(ctx, out + len, &fin) != 1) {
		ERR_clear_error();
		say(why, whylen, "authentication tag did not verify");
		r = GCM_TAG_MISMATCH;
		goto out;
	}
	*outlen = (size_t)(len + fin);
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int
kat_gcm_decrypt(const struct kr_kat *k, char *why, size_t whylen)
{
	uint8_t out[KAT_MAX_BYTES];
	size_t outlen;
	int r;

	if ((r = gcm_decrypt(k, out, &outlen, why, whylen)) != 0)
		return KR_ERR_SELFTEST_FAILED;
	return compare("plaintext", out, outlen, k->expected, k->expectedlen,
	    why, whylen);
}

/* Lengths each kind can take; anything else is a programmer's error. */
static int
kat_valid(const struct kr_kat *k)
{
	if (k->inputlen > KAT_MAX_BYTES || k->expectedlen > KAT_MAX_BYTES ||
	    (k->inputlen > 0 && k->input == NULL) || k->expected == NULL)
		return 0;
	switch (k->kind) {
	case KR_KAT_SHA256:
	case KR_KAT_SHA384:
		return 1;
	case KR_KAT_HMAC_SHA256:
		return k->keylen == 0 || k->key != NULL;
	case KR_KAT_AES256GCM_ENC:
	case KR_KAT_AES256GCM_DEC:
		return k->key != NULL && k->keylen == 32 && k->iv != NULL &&
		    k->ivlen > 0 && k->ivlen <= GCM_IV_MAX &&
		    (k->aadlen == 0 || k->aad != NULL) && k->tag != NULL &&
		    k->taglen >= 4 && k->taglen <= GCM_TAG_MAX &&
		    k->aadlen <= KAT_MAX_BYTES;
	}
	return 0;
}

const struct kr_kat *
kr_selftest_kats(size_t *n)
{
	*n = sizeof(kats) / sizeof(kats[0]);
	return kats;
}

int
kr_selftest_kat(const struct kr_kat *k, char *why, size_t whylen)
{
	char reason[WHY_MAX] = "";
	int r = KR_ERR_INVALID_ARGUMENT;

	if (!kat_valid(k)) {
		say(reason, sizeof(reason), "malformed known-answer test");
		goto out;
	}
	switch (k->kind) {
	case KR_KAT_SHA256:
		r = kat_digest(k, "SHA256", reason, sizeof(reason));
		break;
	case KR_KAT_SHA384:
		r = kat_digest(k, "SHA384", reason, sizeof(reason));
		break;
	case KR_KAT_HMAC_SHA256:
		r = kat_hmac(k, reason, sizeof(reason));
		break;
	case KR_KAT_AES256GCM_ENC:
		r = kat_gcm_encrypt(k, reason, sizeof(reason));
		break;
	case KR_KAT_AES256GCM_DEC:
		r = kat_gcm_decrypt(k, reason, sizeof(reason));
		break;
	}
 out:
	ERR_clear_error();
	if (r != 0) {
		kr_err_set(r, "%s: %s", k->name ? k->name : "KAT", reason);
		say(why, whylen, "%s", reason);
	} else
		say(why, whylen, "matches %s", k->source ? k->source :
		    "the published value");
	return r;
}

/*
 * The GCM KATs prove that a right tag verifies; this proves that a wrong
 * one, or a changed ciphertext, is refused.
 */
static int
gcm_tamper(char *why, size_t whylen)
{
	const struct kr_kat *dec = NULL;
	struct kr_kat t;
	uint8_t tag[GCM_TAG_MAX], ct[KAT_MAX_BYTES], out[KAT_MAX_BYTES];
	size_t i, outlen;
	int r;

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		if (kats[i].kind == KR_KAT_AES256GCM_DEC)
			dec = &kats[i];
	if (dec == NULL) {
		say(why, whylen, "no AES-256-GCM decryption vector");
		return KR_ERR_INTERNAL;
	}
	t = *dec;
	memcpy(tag, dec->tag, dec->taglen);
	tag[dec->taglen - 1] ^= 0x01;
	t.tag = tag;
	if ((r = gcm_decrypt(&t, out, &outlen, why, whylen)) !=
	    GCM_TAG_MISMATCH) {
		if (r == 0)
			say(why, whylen, "a tampered tag was accepted");
		return KR_ERR_SELFTEST_FAILED;
	}
	t = *dec;
	memcpy(ct, dec->input, dec->inputlen);
	ct[0] ^= 0x80;
	t.input = ct;
	if ((r = gcm_decrypt(&t, out, &outlen, why, whylen)) !=
	    GCM_TAG_MISMATCH) {
		if (r == 0)
			say(why, whylen, "a tampered ciphertext was accepted");
		return KR_ERR_SELFTEST_FAILED;
	}
	say(why, whylen, "tampered tag and tampered ciphertext refused");
	return 0;
}

static EVP_PKEY *
pct_keygen(const struct pct *p)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (p->fixed_pem != NULL) {
		if ((bio = BIO_new_mem_buf(p->fixed_pem, -1)) == NULL)
			return NULL;
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
		return key;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, p->alg, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1)
		goto out;
	if (p->group != NULL && EVP_PKEY_CTX_set_group_name(ctx,
	    p->group) != 1)
		goto out;
	if (p->bits != 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx,
	    (int)p->bits) != 1)
		goto out;
	if (EVP_PKEY_generate(ctx, &key) != 1)
		key = NULL;
 out:
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static int
pct_pss(const struct pct *p, EVP_PKEY_CTX *pctx)
{
	if (!p->pss)
		return 1;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) ==
	    1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
	    RSA_PSS_SALTLEN_DIGEST) == 1;
}

/* Returns 1 if sig verifies over msg, 0 if not, -1 on error. */
static int
pct_verify(const struct pct *p, EVP_PKEY *key, const uint8_t *sig,
    size_t siglen, const uint8_t *msg, size_t msglen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r = -1;

	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(mctx, &pctx, p->md, NULL, NULL, key,
	    NULL) != 1 || !pct_pss(p, pctx))
		goto out;
	r = EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
 out:
	ERR_clear_error();	/* a refused signature queues an error */
	EVP_MD_CTX_free(mctx);
	return r;
}

static int
pct_run(const struct pct *p, char *why, size_t whylen)
{
	uint8_t msg[sizeof(pct_msg)], *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *key = NULL;
	int v, r = KR_ERR_SELFTEST_FAILED;

	if ((key = pct_keygen(p)) == NULL) {
		say_libcrypto(why, whylen, "generating a key");
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(mctx, &pctx, p->md, NULL, NULL, key,
	    NULL) != 1 || !pct_pss(p, pctx) ||
	    EVP_DigestSign(mctx, NULL, &siglen, pct_msg,
	    sizeof(pct_msg)) != 1 ||
	    (sig = OPENSSL_malloc(siglen)) == NULL ||
	    EVP_DigestSign(mctx, sig, &siglen, pct_msg,
	    sizeof(pct_msg)) != 1) {
		say_libcrypto(why, whylen, "signing");
		goto out;
	}
	if ((v = pct_verify(p, key, sig, siglen, pct_msg,
	    sizeof(pct_msg))) != 1) {
		say(why, whylen, "%s", v == 0 ?
		    "signature by a fresh key did not verify" :
		    "could not set up verification");
		goto out;
	}
	memcpy(msg, pct_msg, sizeof(msg));
	msg[0] ^= 0x01;
	if ((v = pct_verify(p, key, sig, siglen, msg, sizeof(msg))) != 0) {
		say(why, whylen, "%s", v == 1 ?
		    "signature verified over a changed message" :
		    "could not set up verification");
		goto out;
	}
	say(why, whylen, "%s: %zu-byte signature verified, altered "
	    "message rejected", p->fixed_pem ? "fixed test key" : "fresh key",
	    siglen);
	r = 0;
 out:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return r;
}

static int
rng_openssl(uint8_t *buf, size_t len, char *why, size_t whylen)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		say_libcrypto(why, whylen, "RAND_bytes");
		return -1;
	}
	return 0;
}

static int
rng_getrandom(uint8_t *buf, size_t len, char *why, size_t whylen)
{
	ssize_t got;
	size_t off = 0;

	while (off < len) {
		if ((got = getrandom(buf + off, len - off, 0)) < 0) {
			if (errno == EINTR)
				continue;
			say(why, whylen, "getrandom: %s", strerror(errno));
			return -1;
		}
		off += (size_t)got;
	}
	return 0;
}

int
kr_selftest_rng_blocks(const uint8_t *buf, size_t nblocks, size_t blocklen,
    char *why, size_t whylen)
{
	size_t i, j;

	for (i = 0; i < nblocks; i++) {
		const uint8_t *b = buf + i * blocklen;

		for (j = 0; j < blocklen && b[j] == 0; j++)
			;
		if (j == blocklen) {
			say(why, whylen, "block %zu of %zu is all zeros",
			    i + 1, nblocks);
			return KR_ERR_SELFTEST_RNG;
		}
		if (i > 0 && memcmp(b - blocklen, b, blocklen) == 0) {
			say(why, whylen, "blocks %zu and %zu are equal",
			    i, i + 1);
			return KR_ERR_SELFTEST_RNG;
		}
	}
	say(why, whylen, "%zu x %zu-byte blocks: no repeat, no zero block",
	    nblocks, blocklen);
	return 0;
}

/* Draws fresh blocks one call at a time and runs the repetition test. */
static int
rng_health(const struct rng_source *s, char *why, size_t whylen)
{
	uint8_t buf[KR_SELFTEST_RNG_BLOCKS * KR_SELFTEST_RNG_BLOCK_BYTES];
	size_t i;
	int r = KR_ERR_SELFTEST_RNG;

	for (i = 0; i < KR_SELFTEST_RNG_BLOCKS; i++) {
		if (s->fill(buf + i * KR_SELFTEST_RNG_BLOCK_BYTES,
		    KR_SELFTEST_RNG_BLOCK_BYTES, why, whylen) != 0)
			goto out;
	}
	r = kr_selftest_rng_blocks(buf, KR_SELFTEST_RNG_BLOCKS,
	    KR_SELFTEST_RNG_BLOCK_BYTES, why, whylen);
 out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static int
check_drbg(char *why, size_t whylen)
{
	EVP_RAND_CTX *primary;
	const char *name = "DRBG";

	if (RAND_status() != 1) {
		say_libcrypto(why, whylen, "seeding OpenSSL's DRBG");
		return KR_ERR_SELFTEST_RNG;
	}
	if ((primary = RAND_get0_primary(NULL)) != NULL &&
	    EVP_RAND_CTX_get0_rand(primary) != NULL)
		name = EVP_RAND_get0_name(EVP_RAND_CTX_get0_rand(primary));
	say(why, whylen, "primary %s seeded", name);
	return 0;
}

/* Private-key numbers go to the secure heap only if it is running. */
static int
check_secure_heap(char *why, size_t whylen)
{
	void *p;
	int secure;

	if (!CRYPTO_secure_malloc_initialized()) {
		say(why, whylen, "not initialized: private keys would live "
		    "in ordinary memory");
		return KR_ERR_SELFTEST_FAILED;
	}
	if ((p = OPENSSL_secure_malloc(32)) == NULL) {
		say_libcrypto(why, whylen, "allocating from the secure heap");
		return KR_ERR_SELFTEST_FAILED;
	}
	secure = CRYPTO_secure_allocated(p);
	OPENSSL_secure_clear_free(p, 32);
	if (!secure) {
		say(why, whylen, "an allocation came from ordinary memory");
		return KR_ERR_SELFTEST_FAILED;
	}
	say(why, whylen, "initialized, %zu bytes in use", CRYPTO_secure_used());
	return 0;
}

static int
check_harden(char *why, size_t whylen)
{
	struct kr_harden_status st;

	memset(&st, 0, sizeof(st));
	kr_harden_status(&st);
	if (!st.nondumpable) {
		say(why, whylen, "process is dumpable: it was not hardened "
		    "(kr_harden_process) before the self-test");
		return KR_ERR_SELFTEST_FAILED;
	}
	if (!st.core_limit_zero) {
		say(why, whylen, "RLIMIT_CORE is not 0: a crash could write "
		    "secrets to a core file");
		return KR_ERR_SELFTEST_FAILED;
	}
	if (st.mlockall_ok)
		say(why, whylen, "non-dumpable, core limit 0, memory locked%s",
		    kr_harden_crypto_memory_active() ? ", OpenSSL frees wiped" :
		    "");
	else
		say(why, whylen, "non-dumpable, core limit 0; not all memory "
		    "locked (%s)%s", st.mlockall_why,
		    kr_harden_crypto_memory_active() ? "; OpenSSL frees wiped" :
		    "");
	return 0;
}

/* A library of another major version than the headers is not tested. */
static int
check_version(char *why, size_t whylen)
{
	if (OPENSSL_version_major() != OPENSSL_VERSION_MAJOR) {
		say(why, whylen, "running %s, built against %s: rebuild "
		    "keyrite", OpenSSL_version(OPENSSL_VERSION),
		    OPENSSL_VERSION_STR);
		return KR_ERR_SELFTEST_FAILED;
	}
	say(why, whylen, "%s (built against %s)",
	    OpenSSL_version(OPENSSL_VERSION), OPENSSL_VERSION_STR);
	return 0;
}

struct rows {
	struct kr_selftest_result *res;
	size_t		 max;
	size_t		 n;		/* rows produced, even past max */
	size_t		 failed;
	char		 first[WHY_MAX + 64];	/* first failure */
};

static void
row(struct rows *rs, const char *name, int r, const char *detail)
{
	struct kr_selftest_result *e;

	if (r != 0 && rs->failed++ == 0)
		snprintf(rs->first, sizeof(rs->first), "%s: %s", name, detail);
	if (rs->n < rs->max) {
		e = &rs->res[rs->n];
		e->name = name;
		e->ok = r == 0;
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
	}
	rs->n++;
}

int
kr_selftest_run(struct kr_selftest_result *res, size_t max, size_t *n)
{
	struct rows rs;
	char why[WHY_MAX];
	size_t i;

	memset(&rs, 0, sizeof(rs));
	rs.res = res;
	rs.max = max;
	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
		row(&rs, kats[i].name, kr_selftest_kat(&kats[i], why,
		    sizeof(why)), why);
	row(&rs, "AES-256-GCM tamper check", gcm_tamper(why, sizeof(why)),
	    why);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		row(&rs, pcts[i].name, pct_run(&pcts[i], why, sizeof(why)),
		    why);
	row(&rs, "DRBG seeded (RAND_status)", check_drbg(why, sizeof(why)),
	    why);
	for (i = 0; i < sizeof(rng_sources) / sizeof(rng_sources[0]); i++)
		row(&rs, rng_sources[i].name, rng_health(&rng_sources[i], why,
		    sizeof(why)), why);
	row(&rs, "OpenSSL secure heap active", check_secure_heap(why,
	    sizeof(why)), why);
	row(&rs, "process hardened", check_harden(why, sizeof(why)), why);
	row(&rs, "OpenSSL version", check_version(why, sizeof(why)), why);
	ERR_clear_error();

	*n = rs.n < max ? rs.n : max;
	if (rs.n > max)
		return kr_err_set(KR_ERR_INVALID_ARGUMENT, "self-test results "
		    "need %zu rows, room for %zu", rs.n, max);
	if (rs.failed > 0)
		return kr_err_set(KR_ERR_SELFTEST_FAILED, "%zu of %zu "
		    "self-tests failed; first: %s", rs.failed, rs.n, rs.first);
	kr_err_clear();
	return 0;
}
