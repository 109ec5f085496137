/*
 * test-archive-volume.c - unit tests for archive/volume.c: a volume
 * written with three messages (one of exactly 512 bytes, one empty, one
 * larger than a zstd block) is listed and extracted by the system's zstd
 * and GNU tar with the same names and bytes; a name that is too long is
 * refused; an aborted volume leaves no file.  Run by `make check`.
 */
#include "volume.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/test-archive-volume.XXXXXX";

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	(void)fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	(void)fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	(void)fclose(fp);
	*len_r = (size_t)n;
	return buf;
}

START_TEST(test_roundtrip_with_tar)
{
	char path[256], cmd[1024], file[512];
	struct volume_writer *w;
	uint64_t size = 0;
	char *big = malloc(300000), *exact = malloc(512), *got;
	const char *small = "Subject: hi\r\n\r\nbody\r\n";
	size_t len;
	struct stat st;

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(exact);
	for (size_t i = 0; i < 300000; i++)
		big[i] = (char)("abcdefghij\r\n"[i % 12] + (i / 5000) % 3);
	memset(exact, 'x', 512);
	snprintf(path, sizeof(path), "%s/v.tar.zst", dir);
	ck_assert_int_eq(volume_open(path, 3, &w), 0);
	ck_assert_int_eq(
	    volume_add(w, "SER1/a.eml", small, strlen(small), 1700000000), 0);
	ck_assert_int_eq(volume_add(w, "SER1/b.eml", exact, 512, 1700000001),
			 0);
	ck_assert_int_eq(volume_add(w, "SER1/c.eml", "", 0, 1700000002), 0);
	ck_assert_int_eq(volume_add(w, "SER1/d.eml", big, 300000, 1700000003),
			 0);
	ck_assert_int_eq(volume_close(&w, &size), 0);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, size);
	/* a second volume with the same name is refused (O_EXCL) */
	ck_assert_int_eq(volume_open(path, 3, &w), -1);

	snprintf(cmd, sizeof(cmd),
		 "cd %s && zstd -q -t v.tar.zst && zstd -dc v.tar.zst | "
		 "tar -tf - > list && tar --zstd -xf v.tar.zst",
		 dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(file, sizeof(file), "%s/list", dir);
	got = slurp(file, &len);
	ck_assert_ptr_nonnull(got);
	got[len] = '\0';
	ck_assert_str_eq(got, "SER1/a.eml\nSER1/b.eml\nSER1/c.eml\n"
			      "SER1/d.eml\n");
	free(got);
	snprintf(file, sizeof(file), "%s/SER1/a.eml", dir);
	got = slurp(file, &len);
	ck_assert_uint_eq(len, strlen(small));
	ck_assert_mem_eq(got, small, len);
	free(got);
	snprintf(file, sizeof(file), "%s/SER1/b.eml", dir);
	got = slurp(file, &len);
	ck_assert_uint_eq(len, 512);
	ck_assert_mem_eq(got, exact, 512);
	free(got);
	snprintf(file, sizeof(file), "%s/SER1/c.eml", dir);
	got = slurp(file, &len);
	ck_assert_uint_eq(len, 0);
	free(got);
	snprintf(file, sizeof(file), "%s/SER1/d.eml", dir);
	got = slurp(file, &len);
	ck_assert_uint_eq(len, 300000);
	ck_assert_mem_eq(got, big, 300000);
	free(got);
	/* tar keeps the arrival time as the file's mtime */
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq((long long)st.st_mtime, 1700000003LL);
	free(big);
	free(exact);
}
END_TEST

START_TEST(test_name_and_abort)
{
	char path[256], name[120];
	struct volume_writer *w;

	snprintf(path, sizeof(path), "%s/aborted.tar.zst", dir);
	ck_assert_int_eq(volume_open(path, 3, &w), 0);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(volume_add(w, name, "x", 1, 0), -1);
	ck_assert_int_eq(volume_add(w, "", "x", 1, 0), -1);
	volume_abort(&w);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("archive-volume");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	char cmd[128];
	int failed;

	if (mkdtemp(dir) == NULL)
		return 1;
	tcase_add_test(tc, test_roundtrip_with_tar);
	tcase_add_test(tc, test_name_and_abort);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failed == 0 ? 0 : 1;
}
