/* Loading the deployment config (see config.h). */
#include "config.h"

#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_text.h"

static int line_of(const config_setting_t *s)
{
	return s != NULL ? (int)config_setting_source_line(s) : 0;
}

static void load_port(const char *path, config_setting_t *ps, struct cp_config *c,
		      struct cp_diag *d)
{
	const char *name = NULL, *role = NULL, *dev = NULL;
	int line = line_of(ps);
	if (!config_setting_is_group(ps)) {
		cp_diag_error(d, path, line, "a port must be a group { name; role; device; }");
		return;
	}
	for (int i = 0; i < config_setting_length(ps); i++) {
		config_setting_t *k = config_setting_get_elem(ps, (unsigned)i);
		const char *kn = config_setting_name(k);
		if (strcmp(kn, "name") != 0 && strcmp(kn, "role") != 0 && strcmp(kn, "device") != 0)
			cp_diag_error(d, path, line_of(k), "unknown port key \"%s\"", kn);
	}
	if (!config_setting_lookup_string(ps, "name", &name) || strlen(name) == 0 ||
	    strlen(name) >= sizeof(c->ports[0].name) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name)) {
		/* Port names become metric labels and CLI arguments: keep them plain. */
		cp_diag_error(d, path, line, "port needs a name of 1..31 characters [a-z0-9_-]");
		name = NULL;
	}
	if (!config_setting_lookup_string(ps, "role", &role) ||
	    (strcmp(role, "inside") != 0 && strcmp(role, "uplink") != 0))
		cp_diag_error(d, path, line, "port role must be \"inside\" or \"uplink\"");
	if (!config_setting_lookup_string(ps, "device", &dev) || strlen(dev) == 0 ||
	    strlen(dev) >= sizeof(c->ports[0].device))
		cp_diag_error(d, path, line, "port needs a device (a PCI address or a vdev spec)");
	if (c->n_ports == CP_MAX_PORTS) {
		cp_diag_error(d, path, line, "at most %d ports", CP_MAX_PORTS);
		return;
	}
	if (name == NULL || role == NULL || dev == NULL)
		return;
	for (unsigned i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			cp_diag_error(d, path, line, "duplicate port name \"%s\"", name);
	snprintf(c->ports[c->n_ports].name, sizeof(c->ports[0].name), "%s", name);
	snprintf(c->ports[c->n_ports].device, sizeof(c->ports[0].device), "%s", dev);
	c->ports[c->n_ports].role = strcmp(role, "inside") == 0 ? CP_ROLE_INSIDE : CP_ROLE_UPLINK;
	c->n_ports++;
}

struct wrap_ctx {
	struct cp_diag *d;
	const char *path;
};

static void report_wrapping_int(int line, const char *tok, size_t len, void *arg)
{
	const struct wrap_ctx *w = arg;
	int shown = (int)(len > 40 ? 40 : len);
	cp_diag_error(w->d, w->path, line, "integer %.*s is out of range", shown, tok);
}

static bool is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
	       config_setting_type(s) == CONFIG_TYPE_INT64;
}

/* Descriptors per queue: a power of two in CP_CFG_DESC_MIN..CP_CFG_DESC_MAX. */
static void load_desc(const char *path, config_t *cfg, const char *key, uint16_t *out,
		      struct cp_diag *d)
{
	config_setting_t *s = config_lookup(cfg, key);
	if (s == NULL)
		return;
	long long v = config_setting_get_int64(s);
	if (!is_int(s) || v < CP_CFG_DESC_MIN || v > CP_CFG_DESC_MAX || (v & (v - 1)) != 0)
		cp_diag_error(d, path, line_of(s), "%s must be a power of two in %d..%d", key,
			      CP_CFG_DESC_MIN, CP_CFG_DESC_MAX);
	else
		*out = (uint16_t)v;
}

int cp_config_load(const char *path, struct cp_config *c, struct cp_diag *d)
{
	config_t cfg;
	unsigned errors = d->errors;
	memset(c, 0, sizeof(*c));
	c->workers = 1;
	c->flows = 1048576;
	c->rx_desc = CP_CFG_DESC_DEFAULT;
	c->tx_desc = CP_CFG_DESC_DEFAULT;
	c->xdp_prefilter = true;
	snprintf(c->control_socket, sizeof(c->control_socket), "/run/chokepoint/dataplane.sock");
	size_t len;
	char *text = cp_cfg_read_text(path, &len, d);
	if (text == NULL)
		return -1;
	config_init(&cfg);
	if (!config_read_string(&cfg, text)) {
		cp_diag_error(d, path, config_error_line(&cfg), "syntax error: %s",
			      config_error_text(&cfg));
		config_destroy(&cfg);
		free(text);
		return -1;
	}
	struct wrap_ctx wc = {d, path};
	cp_cfg_scan_ints(text, len, report_wrapping_int, &wc);
	free(text);
	config_setting_t *root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *k = config_setting_get_elem(root, (unsigned)i);
		const char *kn = config_setting_name(k);
		if (strcmp(kn, "ports") != 0 && strcmp(kn, "workers") != 0 &&
		    strcmp(kn, "flows") != 0 && strcmp(kn, "control_socket") != 0 &&
		    strcmp(kn, "rx_desc") != 0 && strcmp(kn, "tx_desc") != 0 &&
		    strcmp(kn, "xdp_prefilter") != 0)
			cp_diag_error(d, path, line_of(k), "unknown key \"%s\"", kn);
	}
	config_setting_t *ports = config_lookup(&cfg, "ports");
	if (ports == NULL || !(config_setting_is_list(ports) || config_setting_is_array(ports)))
		cp_diag_error(d, path, line_of(ports), "\"ports\" is required: a list of groups");
	else
		for (int i = 0; i < config_setting_length(ports); i++)
			load_port(path, config_setting_get_elem(ports, (unsigned)i), c, d);
	unsigned inside = 0, uplinks = 0;
	for (unsigned i = 0; i < c->n_ports; i++)
		c->ports[i].role == CP_ROLE_INSIDE ? inside++ : uplinks++;
	if (ports != NULL && (inside != 1 || uplinks == 0))
		cp_diag_error(d, path, line_of(ports),
			      "need exactly one inside port and at least "
			      "one uplink");
	long long v;
	config_setting_t *s;
	if ((s = config_lookup(&cfg, "workers")) != NULL) {
		v = config_setting_get_int64(s);
		if (!is_int(s) || v < 1 || v > CP_MAX_WORKERS)
			cp_diag_error(d, path, line_of(s), "workers must be 1..%d", CP_MAX_WORKERS);
		else
			c->workers = (unsigned)v;
	}
	if ((s = config_lookup(&cfg, "flows")) != NULL) {
		v = config_setting_get_int64(s);
		if (!is_int(s) || v < 1024 || v > (1ll << 28))
			cp_diag_error(d, path, line_of(s), "flows must be 1024..%lld", 1ll << 28);
		else
			c->flows = (uint32_t)v;
	}
	load_desc(path, &cfg, "rx_desc", &c->rx_desc, d);
	load_desc(path, &cfg, "tx_desc", &c->tx_desc, d);
	if ((s = config_lookup(&cfg, "xdp_prefilter")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cp_diag_error(d, path, line_of(s), "xdp_prefilter must be true or false");
		else
			c->xdp_prefilter = config_setting_get_bool(s) != 0;
	}
	const char *sock;
	if ((s = config_lookup(&cfg, "control_socket")) != NULL) {
		sock = config_setting_get_string(s);
		if (sock == NULL || strlen(sock) == 0 || strlen(sock) >= sizeof(c->control_socket))
			cp_diag_error(d, path, line_of(s),
				      "control_socket must be a path of 1..%zu "
				      "characters",
				      sizeof(c->control_socket) - 1);
		else
			snprintf(c->control_socket, sizeof(c->control_socket), "%s", sock);
	}
	config_destroy(&cfg);
	return d->errors > errors ? -1 : 0;
}
