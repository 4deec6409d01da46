/* fuzz_csv_import.c - libFuzzer target for the CSV reader and the import's row checks (no store:
 * the first, store-free pass of mm_registry_import is what untrusted bytes reach first). */
#include "registry/csv.h"
#include "registry/registry.h"

#include <stdint.h>
#include <stdlib.h>

static int row(void *ctx, const struct mm_csv_record *r)
{
    const struct mm_cp_settings *cfg = ctx;
    if (r->number == 1 || r->nfields < 4)
        return 0;
    /* category, vendor, product, in_service_from, then anything: through the asset checks. */
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "category", r->fields[0], "vendor", r->fields[1], "product",
                          r->fields[2], "in_service_from", r->fields[3]);
    if (o && r->nfields > 4)
        json_object_set_new(o, "cpe", json_string(r->fields[4]));
    json_t *problems = json_array(), *doc = NULL;
    if (o)
        mm_asset_normalize(o, cfg, "", problems, &doc);
    json_decref(doc);
    json_decref(problems);
    json_decref(o);
    return 0;
}

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
    mm_csv_parse((const char *)data, size, row, &cfg, &err);
    return 0;
}
