/*
 * test_dedup_alloc.c — every allocation of record linkage may fail.
 *
 * malloc is replaced for the whole process (glibc allows it) by one that
 * fails the Nth allocation.  The pure text functions must then return
 * SQ_ENOMEM (or what they return anyway) and leak nothing; dedup_link over
 * a real store must report an error without crashing, leave no half-linked
 * state behind (its transaction rolls back), and link everything when run
 * again without failures; the same when each complaint is linked as it
 * is stored (dedup_place).  Under ASan, which owns malloc, the tests skip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "dedup.h"
#include "dedup_compare.h"
#include "record.h"
#include "store.h"
#include "support/testutil.h"
#include "taxonomy.h"
#include "banned.h"

#if defined(__SANITIZE_ADDRESS__)
static void test_skip(void **state)
{
	(void)state;
	skip();   /* ASan owns malloc; the plain build runs these tests */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_skip) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long alloc_fail_at = -1; /* the allocation (from 0) that fails; -1: none */
static long alloc_calls;         /* allocations attempted while counting */
static long alloc_live;          /* allocated and not yet freed while counting */
static int alloc_counting;

static int alloc_fails(void)
{
	if (!alloc_counting || alloc_calls++ != alloc_fail_at)
		return 0;
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	void *p = alloc_fails() ? NULL : __libc_malloc(n);

	alloc_live += alloc_counting && p;
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = alloc_fails() ? NULL : __libc_calloc(n, size);

	alloc_live += alloc_counting && p;
	return p;
}

void *realloc(void *old, size_t n)
{
	if (!old)
		return malloc(n);
	return alloc_fails() ? NULL : __libc_realloc(old, n);
}

void free(void *p)
{
	alloc_live -= alloc_counting && p;
	__libc_free(p);
}

static void counting(long fail_at)
{
	alloc_calls = alloc_live = 0;
	alloc_fail_at = fail_at;
	alloc_counting = 1;
}

/* ---- the pure functions ----------------------------------------------------- */

static const char title[] = "恩宁雅居10座停水";
static const char text[] =
	"市民来电反映:荔湾区恩宁路88號恩宁雅居十座从昨晚开始停水,广州市金鼎建筑劳务有限公司"
	"施工挖断水管,西华楼7栋也停了。请相关部门处理。";

/* One run of every text function; SQ_OK or the first error. */
static sq_err text_round(void)
{
	static const char *const phrases[] = { "市民来电反映", "请相关部门处理" };
	struct sq_strlist list = { (char **)phrases, 2 };
	struct dedup_boilerplate bp;
	struct dedup_terms t = { 0 };
	char *folded = NULL, *problem = NULL, *landmarks = NULL, *buildings = NULL;
	char *words[] = { "恩宁路" };
	struct sq_strlist place = { words, 1 };
	int64_t bands[DEDUP_LSH_BANDS];
	sq_err rc;

	rc = dedup_boilerplate_init(&bp, &list);
	if (rc)
		return rc;
	rc = dedup_fold_text(title, text, &bp, &folded);
	if (!rc)
		rc = dedup_extract_places(title, text, text, &landmarks, &buildings);
	if (!rc)
		rc = dedup_problem_text(folded, &place, &problem);
	if (!rc)
		rc = dedup_terms_from_folded(problem, &t);
	if (!rc && !dedup_minhash_bands(&t, bands))
		rc = SQ_EUSAGE;   /* the text has terms: a band must come out */
	dedup_terms_release(&t);
	free(folded);
	free(problem);
	free(landmarks);
	free(buildings);
	dedup_boilerplate_release(&bp);
	return rc;
}

/*
 * Run round(arg) once counting its allocations (it must succeed, at least
 * `least` of them, leaking none), then once with each of them failing in
 * turn: every such run must give SQ_ENOMEM and leak nothing.
 */
static void each_allocation_fails(const char *what, sq_err (*round)(const void *arg),
				  const void *arg, long least)
{
	long total, n;
	sq_err rc;

	counting(-1);
	rc = round(arg);
	alloc_counting = 0;
	assert_int_equal(rc, SQ_OK);
	assert_int_equal(alloc_live, 0);
	total = alloc_calls;
	assert_true(total >= least);
	for (n = 0; n < total; n++) {
		counting(n);
		rc = round(arg);
		alloc_counting = 0;
		if (rc != SQ_ENOMEM)
			fail_msg("%s: allocation %ld of %ld failing gave %d", what, n, total, rc);
		if (alloc_live)
			fail_msg("%s: allocation %ld failing leaked %ld blocks", what, n, alloc_live);
	}
	print_message("%s: each of %ld allocations failed in turn\n", what, total);
}

static sq_err text_round_arg(const void *arg)
{
	(void)arg;
	return text_round();
}

static void test_text_functions(void **state)
{
	(void)state;
	each_allocation_fails("text functions", text_round_arg, NULL, 11);
}

/* What linking asks of a taxonomy: the problems a text names, compared. */
static const char problems_yaml[] =
	"categories:\n"
	"  water_power_gas: 水电气\n"
	"  sanitation: 市容环卫\n"
	"problems:\n"
	"  water_supply: [停水, 水管, 供水]\n"
	"  gas: [燃气, 煤气]\n"
	"  rubbish: [垃圾]\n"
	"  debris: [建筑垃圾]\n"
	"related_problems:\n"
	"  - [rubbish, debris]\n";

static sq_err problems_round(const void *arg)
{
	const struct sq_taxonomy *tax = arg;
	char *a = NULL, *b = NULL;
	sq_err rc;

	rc = taxonomy_problems(tax, text, &a);
	if (!rc)
		rc = taxonomy_problems(tax, "宝华路建筑垃圾和生活垃圾没人清", &b);
	if (!rc && (strcmp(a, "water_supply") ||
		    taxonomy_problems_compat(tax, a, b) != TAX_UNRELATED))
		rc = SQ_EUSAGE;
	free(a);
	free(b);
	return rc;
}

/* Loading: each allocation of taxonomy.c and of libyaml under it failing in
 * turn gives SQ_ENOMEM (not a YAML error), never a half-built taxonomy. */
static sq_err load_round(const void *arg)
{
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };
	sq_err rc;

	(void)arg;
	rc = taxonomy_load_buffer("p.yaml", problems_yaml, sizeof(problems_yaml) - 1, &tax, &err);
	if (rc == SQ_OK)
		taxonomy_free(tax);
	else if (tax)
		return SQ_EUSAGE;
	return rc;
}

static void test_taxonomy_load(void **state)
{
	(void)state;
	each_allocation_fails("taxonomy load", load_round, NULL, 21);
}

static void test_problems(void **state)
{
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };

	(void)state;
	assert_int_equal(taxonomy_load_buffer("p.yaml", problems_yaml, sizeof(problems_yaml) - 1,
					      &tax, &err), SQ_OK);
	each_allocation_fails("problems", problems_round, tax, 6);
	taxonomy_free(tax);
}

/* ---- linking over a store ----------------------------------------------------- */

struct fx {
	char *dir, *path;
	struct sq_store *st;
	struct sq_config cfg;
	int64_t ids[6];
	struct sq_taxonomy *tax;   /* problems_yaml, so linking compares problems */
};

/* Six complaints: 10座停水 (three, one naming H1), 4座燃气 (two, one naming
 * H3), 宝华路垃圾. */
static const struct six {
	const char *id;
	int64_t after;   /* seconds after T0 */
	const char *text, *addr, *link_to;
} six[6] = {
	{ "H1", 0, "恩宁雅居10座从昨晚开始停水,没有通知", "恩宁路88号", NULL },
	{ "H2", 3600, "恩宁雅居十座停水一整天了,家里老人没水用", "恩宁路88号", NULL },
	{ "H3", 7200, "恩宁雅居4座燃气泄漏,楼道味道很重", "恩宁路88号", NULL },
	{ "H4", 9000, "再次反映恩宁雅居4座的煤气味", "恩宁路88号", "H3" },
	{ "H5", 9600, "宝华路垃圾堆了三天", "宝华路15号", NULL },
	{ "H6", 9900, "又是恩宁雅居10座停水", "恩宁路88号", "H1" },
};

#define T0 1714525200

static void six_record(const struct six *c, struct sq_record *r)
{
	memset(r, 0, sizeof(*r));
	r->source = strdup("hotline");
	r->source_type = strdup("hotline12345");
	r->source_id = strdup(c->id);
	r->received_at = T0 + c->after;
	r->updated_at = r->received_at + 60;
	r->text = strdup(c->text);
	r->address = strdup(c->addr);
	r->community = strdup("恩宁路社区");
	r->category = strdup("water_power_gas");
	assert_non_null(r->source && r->source_type && r->source_id && r->text && r->address &&
			r->community && r->category);
	if (c->link_to)
		assert_int_equal(record_add_link(r, "related", "hotline12345", c->link_to), 0);
}

static int64_t put(struct fx *fx, const struct six *c)
{
	struct sq_record r;
	struct sq_error err = { 0 };
	enum store_change ch;
	int64_t rowid = 0;

	six_record(c, &r);
	assert_int_equal(store_begin(fx->st, &err), SQ_OK);
	assert_int_equal(store_put_complaint(fx->st, &r, r.received_at, &ch, &rowid, &err), SQ_OK);
	assert_int_equal(store_commit(fx->st, &err), SQ_OK);
	record_release(&r);
	return rowid;
}

/* An empty store, or (stored) one with the six stored unlinked. */
static void setup_store_with(struct fx *fx, int stored)
{
	struct sq_error err = { 0 };
	int i;

	fx->dir = test_tmpdir();
	fx->path = test_path(fx->dir, "t.db");
	assert_int_equal(store_open(fx->path, &fx->st, &err), SQ_OK);
	assert_int_equal(config_defaults(&fx->cfg, &err), SQ_OK);
	assert_int_equal(taxonomy_load_buffer("p.yaml", problems_yaml, sizeof(problems_yaml) - 1,
					      &fx->tax, &err), SQ_OK);
	for (i = 0; stored && i < 6; i++)
		fx->ids[i] = put(fx, &six[i]);
}

static void setup_store(struct fx *fx)
{
	setup_store_with(fx, 1);
}

static void teardown_store(struct fx *fx)
{
	store_close(fx->st);
	config_release(&fx->cfg);
	taxonomy_free(fx->tax);
	test_rmtree(fx->dir);
	free(fx->dir);
	free(fx->path);
}

/* Complaints with an incident, and the incidents, in the store. */
static void counts(struct fx *fx, int *linked, int *incidents)
{
	struct sq_error err = { 0 };
	struct dedup_doc d = { 0 };
	struct store_incident inc;
	int found, i, k;

	*linked = *incidents = 0;
	for (i = 0; i < 6; i++) {
		assert_int_equal(store_dedup_doc(fx->st, fx->ids[i], &d, &found, &err), SQ_OK);
		*linked += d.incident_id != 0;
		for (k = 0; k < i; k++) {
			struct dedup_doc e = { 0 };

			assert_int_equal(store_dedup_doc(fx->st, fx->ids[k], &e, &found, &err), SQ_OK);
			if (e.incident_id == d.incident_id)
				break;
			dedup_doc_release(&e);
		}
		if (k == i && d.incident_id) {
			assert_int_equal(store_incident_get(fx->st, d.incident_id, &inc, &found, &err),
					 SQ_OK);
			*incidents += found;
			store_incident_release(&inc);
		}
		dedup_doc_release(&d);
	}
}

/* Link everything with allocation fail_at failing; returns the count. */
static long link_failing(struct fx *fx, long fail_at, sq_err *rc)
{
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };

	counting(fail_at);
	*rc = dedup_new(fx->st, &fx->cfg.dedup, fx->tax, &dd, &err);
	if (!*rc)
		*rc = dedup_link(dd, fx->ids, 6, 1714600000, &err);
	dedup_free(dd);
	alloc_counting = 0;
	if (*rc && !err.msg[0] && *rc != SQ_ENOMEM)
		fail_msg("allocation %ld failing: error %d without a message", fail_at, *rc);
	return alloc_calls;
}

static void test_link(void **state)
{
	struct fx fx;
	int linked, incidents, want_incidents;
	long total, n, failed = 0;
	sq_err rc;

	(void)state;
	setup_store(&fx);
	total = link_failing(&fx, -1, &rc);
	assert_int_equal(rc, SQ_OK);
	counts(&fx, &linked, &want_incidents);
	assert_int_equal(linked, 6);
	assert_int_equal(want_incidents, 3);   /* 10座停水, 4座燃气, 宝华路垃圾 */
	teardown_store(&fx);
	print_message("linking: %ld allocations\n", total);

	/* Every 11th allocation is enough to reach every area of the code
	 * without running the store's setup 2000 times. */
	for (n = 0; n < total; n += 11) {
		setup_store(&fx);
		link_failing(&fx, n, &rc);
		counts(&fx, &linked, &incidents);
		if (rc) {
			failed++;
			/* rolled back whole: nothing linked */
			if (linked != 0)
				fail_msg("allocation %ld failing left %d complaints linked", n, linked);
		}
		/* the next run, without failures, finishes the job */
		link_failing(&fx, -1, &rc);
		assert_int_equal(rc, SQ_OK);
		counts(&fx, &linked, &incidents);
		if (linked != 6 || incidents != want_incidents)
			fail_msg("after allocation %ld failed: %d linked, %d incidents", n, linked,
				 incidents);
		teardown_store(&fx);
	}
	print_message("linking: %ld failure points tried, %ld failed the run\n",
		      (total + 10) / 11, failed);
	assert_true(failed > 0);
}

static sq_err place_cb(void *ctx, const struct sq_record *r, void *prep, int64_t *incident_id,
		       struct sq_error *err)
{
	return dedup_place(ctx, r, prep, 1714600000, incident_id, err);
}

static sq_err placed_cb(void *ctx, int64_t complaint_id, struct sq_error *err)
{
	return dedup_placed(ctx, complaint_id, err);
}

/*
 * Store the six in one transaction, each linked as it is stored
 * (dedup_place), with allocation fail_at failing: rolled back on failure.
 * Returns the count.
 */
static long place_failing(struct fx *fx, long fail_at, sq_err *rc)
{
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	struct store_placer placer = { place_cb, placed_cb, NULL };
	struct sq_record r[6];
	enum store_change ch;
	int i, begun = 0;

	for (i = 0; i < 6; i++)
		six_record(&six[i], &r[i]);
	counting(fail_at);
	*rc = dedup_new(fx->st, &fx->cfg.dedup, fx->tax, &dd, &err);
	placer.ctx = dd;
	if (!*rc)
		*rc = store_begin(fx->st, &err);
	begun = !*rc;
	for (i = 0; !*rc && i < 6; i++) {
		struct dedup_prep *prep = NULL;

		/* half of them prepared ahead, as an import's parsing thread does */
		if (i % 2 == 0)
			*rc = dedup_prepare(dd, &r[i], &prep, &err);
		if (!*rc)
			*rc = store_put_placed(fx->st, &r[i], prep, r[i].received_at, &placer, &ch,
					       &fx->ids[i], &err);
		dedup_prep_free(prep);
	}
	if (!*rc)
		*rc = dedup_link_tx(dd, NULL, 0, 1714600000, &err);
	if (!*rc)
		*rc = store_commit(fx->st, &err);
	if (*rc && begun)
		store_rollback(fx->st);
	dedup_free(dd);
	alloc_counting = 0;
	for (i = 0; i < 6; i++)
		record_release(&r[i]);
	if (*rc && !err.msg[0] && *rc != SQ_ENOMEM)
		fail_msg("allocation %ld failing: error %d without a message", fail_at, *rc);
	return alloc_calls;
}

static int64_t stored(struct fx *fx)
{
	struct sq_error err = { 0 };
	int64_t n = -1;

	assert_int_equal(store_count_complaints(fx->st, &n, &err), SQ_OK);
	return n;
}

/* The same when each complaint is linked as it is stored. */
static void test_place(void **state)
{
	struct fx fx;
	int linked, incidents;
	long total, n, failed = 0;
	sq_err rc;

	(void)state;
	setup_store_with(&fx, 0);
	total = place_failing(&fx, -1, &rc);
	assert_int_equal(rc, SQ_OK);
	counts(&fx, &linked, &incidents);
	assert_int_equal(linked, 6);
	assert_int_equal(incidents, 3);
	teardown_store(&fx);
	print_message("placing: %ld allocations\n", total);
	for (n = 0; n < total; n += 11) {
		setup_store_with(&fx, 0);
		place_failing(&fx, n, &rc);
		if (rc) {
			failed++;
			if (stored(&fx) != 0)
				fail_msg("allocation %ld failing left %lld complaints stored", n,
					 (long long)stored(&fx));
		}
		if (rc)
			place_failing(&fx, -1, &rc);
		assert_int_equal(rc, SQ_OK);
		counts(&fx, &linked, &incidents);
		if (linked != 6 || incidents != 3)
			fail_msg("after allocation %ld failed: %d linked, %d incidents", n, linked,
				 incidents);
		teardown_store(&fx);
	}
	print_message("placing: %ld failure points tried, %ld failed the run\n",
		      (total + 10) / 11, failed);
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_functions),
		cmocka_unit_test(test_taxonomy_load),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
