/* cmd_org.c - `mamori org add|list`: operators, suppliers and ministries (docs/registry.md). */
#include "cli/commands.h"
#include "cli/session.h"

#include "registry/registry.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_ORG[] =
    "usage: mamori org add --store PATH --name NAME --type operator|supplier|ministry\n"
    "                      [--sector S]... [--token T]\n"
    "       mamori org list --store PATH [--token T]\n"
    "\n"
    "An operator has exactly one sector, a ministry the sectors it oversees, a supplier\n"
    "none. Sectors come from the 'sectors' setting ($MAMORI_SETTINGS, else the default\n"
    "list of critical-infrastructure sectors). 'add' needs an admin's token and prints\n"
    "the new organization's id; 'list' prints id, type, name and sectors, tab-separated.\n"
    "The token may also come from MAMORI_TOKEN.\n";

static int print_org(void *ctx, const struct mm_org *o)
{
    printf("%lld\t%s\t%s\t", (long long)o->id, mm_org_type_name(o->type), o->name);
    for (size_t i = 0; i < o->nsectors; i++)
        printf("%s%s", i ? "," : "", o->sectors[i]);
    printf("%s\n", o->nsectors ? "" : "-");
    return 0;
}

int mm_cmd_org(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "list"))) {
        fputs(MM_HELP_ORG, argc < 2 ? stderr : strcmp(argv[1], "--help") ? stderr : stdout);
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : MM_EXIT_USAGE;
    }
    bool add = !strcmp(argv[1], "add");
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
        {"type", required_argument, NULL, 'y'},  {"sector", required_argument, NULL, 'S'},
        {"token", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *store = NULL, *name = NULL, *type = NULL, *token = NULL;
    struct mm_org o = {0};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'n': name = optarg; break;
        case 'y': type = optarg; break;
        case 't': token = optarg; break;
        case 'S':
            if (o.nsectors >= MM_ORG_SECTORS_MAX || strlen(optarg) > MM_SECTOR_ID_MAX) {
                fprintf(stderr, "mamori org add: at most %d sectors of up to %d characters\n", MM_ORG_SECTORS_MAX,
                        MM_SECTOR_ID_MAX);
                return MM_EXIT_USAGE;
            }
            snprintf(o.sectors[o.nsectors++], sizeof o.sectors[0], "%s", optarg);
            break;
        case 'h': fputs(MM_HELP_ORG, stdout); return 0;
        default: fputs(MM_HELP_ORG, stderr); return MM_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(MM_HELP_ORG, stderr);
        return MM_EXIT_USAGE;
    }
    struct mm_err err;
    mm_err_clear(&err);
    if (!add) {
        struct mm_session s;
        int rc = mm_session_open(&s, "mamori org list", store, token, MM_ACT_ORG_LIST);
        if (rc)
            return rc;
        struct mm_scope scope;
        rc = mm_scope_for_user(s.store, &s.user, &scope, &err);
        if (!rc && s.user.role == MM_ROLE_ADMIN)
            scope.kind = MM_SCOPE_ALL;
        if (!rc)
            rc = mm_store_org_list(s.store, &scope, print_org, NULL, &err);
        if (rc)
            mm_session_error(s.command, &err);
        else
            rc = mm_session_audit(&s, "org.list", NULL, NULL, "orgs", 0, "ok");
        mm_session_close(&s);
        return rc ? MM_EXIT_FAIL : 0;
    }
    if (!name || !type || mm_org_type_parse(type, &o.type) != 0 || strlen(name) > MM_ORG_NAME_MAX) {
        fprintf(stderr, "mamori org add: --name (1-%d characters) and --type operator|supplier|ministry are "
                        "required\n\n%s", MM_ORG_NAME_MAX, MM_HELP_ORG);
        return MM_EXIT_USAGE;
    }
    snprintf(o.name, sizeof o.name, "%s", name);
    const struct mm_cp_settings *cfg = mm_cp_settings_shared(&err);
    if (!cfg || mm_org_check(&o, cfg, &err) != 0) {
        mm_session_error("mamori org add", &err);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    int rc = mm_session_open(&s, "mamori org add", store, token, MM_ACT_ORG_ADD);
    if (rc)
        return rc;
    int64_t id = 0;
    rc = mm_store_begin(s.store, &err);
    if (!rc)
        rc = mm_store_org_add(s.store, &o, s.user.name, mm_time_now_ns(), &id, &err);
    if (rc) {
        mm_store_rollback(s.store);
        mm_session_error(s.command, &err);
        mm_session_close(&s);
        return err.code == MM_ECONFLICT ? MM_EXIT_USAGE : MM_EXIT_FAIL;
    }
    char object[64];
    snprintf(object, sizeof object, "org:%lld", (long long)id);
    if (mm_session_audit(&s, "org.add", NULL, NULL, object, 1, "ok") != 0 || mm_store_commit(s.store, &err) != 0) {
        mm_store_rollback(s.store);
        mm_session_close(&s);
        return MM_EXIT_FAIL;
    }
    mm_session_close(&s);
    printf("added organization %s (%s), id %lld\n", o.name, mm_org_type_name(o.type), (long long)id);
    return 0;
}
