/* The connector registry: one line per feed type. */
#include <stddef.h>
#include <string.h>

#include "connectors/registry.h"
#include "banned.h"

static const struct sq_connector *const registry[] = {
	&connector_hotline12345,
	&connector_deputy_liaison,
	&connector_city_mgmt,
	&connector_open311,
	NULL,
};

const struct sq_connector *connector_find(const char *type)
{
	size_t i;

	for (i = 0; type && registry[i]; i++)
		if (!strcmp(registry[i]->type, type))
			return registry[i];
	return NULL;
}

const struct sq_connector *const *connector_all(void)
{
	return registry;
}
