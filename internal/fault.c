#include "fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

sq_err sq_faults_parse(struct sq_faults *f, const char *spec, struct sq_error *err)
{
	const char *colon;
	size_t len;
	char *end;
	long n = 1;

	f->point[0] = '\0';
	f->count = 0;
	f->seen = 0;
	if (!spec || !*spec)
		return SQ_OK;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon) {
		errno = 0;
		n = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || n < 1)
			return sq_fail(err, SQ_EUSAGE, "SUQIU_CRASH_AT: '%s' is not POINT:N with N >= 1",
				       spec);
	}
	if (len == 0 || len >= sizeof(f->point))
		return sq_fail(err, SQ_EUSAGE, "SUQIU_CRASH_AT: bad point name in '%s'", spec);
	memcpy(f->point, spec, len);
	f->point[len] = '\0';
	f->count = n;
	return SQ_OK;
}

int sq_fault_hit(struct sq_faults *f, const char *point)
{
	if (!f || !f->point[0] || strcmp(f->point, point))
		return 0;
	if (++f->seen != f->count)
		return 0;
	if (f->crash)
		f->crash(f->arg, point);
	return 1;
}
