/* open311 — Open311 GeoReport v2 service requests (requests.json). */
#include <stddef.h>

#include "connectors/connector.h"
#include "connectors/registry.h"
#include "banned.h"

static const struct sq_option open311_options[] = {
	{ "api_key", SQ_OPT_SECRET, NULL, offsetof(struct open311_conf, api_key),
	  "optional api_key parameter; use api_key_file", 0, 0, 0 },
	{ "jurisdiction_id", SQ_OPT_STRING, NULL, offsetof(struct open311_conf, jurisdiction_id),
	  "optional jurisdiction_id parameter", 0, 0, 0 },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct open311_conf, page_size),
	  "requests per page (page_size extension)", 1, 1000, 0 },
	{ "window", SQ_OPT_DURATION, "7d", offsetof(struct open311_conf, window_ms),
	  "width of each start_date/end_date window walked", 60000, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

const struct sq_connector connector_open311 = {
	.type = "open311",
	.help = "Open311 GeoReport v2 service requests (requests.json)",
	.options = open311_options,
	.conf_size = sizeof(struct open311_conf),
};
