/* governance.c - the audit-and-commit step and small helpers the committee's commands share. */
#include "cli/governance.h"

#include "cli/commands.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mm_gov_exit_code(int rc)
{
    switch (rc) {
    case 0:
        return MM_EXIT_OK;
    case MM_EFORMAT:
    case MM_EINVAL:
    case MM_ECONFLICT:
    case MM_ENOTFOUND:
    case MM_EVERIFY:
    case MM_EPERM:
    case MM_EIO:
        return MM_EXIT_USAGE;
    case MM_EDENIED:
        return MM_EXIT_DENIED;
    default:
        return MM_EXIT_FAIL;
    }
}

int mm_gov_finish(struct mm_session *s, int rc, struct mm_err *err, const char *action,
                  const char *reason, json_t *object, int64_t count)
{
    if (rc == 0) {
        char *text = object ? json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(object);
        if (!text)
            fprintf(stderr, "%s: out of memory\n", s->command);
        /* mm_session_audit reports its own failure. */
        int audited = text ? mm_session_audit(s, action, NULL, reason, text, count, "ok") : 1;
        free(text);
        if (audited == 0 && mm_store_commit(s->store, err) == 0)
            return MM_EXIT_OK;
        mm_store_rollback(s->store);
        if (err->code)
            mm_session_error(s->command, err);
        return MM_EXIT_FAIL;
    }
    mm_store_rollback(s->store);
    mm_session_error(s->command, err);
    int code = mm_gov_exit_code(rc);
    if (object)
        json_object_set_new(object, "refused",
                            json_string(err->msg[0] ? err->msg : mm_strerror(rc)));
    char *text = object ? json_dumps(object, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(object);
    /* The refusal is evidence too; it commits on its own. */
    mm_session_audit(s, action, NULL, reason, text, 0, code == MM_EXIT_USAGE ? "refused" : "error");
    free(text);
    return code;
}

json_t *mm_gov_time_json(int64_t ns)
{
    if (ns == INT64_MIN || ns == INT64_MAX)
        return json_null();
    char buf[MM_TIME_TEXT_MAX];
    mm_time_format_us(ns, buf, sizeof buf);
    return json_string(buf);
}

int mm_gov_listing_open(struct mm_gov_listing *l, const char *format, const char *header,
                        struct mm_err *err)
{
    memset(l, 0, sizeof *l);
    l->out = open_memstream(&l->buf, &l->len);
    if (l->out && strcmp(format, "json") == 0)
        l->array = json_array();
    else if (l->out)
        fputs(header, l->out);
    if (!l->out || (strcmp(format, "json") == 0 && !l->array))
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    return 0;
}

int mm_gov_listing_close(struct mm_session *s, struct mm_gov_listing *l, int rc, struct mm_err *err,
                         const char *action, json_t *object)
{
    if (rc == MM_ENOMEM)
        mm_err_set(err, rc, "out of memory");
    if (rc == 0 && l->array) {
        json_dumpf(l->array, l->out, JSON_INDENT(2));
        fputc('\n', l->out);
    }
    json_decref(l->array);
    if (l->out)
        fclose(l->out);
    int code = mm_gov_finish(s, rc, err, action, NULL, object, l->n);
    if (code == 0)
        fwrite(l->buf, 1, l->len, stdout);
    free(l->buf);
    memset(l, 0, sizeof *l);
    return code;
}

json_t *mm_gov_ports_json(const char *ports)
{
    json_t *a = json_array();
    for (const char *p = ports; a && p && *p;) {
        char *end;
        json_array_append_new(a, json_integer(strtol(p, &end, 10)));
        p = *end ? end + 1 : end;
    }
    return a;
}
