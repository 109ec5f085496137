/*
 * password.h - password hashing and the password policy.
 *
 * Hashes are libsodium crypto_pwhash_str() (Argon2id) strings stored with
 * Dovecot's scheme prefix: "{ARGON2ID}$argon2id$v=19$m=65536,t=2,p=1$...",
 * which Dovecot's passdb verifies directly.
 */
#ifndef CASIER_PASSWORD_H
#define CASIER_PASSWORD_H

#include "casier.h"

#define PASSWORD_HASH_MAX 160 /* prefix + crypto_pwhash_STRBYTES (128) */
#define PASSWORD_MAX_LEN 256

enum password_check {
	PASSWORD_MATCH,
	PASSWORD_MISMATCH,
	PASSWORD_ERROR, /* malformed stored hash, out of memory */
};

/* Call once at start-up (sodium_init). 0 on success. */
int password_init(void);
/* 0 on success; -1 when hashing failed (out of memory) or input invalid. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
enum password_check password_verify(const char *stored, const char *password);

/* The shipped word list (one lower-case word per line). */
struct wordlist;
struct wordlist *wordlist_load(const char *path, char *error_r, size_t errsize);
void wordlist_free(struct wordlist **wl);
bool wordlist_contains(const struct wordlist *wl, const char *lower_word);

/*
 * DESIGN section 9: at least 8 characters, letters and digits; refused
 * when, ignoring case, it is a word of the list, such a word with only
 * digits before or after it, or contains local_part or username (either
 * may be NULL).  Returns true when acceptable; else *reason_r is a
 * message id (English text) suitable for the UI, e.g. "too short".
 */
bool password_policy_ok(const char *password, const char *local_part,
			const char *username, const struct wordlist *wl,
			const char **reason_r);

#endif
