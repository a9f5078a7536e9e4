/* chokectl serve: the control-plane daemon (see serve.c). */
#ifndef CP_SERVE_H
#define CP_SERVE_H

struct cp_serve_opts {
	const char *policy;
	const char *const *dataplanes;
	unsigned n_dataplanes;
	const char *metrics;   /* ADDR:PORT or NULL */
	const char *state_dir; /* NULL: grants kept in memory only */
	const char *socket;    /* the CLI's socket */
};

/* Run until SIGINT/SIGTERM. Returns the exit status. */
int cp_serve_main(const struct cp_serve_opts *o);

#endif
