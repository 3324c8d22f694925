/*
 * connector.h — a feed type as a declaration (after Fluent Bit's plugins).
 *
 * A connector is a static struct: its type name, an option table for its own
 * configuration keys (filled into a conf_size struct per configured source),
 * and callbacks that build the next request from the saved cursor and turn
 * one fetched page into common records plus the next cursor.  HTTP, retries,
 * charset decoding and storage are shared code; a connector never touches
 * the network or SQL.  Adding a feed type is one file and one registry line.
 */
#ifndef SUQIU_CONNECTOR_H
#define SUQIU_CONNECTOR_H

#include <stddef.h>

#include "options.h"

struct sq_connector {
	const char *type;                 /* as written in `type:` */
	const char *help;                 /* one line */
	const struct sq_option *options;  /* the source's own keys */
	size_t conf_size;                 /* size of the struct options fill */
	/* callbacks follow (see the connector issue) */
};

/* The registered connector of that type, or NULL. */
const struct sq_connector *connector_find(const char *type);

/* All registered connectors, NULL-terminated. */
const struct sq_connector *const *connector_all(void);

#endif
