/* The detector registry: one line per detector, run in this order. */
#include <stddef.h>

#include "detect/detector.h"
#include "banned.h"

static const struct sq_detector *const registry[] = {
	&detector_urgent,
	&detector_cluster,
	&detector_surge,
	&detector_spacetime,
	&detector_common_cause,
	&detector_overdue,
	NULL,
};

const struct sq_detector *const *detect_registry(void)
{
	return registry;
}
