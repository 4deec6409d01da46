/* fuzz_policy.c - libFuzzer target for the policy parser (JSON, criteria, times, ports, files). */
#include "select/policy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files a policy may name: a key, a domestic list and a feed, so the
 * fuzzer reaches past the file references into criteria validation. */
static const char *fixture_dir(void)
{
    static char dir[64];
    if (dir[0])
        return dir;
    snprintf(dir, sizeof dir, "/tmp/mm-fuzz-policy-%d", (int)getpid());
    mkdir(dir, 0700);
    char path[128];
    snprintf(path, sizeof path, "%s/pseudo.key", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202\n", f);
        fclose(f);
        chmod(path, 0600);
    }
    snprintf(path, sizeof path, "%s/domestic.txt", dir);
    if ((f = fopen(path, "w"))) {
        fputs("133.0.0.0/8\n2001:db8:aa::/48\n", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/feed.txt", dir);
    if ((f = fopen(path, "w"))) {
        fputs("198.51.100.0/24\n2001:db8:77::5\n", f);
        fclose(f);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_policy *p = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_policy_parse((const char *)data, size, "fuzz.json", fixture_dir(), &p, &err) == 0) {
        /* exercise what the engine reads */
        for (size_t i = 0; i < p->ncriteria; i++)
            (void)mm_criterion_accepts(&p->criteria[i], 6, 443);
        mm_policy_free(p);
    } else if (err.msg[0] == '\0') {
        abort(); /* every refusal must say why */
    }
    return 0;
}
