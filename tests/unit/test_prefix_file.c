/* test_prefix_file.c - address lists: plain and delegated formats, errors, real APNIC data. */
#include "harness.h"

#include "select/prefix_file.h"
#include "select/prefix_map.h"

#include <stdbool.h>
#include <stdlib.h>

/* Collects prefixes as text, "a/n a/n ...", for readable asserts. */
struct collect {
    char text[4096];
    size_t n;
    int stop_after; /* > 0: return 7 from the callback after that many */
};

static int collect_cb(void *ctx, const struct mm_prefix *p)
{
    struct collect *c = ctx;
    char buf[64];
    mm_prefix_format(p, buf, sizeof buf);
    size_t o = strlen(c->text);
    snprintf(c->text + o, sizeof c->text - o, "%s%s", o ? " " : "", buf);
    c->n++;
    return c->stop_after && (int)c->n >= c->stop_after ? 7 : 0;
}

static int read_text(const char *text, const char *country, struct collect *c, struct mm_err *err)
{
    memset(c, 0, sizeof *c);
    mm_err_clear(err);
    return mm_prefix_text_read(text, strlen(text), "list.txt", country, collect_cb, c, err);
}

static const char *write_tmp(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", mm_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

TEST(prefix_file_plain_formats)
{
    struct collect c;
    struct mm_err err;
    const char *text = "\xef\xbb\xbf# comment\n"
                       "\n"
                       "   192.0.2.0/24   \n"
                       "; Spamhaus DROP style\n"
                       "1.10.16.0/20 ; SBL256894 \r\n"
                       "77.90.185.20\t10\n"
                       "2001:db8::/32 # trailing comment\n"
                       "198.51.100.0/24;SBL1\n"
                       "\t2001:db8::1\n"
                       "203.0.113.9"; /* no final newline */
    ASSERT_EQ(read_text(text, NULL, &c, &err), 0);
    ASSERT_STR_EQ(c.text, "192.0.2.0/24 1.10.16.0/20 77.90.185.20/32 2001:db8::/32 "
                          "198.51.100.0/24 2001:db8::1/128 203.0.113.9/32");
    /* A country does not change how a plain list reads. */
    ASSERT_EQ(read_text(text, "JP", &c, &err), 0);
    ASSERT_EQ(c.n, 7);
    ASSERT_EQ(read_text("", NULL, &c, &err), 0);
    ASSERT_EQ(c.n, 0);
}

TEST(prefix_file_plain_errors)
{
    struct collect c;
    struct mm_err err;
    ASSERT_EQ(read_text("10.0.0.0/8\n# x\nxyz\n", NULL, &c, &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg, "list.txt:3: not an address or prefix: 'xyz'");
    ASSERT_EQ(read_text("10.0.0.1/8\n", NULL, &c, &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg, "list.txt:1: host bits set beyond the prefix length: '10.0.0.1/8'");
    ASSERT_EQ(read_text("10.0.0.0/33\n", NULL, &c, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "not an address or prefix: '10.0.0.0/33'");
    /* Unprintable bytes are escaped; long tokens are cut. */
    ASSERT_EQ(read_text("1.2.3.\x01\x7f'\n", NULL, &c, &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg, "list.txt:1: not an address or prefix: '1.2.3.\\x01\\x7f\\x27'");
    char longtok[300];
    memset(longtok, 'a', sizeof longtok - 1);
    longtok[sizeof longtok - 1] = '\0';
    ASSERT_EQ(read_text(longtok, NULL, &c, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
    ASSERT_TRUE(strlen(err.msg) < 120);
    /* A NUL inside a token must not truncate it into something valid. */
    struct mm_err err2;
    mm_err_clear(&err2);
    memset(&c, 0, sizeof c);
    ASSERT_EQ(mm_prefix_text_read("1.2.3.4\0zz\n", 11, "nul.txt", NULL, collect_cb, &c, &err2),
              MM_EFORMAT);
    ASSERT_STR_EQ(err2.msg, "nul.txt:1: not an address or prefix: '1.2.3.4\\x00zz'");
    /* Lines over the cap are refused by number. */
    char *big = malloc(6000);
    memset(big, ' ', 5000);
    memcpy(big, "10.0.0.0/8\n", 11);
    big[5000] = '\n';
    big[5001] = '\0';
    ASSERT_EQ(read_text(big, NULL, &c, &err), MM_EFORMAT);
    free(big);
    ASSERT_STR_EQ(err.msg, "list.txt:2: line longer than 4096 bytes");
    /* The callback's verdict stops the read and is returned as is. */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_text_read("1.0.0.0/8\n2.0.0.0/8\n3.0.0.0/8\n", 30, "x", NULL, collect_cb,
                                  &c, &err),
              7);
    ASSERT_EQ(c.n, 2);
}

static const char *delegated =
    "# APNIC statistics\n"
    "2|apnic|20260214|84201|19830613|20260213|+1000\n"
    "apnic|*|asn|*|13489|summary\n"
    "apnic|*|ipv4|*|53993|summary\n"
    "apnic|*|ipv6|*|16719|summary\n"
    "apnic|JP|asn|173|1|20020801|allocated\n"
    "apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated\n"
    "apnic|CN|ipv4|1.0.1.0|256|20110414|allocated\n"
    "apnic|JP|ipv4|1.1.0.0|768|20110412|assigned\n"   /* /23 + /24 */
    "apnic|JP|ipv4|1.2.0.128|384|20110412|assigned\n" /* unaligned: /25 + /24 */
    "apnic|JP|ipv4|1.3.0.0|256|20110412|reserved\n"   /* not in use: skipped */
    "apnic|JP|ipv6|2001:200::|35|19990813|allocated\n"
    "apnic|AU|ipv6|2001:360::|32|19990813|allocated\n"
    "apnic|jp|ipv4|1.4.0.0|1|20110412|allocated|e-stats\n";

TEST(prefix_file_delegated)
{
    struct collect c;
    struct mm_err err;
    ASSERT_EQ(read_text(delegated, "JP", &c, &err), 0);
    ASSERT_STR_EQ(c.text, "1.0.16.0/20 1.1.0.0/23 1.1.2.0/24 1.2.0.128/25 1.2.1.0/24 "
                          "2001:200::/35 1.4.0.0/32");
    ASSERT_EQ(read_text(delegated, "au", &c, &err), 0);
    ASSERT_STR_EQ(c.text, "2001:360::/32");
    ASSERT_EQ(read_text(delegated, "ZZ", &c, &err), 0);
    ASSERT_EQ(c.n, 0);
    /* Without a country the rows cannot be selected: say so. */
    ASSERT_EQ(read_text(delegated, NULL, &c, &err), MM_EINVAL);
    ASSERT_STR_EQ(err.msg, "list.txt:2: an RIR delegated file needs a country code to select rows");

    ASSERT_EQ(read_text("2|apnic|x\napnic|JP|ipv4|1.0.0.0|0|20110412|allocated\n", "JP", &c, &err),
              MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "list.txt:2: IPv4 address count out of range");
    ASSERT_EQ(
        read_text("2|apnic|x\napnic|JP|ipv4|255.255.255.0|257|2011|allocated\n", "JP", &c, &err),
        MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "count out of range");
    ASSERT_EQ(read_text("2|apnic|x\napnic|JP|ipv4|1.0.0.0|12x|2011|allocated\n", "JP", &c, &err),
              MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "bad IPv4 address count");
    ASSERT_EQ(read_text("2|apnic|x\napnic|JP|ipv4|1.0.0|256|2011|allocated\n", "JP", &c, &err),
              MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "bad IPv4 row");
    ASSERT_EQ(read_text("2|apnic|x\napnic|JP|ipv6|2001:200::1|32|2011|allocated\n", "JP", &c, &err),
              MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "bad IPv6 row");
    ASSERT_EQ(read_text("2|apnic|x\napnic|JP|ipv6|2001:200::|129|2011|allocated\n", "JP", &c, &err),
              MM_EFORMAT);
    ASSERT_EQ(read_text("2|apnic|x\nnot a row\n", "JP", &c, &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg, "list.txt:2: malformed delegated row: 'not a row'");
    /* The whole IPv4 space in one row. */
    ASSERT_EQ(read_text("2|x\nr|JP|ipv4|0.0.0.0|4294967296|0|allocated\n", "JP", &c, &err), 0);
    ASSERT_STR_EQ(c.text, "0.0.0.0/0");
}

TEST(prefix_file_cover_range)
{
    struct collect c;
    memset(&c, 0, sizeof c);
    ASSERT_EQ(mm_prefix_cover_range_v4(0x0a000001u, 0x0a000006u, collect_cb, &c), 0);
    ASSERT_STR_EQ(c.text, "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32");
    memset(&c, 0, sizeof c);
    ASSERT_EQ(mm_prefix_cover_range_v4(0xffffffffu, 0xffffffffu, collect_cb, &c), 0);
    ASSERT_STR_EQ(c.text, "255.255.255.255/32");
    memset(&c, 0, sizeof c);
    ASSERT_EQ(mm_prefix_cover_range_v4(1, 0xffffffffu, collect_cb, &c), 0);
    ASSERT_EQ(c.n, 32);
    ASSERT_EQ(mm_prefix_cover_range_v4(5, 4, collect_cb, &c), MM_EINVAL);
}

/* Random ranges: the cover is contiguous, exact, aligned and minimal. */
struct cover_check {
    uint64_t next;
    uint32_t prev_len;
    uint64_t prev_start;
    int count;
    bool ok;
};

static int cover_check_cb(void *ctx, const struct mm_prefix *p)
{
    struct cover_check *cc = ctx;
    uint64_t start = (uint64_t)p->addr.bytes[0] << 24 | (uint64_t)p->addr.bytes[1] << 16 |
                     (uint64_t)p->addr.bytes[2] << 8 | p->addr.bytes[3];
    uint64_t size = 1ull << (32 - p->len);
    if (start != cc->next || start % size != 0)
        cc->ok = false;
    /* Two equal neighbours forming an aligned pair could have been one. */
    if (cc->count && cc->prev_len == p->len && cc->prev_start % (2 * size) == 0 && p->len > 0)
        cc->ok = false;
    cc->prev_len = p->len;
    cc->prev_start = start;
    cc->next = start + size;
    cc->count++;
    return 0;
}

TEST(prefix_file_cover_range_random)
{
    uint64_t x = 12345;
    for (int i = 0; i < 2000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t a = (uint32_t)(x >> 32), span = (uint32_t)(x >> (i % 24 + 8));
        uint32_t last = a + span < a ? 0xffffffffu : a + span;
        struct cover_check cc = {a, 0, 0, 0, true};
        ASSERT_EQ(mm_prefix_cover_range_v4(a, last, cover_check_cb, &cc), 0);
        ASSERT_TRUE(cc.ok);
        ASSERT_U64_EQ(cc.next, (uint64_t)last + 1);
        ASSERT_TRUE(cc.count <= 62);
    }
}

static int count_cb(void *ctx, const struct mm_prefix *p)
{
    (void)p;
    (*(size_t *)ctx)++;
    return 0;
}

TEST(prefix_file_read_files)
{
    struct mm_err err;
    size_t n = 0;
    /* Lines straddle the 64 KiB read chunks. */
    size_t cap = 40000 * 20, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 40000; i++)
        len += (size_t)snprintf(text + len, cap - len, "10.%d.%d.0/24\r\n", i / 256 % 256, i % 256);
    const char *path = write_tmp("many.txt", text, len);
    ASSERT_TRUE(path != NULL);
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_file_read(path, NULL, count_cb, &n, &err), 0);
    ASSERT_EQ(n, 40000);
    /* The same with one bad line far in. */
    len = 0;
    for (int i = 0; i < 40000; i++)
        len += (size_t)snprintf(text + len, cap - len, i == 39989 ? "oops\n" : "10.%d.%d.0/24\n",
                                i / 256 % 256, i % 256);
    path = write_tmp("bad.txt", text, len);
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_file_read(path, NULL, count_cb, &n, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "bad.txt:39990: not an address or prefix: 'oops'");
    /* A line longer than the cap, in a file. */
    memset(text, 'x', 10000);
    path = write_tmp("long.txt", text, 10000);
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_file_read(path, NULL, count_cb, &n, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "long.txt:1: line longer than 4096 bytes");
    free(text);
    /* Delegated, through a file. */
    path = write_tmp("delegated.txt", delegated, strlen(delegated));
    n = 0;
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_file_read(path, "JP", count_cb, &n, &err), 0);
    ASSERT_EQ(n, 7);
    mm_err_clear(&err);
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no-such-file", mm_test_tmpdir());
    ASSERT_EQ(mm_prefix_file_read(missing, NULL, count_cb, &n, &err), MM_EIO);
    ASSERT_CONTAINS(err.msg, "no-such-file: cannot open: No such file or directory");
}

/* ---- the real data ---------------------------------------------------- */

struct prefix_list {
    struct mm_prefix *p;
    size_t n, cap;
};

static int list_cb(void *ctx, const struct mm_prefix *p)
{
    struct prefix_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->p = realloc(l->p, l->cap * sizeof *l->p);
    }
    l->p[l->n++] = *p;
    return 0;
}

static struct mm_prefix_map *map_of(const struct prefix_list *l)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    for (size_t i = 0; i < l->n; i++)
        mm_prefix_map_builder_add(b, &l->p[i], 1);
    struct mm_prefix_map *m = NULL;
    mm_prefix_map_build(b, &m, NULL);
    mm_prefix_map_builder_free(b);
    return m;
}

/* Every allocated or assigned row of one family, whatever the country:
 * the space APNIC manages. Parsed here independently of prefix_file.c. */
static void apnic_space(const char *path, int family, struct prefix_list *l)
{
    FILE *f = fopen(path, "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *field[8] = {0};
        int nf = 0;
        for (char *save = NULL, *t = strtok_r(line, "|\n", &save); t && nf < 8;
             t = strtok_r(NULL, "|\n", &save))
            field[nf++] = t;
        if (nf < 7 || strcmp(field[1], "*") == 0 ||
            (strcmp(field[6], "allocated") != 0 && strcmp(field[6], "assigned") != 0))
            continue;
        char text[128];
        struct mm_addr a;
        if (family == 4 && strcmp(field[2], "ipv4") == 0 && mm_addr_parse(field[3], &a) == 0) {
            uint32_t first = (uint32_t)a.bytes[0] << 24 | (uint32_t)a.bytes[1] << 16 |
                             (uint32_t)a.bytes[2] << 8 | a.bytes[3];
            mm_prefix_cover_range_v4(first, first + (uint32_t)strtoul(field[4], NULL, 10) - 1,
                                     list_cb, l);
        } else if (family == 6 && strcmp(field[2], "ipv6") == 0) {
            struct mm_prefix p;
            snprintf(text, sizeof text, "%s/%s", field[3], field[4]);
            if (mm_prefix_parse(text, &p) == 0)
                list_cb(l, &p);
        }
    }
    if (f)
        fclose(f);
}

/* The address one past the end of p (wrapping to zero past the top). */
static struct mm_addr after_prefix(const struct mm_prefix *p)
{
    struct mm_addr a = p->addr;
    unsigned bits = mm_addr_bits(&a);
    for (unsigned k = p->len; k < bits; k++)
        a.bytes[k / 8] |= (uint8_t)(0x80u >> (k % 8));
    for (int i = (int)bits / 8 - 1; i >= 0; i--)
        if (++a.bytes[i] != 0)
            break;
    return a;
}

/* Checks derived == reference ∩ apnic at every point where one of the three
 * unions starts or ends: any region where they differ begins at such a
 * point, so this is an exact set comparison. */
static size_t disagreements(const struct mm_prefix_map *derived, const struct mm_prefix_map *ref,
                            const struct mm_prefix_map *apnic, const struct prefix_list *l)
{
    size_t bad = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct mm_addr probe[2] = {l->p[i].addr, after_prefix(&l->p[i])};
        for (int k = 0; k < 2; k++) {
            bool in_derived = mm_prefix_map_lookup(derived, &probe[k]) != 0;
            bool in_ref = mm_prefix_map_lookup(ref, &probe[k]) != 0;
            bool in_apnic = mm_prefix_map_lookup(apnic, &probe[k]) != 0;
            bad += in_derived != (in_ref && in_apnic);
        }
    }
    return bad;
}

/* JP_IPv4.txt/JP_IPv6.txt merge every RIR's JP delegations (ARIN and RIPE
 * hand out some JP space too), so they must equal the derived set exactly
 * within the space APNIC manages, and the derived set must lie inside them. */
static void check_same_cover(const char *data, const char *reference, int family)
{
    char path[512], refpath[512];
    snprintf(path, sizeof path, "%s/apnic/delegated-apnic-latest.txt", data);
    snprintf(refpath, sizeof refpath, "%s/%s", data, reference);
    struct prefix_list derived = {0}, ref = {0}, only = {0}, apnic = {0};
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_prefix_file_read(path, "JP", list_cb, &derived, &err), 0);
    ASSERT_EQ(mm_prefix_file_read(refpath, NULL, list_cb, &ref, &err), 0);
    apnic_space(path, family, &apnic);
    for (size_t i = 0; i < derived.n; i++)
        if (derived.p[i].addr.family == family)
            list_cb(&only, &derived.p[i]);
    ASSERT_TRUE(only.n > 100);
    ASSERT_TRUE(ref.n > 100);
    ASSERT_TRUE(apnic.n > only.n);
    struct mm_prefix_map *md = map_of(&only), *mr = map_of(&ref), *ma = map_of(&apnic);
    ASSERT_TRUE(md && mr && ma);
    size_t bad = disagreements(md, mr, ma, &only) + disagreements(md, mr, ma, &ref) +
                 disagreements(md, mr, ma, &apnic);
    mm_prefix_map_free(md);
    mm_prefix_map_free(mr);
    mm_prefix_map_free(ma);
    free(derived.p);
    free(ref.p);
    free(only.p);
    free(apnic.p);
    ASSERT_EQ(bad, 0);
}

TEST(prefix_file_apnic_jp_matches_reference)
{
    const char *data = mm_test_shared_data();
    if (!data)
        return;
    check_same_cover(data, "apnic/JP_IPv4.txt", 4);
    check_same_cover(data, "apnic/JP_IPv6.txt", 6);
}

TEST(prefix_file_real_lists_load)
{
    const char *data = mm_test_shared_data();
    if (!data)
        return;
    static const char *const lists[] = {
        "jp-prefixes/ipv4-aggregated.txt",        "jp-prefixes/ipv6-aggregated.txt",
        "blocklists/spamhaus-drop/drop.txt",      "blocklists/spamhaus-drop/edrop.txt",
        "blocklists/spamhaus-drop/drop_ipv6.txt", "blocklists/ipsum/ipsum.txt",
        "blocklists/ipsum/levels/3.txt",          "blocklists/ipsum/levels/8.txt",
    };
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", data, lists[i]);
        size_t n = 0;
        struct mm_err err;
        mm_err_clear(&err);
        int rc = mm_prefix_file_read(path, NULL, count_cb, &n, &err);
        if (rc != 0)
            fprintf(stderr, "  %s\n", err.msg);
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(n > 0);
    }
}
