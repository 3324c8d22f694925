/*
 * registry.h — the connectors' per-source configuration structs and their
 * registration.  Private to internal/connectors/ and its tests; the rest of
 * suqiu uses connector.h.
 */
#ifndef SUQIU_CONNECTORS_REGISTRY_H
#define SUQIU_CONNECTORS_REGISTRY_H

#include <stdint.h>

#include "connectors/connector.h"
#include "error.h"
#include "options.h"

struct hotline_conf {
	char *app_key;
	struct sq_secret app_secret;
	int64_t page_size;
};

struct liaison_conf {
	struct sq_secret token;
	int64_t page_size;
};

struct citymgmt_conf {
	struct sq_secret api_key;
	int64_t page_size;
	int64_t window_ms;
};

struct open311_conf {
	struct sq_secret api_key;
	char *jurisdiction_id;
	int64_t page_size;
	int64_t window_ms;
};

/*
 * The hotline's X-Signature: lowercase hex of HMAC-SHA256(secret, app_key
 * "\n" timestamp "\n" nonce "\n" target) into out_hex (65 bytes with the
 * NUL).  SQ_ENOMEM when OpenSSL fails.
 */
sq_err hotline_sign(const char *secret, const char *app_key, const char *timestamp,
		    const char *nonce, const char *target, char out_hex[65]);

extern const struct sq_connector connector_hotline12345;
extern const struct sq_connector connector_deputy_liaison;
extern const struct sq_connector connector_city_mgmt;
extern const struct sq_connector connector_open311;

#endif
