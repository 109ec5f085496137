/*
 * password.c - password hashing (Argon2id through libsodium), the
 * shipped word list and the password policy (DESIGN section 9).
 *
 * Called by the web manager and casier-admin when a password is set,
 * and by the web manager at login.  No privileges.  Hashing needs about
 * 64 MiB and tens of milliseconds (crypto_pwhash OPSLIMIT/MEMLIMIT
 * INTERACTIVE, the parameters Dovecot verifies); running out of memory
 * is an error (-1 / PASSWORD_ERROR), never a match.
 */
#include "password.h"
#include "str.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_SCHEME	   "{ARGON2ID}"
#define PASSWORD_MIN_CHARS 8
/* A local part or username shorter than this is not looked for inside
 * the password: nearly every password contains "a" or "jo". */
#define PASSWORD_NAME_MIN 3
#define WORDLIST_WORD_MAX 64

struct wordlist {
	char **words; /* sorted with strcmp */
	size_t count;
};

int
password_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
	char hash[crypto_pwhash_STRBYTES];
	size_t len = strlen(password);

	if (len > PASSWORD_MAX_LEN)
		return -1;
	if (crypto_pwhash_str(hash, password, len,
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	if (strncmp(hash, "$argon2id$", 10) != 0)
		return -1; /* libsodium's default must stay Argon2id */
	if (casier_snprintf(out, PASSWORD_HASH_MAX, "%s%s", PASSWORD_SCHEME,
			    hash) < 0)
		return -1;
	sodium_memzero(hash, sizeof(hash));
	return 0;
}

enum password_check
password_verify(const char *stored, const char *password)
{
	size_t plen = strlen(PASSWORD_SCHEME);
	const char *hash;

	/* Dovecot scheme names are case-insensitive. */
	if (strncasecmp(stored, PASSWORD_SCHEME, plen) != 0)
		return PASSWORD_ERROR;
	hash = stored + plen;
	if (strncmp(hash, "$argon2id$", 10) != 0 ||
	    strlen(hash) >= crypto_pwhash_STRBYTES)
		return PASSWORD_ERROR;
	/* Malformed parameters: an error, not a mismatch. */
	if (crypto_pwhash_str_needs_rehash(
		hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
		crypto_pwhash_MEMLIMIT_INTERACTIVE) < 0)
		return PASSWORD_ERROR;
	if (strlen(password) > PASSWORD_MAX_LEN)
		return PASSWORD_MISMATCH;
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) == 0)
		return PASSWORD_MATCH;
	return PASSWORD_MISMATCH;
}

static int
wordlist_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct wordlist *
wordlist_load(const char *path, char *error_r, size_t errsize)
{
	struct wordlist *wl;
	FILE *fp;
	char *line = NULL;
	size_t linecap = 0, cap = 0;
	ssize_t n;
	unsigned long lineno = 0;

	fp = fopen(path, "r");
	if (fp == NULL) {
		(void)casier_snprintf(error_r, errsize, "%s: %s", path,
				      strerror(errno));
		return NULL;
	}
	wl = calloc(1, sizeof(*wl));
	if (wl == NULL)
		goto oom;
	while ((n = getline(&line, &linecap, fp)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
				 line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((size_t)n > WORDLIST_WORD_MAX ||
		    strlen(line) != (size_t)n) {
			(void)casier_snprintf(error_r, errsize,
					      "%s:%lu: bad word", path, lineno);
			goto fail;
		}
		casier_ascii_lower(line);
		if (wl->count == cap) {
			size_t ncap = cap == 0 ? 1024 : cap * 2;
			char **nw = reallocarray(wl->words, ncap, sizeof(*nw));

			if (nw == NULL)
				goto oom;
			wl->words = nw;
			cap = ncap;
		}
		wl->words[wl->count] = strdup(line);
		if (wl->words[wl->count] == NULL)
			goto oom;
		wl->count++;
	}
	if (ferror(fp)) {
		(void)casier_snprintf(error_r, errsize, "%s: read error", path);
		goto fail;
	}
	free(line);
	(void)fclose(fp);
	/* Do not trust the file to be sorted the way strcmp sorts. */
	if (wl->count > 0)
		qsort(wl->words, wl->count, sizeof(*wl->words), wordlist_cmp);
	return wl;
oom:
	(void)casier_snprintf(error_r, errsize, "%s: out of memory", path);
fail:
	free(line);
	(void)fclose(fp);
	wordlist_free(&wl);
	return NULL;
}

void
wordlist_free(struct wordlist **wlp)
{
	struct wordlist *wl = *wlp;

	if (wl == NULL)
		return;
	*wlp = NULL;
	for (size_t i = 0; i < wl->count; i++)
		free(wl->words[i]);
	free(wl->words);
	free(wl);
}

bool
wordlist_contains(const struct wordlist *wl, const char *lower_word)
{
	if (wl == NULL || wl->count == 0)
		return false;
	return bsearch(&lower_word, wl->words, wl->count, sizeof(*wl->words),
		       wordlist_cmp) != NULL;
}

/* Case-insensitive (ASCII) substring test. */
static bool
contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack != '\0'; haystack++) {
		if (strncasecmp(haystack, needle, n) == 0)
			return true;
	}
	return false;
}

bool
password_policy_ok(const char *password, const char *local_part,
		   const char *username, const struct wordlist *wl,
		   const char **reason_r)
{
	char lower[PASSWORD_MAX_LEN + 1];
	size_t len = strlen(password), nchars = 0, i, start, end;
	bool letter = false, digit = false;

	if (len > PASSWORD_MAX_LEN) {
		*reason_r = "too long (at most 256 bytes)";
		return false;
	}
	if (!casier_utf8_valid(password, len)) {
		*reason_r = "not valid UTF-8";
		return false;
	}
	for (i = 0; i < len;) {
		unsigned int cp;
		size_t n = casier_utf8_char_len(password + i, len - i, &cp);

		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			*reason_r = "contains control characters";
			return false;
		}
		if (cp >= '0' && cp <= '9')
			digit = true;
		else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
			 cp >= 0xc0)
			letter = true; /* non-ASCII letters count too */
		nchars++;
		i += n;
	}
	if (nchars < PASSWORD_MIN_CHARS) {
		*reason_r = "too short (at least 8 characters)";
		return false;
	}
	if (!letter || !digit) {
		*reason_r = "must contain letters and digits";
		return false;
	}

	/* A word of the list, alone or with digits before or after it. */
	memcpy(lower, password, len + 1);
	casier_ascii_lower(lower);
	for (start = 0; lower[start] >= '0' && lower[start] <= '9'; start++)
		;
	for (end = len;
	     end > start && lower[end - 1] >= '0' && lower[end - 1] <= '9';
	     end--)
		;
	lower[end] = '\0';
	if (wordlist_contains(wl, lower + start)) {
		*reason_r = "is a common word or password";
		return false;
	}

	if (local_part != NULL && strlen(local_part) >= PASSWORD_NAME_MIN &&
	    contains_nocase(password, local_part)) {
		*reason_r = "must not contain the address";
		return false;
	}
	if (username != NULL && strlen(username) >= PASSWORD_NAME_MIN &&
	    contains_nocase(password, username)) {
		*reason_r = "must not contain the username";
		return false;
	}
	return true;
}
