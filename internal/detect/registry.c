/*
 * The detector registry: one line per detector.  Their findings are
 * applied in this order.  They run on two threads (detect.c, runs_run):
 * the store's takes them from the top, the second from the bottom, so the
 * costliest, common_cause (the memos of 100 days), is near the end, where
 * the second thread starts while the first runs the others.
 */
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
