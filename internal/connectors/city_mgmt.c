/* city_mgmt — the smart city-management platform (feeds/city_mgmt.md). */
#include <stddef.h>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "banned.h"

static const struct sq_option citymgmt_options[] = {
	{ "api_key", SQ_OPT_SECRET, NULL, offsetof(struct citymgmt_conf, api_key),
	  "X-Api-Key value; use api_key_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct citymgmt_conf, page_size),
	  "cases per page (1..500)", 1, 500, 0 },
	{ "window", SQ_OPT_DURATION, "24h", offsetof(struct citymgmt_conf, window_ms),
	  "width of each updatedAt window walked (at most 24h)", 60000, 86400000, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct sq_connector connector_city_mgmt = {
	.type = "city_mgmt",
	.help = "smart city-management platform cases (API key, 24-hour windows, ETags)",
	.options = citymgmt_options,
	.conf_size = sizeof(struct citymgmt_conf),
};
