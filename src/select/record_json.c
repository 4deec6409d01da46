/* record_json.c - hand-formatted record lines (a fixed schema; ids are validated to need no escaping)
 * and jansson-built statistics. */
#include "select/record_json.h"

#include "util/timefmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t mm_record_format_json(const struct mm_policy *policy, const struct mm_record *r, char *buf,
                             size_t cap)
{
    char src[MM_ADDR_TEXT_MAX], dst[MM_ADDR_TEXT_MAX], first[MM_TIME_TEXT_MAX], last[MM_TIME_TEXT_MAX];
    mm_addr_format(&r->src, src, sizeof src);
    mm_addr_format(&r->dst, dst, sizeof dst);
    mm_time_format_us(r->first_ns, first, sizeof first);
    mm_time_format_us(r->last_ns, last, sizeof last);
    int n = snprintf(buf, cap,
                     "{\"policy_id\":\"%s\",\"route\":\"%s\",\"direction\":\"%s\",\"proto\":%u,"
                     "\"src_addr\":\"%s\",\"src_port\":%u,\"src_pseudonymized\":%s,"
                     "\"dst_addr\":\"%s\",\"dst_port\":%u,\"dst_pseudonymized\":%s,"
                     "\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"tcp_flags\":%u,"
                     "\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"criteria\":[",
                     policy->policy_id, mm_route_name(policy->route), mm_direction_name(r->direction),
                     r->proto, src, r->src_port, r->src_pseudonymized ? "true" : "false", dst,
                     r->dst_port, r->dst_pseudonymized ? "true" : "false", r->packets, r->bytes,
                     r->tcp_flags, first, last);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    size_t len = (size_t)n;
    for (uint32_t i = 0; i < r->ncriteria; i++) {
        n = snprintf(buf + len, cap - len, "%s\"%s\"", i ? "," : "",
                     policy->criteria[r->criteria[i]].id);
        if (n < 0 || (size_t)n >= cap - len)
            return 0;
        len += (size_t)n;
    }
    if (len + 3 > cap)
        return 0;
    memcpy(buf + len, "]}\n", 3);
    return len + 3;
}

static int set_u64(json_t *obj, const char *key, uint64_t v)
{
    return json_object_set_new(obj, key, json_integer((json_int_t)v));
}

json_t *mm_select_stats_json(const struct mm_select_stats *s, const struct mm_policy *policy,
                             unsigned workers)
{
    json_t *o = json_object(), *mal = json_object(), *seen = json_object(), *disc = json_object(),
           *sel = json_object();
    if (!o || !mal || !seen || !disc || !sel)
        goto fail;
    json_object_set_new(o, "policy_id", json_string(policy->policy_id));
    set_u64(o, "policy_version", policy->policy_version);
    json_object_set_new(o, "route", json_string(mm_route_name(policy->route)));
    set_u64(o, "workers", workers);
    set_u64(o, "packets", s->packets);
    set_u64(o, "bytes_captured", s->bytes_captured);
    set_u64(o, "bytes_wire", s->bytes_wire);
    set_u64(o, "not_ip", s->not_ip);
    uint64_t total_malformed = 0;
    for (int i = MM_DECODE_NOT_IP + 1; i < MM_DECODE_REASON_COUNT; i++) {
        set_u64(mal, mm_decode_reason_name((enum mm_decode_reason)i), s->malformed[i]);
        total_malformed += s->malformed[i];
    }
    set_u64(o, "malformed_total", total_malformed);
    json_object_set_new(o, "malformed", mal);
    mal = NULL;
    set_u64(o, "fragments_unmatched", s->fragments_unmatched);
    uint64_t flows = 0;
    for (int d = 0; d < MM_DIR_COUNT; d++) {
        set_u64(seen, mm_direction_name((enum mm_direction)d), s->flows_seen[d]);
        flows += s->flows_seen[d];
    }
    set_u64(o, "flows", flows);
    json_object_set_new(o, "flows_seen", seen);
    seen = NULL;
    set_u64(disc, "domestic_to_domestic", s->discarded_domestic_to_domestic);
    set_u64(disc, "route_direction", s->discarded_route_direction);
    set_u64(disc, "no_criterion", s->discarded_no_criterion);
    json_object_set_new(o, "flows_discarded", disc);
    disc = NULL;
    set_u64(o, "flows_selected", s->flows_selected);
    for (size_t i = 0; i < s->ncriteria && i < policy->ncriteria; i++)
        set_u64(sel, policy->criteria[i].id, s->selected_per_criterion[i]);
    json_object_set_new(o, "selected_per_criterion", sel);
    sel = NULL;
    set_u64(o, "flows_evicted", s->flows_evicted);
    set_u64(o, "kernel_dropped", s->kernel_dropped);
    json_object_set_new(o, "selection_seconds", json_real((double)s->elapsed_ns / 1e9));
    set_u64(o, "criteria_memory_bytes", mm_prefix_map_memory(policy->criteria_map));
    set_u64(o, "domestic_memory_bytes", mm_prefix_map_memory(policy->domestic_map));
    return o;
fail:
    json_decref(o);
    json_decref(mal);
    json_decref(seen);
    json_decref(disc);
    json_decref(sel);
    return NULL;
}
