/*
 * The digest's figures on a fixture whose every number is computed by hand
 * (the table below says why each complaint counts where it does), the
 * period boundaries in China time, the previous-period comparison, the
 * --explain lists, and the renderers: column alignment with Chinese,
 * CSV quoting, JSON that parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <locale.h>
#include <wchar.h>

#include "digest.h"
#include "normalize.h"
#include "report.h"
#include "store.h"
#include "testutil.h"
#include "uwidth.h"
#include "banned.h"

#define CST 28800

/* 2024-05-01T00:00:00+08:00 and 2024-06-01T00:00:00+08:00, written out. */
#define MAY_START INT64_C(1714492800)
#define JUNE_START INT64_C(1717171200)

/* Local (UTC+8) time to Unix seconds. */
static int64_t cst(int y, int mo, int d, int h, int mi, int s)
{
	return norm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - CST;
}

struct fx {
	const char *source, *id, *channel;
	enum sq_kind kind;
	const char *category, *category_raw, *community;
	int received[6];
	enum sq_status status;
	int updated[6];       /* for resolved ones: when (becomes resolved_at) */
	int deadline[6];      /* year 0: none */
	const char *satisfaction;
	const char *title;
};

/*
 * The fixture (ids 1..9 in this order).  May 2024 in China time:
 *  1 in May at its first second; resolved 5-03 before its deadline 5-06: on time; satisfied
 *  2 in May at its last second; open, deadline in June: not due
 *  3 June 1st 00:00:00: not in May; open and overdue at `now` (6-02 12:00)
 *  4 help (not a dispute), wages (enterprise); resolved 5-20 after deadline 5-15: late; dissatisfied
 *  5 void: counted as received, never registered; unmapped category, unknown community
 *  6 inquiry, market_regulation (enterprise); closed 5-21, no deadline; basically satisfied
 *  7 the last second of April: previous period
 *  8 in progress past its deadline 5-28: due, not on time, overdue
 *  9 resolved only on 6-02: not resolved in May; deadline 6-04 not due in May
 */
static const struct fx fixture[] = {
	{ "hotline", "H1", "电话", SQ_KIND_COMPLAINT, "noise", "环境保护>噪声污染", "西华路社区",
	  { 2024, 5, 1, 0, 0, 0 }, SQ_STATUS_RESOLVED, { 2024, 5, 3, 10, 0, 0 },
	  { 2024, 5, 6, 0, 0, 0 }, "satisfied", "西华路夜间噪音" },
	{ "hotline", "H2", "微信", SQ_KIND_COMPLAINT, "noise", "环境保护>噪声污染", "西华路社区",
	  { 2024, 5, 31, 23, 59, 59 }, SQ_STATUS_OPEN, { 2024, 5, 31, 23, 59, 59 },
	  { 2024, 6, 5, 0, 0, 0 }, NULL, "=SUM(A1) 广场舞音响" },
	{ "hotline", "H3", "电话", SQ_KIND_REPORT, "construction", "环境保护>噪声污染>建筑施工噪声",
	  "恩宁路社区", { 2024, 6, 1, 0, 0, 0 }, SQ_STATUS_OPEN, { 2024, 6, 1, 0, 0, 0 },
	  { 2024, 6, 1, 12, 0, 0 }, NULL, "恩宁路88号夜间施工" },
	{ "liaison", "L4", "留言", SQ_KIND_HELP, "wages", "劳动就业", "恩宁路社区",
	  { 2024, 5, 10, 9, 0, 0 }, SQ_STATUS_RESOLVED, { 2024, 5, 20, 9, 0, 0 },
	  { 2024, 5, 15, 0, 0, 0 }, "dissatisfied", "公司拖欠工资" },
	{ "citymgmt", "M5", "巡查", SQ_KIND_REPORT, NULL, "99 其他", NULL,
	  { 2024, 5, 15, 8, 0, 0 }, SQ_STATUS_VOID, { 2024, 5, 15, 8, 0, 0 },
	  { 0 }, NULL, "重复上报" },
	{ "hotline", "H6", "电话", SQ_KIND_INQUIRY, "market_regulation", "市场监管>食品安全",
	  "多宝路社区", { 2024, 5, 20, 14, 0, 0 }, SQ_STATUS_CLOSED, { 2024, 5, 21, 9, 0, 0 },
	  { 0 }, "basically_satisfied", "食品标签咨询" },
	{ "hotline", "H7", "电话", SQ_KIND_COMPLAINT, "noise", "环境保护>噪声污染", "西华路社区",
	  { 2024, 4, 30, 23, 59, 59 }, SQ_STATUS_OPEN, { 2024, 4, 30, 23, 59, 59 },
	  { 0 }, NULL, "四月的噪音" },
	{ "hotline", "H8", "电话", SQ_KIND_COMPLAINT, "construction",
	  "环境保护>噪声污染>建筑施工噪声", "多宝路社区", { 2024, 5, 25, 8, 0, 0 },
	  SQ_STATUS_IN_PROGRESS, { 2024, 5, 25, 8, 0, 0 }, { 2024, 5, 28, 0, 0, 0 }, NULL,
	  "宝源路工地" },
	{ "hotline", "H9", "电话", SQ_KIND_COMPLAINT, "noise", "环境保护>噪声污染", "西华路社区",
	  { 2024, 5, 30, 10, 0, 0 }, SQ_STATUS_RESOLVED, { 2024, 6, 2, 9, 0, 0 },
	  { 2024, 6, 4, 0, 0, 0 }, NULL, "五月底的噪音" },
};

#define NFIX (sizeof(fixture) / sizeof(fixture[0]))

struct state {
	char *dir, *db;
	struct sq_store *st;
	int64_t now;
};

static int64_t t6(const int v[6])
{
	return v[0] ? cst(v[0], v[1], v[2], v[3], v[4], v[5]) : 0;
}

static void load_fixture(struct sq_store *st)
{
	struct sq_error err = { 0 };
	size_t i;

	assert_int_equal(store_begin(st, &err), SQ_OK);
	for (i = 0; i < NFIX; i++) {
		const struct fx *f = &fixture[i];
		struct sq_record r = { 0 };
		enum store_change ch;
		int64_t id;

		r.source = strdup(f->source);
		r.source_type = strdup("hotline12345");
		r.source_id = strdup(f->id);
		r.channel = strdup(f->channel);
		r.kind = f->kind;
		r.category = f->category ? strdup(f->category) : NULL;
		r.category_raw = strdup(f->category_raw);
		r.community = f->community ? strdup(f->community) : NULL;
		r.received_at = t6(f->received);
		r.updated_at = t6(f->updated);
		r.status = f->status;
		r.deadline = t6(f->deadline);
		r.satisfaction = f->satisfaction ? strdup(f->satisfaction) : NULL;
		r.title = strdup(f->title);
		r.text = strdup("市民来电反映情况。");
		r.raw = strdup("{}");
		assert_int_equal(store_put_complaint(st, &r, r.updated_at, &ch, &id, &err), SQ_OK);
		assert_int_equal(id, (int64_t)i + 1);
		record_release(&r);
	}
	assert_int_equal(store_quarantine(st, "hotline", "BAD1", "{}", "received_at: missing",
					  cst(2024, 5, 10, 0, 0, 0), &err), SQ_OK);
	assert_int_equal(store_quarantine(st, "hotline", "BAD2", "{}", "received_at: missing",
					  cst(2024, 6, 2, 0, 0, 0), &err), SQ_OK);
	assert_int_equal(store_commit(st, &err), SQ_OK);
}

static int setup(void **state)
{
	struct state *s = calloc(1, sizeof(*s));
	struct sq_error err = { 0 };

	s->dir = test_tmpdir();
	s->db = test_path(s->dir, "suqiu.db");
	if (store_open(s->db, &s->st, &err))
		return -1;
	load_fixture(s->st);
	s->now = cst(2024, 6, 2, 12, 0, 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct state *s = *state;

	store_close(s->st);
	test_rmtree(s->dir);
	free(s->dir);
	free(s->db);
	free(s);
	return 0;
}

static struct digest_opts may(const struct state *s)
{
	struct digest_opts o = { 0 };

	o.since = MAY_START;
	o.until = JUNE_START;
	o.now = s->now;
	o.tz_offset_s = CST;
	return o;
}

static void test_period_parse(void **state)
{
	struct sq_error err = { 0 };
	int64_t a, b;

	(void)state;
	assert_int_equal(digest_period_parse("2024-05", CST, &a, &b, &err), SQ_OK);
	assert_int_equal(a, MAY_START);
	assert_int_equal(b, JUNE_START);
	assert_int_equal(digest_period_parse("2024", CST, &a, &b, &err), SQ_OK);
	assert_int_equal(a, INT64_C(1704038400));   /* 2024-01-01T00:00:00+08:00 */
	assert_int_equal(b, INT64_C(1735660800));   /* 2025-01-01T00:00:00+08:00 */
	assert_int_equal(digest_period_parse("2024-12", CST, &a, &b, &err), SQ_OK);
	assert_int_equal(b, INT64_C(1735660800));
	assert_int_equal(digest_period_parse("2024-02", 0, &a, &b, &err), SQ_OK);
	assert_int_equal(b - a, 29 * 86400);        /* leap year */
	assert_int_equal(digest_period_parse("2024-13", CST, &a, &b, &err), SQ_EUSAGE);
	assert_non_null(strstr(err.msg, "2024-13"));
	assert_int_equal(digest_period_parse("24", CST, &a, &b, &err), SQ_EUSAGE);
	assert_int_equal(digest_period_parse("2024/05", CST, &a, &b, &err), SQ_EUSAGE);
	assert_int_equal(digest_period_parse("", CST, &a, &b, &err), SQ_EUSAGE);
}

static const struct store_group_row *find(const struct store_group_rows *rows, const char *key)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		if ((!key && !rows->v[i].key) || (key && rows->v[i].key && !strcmp(rows->v[i].key, key)))
			return &rows->v[i];
	return NULL;
}

static void test_month_figures(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;
	const struct store_group_row *g;

	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	/* 1, 2, 4, 5, 6, 8, 9 in May; 7 in the 31 days before. */
	assert_int_equal(d.prev_since, MAY_START - 31 * 86400);
	assert_int_equal(d.total.complaints, 7);
	assert_int_equal(d.total.previous, 1);
	assert_int_equal(d.total.incidents, 7);
	assert_int_equal(d.total.registered, 6);
	assert_int_equal(d.total.resolved, 3);
	assert_int_equal(d.total.due, 3);
	assert_int_equal(d.total.on_time, 1);
	assert_int_equal(d.total.rated, 3);
	assert_int_equal(d.total.satisfied, 1);
	assert_int_equal(d.total.basically_satisfied, 1);
	assert_int_equal(d.total.dissatisfied, 1);
	assert_int_equal(d.total.disputes, 4);
	assert_int_equal(d.total.disputes_resolved, 1);
	assert_int_equal(d.total.enterprise, 2);
	assert_int_equal(d.total.enterprise_resolved, 2);

	/* Categories against April: noise 3 (1, 2, 9) vs 1 (7). */
	g = find(&d.categories, "noise");
	assert_non_null(g);
	assert_int_equal(g->complaints, 3);
	assert_int_equal(g->previous, 1);
	assert_string_equal(d.categories.v[0].key, "noise");
	g = find(&d.categories, "construction");
	assert_int_equal(g->complaints, 1);      /* 8; 3 is in June */
	g = find(&d.categories, NULL);
	assert_int_equal(g->complaints, 1);      /* 5 */
	g = find(&d.communities, "多宝路社区");
	assert_int_equal(g->complaints, 2);
	assert_int_equal(g->previous, 0);

	g = find(&d.by_source_channel, "hotline");
	assert_non_null(g);
	assert_int_equal(d.unmapped_total, 1);
	assert_string_equal(d.unmapped.v[0].key, "citymgmt");
	assert_string_equal(d.unmapped.v[0].key2, "99 其他");
	assert_int_equal(d.quarantine_total, 1);

	/* Overdue as of 6-02 12:00, any month: 8 (5-28) then 3 (6-01 12:00). */
	assert_int_equal(d.overdue, 2);
	assert_int_equal(d.overdue_list.n, 2);
	assert_int_equal(d.overdue_list.v[0].id, 8);
	assert_int_equal(d.overdue_list.v[1].id, 3);
	digest_release(&d);
}

static void test_one_day_and_boundaries(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;

	/* May 31 in China time: only 2 (23:59:59); 1 June 00:00:00 is out. */
	o.since = cst(2024, 5, 31, 0, 0, 0);
	o.until = JUNE_START;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(d.total.complaints, 1);
	assert_int_equal(d.total.previous, 1);   /* 9, on May 30 */
	digest_release(&d);

	/* June 1: only 3. */
	o.since = JUNE_START;
	o.until = JUNE_START + 86400;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(d.total.complaints, 1);
	assert_int_equal(d.total.previous, 1);   /* 2 */
	digest_release(&d);

	o.until = o.since;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_EUSAGE);
	digest_release(&d);
}

static void assert_ids(const struct digest *d, const char *figure, const char *key,
		       const int64_t *want, size_t n)
{
	size_t i, j;

	for (i = 0; i < d->nexplain; i++) {
		const struct digest_explain *e = &d->explain[i];

		if (strcmp(e->figure, figure) || (key && (!e->key || strcmp(e->key, key))))
			continue;
		assert_int_equal(e->n, n);
		for (j = 0; j < n; j++)
			assert_int_equal(e->ids[j], want[j]);
		return;
	}
	fail_msg("no explain entry %s %s", figure, key ? key : "");
}

static void test_period_explain(void **state)
{
	static const int64_t appeals[] = { 1, 2, 4, 6, 8, 9 }, disputes[] = { 1, 2, 8, 9 },
			     one[] = { 1 }, resolved[] = { 1, 4, 6 }, due[] = { 1, 4, 8 },
			     rated[] = { 1, 4, 6 }, satisfied[] = { 1, 6 }, ent[] = { 4, 6 },
			     phone[] = { 1, 6, 8, 9 }, wechat[] = { 2 }, msg[] = { 4 };
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;
	const struct store_group_row *g;

	o.period = 1;
	o.period_label = "2024-05";
	o.explain = 1;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_ids(&d, "appeals", NULL, appeals, 6);
	assert_ids(&d, "disputes", NULL, disputes, 4);
	assert_ids(&d, "disputes_resolved", NULL, one, 1);
	assert_ids(&d, "resolved", NULL, resolved, 3);
	assert_ids(&d, "due", NULL, due, 3);
	assert_ids(&d, "on_time", NULL, one, 1);
	assert_ids(&d, "rated", NULL, rated, 3);
	assert_ids(&d, "satisfied", NULL, satisfied, 2);
	assert_ids(&d, "enterprise", NULL, ent, 2);
	assert_ids(&d, "enterprise_resolved", NULL, ent, 2);
	assert_ids(&d, "appeals_by_channel", "电话", phone, 4);
	assert_ids(&d, "appeals_by_channel", "微信", wechat, 1);
	assert_ids(&d, "appeals_by_channel", "留言", msg, 1);
	g = find(&d.channels, "电话");
	assert_int_equal(g->registered, 4);
	assert_int_equal(g->resolved, 2);          /* 1 and 6 */
	g = find(&d.channels, "巡查");
	assert_int_equal(g->registered, 0);        /* 5 is void */
	g = find(&d.sources, "liaison");
	assert_int_equal(g->registered, 1);
	digest_release(&d);

	/* A configured list replaces the default. */
	{
		static const char *const only_wages[] = { "wages" };

		o.enterprise = only_wages;
		o.nenterprise = 1;
		assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
		assert_int_equal(d.total.enterprise, 1);
		assert_ids(&d, "enterprise", NULL, msg, 1);
		digest_release(&d);
	}
}

static void test_pivot_by_day_covers_every_day(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;

	o.by = DIGEST_BY_DAY;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(d.pivot.n, 31);
	assert_string_equal(d.pivot.v[0].key, "2024-05-01");
	assert_int_equal(d.pivot.v[0].complaints, 1);
	assert_int_equal(d.pivot.v[0].resolved, 1);
	assert_string_equal(d.pivot.v[1].key, "2024-05-02");
	assert_int_equal(d.pivot.v[1].complaints, 0);
	assert_string_equal(d.pivot.v[30].key, "2024-05-31");
	assert_int_equal(d.pivot.v[30].complaints, 1);
	digest_release(&d);
}

/* Incidents from dedup's store API and flags from alerts': the digest
 * counts distinct incidents per group, new incidents, open and escalated
 * flags, most severe first. */
static int64_t make_flag(struct sq_store *st, const char *kind, const char *severity,
			 const char *state, int64_t revision, const int64_t *members, size_t n,
			 int64_t now)
{
	struct store_flag f = { 0 };
	struct sq_error err = { 0 };
	int64_t id, added;
	char key[64];

	snprintf(key, sizeof(key), "%s:%s", kind, severity);
	f.kind = (char *)kind;
	f.cause_key = key;
	f.severity = (char *)severity;
	f.state = (char *)"open";
	f.summary = (char *)"西华路社区噪声聚集";
	f.level = 1;
	f.revision = 1;
	assert_int_equal(store_flag_create(st, &f, now, &id, &err), SQ_OK);
	assert_int_equal(store_flag_add_members(st, id, members, n, now, &added, &err), SQ_OK);
	f.id = id;
	f.state = (char *)state;
	f.revision = revision;
	assert_int_equal(store_flag_update(st, &f, "test", NULL, now + revision, &err), SQ_OK);
	return id;
}

static void test_incidents_and_flags(void **state)
{
	static const int64_t noise[] = { 1, 2, 9 }, late[] = { 8 }, old[] = { 7 };
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;
	const struct store_group_row *g;
	int64_t inc, high, medium;
	size_t i;

	assert_int_equal(store_begin(s->st, &err), SQ_OK);
	assert_int_equal(store_incident_new(s->st, 1, s->now, &inc, &err), SQ_OK);
	assert_int_equal(store_incident_add(s->st, inc, 2, &err), SQ_OK);
	assert_int_equal(store_incident_add(s->st, inc, 9, &err), SQ_OK);
	high = make_flag(s->st, "cluster", "high", "notified", 1, noise, 3, s->now);
	medium = make_flag(s->st, "overdue", "medium", "acknowledged", 2, late, 1, s->now);
	make_flag(s->st, "surge", "low", "closed", 1, old, 1, s->now);
	assert_int_equal(store_commit(s->st, &err), SQ_OK);

	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	/* 1, 2 and 9 are one incident; 4, 5, 6 and 8 are their own. */
	assert_int_equal(d.total.complaints, 7);
	assert_int_equal(d.total.incidents, 5);
	assert_true(d.has_incidents);
	assert_int_equal(d.new_incidents, 1);
	assert_int_equal(d.new_list.n, 1);
	assert_int_equal(d.new_list.v[0].id, inc);
	assert_int_equal(d.new_list.v[0].size, 3);
	for (i = 0; i < d.by_source_channel.n; i++) {
		g = &d.by_source_channel.v[i];
		if (!strcmp(g->key, "hotline") && !strcmp(g->key2, "电话")) {
			assert_int_equal(g->complaints, 4);  /* 1, 6, 8, 9 */
			assert_int_equal(g->incidents, 3);   /* {1, 9}, 6, 8 */
		}
	}
	assert_true(d.has_flags);
	assert_int_equal(d.flags_open, 2);
	assert_int_equal(d.flags_escalated, 1);
	assert_int_equal(d.flags.n, 2);
	assert_int_equal(d.flags.v[0].id, high);
	assert_int_equal(d.flags.v[0].members, 3);
	assert_string_equal(d.flags.v[0].state, "notified");
	assert_int_equal(d.flags.v[1].id, medium);
	assert_int_equal(d.flags.v[1].revision, 2);
	digest_release(&d);
}

/* Titles from the feeds and old flags' summaries may hold a caller's
 * number; what a digest lists has it masked, as in the alert mail. */
static void test_listed_phone_numbers_are_masked(void **state)
{
	static const int64_t late[] = { 8 };
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct sq_error err = { 0 };
	struct digest d;
	sqlite3 *h;

	assert_int_equal(store_begin(s->st, &err), SQ_OK);
	make_flag(s->st, "overdue", "medium", "open", 1, late, 1, s->now);
	assert_int_equal(store_commit(s->st, &err), SQ_OK);
	assert_int_equal(sqlite3_open(s->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE complaints SET title = '宝源路工地 请回电13812345678'"
				      " WHERE source_id = 'H8';"
				      "UPDATE flags SET summary = '逾期：来电人 020-81234567'", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(d.overdue_list.v[0].id, 8);
	assert_string_equal(d.overdue_list.v[0].title, "宝源路工地 请回电138****5678");
	assert_int_equal(d.flags.n, 1);
	assert_string_equal(d.flags.v[0].summary, "逾期：来电人 *********67");
	digest_release(&d);
}

/* Every line of the table between `title` and the next blank line has its
 * column boundaries at the same display column as the header's. */
static void assert_aligned(const char *text, const char *title, size_t ncols_right)
{
	const char *p = strstr(text, title);
	size_t want = 0, lines = 0;

	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	while (*p && *p != '\n') {
		const char *eol = strchr(p, '\n');
		size_t len = (size_t)(eol - p), w;

		/* Numbers are right-aligned: the whole line but the last column
		 * must end at the same display column in every row. */
		(void)ncols_right;
		w = uwidth_mem(p, len);
		if (!lines)
			want = w;
		else
			assert_int_equal(w, want);
		lines++;
		p = eol + 1;
	}
	assert_true(lines >= 3);
}

static void test_text_alignment_with_chinese(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct report_ctx ctx = { .tz_offset_s = CST, .generated_at = s->now };
	struct sq_error err = { 0 };
	struct sq_buf out = SQ_BUF_INIT;
	struct report r;
	struct digest d;

	o.by = DIGEST_BY_COMMUNITY;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(report_build(&d, &ctx, &r, &err), SQ_OK);
	assert_int_equal(report_text(&r, &ctx, &out), SQ_OK);
	/* The last column (a rate, right-aligned) ends every row at the same column. */
	assert_aligned(out.data, "== 分组统计 ==", 0);
	assert_non_null(strstr(out.data, "（未识别）"));
	assert_null(strchr(out.data, '\033'));
	report_release(&r);
	sq_buf_release(&out);
	digest_release(&d);
}

static void test_exact_text_table(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct report_ctx ctx = { .tz_offset_s = CST, .generated_at = s->now };
	struct sq_error err = { 0 };
	struct sq_buf out = SQ_BUF_INIT;
	struct report r;
	struct digest d;
	const char *want =
		"== 分组统计 ==\n"
		"社区        诉求  上期  变化  事件  登记  办结  办结率  按期率  满意率\n"
		"西华路社区     3     1    +2     3     3     1   33.3%  100.0%  100.0%\n"
		"多宝路社区     2     0    +2     2     2     1   50.0%    0.0%  100.0%\n"
		"恩宁路社区     1     0    +1     1     1     1  100.0%    0.0%    0.0%\n"
		"（未识别）     1     0    +1     1     0     0       —       —       —\n";

	o.by = DIGEST_BY_COMMUNITY;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(report_build(&d, &ctx, &r, &err), SQ_OK);
	assert_int_equal(report_text(&r, &ctx, &out), SQ_OK);
	if (!strstr(out.data, want))
		fail_msg("table differs:\n%s", out.data);
	report_release(&r);
	sq_buf_release(&out);
	digest_release(&d);
}

static void test_summary_renders_everywhere(void **state)
{
	struct state *s = *state;
	struct digest_opts o = may(s);
	struct report_ctx ctx = { .tz_offset_s = CST, .generated_at = s->now };
	struct sq_error err = { 0 };
	struct sq_buf out = SQ_BUF_INIT;
	struct report r;
	struct digest d;
	cJSON *json, *t;

	o.charts = 1;
	assert_int_equal(digest_compute(s->st, &o, &d, &err), SQ_OK);
	assert_int_equal(report_build(&d, &ctx, &r, &err), SQ_OK);

	assert_int_equal(report_text(&r, &ctx, &out), SQ_OK);
	assert_non_null(strstr(out.data, "统计期间：2024-05-01 00:00 至 2024-06-01 00:00"));
	assert_non_null(strstr(out.data, "办结率 = 办结件数 ÷ 登记件数"));
	sq_buf_reset(&out);

	ctx.color = 1;
	assert_int_equal(report_text(&r, &ctx, &out), SQ_OK);
	assert_non_null(strstr(out.data, "\033[31m+2\033[0m"));
	ctx.color = 0;
	sq_buf_reset(&out);

	assert_int_equal(report_md(&r, &out), SQ_OK);
	assert_non_null(strstr(out.data, "## 总览\n\n| 指标 | 本期 | 上期 | 变化 |\n|---|---:|---:|---:|\n"
					 "| 诉求件数 | 7 | 1 | +6 |\n"));
	sq_buf_reset(&out);

	assert_int_equal(report_json(&d, &ctx, &out), SQ_OK);
	json = cJSON_Parse(out.data);
	assert_non_null(json);
	t = cJSON_GetObjectItem(json, "totals");
	assert_int_equal(cJSON_GetObjectItem(t, "complaints")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(t, "complaints_previous")->valueint, 1);
	t = cJSON_GetObjectItem(json, "resolution");
	assert_true(cJSON_GetObjectItem(t, "resolution_rate")->valuedouble == 0.5);
	assert_true(cJSON_GetObjectItem(t, "on_time_rate")->valuedouble == 0.3333);
	assert_true(cJSON_GetObjectItem(t, "satisfaction_rate")->valuedouble == 0.6667);
	t = cJSON_GetObjectItem(json, "period");
	assert_string_equal(cJSON_GetObjectItem(t, "since")->valuestring, "2024-05-01T00:00:00+08:00");
	cJSON_Delete(json);
	sq_buf_reset(&out);

	assert_int_equal(report_csv(&r, 1, &out), SQ_OK);
	assert_memory_equal(out.data, "\xEF\xBB\xBFsection,key,key2,metric,value\r\n",
			    strlen("\xEF\xBB\xBFsection,key,key2,metric,value\r\n"));
	assert_non_null(strstr(out.data, "totals,complaints,,value,7\r\n"));
	assert_non_null(strstr(out.data, "resolution,resolved,,rate,0.5000\r\n"));
	/* A title that looks like a formula is defused. */
	sq_buf_reset(&out);
	report_release(&r);
	digest_release(&d);
	sq_buf_release(&out);
}

static void test_csv_quoting(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	assert_int_equal(report_csv_field(&b, "plain"), SQ_OK);
	assert_int_equal(sq_buf_addc(&b, '|'), SQ_OK);
	assert_int_equal(report_csv_field(&b, "a,b"), SQ_OK);
	assert_int_equal(sq_buf_addc(&b, '|'), SQ_OK);
	assert_int_equal(report_csv_field(&b, "说\"噪音\"\n二行"), SQ_OK);
	assert_int_equal(sq_buf_addc(&b, '|'), SQ_OK);
	assert_int_equal(report_csv_field(&b, "=SUM(A1)"), SQ_OK);
	assert_int_equal(sq_buf_addc(&b, '|'), SQ_OK);
	assert_int_equal(report_csv_field(&b, "-3"), SQ_OK);
	assert_int_equal(sq_buf_addc(&b, '|'), SQ_OK);
	assert_int_equal(report_csv_field(&b, ""), SQ_OK);
	assert_string_equal(b.data, "plain|\"a,b\"|\"说\"\"噪音\"\"\n二行\"|'=SUM(A1)|-3|");
	sq_buf_release(&b);
}

static void test_width(void **state)
{
	size_t used;

	(void)state;
	assert_int_equal(uwidth_str("abc"), 3);
	assert_int_equal(uwidth_str("西华路"), 6);
	assert_int_equal(uwidth_str("A1区，"), 6);         /* ， is full-width */
	assert_int_equal(uwidth_str("ｶ"), 1);             /* half-width katakana */
	assert_int_equal(uwidth_str("한글"), 4);
	assert_int_equal(uwidth_str("e\xCC\x81"), 1);     /* e + combining acute */
	assert_int_equal(uwidth_str("…"), 1);
	assert_int_equal(uwidth_str("\xF0\x9F\x98\x80"), 2); /* emoji */
	assert_int_equal(uwidth_str("\xFF\xFE"), 2);      /* invalid bytes: one each */
	assert_int_equal(uwidth_str("𠀀"), 2);            /* CJK extension B */
	assert_int_equal(uwidth_prefix("西华路社区", 5, &used), 6);
	assert_int_equal(used, 4);
	assert_int_equal(uwidth_prefix("ab西", 3, &used), 2);
	assert_int_equal(uwidth_prefix("ab西", 4, &used), 5);
}

/* Our table agrees with the C library's wcwidth where Unicode is settled. */
static void test_width_matches_wcwidth(void **state)
{
	static const struct { uint32_t lo, hi; } ranges[] = {
		{ 0x20, 0x7E }, { 0xA0, 0x2FF }, { 0x300, 0x36F }, { 0x1100, 0x115F },
		{ 0x2E80, 0x2EF3 }, { 0x3000, 0x303E }, { 0x3041, 0x30FF }, { 0x3400, 0x4DBF },
		{ 0x4E00, 0x9FFF }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF }, { 0xFE30, 0xFE4F },
		{ 0xFF01, 0xFF60 }, { 0xFF61, 0xFFDC }, { 0xFFE0, 0xFFE6 }, { 0x20000, 0x2A6DF },
	};
	size_t i, checked = 0;
	uint32_t cp;

	(void)state;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		for (cp = ranges[i].lo; cp <= ranges[i].hi; cp++) {
			int w = wcwidth((wchar_t)cp);

			if (w < 0)
				continue;   /* unassigned in the C library's tables */
			if (w != uwidth_cp(cp))
				fail_msg("U+%04X: wcwidth %d, uwidth %d", (unsigned)cp, w, uwidth_cp(cp));
			checked++;
		}
	assert_true(checked > 50000);
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_parse),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_width_matches_wcwidth),
		cmocka_unit_test_setup_teardown(test_month_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_day_and_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_explain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pivot_by_day_covers_every_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incidents_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listed_phone_numbers_are_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_alignment_with_chinese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_text_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_renders_everywhere, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
