/*
 * bench_firmware.c: signing a 1 GiB firmware image in a whole batch
 * firmware-sign ceremony (ecdsa-p256 key, CMS + raw signature, self-tests,
 * roll call, the escrow package checked, three rehearsal cards recovering
 * the key, the transcript sealed and co-signed, the outputs published;
 * without the print-transcript step, whose PDF bench_paper times and whose
 * fonts and QR codes are memory the image does not add) against `openssl
 * dgst -sha256 -sign key.pem` on the same file with a P-256 key, the two
 * alternating, median of RUNS runs each; the ratio's target is 1.05.
 * Then the ceremony's peak resident set (wait4's ru_maxrss, which counts
 * every page keyrite locked) with a 1 GiB and a 4 GiB image: the target is
 * 16 MiB at both, that is, memory that does not grow with the image.
 *
 * The images are sparse files: their bytes come from the page cache for
 * both programs alike, so the figures compare reading and hashing, not
 * the disk.  The 4 GiB run is timed too, for information.
 *
 * Needs $KEYRITE (the binary) and $KR_TOP (the source tree); make bench
 * sets both.  Exits 1 when a run fails or a target is missed.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-run.h"

#define RUNS		5
#define GIB		(1024ULL * 1024 * 1024)
#define RATIO_TARGET	1.05
#define RSS_TARGET_KIB	(16 * 1024)

static char dir[] = "/tmp/kr-bench-fw-XXXXXX";
static const char *keyrite, *top;

static int	sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command made from fmt; 0 or -1 (said on stderr). */
static int
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_firmware: failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

/* The key, its cards and package, once: in $dir/key. */
static int
make_key(void)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "%s/cards/softhsm2.conf", dir);
	setenv("SOFTHSM2_CONF", cmd, 1);
	setenv("KEYRITE_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so", 1);
	snprintf(cmd, sizeof(cmd), "%s rehearsal-cards --dir %s/cards "
	    "--count 5 >/dev/null && mkdir %s/key && %s run "
	    "%s/ceremony-scripts/firmware-key-create.ceremony --rehearsal "
	    "--media %s/key --answers %s/docs/examples/"
	    "firmware-key-create.answers >/dev/null && openssl genpkey "
	    "-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s/key.pem "
	    "2>/dev/null", keyrite, dir, dir, keyrite, top, dir, top, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_firmware: making the key failed\n");
		return -1;
	}
	return 0;
}

/* A sparse image of size bytes and its manifest, in $dir/img-<tag>. */
static int
make_image(const char *tag, unsigned long long size)
{
	char path[4096], sz[32];

	snprintf(path, sizeof(path), "%s/img-%s", dir, tag);
	snprintf(sz, sizeof(sz), "%llu", size);
	if (mkdir(path, 0700) != 0 || sh("truncate -s %s %s/fw.bin", sz,
	    path) != 0)
		return -1;
	return sh("cd %s && { echo 'keyrite-release 1'; echo 'name bench %s'; "
	    "echo \"image fw.bin $(stat -c %%s fw.bin) $(sha256sum < fw.bin | "
	    "cut -d' ' -f1)\"; } > release.txt", path, tag);
}

/* A fresh medium: the key's files, the image and manifest linked in. */
static int
medium(const char *tag, int i, char *out, size_t outlen)
{
	char img[4096];

	snprintf(out, outlen, "%s/m-%s-%d", dir, tag, i);
	snprintf(img, sizeof(img), "%s/img-%s", dir, tag);
	if (mkdir(out, 0700) != 0 || sh("cp %s/key/* %s/", dir, out) != 0)
		return -1;
	/* A hard link: a plain file inside the medium, not 4 GiB copied. */
	return sh("ln %s/fw.bin %s/fw.bin", img, out);
}

static int
sign(const char *tag, int i, struct sample *s)
{
	char bin[4096], script[4096], media[4096], ans[4096], manifest[8192];
	char o_run[] = "run", o_media[] = "--media", o_ans[] = "--answers";
	char o_reh[] = "--rehearsal";
	char *argv[] = { bin, o_run, script, o_media, media, o_ans, ans,
	    o_reh, NULL };

	snprintf(bin, sizeof(bin), "%s", keyrite);
	snprintf(script, sizeof(script), "%s/ceremony-scripts/"
	    "firmware-sign.ceremony", top);
	if (unprinted(script, dir, "firmware-sign.ceremony", script,
	    sizeof(script)) != 0)
		return -1;
	snprintf(ans, sizeof(ans), "%s/docs/examples/firmware-sign.answers",
	    top);
	if (medium(tag, i, media, sizeof(media)) != 0)
		return -1;
	snprintf(manifest, sizeof(manifest), "%s/img-%s/release.txt", dir,
	    tag);
	if (sh("cp %s %s/", manifest, media) != 0 || run(argv, s) != 0) {
		fprintf(stderr, "bench_firmware: firmware-sign (%s, run %d) "
		    "failed\n", tag, i);
		return -1;
	}
	/* The signature, checked, so that a fast failure cannot pass. */
	return sh("openssl dgst -sha256 -verify %s/firmware-signing.pub.pem "
	    "-signature %s/fw.bin.sig %s/fw.bin >/dev/null", media, media,
	    media);
}

static int
openssl_sign(struct sample *s)
{
	char key[4096], out[4096], img[4096];
	char o_openssl[] = "/usr/bin/openssl", o_dgst[] = "dgst";
	char o_sha[] = "-sha256", o_sign[] = "-sign", o_out[] = "-out";
	char *argv[] = { o_openssl, o_dgst, o_sha, o_sign, key, o_out, out,
	    img, NULL };

	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(out, sizeof(out), "%s/openssl.sig", dir);
	snprintf(img, sizeof(img), "%s/img-1g/fw.bin", dir);
	return run(argv, s);
}

int
main(void)
{
	struct sample kr[RUNS], os[RUNS], four;
	char load[64] = "?";
	FILE *f;
	double k, o;
	long rss1 = 0;
	int i, ok = 1;

	keyrite = getenv("KEYRITE");
	top = getenv("KR_TOP");
	if (keyrite == NULL || top == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_firmware: set KEYRITE and KR_TOP\n");
		return 1;
	}
	if (make_key() != 0 || make_image("1g", GIB) != 0 ||
	    make_image("4g", 4 * GIB) != 0)
		goto fail;
	for (i = 0; i < RUNS; i++) {
		if (openssl_sign(&os[i]) != 0 || sign("1g", i, &kr[i]) != 0)
			goto fail;
		if (kr[i].maxrss_kib > rss1)
			rss1 = kr[i].maxrss_kib;
		if (sh("rm -rf %s/m-1g-*", dir) != 0)
			goto fail;
	}
	if (sign("4g", 0, &four) != 0)
		goto fail;
	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fgets(load, sizeof(load), f) != NULL)
			load[strcspn(load, " ")] = '\0';
		fclose(f);
	}
	k = median(kr, RUNS, 0);
	o = median(os, RUNS, 0);
	printf("\nFirmware signing in batch, 1 GiB sparse image, median of %d "
	    "runs, alternating (load average %s).\n\n", RUNS, load);
	printf("%-52s %8.0f ms wall %6.0f ms CPU\n", "firmware-sign ceremony "
	    "(ecdsa-p256, CMS + raw)", k * 1e3, median(kr, RUNS, 1) * 1e3);
	printf("%-52s %8.0f ms wall %6.0f ms CPU\n", "openssl dgst -sha256 "
	    "-sign key.pem", o * 1e3, median(os, RUNS, 1) * 1e3);
	printf("%-52s %8.2f    target <= %.2f   %s\n", "ratio, ceremony / "
	    "openssl", k / o, RATIO_TARGET, k / o <= RATIO_TARGET ? "PASS" :
	    "BELOW TARGET");
	printf("%-52s %8.2f    (for information: CPU is what a busy machine "
	    "cannot blur)\n", "CPU ratio, ceremony / openssl",
	    median(kr, RUNS, 1) / median(os, RUNS, 1));
	printf("%-52s %8.1f MiB target <= %d    %s\n", "peak RSS, 1 GiB image "
	    "(highest of the runs)", rss1 / 1024.0, RSS_TARGET_KIB / 1024,
	    rss1 <= RSS_TARGET_KIB ? "PASS" : "BELOW TARGET");
	printf("%-52s %8.1f MiB target <= %d    %s\n", "peak RSS, 4 GiB image",
	    four.maxrss_kib / 1024.0, RSS_TARGET_KIB / 1024,
	    four.maxrss_kib <= RSS_TARGET_KIB ? "PASS" : "BELOW TARGET");
	printf("%-52s %8.0f ms\n", "firmware-sign ceremony, 4 GiB image",
	    four.wall * 1e3);
	/*
	 * keyrite locks every page it touches (mlockall with MCL_ONFAULT),
	 * the shared libraries' included: the fixed part of the figures
	 * above is that, which keyrite selftest alone shows; the image's
	 * part is the difference.
	 */
	{
		char bin[4096], o_self[] = "selftest";
		char *argv[] = { bin, o_self, NULL };
		struct sample base;

		snprintf(bin, sizeof(bin), "%s", keyrite);
		if (run(argv, &base) == 0)
			printf("%-52s %8.1f MiB (the fixed part: every page "
			    "touched, locked)\n%-52s %8.1f MiB\n",
			    "peak RSS, keyrite selftest alone",
			    base.maxrss_kib / 1024.0,
			    "peak RSS, 4 GiB image over selftest alone",
			    (four.maxrss_kib - base.maxrss_kib) / 1024.0);
	}
	ok = k / o <= RATIO_TARGET && rss1 <= RSS_TARGET_KIB &&
	    four.maxrss_kib <= RSS_TARGET_KIB;
	sh("rm -rf %s", dir);
	return ok ? 0 : 1;
 fail:
	sh("rm -rf %s", dir);
	return 1;
}
