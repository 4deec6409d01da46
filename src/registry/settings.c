/* settings.c - the control plane's typed settings table, its defaults and the settings file. */
#include "registry/settings.h"

#include "util/datefmt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_SECTORS                                                                            \
    "information_communication,finance,aviation,airport,railway,electricity,gas,government,"       \
    "medical,water,logistics,chemical,credit_card,petroleum,port"
#define DEFAULT_CATEGORIES                                                                         \
    "server,network_device,control_system,storage,cloud_service,security_device,terminal,other"

static const struct mm_setting_def table[] = {
    {"enforcement_date", MM_SETTING_DATE, 0, 0, "2026-10-01",
     "the day registration and reporting duties start"},
    {"existing_grace_months", MM_SETTING_INT, 0, 60, "6",
     "assets in service before enforcement_date are due this many months after it"},
    {"change_due_days", MM_SETTING_INT, 1, 365, "30",
     "a new asset (in service from enforcement_date on) or a change is due this many days after"},
    {"forward_due_days", MM_SETTING_INT, 1, 365, "30",
     "the receiving ministry forwards a filing to the Cabinet Office within this many days"},
    {"report_initial_hours", MM_SETTING_INT, 1, 720, "72", "an initial report is due this many hours after aware_at"},
    {"report_final_days", MM_SETTING_INT, 1, 365, "30", "a final report is due this many days after aware_at"},
    {"import_max_rows", MM_SETTING_INT, 1, 1000000, "100000", "rows in one bulk asset import"},
    {"sectors", MM_SETTING_LIST, 1, 256, DEFAULT_SECTORS, "critical-infrastructure sector ids"},
    {"categories", MM_SETTING_LIST, 1, 256, DEFAULT_CATEGORIES, "equipment category ids"},
    {"attack_techniques_file", MM_SETTING_PATH, 0, 0, "etc/attack-techniques.txt",
     "the MITRE ATT&CK technique ids reports may use (scripts/gen-attack-ids.sh)"},
};
#define NSETTINGS (sizeof table / sizeof table[0])

const struct mm_setting_def *mm_cp_settings_table(size_t *n)
{
    *n = NSETTINGS;
    return table;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

bool mm_strlist_has(const struct mm_strlist *l, const char *s)
{
    if (!s)
        return false;
    if (l->sorted)
        return bsearch(&s, l->items, l->n, sizeof l->items[0], cmp_str) != NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static void strlist_free(struct mm_strlist *l)
{
    free(l->buf);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static bool id_char(int c) { return islower(c) || isdigit(c) || c == '_' || c == '-' || c == '.'; }

/* Split text on sep (',' or '\n'), trimming blanks; lines starting with '#' are skipped. Entries
 * must be ids (a-z 0-9 _ - .; up to 63) when ids is set. */
static int strlist_parse(struct mm_strlist *out, const char *text, char sep, bool ids, bool sort,
                         const char *what, int64_t min, int64_t max, struct mm_err *err)
{
    struct mm_strlist l = {0};
    size_t len = strlen(text);
    if (!(l.buf = malloc(len + 1)) || !(l.items = calloc(len / 2 + 2, sizeof *l.items))) {
        strlist_free(&l);
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    memcpy(l.buf, text, len + 1);
    char *p = l.buf;
    while (p && *p) {
        char *end = strchr(p, sep);
        if (end)
            *end = '\0';
        char *e = p + strlen(p);
        while (*p && isspace((unsigned char)*p))
            p++;
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (*p && *p != '#') {
            size_t n = strlen(p);
            for (size_t i = 0; ids && i < n; i++)
                if (!id_char((unsigned char)p[i]) || n > 63) {
                    strlist_free(&l);
                    return mm_err_set(err, MM_EFORMAT, "%s: '%s' is not an id (a-z 0-9 _ - ., up to 63)",
                                      what, p);
                }
            l.items[l.n++] = p;
        }
        p = end ? end + 1 : NULL;
    }
    if ((int64_t)l.n < min || (int64_t)l.n > max) {
        strlist_free(&l);
        return mm_err_set(err, MM_EFORMAT, "%s: %lld to %lld entries, not %zu", what, (long long)min,
                          (long long)max, l.n);
    }
    if (sort) {
        qsort(l.items, l.n, sizeof l.items[0], cmp_str);
        l.sorted = true;
    }
    strlist_free(out);
    *out = l;
    return 0;
}

static int read_text_file(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MM_EIO;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            if (cap > (64u << 20)) {
                rc = MM_EFULL;
                break;
            }
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = MM_ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got < 4096)
            break;
    }
    if (!rc && ferror(f))
        rc = MM_EIO;
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* The ATT&CK list: path as given when absolute or found from the working directory; a relative
 * path is also tried beside the executable (build/mamori -> ../etc). */
static int load_attack_ids(struct mm_cp_settings *s, const char *path, bool required,
                           struct mm_err *err)
{
    char tries[3][sizeof s->attack_ids_path];
    size_t ntries = 0;
    snprintf(tries[ntries++], sizeof tries[0], "%s", path);
    if (path[0] != '/') {
        char exe[400];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0';
                snprintf(tries[ntries++], sizeof tries[0], "%s/../%s", exe, path);
                snprintf(tries[ntries++], sizeof tries[0], "%s/../../%s", exe, path);
            }
        }
    }
    for (size_t i = 0; i < ntries; i++) {
        char *text;
        int rc = read_text_file(tries[i], &text);
        if (rc == MM_EIO)
            continue;
        if (rc)
            return mm_err_set(err, rc, "%s: cannot read", tries[i]);
        rc = strlist_parse(&s->attack_ids, text, '\n', false, true, tries[i], 1, 100000, err);
        free(text);
        if (rc)
            return rc;
        for (size_t k = 0; k < s->attack_ids.n; k++) {
            const char *id = s->attack_ids.items[k];
            size_t n = strlen(id);
            if (!(id[0] == 'T' && (n == 5 || n == 9)))
                return mm_err_set(err, MM_EFORMAT, "%s: '%s' is not an ATT&CK technique id", tries[i], id);
        }
        size_t tl = strnlen(tries[i], sizeof s->attack_ids_path - 1);
        memcpy(s->attack_ids_path, tries[i], tl);
        s->attack_ids_path[tl] = '\0';
        return 0;
    }
    strlist_free(&s->attack_ids);
    s->attack_ids_path[0] = '\0';
    return required ? mm_err_set(err, MM_ENOTFOUND, "attack_techniques_file: %s not found", path) : 0;
}

static int set_one(struct mm_cp_settings *s, const struct mm_setting_def *d, const char *value,
                   bool from_default, struct mm_err *err)
{
    int64_t v = 0;
    switch (d->type) {
    case MM_SETTING_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(value, &end, 10);
        if (errno || end == value || *end || x < d->min || x > d->max)
            return mm_err_set(err, MM_EFORMAT, "%s: an integer from %lld to %lld, not '%s'", d->name,
                              (long long)d->min, (long long)d->max, value);
        v = x;
        break;
    }
    case MM_SETTING_DATE:
        if (mm_date_parse(value, &v) != 0)
            return mm_err_set(err, MM_EFORMAT, "%s: a date YYYY-MM-DD, not '%s'", d->name, value);
        break;
    case MM_SETTING_LIST:
        return strlist_parse(strcmp(d->name, "sectors") == 0 ? &s->sectors : &s->categories, value, ',',
                             true, false, d->name, d->min, d->max, err);
    case MM_SETTING_PATH: return load_attack_ids(s, value, !from_default, err);
    }
    if (strcmp(d->name, "enforcement_date") == 0)
        s->enforcement_date_ns = v;
    else if (strcmp(d->name, "existing_grace_months") == 0)
        s->existing_grace_months = v;
    else if (strcmp(d->name, "change_due_days") == 0)
        s->change_due_days = v;
    else if (strcmp(d->name, "forward_due_days") == 0)
        s->forward_due_days = v;
    else if (strcmp(d->name, "report_initial_hours") == 0)
        s->report_initial_hours = v;
    else if (strcmp(d->name, "report_final_days") == 0)
        s->report_final_days = v;
    else if (strcmp(d->name, "import_max_rows") == 0)
        s->import_max_rows = v;
    return 0;
}

int mm_cp_settings_set(struct mm_cp_settings *s, const char *name, const char *value,
                       struct mm_err *err)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(table[i].name, name) == 0)
            return set_one(s, &table[i], value, false, err);
    return mm_err_set(err, MM_EFORMAT, "unknown setting '%s'", name);
}

int mm_cp_settings_init(struct mm_cp_settings *s, struct mm_err *err)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < NSETTINGS; i++) {
        int rc = set_one(s, &table[i], table[i].def, true, err);
        if (rc) {
            mm_cp_settings_fini(s);
            return rc;
        }
    }
    return 0;
}

int mm_cp_settings_load(struct mm_cp_settings *s, const char *path, struct mm_err *err)
{
    int rc = mm_cp_settings_init(s, err);
    if (rc || !path)
        return rc;
    char *text;
    if ((rc = read_text_file(path, &text))) {
        mm_cp_settings_fini(s);
        return mm_err_set(err, rc, "%s: cannot read settings", path);
    }
    int line = 0;
    for (char *p = text, *next; p && *p && !rc; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            rc = mm_err_set(err, MM_EFORMAT, "%s:%d: expected name = value", path, line);
            break;
        }
        char *name_end = eq;
        while (name_end > p && isspace((unsigned char)name_end[-1]))
            name_end--;
        *name_end = '\0';
        char *value = eq + 1;
        while (isspace((unsigned char)*value))
            value++;
        char *ve = value + strlen(value);
        while (ve > value && isspace((unsigned char)ve[-1]))
            *--ve = '\0';
        struct mm_err local;
        mm_err_clear(&local);
        if ((rc = mm_cp_settings_set(s, p, value, &local)))
            mm_err_set(err, rc, "%s:%d: %s", path, line, local.msg);
    }
    free(text);
    if (rc)
        mm_cp_settings_fini(s);
    return rc;
}

void mm_cp_settings_fini(struct mm_cp_settings *s)
{
    strlist_free(&s->sectors);
    strlist_free(&s->categories);
    strlist_free(&s->attack_ids);
}

/* The shared instance: written once under pthread_once, then only read. */
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;
static struct mm_cp_settings shared;
static struct mm_err shared_err;
static bool shared_ok;

static void load_shared(void)
{
    mm_err_clear(&shared_err);
    const char *path = getenv("MAMORI_SETTINGS");
    shared_ok = mm_cp_settings_load(&shared, path && *path ? path : NULL, &shared_err) == 0;
}

const struct mm_cp_settings *mm_cp_settings_shared(struct mm_err *err)
{
    pthread_once(&shared_once, load_shared);
    if (!shared_ok) {
        mm_err_set(err, shared_err.code, "%s", shared_err.msg);
        return NULL;
    }
    return &shared;
}
