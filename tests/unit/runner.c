/* runner.c - runs every registered unit test, one TAP-like line each, then "N passed, N failed". */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int mm_test_failed;
static struct mm_test *tests_head, **tests_tail = &tests_head;
static char tmpdir[256];

void mm_test_register(struct mm_test *t)
{
    *tests_tail = t;
    tests_tail = &t->next;
}

const char *mm_test_tmpdir(void) { return tmpdir; }

const char *mm_test_shared_data(void)
{
    const char *env = getenv("MM_SHARED_DATA");
    const char *dir = env && *env ? env : "../shared/data";
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    snprintf(tmpdir, sizeof tmpdir, "%s/mm-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    int n = 0, passed = 0, failed = 0;
    for (struct mm_test *t = tests_head; t; t = t->next) {
        if (filter && !strstr(t->name, filter))
            continue;
        mm_test_failed = 0;
        t->fn();
        n++;
        if (mm_test_failed) {
            failed++;
            printf("not ok %d - %s\n", n, t->name);
        } else {
            passed++;
            printf("ok %d - %s\n", n, t->name);
        }
        fflush(stdout);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
