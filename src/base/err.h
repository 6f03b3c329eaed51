/*
 * err.h: keyrite's error codes.
 *
 * Every engine function that can fail returns 0 or a negative KR_ERR_* code.
 * Codes are grouped in ranges of 100 per subsystem, so a code alone says
 * where a failure came from.  kr_strerror() gives a fixed sentence per code;
 * kr_err_detail() gives the context of the most recent failure in this thread
 * (which card, file, line or field, and what to do next).  Details never
 * contain secrets.
 */
#ifndef KR_ERR_H
#define KR_ERR_H

#include <stddef.h>

/* General: -1 .. -99 */
#define KR_ERR_INTERNAL			-1	/* a bug in keyrite */
#define KR_ERR_NOMEM			-2
#define KR_ERR_INVALID_ARGUMENT		-3
#define KR_ERR_SYSTEM			-4	/* a system call failed; see detail */
#define KR_ERR_LIBCRYPTO		-5	/* OpenSSL failed; see detail */
#define KR_ERR_IO			-6
#define KR_ERR_EXISTS			-7	/* refusing to overwrite */
#define KR_ERR_NOT_FOUND		-8
#define KR_ERR_TOO_LARGE		-9
#define KR_ERR_ABORTED			-10
#define KR_ERR_FORMAT			-11	/* malformed input */
#define KR_ERR_UNSUPPORTED		-12
#define KR_ERR_SIGNALLED		-13	/* a signal stopped it */
#define KR_ERR_TERMINAL_LOST		-14	/* the frontend's terminal went
						   away (hang-up, EOF, EIO) */

/* Secret memory and process hardening: -100 .. -199 */
#define KR_ERR_SECMEM_MMAP		-100
#define KR_ERR_SECMEM_MLOCK		-101
#define KR_ERR_SECMEM_HEAP		-102	/* OpenSSL secure heap */
#define KR_ERR_HARDEN			-103

/* Self-tests: -200 .. -299 */
#define KR_ERR_SELFTEST_FAILED		-200
#define KR_ERR_SELFTEST_RNG		-201

/* Air-gap: -300 .. -399 */
#define KR_ERR_AIRGAP_NETIF		-300	/* a network interface exists */
#define KR_ERR_AIRGAP_USB		-301	/* a network-class USB device */
#define KR_ERR_AIRGAP_RADIO		-302	/* rfkill / Bluetooth device */
#define KR_ERR_AIRGAP_SCAN		-303	/* could not complete the scan */
#define KR_ERR_AIRGAP_BREACHED		-304	/* a way out appeared during a
						   ceremony */

/* Shamir secret sharing: -400 .. -499 */
#define KR_ERR_SHAMIR_PARAMS		-400
#define KR_ERR_SHAMIR_TOO_FEW		-401
#define KR_ERR_SHAMIR_DUPLICATE		-402
#define KR_ERR_SHAMIR_INDEX		-403
#define KR_ERR_SHAMIR_RNG		-404
#define KR_ERR_SHAMIR_VERIFY		-405

/* Shares: -500 .. -599 */
#define KR_ERR_SHARE_FORMAT		-500
#define KR_ERR_SHARE_CHECKSUM		-501
#define KR_ERR_SHARE_COMMITMENT		-502
#define KR_ERR_SHARE_FOREIGN_KEY	-503
#define KR_ERR_SHARE_FOREIGN_SET	-504
#define KR_ERR_SHARE_VERSION		-505

/* Escrow packages: -600 .. -699 */
#define KR_ERR_ESCROW_FORMAT		-600
#define KR_ERR_ESCROW_INTEGRITY		-601	/* GCM tag did not verify */
#define KR_ERR_ESCROW_VERSION		-602
#define KR_ERR_ESCROW_KEY_MISMATCH	-603
#define KR_ERR_ESCROW_SUPERSEDED	-604	/* a reshare replaced it */
#define KR_ERR_KEY_DESTROYED		-605	/* a key-destroy ended it */

/* Keys: -700 .. -799 */
#define KR_ERR_KEY_ALGORITHM		-700
#define KR_ERR_KEY_GENERATE		-701
#define KR_ERR_KEY_MISMATCH		-702
#define KR_ERR_KEY_DECODE		-703
#define KR_ERR_KEY_PASSPHRASE		-704	/* an encrypted key would not open */

/* X.509 certificates: -800 .. -899 */
#define KR_ERR_X509_SUBJECT		-800	/* subject string rejected */
#define KR_ERR_X509_REQUEST		-801	/* validity or path length */
#define KR_ERR_X509_SIGN		-802	/* building or signing failed */
#define KR_ERR_X509_SELFCHECK		-803	/* the signed cert failed a check */
#define KR_ERR_X509_DECODE		-804	/* not one DER certificate in PEM */
#define KR_ERR_X509_SERIAL		-805	/* no random serial number */
#define KR_ERR_X509_CSR			-806	/* not a good PKCS#10 request */
#define KR_ERR_X509_PROFILE		-807	/* would break profile or policy */
#define KR_ERR_X509_VERIFY		-808	/* issued, but does not verify */
#define KR_ERR_CRL			-809	/* a CRL read is refused */
#define KR_ERR_REVOCATIONS		-810	/* a revocation list is refused */
#define KR_ERR_X509_CERT		-811	/* a certificate given is refused */
#define KR_ERR_OCSP			-812	/* an OCSP status list is refused */

/* Tokens (PKCS#11): -1000 .. -1099 */
#define KR_ERR_TOKEN_MODULE		-1000
#define KR_ERR_TOKEN_NOT_PRESENT	-1001
#define KR_ERR_TOKEN_PIN_INCORRECT	-1002
#define KR_ERR_TOKEN_PIN_LOCKED		-1003
#define KR_ERR_TOKEN_ATTEMPTS		-1004	/* keyrite's own bound reached */
#define KR_ERR_TOKEN_EXISTS		-1005
#define KR_ERR_TOKEN_READBACK		-1006
#define KR_ERR_TOKEN_WRITE_PROTECTED	-1007
#define KR_ERR_TOKEN_GENERAL		-1008
#define KR_ERR_TOKEN_REMOVED		-1009
#define KR_ERR_TOKEN_FULL		-1010	/* no room left on the card */
#define KR_ERR_TOKEN_NOT_LOGGED_IN	-1011
#define KR_ERR_TOKEN_UNSUPPORTED	-1012	/* card cannot do what keyrite needs */
#define KR_ERR_TOKEN_NOT_INITIALIZED	-1013	/* no token or no user PIN yet */
#define KR_ERR_TOKEN_CUSTODIAN_KEY	-1014	/* custodian key unusable */
#define KR_ERR_TOKEN_NOT_QUALIFIED	-1015	/* software token, real ceremony */
#define KR_ERR_TOKEN_ID_EXISTS		-1016	/* an object with the key id */

/* Scripts and policy: -1100 .. -1199 */
#define KR_ERR_SCRIPT_SYNTAX		-1100
#define KR_ERR_POLICY_VIOLATION		-1101
#define KR_ERR_POLICY_SYNTAX		-1102	/* malformed policy file */
#define KR_ERR_SCRIPT_PARAM		-1103	/* bad --set NAME=VALUE */
#define KR_ERR_SCRIPT_NOT_REVIEWED	-1104	/* real ceremony, unreviewed file */
#define KR_ERR_CRYPTOPERIOD_ENDED	-1105	/* the key may sign nothing new */

/* Engine, media, transcript: -1200 .. -1299 */
#define KR_ERR_ENGINE_STATE		-1200
#define KR_ERR_MEDIA			-1201
#define KR_ERR_TRANSCRIPT_CHAIN		-1202
#define KR_ERR_TRANSCRIPT_SIGNATURE	-1203
#define KR_ERR_ANSWER_MISSING		-1204
#define KR_ERR_TRANSCRIPT_UNSEALED	-1210	/* intact, but ends before the seal */
#define KR_ERR_TRANSCRIPT_FORMAT	-1211	/* not a transcript, or a bad line */

/* The paper record, scanning, printing: -1300 .. -1399 */
#define KR_ERR_PAPER_RENDER		-1300	/* cairo, fonts, QR encoding */
#define KR_ERR_SCAN_IMAGE		-1301	/* an image or PDF unreadable */
#define KR_ERR_SCAN_INCOMPLETE		-1302	/* chunks missing */
#define KR_ERR_SCAN_CONFLICT		-1303	/* chunks disagree */
#define KR_ERR_PRINTER_NONE		-1310	/* no printer (or not that one) */
#define KR_ERR_PRINTER_STOPPED		-1311	/* queue stopped or rejecting */
#define KR_ERR_PRINTER_MEDIA		-1312	/* out of paper, jammed, cover */
#define KR_ERR_PRINTER_GONE		-1313	/* printer offline or removed */
#define KR_ERR_PRINTER_JOB		-1314	/* job refused, aborted, cancelled */
#define KR_ERR_PAPER_HELPER		-1320	/* keyrite-paper missing, died or
						   answered badly */
/* Firmware releases and images: -1500 .. -1599 */
#define KR_ERR_RELEASE_FORMAT		-1500	/* malformed release manifest */
#define KR_ERR_RELEASE_MISMATCH		-1501	/* an image is not what the
						   manifest says */
#define KR_ERR_PE_FORMAT		-1502	/* not a well-formed PE/COFF */
#define KR_ERR_PE_SIGNED		-1503	/* carries a signature already */
#define KR_ERR_CMS			-1504	/* a signature container failed
						   to build or check */

/*
 * Returns a fixed, static description of code (0 gives "success").  Never
 * NULL; unknown codes give "unknown error".
 */
const char	*kr_strerror(int code);

/*
 * Sets this thread's error detail with printf-style formatting and returns
 * code, so that callers can write `return kr_err_set(KR_ERR_X, "...")`.
 * The detail must name what failed and say what to do; never a secret.
 */
int		 kr_err_set(int code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Drains OpenSSL's error queue into this thread's detail, prefixed with
 * what (e.g. "signing the certificate"), and returns code.  The queue is
 * empty afterwards.
 */
int		 kr_err_libcrypto(int code, const char *what);

/*
 * Like kr_err_set() but appends strerror(errno) (errno is read first and
 * preserved).
 */
int		 kr_err_errno(int code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* This thread's detail for the latest failure, or "" if none. */
const char	*kr_err_detail(void);

/* Forgets this thread's detail. */
void		 kr_err_clear(void);

#endif /* KR_ERR_H */
