/*
 * fuzz-ca.h: a CA for the harnesses of the inputs a CA key reads
 * (fuzz_csr.c, fuzz_crl.c): a fixed P-256 key and its self-signed
 * certificate, made once with `openssl req -x509` (subjectKeyIdentifier,
 * pathLen 1).  Test data only, published here: it signs nothing but
 * fuzzing inputs, so that inputs mutated by libFuzzer can be signed again
 * and reach the checks that come after a signature verifies.
 */
#ifndef KR_FUZZ_CA_H
#define KR_FUZZ_CA_H

#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char fuzz_ca_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIk+hH1cHanxwFZ2v\n"
    "0lIJfHl2GCcY5n7zPmWGgyP1ARahRANCAAQfpTi4qfaN39JCK4XBs2TdM35fv8TX\n"
    "p6zmeDMQ4jfaGHMdjW0jHdvvE/C/0pvB5T+zCEyCSahR/aYRbAKvfyV+\n"
    "-----END PRIVATE KEY-----\n"
    ;

static const char fuzz_ca_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBwDCCAWagAwIBAgIUQucDUqGn6epv8EZWTB6uhWHFeP4wCgYIKoZIzj0EAwIw\n"
    "KzEVMBMGA1UECgwMa2V5cml0ZSBmdXp6MRIwEAYDVQQDDAlGdXp6IFJvb3QwIBcN\n"
    "MjYxMjA2MTg1MzIxWhgPMjEyNjExMTIxODUzMjFaMCsxFTATBgNVBAoMDGtleXJp\n"
    "dGUgZnV6ejESMBAGA1UEAwwJRnV6eiBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
    "AQcDQgAEH6U4uKn2jd/SQiuFwbNk3TN+X7/E16es5ngzEOI32hhzHY1tIx3b7xPw\n"
    "v9KbweU/swhMgkmoUf2mEWwCr38lfqNmMGQwHQYDVR0OBBYEFO7QExX2EctuJJuv\n"
    "CgT6DfzNPxwKMB8GA1UdIwQYMBaAFO7QExX2EctuJJuvCgT6DfzNPxwKMBIGA1Ud\n"
    "EwEB/wQIMAYBAf8CAQEwDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0gAMEUC\n"
    "IQC5oDXqZxqUiHYs/SgpGNmN1nyGUgFvSRjt/yNO0BeLvQIgamKAe5VYS8no+rU8\n"
    "Eqr+lIM3iXY1Tch1jLCqy7XPxog=\n"
    "-----END CERTIFICATE-----\n"
    ;

/* Loads the key and the certificate once; aborts if they do not read. */
static void
fuzz_ca(EVP_PKEY **keyp, X509 **certp)
{
	static EVP_PKEY *key;
	static X509 *cert;
	BIO *b;

	if (key == NULL) {
		b = BIO_new_mem_buf(fuzz_ca_key, (int)strlen(fuzz_ca_key));
		key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		b = BIO_new_mem_buf(fuzz_ca_cert, (int)strlen(fuzz_ca_cert));
		cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
		if (key == NULL || cert == NULL)
			abort();
	}
	*keyp = key;
	*certp = cert;
}

#endif /* KR_FUZZ_CA_H */
