/* main.c - the mamori command: one binary, subcommands registered in one table. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

static const struct mm_command commands[] = {
    {"select", mm_cmd_select, "select flows from captures or an interface into de-identified records",
     MM_HELP_SELECT},
    {"init", mm_cmd_init, "create a store (SQLite) and run its migrations", MM_HELP_INIT},
    {"migrate", mm_cmd_migrate, "bring an older store's schema up to date", MM_HELP_MIGRATE},
    {"user", mm_cmd_user, "add or list users and their roles; prints a new user's token once",
     MM_HELP_USER},
    {"org", mm_cmd_org, "add or list organizations: operators, suppliers, ministries", MM_HELP_ORG},
    {"audit", mm_cmd_audit, "show, verify or list the tamper-evident audit log", MM_HELP_AUDIT},
    {"query", mm_cmd_query, "read stored records for a stated purpose (audited)", MM_HELP_QUERY},
    {"provide", mm_cmd_provide, "build a recorded, minimized package for another agency", MM_HELP_PROVIDE},
    {"erase", mm_cmd_erase, "erase records past their retention deadline, unrecoverably", MM_HELP_ERASE},
    {"hold", mm_cmd_hold, "request or approve keeping records past their deadline", MM_HELP_HOLD},
    {"reidentify", mm_cmd_reidentify, "approve or carry out re-identification of one pseudonym",
     MM_HELP_REIDENTIFY},
    {"report", mm_cmd_report, "the transparency report (JSON or Markdown)", MM_HELP_REPORT},
    {"check", mm_cmd_check, "check the store's integrity (after a crash)", MM_HELP_CHECK},
    {"criteria", mm_cmd_criteria, "propose, approve, reject, revoke and list selection criteria",
     MM_HELP_CRITERIA},
    {"agreement", mm_cmd_agreement, "the party agreement register (not public)", MM_HELP_AGREEMENT},
    {"keygen", mm_cmd_keygen, "make the committee's Ed25519 signing key pair", MM_HELP_KEYGEN},
    {"policy", mm_cmd_policy, "issue a signed selection policy from the approved criteria",
     MM_HELP_POLICY},
    {"serve", mm_cmd_serve, "serve the JSON API and the web portal (HTTP/1.1, TLS 1.3)", MM_HELP_SERVE},
    {"help", NULL, "show help for mamori or one command", "usage: mamori help [COMMAND]\n"},
};

static void usage(FILE *out)
{
    fprintf(out, "mamori - automatic selection and de-identification of communications information\n\n"
                 "usage: mamori COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'mamori help COMMAND' for a command's options.\n");
}

static const struct mm_command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        if (argc > 2) {
            const struct mm_command *c = find(argv[2]);
            if (!c) {
                fprintf(stderr, "mamori: unknown command '%s'\n", argv[2]);
                return 2;
            }
            fputs(c->help, stdout);
            return 0;
        }
        usage(stdout);
        return 0;
    }
    const struct mm_command *c = find(name);
    if (!c || !c->fn) {
        fprintf(stderr, "mamori: unknown command '%s'\n\n", name);
        usage(stderr);
        return 2;
    }
    return c->fn(argc - 1, argv + 1);
}
