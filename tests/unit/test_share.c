/*
 * test_share.c: the share format round-trips, and damage to any bit of an
 * encoded share is detected and names the share's source.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "base/err.h"
#include "crypto/share.h"

static void
sample(struct kr_share *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < sizeof(s->key_id); i++) {
		s->key_id[i] = (uint8_t)(0x10 + i);
		s->set_id[i] = (uint8_t)(0xa0 + i);
	}
	for (i = 0; i < sizeof(s->y); i++)
		s->y[i] = (uint8_t)(i * 7 + 3);
	s->m = 3;
	s->n = 5;
	s->x = 4;
}

Test(share, round_trip)
{
	struct kr_share s, t;
	uint8_t enc[KR_SHARE_BYTES];

	sample(&s);
	cr_assert_eq(kr_share_encode(&s, enc), 0, "encode: %s",
	    kr_err_detail());
	cr_assert_eq(memcmp(enc, "KRSH", 4), 0, "magic");
	cr_assert_eq(enc[4], KR_SHARE_VERSION, "version byte");
	cr_assert_eq(kr_share_decode(enc, sizeof(enc), "card X", &t), 0,
	    "decode: %s", kr_err_detail());
	cr_assert_eq(memcmp(&s, &t, sizeof(s)), 0, "decoded differs");
}

Test(share, every_flipped_bit_detected_and_named)
{
	struct kr_share s, t;
	uint8_t enc[KR_SHARE_BYTES], bad[KR_SHARE_BYTES];
	size_t i;
	int bit, r;

	sample(&s);
	cr_assert_eq(kr_share_encode(&s, enc), 0, "encode");
	for (i = 0; i < sizeof(enc); i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, enc, sizeof(bad));
			bad[i] ^= (uint8_t)(1 << bit);
			r = kr_share_decode(bad, sizeof(bad),
			    "card custodian-4 (serial 00ff)", &t);
			cr_assert(r == KR_ERR_SHARE_CHECKSUM ||
			    r == KR_ERR_SHARE_FORMAT ||
			    r == KR_ERR_SHARE_VERSION,
			    "byte %zu bit %d: flip not detected (r=%d)", i, bit,
			    r);
			cr_assert_not_null(strstr(kr_err_detail(),
			    "custodian-4"), "byte %zu bit %d: source not named: "
			    "%s", i, bit, kr_err_detail());
		}
	}
}

Test(share, wrong_lengths_rejected)
{
	struct kr_share s, t;
	uint8_t enc[KR_SHARE_BYTES + 1];

	sample(&s);
	cr_assert_eq(kr_share_encode(&s, enc), 0, "encode");
	cr_assert_eq(kr_share_decode(enc, KR_SHARE_BYTES - 1, "f", &t),
	    KR_ERR_SHARE_FORMAT, "short share accepted");
	cr_assert_eq(kr_share_decode(enc, KR_SHARE_BYTES + 1, "f", &t),
	    KR_ERR_SHARE_FORMAT, "long share accepted");
	cr_assert_eq(kr_share_decode(enc, 0, "f", &t), KR_ERR_SHARE_FORMAT,
	    "empty share accepted");
}

Test(share, out_of_range_fields_refused)
{
	static const struct { uint8_t m, n, x; } bad[] = {
		{ 1, 5, 1 }, { 6, 5, 1 }, { 3, 5, 0 }, { 3, 5, 6 },
		{ 0, 0, 0 },
	};
	struct kr_share s;
	uint8_t enc[KR_SHARE_BYTES];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sample(&s);
		s.m = bad[i].m;
		s.n = bad[i].n;
		s.x = bad[i].x;
		cr_assert_eq(kr_share_encode(&s, enc), KR_ERR_SHARE_FORMAT,
		    "m=%u n=%u x=%u accepted", s.m, s.n, s.x);
	}
}

Test(share, commitment_and_check)
{
	struct kr_share s;
	uint8_t c[KR_SHARE_COMMIT_BYTES], other[KR_SHARE_ID_BYTES];

	sample(&s);
	cr_assert_eq(kr_share_commitment(s.set_id, s.x, s.y, c), 0, "commit");
	cr_assert_eq(kr_share_check(&s, "card A", s.key_id, s.set_id, c), 0,
	    "good share refused: %s", kr_err_detail());

	memset(other, 0x55, sizeof(other));
	cr_assert_eq(kr_share_check(&s, "card A", other, s.set_id, c),
	    KR_ERR_SHARE_FOREIGN_KEY, "foreign key not detected");
	cr_assert_not_null(strstr(kr_err_detail(), "card A"), "not named");
	cr_assert_eq(kr_share_check(&s, "card A", s.key_id, other, c),
	    KR_ERR_SHARE_FOREIGN_SET, "foreign set not detected");
	s.y[31] ^= 0x80;
	cr_assert_eq(kr_share_check(&s, "card A", s.key_id, s.set_id, c),
	    KR_ERR_SHARE_COMMITMENT, "changed value not detected");
	cr_assert_not_null(strstr(kr_err_detail(), "card A"), "not named");
}
