/* fuzz_report_json.c - libFuzzer target for the incident report decoder: a report body is checked
 * and merged as an initial report and then, on top of it, as an update (in-memory store, so the
 * affected-asset and organization look-ups run too). */
#include "reports/reports.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mm_cp_settings cfg;
    static struct mm_store *s;
    static struct mm_actor op;
    static int ready;
    struct mm_err err;
    mm_err_clear(&err);
    if (!ready) {
        ready = -1;
        struct mm_org o = {.type = MM_ORG_OPERATOR, .nsectors = 1};
        snprintf(o.name, sizeof o.name, "op");
        snprintf(o.sectors[0], sizeof o.sectors[0], "electricity");
        if (mm_cp_settings_init(&cfg, &err) == 0 && mm_store_open(":memory:", MM_STORE_CREATE, &s, &err) == 0 &&
            mm_store_org_add(s, &o, "fuzz", 1, &o.id, &err) == 0) {
            op.org = o;
            mm_scope_of_org(&o, &op.scope);
            ready = 1;
        }
    }
    if (ready < 0)
        abort();
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!in)
        return 0;
    json_t *problems = json_array(), *doc = NULL, *doc2 = NULL;
    if (mm_report_build(s, &cfg, &op, in, NULL, problems, &doc, &err) == 0) {
        mm_report_derive(doc);
        json_object_set_new(in, "stage", json_string("update"));
        mm_report_build(s, &cfg, &op, in, doc, problems, &doc2, &err);
    }
    json_decref(doc);
    json_decref(doc2);
    json_decref(problems);
    json_decref(in);
    return 0;
}
