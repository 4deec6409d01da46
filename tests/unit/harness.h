/* harness.h - the in-house unit test harness: self-registering tests and typed asserts. */
#ifndef MM_HARNESS_H
#define MM_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct mm_test {
    const char *name;
    void (*fn)(void);
    struct mm_test *next;
};

void mm_test_register(struct mm_test *t);
/* Set by the ASSERT macros; the runner resets it before each test. */
extern int mm_test_failed;
/* A scratch directory private to this run (created by the runner). */
const char *mm_test_tmpdir(void);
/* ../shared/data, or NULL when it is absent (tests that need it then skip). */
const char *mm_test_shared_data(void);

#define TEST(name)                                                                   \
    static void test_##name(void);                                                   \
    static struct mm_test test_reg_##name = {#name, test_##name, NULL};              \
    __attribute__((constructor)) static void test_register_##name(void)              \
    {                                                                                \
        mm_test_register(&test_reg_##name);                                          \
    }                                                                                \
    static void test_##name(void)

#define MM_FAIL_(...)                                                                \
    do {                                                                             \
        fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                           \
        fprintf(stderr, __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                         \
        mm_test_failed = 1;                                                          \
        return;                                                                      \
    } while (0)

#define ASSERT_TRUE(c)                                                               \
    do {                                                                             \
        if (!(c))                                                                    \
            MM_FAIL_("expected true: %s", #c);                                       \
    } while (0)
#define ASSERT_EQ(a, b)                                                              \
    do {                                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);                          \
        if (a_ != b_)                                                                \
            MM_FAIL_("%s == %s: got %lld, expected %lld", #a, #b, a_, b_);           \
    } while (0)
#define ASSERT_U64_EQ(a, b)                                                          \
    do {                                                                             \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                             \
        if (a_ != b_)                                                                \
            MM_FAIL_("%s == %s: got %" PRIu64 ", expected %" PRIu64, #a, #b, a_, b_); \
    } while (0)
#define ASSERT_STR_EQ(a, b)                                                          \
    do {                                                                             \
        const char *a_ = (a), *b_ = (b);                                             \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                       \
            MM_FAIL_("%s == %s: got \"%s\", expected \"%s\"", #a, #b,                \
                     a_ ? a_ : "(null)", b_ ? b_ : "(null)");                        \
    } while (0)
#define ASSERT_CONTAINS(hay, needle)                                                 \
    do {                                                                             \
        const char *h_ = (hay), *n_ = (needle);                                      \
        if (!h_ || !strstr(h_, n_))                                                  \
            MM_FAIL_("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);      \
    } while (0)

#endif
