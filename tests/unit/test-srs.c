/*
 * test-srs.c - unit tests for delivery/srs.c: SRS0 round trip, SRS1 for
 * an already rewritten sender, bounces left alone, forged hashes,
 * expired timestamps, another key, re-cased bounces.  Run by `make check`.
 */
#include "srs.h"

#include <check.h>
#include <sodium.h>
#include <string.h>

static const unsigned char key1[] = "first secret key";
static const unsigned char key2[] = "other secret key";

static const struct srs srs1 = {
    .domain = "srs.example",
    .key = key1,
    .keylen = sizeof(key1) - 1,
    .hash_len = 8,
    .max_age_days = 21,
};

#define NOW ((time_t)1763900000) /* Nov 2025 */
#define DAY 86400

START_TEST(test_round_trip)
{
	char fwd[SRS_ADDRESS_MAX], back[SRS_ADDRESS_MAX];
	const char *err;

	ck_assert_int_eq(srs_forward(&srs1, "Joe.Bloggs@Sender.Example", NOW,
				     fwd, sizeof(fwd)),
			 0);
	ck_assert_msg(strncmp(fwd, "SRS0=", 5) == 0, "%s", fwd);
	ck_assert_ptr_nonnull(
	    strstr(fwd, "=Sender.Example=Joe.Bloggs@srs.example"));
	ck_assert_int_eq(
	    srs_reverse(&srs1, fwd, NOW + 3 * DAY, back, sizeof(back), &err),
	    1);
	ck_assert_str_eq(back, "Joe.Bloggs@Sender.Example");
}
END_TEST

START_TEST(test_recased_bounce)
{
	char fwd[SRS_ADDRESS_MAX], back[SRS_ADDRESS_MAX];
	const char *err;

	ck_assert_int_eq(
	    srs_forward(&srs1, "a@b.example", NOW, fwd, sizeof(fwd)), 0);
	for (char *p = fwd; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ck_assert_int_eq(srs_reverse(&srs1, fwd, NOW, back, sizeof(back), &err),
			 1);
	ck_assert_str_eq(back, "a@b.example");
}
END_TEST

START_TEST(test_unchanged)
{
	char fwd[SRS_ADDRESS_MAX];

	ck_assert_int_eq(srs_forward(&srs1, "", NOW, fwd, sizeof(fwd)), 0);
	ck_assert_str_eq(fwd, "");
	ck_assert_int_eq(
	    srs_forward(&srs1, "x@SRS.example", NOW, fwd, sizeof(fwd)), 0);
	ck_assert_str_eq(fwd, "x@SRS.example");
	ck_assert_int_eq(
	    srs_forward(&srs1, "no-at-sign", NOW, fwd, sizeof(fwd)), -1);
}
END_TEST

START_TEST(test_srs1)
{
	char fwd[SRS_ADDRESS_MAX], back[SRS_ADDRESS_MAX],
	    back2[SRS_ADDRESS_MAX];
	const char *err;
	const char *srs0 = "SRS0=HHHH=TT=orig.example=joe@first.example";

	ck_assert_int_eq(srs_forward(&srs1, srs0, NOW, fwd, sizeof(fwd)), 0);
	ck_assert_msg(strncmp(fwd, "SRS1=", 5) == 0, "%s", fwd);
	ck_assert_ptr_nonnull(strstr(
	    fwd, "=first.example==HHHH=TT=orig.example=joe@srs.example"));
	ck_assert_int_eq(srs_reverse(&srs1, fwd, NOW, back, sizeof(back), &err),
			 1);
	ck_assert_str_eq(back, srs0);
	/* forwarding an SRS1 again keeps the first forwarder */
	ck_assert_int_eq(srs_forward(&srs1,
				     "SRS1=XXXX=first.example==HHHH=TT="
				     "orig.example=joe@second.example",
				     NOW, back2, sizeof(back2)),
			 0);
	ck_assert_str_eq(back2, fwd);
}
END_TEST

START_TEST(test_refused)
{
	char fwd[SRS_ADDRESS_MAX], back[SRS_ADDRESS_MAX], bad[SRS_ADDRESS_MAX];
	struct srs other = srs1;
	const char *err;
	char *h;

	ck_assert_int_eq(
	    srs_forward(&srs1, "a@b.example", NOW, fwd, sizeof(fwd)), 0);
	/* expired: max_age_days + 1 later */
	ck_assert_int_eq(
	    srs_reverse(&srs1, fwd, NOW + 22 * DAY, back, sizeof(back), &err),
	    -1);
	ck_assert_str_eq(err, "expired SRS address");
	/* another key */
	other.key = key2;
	other.keylen = sizeof(key2) - 1;
	ck_assert_int_eq(
	    srs_reverse(&other, fwd, NOW, back, sizeof(back), &err), -1);
	ck_assert_str_eq(err, "bad SRS hash");
	/* a changed address under a valid-looking hash */
	memcpy(bad, fwd, sizeof(bad));
	h = strstr(bad, "=a@");
	ck_assert_ptr_nonnull(h);
	h[1] = 'z';
	ck_assert_int_eq(srs_reverse(&srs1, bad, NOW, back, sizeof(back), &err),
			 -1);
	/* not SRS, other domain, malformed */
	ck_assert_int_eq(srs_reverse(&srs1, "joe@srs.example", NOW, back,
				     sizeof(back), &err),
			 0);
	ck_assert_int_eq(srs_reverse(&srs1, fwd, NOW, back, sizeof(back), &err),
			 1);
	ck_assert_int_eq(srs_reverse(&srs1, "SRS0=abc@elsewhere.example", NOW,
				     back, sizeof(back), &err),
			 0);
	ck_assert_int_eq(srs_reverse(&srs1, "SRS0=abc@srs.example", NOW, back,
				     sizeof(back), &err),
			 -1);
	ck_assert_int_eq(srs_reverse(&srs1, "SRS1=abc@srs.example", NOW, back,
				     sizeof(back), &err),
			 -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("srs");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 1;
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_recased_bounce);
	tcase_add_test(tc, test_unchanged);
	tcase_add_test(tc, test_srs1);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
