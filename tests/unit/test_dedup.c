/*
 * test_dedup.c — the linking engine against a real store in a temporary
 * directory: incremental linking across runs, declared links in both
 * arrival orders, updates staying put, analysts' merges and splits
 * surviving later runs, the sweep of unlinked complaints, references;
 * linking inside the caller's transaction (and after its rollback); the
 * index horizon (old keys pruned, late arrivals, updates of old ones).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config.h"
#include "dedup.h"
#include "record.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

#define T0 1714525200   /* 2024-05-01 09:00 +08:00 */
#define HOUR 3600

struct fx {
	char dir[64];
	char path[96];
	struct sq_store *st;
	struct sq_config cfg;
	int64_t next_update;
	int placed;           /* put_tx places new complaints as it stores them */
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct sq_error err = { 0 };

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/suqiu-dedup-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/t.db", fx->dir);
	if (store_open(fx->path, &fx->st, &err))
		fail_msg("store_open: %s", err.msg);
	if (config_defaults(&fx->cfg, &err))
		fail_msg("config_defaults: %s", err.msg);
	fx->next_update = T0;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[160];

	store_close(fx->st);
	config_release(&fx->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx->dir);
	free(fx);
	return 0;
}

/* A complaint as a connector and the normalizer would leave it. */
struct spec {
	const char *source, *type, *id;
	int64_t at;
	const char *title, *text, *community, *address, *category, *phone;
	const char *link_kind, *link_type, *link_id;
	enum sq_status status;
};

/* The record of s without its phone and declared link; a fresh update time. */
static void spec_record(struct fx *fx, const struct spec *s, struct sq_record *r)
{
	memset(r, 0, sizeof(*r));
	r->source = strdup(s->source);
	r->source_type = strdup(s->type);
	r->source_id = strdup(s->id);
	r->received_at = s->at;
	r->updated_at = ++fx->next_update;
	r->title = s->title ? strdup(s->title) : NULL;
	r->text = s->text ? strdup(s->text) : NULL;
	r->community = s->community ? strdup(s->community) : NULL;
	r->address = s->address ? strdup(s->address) : NULL;
	r->category = s->category ? strdup(s->category) : NULL;
	r->status = s->status;
}

static int64_t put(struct fx *fx, const struct spec *s, enum store_change *change)
{
	struct sq_record r;
	struct sq_error err = { 0 };
	enum store_change ch;
	int64_t id = 0;

	spec_record(fx, s, &r);
	if (s->phone) {
		char masked[32];

		snprintf(masked, sizeof(masked), "%.3s****%s", s->phone, s->phone + 7);
		r.contact_hash = strdup(s->phone);   /* stands in for the keyed hash */
		r.contact_masked = strdup(masked);
	}
	if (s->link_kind)
		assert_int_equal(record_add_link(&r, s->link_kind, s->link_type, s->link_id), 0);
	assert_int_equal(store_begin(fx->st, &err), SQ_OK);
	if (store_put_complaint(fx->st, &r, T0, change ? change : &ch, &id, &err))
		fail_msg("put: %s", err.msg);
	assert_int_equal(store_commit(fx->st, &err), SQ_OK);
	record_release(&r);
	return id;
}

/* One run with a taxonomy (NULL: none): a fresh context linking ids. */
static struct dedup_stats link_run_tax(struct fx *fx, const int64_t *ids, size_t n,
				       const struct sq_taxonomy *tax)
{
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	struct dedup_stats s;

	if (dedup_new(fx->st, &fx->cfg.dedup, tax, &dd, &err))
		fail_msg("dedup_new: %s", err.msg);
	if (dedup_link(dd, ids, n, T0 + 100 * HOUR, &err))
		fail_msg("dedup_link: %s", err.msg);
	s = *dedup_get_stats(dd);
	dedup_free(dd);
	return s;
}

/* One run: a fresh context linking ids, as one poll would. */
static struct dedup_stats link_run(struct fx *fx, const int64_t *ids, size_t n)
{
	return link_run_tax(fx, ids, n, NULL);
}

/* Store s and link it in a run of its own; its id. */
static int64_t put_alone(struct fx *fx, const struct spec *s)
{
	int64_t id = put(fx, s, NULL);

	link_run(fx, &id, 1);
	return id;
}

static int64_t incident_of(struct fx *fx, int64_t id)
{
	struct dedup_doc d = { 0 };
	struct sq_error err = { 0 };
	int found = 0;
	int64_t inc;

	assert_int_equal(store_dedup_doc(fx->st, id, &d, &found, &err), SQ_OK);
	assert_true(found);
	inc = d.incident_id;
	dedup_doc_release(&d);
	return inc;
}

static int64_t incident_size(struct fx *fx, int64_t incident)
{
	struct store_incident inc;
	struct sq_error err = { 0 };
	int found = 0;
	int64_t size;

	assert_int_equal(store_incident_get(fx->st, incident, &inc, &found, &err), SQ_OK);
	size = found ? inc.size : -1;
	store_incident_release(&inc);
	return size;
}

/* The link method stored for a complaint. */
struct method_ctx {
	char method[16];
	double score;
	int has_score;
	char comparisons[1024];
};

static sq_err method_cb(void *ctx, const struct store_complaint_row *r)
{
	struct method_ctx *m = ctx;

	snprintf(m->method, sizeof(m->method), "%s", r->link_method ? r->link_method : "");
	snprintf(m->comparisons, sizeof(m->comparisons), "%s",
		 r->link_comparisons ? r->link_comparisons : "");
	m->score = r->link_score;
	m->has_score = r->has_score;
	return SQ_OK;
}

static struct method_ctx link_of(struct fx *fx, int64_t id)
{
	struct store_complaint_filter f = { .id = id };
	struct method_ctx m;
	struct sq_error err = { 0 };

	memset(&m, 0, sizeof(m));
	assert_int_equal(store_complaint_each(fx->st, &f, method_cb, &m, &err), SQ_OK);
	return m;
}

/* Residents describing one building site, and an unrelated complaint. */
static const struct spec site_a = {
	"hotline", "hotline12345", "H1", T0, "恩宁路工地夜间施工扰民",
	"市民来电反映:恩宁路88号附近工地连续多晚施工至凌晨两点,噪音很大,影响休息,请相关部门处理。",
	"恩宁路社区", "广州市荔湾区恩宁路88号", "construction", "13812345678", NULL, NULL, NULL,
	SQ_STATUS_IN_PROGRESS,
};
static const struct spec site_b = {
	"liaison", "deputy_liaison", "L1", T0 + 5 * HOUR, "反映恩宁路工地夜间施工扰民问题",
	"尊敬的代表:恩宁路八十八号旁边的工地最近每天晚上都施工到凌晨,机器声音很吵,老人小孩都睡不好。",
	"恩宁路社区", "恩宁路88號", "construction", NULL, NULL, NULL, NULL, SQ_STATUS_OPEN,
};
static const struct spec water = {
	"hotline", "hotline12345", "H2", T0 + 2 * HOUR, "耀华小区停水",
	"市民反映:耀华小区七栋从昨晚十点多开始停水,没有任何通知,希望尽快恢复供水。",
	"昌华社区", "耀华大街12号", "water_power_gas", "13900001111", NULL, NULL, NULL,
	SQ_STATUS_OPEN,
};

static void test_links_same_site_across_runs(void **state)
{
	struct fx *fx = *state;
	int64_t a, b, w;
	struct dedup_stats s;
	struct method_ctx m;

	a = put(fx, &site_a, NULL);
	s = link_run(fx, &a, 1);
	assert_int_equal(s.started, 1);
	assert_int_not_equal(incident_of(fx, a), 0);
	assert_string_equal(link_of(fx, a).method, "new");

	/* Separate runs: the second learns of the first only through the store. */
	w = put(fx, &water, NULL);
	s = link_run(fx, &w, 1);
	assert_int_equal(s.started, 1);
	assert_int_not_equal(incident_of(fx, w), incident_of(fx, a));

	b = put(fx, &site_b, NULL);
	s = link_run(fx, &b, 1);
	assert_int_equal(s.scored, 1);
	assert_int_equal(incident_of(fx, b), incident_of(fx, a));
	assert_int_equal(incident_size(fx, incident_of(fx, a)), 2);
	m = link_of(fx, b);
	assert_string_equal(m.method, "score");
	assert_true(m.has_score);
	assert_true(m.score >= fx->cfg.dedup.threshold);
	/* the explanation names the folded-numeral address match */
	assert_non_null(strstr(m.comparisons, "\"field\":\"place\",\"level\":\"same_spot\""));
	assert_non_null(strstr(m.comparisons, "\"field\":\"text\""));
}

static void test_same_road_other_number_stays_apart(void **state)
{
	struct fx *fx = *state;
	struct spec other = site_b;
	int64_t a, b;

	other.id = "L2";
	other.address = "恩宁路120号";
	/* the same words, so that MinHash finds the pair: a report with a
	 * house number looks up no other number on its road */
	other.text = "市民来电反映:恩宁路120号附近工地连续多晚施工至凌晨两点,噪音很大,影响休息,请相关部门处理。";
	a = put(fx, &site_a, NULL);
	b = put(fx, &other, NULL);
	link_run(fx, (int64_t[]){ a, b }, 2);
	assert_int_not_equal(incident_of(fx, a), incident_of(fx, b));
	/* the best candidate is still recorded, to explain why not */
	assert_string_equal(link_of(fx, b).method, "new");
	assert_non_null(strstr(link_of(fx, b).comparisons, "other_number"));
}

/* A city-management case that names hotline order H1 by link_type: the
 * hotline's source type or the source's configured name (both are seen). */
static struct spec city_case_naming_h1(int64_t at, const char *link_type)
{
	struct spec cm = {
		"citymgmt", "city_mgmt", "CG1", at, NULL, "路面坑洼", "多宝路社区",
		"宝源路3号", "municipal_facilities", NULL, "ref", NULL, "H1",
		SQ_STATUS_OPEN,
	};

	cm.link_type = link_type;
	return cm;
}

static void declared_target_first(struct fx *fx, const char *link_type)
{
	struct spec cm = city_case_naming_h1(T0 + 30 * HOUR, link_type);
	int64_t a, c;

	a = put_alone(fx, &site_a);
	c = put_alone(fx, &cm);
	/* nothing alike but the declared link, which decides */
	assert_int_equal(incident_of(fx, c), incident_of(fx, a));
	assert_string_equal(link_of(fx, c).method, "declared");
}

static void test_declared_link_target_first(void **state)
{
	declared_target_first(*state, "hotline12345");
}

static void test_declared_link_target_first_by_source_name(void **state)
{
	declared_target_first(*state, "hotline");
}

static void declared_target_later(struct fx *fx, const char *link_type)
{
	struct spec cm = city_case_naming_h1(T0 - 2 * HOUR, link_type);
	int64_t a, c, w;
	struct dedup_stats s;

	/* The declaring case arrives first and starts its own incident ... */
	c = put_alone(fx, &cm);
	w = put_alone(fx, &water);
	/* ... and the hotline order it names arrives in a later run. */
	a = put(fx, &site_a, NULL);
	s = link_run(fx, &a, 1);
	assert_int_equal(s.declared, 1);
	assert_int_equal(incident_of(fx, a), incident_of(fx, c));
	assert_int_not_equal(incident_of(fx, a), incident_of(fx, w));
	assert_string_equal(link_of(fx, a).method, "declared");
}

static void test_declared_link_target_later(void **state)
{
	declared_target_later(*state, "hotline12345");
}

static void test_declared_link_target_later_by_source_name(void **state)
{
	declared_target_later(*state, "hotline");
}

/* H3: says it repeats H2 (water), but its text and place are H1's (site_a). */
static struct spec bridging_report(void)
{
	struct spec h3 = site_a;

	h3.id = "H3";
	h3.at = T0 + 50 * HOUR;
	h3.link_kind = "related";
	h3.link_type = "hotline12345";
	h3.link_id = "H2";
	return h3;
}

static void test_declared_link_merges_incidents(void **state)
{
	struct fx *fx = *state;
	struct spec h2 = water, h3 = bridging_report(), h4 = water;
	int64_t a, b, c, d, keep;
	struct dedup_stats s;

	/* H3 says it repeats H2, but its text and place are H1's ... */
	a = put_alone(fx, &site_a);
	b = put_alone(fx, &h2);
	assert_int_not_equal(incident_of(fx, a), incident_of(fx, b));
	/* ... so it joins H2 by declaration and bridges to H1's incident. */
	c = put(fx, &h3, NULL);
	s = link_run(fx, &c, 1);
	assert_int_equal(s.declared, 1);
	assert_int_equal(s.merged, 1);
	keep = incident_of(fx, a);
	assert_int_equal(incident_of(fx, b), keep);
	assert_int_equal(incident_of(fx, c), keep);
	assert_int_equal(incident_size(fx, keep), 3);

	/* An update that starts declaring a link joins two incidents too. */
	h4.id = "H4";
	h4.at = T0 + 90 * HOUR;
	h4.text = "宝华路社区的下水道堵塞";
	h4.community = "宝华路社区";
	h4.address = "宝华路3号";
	h4.category = "municipal_facilities";
	h4.phone = NULL;
	d = put_alone(fx, &h4);
	assert_int_not_equal(incident_of(fx, d), keep);
	h4.link_kind = "related";
	h4.link_type = "hotline12345";
	h4.link_id = "H1";
	put(fx, &h4, NULL);
	s = link_run(fx, &d, 1);
	assert_int_equal(s.refreshed, 1);
	assert_int_equal(s.merged, 1);
	assert_int_equal(incident_of(fx, d), keep);
	assert_int_equal(incident_size(fx, keep), 4);
}

/*
 * Within one run, a member of the incident a merge removed is found again
 * as a candidate: the later complaint must join the incident that was
 * kept, not the one that is gone (the context's cached members move too).
 */
static void test_merge_then_member_found_again(void **state)
{
	struct fx *fx = *state;
	struct spec h3 = bridging_report(), h5 = water;
	int64_t a, b, c, e, keep;
	struct dedup_stats s;

	h5.id = "H5";
	h5.at = T0 + 52 * HOUR;
	h5.phone = "13700002222";
	a = put(fx, &site_a, NULL);
	b = put(fx, &water, NULL);
	link_run(fx, (int64_t[]){ a, b }, 2);
	assert_int_not_equal(incident_of(fx, a), incident_of(fx, b));
	c = put(fx, &h3, NULL);
	e = put(fx, &h5, NULL);
	/* one run: H3 bridges H1's and H2's incidents, then H5 matches H2 */
	s = link_run(fx, (int64_t[]){ c, e }, 2);
	assert_int_equal(s.merged, 1);
	keep = incident_of(fx, a);
	assert_int_equal(incident_of(fx, b), keep);
	assert_int_equal(incident_of(fx, e), keep);
	assert_string_equal(link_of(fx, e).method, "score");
	assert_int_equal(incident_size(fx, keep), 4);
}

static void test_update_stays_in_incident(void **state)
{
	struct fx *fx = *state;
	struct spec later = site_a;
	enum store_change change;
	int64_t a, b, inc, again;
	struct dedup_stats s;

	a = put(fx, &site_a, NULL);
	b = put(fx, &site_b, NULL);
	link_run(fx, (int64_t[]){ a, b }, 2);
	inc = incident_of(fx, a);
	assert_int_equal(incident_of(fx, b), inc);
	/* a status change, and even a rewritten text, keep the incident */
	later.status = SQ_STATUS_RESOLVED;
	later.text = "已处理完毕";
	again = put(fx, &later, &change);
	assert_int_equal(change, STORE_UPDATED);
	assert_int_equal(again, a);
	s = link_run(fx, &a, 1);
	assert_int_equal(s.refreshed, 1);
	assert_int_equal(s.started + s.scored + s.declared, 0);
	assert_int_equal(incident_of(fx, a), inc);
	assert_int_equal(incident_size(fx, inc), 2);
}

static void test_split_survives_later_runs(void **state)
{
	struct fx *fx = *state;
	struct spec third = site_b, h = site_a;
	struct sq_error err = { 0 };
	int64_t a, b, c, old, alone, none;

	a = put(fx, &site_a, NULL);
	b = put(fx, &site_b, NULL);
	link_run(fx, (int64_t[]){ a, b }, 2);
	old = incident_of(fx, a);
	assert_int_equal(dedup_split(fx->st, b, T0, "not the same site", &alone, &err), SQ_OK);
	assert_int_equal(incident_of(fx, b), alone);
	assert_int_not_equal(alone, old);
	assert_int_equal(incident_size(fx, old), 1);
	assert_string_equal(link_of(fx, b).method, "split");
	/* splitting what is alone is refused */
	assert_int_equal(dedup_split(fx->st, b, T0, NULL, &none, &err), SQ_EUSAGE);
	assert_int_equal(none, 0);

	/* A later run: b's update declares a link to a; the analyst wins. */
	third.link_kind = "related";
	third.link_type = "hotline12345";
	third.link_id = "H1";
	put(fx, &third, NULL);
	link_run(fx, &b, 1);
	assert_int_equal(incident_of(fx, b), alone);
	/* A new complaint may join either, but never makes them one again. */
	h.id = "H9";
	h.at = T0 + HOUR;
	h.link_kind = "related";
	h.link_type = "deputy_liaison";
	h.link_id = "L1";
	c = put_alone(fx, &h);
	assert_int_equal(incident_of(fx, c), alone);
	assert_int_equal(incident_of(fx, a), old);
	assert_int_not_equal(incident_of(fx, a), incident_of(fx, b));
}

static void test_merge_survives_later_runs(void **state)
{
	struct fx *fx = *state;
	struct spec more = water;
	struct sq_error err = { 0 };
	int64_t a, w, m, ia, iw;

	a = put(fx, &site_a, NULL);
	w = put(fx, &water, NULL);
	link_run(fx, (int64_t[]){ a, w }, 2);
	ia = incident_of(fx, a);
	iw = incident_of(fx, w);
	assert_int_not_equal(ia, iw);
	assert_int_equal(dedup_merge(fx->st, ia, ia, T0, NULL, &err), SQ_EUSAGE);
	assert_int_equal(dedup_merge(fx->st, ia, iw, T0, "one landlord", &err), SQ_OK);
	assert_int_equal(incident_of(fx, w), ia);
	assert_int_equal(incident_size(fx, ia), 2);
	assert_int_equal(incident_size(fx, iw), -1);   /* gone */
	/* later runs: updates and new members leave the merge alone */
	more.id = "H7";
	more.at = T0 + 3 * HOUR;
	m = put(fx, &more, NULL);
	put(fx, &water, NULL);
	link_run(fx, (int64_t[]){ m, w }, 2);
	assert_int_equal(incident_of(fx, a), ia);
	assert_int_equal(incident_of(fx, w), ia);
	assert_int_equal(incident_of(fx, m), ia);
	assert_int_equal(incident_size(fx, ia), 3);
}

static void test_merge_forgets_split(void **state)
{
	struct fx *fx = *state;
	struct sq_error err = { 0 };
	struct spec again = site_b;
	int64_t a, b, alone, old;
	int apart = 0;

	a = put(fx, &site_a, NULL);
	b = put(fx, &site_b, NULL);
	link_run(fx, (int64_t[]){ a, b }, 2);
	old = incident_of(fx, a);
	assert_int_equal(dedup_split(fx->st, b, T0, NULL, &alone, &err), SQ_OK);
	assert_int_equal(store_apart_check(fx->st, old, alone, &apart, &err), SQ_OK);
	assert_true(apart);
	/* The analyst changes their mind: the later merge wins. */
	assert_int_equal(dedup_merge(fx->st, alone, old, T0, NULL, &err), SQ_OK);
	assert_int_equal(incident_of(fx, a), alone);
	assert_int_equal(store_apart_check(fx->st, alone, alone, &apart, &err), SQ_OK);
	assert_false(apart);
	again.link_kind = "related";
	again.link_type = "hotline12345";
	again.link_id = "H1";
	put(fx, &again, NULL);
	link_run(fx, &b, 1);
	assert_int_equal(incident_of(fx, b), incident_of(fx, a));
}

static void test_sweeps_unlinked(void **state)
{
	struct fx *fx = *state;
	int64_t a, b, w;
	struct dedup_stats s;

	/* A run that died after the commit never linked these. */
	a = put(fx, &site_a, NULL);
	b = put(fx, &site_b, NULL);
	w = put(fx, &water, NULL);
	s = link_run(fx, NULL, 0);
	assert_int_equal(s.started + s.scored, 3);
	assert_int_equal(incident_of(fx, a), incident_of(fx, b));
	assert_int_not_equal(incident_of(fx, w), 0);
	/* unknown ids are ignored */
	s = link_run(fx, (int64_t[]){ 99999 }, 1);
	assert_int_equal(s.started + s.scored + s.refreshed, 0);
}

static void test_text_only_candidates(void **state)
{
	struct fx *fx = *state;
	struct spec x = site_a, y = site_a;
	int64_t a, b;

	/* No place, no phone, no category: only the MinHash bands find them. */
	x.id = "X1";
	x.community = x.address = x.category = x.phone = NULL;
	x.title = NULL;
	x.text = "金花小学门口每天早上七点有流动摊贩占道经营炸油条,油烟很大,学生上学不安全";
	y = x;
	y.id = "X2";
	y.at = T0 + 3 * HOUR;
	y.text = "金花小学门口每天早上七点有流动摊贩占道经营炸油条,油烟很大,孩子上学很不安全";
	a = put_alone(fx, &x);
	b = put_alone(fx, &y);
	assert_int_equal(incident_of(fx, a), incident_of(fx, b));
}

/* ---- a candidate's idf across a growing df cache ------------------------ */

/* The text cosine of one pair (a being linked, b the candidate), from the
 * trace: the score itself only sees the cosine's level. */
struct pair_cosine {
	int64_t a, b;
	double cosine;
	int seen;
};

static void pair_trace(void *ctx, const struct dedup_doc *a, const struct dedup_doc *b,
		       const struct dedup_comparison *c, size_t n, double score)
{
	struct pair_cosine *p = ctx;
	size_t i;

	(void)score;
	if (a->id != p->a || b->id != p->b)
		return;
	for (i = 0; i < n; i++)
		if (!strcmp(dedup_level_field(c[i].level), "text") && c[i].has_value) {
			p->cosine = c[i].value;
			p->seen++;
		}
}

/* One run linking ids, its pairs traced into p. */
static void link_run_traced(struct fx *fx, const int64_t *ids, size_t n, struct pair_cosine *p)
{
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };

	if (dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err))
		fail_msg("dedup_new: %s", err.msg);
	dedup_set_trace(dd, pair_trace, p);
	if (dedup_link(dd, ids, n, T0 + 100 * HOUR, &err))
		fail_msg("dedup_link: %s", err.msg);
	dedup_free(dd);
}

#define FILLERS 40
#define FILLER_CHARS 60
#define FILLER_ID 16    /* "F" and any int */

/* Filler i: a text of FILLER_CHARS ideographs no other filler has, so that
 * each brings the df cache ~120 new terms; another community, no category. */
static void filler_spec(int i, char id[FILLER_ID], char text[4 * FILLER_CHARS], struct spec *s)
{
	int k, at = 0;

	snprintf(id, FILLER_ID, "F%d", i);
	for (k = 0; k < FILLER_CHARS; k++) {
		unsigned cp = 0x5000 + (unsigned)(i * FILLER_CHARS + k);

		text[at++] = (char)(0xe0 | cp >> 12);
		text[at++] = (char)(0x80 | (cp >> 6 & 0x3f));
		text[at++] = (char)(0x80 | (cp & 0x3f));
	}
	text[at] = 0;
	*s = water;
	s->id = id;
	s->title = NULL;
	s->text = text;
	s->phone = NULL;
	s->category = NULL;
	s->community = "多宝社区";
	s->address = NULL;
	s->at = T0 + 6 * HOUR;
}

/*
 * Store site_a, a first report like it, the fillers and a last report like
 * it; link site_a alone, then the rest in one run (one_run), or all but the
 * last report and then that one in a run of its own.  The text cosine of
 * (last report, site_a).
 */
static double late_pair_cosine(struct fx *fx, int one_run)
{
	static char ids[FILLERS][FILLER_ID], texts[FILLERS][4 * FILLER_CHARS];
	struct spec early = site_b, late = site_b, filler;
	struct pair_cosine p = { 0 };
	int64_t all[FILLERS + 2], a;
	size_t n = 0;
	int i;

	early.id = "L1";
	late.id = "L2";
	late.at = T0 + 7 * HOUR;
	late.text = "恩宁路八十八号的工地晚上还在施工,吵得睡不着,请尽快处理。";
	a = put_alone(fx, &site_a);
	all[n++] = put(fx, &early, NULL);
	for (i = 0; i < FILLERS; i++) {
		filler_spec(i, ids[i], texts[i], &filler);
		all[n++] = put(fx, &filler, NULL);
	}
	if (!one_run)
		link_run(fx, all, n);   /* a run links every unlinked complaint */
	p.a = put(fx, &late, NULL);
	p.b = a;
	if (one_run)
		all[n++] = p.a;
	else
		n = 0;
	link_run_traced(fx, one_run ? all : &p.a, one_run ? n : 1, &p);
	assert_int_equal(p.seen, 1);
	return p.cosine;
}

/*
 * A candidate keeps where its terms' counts are in the df cache; the
 * fillers grow the cache between its two pairs, moving every term.  The
 * later pair must see the cosine a fresh run sees (to the last bit: the
 * same counts, read from the store).
 */
static void test_candidate_idf_across_cache_growth(void **state)
{
	struct fx *fx = *state;
	void *other = NULL;
	double one_run, fresh;

	one_run = late_pair_cosine(fx, 1);
	assert_int_equal(setup(&other), 0);
	fresh = late_pair_cosine(other, 0);
	teardown(&other);
	assert_true(one_run > 0 && one_run < 1);
	assert_true(one_run == fresh);
}

/*
 * Store site_a, water, site_b and a later report of the site; link them
 * all in one run (one_run: each report is then compared with the docs the
 * run linked before it, as the run kept them), or each in a run of its own
 * (each compared with docs read back from the store).  m[0], m[1]: the
 * links of site_b and the later report.
 */
static void site_links(struct fx *fx, int one_run, struct method_ctx m[2])
{
	static const char yaml[] =
		"categories:\n"
		"  construction: 施工\n"
		"  water_power_gas: 水电气\n"
		"problems:\n"
		"  night_works: [施工, 工地]\n"
		"  supply: [停水, 供水]\n";
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };
	struct spec late = site_b;
	int64_t ids[4];
	size_t i;

	if (taxonomy_load_buffer("t.yaml", yaml, sizeof(yaml) - 1, &tax, &err))
		fail_msg("taxonomy: %s", err.msg);

	late.id = "L2";
	late.at = T0 + 7 * HOUR;
	late.text = "恩宁路八十八号的工地晚上还在施工,吵得睡不着,请尽快处理。";
	ids[0] = put(fx, &site_a, NULL);
	ids[1] = put(fx, &water, NULL);
	ids[2] = put(fx, &site_b, NULL);
	ids[3] = put(fx, &late, NULL);
	if (one_run)
		link_run_tax(fx, ids, 4, tax);
	for (i = 0; !one_run && i < 4; i++)
		link_run_tax(fx, &ids[i], 1, tax);
	taxonomy_free(tax);
	m[0] = link_of(fx, ids[2]);
	m[1] = link_of(fx, ids[3]);
	assert_int_equal(incident_of(fx, ids[2]), incident_of(fx, ids[0]));
	assert_int_equal(incident_of(fx, ids[3]), incident_of(fx, ids[0]));
}

/*
 * A run keeps each complaint it linked as a cached candidate instead of
 * reading it back: the later reports' scores and comparisons must be
 * those of runs that read every candidate from the store, to the bit.
 */
static void test_candidate_linked_in_the_same_run(void **state)
{
	struct fx *fx = *state;
	void *other = NULL;
	struct method_ctx one[2], apart[2];
	int i;

	site_links(fx, 1, one);
	assert_int_equal(setup(&other), 0);
	site_links(other, 0, apart);
	teardown(&other);
	for (i = 0; i < 2; i++) {
		assert_string_equal(one[i].method, "score");
		assert_string_equal(one[i].method, apart[i].method);
		assert_true(one[i].has_score && apart[i].has_score);
		assert_true(one[i].score == apart[i].score);
		assert_string_equal(one[i].comparisons, apart[i].comparisons);
		assert_non_null(strstr(one[i].comparisons, "\"field\":\"text\""));
		assert_non_null(strstr(one[i].comparisons,
				       "\"field\":\"problem\",\"level\":\"same\""));
	}
}

/*
 * Two members of one incident tie for the best pair: A (older) by its
 * text and the day, B (its declared repeat) by the hour and the phone with
 * a text that shares nothing.  B's score without the text is the higher,
 * so B is scored first; the tie must still go to A, the older complaint,
 * as it did when candidates were scored in id order.
 */
static void test_tie_in_one_incident_goes_to_the_older(void **state)
{
	struct fx *fx = *state;
	struct spec a = site_a, b = site_a, d = site_a;
	struct method_ctx m;
	int64_t ia, ib, id;

	a.phone = NULL;
	b.id = "H5";
	b.at = T0 + 20 * HOUR;
	b.title = NULL;
	b.text = "请派人来看看。";
	b.phone = "13512340000";
	b.link_kind = "ref";
	b.link_type = "hotline12345";
	b.link_id = "H1";
	d.id = "H6";
	d.at = T0 + 20 * HOUR + HOUR / 2;
	d.phone = "13512340000";
	ia = put_alone(fx, &a);
	ib = put_alone(fx, &b);
	assert_int_equal(incident_of(fx, ia), incident_of(fx, ib));
	assert_string_equal(link_of(fx, ib).method, "declared");
	id = put_alone(fx, &d);
	m = link_of(fx, id);
	assert_string_equal(m.method, "score");
	assert_int_equal(incident_of(fx, id), incident_of(fx, ia));
	/* A's pair: received the day before, no phone to compare */
	assert_non_null(strstr(m.comparisons, "\"field\":\"time\",\"level\":\"day\""));
	assert_null(strstr(m.comparisons, "\"field\":\"contact\""));
}

/* A report of the road n, with a house number or without (num NULL): no
 * text, community, contact or category, so only road keys can find it. */
/* ---- linking in the caller's transaction -------------------------------- */

/* One number from the store file, through a connection of its own. */
static int64_t sql_int(struct fx *fx, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* A placer (store_placer) linking with a dedup context at a time. */
struct placer_ctx {
	struct sq_dedup *dd;
	int64_t now;
};

static sq_err place_cb(void *ctx, const struct sq_record *r, void *prep, int64_t *incident_id,
		       struct sq_error *err)
{
	struct placer_ctx *p = ctx;

	return dedup_place(p->dd, r, prep, p->now, incident_id, err);
}

static sq_err placed_cb(void *ctx, int64_t complaint_id, struct sq_error *err)
{
	struct placer_ctx *p = ctx;

	return dedup_placed(p->dd, complaint_id, err);
}

/* Store one complaint (no phone) and link it, inside the open transaction:
 * placed as it is stored when fx->placed, else after. */
static int64_t put_tx(struct fx *fx, struct sq_dedup *dd, const struct spec *s, int64_t now)
{
	struct placer_ctx pc = { dd, now };
	struct store_placer placer = { place_cb, placed_cb, &pc };
	struct sq_error err = { 0 };
	struct sq_record r;
	enum store_change ch;
	int64_t id = 0;

	spec_record(fx, s, &r);
	if (store_put_placed(fx->st, &r, NULL, now, fx->placed ? &placer : NULL, &ch, &id, &err))
		fail_msg("put: %s", err.msg);
	record_release(&r);
	if (dedup_link_tx(dd, fx->placed ? NULL : &id, fx->placed ? 0 : 1, now, &err))
		fail_msg("dedup_link_tx: %s", err.msg);
	return id;
}

/* Store and link one complaint in one transaction, as poll does: now is
 * the run's clock; rollback: undo it all instead of committing. */
static int64_t put_linked(struct fx *fx, struct sq_dedup *dd, const struct spec *s,
			  int64_t now, int rollback)
{
	struct sq_error err = { 0 };
	int64_t id;

	assert_int_equal(store_begin(fx->st, &err), SQ_OK);
	id = put_tx(fx, dd, s, now);
	if (rollback)
		store_rollback(fx->st);
	else
		assert_int_equal(store_commit(fx->st, &err), SQ_OK);
	return id;
}

/* Linked in the storing transaction: never committed without an incident;
 * a rolled-back page leaves nothing, and the context forgets what it cached
 * (the same complaint linked again starts its incident, counted once). */
static void test_link_in_transaction(void **state)
{
	struct fx *fx = *state;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	int64_t a, b;

	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	a = put_linked(fx, dd, &site_a, T0 + 100 * HOUR, 1);
	assert_true(a > 0);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM complaints"), 0);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM incidents"), 0);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM dedup_sigs"), 0);
	a = put_linked(fx, dd, &site_a, T0 + 100 * HOUR, 0);
	b = put_linked(fx, dd, &site_b, T0 + 100 * HOUR, 0);
	assert_int_not_equal(incident_of(fx, a), 0);
	assert_int_equal(incident_of(fx, a), incident_of(fx, b));
	assert_int_equal(incident_size(fx, incident_of(fx, a)), 2);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM complaints WHERE incident_id IS NULL"),
			 0);
	/* the document count saw each text once, not the rolled-back one */
	assert_int_equal(sql_int(fx, "SELECT value FROM dedup_stats WHERE name = 'docs'"), 2);
	dedup_free(dd);
}

/*
 * After a rollback the context must not trust what it cached (it forgets
 * it: store_rollbacks): row ids and incident ids are given out again.  Here
 * another process reuses both: its water cut at site_a's address gets
 * site_a's row id and incident id, and a context that remembered site_a
 * under that id would put site_b into the water cut's incident.
 */
static void test_link_after_rollback(void **state)
{
	struct fx *fx = *state;
	struct sq_dedup *dd = NULL, *other = NULL;
	struct sq_error err = { 0 };
	struct spec w = water;
	int64_t a, b, x, now = T0 + 100 * HOUR;

	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &other, &err), SQ_OK);
	/* a page of site_a and site_b, rolled back: linking b compared (and
	 * cached) a under a's row id, in a's incident */
	assert_int_equal(store_begin(fx->st, &err), SQ_OK);
	a = put_tx(fx, dd, &site_a, now);
	put_tx(fx, dd, &site_b, now);
	x = incident_of(fx, a);
	store_rollback(fx->st);
	/* the other process's water cut, linked, at the same address */
	w.community = site_a.community;
	w.address = site_a.address;
	assert_int_equal(put_linked(fx, other, &w, now, 0), a);
	assert_int_equal(incident_of(fx, a), x);
	b = put_linked(fx, dd, &site_b, now, 0);
	assert_int_not_equal(incident_of(fx, b), incident_of(fx, a));
	assert_int_equal(incident_size(fx, incident_of(fx, b)), 1);
	assert_string_equal(link_of(fx, b).method, "new");
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM complaints c LEFT JOIN incidents i"
				 " ON i.id = c.incident_id WHERE i.id IS NULL"), 0);
	dedup_free(other);
	dedup_free(dd);
}

/* The same two with each complaint placed as it is stored (dedup_place). */
static void test_placed_in_transaction(void **state)
{
	((struct fx *)*state)->placed = 1;
	test_link_in_transaction(state);
}

static void test_placed_after_rollback(void **state)
{
	((struct fx *)*state)->placed = 1;
	test_link_after_rollback(state);
}

/* ---- the index horizon -------------------------------------------------- */

#define DAY (24 * HOUR)

static int64_t keyed(struct fx *fx, int64_t id)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce((SELECT length(sig) / 8 FROM dedup_sigs WHERE complaint_id = %"
		 PRId64 "), 0)", id);
	return sql_int(fx, sql);
}

/* A resident of site_a's road reporting on day `day`, at house number num. */
static struct spec daily(char *id, size_t idsize, char *addr, size_t addrsize, int day, int num)
{
	struct spec s = site_a;

	snprintf(id, idsize, "D%d-%d", day, num);
	snprintf(addr, addrsize, "恩宁路%d号", num);
	s.id = id;
	s.address = addr;
	s.phone = NULL;
	s.at = T0 + (int64_t)day * DAY;
	return s;
}

/*
 * Keys and bands of complaints received more than index_keep (here 20d,
 * window 7d) before the newest are removed as traffic moves on; newer ones
 * keep theirs; links within the window are those a store that keeps
 * everything makes.  A late arrival (received before the horizon) still
 * gets its own keys, so a backfill of an old period links within itself;
 * an update of a pruned complaint does not bring its keys back.
 */
static void test_index_horizon(void **state)
{
	struct fx *fx = *state;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	char id[32], addr[64], id2[32];
	int64_t ids[60], late, late2, now = T0 + 60 * DAY;
	struct spec s, old;
	int day;

	fx->cfg.dedup.index_keep_ms = 20LL * DAY * 1000;
	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	for (day = 0; day < 60; day++) {
		/* two reports a day at one number: each pair is one incident */
		s = daily(id, sizeof(id), addr, sizeof(addr), day, 10 + day);
		ids[day] = put_linked(fx, dd, &s, now, 0);
		snprintf(id2, sizeof(id2), "E%d", day);
		s.id = id2;
		s.at += HOUR;
		assert_int_equal(incident_of(fx, put_linked(fx, dd, &s, now, 0)),
				 incident_of(fx, ids[day]));
	}
	/* newest: day 59 (+1 h); horizon: day 39 (+1 h) */
	for (day = 0; day < 39; day++)
		assert_int_equal(keyed(fx, ids[day]), 0);
	for (day = 40; day < 60; day++)
		assert_true(keyed(fx, ids[day]) > 0);
	assert_int_equal(sql_int(fx, "SELECT count(DISTINCT incident_id) FROM complaints"), 60);

	/* a late pair from day 5: keyed, and linked to each other */
	s = daily(id, sizeof(id), addr, sizeof(addr), 5, 500);
	late = put_linked(fx, dd, &s, now, 0);
	assert_true(keyed(fx, late) > 0);
	s.id = "late-2";
	s.at += HOUR;
	late2 = put_linked(fx, dd, &s, now, 0);
	assert_int_equal(incident_of(fx, late2), incident_of(fx, late));
	assert_int_not_equal(incident_of(fx, late), incident_of(fx, ids[5]));

	/* an update of day 1's report: same incident, no keys again */
	old = daily(id, sizeof(id), addr, sizeof(addr), 1, 11);
	old.text = "恩宁路11号附近工地连续多晚施工至凌晨三点,噪音很大,已经一周了。";
	assert_int_equal(put_linked(fx, dd, &old, now, 0), ids[1]);
	assert_int_equal(keyed(fx, ids[1]), 0);
	assert_int_equal(sql_int(fx, "SELECT count(*) FROM complaints WHERE incident_id IS NULL"),
			 0);
	dedup_free(dd);
}

/* A mistyped future date does not empty the index: the horizon counts
 * from the run's clock when the newest complaint lies after it; and
 * index_keep 0 keeps everything. */
/* The horizon with each complaint placed as it is stored. */
static void test_placed_index_horizon(void **state)
{
	((struct fx *)*state)->placed = 1;
	test_index_horizon(state);
}

static void test_index_horizon_future_and_off(void **state)
{
	struct fx *fx = *state;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	char id[32], addr[64];
	struct spec s;
	int64_t a, b;

	fx->cfg.dedup.index_keep_ms = 20LL * DAY * 1000;
	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	s = daily(id, sizeof(id), addr, sizeof(addr), 0, 10);
	a = put_linked(fx, dd, &s, T0 + DAY, 0);
	s = daily(id, sizeof(id), addr, sizeof(addr), 3000, 20);   /* 2032 */
	b = put_linked(fx, dd, &s, T0 + DAY, 0);
	assert_true(keyed(fx, a) > 0);
	assert_true(keyed(fx, b) > 0);
	dedup_free(dd);

	fx->cfg.dedup.index_keep_ms = 0;
	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	s = daily(id, sizeof(id), addr, sizeof(addr), 100, 30);
	put_linked(fx, dd, &s, T0 + 200 * DAY, 0);
	assert_true(keyed(fx, a) > 0);
	dedup_free(dd);
}

/*
 * Reports that only their place can find (no text, contact or category),
 * an hour apart, each linked in a run of its own; want: how many linked
 * reports it is compared with (-1: not checked).
 */
struct placed_report {
	const char *id, *community, *address;
	int want;
};

static void link_placed(struct fx *fx, const struct placed_report *r, size_t n)
{
	struct dedup_stats got;
	size_t i;
	int64_t id;

	for (i = 0; i < n; i++) {
		struct spec s = site_a;

		s.id = r[i].id;
		s.at = T0 + (int64_t)i * HOUR;
		s.title = s.text = s.category = s.phone = NULL;
		s.community = r[i].community;
		s.address = r[i].address;
		id = put(fx, &s, NULL);
		got = link_run(fx, &id, 1);
		if (r[i].want >= 0 && got.candidates != (int64_t)r[i].want)
			fail_msg("%s: %lld candidates, want %d", r[i].id, (long long)got.candidates,
				 r[i].want);
	}
}

/* Different house numbers on one road never link (place other_number), so
 * a report with a number is compared with the reports on its road without
 * one, not with every report on the road; one without a number still is. */
static void test_road_candidates(void **state)
{
	static const struct placed_report road[] = {
		{ "R1", NULL, "恩宁路88号", -1 },
		{ "R2", NULL, "恩宁路120号", -1 },
		{ "R3", NULL, "恩宁路", 2 },      /* R1, R2 */
		{ "R4", NULL, "恩宁路200号", 1 }, /* R3 */
		{ "R5", NULL, "恩宁路88号", 2 },  /* R1, R3 */
	};

	link_placed(*state, road, sizeof(road) / sizeof(road[0]));
}

/* Reports on two roads compare as place other_road, which the other fields
 * cannot outweigh, so a report on a road is compared with the reports of
 * its community that name no road, not with every report of it; one
 * without a road still is. */
static void test_community_candidates(void **state)
{
	static const struct placed_report community[] = {
		{ "C1", "多宝社区", "恩宁路88号", -1 },
		{ "C2", "多宝社区", "宝华路3号", -1 },
		{ "C3", "多宝社区", NULL, 2 },         /* C1, C2 */
		{ "C4", "多宝社区", "多宝路5号", 1 },  /* C3 */
		{ "C5", "多宝社区", NULL, 4 },         /* C1-C4 */
	};

	link_placed(*state, community, sizeof(community) / sizeof(community[0]));
}

static void test_contradicted_incident(void **state)
{
	struct fx *fx = *state;
	struct spec a = { "hotline", "hotline12345", "E1", T0, "华景苑电梯故障",
			  "来电人反映:华景苑3栋的电梯坏了三天,物业一直不修,老人上下楼困难。",
			  "多宝路社区", NULL, "property", "13800000001", NULL, NULL, NULL,
			  SQ_STATUS_OPEN };
	struct spec b = a, c = a, d = a;
	int64_t ia, ib, ic, id;

	/* b names the estate only, c another building: c matches b well,
	 * but contradicts a, and a and b are one incident (the lift of
	 * building 3), so c is not about it */
	b.id = "E2";
	b.at = T0 + HOUR;
	b.phone = "13800000002";
	b.text = "市民反映华景苑电梯坏了三天没人修,物业不管,老人上下楼困难。";
	c.id = "E3";
	c.at = T0 + 2 * HOUR;
	c.phone = "13800000003";
	c.text = "来电人称华景苑5栋电梯坏了三天,物业不修,老人上下楼困难。";
	d.id = "E4";
	d.at = T0 + 3 * HOUR;
	d.phone = "13800000004";
	d.text = "华景苑三栋电梯还是坏的,坏了三天了,物业不修,老人上下楼困难。";
	ia = put_alone(fx, &a);
	ib = put_alone(fx, &b);
	assert_int_equal(incident_of(fx, ib), incident_of(fx, ia));
	ic = put_alone(fx, &c);
	assert_int_not_equal(incident_of(fx, ic), incident_of(fx, ia));
	/* and it says why: the member of another building */
	assert_non_null(strstr(link_of(fx, ic).comparisons, "other_building"));
	/* building 3 again joins a's incident, not c's */
	id = put_alone(fx, &d);
	assert_int_equal(incident_of(fx, id), incident_of(fx, ia));
}

/*
 * One estate, one category, another problem: the guards' manners are not
 * the broken lift, however well place and category agree; another report
 * of the lift is.  Each in a run of its own, so the earlier complaints'
 * problems come from the store.
 */
static void test_same_estate_other_problem(void **state)
{
	static const char yaml[] =
		"categories:\n"
		"  property: 物业管理\n"
		"problems:\n"
		"  lift: [电梯, 升降梯]\n"
		"  guard: [保安, 门卫]\n";
	static const struct spec lift = {
		"hotline", "hotline12345", "P1", T0, NULL,
		"市民来电反映:富华大厦电梯坏了一周没人修,请相关部门处理。",
		"西华路社区", "西华二巷71号富华大厦", "property", "13811112222", NULL, NULL, NULL,
		SQ_STATUS_OPEN,
	};
	struct spec guard = lift, again = lift;
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };
	struct fx *fx = *state;
	int64_t a, b, c;

	guard.id = "P2";
	guard.at = T0 + 3 * HOUR;
	guard.text = "市民来电反映:富华大厦物业保安态度差,请相关部门处理。";
	guard.phone = "13833334444";
	again.id = "P3";
	again.at = T0 + 5 * HOUR;
	again.text = "来电人称富华大厦的升降梯又停了,老人上不了楼。";
	again.phone = "13855556666";
	if (taxonomy_load_buffer("t.yaml", yaml, sizeof(yaml) - 1, &tax, &err))
		fail_msg("taxonomy: %s", err.msg);
	a = put(fx, &lift, NULL);
	link_run_tax(fx, &a, 1, tax);
	b = put(fx, &guard, NULL);
	link_run_tax(fx, &b, 1, tax);
	assert_int_not_equal(incident_of(fx, b), incident_of(fx, a));
	assert_string_equal(link_of(fx, b).method, "new");
	assert_non_null(strstr(link_of(fx, b).comparisons,
			       "\"field\":\"problem\",\"level\":\"other\""));
	c = put(fx, &again, NULL);
	link_run_tax(fx, &c, 1, tax);
	assert_int_equal(incident_of(fx, c), incident_of(fx, a));
	assert_non_null(strstr(link_of(fx, c).comparisons,
			       "\"field\":\"problem\",\"level\":\"same\""));
	taxonomy_free(tax);
}

/* The same guard report without problems: place and category link it. */
static void test_same_estate_without_problems(void **state)
{
	static const struct spec lift = {
		"hotline", "hotline12345", "P1", T0, NULL,
		"市民来电反映:富华大厦电梯坏了一周没人修,请相关部门处理。",
		"西华路社区", "西华二巷71号富华大厦", "property", "13811112222", NULL, NULL, NULL,
		SQ_STATUS_OPEN,
	};
	struct spec guard = lift;
	struct fx *fx = *state;
	int64_t a, b;

	guard.id = "P2";
	guard.at = T0 + 3 * HOUR;
	guard.text = "市民来电反映:富华大厦物业保安态度差,请相关部门处理。";
	guard.phone = "13833334444";
	a = put_alone(fx, &lift);
	b = put_alone(fx, &guard);
	assert_int_equal(incident_of(fx, b), incident_of(fx, a));
	assert_null(strstr(link_of(fx, b).comparisons, "\"field\":\"problem\""));
}

static void test_naive_mode(void **state)
{
	struct fx *fx = *state;
	struct spec again = water, late = water, other = site_b;
	struct sq_error err = { 0 };
	struct sq_dedup *dd = NULL;
	int64_t w, w2, w3, o;

	free(fx->cfg.dedup.mode);
	fx->cfg.dedup.mode = strdup("naive");
	again.id = "N2";
	again.at = water.at + 20 * HOUR;
	again.text = "完全不同的内容";
	late.id = "N3";
	late.at = water.at + 50 * HOUR;
	other.phone = NULL;
	w = put(fx, &water, NULL);
	w2 = put(fx, &again, NULL);
	w3 = put(fx, &late, NULL);
	o = put(fx, &other, NULL);
	link_run(fx, (int64_t[]){ w, w2, w3, o }, 4);
	/* same phone within 24 h links whatever the text says ... */
	assert_int_equal(incident_of(fx, w2), incident_of(fx, w));
	assert_string_equal(link_of(fx, w2).method, "naive");
	/* ... but not after, and nothing else does */
	assert_int_not_equal(incident_of(fx, w3), incident_of(fx, w));
	assert_int_not_equal(incident_of(fx, o), incident_of(fx, w));
	free(fx->cfg.dedup.mode);
	fx->cfg.dedup.mode = strdup("fuzzy");
	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_ECONFIG);
	assert_null(dd);
}

static void test_resolve(void **state)
{
	struct fx *fx = *state;
	struct sq_error err = { 0 };
	int64_t a, c, i, inc;

	a = put_alone(fx, &site_a);
	inc = incident_of(fx, a);
	assert_int_equal(dedup_resolve(fx->st, "hotline:H1", &c, &i, &err), SQ_OK);
	assert_int_equal(c, a);
	assert_int_equal(i, 0);
	{
		char ref[32];

		snprintf(ref, sizeof(ref), "C%" PRId64, a);
		assert_int_equal(dedup_resolve(fx->st, ref, &c, &i, &err), SQ_OK);
		assert_int_equal(c, a);
		assert_int_equal(dedup_resolve_incident(fx->st, ref, &i, &err), SQ_OK);
		assert_int_equal(i, inc);
		snprintf(ref, sizeof(ref), "I%" PRId64, inc);
		assert_int_equal(dedup_resolve(fx->st, ref, &c, &i, &err), SQ_OK);
		assert_int_equal(i, inc);
		assert_int_equal(c, 0);
	}
	assert_int_equal(dedup_resolve(fx->st, "C99999", &c, &i, &err), SQ_ENOTFOUND);
	assert_int_equal(dedup_resolve(fx->st, "I99999", &c, &i, &err), SQ_ENOTFOUND);
	assert_int_equal(dedup_resolve(fx->st, "hotline:nope", &c, &i, &err), SQ_ENOTFOUND);
	assert_int_equal(dedup_resolve(fx->st, "C12x", &c, &i, &err), SQ_EUSAGE);
	assert_int_equal(dedup_resolve(fx->st, "42", &c, &i, &err), SQ_EUSAGE);
	assert_int_equal(dedup_resolve(fx->st, ":x", &c, &i, &err), SQ_EUSAGE);
	assert_int_equal(dedup_resolve(fx->st, "C99999999999999999999", &c, &i, &err), SQ_EUSAGE);
}

/* ---- placed as stored, as linked after ----------------------------------- */

/* A record as put() makes it (phone standing in for its hash, link). */
static void full_record(struct fx *fx, const struct spec *s, struct sq_record *r)
{
	spec_record(fx, s, r);
	if (s->phone) {
		r->contact_hash = strdup(s->phone);
		r->contact_masked = strdup("138****0000");
	}
	if (s->link_kind)
		assert_int_equal(record_add_link(r, s->link_kind, s->link_type, s->link_id), 0);
}

/* How store_pages links. */
enum linking { LINKED_AFTER, PLACED, PLACED_PREPARED };

/*
 * Store specs[0..n) in transactions by page[] (ascending), each linked
 * in it: stored, then linked as a page; or placed as stored, with what
 * dedup_prepare made ahead or without.
 */
static void store_pages(struct fx *fx, const struct spec *specs, const int *page, size_t n,
			enum linking how)
{
	int placed = how != LINKED_AFTER;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	struct placer_ctx pc = { NULL, T0 + 100 * HOUR };
	struct store_placer placer = { place_cb, placed_cb, &pc };
	int64_t ids[8];
	size_t i = 0, k;

	if (dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err))
		fail_msg("dedup_new: %s", err.msg);
	pc.dd = dd;
	while (i < n) {
		assert_int_equal(store_begin(fx->st, &err), SQ_OK);
		for (k = 0; i < n && (k == 0 || page[i] == page[i - 1]); k++, i++) {
			struct sq_record r;
			enum store_change ch;

			struct dedup_prep *prep = NULL;

			full_record(fx, &specs[i], &r);
			if (how == PLACED_PREPARED && dedup_prepare(dd, &r, &prep, &err))
				fail_msg("prepare %s: %s", specs[i].id, err.msg);
			if (store_put_placed(fx->st, &r, prep, T0, placed ? &placer : NULL, &ch, &ids[k],
					     &err))
				fail_msg("put %s: %s", specs[i].id, err.msg);
			dedup_prep_free(prep);
			record_release(&r);
		}
		if (dedup_link_tx(dd, placed ? NULL : ids, placed ? 0 : k, T0 + 100 * HOUR, &err))
			fail_msg("dedup_link_tx: %s", err.msg);
		assert_int_equal(store_commit(fx->st, &err), SQ_OK);
	}
	dedup_free(dd);
}

/* What linking wrote, one line a row: complaints' incidents, incidents,
 * links and decisions. */
static void link_dump(struct fx *fx, char *out, size_t size)
{
	static const char *const sql[] = {
		"SELECT id, incident_id FROM complaints ORDER BY id",
		"SELECT id, opened_at, last_at, category, community, size, created_at"
		" FROM incidents ORDER BY id",
		"SELECT complaint_id, method, matched_id, printf('%.9f', score), comparisons"
		" FROM dedup_links ORDER BY complaint_id",
		"SELECT kind, complaint_id, incident_id, other_id, note FROM dedup_decisions"
		" ORDER BY id",
	};
	sqlite3 *db = NULL;
	size_t len = 0, q;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (q = 0; q < sizeof(sql) / sizeof(sql[0]); q++) {
		sqlite3_stmt *s = NULL;
		int c;

		assert_int_equal(sqlite3_prepare_v2(db, sql[q], -1, &s, NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(s); c++) {
				const unsigned char *v = sqlite3_column_text(s, c);

				len += (size_t)snprintf(out + len, size - len, "%s|",
							v ? (const char *)v : "-");
				assert_true(len < size);
			}
			len += (size_t)snprintf(out + len, size - len, "\n");
			assert_true(len < size);
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* A complaint repeating site_a's that declares nothing. */
static struct spec site_again(const char *id, int64_t at)
{
	struct spec s = site_a;

	s.id = id;
	s.at = at;
	s.phone = NULL;
	return s;
}

struct placed_case {
	const char *name;
	const char *shows[2];  /* in the dump: the case did what it is for */
	int naive;
	struct spec specs[5];
	int page[5];
	size_t n;
};

/* The cases (k < 0: how many); built here, the specs not being constants. */
static int placed_case(int k, struct placed_case *c)
{
	struct spec cm_later = city_case_naming_h1(T0 - 2 * HOUR, "hotline12345");
	struct spec cm_first = city_case_naming_h1(T0 + 30 * HOUR, "hotline");
	struct spec h3 = bridging_report(), h5 = water, again = water, early = water;

	h5.id = "H5";
	h5.at = T0 + 52 * HOUR;
	h5.phone = "13700002222";
	/* H2 made before H1: the two incidents merged, H2's category wins the
	 * tie between their members, until H3 joins with H1's */
	early.at = T0 - 5 * HOUR;
	again.id = "N2";
	again.at = water.at + 20 * HOUR;
	again.text = "完全不同的内容";
	memset(c, 0, sizeof(*c));
	switch (k) {
	case 0:
		*c = (struct placed_case){ "score, across pages", { "|score|", "" }, 0,
			{ site_a, water, site_b, site_again("H9", T0 + 9 * HOUR) },
			{ 0, 0, 1, 2 }, 4 };
		break;
	case 1:
		*c = (struct placed_case){ "declared, target first and later", { "|declared|", "" }, 0,
			{ site_a, cm_first, cm_later, water }, { 0, 1, 1, 2 }, 4 };
		c->specs[2].id = "CG2";
		break;
	case 2:
		*c = (struct placed_case){ "declared, target later in the same page", { "|declared|", "" }, 0,
			{ cm_later, water, site_a }, { 0, 0, 0 }, 3 };
		break;
	case 3:
		*c = (struct placed_case){ "declared and score bridge two incidents",
			{ "link_merge", "|construction|恩宁路社区|3|" }, 0,
			{ site_a, early, h3, h5 }, { 0, 1, 2, 2 }, 4 };
		break;
	case 4:
		*c = (struct placed_case){ "naive rule", { "|naive|", "" }, 1,
			{ water, again, site_b }, { 0, 0, 1 }, 3 };
		break;
	default:
		return 5;
	}
	return 0;
}

/*
 * A new complaint placed as it is stored (its row written once, with its
 * incident), with its texts' part prepared ahead (dedup_prepare) or not,
 * ends where it ends when stored first and linked after: the same
 * incidents, members, links and decisions, whatever the pages, declared
 * links in either order or within a page, merges and the naive rule.
 */
static void test_placed_as_linked_after(void **state)
{
	struct fx *fx = *state;
	static char late[16384], now[16384];
	struct placed_case c;
	struct sq_error err = { 0 };
	int i, k, n = placed_case(-1, &c);

	for (k = 0; k < n; k++) {
		enum linking how;

		placed_case(k, &c);
		free(fx->cfg.dedup.mode);
		fx->cfg.dedup.mode = strdup(c.naive ? "naive" : "linkage");
		for (how = LINKED_AFTER; how <= PLACED_PREPARED; how++) {
			store_close(fx->st);
			snprintf(fx->path, sizeof(fx->path), "%s/%d-%d.db", fx->dir, k, (int)how);
			if (store_open(fx->path, &fx->st, &err))
				fail_msg("store_open: %s", err.msg);
			store_pages(fx, c.specs, c.page, c.n, how);
			link_dump(fx, how == LINKED_AFTER ? late : now, sizeof(now));
			if (how != LINKED_AFTER && strcmp(late, now))
				fail_msg("%s: placed%s\n%s\nlinked after\n%s", c.name,
					 how == PLACED_PREPARED ? ", prepared ahead" : "", now, late);
		}
		for (i = 0; i < 2; i++)
			if (!strstr(now, c.shows[i]))
				fail_msg("%s: no %s in\n%s", c.name, c.shows[i], now);
	}
}

/* The term counts a store holds, one line a term, then the document count. */
static void counts_dump(struct fx *fx, char *out, size_t size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	size_t len = 0;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT term, df FROM dedup_df UNION ALL"
		" SELECT -1, value FROM dedup_stats WHERE name = 'docs' ORDER BY 1", -1, &s, NULL),
		SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		len += (size_t)snprintf(out + len, size - len, "%lld %lld\n",
					(long long)sqlite3_column_int64(s, 0),
					(long long)sqlite3_column_int64(s, 1));
		assert_true(len < size);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * Deferred term counts (dedup_defer_counts): pages linked in one
 * transaction and flushed once before its commit leave the counts that
 * flushing each page leaves; a rollback takes the pending counts back, so
 * a flush after it writes nothing.
 */
static void test_deferred_counts(void **state)
{
	struct fx *fx = *state;
	static char each[65536], once[65536];
	const struct spec *page[3] = { &site_a, &water, &site_b };
	struct sq_error err = { 0 };
	int deferred, i;

	for (deferred = 0; deferred <= 1; deferred++) {
		struct sq_dedup *dd = NULL;

		store_close(fx->st);
		snprintf(fx->path, sizeof(fx->path), "%s/counts%d.db", fx->dir, deferred);
		if (store_open(fx->path, &fx->st, &err))
			fail_msg("store_open: %s", err.msg);
		fx->placed = deferred;
		assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
		dedup_defer_counts(dd, deferred);
		assert_int_equal(store_begin(fx->st, &err), SQ_OK);
		for (i = 0; i < 3; i++)
			put_tx(fx, dd, page[i], T0 + 100 * HOUR);
		if (deferred)
			assert_int_equal(dedup_flush(dd, &err), SQ_OK);
		assert_int_equal(store_commit(fx->st, &err), SQ_OK);
		counts_dump(fx, deferred ? once : each, sizeof(each));
		if (deferred) {
			struct spec h9 = water;

			h9.id = "H9";
			assert_int_equal(store_begin(fx->st, &err), SQ_OK);
			put_tx(fx, dd, &h9, T0 + 100 * HOUR);
			store_rollback(fx->st);
			assert_int_equal(store_begin(fx->st, &err), SQ_OK);
			assert_int_equal(dedup_flush(dd, &err), SQ_OK);
			assert_int_equal(store_commit(fx->st, &err), SQ_OK);
			counts_dump(fx, once, sizeof(once));
		}
		dedup_free(dd);
	}
	assert_string_equal(once, each);
	assert_non_null(strstr(each, "-1 3\n"));   /* three documents counted */
}

/* dedup_placed for a complaint dedup_place did not place is refused. */
static void test_placed_unplaced(void **state)
{
	struct fx *fx = *state;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };

	assert_int_equal(dedup_new(fx->st, &fx->cfg.dedup, NULL, &dd, &err), SQ_OK);
	assert_int_equal(dedup_placed(dd, 1, &err), SQ_ENOTFOUND);
	assert_non_null(strstr(err.msg, "complaint 1 was stored unplaced"));
	dedup_free(dd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_links_same_site_across_runs),
		T(test_same_road_other_number_stays_apart),
		T(test_declared_link_target_first),
		T(test_declared_link_target_later),
		T(test_declared_link_target_first_by_source_name),
		T(test_declared_link_target_later_by_source_name),
		T(test_declared_link_merges_incidents),
		T(test_merge_then_member_found_again),
		T(test_update_stays_in_incident),
		T(test_split_survives_later_runs),
		T(test_merge_survives_later_runs),
		T(test_merge_forgets_split),
		T(test_sweeps_unlinked),
		T(test_link_in_transaction),
		T(test_link_after_rollback),
		T(test_placed_in_transaction),
		T(test_placed_after_rollback),
		T(test_index_horizon),
		T(test_index_horizon_future_and_off),
		T(test_placed_index_horizon),
		T(test_text_only_candidates),
		T(test_candidate_idf_across_cache_growth),
		T(test_candidate_linked_in_the_same_run),
		T(test_tie_in_one_incident_goes_to_the_older),
		T(test_road_candidates),
		T(test_community_candidates),
		T(test_contradicted_incident),
		T(test_same_estate_other_problem),
		T(test_same_estate_without_problems),
		T(test_naive_mode),
		T(test_resolve),
		T(test_placed_as_linked_after),
		T(test_placed_unplaced),
		T(test_deferred_counts),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
