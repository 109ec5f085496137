/*
 * test-i18n.c - unit tests of the catalogs and language negotiation
 * (mgmtd/i18n.c), and of the shipped catalogs: same keys in French and
 * English, and every {{t "key"}} of the shipped templates translated.
 */
#include "i18n.h"

#include "str.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct neg_case {
	const char *explicit_lang;
	const char *accept;
	const char *def;
	const char *want;
};

static const struct neg_case neg_cases[] = {
    {.want = "fr"},
    {.def = "en", .want = "en"},
    {.def = "de", .want = "fr"},
    {.explicit_lang = "en", .accept = "fr", .want = "en"},
    {.explicit_lang = "fr", .accept = "en", .def = "en", .want = "fr"},
    {.explicit_lang = "de", .accept = "en", .want = "en"},
    {.accept = "en-US,en;q=0.9", .want = "en"},
    {.accept = "fr-BE,fr;q=0.9,en;q=0.8", .def = "en", .want = "fr"},
    {.accept = "de-DE,de;q=0.9,en;q=0.5,fr;q=0.4", .want = "en"},
    {.accept = "de, fr;q=0.1, en;q=0.2", .want = "en"},
    {.accept = "EN", .want = "en"},
    {.accept = "en;q=0", .def = "fr", .want = "fr"},
    {.accept = "en;q=2", .want = "fr"},
    {.accept = "eng", .def = "fr", .want = "fr"},
    {.accept = "*", .def = "en", .want = "en"},
    {.accept = ",,;q=,en", .want = "en"},
    {.accept = "fr;q=0.5,en;q=0.5", .want = "fr"}, /* first wins a tie */
};

START_TEST(test_negotiate)
{
	const struct neg_case *c = &neg_cases[_i];

	ck_assert_str_eq(i18n_negotiate(c->explicit_lang, c->accept, c->def),
			 c->want);
}
END_TEST

START_TEST(test_parse)
{
	const char *src = "# comment\n\n a.b = Bonjour {} \nz=last\r\n"
			  "empty =\nx.y=a = b\n";
	char err[128] = "";
	struct i18n_catalog *cat =
	    i18n_catalog_parse(src, strlen(src), "t", err, sizeof(err));

	ck_assert_msg(cat != NULL, "%s", err);
	ck_assert_uint_eq(i18n_catalog_size(cat), 4);
	ck_assert_str_eq(i18n_get(cat, "a.b"), "Bonjour {}");
	ck_assert_str_eq(i18n_get(cat, "z"), "last");
	ck_assert_str_eq(i18n_get(cat, "empty"), "");
	ck_assert_str_eq(i18n_get(cat, "x.y"), "a = b");
	ck_assert_ptr_null(i18n_get(cat, "nope"));
	ck_assert_str_eq(i18n_text(cat, "nope"), "nope");
	ck_assert_str_eq(i18n_translate(cat, "z"), "last");
	i18n_catalog_free(&cat);
	ck_assert_ptr_null(cat);
}
END_TEST

struct bad_cat {
	const char *src;
	const char *err_part;
};

static const struct bad_cat bad_cats[] = {
    {.src = "no equals sign\n", .err_part = "t:1: expected"},
    {.src = "ok = 1\nbad key = 2\n", .err_part = "t:2: bad key"},
    {.src = " = text\n", .err_part = "bad key"},
    {.src = "a = 1\na = 2\n", .err_part = "duplicate key a"},
};

START_TEST(test_parse_bad)
{
	char err[128] = "";

	ck_assert_ptr_null(i18n_catalog_parse(
	    bad_cats[_i].src, strlen(bad_cats[_i].src), "t", err, sizeof(err)));
	ck_assert_msg(strstr(err, bad_cats[_i].err_part) != NULL, "got %s",
		      err);
}
END_TEST

static struct i18n_catalog *
shipped(const char *lang)
{
	const char *srcdir = getenv("CASIER_SRCDIR");
	char path[4096], err[256] = "";
	struct i18n_catalog *cat;

	ck_assert_int_ge(casier_snprintf(path, sizeof(path),
					 "%s/templates/locale/%s.cat",
					 srcdir == NULL ? "." : srcdir, lang),
			 0);
	cat = i18n_catalog_load(path, err, sizeof(err));
	ck_assert_msg(cat != NULL, "%s", err);
	return cat;
}

START_TEST(test_shipped_same_keys)
{
	struct i18n_catalog *fr = shipped("fr"), *en = shipped("en");

	ck_assert_uint_gt(i18n_catalog_size(fr), 100);
	ck_assert_uint_eq(i18n_catalog_size(fr), i18n_catalog_size(en));
	for (size_t i = 0; i < i18n_catalog_size(fr); i++)
		ck_assert_str_eq(i18n_catalog_key(fr, i),
				 i18n_catalog_key(en, i));
	ck_assert_str_eq(i18n_get(fr, "accounts.none"), "Pas de compte trouvé");
	ck_assert_str_eq(i18n_get(en, "accounts.none"), "No account found");
	i18n_catalog_free(&fr);
	i18n_catalog_free(&en);
}
END_TEST

/* Every {{t "key"}} of the templates (.html) exists in the French catalog. */
START_TEST(test_templates_translated)
{
	const char *srcdir = getenv("CASIER_SRCDIR");
	char dir[4096];
	struct i18n_catalog *fr = shipped("fr");
	DIR *d;
	struct dirent *de;
	unsigned int seen = 0;

	ck_assert_int_ge(casier_snprintf(dir, sizeof(dir), "%s/templates",
					 srcdir == NULL ? "." : srcdir),
			 0);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[8192], buf[65536];
		size_t n = strlen(de->d_name);
		ssize_t r;
		int fd;

		if (n < 6 || strcmp(de->d_name + n - 5, ".html") != 0)
			continue;
		ck_assert_int_ge(casier_snprintf(path, sizeof(path), "%s/%s",
						 dir, de->d_name),
				 0);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		ck_assert_int_ge(r, 0);
		buf[r] = '\0';
		for (char *p = strstr(buf, "{{t \""); p != NULL;
		     p = strstr(p + 1, "{{t \"")) {
			char key[128];
			char *q = strchr(p + 5, '"');

			ck_assert_ptr_nonnull(q);
			ck_assert_int_lt(q - (p + 5), (long)sizeof(key));
			memcpy(key, p + 5, (size_t)(q - (p + 5)));
			key[q - (p + 5)] = '\0';
			ck_assert_msg(i18n_get(fr, key) != NULL,
				      "%s: key %s missing", de->d_name, key);
			seen++;
		}
	}
	closedir(d);
	ck_assert_uint_gt(seen, 50);
	i18n_catalog_free(&fr);
}
END_TEST

/*
 * Every catalog key the page code names as a literal ("title.x",
 * "err.x", "confirm.x", "nav.x") exists in both catalogs: a missing one
 * would show its key to the user.  Scans mgmtd/page-*.c.
 */
START_TEST(test_code_keys_translated)
{
	static const char *const prefixes[] = {"\"title.", "\"err.",
					       "\"confirm.", "\"nav."};
	const char *srcdir = getenv("CASIER_SRCDIR");
	char dir[4096];
	struct i18n_catalog *fr = shipped("fr"), *en = shipped("en");
	DIR *d;
	struct dirent *de;
	unsigned int seen = 0;

	ck_assert_int_ge(casier_snprintf(dir, sizeof(dir), "%s/mgmtd",
					 srcdir == NULL ? "." : srcdir),
			 0);
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char path[8192];
		struct str src;
		char buf[8192];
		ssize_t r;
		int fd;
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "page-", 5) != 0 || n < 3 ||
		    strcmp(de->d_name + n - 2, ".c") != 0)
			continue;
		ck_assert_int_ge(casier_snprintf(path, sizeof(path), "%s/%s",
						 dir, de->d_name),
				 0);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		str_init(&src, 4 * 1024 * 1024);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			ck_assert_int_eq(str_append_mem(&src, buf, (size_t)r),
					 0);
		close(fd);
		for (size_t k = 0; k < CASIER_ARRAY_LEN(prefixes); k++) {
			for (char *p = strstr(src.data, prefixes[k]); p != NULL;
			     p = strstr(p + 1, prefixes[k])) {
				char key[128];
				char *q = strchr(p + 1, '"');
				size_t klen;

				ck_assert_ptr_nonnull(q);
				klen = (size_t)(q - (p + 1));
				ck_assert_uint_lt(klen, sizeof(key));
				memcpy(key, p + 1, klen);
				key[klen] = '\0';
				/* "err.%s.%s" and the like are built keys */
				if (strchr(key, '%') != NULL ||
				    key[klen - 1] == '.')
					continue;
				ck_assert_msg(i18n_get(fr, key) != NULL &&
						  i18n_get(en, key) != NULL,
					      "%s: key %s missing", de->d_name,
					      key);
				seen++;
			}
		}
		str_free(&src);
	}
	closedir(d);
	ck_assert_uint_gt(seen, 30);
	i18n_catalog_free(&fr);
	i18n_catalog_free(&en);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("i18n");
	TCase *tc = tcase_create("i18n");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_negotiate, 0,
			    (int)CASIER_ARRAY_LEN(neg_cases));
	tcase_add_test(tc, test_parse);
	tcase_add_loop_test(tc, test_parse_bad, 0,
			    (int)CASIER_ARRAY_LEN(bad_cats));
	tcase_add_test(tc, test_shipped_same_keys);
	tcase_add_test(tc, test_templates_translated);
	tcase_add_test(tc, test_code_keys_translated);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
