/* test_cryptopan.c - Crypto-PAn: reference vectors, inversion, prefix preservation, key files. */
#include "harness.h"

#include "select/cryptopan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The key of the original Crypto-PAn sample distribution. */
static const char *const sample_key_hex =
    "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202";

static void hex_key(const char *hex, uint8_t key[MM_CRYPTOPAN_KEY_LEN])
{
    for (int i = 0; i < MM_CRYPTOPAN_KEY_LEN; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        key[i] = (uint8_t)v;
    }
}

static struct mm_cryptopan *sample_cp(void)
{
    uint8_t key[MM_CRYPTOPAN_KEY_LEN];
    hex_key(sample_key_hex, key);
    struct mm_cryptopan *cp = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_cryptopan_new(&cp, key, &err) != 0)
        abort();
    return cp;
}

static const char *anon_text(struct mm_cryptopan *cp, const char *text)
{
    static char out[MM_ADDR_TEXT_MAX];
    struct mm_addr a, b;
    if (mm_addr_parse(text, &a) != 0)
        return "unparsable";
    mm_cryptopan_anonymize(cp, &a, &b);
    mm_addr_format(&b, out, sizeof out);
    return out;
}

/* A few vectors inline, so the known answers are checked even without the
 * shared data directory. */
TEST(cryptopan_known_answers_inline)
{
    struct mm_cryptopan *cp = sample_cp();
    ASSERT_STR_EQ(anon_text(cp, "128.11.68.132"), "135.242.180.132");
    ASSERT_STR_EQ(anon_text(cp, "129.118.74.4"), "134.136.186.123");
    ASSERT_STR_EQ(anon_text(cp, "64.34.154.117"), "0.221.154.117");
    ASSERT_STR_EQ(anon_text(cp, "::1"), "78ff:f001:9fc0:20df:8380:b1f1:704:ed");
    ASSERT_STR_EQ(anon_text(cp, "2001:db8::1"), "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e");
    mm_cryptopan_free(cp);
}

TEST(cryptopan_known_answers_file)
{
    const char *data = mm_test_shared_data();
    if (!data)
        return;
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/cryptopan/vectors.tsv", data);
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    struct mm_cryptopan *cp = NULL;
    int v4 = 0, v6 = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char a_text[64], b_text[64], hex[80];
        if (sscanf(line, "# key_hex %79s", hex) == 1) {
            ASSERT_EQ(strlen(hex), 64);
            uint8_t key[MM_CRYPTOPAN_KEY_LEN];
            hex_key(hex, key);
            mm_cryptopan_free(cp);
            ASSERT_EQ(mm_cryptopan_new(&cp, key, NULL), 0);
            continue;
        }
        if (line[0] == '#' || sscanf(line, "%63s %63s", a_text, b_text) != 2)
            continue;
        ASSERT_TRUE(cp != NULL);
        struct mm_addr a, b, got, back;
        ASSERT_EQ(mm_addr_parse(a_text, &a), 0);
        ASSERT_EQ(mm_addr_parse(b_text, &b), 0);
        mm_cryptopan_anonymize(cp, &a, &got);
        mm_cryptopan_deanonymize(cp, &b, &back);
        if (mm_addr_cmp(&got, &b) != 0 || mm_addr_cmp(&back, &a) != 0) {
            fprintf(stderr, "  %s -> %s: got %s\n", a_text, b_text, anon_text(cp, a_text));
            bad++;
        }
        if (a.family == 4)
            v4++;
        else
            v6++;
    }
    fclose(f);
    mm_cryptopan_free(cp);
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(v4, 70);
    ASSERT_EQ(v6, 5);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void random_addr(struct mm_addr *a, int family)
{
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)family;
    uint64_t x = rng(), y = rng();
    for (int i = 0; i < 8; i++) {
        a->bytes[i] = (uint8_t)(x >> (8 * i));
        a->bytes[i + 8] = (uint8_t)(y >> (8 * i));
    }
    if (family == 4)
        memset(a->bytes + 4, 0, 12);
}

static unsigned common_prefix(const struct mm_addr *a, const struct mm_addr *b)
{
    unsigned bits = mm_addr_bits(a), k = 0;
    while (k < bits && ((a->bytes[k / 8] ^ b->bytes[k / 8]) & (0x80u >> (k % 8))) == 0)
        k++;
    return k;
}

TEST(cryptopan_round_trip_and_aliasing)
{
    struct mm_cryptopan *cp = sample_cp();
    for (int i = 0; i < 2000; i++) {
        struct mm_addr a, b, c;
        random_addr(&a, i % 2 ? 6 : 4);
        mm_cryptopan_anonymize(cp, &a, &b);
        ASSERT_EQ(b.family, a.family);
        mm_cryptopan_deanonymize(cp, &b, &c);
        ASSERT_EQ(mm_addr_cmp(&a, &c), 0);
        /* IPv4 pseudonyms keep the unused bytes zero. */
        if (a.family == 4)
            for (int k = 4; k < 16; k++)
                ASSERT_EQ(b.bytes[k], 0);
        /* In place. */
        c = a;
        mm_cryptopan_anonymize(cp, &c, &c);
        ASSERT_EQ(mm_addr_cmp(&b, &c), 0);
        mm_cryptopan_deanonymize(cp, &c, &c);
        ASSERT_EQ(mm_addr_cmp(&a, &c), 0);
    }
    mm_cryptopan_free(cp);
}

TEST(cryptopan_prefix_preserving)
{
    struct mm_cryptopan *cp = sample_cp();
    for (int i = 0; i < 1000; i++) {
        int family = i % 2 ? 6 : 4;
        struct mm_addr a, b, pa, pb;
        random_addr(&a, family);
        random_addr(&b, family);
        unsigned bits = mm_addr_bits(&a);
        unsigned k = (unsigned)(rng() % (bits + 1)); /* shared prefix length */
        for (unsigned j = 0; j < k && j < bits; j++) {
            uint8_t m = (uint8_t)(0x80u >> (j % 8));
            b.bytes[j / 8] = (uint8_t)((b.bytes[j / 8] & ~m) | (a.bytes[j / 8] & m));
        }
        if (k < bits) {
            uint8_t m = (uint8_t)(0x80u >> (k % 8));
            b.bytes[k / 8] = (uint8_t)((b.bytes[k / 8] & ~m) | (~a.bytes[k / 8] & m));
        }
        ASSERT_EQ(common_prefix(&a, &b), k);
        mm_cryptopan_anonymize(cp, &a, &pa);
        mm_cryptopan_anonymize(cp, &b, &pb);
        ASSERT_EQ(common_prefix(&pa, &pb), k);
    }
    mm_cryptopan_free(cp);
}

TEST(cryptopan_keys_differ)
{
    uint8_t key[MM_CRYPTOPAN_KEY_LEN];
    hex_key(sample_key_hex, key);
    key[31] ^= 1; /* only the pad half changes */
    struct mm_cryptopan *cp = NULL, *ref = sample_cp();
    ASSERT_EQ(mm_cryptopan_new(&cp, key, NULL), 0);
    int same = 0;
    for (int i = 0; i < 64; i++) {
        struct mm_addr a, x, y;
        random_addr(&a, 4);
        mm_cryptopan_anonymize(cp, &a, &x);
        mm_cryptopan_anonymize(ref, &a, &y);
        same += mm_addr_cmp(&x, &y) == 0;
    }
    ASSERT_TRUE(same < 4);
    /* Not an address family: passed through untouched. */
    struct mm_addr odd = {0}, out;
    odd.family = 0;
    odd.bytes[0] = 9;
    mm_cryptopan_anonymize(cp, &odd, &out);
    ASSERT_EQ(mm_addr_cmp(&odd, &out), 0);
    mm_cryptopan_free(cp);
    mm_cryptopan_free(ref);
    mm_cryptopan_free(NULL);
}

static const char *write_key(const char *name, const char *text, mode_t mode)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", mm_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

TEST(cryptopan_key_file)
{
    uint8_t key[MM_CRYPTOPAN_KEY_LEN], expect[MM_CRYPTOPAN_KEY_LEN];
    struct mm_err err;
    char text[200];
    hex_key(sample_key_hex, expect);

    snprintf(text, sizeof text, "  \n%s\n\n", sample_key_hex);
    const char *path = write_key("pseudo.key", text, 0600);
    mm_err_clear(&err);
    ASSERT_EQ(mm_key_file_read(path, key, &err), 0);
    ASSERT_EQ(memcmp(key, expect, sizeof key), 0);

    /* Upper case is fine too. */
    for (size_t i = 0; text[i]; i++)
        if (text[i] >= 'a' && text[i] <= 'f')
            text[i] = (char)(text[i] - 'a' + 'A');
    path = write_key("upper.key", text, 0400);
    ASSERT_EQ(mm_key_file_read(path, key, &err), 0);
    ASSERT_EQ(memcmp(key, expect, sizeof key), 0);

    path = write_key("pseudo.key", sample_key_hex, 0644);
    mm_err_clear(&err);
    ASSERT_EQ(mm_key_file_read(path, key, &err), MM_EPERM);
    ASSERT_CONTAINS(err.msg, "pseudo.key: permissions 0644 are too open; the key must be readable "
                             "by its owner only (chmod 600)");
    path = write_key("group.key", sample_key_hex, 0620);
    mm_err_clear(&err);
    ASSERT_EQ(mm_key_file_read(path, key, &err), MM_EPERM);
    ASSERT_CONTAINS(err.msg, "permissions 0620");

    static const char *const bad[] = {
        "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a84220",   /* 63 digits */
        "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a8422022", /* 65 */
        "1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a84220g",
        "1522178d33a4cf80130a5b1649907d10 d8988f837979652762574c2d2a842202",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        path = write_key("bad.key", bad[i], 0600);
        mm_err_clear(&err);
        ASSERT_EQ(mm_key_file_read(path, key, &err), MM_EFORMAT);
        ASSERT_CONTAINS(err.msg, "bad.key: expected 64 hex digits");
    }
    char missing[512];
    snprintf(missing, sizeof missing, "%s/none.key", mm_test_tmpdir());
    mm_err_clear(&err);
    ASSERT_EQ(mm_key_file_read(missing, key, &err), MM_EIO);
    ASSERT_CONTAINS(err.msg, "none.key: cannot open: No such file or directory");
    mm_err_clear(&err);
    ASSERT_EQ(mm_key_file_read(mm_test_tmpdir(), key, &err), MM_EINVAL);
}
