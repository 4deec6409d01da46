/* commands.h - the subcommand table's entry type and every command's entry point. */
#ifndef MM_COMMANDS_H
#define MM_COMMANDS_H

struct mm_command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the command name; returns the exit code */
    const char *summary;
    const char *help;
};

/* Exit codes shared by all commands. */
enum { MM_EXIT_OK = 0, MM_EXIT_FAIL = 1, MM_EXIT_USAGE = 2, MM_EXIT_DENIED = 3 };

int mm_cmd_select(int argc, char **argv);
int mm_cmd_init(int argc, char **argv);
int mm_cmd_migrate(int argc, char **argv);
int mm_cmd_user(int argc, char **argv);
int mm_cmd_audit(int argc, char **argv);
/* Retention, purpose-bound access, provision, re-identification, transparency (docs/store.md). */
int mm_cmd_erase(int argc, char **argv);
int mm_cmd_check(int argc, char **argv);
int mm_cmd_hold(int argc, char **argv);
int mm_cmd_query(int argc, char **argv);
int mm_cmd_provide(int argc, char **argv);
int mm_cmd_reidentify(int argc, char **argv);
int mm_cmd_report(int argc, char **argv);
extern const char MM_HELP_ERASE[], MM_HELP_CHECK[], MM_HELP_HOLD[], MM_HELP_QUERY[], MM_HELP_PROVIDE[],
    MM_HELP_REIDENTIFY[], MM_HELP_REPORT[];
extern const char MM_HELP_SELECT[], MM_HELP_INIT[], MM_HELP_MIGRATE[], MM_HELP_USER[], MM_HELP_AUDIT[];
/* The committee's control: criteria, agreements, keys, signed policies (docs/governance.md). */
int mm_cmd_criteria(int argc, char **argv);
int mm_cmd_agreement(int argc, char **argv);
int mm_cmd_keygen(int argc, char **argv);
int mm_cmd_policy(int argc, char **argv);
extern const char MM_HELP_CRITERIA[], MM_HELP_AGREEMENT[], MM_HELP_KEYGEN[], MM_HELP_POLICY[];
/* The HTTP API and the portal (docs/api.md). */
int mm_cmd_serve(int argc, char **argv);
extern const char MM_HELP_SERVE[];
/* Organizations of the control plane (docs/registry.md). */
int mm_cmd_org(int argc, char **argv);
extern const char MM_HELP_ORG[];

#endif
