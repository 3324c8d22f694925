/*
 * overdue — complaints still open or in progress detect.overdue_grace
 * (default 0) after their deadline, one flag per community (cause
 * "overdue:<community>") once detect.overdue_min (1) of them are, that
 * grows as more items pass their deadline and escalates at 2, 4, ... times
 * detect.overdue_step (3) of them.
 *
 * It reads only the items that became overdue within detect.overdue_window
 * (7 days; since the last run when that was longer ago): an item joins its community's flag on the first run after it
 * passes its deadline and stays a member, so reading it again on every
 * later run told nothing new — and the items left open for good are as
 * many as the store is old.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"
#include "banned.h"

static int64_t lookback(const struct sq_detect_config *dc)
{
	(void)dc;
	return 0;   /* reads ctx->in->overdue, not the look-back period */
}

static int cmp_community(const void *a, const void *b)
{
	const struct store_detect_row *x = *(const struct store_detect_row *const *)a;
	const struct store_detect_row *y = *(const struct store_detect_row *const *)b;
	const char *cx = x->community ? x->community : "", *cy = y->community ? y->community : "";
	int c = strcmp(cx, cy);

	if (c)
		return c;
	return x->deadline < y->deadline ? -1 : x->deadline > y->deadline;
}

/* How long past its deadline, for people: " 3 天", " 5 小时", "不到 1 小时". */
static void late_label(int64_t late_s, char *buf, size_t size)
{
	if (late_s >= 86400)
		snprintf(buf, size, " %lld 天", (long long)(late_s / 86400));
	else if (late_s >= 3600)
		snprintf(buf, size, " %lld 小时", (long long)(late_s / 3600));
	else
		snprintf(buf, size, "不到 1 小时");
}

static sq_err run(struct detect_ctx *ctx)
{
	const struct store_detect_rows *od = ctx->in->overdue;
	const struct store_detect_row **sorted;
	int64_t grace_s = ctx->dc->overdue_grace_ms / 1000;
	/* what the rows cover: the window, or since the last run after a gap */
	int64_t period_ms = (ctx->now - grace_s - ctx->in->overdue_since) * 1000;
	size_t i, j, k, n = 0;
	sq_err rc = SQ_OK;

	ctx->ran = 1;   /* the next run reads from here on (detect.c, overdue_since) */
	if (!od || !od->n)
		return SQ_OK;
	sorted = malloc(od->n * sizeof(*sorted));
	if (!sorted)
		return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < od->n; i++)
		if (ctx->now - od->rows[i].deadline >= grace_s)
			sorted[n++] = &od->rows[i];
	qsort(sorted, n, sizeof(*sorted), cmp_community);
	for (i = 0; i < n && !rc; i = j) {
		const char *comm = sorted[i]->community;
		struct detect_finding f;
		char late[32], window[32];

		for (j = i; j < n; j++) {
			const char *c = sorted[j]->community;

			if ((c == NULL) != (comm == NULL) || (c && strcmp(c, comm)))
				break;
		}
		if ((int64_t)(j - i) < ctx->dc->overdue_min)
			continue;
		detect_finding_init(&f, FLAG_OVERDUE);
		f.severity = FLAG_LOW;
		f.threshold = ctx->dc->overdue_step;
		f.min_fresh = 1;
		/* The rows are distinct complaints: no need for detect_finding_add's
		 * duplicate check, which is linear per member and made this
		 * quadratic in a community's overdue count. */
		for (k = i; k < j && !rc; k++)
			rc = detect_finding_append(&f, sorted[k]->id);
		late_label(ctx->now - sorted[i]->deadline, late, sizeof(late));
		if (!rc)
			rc = detect_finding_key(&f, "overdue:%s", comm ? comm : "-");
		if (!rc)
			rc = detect_finding_place(&f, NULL, comm);
		if (!rc)
			rc = detect_finding_summary(&f, "%s近%s有 %zu 件诉求超过办理期限仍未办结，"
						    "其中最久已超期%s", comm ? comm : "未知社区",
						    detect_duration_label(period_ms, window, sizeof(window)),
						    j - i, late);
		if (rc) {
			detect_finding_release(&f);
			rc = sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
		} else {
			rc = detect_emit(ctx, &f);
		}
	}
	free(sorted);
	return rc;
}

const struct sq_detector detector_overdue = { "overdue", lookback, run };
