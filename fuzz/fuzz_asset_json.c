/* fuzz_asset_json.c - libFuzzer target for the asset document decoder (JSON -> normalized asset). */
#include "registry/registry.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mm_cp_settings cfg;
    static int ready;
    struct mm_err err;
    mm_err_clear(&err);
    if (!ready)
        ready = mm_cp_settings_init(&cfg, &err) == 0 ? 1 : -1;
    if (ready < 0)
        abort();
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!in)
        return 0;
    json_t *problems = json_array(), *doc = NULL;
    /* Either the whole thing is one asset or, as in an import, an array of them. */
    if (json_is_array(in)) {
        size_t i;
        json_t *e;
        json_array_foreach(in, i, e) {
            mm_asset_normalize(e, &cfg, "/0", problems, &doc);
            json_decref(doc);
            doc = NULL;
        }
    } else if (mm_asset_normalize(in, &cfg, "", problems, &doc) == 0 && json_array_size(problems)) {
        abort(); /* success with problems is a contradiction */
    }
    json_decref(doc);
    json_decref(problems);
    json_decref(in);
    return 0;
}
