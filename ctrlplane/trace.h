/* chokectl trace (see trace.c). */
#ifndef CP_CLI_TRACE_H
#define CP_CLI_TRACE_H

/* chokectl trace [--count N] [--rule NAME] [--reason R] [--verdict V] against the control socket
 * at socket; argv[0] is the subcommand's name. Returns the exit status. */
int cp_trace_main(const char *socket, int argc, char **argv);

#endif
