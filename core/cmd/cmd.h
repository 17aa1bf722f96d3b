/* core/cmd — the skiff command table (the face of core/cmd/).
 *
 * Each command lives in core/cmd/<name>.c as
 *     int skiff_cmd_<name>(int argc, char **argv);
 * where argv[0] is the command's own name. It returns the process exit
 * status: 0 ok, 1 runtime error, 2 bad usage, config or plugin error.
 * To add a command: declare it below, add its file, and append one line to
 * the table in core/cmd/table.c. Commands print their results on stdout and
 * their errors on stderr, one sentence per problem.
 */
#ifndef SKIFF_CORE_CMD_H
#define SKIFF_CORE_CMD_H

enum { SKIFF_EXIT_OK = 0, SKIFF_EXIT_RUNTIME = 1, SKIFF_EXIT_USAGE = 2 };

typedef struct skiff_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help; /* one line, shown by `skiff help` */
} skiff_cmd_t;

/* The table, ending with a { NULL } entry. */
extern const skiff_cmd_t skiff_cmds[];

/* Print the usage (command list) to f (a FILE *). */
void skiff_cmd_usage(void *f);

int skiff_cmd_plugins(int argc, char **argv);
int skiff_cmd_check_config(int argc, char **argv);
int skiff_cmd_run(int argc, char **argv);
int skiff_cmd_version(int argc, char **argv);
int skiff_cmd_help(int argc, char **argv);
int skiff_cmd_server(int argc, char **argv);
int skiff_cmd_kubeconfig(int argc, char **argv);

#endif
