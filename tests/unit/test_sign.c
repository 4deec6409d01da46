/* test_sign.c - Ed25519 keys and detached signatures: round trip, tampering, wrong key, key files.
 */
#include "harness.h"

#include "util/sign.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *path_in(const char *name)
{
    static char buf[64][512]; /* enough for every name a test holds at once */
    static int next;
    char *p = buf[next++ % 64];
    snprintf(p, 512, "%s/%s", mm_test_tmpdir(), name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* One key pair for the tests that need one. */
static void ensure_keys(void)
{
    if (access(path_in("k1.key"), F_OK) != 0) {
        struct mm_err err;
        mm_err_clear(&err);
        mm_sign_keygen(path_in("k1.key"), path_in("k1.pub"), &err);
        mm_sign_keygen(path_in("k2.key"), path_in("k2.pub"), &err);
    }
}

TEST(sign_keygen_writes_private_key_0600_and_refuses_overwrite)
{
    ensure_keys();
    struct stat st;
    ASSERT_EQ(stat(path_in("k1.key"), &st), 0);
    ASSERT_EQ(st.st_mode & 0777, 0600);
    ASSERT_EQ(stat(path_in("k1.pub"), &st), 0);
    ASSERT_EQ(st.st_mode & 0777, 0644);
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_keygen(path_in("k1.key"), path_in("k1-other.pub"), &err), MM_ECONFLICT);
    ASSERT_CONTAINS(err.msg, "k1.key");
    ASSERT_TRUE(access(path_in("k1-other.pub"), F_OK) != 0);
}

TEST(sign_round_trip_and_tampering)
{
    ensure_keys();
    const char *msg = path_in("msg.json"), *sig = path_in("msg.json.sig");
    write_file(msg, "{\"policy_id\": \"p\"}\n");
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_file(path_in("k1.key"), msg, sig, &err), 0);
    ASSERT_EQ(mm_sign_verify_file(path_in("k1.pub"), msg, sig, NULL, NULL, &err), 0);
    char *bytes = NULL;
    size_t len = 0;
    ASSERT_EQ(mm_sign_verify_file(path_in("k1.pub"), msg, sig, &bytes, &len, &err), 0);
    ASSERT_EQ(len, 19);
    ASSERT_STR_EQ(bytes, "{\"policy_id\": \"p\"}\n");
    free(bytes);

    /* One byte of the message changed. */
    write_file(msg, "{\"policy_id\": \"q\"}\n");
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_file(path_in("k1.pub"), msg, sig, NULL, NULL, &err), MM_EVERIFY);
    ASSERT_CONTAINS(err.msg, "msg.json");
    write_file(msg, "{\"policy_id\": \"p\"}\n");

    /* The wrong public key. */
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_file(path_in("k2.pub"), msg, sig, NULL, NULL, &err), MM_EVERIFY);
    ASSERT_CONTAINS(err.msg, "k2.pub");

    /* Each byte of the signature, flipped in turn (within base64): never verifies. */
    char sig_text[MM_SIG_TEXT_LEN + 1];
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_buffer(path_in("k1.key"), "{\"policy_id\": \"p\"}\n", 19, sig_text, &err), 0);
    ASSERT_EQ(strlen(sig_text), MM_SIG_TEXT_LEN);
    for (size_t i = 0; i < MM_SIG_TEXT_LEN - 2; i++) {
        char bad[MM_SIG_TEXT_LEN + 1];
        memcpy(bad, sig_text, sizeof bad);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        mm_err_clear(&err);
        ASSERT_TRUE(mm_sign_verify_buffer(path_in("k1.pub"), "{\"policy_id\": \"p\"}\n", 19, "m",
                                          bad, MM_SIG_TEXT_LEN, "s", &err) != 0);
    }
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_buffer(path_in("k1.pub"), "{\"policy_id\": \"p\"}\n", 19, "m",
                                    sig_text, MM_SIG_TEXT_LEN, "s", &err),
              0);
}

TEST(sign_refuses_malformed_and_missing_signatures)
{
    ensure_keys();
    const char *msg = path_in("m2.json");
    write_file(msg, "x");
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_file(path_in("k1.pub"), msg, path_in("absent.sig"), NULL, NULL, &err),
              MM_EVERIFY);
    ASSERT_CONTAINS(err.msg, "no signature file");
    write_file(path_in("short.sig"), "AAAA\n");
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_file(path_in("k1.pub"), msg, path_in("short.sig"), NULL, NULL, &err),
              MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "short.sig");
}

TEST(sign_refuses_readable_private_key_and_non_keys)
{
    ensure_keys();
    char sig[MM_SIG_TEXT_LEN + 1];
    struct mm_err err;
    chmod(path_in("k2.key"), 0640);
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_buffer(path_in("k2.key"), "x", 1, sig, &err), MM_EPERM);
    ASSERT_CONTAINS(err.msg, "k2.key");
    chmod(path_in("k2.key"), 0600);
    /* A public key is not a signing key, and a private key file is not a public key. */
    write_file(path_in("junk.pem"), "not a key\n");
    chmod(path_in("junk.pem"), 0600);
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_buffer(path_in("junk.pem"), "x", 1, sig, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "junk.pem");
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_buffer(path_in("k2.key"), "x", 1, sig, &err), 0);
    mm_err_clear(&err);
    ASSERT_EQ(mm_sign_verify_buffer(path_in("junk.pem"), "x", 1, "m", sig, strlen(sig), "s", &err),
              MM_EFORMAT);
}
