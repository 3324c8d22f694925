#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, const char *label, int64_t total, int quiet)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->done = 0;
	p->started = now_s();
	p->last_draw = 0;
}

static void draw(struct progress *p, double t)
{
	double elapsed = t - p->started;
	double rate = elapsed > 0 ? (double)p->done / elapsed : 0;

	fprintf(stderr, "\r\033[K%s: %lld", p->label, (long long)p->done);
	if (p->total > 0)
		fprintf(stderr, "/%lld (%.0f%%)", (long long)p->total,
			100.0 * (double)p->done / (double)p->total);
	fprintf(stderr, ", %.0f/s", rate);
	if (p->total > 0 && rate > 0 && p->done < p->total) {
		long left = (long)((double)(p->total - p->done) / rate);

		fprintf(stderr, ", %ldm%02lds left", left / 60, left % 60);
	}
	fflush(stderr);
	p->last_draw = t;
}

void progress_update(struct progress *p, int64_t done)
{
	double t;

	p->done = done;
	if (!p->enabled)
		return;
	t = now_s();
	if (t - p->last_draw >= 0.25)
		draw(p, t);
}

void progress_finish(struct progress *p)
{
	if (p->enabled && p->last_draw > 0)
		fputs("\r\033[K", stderr);
	p->enabled = 0;
}
