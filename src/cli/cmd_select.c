/* cmd_select.c - placeholder until the engine lands. */
#include "cli/commands.h"
const char MM_HELP_SELECT[] = "usage: mamori select --policy POLICY.json [--out FILE|-] INPUT...\n";
int mm_cmd_select(int argc, char **argv) { return 2; }
