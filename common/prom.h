/* Prometheus text exposition format 0.0.4: writing families and samples, and converting the
 * counters JSON of a dataplane (docs/semantics.md, "Counters") into exposition text. */
#ifndef CP_PROM_H
#define CP_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Content-Type of the text this module writes. */
#define CP_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Prefix of every metric name made from a counters JSON key. */
#define CP_PROM_PREFIX "chokepoint_"

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*. */
bool cp_prom_metric_name_ok(const char *name);

/* Label names: [a-zA-Z_][a-zA-Z0-9_]*. */
bool cp_prom_label_name_ok(const char *name);

/* "# HELP name help" (help with backslash and newline escaped) and "# TYPE name type". type is
 * "counter", "gauge", "untyped", "summary" or "histogram". Returns 0, or -1 (nothing written) when
 * the name or the type is not valid or help is NULL. */
int cp_prom_family(FILE *out, const char *name, const char *help, const char *type);

/* One line "name{l1="v1",...} value". Label values are escaped (backslash, double quote, newline).
 * Returns 0, or -1 with nothing written when the metric name or a label name is not valid, a
 * label name repeats, or a label value is NULL. n_labels may be 0 (the arrays may then be NULL). */
int cp_prom_sample(FILE *out, const char *name, const char *const *label_names,
		   const char *const *label_values, unsigned n_labels, uint64_t value);

/* The same with a floating-point value: NaN, +Inf and -Inf as the format spells them, any other
 * value with the fewest digits that read back as the same double. */
int cp_prom_sample_double(FILE *out, const char *name, const char *const *label_names,
			  const char *const *label_values, unsigned n_labels, double value);

/* Converts one counters JSON object into exposition text: every key gets the "chokepoint_"
 * prefix and the label names of its family in common/catalog.h; every family of the catalogue is
 * written once with HELP and TYPE, samples or not. When extra_name is not NULL, the label
 * extra_name="extra_value" comes first on every sample (e.g. dataplane="dp0"). Integers are written
 * as they are, decimals with the fewest digits that read back as the same double ("0.2500" gives
 * "0.25").
 *
 * The JSON is read with jansson (duplicate keys refused): objects of non-negative numbers (integers
 * up to 2^63 - 1) or of such objects, nesting up to 3 levels; anything else (arrays,
 * true/false/null, negative numbers, string values), a known key with the wrong shape, or an
 * unknown key whose value is an object is an error. An unknown key with a number value is
 * exported as it is (a counter when it ends in "_total", a gauge otherwise).
 *
 * Returns 0, or -1 with a one-line message in err (when err is not NULL) and nothing written. */
int cp_prom_from_counters_json(const char *json, FILE *out, const char *extra_name,
			       const char *extra_value, char *err, size_t errlen);

/* The same for n counters JSON objects at once, e.g. one per dataplane: each family is written
 * once, with the samples of jsons[0], then jsons[1], and so on. extra_name (required when n > 1,
 * else the series would collide) labels the samples of jsons[i] with extra_values[i]. An error in
 * any of them writes nothing. */
int cp_prom_from_counters_jsons(const char *const *jsons, unsigned n, FILE *out,
				const char *extra_name, const char *const *extra_values, char *err,
				size_t errlen);

#endif
