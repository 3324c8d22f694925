/* deputy_liaison — the people's-deputy online liaison station (feeds/deputy_liaison.md). */
#include <stddef.h>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "banned.h"

static const struct sq_option liaison_options[] = {
	{ "token", SQ_OPT_SECRET, NULL, offsetof(struct liaison_conf, token),
	  "bearer token; use token_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "50", offsetof(struct liaison_conf, page_size),
	  "messages per page (1..100)", 1, 100, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct sq_connector connector_deputy_liaison = {
	.type = "deputy_liaison",
	.help = "people's-deputy online liaison station messages (bearer token, GBK pages)",
	.options = liaison_options,
	.conf_size = sizeof(struct liaison_conf),
};
