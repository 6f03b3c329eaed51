/*
 * err.c: error codes to text, and the per-thread error detail.
 *
 * The code says what kind of failure happened; the detail says to which
 * card, file, line or field, and what to do next.  OpenSSL keeps its own
 * error queue; kr_err_libcrypto() drains it into the detail so the queue
 * never leaks a stale message into a later, unrelated failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "err.h"

#define DETAIL_MAX	1024

static _Thread_local char detail[DETAIL_MAX];

static const struct {
	int		 code;
	const char	*text;
} errors[] = {
	{ 0,				"success" },
	{ KR_ERR_INTERNAL,		"internal error (a bug in keyrite)" },
	{ KR_ERR_NOMEM,			"out of memory" },
	{ KR_ERR_INVALID_ARGUMENT,	"invalid argument" },
	{ KR_ERR_SYSTEM,		"system call failed" },
	{ KR_ERR_LIBCRYPTO,		"cryptographic library error" },
	{ KR_ERR_IO,			"input/output error" },
	{ KR_ERR_EXISTS,		"refusing to overwrite an existing file" },
	{ KR_ERR_NOT_FOUND,		"not found" },
	{ KR_ERR_TOO_LARGE,		"input too large" },
	{ KR_ERR_ABORTED,		"aborted" },
	{ KR_ERR_FORMAT,		"malformed input" },
	{ KR_ERR_UNSUPPORTED,		"not supported" },
	{ KR_ERR_SIGNALLED,		"stopped by a signal" },
	{ KR_ERR_TERMINAL_LOST,		"the terminal was lost" },
	{ KR_ERR_SECMEM_MMAP,		"could not map secret memory" },
	{ KR_ERR_SECMEM_MLOCK,		"could not lock secret memory" },
	{ KR_ERR_SECMEM_HEAP,		"could not start OpenSSL's secure heap" },
	{ KR_ERR_HARDEN,		"could not harden the process" },
	{ KR_ERR_SELFTEST_FAILED,	"self-test failed" },
	{ KR_ERR_SELFTEST_RNG,		"random generator health check failed" },
	{ KR_ERR_AIRGAP_NETIF,		"a network interface is present" },
	{ KR_ERR_AIRGAP_USB,		"a network-capable USB device is attached" },
	{ KR_ERR_AIRGAP_RADIO,		"a radio (rfkill/Bluetooth) device is present" },
	{ KR_ERR_AIRGAP_SCAN,		"could not complete the air-gap scan" },
	{ KR_ERR_AIRGAP_BREACHED,	"the air gap was breached during the ceremony" },
	{ KR_ERR_SHAMIR_PARAMS,		"invalid threshold or share count" },
	{ KR_ERR_SHAMIR_TOO_FEW,	"not enough shares" },
	{ KR_ERR_SHAMIR_DUPLICATE,	"duplicate share index" },
	{ KR_ERR_SHAMIR_INDEX,		"invalid share index" },
	{ KR_ERR_SHAMIR_RNG,		"random generator failed while splitting" },
	{ KR_ERR_SHAMIR_VERIFY,		"split verification failed" },
	{ KR_ERR_SHARE_FORMAT,		"malformed share" },
	{ KR_ERR_SHARE_CHECKSUM,	"share is damaged (checksum mismatch)" },
	{ KR_ERR_SHARE_COMMITMENT,	"share does not match its commitment" },
	{ KR_ERR_SHARE_FOREIGN_KEY,	"share belongs to another key" },
	{ KR_ERR_SHARE_FOREIGN_SET,	"share belongs to another split of this key" },
	{ KR_ERR_SHARE_VERSION,		"unsupported share format version" },
	{ KR_ERR_ESCROW_FORMAT,		"malformed escrow package" },
	{ KR_ERR_ESCROW_INTEGRITY,	"escrow package failed its integrity check" },
	{ KR_ERR_ESCROW_VERSION,	"unsupported escrow package version" },
	{ KR_ERR_ESCROW_KEY_MISMATCH,	"recovered key does not match the escrow package" },
	{ KR_ERR_ESCROW_SUPERSEDED,	"escrow package superseded by a reshare" },
	{ KR_ERR_KEY_DESTROYED,		"key destroyed" },
	{ KR_ERR_KEY_ALGORITHM,		"unsupported key algorithm" },
	{ KR_ERR_KEY_GENERATE,		"key generation failed" },
	{ KR_ERR_KEY_MISMATCH,		"private key does not match public key" },
	{ KR_ERR_KEY_DECODE,		"could not decode key" },
	{ KR_ERR_KEY_PASSPHRASE,	"wrong passphrase for the encrypted key" },
	{ KR_ERR_X509_SUBJECT,		"invalid certificate subject" },
	{ KR_ERR_X509_REQUEST,		"request outside the certificate profile" },
	{ KR_ERR_X509_SIGN,		"could not build or sign the certificate" },
	{ KR_ERR_X509_SELFCHECK,	"the signed certificate failed its self-check" },
	{ KR_ERR_X509_DECODE,		"could not read the certificate" },
	{ KR_ERR_X509_SERIAL,		"could not draw a random serial number" },
	{ KR_ERR_X509_CSR,		"the certificate request was refused" },
	{ KR_ERR_X509_PROFILE,		"the certificate or CRL would break its profile or the policy" },
	{ KR_ERR_X509_VERIFY,		"the issued certificate or CRL does not verify under its issuer" },
	{ KR_ERR_CRL,			"the CRL was refused" },
	{ KR_ERR_REVOCATIONS,		"the revocation list was refused" },
	{ KR_ERR_X509_CERT,		"the certificate given was refused" },
	{ KR_ERR_OCSP,			"the OCSP status list was refused" },
	{ KR_ERR_TOKEN_MODULE,		"could not load the PKCS#11 module" },
	{ KR_ERR_TOKEN_NOT_PRESENT,	"card not present" },
	{ KR_ERR_TOKEN_PIN_INCORRECT,	"incorrect PIN" },
	{ KR_ERR_TOKEN_PIN_LOCKED,	"card PIN is locked" },
	{ KR_ERR_TOKEN_ATTEMPTS,	"too many PIN attempts" },
	{ KR_ERR_TOKEN_EXISTS,		"card already holds a share of this key" },
	{ KR_ERR_TOKEN_ID_EXISTS,	"the token already holds an object with this key's id" },
	{ KR_ERR_TOKEN_READBACK,	"share read back from the card differs" },
	{ KR_ERR_TOKEN_WRITE_PROTECTED,	"card is write-protected" },
	{ KR_ERR_TOKEN_GENERAL,		"card error" },
	{ KR_ERR_TOKEN_REMOVED,		"card was removed" },
	{ KR_ERR_TOKEN_FULL,		"card is full" },
	{ KR_ERR_TOKEN_NOT_LOGGED_IN,	"not logged in to the card" },
	{ KR_ERR_TOKEN_UNSUPPORTED,	"card cannot do what keyrite needs" },
	{ KR_ERR_TOKEN_NOT_INITIALIZED,	"card is not prepared" },
	{ KR_ERR_TOKEN_CUSTODIAN_KEY,	"card's custodian key is unusable" },
	{ KR_ERR_TOKEN_NOT_QUALIFIED,	"card not qualified for a real ceremony" },
	{ KR_ERR_SCRIPT_SYNTAX,		"ceremony script error" },
	{ KR_ERR_POLICY_VIOLATION,	"policy violation" },
	{ KR_ERR_POLICY_SYNTAX,		"policy file error" },
	{ KR_ERR_SCRIPT_PARAM,		"invalid ceremony parameter" },
	{ KR_ERR_SCRIPT_NOT_REVIEWED,	"not a reviewed, installed script" },
	{ KR_ERR_CRYPTOPERIOD_ENDED,	"the key's cryptoperiod has ended" },
	{ KR_ERR_ENGINE_STATE,		"ceremony engine in wrong state" },
	{ KR_ERR_MEDIA,			"media error" },
	{ KR_ERR_TRANSCRIPT_CHAIN,	"transcript hash chain broken" },
	{ KR_ERR_TRANSCRIPT_SIGNATURE,	"transcript signature invalid" },
	{ KR_ERR_ANSWER_MISSING,	"an answer is missing" },
	{ KR_ERR_TRANSCRIPT_UNSEALED,	"transcript is not sealed" },
	{ KR_ERR_TRANSCRIPT_FORMAT,	"malformed transcript" },
	{ KR_ERR_PAPER_RENDER,		"could not render the paper record" },
	{ KR_ERR_SCAN_IMAGE,		"could not read a scanned image" },
	{ KR_ERR_SCAN_INCOMPLETE,	"the scanned codes are incomplete" },
	{ KR_ERR_SCAN_CONFLICT,		"the scanned codes disagree" },
	{ KR_ERR_PRINTER_NONE,		"no printer" },
	{ KR_ERR_PRINTER_STOPPED,	"the printer queue is stopped" },
	{ KR_ERR_PRINTER_MEDIA,		"the printer needs attention (paper)" },
	{ KR_ERR_PRINTER_GONE,		"the printer is gone or offline" },
	{ KR_ERR_PRINTER_JOB,		"the print job failed" },
	{ KR_ERR_PAPER_HELPER,		"the paper helper (keyrite-paper) failed" },
	{ KR_ERR_RELEASE_FORMAT,	"malformed release manifest" },
	{ KR_ERR_RELEASE_MISMATCH,	"image does not match the release "
					    "manifest" },
	{ KR_ERR_PE_FORMAT,		"malformed PE/COFF image" },
	{ KR_ERR_PE_SIGNED,		"image is signed already" },
	{ KR_ERR_CMS,			"signature container error" },
};

const char *
kr_strerror(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == code)
			return errors[i].text;
	return "unknown error";
}

/*
 * Every setter formats into a buffer of its own and only then copies it
 * into the detail: callers may pass kr_err_detail() itself as an argument
 * ("%s: %s", file, kr_err_detail()) to add context to a lower layer's
 * message, and vsnprintf() with its destination among its arguments is
 * undefined (it garbled messages before).
 */
int
kr_err_set(int code, const char *fmt, ...)
{
	char text[DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(detail, text, sizeof(detail));
	return code;
}

int
kr_err_errno(int code, const char *fmt, ...)
{
	char text[DETAIL_MAX];
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	snprintf(text + n, sizeof(text) - n, ": %s", strerror(saved));
	memcpy(detail, text, sizeof(detail));
	errno = saved;
	return code;
}

int
kr_err_libcrypto(int code, const char *what)
{
	char text[DETAIL_MAX], buf[256];
	unsigned long e;
	size_t n, whatlen;

	snprintf(text, sizeof(text), "%s", what);
	whatlen = strlen(text);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		n = strlen(text);
		snprintf(text + n, sizeof(text) - n, "%s%s",
		    n == whatlen ? ": " : "; ", buf);
	}
	memcpy(detail, text, sizeof(detail));
	return code;
}

const char *
kr_err_detail(void)
{
	return detail;
}

void
kr_err_clear(void)
{
	detail[0] = '\0';
}
