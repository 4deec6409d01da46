/* test_policy.c - policy validation: every malformed input is refused with its file and JSON path. */
#include "harness.h"
#include "testpkt.h"

#include "select/policy.h"

#include <stdlib.h>
#include <sys/stat.h>

static char *dir_in(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", mm_test_tmpdir(), name);
    return buf;
}

/* Load a policy whose criteria (or extra fields) are given; return rc and the message. */
static int try_policy(const char *name, const char *domestic, const char *criteria, const char *extra,
                      struct mm_err *err)
{
    const char *path = tp_policy(dir_in(name), "party_agreement", domestic, criteria, extra);
    struct mm_policy *p = NULL;
    mm_err_clear(err);
    int rc = mm_policy_load(path, &p, err);
    mm_policy_free(p);
    return rc;
}

TEST(policy_valid_loads_with_defaults)
{
    const char *path = tp_policy(dir_in("ok"), "transit", "133.0.0.0/8\n2001:db8::/32\n",
                                 "[{\"id\": \"C-1\", \"match\": \"198.51.100.7\"}]", NULL);
    struct mm_policy *p = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_policy_load(path, &p, &err), 0);
    ASSERT_EQ(p->route, MM_ROUTE_TRANSIT);
    ASSERT_EQ(p->flow_idle_timeout_ns, 60LL * 1000000000LL);
    ASSERT_EQ(p->flow_active_timeout_ns, 300LL * 1000000000LL);
    ASSERT_EQ(p->retention_days, 730);
    ASSERT_EQ(p->ncriteria, 1);
    ASSERT_EQ(p->domestic_entries, 2);
    ASSERT_EQ(p->pseudonymization_key[0], 0x15);
    mm_policy_free(p);
}

struct bad_case {
    const char *criteria, *extra, *expect;
};

TEST(policy_malformed_fields_name_their_path)
{
    static const struct bad_case cases[] = {
        {"[{\"id\": \"C-1\", \"match\": \"198.51.100.300\"}]", NULL,
         "criteria[0].match: not an address or prefix: '198.51.100.300'"},
        {"[{\"id\": \"C-1\", \"match\": \"10.0.0.1/8\"}]", NULL, "criteria[0].match"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\"}, {\"id\": \"C-1\", \"match\": \"1.2.3.5\"}]",
         NULL, "criteria[1].id: duplicate criterion id 'C-1'"},
        {"[{\"id\": \"bad id\", \"match\": \"1.2.3.4\"}]", NULL, "criteria[0].id"},
        {"[{\"id\": \"C-1\"}]", NULL, "criteria[0]: needs exactly one of match and match_file"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"proto\": \"gre\"}]", NULL, "criteria[0].proto"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"proto\": \"icmp\", \"ports\": [1]}]", NULL,
         "criteria[0].ports: ports need proto tcp, udp or sctp"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"ports\": [70000]}]", NULL,
         "criteria[0].ports[0]: 70000 is out of range"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"not_after\": \"tomorrow\"}]", NULL,
         "criteria[0].not_after: not an RFC 3339 time"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"not_before\": \"2027-01-01T00:00:00Z\", "
         "\"not_after\": \"2026-01-01T00:00:00Z\"}]",
         NULL, "criteria[0]: not_after must be later than not_before"},
        {"[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"colour\": \"red\"}]", NULL,
         "criteria[0]: unknown key 'colour'"},
        {"[{\"id\": \"C-1\", \"match_file\": \"missing.txt\"}]", NULL, "missing.txt: cannot open"},
        {"{}", NULL, "criteria: expected an array"},
        {"[]", "\"flow_idle_timeout_s\": 0", "flow_idle_timeout_s: 0 is out of range"},
        {"[]", "\"flow_active_timeout_s\": \"300\"", "flow_active_timeout_s: expected an integer"},
        {"[]", "\"surprise\": true", "$: unknown key 'surprise'"},
        {"[1,", NULL, "line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mm_err err;
        char name[32];
        snprintf(name, sizeof name, "bad-%zu", i);
        int rc = try_policy(name, "133.0.0.0/8\n", cases[i].criteria, cases[i].extra, &err);
        if (rc == 0)
            fprintf(stderr, "  case %zu accepted\n", i);
        ASSERT_TRUE(rc != 0);
        ASSERT_CONTAINS(err.msg, cases[i].expect);
        ASSERT_CONTAINS(err.msg, "policy.json");
    }
}

TEST(policy_bad_domestic_line_names_file_and_line)
{
    struct mm_err err;
    ASSERT_TRUE(try_policy("dom", "133.0.0.0/8\n# fine\nnot-a-prefix\n", "[]", NULL, &err) != 0);
    ASSERT_CONTAINS(err.msg, "domestic.txt:3");
}

TEST(policy_refuses_readable_key_and_bad_key)
{
    const char *path = tp_policy(dir_in("key"), "inbound", "133.0.0.0/8\n", "[]", NULL);
    char key[600];
    snprintf(key, sizeof key, "%s/pseudo.key", dir_in("key"));
    chmod(key, 0644);
    struct mm_policy *p = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_policy_load(path, &p, &err), MM_EPERM);
    ASSERT_CONTAINS(err.msg, "pseudo.key");
    FILE *f = fopen(key, "w");
    fputs("abcd\n", f);
    fclose(f);
    chmod(key, 0600);
    mm_err_clear(&err);
    ASSERT_TRUE(mm_policy_load(path, &p, &err) != 0);
    ASSERT_CONTAINS(err.msg, "pseudo.key");
    ASSERT_TRUE(p == NULL);
}

TEST(policy_feed_hash_must_match_when_given)
{
    char feed[600];
    snprintf(feed, sizeof feed, "%s/feed.txt", dir_in("hash"));
    struct mm_err err;
    tp_policy(dir_in("hash"), "inbound", "133.0.0.0/8\n", "[]", NULL);
    FILE *f = fopen(feed, "w");
    fputs("198.51.100.7\n", f);
    fclose(f);
    /* sha256("198.51.100.7\n") is not all zeros */
    ASSERT_TRUE(try_policy("hash", "133.0.0.0/8\n",
                           "[{\"id\": \"F-1\", \"match_file\": \"feed.txt\", \"sha256\": "
                           "\"0000000000000000000000000000000000000000000000000000000000000000\"}]",
                           NULL, &err) != 0);
    ASSERT_CONTAINS(err.msg, "criteria[0].sha256");
}

TEST(route_directions_are_fixed)
{
    ASSERT_EQ(mm_route_allowed_direction(MM_ROUTE_PARTY_AGREEMENT), MM_DIR_FOREIGN_TO_DOMESTIC);
    ASSERT_EQ(mm_route_allowed_direction(MM_ROUTE_INBOUND), MM_DIR_FOREIGN_TO_DOMESTIC);
    ASSERT_EQ(mm_route_allowed_direction(MM_ROUTE_TRANSIT), MM_DIR_FOREIGN_TO_FOREIGN);
    ASSERT_EQ(mm_route_allowed_direction(MM_ROUTE_OUTBOUND), MM_DIR_DOMESTIC_TO_FOREIGN);
}

/* Found by fuzz_policy: a far-future year overflowed int64 nanoseconds. */
TEST(policy_time_out_of_range_is_refused)
{
    struct mm_err err;
    ASSERT_TRUE(try_policy("year", "133.0.0.0/8\n",
                           "[{\"id\": \"C-1\", \"match\": \"1.2.3.4\", \"not_after\": "
                           "\"4027-01-01T00:00:00Z\"}]",
                           NULL, &err) != 0);
    ASSERT_CONTAINS(err.msg, "criteria[0].not_after: not an RFC 3339 time");
}

#include "util/digest.h"

/* file_sha256 (signed policies): every domestic file must be listed and match. */
TEST(policy_file_sha256_pins_domestic_files)
{
    struct mm_err err;
    /* well-formed, but not sha256("133.0.0.0/8\n") */
    const char *wrong = "\"file_sha256\": {\"domestic.txt\": "
                        "\"e5d2e1bf3dd9c9a0dca51d5e2ba7d1a50f9e5d1a3edc1d14e2e1d7f5c2c0a1b2\"}";
    ASSERT_TRUE(try_policy("fh-bad", "133.0.0.0/8\n", "[]", wrong, &err) != 0);
    ASSERT_CONTAINS(err.msg, "domestic_prefixes[0]");
    ASSERT_CONTAINS(err.msg, "domestic.txt has SHA-256");
    ASSERT_CONTAINS(err.msg, "file_sha256 expects");

    char extra[256];
    char hex[65];
    mm_sha256_hex("133.0.0.0/8\n", 12, hex);
    snprintf(extra, sizeof extra, "\"file_sha256\": {\"domestic.txt\": \"%s\"}", hex);
    ASSERT_EQ(try_policy("fh-ok", "133.0.0.0/8\n", "[]", extra, &err), 0);

    ASSERT_TRUE(try_policy("fh-missing", "133.0.0.0/8\n", "[]",
                           "\"file_sha256\": {\"other.txt\": "
                           "\"0000000000000000000000000000000000000000000000000000000000000000\"}",
                           &err) != 0);
    ASSERT_CONTAINS(err.msg, "'domestic.txt' has no entry in file_sha256");
    ASSERT_TRUE(try_policy("fh-shape", "133.0.0.0/8\n", "[]",
                           "\"file_sha256\": {\"domestic.txt\": \"ABC\"}", &err) != 0);
    ASSERT_CONTAINS(err.msg, "file_sha256['domestic.txt']: expected 64 lowercase hex digits");
    ASSERT_TRUE(try_policy("fh-type", "133.0.0.0/8\n", "[]", "\"file_sha256\": []", &err) != 0);
    ASSERT_CONTAINS(err.msg, "file_sha256: expected an object");
}
