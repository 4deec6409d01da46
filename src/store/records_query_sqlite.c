/* records_query_sqlite.c - filtered reads of stored records (SQLite backend) and the record contract
 * rebuilt from a row. */
#include "store/records_query.h"

#include "store/sqlite_internal.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const purposes[] = {
#define MM_PURPOSE_STR_(name, str) str,
    MM_PURPOSE_MAP(MM_PURPOSE_STR_)
#undef MM_PURPOSE_STR_
};

bool mm_purpose_allowed(const char *purpose)
{
    if (!purpose)
        return false;
    for (size_t i = 0; i < sizeof purposes / sizeof purposes[0]; i++)
        if (strcmp(purpose, purposes[i]) == 0)
            return true;
    return false;
}

const char *mm_purpose_list(void)
{
    return "damage_prevention, provision, committee_inspection";
}

void mm_record_filter_init(struct mm_record_filter *f)
{
    memset(f, 0, sizeof *f);
    f->from_ns = INT64_MIN;
    f->to_ns = INT64_MAX;
}

json_t *mm_record_filter_to_json(const struct mm_record_filter *f)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char text[MM_TIME_TEXT_MAX > MM_ADDR_TEXT_MAX + 4 ? MM_TIME_TEXT_MAX : MM_ADDR_TEXT_MAX + 4];
    int rc = 0;
    if (f->from_ns != INT64_MIN) {
        mm_time_format_us(f->from_ns, text, sizeof text);
        rc |= json_object_set_new(o, "from", json_string(text));
    }
    if (f->to_ns != INT64_MAX) {
        mm_time_format_us(f->to_ns, text, sizeof text);
        rc |= json_object_set_new(o, "to", json_string(text));
    }
    if (f->criterion[0])
        rc |= json_object_set_new(o, "criterion", json_string(f->criterion));
    if (f->direction[0])
        rc |= json_object_set_new(o, "direction", json_string(f->direction));
    if (f->has_addr) {
        mm_addr_format(&f->addr, text, sizeof text);
        rc |= json_object_set_new(o, "address", json_string(text));
    }
    if (f->has_prefix) {
        mm_prefix_format(&f->prefix, text, sizeof text);
        rc |= json_object_set_new(o, "prefix", json_string(text));
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *mm_record_filter_to_text(const struct mm_record_filter *f)
{
    json_t *o = mm_record_filter_to_json(f);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static int copy_string(const json_t *o, const char *key, char *out, size_t cap, struct mm_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return mm_err_set(err, MM_EFORMAT, "filter: %s: expected a string shorter than %zu", key, cap);
    snprintf(out, cap, "%s", json_string_value(v));
    return 0;
}

int mm_record_filter_from_json(const json_t *o, struct mm_record_filter *f, struct mm_err *err)
{
    mm_record_filter_init(f);
    if (!json_is_object(o))
        return mm_err_set(err, MM_EFORMAT, "filter: not a JSON object");
    char text[MM_TIME_TEXT_MAX > MM_ADDR_TEXT_MAX + 4 ? MM_TIME_TEXT_MAX : MM_ADDR_TEXT_MAX + 4] = "";
    int rc;
    if ((rc = copy_string(o, "criterion", f->criterion, sizeof f->criterion, err)) ||
        (rc = copy_string(o, "direction", f->direction, sizeof f->direction, err)))
        return rc;
    static const char *const times[] = {"from", "to"};
    for (int i = 0; i < 2; i++) {
        text[0] = '\0';
        if ((rc = copy_string(o, times[i], text, sizeof text, err)))
            return rc;
        if (text[0] && mm_time_parse_rfc3339(text, i == 0 ? &f->from_ns : &f->to_ns) != 0)
            return mm_err_set(err, MM_EFORMAT, "filter: %s: not an RFC 3339 time", times[i]);
    }
    text[0] = '\0';
    if ((rc = copy_string(o, "address", text, sizeof text, err)))
        return rc;
    if (text[0]) {
        if (mm_addr_parse(text, &f->addr) != 0)
            return mm_err_set(err, MM_EFORMAT, "filter: address: not an address");
        f->has_addr = true;
    }
    text[0] = '\0';
    if ((rc = copy_string(o, "prefix", text, sizeof text, err)))
        return rc;
    if (text[0]) {
        if (mm_prefix_parse(text, &f->prefix) != 0)
            return mm_err_set(err, MM_EFORMAT, "filter: prefix: not a prefix");
        f->has_prefix = true;
    }
    return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* A stored address is in the prefix. Text that does not parse (never
 * written by this program) matches nothing. */
static bool text_in_prefix(const char *text, const struct mm_prefix *p)
{
    struct mm_addr a;
    return mm_addr_parse(text, &a) == 0 && mm_prefix_contains(p, &a);
}

int mm_store_records_query(struct mm_store *s, const struct mm_record_filter *f, mm_stored_record_cb cb,
                           void *ctx, struct mm_err *err)
{
    /* Unset parts bind values that match everything, so one statement
     * serves every filter. */
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(
        s,
        "SELECT id, run_id, erase_after, policy_id, route, direction, proto, src_addr, src_port,"
        " src_pseudonymized, dst_addr, dst_port, dst_pseudonymized, packets, bytes, tcp_flags,"
        " first_seen, last_seen, criteria FROM records"
        " WHERE last_seen >= ?1 AND first_seen < ?2"
        " AND (?3 IS NULL OR direction = ?3)"
        " AND (?4 IS NULL OR src_addr = ?4 OR dst_addr = ?4)"
        " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(records.criteria) WHERE value = ?5))"
        " ORDER BY id",
        &st, err);
    if (rc)
        return rc;
    char addr[MM_ADDR_TEXT_MAX];
    sqlite3_bind_int64(st, 1, f->from_ns);
    sqlite3_bind_int64(st, 2, f->to_ns);
    mm_sql_bind_text(st, 3, f->direction[0] ? f->direction : NULL);
    if (f->has_addr) {
        mm_addr_format(&f->addr, addr, sizeof addr);
        mm_sql_bind_text(st, 4, addr);
    } else {
        sqlite3_bind_null(st, 4);
    }
    mm_sql_bind_text(st, 5, f->criterion[0] ? f->criterion : NULL);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_stored_record r = {
            .id = sqlite3_column_int64(st, 0),
            .run_id = sqlite3_column_int64(st, 1),
            .erase_after_ns = sqlite3_column_int64(st, 2),
            .policy_id = col_text(st, 3),
            .route = col_text(st, 4),
            .direction = col_text(st, 5),
            .proto = sqlite3_column_int(st, 6),
            .src_addr = col_text(st, 7),
            .src_port = sqlite3_column_int(st, 8),
            .src_pseudonymized = sqlite3_column_int(st, 9) != 0,
            .dst_addr = col_text(st, 10),
            .dst_port = sqlite3_column_int(st, 11),
            .dst_pseudonymized = sqlite3_column_int(st, 12) != 0,
            .packets = sqlite3_column_int64(st, 13),
            .bytes = sqlite3_column_int64(st, 14),
            .tcp_flags = sqlite3_column_int(st, 15),
            .first_seen_ns = sqlite3_column_int64(st, 16),
            .last_seen_ns = sqlite3_column_int64(st, 17),
            .criteria_json = col_text(st, 18),
        };
        if (f->has_prefix && !text_in_prefix(r.src_addr, &f->prefix) &&
            !text_in_prefix(r.dst_addr, &f->prefix))
            continue;
        if ((rc = cb(ctx, &r)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "query records", err);
    sqlite3_finalize(st);
    return rc;
}

json_t *mm_stored_record_json(const struct mm_stored_record *r)
{
    char first[MM_TIME_TEXT_MAX], last[MM_TIME_TEXT_MAX];
    mm_time_format_us(r->first_seen_ns, first, sizeof first);
    mm_time_format_us(r->last_seen_ns, last, sizeof last);
    json_t *criteria = json_loads(r->criteria_json, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(criteria)) {
        json_decref(criteria);
        return NULL;
    }
    /* jansson keeps insertion order: this is the contract's order. */
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:b, s:s, s:i, s:b, s:I, s:I, s:i, s:s, s:s, s:o}",
                     "policy_id", r->policy_id, "route", r->route, "direction", r->direction, "proto",
                     r->proto, "src_addr", r->src_addr, "src_port", r->src_port, "src_pseudonymized",
                     r->src_pseudonymized, "dst_addr", r->dst_addr, "dst_port", r->dst_port,
                     "dst_pseudonymized", r->dst_pseudonymized, "packets", (json_int_t)r->packets,
                     "bytes", (json_int_t)r->bytes, "tcp_flags", r->tcp_flags, "first_seen", first,
                     "last_seen", last, "criteria", criteria);
}
