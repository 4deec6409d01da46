/* provision_sqlite.c - provision profiles, package files and their record in the store (SQLite). */
#include "store/provision.h"

#include "store/sqlite_internal.h"
#include "util/digest.h"
#include "util/timefmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const field_names[] = {
#define MM_PROVISION_FIELD_STR_(name, str) str,
    MM_PROVISION_FIELD_MAP(MM_PROVISION_FIELD_STR_)
#undef MM_PROVISION_FIELD_STR_
};
#define NFIELDS ((int)(sizeof field_names / sizeof field_names[0]))

static int field_index(const char *name)
{
    for (int i = 0; i < NFIELDS; i++)
        if (strcmp(name, field_names[i]) == 0)
            return i;
    return -1;
}

void mm_provision_profile_default(struct mm_provision_profile *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "default");
    static const char *const keep[] = {"direction", "proto",     "packets",  "bytes",
                                       "tcp_flags", "first_seen", "last_seen", "criteria"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        p->fields |= 1u << field_index(keep[i]);
    p->indicator_endpoints = true;
}

int mm_provision_profile_load(const char *path, struct mm_provision_profile *p, struct mm_err *err)
{
    memset(p, 0, sizeof *p);
    json_error_t jerr;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return mm_err_set(err, MM_EFORMAT, "%s: line %d: %s", path, jerr.line, jerr.text);
    int rc = 0;
    const char *key;
    json_t *v;
    if (!json_is_object(o)) {
        rc = mm_err_set(err, MM_EFORMAT, "%s: not a JSON object", path);
        goto out;
    }
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "name") == 0 && json_is_string(v) && json_string_length(v) < sizeof p->name &&
            json_string_length(v) > 0) {
            snprintf(p->name, sizeof p->name, "%s", json_string_value(v));
        } else if (strcmp(key, "indicator_endpoints") == 0 && json_is_boolean(v)) {
            p->indicator_endpoints = json_is_true(v);
        } else if (strcmp(key, "fields") == 0 && json_is_array(v)) {
            size_t i;
            json_t *f;
            json_array_foreach(v, i, f)
            {
                int idx = json_is_string(f) ? field_index(json_string_value(f)) : -1;
                if (idx < 0) {
                    rc = mm_err_set(err, MM_EFORMAT,
                                    "%s: fields[%zu]: not a field a package may carry (addresses and "
                                    "ports come only through indicator_endpoints)",
                                    path, i);
                    goto out;
                }
                p->fields |= 1u << idx;
            }
        } else {
            rc = mm_err_set(err, MM_EFORMAT, "%s: %s: unknown key or wrong type", path, key);
            goto out;
        }
    }
    if (!p->name[0])
        rc = mm_err_set(err, MM_EFORMAT, "%s: name: required (a non-empty string)", path);
out:
    json_decref(o);
    return rc;
}

json_t *mm_provision_profile_json(const struct mm_provision_profile *p)
{
    json_t *fields = json_array();
    for (int i = 0; fields && i < NFIELDS; i++)
        if (p->fields & (1u << i))
            json_array_append_new(fields, json_string(field_names[i]));
    return json_pack("{s:s, s:o, s:b}", "name", p->name, "fields", fields, "indicator_endpoints",
                     p->indicator_endpoints);
}

static bool keep_key(const struct mm_provision_profile *p, const struct mm_stored_record *r, const char *key)
{
    int idx = field_index(key);
    if (idx >= 0)
        return (p->fields & (1u << idx)) != 0;
    if (!p->indicator_endpoints)
        return false;
    if (strcmp(key, "src_addr") == 0 || strcmp(key, "src_port") == 0)
        return !r->src_pseudonymized;
    if (strcmp(key, "dst_addr") == 0 || strcmp(key, "dst_port") == 0)
        return !r->dst_pseudonymized;
    return false; /* the *_pseudonymized flags and anything else */
}

json_t *mm_provision_apply(const struct mm_provision_profile *p, const struct mm_stored_record *r)
{
    json_t *full = mm_stored_record_json(r), *out = json_object();
    if (!full || !out) {
        json_decref(full);
        json_decref(out);
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(full, key, v)
    {
        if (keep_key(p, r, key) && json_object_set(out, key, v) != 0) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    json_decref(full);
    return out;
}

/* ---- the package ---- */

struct package_writer {
    FILE *f;
    const struct mm_provision_profile *profile;
    int64_t records;
    struct mm_err *err;
    const char *path;
};

static int write_record(void *ctx, const struct mm_stored_record *r)
{
    struct package_writer *w = ctx;
    json_t *o = mm_provision_apply(w->profile, r);
    if (!o)
        return mm_err_set(w->err, MM_ENOMEM, "out of memory (or a corrupt criteria column, record %lld)",
                          (long long)r->id);
    int rc = json_dumpf(o, w->f, JSON_COMPACT);
    json_decref(o);
    if (rc != 0 || fputc('\n', w->f) == EOF)
        return mm_err_set(w->err, MM_EOUTPUT, "%s: write failed: %s", w->path, strerror(errno));
    w->records++;
    return 0;
}

static FILE *create_private(const char *path, struct mm_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        mm_err_set(err, MM_EOUTPUT, "%s: cannot create: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

static int close_synced(FILE *f, const char *path, struct mm_err *err)
{
    int rc = fflush(f) != 0 || fsync(fileno(f)) != 0;
    rc |= fclose(f) != 0;
    return rc ? mm_err_set(err, MM_EOUTPUT, "%s: write failed: %s", path, strerror(errno)) : 0;
}

static int prepare_dir(const char *dir, struct mm_err *err)
{
    if (mkdir(dir, 0700) == 0)
        return 0;
    if (errno != EEXIST)
        return mm_err_set(err, MM_EOUTPUT, "%s: cannot create: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return mm_err_set(err, MM_EOUTPUT, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            rc = mm_err_set(err, MM_ECONFLICT, "%s: not empty; a package goes into a new directory", dir);
            break;
        }
    closedir(d);
    return rc;
}

static int record_package(struct mm_store *s, const struct mm_provision_request *req,
                          struct mm_provision_result *res, const char *filter, struct mm_err *err)
{
    sqlite3_stmt *st = NULL;
    char *object = NULL;
    int rc = mm_store_begin(s, err);
    if (rc)
        return rc;
    if ((rc = mm_sql_prepare(s,
                             "INSERT INTO provisions(at, actor, to_agency, purpose, reason, filter, records,"
                             " package_sha256) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                             &st, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, mm_time_now_ns());
    mm_sql_bind_text(st, 2, req->actor);
    mm_sql_bind_text(st, 3, req->to_agency);
    mm_sql_bind_text(st, 4, req->purpose);
    mm_sql_bind_text(st, 5, req->reason);
    mm_sql_bind_text(st, 6, filter);
    sqlite3_bind_int64(st, 7, res->records);
    mm_sql_bind_text(st, 8, res->package_sha256);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = mm_sql_fail(s, "record provision", err);
        goto fail;
    }
    res->id = sqlite3_last_insert_rowid(s->db);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s}", "provision", (json_int_t)res->id, "to",
                          req->to_agency, "profile", req->profile->name, "package_sha256",
                          res->package_sha256, "records_sha256", res->records_sha256);
    if (o)
        json_object_set_new(o, "filter", json_loads(filter, 0, NULL));
    object = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!object) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto fail;
    }
    struct mm_audit_entry e = {.actor = req->actor,
                               .role = req->role,
                               .action = "records.provide",
                               .purpose = req->purpose,
                               .reason = req->reason,
                               .object = object,
                               .count = res->records,
                               .outcome = "ok"};
    if ((rc = mm_store_audit_append(s, &e, err)))
        goto fail;
    sqlite3_finalize(st);
    free(object);
    return mm_store_commit(s, err);
fail:
    sqlite3_finalize(st);
    free(object);
    mm_store_rollback(s);
    return rc;
}

int mm_provision_build(struct mm_store *s, const struct mm_provision_request *req,
                       struct mm_provision_result *res, struct mm_err *err)
{
    memset(res, 0, sizeof *res);
    char records_path[4096], manifest_path[4096], sum_path[4096];
    snprintf(records_path, sizeof records_path, "%s/records.jsonl", req->out_dir);
    snprintf(manifest_path, sizeof manifest_path, "%s/manifest.json", req->out_dir);
    snprintf(sum_path, sizeof sum_path, "%s/manifest.sha256", req->out_dir);
    char *filter = mm_record_filter_to_text(req->filter);
    json_t *manifest = NULL;
    int rc;
    if (!filter)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    if ((rc = prepare_dir(req->out_dir, err))) {
        free(filter);
        return rc;
    }
    struct package_writer w = {.profile = req->profile, .err = err, .path = records_path};
    if (!(w.f = create_private(records_path, err))) {
        rc = MM_EOUTPUT;
        goto fail;
    }
    rc = mm_store_records_query(s, req->filter, write_record, &w, err);
    int crc = close_synced(w.f, records_path, err);
    if (rc || (rc = crc))
        goto fail;
    res->records = w.records;
    if ((rc = mm_sha256_file_hex(records_path, res->records_sha256, err)))
        goto fail;
    char created[MM_TIME_TEXT_MAX];
    mm_time_format_us(mm_time_now_ns(), created, sizeof created);
    manifest = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:s, s:s}", "agency", req->to_agency,
                         "purpose", req->purpose, "reason", req->reason, "filter",
                         json_loads(filter, 0, NULL), "profile", mm_provision_profile_json(req->profile),
                         "records", (json_int_t)res->records, "created_at", created, "records_file",
                         "records.jsonl", "records_sha256", res->records_sha256);
    if (!manifest) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto fail;
    }
    FILE *mf = create_private(manifest_path, err);
    if (!mf) {
        rc = MM_EOUTPUT;
        goto fail;
    }
    int drc = json_dumpf(manifest, mf, JSON_INDENT(2));
    drc |= fputc('\n', mf) == EOF;
    crc = close_synced(mf, manifest_path, err);
    if (drc && !crc)
        crc = mm_err_set(err, MM_EOUTPUT, "%s: write failed", manifest_path);
    if ((rc = crc) || (rc = mm_sha256_file_hex(manifest_path, res->package_sha256, err)))
        goto fail;
    FILE *sf = create_private(sum_path, err);
    if (!sf) {
        rc = MM_EOUTPUT;
        goto fail;
    }
    fprintf(sf, "%s  manifest.json\n", res->package_sha256);
    if ((rc = close_synced(sf, sum_path, err)))
        goto fail;
    if ((rc = record_package(s, req, res, filter, err)))
        goto fail;
    json_decref(manifest);
    free(filter);
    return 0;
fail:
    unlink(records_path);
    unlink(manifest_path);
    unlink(sum_path);
    rmdir(req->out_dir);
    json_decref(manifest);
    free(filter);
    return rc;
}
