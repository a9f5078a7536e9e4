/* Payload name extractors: the TLS ClientHello server name, the HTTP/1.x request host and the DNS
 * query name, read from the first bytes of a flow (SPEC §3 category lists sni, host, dns). Pure
 * functions over bytes: no DPDK, no allocation, bounded loops, never a read past len.
 *
 * Every extractor is given the client-to-server bytes seen so far, from the first byte of the
 * stream (or one UDP payload), and may be called again with more bytes. On CP_EXT_FOUND the name is
 * written to name, normalized: lowercase ASCII, no trailing dot, 1..253 bytes, NUL-terminated, its
 * length in *nlen; cap must be at least CP_EXT_NAME_CAP (a smaller cap gives CP_EXT_MALFORMED). On
 * any other result name holds an empty string (when cap > 0) and *nlen is 0. */
#ifndef CP_EXTRACT_H
#define CP_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_EXT_NAME_CAP 256   /* name buffer size callers must provide */
#define CP_EXT_NAME_MAX 253   /* longest name returned */
#define CP_EXT_TLS_MAX	16384 /* stream bytes the SNI extractor looks at */
#define CP_EXT_HTTP_MAX 8192  /* stream bytes the Host extractor looks at */

enum cp_ext {
	CP_EXT_FOUND = 0,
	CP_EXT_MORE,	  /* need more bytes of the stream */
	CP_EXT_NONE,	  /* valid, but carries no name (ClientHello without SNI, no Host, ...) */
	CP_EXT_NOT_THIS,  /* not this protocol: stop trying */
	CP_EXT_MALFORMED, /* this protocol, but broken (or a name that is no host name) */
};

/* TLS: s is the client-to-server stream: a ClientHello in one or more handshake records. FOUND
 * with the first host_name as soon as the server_name extension is complete (the extensions after
 * it are not waited for). MALFORMED when the answer would need more than CP_EXT_TLS_MAX bytes. */
enum cp_ext cp_extract_sni(const uint8_t *s, size_t len, char *name, size_t cap, size_t *nlen);

/* HTTP/1.x: s is the client-to-server stream, whose first bytes must be a request line: an
 * uppercase method token, a target, HTTP/1.x (a line without a version is taken, as lenient
 * servers do, with a standard method only). Waits for the end of the header block. The host of an
 * absolute-form target (or of a CONNECT authority-form target) wins over the Host header (RFC 9112
 * §3.2.2); two Host headers with different values are MALFORMED. Past CP_EXT_HTTP_MAX bytes without
 * the end of the header block: FOUND when the host is already known, else NONE (MALFORMED when the
 * request line itself has not ended). IP literals are returned as written ("[2001:db8::1]"), the
 * port always stripped. */
enum cp_ext cp_extract_http_host(const uint8_t *s, size_t len, char *name, size_t cap,
				 size_t *nlen);

/* DNS: msg is a UDP payload (tcp false) or the TCP stream (tcp true: 2-byte length prefix, then
 * the message). The first question's name of a query (QR 0); a response is NONE, so is a query
 * without question or for the root. TCP: FOUND once the question is complete within the prefix's
 * bound, MORE before. */
enum cp_ext cp_extract_dns(const uint8_t *msg, size_t len, bool tcp, char *name, size_t cap,
			   size_t *nlen);

/* "found", "more", "none", "not-this", "malformed" (for logs and tests). */
const char *cp_ext_str(enum cp_ext r);

#endif
