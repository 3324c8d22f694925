/* hotline12345 — the city's 12345 hotline open API (feeds/hotline12345.md). */
#include <stddef.h>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "banned.h"

static const struct sq_option hotline_options[] = {
	{ "app_key", SQ_OPT_STRING, NULL, offsetof(struct hotline_conf, app_key),
	  "app key issued to the street office (X-App-Key)", 0, 0, SQ_OPT_REQUIRED },
	{ "app_secret", SQ_OPT_SECRET, NULL, offsetof(struct hotline_conf, app_secret),
	  "HMAC-SHA256 signing secret; use app_secret_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct hotline_conf, page_size),
	  "work orders per page (1..200)", 1, 200, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct sq_connector connector_hotline12345 = {
	.type = "hotline12345",
	.help = "12345 government hotline open API (HMAC-signed work orders)",
	.options = hotline_options,
	.conf_size = sizeof(struct hotline_conf),
};
