/* settings.h - the control plane's settings (registry and report deadlines, the sector and
 * equipment category lists, the ATT&CK id list) built from one typed table (name, type, min,
 * max, default) and read from defaults or a settings file. */
#ifndef MM_CP_SETTINGS_H
#define MM_CP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* A list of short strings: one allocation of NUL-separated entries plus an index. */
struct mm_strlist {
    char *buf;
    const char **items;
    size_t n;
    bool sorted; /* items sorted (strcmp): lookups bisect */
};
bool mm_strlist_has(const struct mm_strlist *l, const char *s);

struct mm_cp_settings {
    int64_t enforcement_date_ns;  /* registration duties start (UTC midnight) */
    int64_t existing_grace_months; /* assets in service before it are due this much later */
    int64_t change_due_days;       /* a new asset or a change is due this many days after */
    int64_t forward_due_days;      /* a ministry forwards a filing within this many days */
    int64_t report_initial_hours;  /* initial report due after aware_at */
    int64_t report_final_days;     /* final report due after aware_at */
    int64_t import_max_rows;       /* rows in one bulk import */
    struct mm_strlist sectors;     /* sector ids */
    struct mm_strlist categories;  /* equipment category ids */
    struct mm_strlist attack_ids;  /* ATT&CK technique ids, sorted; empty when not found */
    char attack_ids_path[512];     /* where they came from, or "" */
};

enum mm_setting_type { MM_SETTING_INT, MM_SETTING_DATE, MM_SETTING_LIST, MM_SETTING_PATH };

struct mm_setting_def {
    const char *name;
    enum mm_setting_type type;
    int64_t min, max; /* INT: the value; LIST: entries; PATH: unused */
    const char *def;  /* the default, as it would be written in a settings file */
    const char *help;
};
/* The table (for docs and `--help`); *n set. */
const struct mm_setting_def *mm_cp_settings_table(size_t *n);

/* Fill s with the defaults. The ATT&CK list is read from etc/attack-techniques.txt, looked for
 * in the working directory and beside the executable (../etc, ../../etc); when it is nowhere,
 * attack_ids is empty and technique ids are refused with a message saying so. */
int mm_cp_settings_init(struct mm_cp_settings *s, struct mm_err *err);
/* Defaults, then "name = value" lines from path ('#' comments; lists comma-separated).
 * MM_EFORMAT names the file, line and setting. */
int mm_cp_settings_load(struct mm_cp_settings *s, const char *path, struct mm_err *err);
/* Set one setting from text (range-checked). */
int mm_cp_settings_set(struct mm_cp_settings *s, const char *name, const char *value,
                       struct mm_err *err);
void mm_cp_settings_fini(struct mm_cp_settings *s);

/* The process's settings, loaded once (thread-safe) from the file named by $MAMORI_SETTINGS,
 * or the defaults; immutable afterwards. NULL with err set when that file is bad. */
const struct mm_cp_settings *mm_cp_settings_shared(struct mm_err *err);

#endif
