/* fuzz_prefix_file.c - address lists (plain and delegated) into a prefix map, then lookups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select/prefix_file.h"
#include "select/prefix_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    struct mm_prefix_map_builder *b;
    uint32_t value;
    struct mm_addr probe[8]; /* a few parsed addresses to look up afterwards */
    size_t nprobe;
};

static int add_cb(void *ctx, const struct mm_prefix *p)
{
    struct sink *s = ctx;
    /* Cap the map so one input cannot take the run's memory. */
    if (mm_prefix_map_builder_count(s->b) >= 100000)
        return 1;
    int rc = mm_prefix_map_builder_add(s->b, p, s->value++ % 7);
    if (rc == 0 && s->nprobe < 8)
        s->probe[s->nprobe++] = p->addr;
    return rc;
}

static void run(const uint8_t *data, size_t size, const char *country)
{
    struct sink s = {mm_prefix_map_builder_new(), 0, {{0}}, 0};
    if (!s.b)
        return;
    struct mm_err err;
    mm_err_clear(&err);
    int rc = mm_prefix_text_read((const char *)data, size, "fuzz", country, add_cb, &s, &err);
    /* An error message must be a terminated, bounded string. */
    if (rc < 0 && strlen(err.msg) >= sizeof err.msg)
        abort();
    struct mm_prefix_map *m = NULL;
    if (mm_prefix_map_build(s.b, &m, NULL) == 0) {
        for (size_t i = 0; i < s.nprobe; i++) {
            size_t n;
            uint32_t id = mm_prefix_map_lookup(m, &s.probe[i]);
            const uint32_t *v = mm_prefix_map_set(m, id, &n);
            /* Each probe is the start of a prefix that was added: covered. */
            if (id == 0 || !v || n == 0)
                abort();
            for (size_t k = 1; k < n; k++)
                if (v[k - 1] >= v[k])
                    abort();
        }
        struct mm_addr edge = {0};
        edge.family = 4;
        mm_prefix_map_lookup(m, &edge);
        memset(edge.bytes, 0xff, 16);
        edge.family = 6;
        mm_prefix_map_lookup(m, &edge);
        mm_prefix_map_free(m);
    }
    mm_prefix_map_builder_free(s.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, NULL);
    run(data, size, "JP");
    return 0;
}
