/* cmd_store.c - `mamori init`, `mamori migrate` and `mamori user`: the store's life and its users. */
#include "cli/commands.h"
#include "cli/session.h"

#include "store/orgs.h"
#include "util/digest.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

const char MM_HELP_INIT[] =
    "usage: mamori init --store PATH\n"
    "\n"
    "Creates the store (SQLite, WAL mode, secure_delete on; files mode 0600) and\n"
    "runs every schema migration. Safe on an existing store of this version.\n";

const char MM_HELP_MIGRATE[] =
    "usage: mamori migrate --store PATH\n"
    "\n"
    "Runs the schema migrations a store made by an older mamori needs. A store\n"
    "made by a newer mamori is refused.\n";

const char MM_HELP_USER[] =
    "usage: mamori user add --store PATH --name NAME --role ROLE [--org ORG] [--token T]\n"
    "       mamori user list --store PATH [--token T]\n"
    "\n"
    "Roles: analyst, committee, operator, supplier, ministry, council_member, admin.\n"
    "'add' prints the new user's API token once, alone on the last line; the store\n"
    "keeps only its SHA-256. The first user of a new store needs no token; after\n"
    "that only an admin adds users. The token may also come from MAMORI_TOKEN.\n";

static int store_only_args(int argc, char **argv, const char *help, const char **store)
{
    static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    *store = NULL;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 's') {
            *store = optarg;
        } else if (c == 'h') {
            fputs(help, stdout);
            return -1;
        } else {
            fputs(help, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (!*store || optind != argc) {
        fputs(help, stderr);
        return MM_EXIT_USAGE;
    }
    return 0;
}

int mm_cmd_init(int argc, char **argv)
{
    const char *path;
    int rc = store_only_args(argc, argv, MM_HELP_INIT, &path);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct mm_store *s;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_open(path, MM_STORE_CREATE, &s, &err) != 0) {
        mm_session_error("mamori init", &err);
        return err.code == MM_EUNSUPPORTED ? MM_EXIT_USAGE : MM_EXIT_FAIL;
    }
    mm_store_close(s);
    printf("store ready: %s (schema version %d)\n", path, MM_STORE_SCHEMA_VERSION);
    return 0;
}

int mm_cmd_migrate(int argc, char **argv)
{
    const char *path;
    int rc = store_only_args(argc, argv, MM_HELP_MIGRATE, &path);
    if (rc)
        return rc < 0 ? 0 : rc;
    int from, to;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_migrate(path, &from, &to, &err) != 0) {
        mm_session_error("mamori migrate", &err);
        return MM_EXIT_USAGE;
    }
    if (from == to)
        printf("%s: schema version %d is current\n", path, to);
    else
        printf("%s: migrated from schema version %d to %d\n", path, from, to);
    return 0;
}

static int print_user(void *ctx, const struct mm_user *u)
{
    printf("%s\t%s\t%s\n", u->name, mm_role_name(u->role), u->org[0] ? u->org : "-");
    return 0;
}

/* A user's organization must exist (`mamori org add`), and an operator, supplier or ministry
 * user belongs to an organization of that type. */
static int org_must_exist(struct mm_store *s, const char *org, enum mm_role role, struct mm_err *err)
{
    struct mm_org o;
    int rc = mm_store_org_by_name(s, org, &o, err);
    if (rc == MM_ENOTFOUND)
        return mm_err_set(err, MM_ENOTFOUND, "no organization '%s' (add it with 'mamori org add')", org);
    if (rc)
        return rc;
    static const struct {
        enum mm_role role;
        enum mm_org_type type;
    } match[] = {{MM_ROLE_OPERATOR, MM_ORG_OPERATOR}, {MM_ROLE_SUPPLIER, MM_ORG_SUPPLIER},
                 {MM_ROLE_MINISTRY, MM_ORG_MINISTRY}};
    for (size_t i = 0; i < sizeof match / sizeof match[0]; i++)
        if (match[i].role == role && match[i].type != o.type)
            return mm_err_set(err, MM_EINVAL, "a %s user belongs to a %s organization; '%s' is a %s",
                              mm_role_name(role), mm_org_type_name(match[i].type), org, mm_org_type_name(o.type));
    return 0;
}

int mm_cmd_user(int argc, char **argv)
{
    if (argc < 2) {
        fputs(MM_HELP_USER, stderr);
        return MM_EXIT_USAGE;
    }
    const char *verb = argv[1];
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
        {"role", required_argument, NULL, 'r'},  {"org", required_argument, NULL, 'o'},
        {"token", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    const char *store = NULL, *name = NULL, *role_text = NULL, *org = NULL, *token = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'n': name = optarg; break;
        case 'r': role_text = optarg; break;
        case 'o': org = optarg; break;
        case 't': token = optarg; break;
        default: fputs(MM_HELP_USER, stderr); return MM_EXIT_USAGE;
        }
    }
    if (strcmp(verb, "list") == 0) {
        struct mm_session s;
        int rc = mm_session_open(&s, "mamori user list", store, token, MM_ACT_USER_LIST);
        if (rc)
            return rc;
        struct mm_err err;
        mm_err_clear(&err);
        rc = mm_store_user_list(s.store, print_user, NULL, &err);
        if (rc)
            mm_session_error(s.command, &err);
        if (!rc)
            rc = mm_session_audit(&s, "user.list", NULL, NULL, NULL, 0, "ok");
        mm_session_close(&s);
        return rc ? MM_EXIT_FAIL : 0;
    }
    if (strcmp(verb, "add") != 0) {
        fputs(MM_HELP_USER, stderr);
        return MM_EXIT_USAGE;
    }
    enum mm_role role;
    if (!store || !name || !role_text || mm_role_parse(role_text, &role) != 0 || !*name ||
        strlen(name) > 100) {
        fprintf(stderr, "mamori user add: --store, --name (1-100 characters) and a valid --role are "
                        "required\n\n%s", MM_HELP_USER);
        return MM_EXIT_USAGE;
    }
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_session s = {.command = "mamori user add"};
    if (mm_store_open(store, 0, &s.store, &err) != 0) {
        mm_session_error(s.command, &err);
        return MM_EXIT_USAGE;
    }
    int64_t users = 0;
    if (mm_store_user_count(s.store, &users, &err) != 0) {
        mm_session_error(s.command, &err);
        mm_store_close(s.store);
        return MM_EXIT_FAIL;
    }
    mm_store_close(s.store);
    s.store = NULL;
    int rc;
    if (users == 0) {
        /* Bootstrap: the first user of a new store. */
        if ((rc = mm_store_open(store, 0, &s.store, &err)) != 0) {
            mm_session_error(s.command, &err);
            return MM_EXIT_FAIL;
        }
        snprintf(s.user.name, sizeof s.user.name, "(bootstrap)");
        s.user.role = role;
    } else if ((rc = mm_session_open(&s, "mamori user add", store, token, MM_ACT_USER_ADD))) {
        return rc;
    }
    uint8_t raw[32];
    char token_text[2 + 64 + 1] = "mt";
    if (RAND_bytes(raw, sizeof raw) != 1) {
        fprintf(stderr, "mamori user add: no randomness for a token\n");
        mm_session_close(&s);
        return MM_EXIT_FAIL;
    }
    mm_hex_encode(raw, sizeof raw, token_text + 2);
    OPENSSL_cleanse(raw, sizeof raw);
    char hash[65];
    mm_sha256_hex(token_text, strlen(token_text), hash);
    rc = mm_store_begin(s.store, &err);
    if (!rc && org)
        rc = org_must_exist(s.store, org, role, &err);
    if (!rc)
        rc = mm_store_user_add(s.store, name, role, org, hash, s.user.name, &err);
    if (rc) {
        mm_store_rollback(s.store);
        mm_session_error(s.command, &err);
        mm_session_close(&s);
        OPENSSL_cleanse(token_text, sizeof token_text);
        return err.code == MM_ECONFLICT || err.code == MM_ENOTFOUND || err.code == MM_EINVAL ? MM_EXIT_USAGE
                                                                                      : MM_EXIT_FAIL;
    }
    json_t *obj = json_pack("{s:s, s:s, s:s?}", "user", name, "role", mm_role_name(role), "org", org);
    char *object = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    int audited = object ? mm_session_audit(&s, "user.add", NULL, NULL, object, 0, "ok") : MM_EXIT_FAIL;
    free(object);
    if (audited != 0 ||
        mm_store_commit(s.store, &err) != 0) {
        mm_store_rollback(s.store);
        mm_session_close(&s);
        OPENSSL_cleanse(token_text, sizeof token_text);
        return MM_EXIT_FAIL;
    }
    mm_session_close(&s);
    printf("added user %s (%s%s%s); the token is shown once:\n%s\n", name, mm_role_name(role),
           org ? ", " : "", org ? org : "", token_text);
    OPENSSL_cleanse(token_text, sizeof token_text);
    return 0;
}
