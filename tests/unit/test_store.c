/* The store: schema creation and every migration step, upserts with
 * history, cursors, quarantine, the run log and the poll lock — all on
 * real SQLite files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "dedup_compare.h"
#include "store.h"
#include "store_private.h"   /* store_begin_spilling, store_query_int */
#include "testutil.h"
#include "banned.h"

struct fixture {
	char *dir;
	char *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = test_tmpdir();
	f->db = test_path(f->dir, "suqiu.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void make_record(struct sq_record *r, const char *id, int64_t updated, enum sq_status st)
{
	memset(r, 0, sizeof(*r));
	r->source = strdup("hotline");
	r->source_type = strdup("hotline12345");
	r->source_id = strdup(id);
	r->received_at = 1714523482;
	r->updated_at = updated;
	r->kind = SQ_KIND_COMPLAINT;
	r->title = strdup("恩宁路夜间施工噪音扰民");
	r->text = strdup("恩宁路88号附近工地连续多晚施工至凌晨两点");
	r->status = st;
	r->contact_masked = strdup("138****5678");
	r->raw = strdup("{}");
}

static void test_creates_latest_schema_in_wal(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_schema_version(st), store_schema_latest());
	assert_int_equal(store_integrity_check(st, &err), SQ_OK);
	store_close(st);
	assert_int_equal(test_sql_int(f->db, "PRAGMA user_version"), store_schema_latest());
	assert_int_equal(test_sql_int(f->db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	/* the search index merges 16 segments at a time, a whole level only
	 * at 64 (schema step 17) */
	assert_int_equal(test_sql_int(f->db, "SELECT v FROM complaints_fts_config"
				   " WHERE k = 'automerge'"), 16);
	assert_int_equal(test_sql_int(f->db, "SELECT v FROM complaints_fts_config"
				   " WHERE k = 'crisismerge'"), 64);
	/* a flag's incidents are counted through the narrow index (step 18) */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM sqlite_master"
				   " WHERE name = 'complaints_incident_by_id'"), 1);
}

/* The ids indexed under key (band, hash) received at `at` exactly: the
 * first one, 0 when none. */
static int64_t first_id(const struct store_ids *ids)
{
	return ids->n ? ids->v[0] : 0;
}

static int64_t lookup_key(struct sq_store *st, const char *key, int64_t at)
{
	struct sq_error err = { 0 };
	struct store_ids ids = { 0 };
	int64_t id;

	assert_int_equal(store_dedup_block(st, key, at, at, 5, &ids, &err), SQ_OK);
	assert_true(ids.n <= 1);
	id = first_id(&ids);
	store_ids_release(&ids);
	return id;
}

static int64_t lookup_band(struct sq_store *st, int band, int64_t hash, int64_t at)
{
	struct sq_error err = { 0 };
	struct store_ids ids = { 0 };
	int64_t id;

	assert_int_equal(store_dedup_band(st, band, hash, at, at, 5, &ids, &err), SQ_OK);
	assert_true(ids.n <= 1);
	id = first_id(&ids);
	store_ids_release(&ids);
	return id;
}

/* Build the database at every older version, put data in it where the
 * schema allows, then open it normally: it must reach the latest version
 * with the data intact. */
static void test_migrates_from_every_older_version(void **state)
{
	struct fixture *f = *state;
	int v;

	for (v = 0; v < store_schema_latest(); v++) {
		struct sq_error err = { 0 };
		struct sq_store *st;
		char *db = NULL;
		char name[32];

		snprintf(name, sizeof(name), "v%d.db", v);
		db = test_path(f->dir, name);
		assert_int_equal(store_open_at_version(db, v, &st, &err), SQ_OK);
		assert_int_equal(store_schema_version(st), v);
		store_close(st);
		if (v >= 1)
			test_sql_exec(db, "INSERT INTO complaints (source, source_id, source_type,"
				     " received_at, updated_at, first_seen_at, kind, status)"
				     " VALUES ('hotline', 'A1', 'hotline12345', 1, 2, 3, 'complaint', 'open');"
				     "INSERT INTO cursors VALUES ('hotline', '2024-05-01 09:00:00', 3);");
		if (v >= 3 && v < 15)   /* linkage index rows, before they were clustered */
			test_sql_exec(db, "INSERT INTO dedup_keys (key, at, complaint_id)"
				     " VALUES ('c:西华社区', 1, 1), ('r:宁西路', 1, 1);");
		if (v == 15)   /* keys clustered too, a row each (before step 16) */
			test_sql_exec(db, "INSERT INTO dedup_keys (bucket, key, at, complaint_id)"
				     " VALUES (0, 'c:西华社区', 1, 1), (0, 'r:宁西路', 1, 1);");
		if (v >= 3 && v < 14)
			test_sql_exec(db, "INSERT INTO dedup_bands (band, hash, at, complaint_id)"
				     " VALUES (3, 77, 1, 1);");
		if (v >= 14 && v < 16)   /* bands clustered (keys from 15) */
			test_sql_exec(db, "INSERT INTO dedup_bands (bucket, band, hash, at, complaint_id)"
				     " VALUES (0, 3, 77, 1, 1);");
		if (v >= 4)   /* an alert of the outbox before it carried digests */
			test_sql_exec(db, "INSERT INTO flags (kind, cause_key, severity, summary, opened_at,"
				     " updated_at, active_at) VALUES ('urgent', 'k', 'high', 's', 1, 1, 1);"
				     "INSERT INTO outbox (flag_id, revision, message_id, created_at,"
				     " recipients, subject, body_text, body_html, state, attempts,"
				     " next_attempt_at, sent_at) VALUES (1, 1, '<flag-1.r1.x@suqiu>', 1,"
				     " 'a@x.cn', 's', 't', 'h', 'sent', 2, 5, 7);");
		assert_int_equal(store_open(db, &st, &err), SQ_OK);
		assert_int_equal(store_schema_version(st), store_schema_latest());
		assert_int_equal(store_integrity_check(st, &err), SQ_OK);
		/* step 19: complaints_incident finds the unlinked ones */
		assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_master"
					      " WHERE name = 'complaints_unlinked'"), 0);
		if (v >= 1) {
			int64_t n = 0;
			char *cursor = NULL;

			assert_int_equal(store_count_complaints(st, &n, &err), SQ_OK);
			assert_int_equal(n, 1);
			assert_int_equal(store_get_cursor(st, "hotline", &cursor, &err), SQ_OK);
			assert_string_equal(cursor, "2024-05-01 09:00:00");
			free(cursor);
		}
		if (v >= 3 && v < 16) {
			/* the old rows are found by the look-ups (schema step 16);
			 * a road without a house number (no a: key) is found by
			 * reports with one: indexed under n: too (by step 11, for
			 * the stores from before it) */
			assert_int_equal(lookup_key(st, "c:西华社区", 1), 1);
			assert_int_equal(lookup_key(st, "r:宁西路", 1), 1);
			assert_int_equal(lookup_key(st, "n:宁西路", 1), v < 11 ? 1 : 0);
			assert_int_equal(lookup_key(st, "c:恩宁社区", 1), 0);
			assert_int_equal(lookup_band(st, 3, 77, 1), 1);
			assert_int_equal(lookup_band(st, 4, 77, 1), 0);
			assert_int_equal(lookup_key(st, "c:西华社区", 2), 0);   /* not that time */
		}
		store_close(st);
		if (v >= 3)
			assert_int_equal(test_sql_int(db, "SELECT count(*) FROM sqlite_schema"
						   " WHERE name IN ('dedup_keys', 'dedup_bands')"), 0);
		if (v >= 4)
			assert_int_equal(test_sql_int(db, "SELECT count(*) FROM outbox WHERE id = 1"
						   " AND kind = 'flag' AND flag_id = 1 AND revision = 1"
						   " AND state = 'sent' AND attempts = 2 AND sent_at = 7"
						   " AND digest_key IS NULL"), 1);
		free(db);
	}
}

/* Store complaint sid received at `at` (0: make_record's time) and index it
 * under keys and bands; its id. */
static int64_t put_indexed(struct sq_store *st, const char *sid, int64_t at,
			   const char *const *keys, size_t nkeys, const int64_t *bands,
			   size_t nbands)
{
	struct sq_error err = { 0 };
	struct sq_record r;
	struct dedup_doc d = { 0 };
	enum store_change change;
	int64_t id = 0;

	make_record(&r, sid, 1000, SQ_STATUS_OPEN);
	if (at)
		r.received_at = at;
	assert_int_equal(store_put_complaint(st, &r, 5000, &change, &id, &err), SQ_OK);
	d.id = id;
	d.received_at = r.received_at;
	d.folded = "x";
	record_release(&r);
	assert_int_equal(store_dedup_index(st, &d, 0, keys, nkeys, bands, nbands, &err), SQ_OK);
	return id;
}

/*
 * Band and blocking-key look-ups across the periods their rows are
 * clustered by (16 days): the most recent `limit` of the window whatever
 * period they are in, newest first and, within one second, the highest id
 * first; nothing outside the window.  Data-driven: complaints on days
 * 0..44, one band hash and one key shared by all but one; every case is
 * asked of both look-ups.
 */
static void check_lookup(const char *what, size_t c, const struct store_ids *got,
			 const int64_t *ids, const int *want)
{
	size_t j;

	for (j = 0; want[j] >= 0; j++)
		if (j >= got->n || got->v[j] != ids[want[j]])
			fail_msg("%s, case %zu: candidate %zu is %lld, want %lld", what, c, j,
				 j < got->n ? (long long)got->v[j] : -1LL, (long long)ids[want[j]]);
	if (got->n != j)
		fail_msg("%s, case %zu: %zu candidates, want %zu", what, c, got->n, j);
}

static void test_index_lookup_across_periods(void **state)
{
	static const struct {
		int day;          /* received on day (from 2024-05-01) */
		int64_t hash;
		const char *key;
	} rows[] = {
		{ 0, 7, "c:西华" }, { 10, 7, "c:西华" }, { 15, 7, "c:西华" }, { 16, 7, "c:西华" },
		{ 16, 7, "c:西华" }, { 17, 9, "c:恩宁" }, { 31, 7, "c:西华" }, { 44, 7, "c:西华" },
	};
	static const struct {
		int from, to, limit;
		int want[8];      /* indexes into rows, in order; -1 ends */
	} cases[] = {
		{ 0, 44, 3, { 7, 6, 4, -1 } },
		{ 0, 44, 20, { 7, 6, 4, 3, 2, 1, 0, -1 } },
		{ 10, 16, 2, { 4, 3, -1 } },
		{ 10, 16, 3, { 4, 3, 2, -1 } },
		{ 1, 9, 5, { -1 } },
		{ 17, 30, 5, { -1 } },
		{ 15, 31, 5, { 6, 4, 3, 2, -1 } },
	};
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	int64_t ids[8], day0 = 1714492800;   /* 2024-05-01T00:00:00+08:00 */
	size_t i;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char sid[16];

		snprintf(sid, sizeof(sid), "B%zu", i);
		ids[i] = put_indexed(st, sid, day0 + rows[i].day * 86400, &rows[i].key, 1,
				     &rows[i].hash, 1);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t from = day0 + cases[i].from * 86400, to = day0 + cases[i].to * 86400;
		struct store_ids bands = { 0 }, keys = { 0 };

		assert_int_equal(store_dedup_band(st, 0, 7, from, to, cases[i].limit, &bands, &err),
				 SQ_OK);
		check_lookup("bands", i, &bands, ids, cases[i].want);
		assert_int_equal(store_dedup_block(st, "c:西华", from, to, cases[i].limit, &keys, &err),
				 SQ_OK);
		check_lookup("keys", i, &keys, ids, cases[i].want);
		store_ids_release(&bands);
		store_ids_release(&keys);
	}
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);
}

/* The ids under key in [from, to] days after day0, newest first, as "id id ..." */
static const char *ids_under(struct sq_store *st, const char *key, int from, int to,
			     char *out, size_t size)
{
	const int64_t day0 = 1714492800;
	struct sq_error err = { 0 };
	struct store_ids ids = { 0 };
	size_t i, len = 0;

	assert_int_equal(store_dedup_block(st, key, day0 + from * 86400, day0 + to * 86400, 60,
					   &ids, &err), SQ_OK);
	out[0] = 0;
	for (i = 0; i < ids.n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%lld", i ? " " : "",
					(long long)ids.v[i]);
	store_ids_release(&ids);
	return out;
}

/*
 * The look-ups answer from the index's rows in memory (store_index.c):
 * what they find must stay what the table holds through everything that
 * changes it — complaints indexed inside and outside the resident time, a
 * re-index, another connection's commit, a rollback, pruning — and a
 * damaged row is an error naming its complaint, not a wrong answer.
 */
static void test_index_in_memory_follows_the_table(void **state)
{
	static const char *const ka[] = { "c:甲" }, *const kb[] = { "c:乙" };
	const int64_t day0 = 1714492800;
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st, *other;
	struct store_ids ids = { 0 };
	struct dedup_doc d = { 0 };
	int64_t a, b, c, e, reached;
	char got[128], want[128];

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	a = put_indexed(st, "R0", day0 + 10 * 86400, ka, 1, NULL, 0);
	snprintf(want, sizeof(want), "%lld", (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), want);
	/* inside the resident time: found at once */
	b = put_indexed(st, "R1", day0 + 12 * 86400, ka, 1, NULL, 0);
	snprintf(want, sizeof(want), "%lld %lld", (long long)b, (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), want);
	/* after it: read when a window reaches it */
	c = put_indexed(st, "R2", day0 + 40 * 86400, ka, 1, NULL, 0);
	snprintf(want, sizeof(want), "%lld", (long long)c);
	assert_string_equal(ids_under(st, "c:甲", 35, 45, got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%lld %lld %lld", (long long)c, (long long)b, (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 45, got, sizeof(got)), want);
	/* before it: read again */
	snprintf(want, sizeof(want), "%lld", (long long)a);
	assert_string_equal(ids_under(st, "c:甲", -30, 10, got, sizeof(got)), want);
	/* b re-indexed under another key leaves the first */
	d.id = b;
	d.received_at = day0 + 12 * 86400;
	d.folded = "x";
	assert_int_equal(store_dedup_index(st, &d, 1, kb, 1, NULL, 0, &err), SQ_OK);
	snprintf(want, sizeof(want), "%lld", (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), want);
	snprintf(want, sizeof(want), "%lld", (long long)b);
	assert_string_equal(ids_under(st, "c:乙", 5, 15, got, sizeof(got)), want);
	/* the limit counts only what is still there: b's old posting, left
	 * in the chain between c and a, is not one of the newest two */
	assert_int_equal(store_dedup_block(st, "c:甲", day0 + 5 * 86400, day0 + 45 * 86400, 2,
					   &ids, &err), SQ_OK);
	assert_int_equal(ids.n, 2);
	assert_true(ids.v[0] == c && ids.v[1] == a);
	store_ids_release(&ids);
	/* b back under its first key, in its place by time; the same keys
	 * again change nothing (one posting each, not two) */
	assert_int_equal(store_dedup_index(st, &d, 1, ka, 1, NULL, 0, &err), SQ_OK);
	assert_int_equal(store_dedup_index(st, &d, 1, ka, 1, NULL, 0, &err), SQ_OK);
	snprintf(want, sizeof(want), "%lld %lld %lld", (long long)c, (long long)b, (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 45, got, sizeof(got)), want);
	assert_string_equal(ids_under(st, "c:乙", 5, 15, got, sizeof(got)), "");
	assert_int_equal(store_dedup_index(st, &d, 1, kb, 1, NULL, 0, &err), SQ_OK);
	assert_int_equal(store_commit(st, &err), SQ_OK);

	/* another connection's complaint, committed between two transactions */
	assert_int_equal(store_open(f->db, &other, &err), SQ_OK);
	assert_int_equal(store_begin(other, &err), SQ_OK);
	e = put_indexed(other, "R3", day0 + 11 * 86400, ka, 1, NULL, 0);
	assert_int_equal(store_commit(other, &err), SQ_OK);
	store_close(other);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	snprintf(want, sizeof(want), "%lld %lld", (long long)e, (long long)a);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), want);
	/* a rolled-back complaint is not found afterwards */
	put_indexed(st, "R4", day0 + 13 * 86400, ka, 1, NULL, 0);
	assert_int_equal(store_dedup_block(st, "c:甲", day0 + 5 * 86400, day0 + 15 * 86400, 60,
					   &ids, &err), SQ_OK);
	assert_int_equal(ids.n, 3);
	store_ids_release(&ids);
	store_rollback(st);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), want);
	/* pruned rows (received before day 12) are gone from memory too */
	assert_int_equal(store_dedup_prune(st, 0, day0 + 12 * 86400, 100, &reached, &err), SQ_OK);
	assert_string_equal(ids_under(st, "c:甲", 5, 15, got, sizeof(got)), "");
	snprintf(want, sizeof(want), "%lld", (long long)b);
	assert_string_equal(ids_under(st, "c:乙", 5, 15, got, sizeof(got)), want);
	assert_int_equal(store_commit(st, &err), SQ_OK);

	/* a damaged row */
	snprintf(got, sizeof(got), "UPDATE dedup_sigs SET sig = x'01020304050607'"
		 " WHERE complaint_id = %lld", (long long)c);
	test_sql_exec(f->db, got);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	assert_int_equal(store_dedup_block(st, "c:甲", day0 + 35 * 86400, day0 + 45 * 86400, 60,
					   &ids, &err), SQ_EDB);
	snprintf(want, sizeof(want), "linkage index row of complaint %lld is damaged", (long long)c);
	assert_non_null(strstr(err.msg, want));
	store_rollback(st);
	store_ids_release(&ids);
	store_close(st);
}

/*
 * The look-ups against a model of what was indexed, through many windows
 * moving forward (the cover grows: later rows are chained beside the
 * sorted ones) and back (read afresh), complaints indexed in and out of
 * time order and within one second, and re-indexed under other keys and
 * times: every answer must be the model's newest `limit` under the key in
 * the window, by (at, id) descending.  One key is on most complaints, so
 * its sorted stretch is long and shares its bucket with others.
 */
#define MODEL_ROWS 400
#define MODEL_KEYS 5

struct model_row {
	int64_t id, at;
	unsigned keys;   /* bit k: indexed under model_keys[k] */
};

static const char *const model_keys[MODEL_KEYS] = { "c:多宝", "c:西华", "r:恩宁路", "p:9", "a:x" };

static uint32_t model_rand(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static void model_index(struct sq_store *st, struct model_row *m, int reindex)
{
	const char *keys[MODEL_KEYS];
	struct sq_error err = { 0 };
	struct dedup_doc d = { 0 };
	size_t n = 0;
	int k;

	for (k = 0; k < MODEL_KEYS; k++)
		if (m->keys & (1u << k))
			keys[n++] = model_keys[k];
	d.id = m->id;
	d.received_at = m->at;
	d.folded = "x";
	assert_int_equal(store_dedup_index(st, &d, reindex, keys, n, NULL, 0, &err), SQ_OK);
}

static int model_newer(const struct model_row *a, const struct model_row *b)
{
	return a->at > b->at || (a->at == b->at && a->id > b->id);
}

/* The model's answer: the newest `limit` rows under key k in [from, to]. */
static size_t model_answer(const struct model_row *rows, size_t n, int k, int64_t from,
			   int64_t to, int limit, int64_t *out)
{
	size_t i, j, got = 0;

	for (i = 0; i < n; i++) {
		const struct model_row *m = &rows[i];

		if (!(m->keys & (1u << k)) || m->at < from || m->at > to)
			continue;
		for (j = got; j > 0 && model_newer(m, &rows[out[j - 1]]); j--)
			out[j] = out[j - 1];
		out[j] = (int64_t)i;
		got++;
	}
	for (i = 0; i < got; i++)
		out[i] = rows[out[i]].id;
	return got < (size_t)limit ? got : (size_t)limit;
}

static void model_check(struct sq_store *st, const struct model_row *rows, size_t n,
			uint32_t *seed, int64_t day0, int step)
{
	static const int limits[] = { 1, 3, 10, 60, 1000 };
	struct sq_error err = { 0 };
	int64_t want[MODEL_ROWS + 1], from, to;
	int q;

	for (q = 0; q < 4; q++) {
		struct store_ids got = { 0 };
		int k = (int)(model_rand(seed) % MODEL_KEYS);
		int limit = limits[model_rand(seed) % 5];
		size_t nwant, j;

		from = day0 + (int64_t)(model_rand(seed) % (60 * 86400)) - 5 * 86400;
		to = from + (int64_t)(model_rand(seed) % (20 * 86400));
		nwant = model_answer(rows, n, k, from, to, limit, want);
		assert_int_equal(store_dedup_block(st, model_keys[k], from, to, limit, &got, &err),
				 SQ_OK);
		if (got.n != nwant)
			fail_msg("step %d, %s in [%lld, %lld] limit %d: %zu ids, want %zu", step,
				 model_keys[k], (long long)from, (long long)to, limit, got.n, nwant);
		for (j = 0; j < nwant; j++)
			if (got.v[j] != want[j])
				fail_msg("step %d, %s limit %d: id %zu is %lld, want %lld", step,
					 model_keys[k], limit, j, (long long)got.v[j],
					 (long long)want[j]);
		store_ids_release(&got);
	}
}

static void test_index_lookups_match_a_model(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct model_row rows[MODEL_ROWS];
	const int64_t day0 = 1714492800;
	uint32_t seed = 20261128;
	size_t i, n = 0;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	for (i = 0; i < MODEL_ROWS; i++) {
		struct model_row *m = &rows[n];
		char sid[16];
		uint32_t roll = model_rand(&seed);

		/* mostly in time order, some earlier, some in the same second */
		if (i && roll % 5 == 0)
			m->at = rows[n - 1].at;
		else if (roll % 7 == 0)
			m->at = day0 + (int64_t)(model_rand(&seed) % (50 * 86400));
		else
			m->at = day0 + (int64_t)i * 50 * 86400 / MODEL_ROWS +
				(int64_t)(model_rand(&seed) % 3600);
		m->keys = (model_rand(&seed) % 10 ? 1u : 0u) | (model_rand(&seed) & 0x1eu);
		if (!m->keys)
			m->keys = 2;
		snprintf(sid, sizeof(sid), "M%zu", i);
		m->id = put_indexed(st, sid, m->at, NULL, 0, NULL, 0);
		model_index(st, m, 1);
		n++;
		if (i % 20 == 19) {
			/* another complaint re-indexed: new keys, perhaps a new time */
			struct model_row *o = &rows[model_rand(&seed) % n];

			o->keys = (model_rand(&seed) & 0x1fu) | 4u;
			if (model_rand(&seed) % 2)
				o->at += (int64_t)(model_rand(&seed) % 86400) - 43200;
			model_index(st, o, 1);
		}
		if (i % 10 == 9)
			model_check(st, rows, n, &seed, day0, (int)i);
		if (i % 100 == 99) {
			assert_int_equal(store_commit(st, &err), SQ_OK);
			assert_int_equal(store_begin(st, &err), SQ_OK);
		}
	}
	for (i = 0; i < 50; i++)
		model_check(st, rows, n, &seed, day0, (int)(MODEL_ROWS + i));
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);
}

/*
 * A complaint's blocking keys and band hashes go with it (schema step 15's
 * trigger, which replaced their foreign keys' cascade), and only its.
 */
static void test_index_rows_go_with_their_complaint(void **state)
{
	static const char *const keys[] = { "c:西华", "p:abc" };
	static const int64_t bands[] = { 11, 12, 13 };
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	int64_t ids[2];
	char sql[256];
	size_t i;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	for (i = 0; i < 2; i++) {
		char sid[16];

		snprintf(sid, sizeof(sid), "G%zu", i);
		ids[i] = put_indexed(st, sid, 0, keys, 2, bands, 3);
	}
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);
	snprintf(sql, sizeof(sql), "DELETE FROM complaints WHERE id = %lld", (long long)ids[0]);
	test_sql_exec(f->db, sql);
	for (i = 0; i < 2; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) * 100 + coalesce(sum(length(sig)), 0)"
			 " FROM dedup_sigs WHERE complaint_id = %lld", (long long)ids[i]);
		assert_int_equal(test_sql_int(f->db, sql), i == 0 ? 0 : 100 + 5 * 8);
	}
}

/*
 * A complaint indexed or linked again (its text changed) has one row of
 * each, and it says what the second time said (the statements are upserts,
 * not INSERT OR REPLACE, whose delete made SQLite journal each statement).
 */
static void test_index_and_link_rows_replaced(void **state)
{
	static const char *const keys[] = { "c:西华" };
	static const int64_t bands[] = { 11 };
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct dedup_doc d = { 0 }, got = { 0 };
	char sql[256];
	int64_t id;
	int found = 0;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	id = put_indexed(st, "R1", 0, keys, 1, bands, 1);   /* folded "x", no address */
	assert_int_equal(store_link_set(st, id, "new", 0, 0.0, NULL, 100, &err), SQ_OK);
	d.id = id;
	d.received_at = 1714523482;
	d.folded = "恩宁路88号夜间施工";
	d.addr_key = "恩宁路88号";
	d.road_key = "恩宁路";
	d.buildings = "88";
	assert_int_equal(store_dedup_index(st, &d, 1, keys, 1, bands, 1, &err), SQ_OK);
	assert_int_equal(store_link_set(st, id, "auto", 7, 0.9, "[]", 200, &err), SQ_OK);
	assert_int_equal(store_dedup_doc(st, id, &got, &found, &err), SQ_OK);
	assert_true(found);
	assert_string_equal(got.folded, "恩宁路88号夜间施工");
	assert_string_equal(got.addr_key, "恩宁路88号");
	assert_string_equal(got.road_key, "恩宁路");
	assert_string_equal(got.buildings, "88");
	dedup_doc_release(&got);
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);
	snprintf(sql, sizeof(sql), "SELECT count(*) * 1000 + matched_id * 100 + linked_at"
		 " FROM dedup_links WHERE complaint_id = %lld AND method = 'auto'"
		 " AND comparisons = '[]' AND score = 0.9", (long long)id);
	assert_int_equal(test_sql_int(f->db, sql), 1000 + 700 + 200);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM dedup_docs WHERE complaint_id = %lld",
		 (long long)id);
	assert_int_equal(test_sql_int(f->db, sql), 1);
}

/*
 * Where statements' undo journals go (store.c, temp_store()): memory in
 * store_begin's transactions, files in store_begin_spilling's (store_prune,
 * migrations: one statement may change years of pages), and back to files
 * (temp_store FILE, 1) once a transaction ends, by commit or rollback, so
 * that large sorts outside transactions spill as before.
 */
static int64_t temp_store_now(struct sq_store *st)
{
	struct sq_error err = { 0 };
	int64_t v = -1;

	assert_int_equal(store_query_int(st, "PRAGMA temp_store", 0, 0, 0, &v, "reading", &err),
			 SQ_OK);
	return v;
}

static void test_statement_journal_placement(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct store_prune_counts counts;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 1);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 2);
	assert_int_equal(store_commit(st, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 1);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	store_rollback(st);
	assert_int_equal(temp_store_now(st), 1);
	assert_int_equal(store_begin_spilling(st, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 1);
	assert_int_equal(store_commit(st, &err), SQ_OK);
	/* store_prune's own transaction leaves FILE too, and works */
	assert_int_equal(store_prune(st, 1, 0, NULL, &counts, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 1);
	/* and a transaction after them is in memory again */
	assert_int_equal(store_begin(st, &err), SQ_OK);
	assert_int_equal(temp_store_now(st), 2);
	store_rollback(st);
	store_close(st);
}

/*
 * The detectors read the look-back's rows from complaints_digest alone
 * (store_flags.c, DETECT_COLUMNS): every complaints column they name is in
 * it, so none of the window's wide rows is read.
 */
static void test_detect_columns_are_indexed(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	store_close(st);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM pragma_index_info('complaints_digest')"
				   " WHERE name IN ('received_at', 'kind', 'status', 'incident_id',"
				   " 'first_seen_at', 'deadline', 'category', 'community', 'grid',"
				   " 'contact_hash', 'lat', 'lon')"), 12);
}

/* The outbox holds alerts (a flag revision each) and digests (a key each,
 * no flag); each kind's identity is unique, and a row of one kind cannot
 * be half the other. */
/*
 * Upgrading a large store must not hold the whole linkage index in memory.
 * Migrations 9, 10, 14, 15 and 16 rebuild the band and key tables and sort
 * them for their indexes (16 by complaint, into one row each); with
 * temp_store = MEMORY SQLite's sorter never spills and kept every row (a
 * 245k-complaint store peaked at 417 MB).  Two million band rows need
 * ~120 MB sorted in memory; spilling to a temporary file,
 * SQLite stays near its 32 MB page cache plus one 32 MB sort run.
 * SQLite's own high-water mark is what is checked, not the process's.
 */
static void test_migration_memory_is_bounded(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	sqlite3_int64 now = 0, peak = 0;
	const sqlite3_int64 bound = 100 << 20;

	assert_int_equal(store_open_at_version(f->db, 8, &st, &err), SQ_OK);
	store_close(st);
	/* 83,334 complaints with 24 band rows each */
	test_sql_exec(f->db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
			"  WHERE i < 83334)"
			" INSERT INTO complaints (source, source_id, source_type,"
			" received_at, updated_at, first_seen_at, kind, status)"
			" SELECT 'hotline', 'A' || i, 'hotline12345', i, 2, 3, 'complaint', 'open'"
			" FROM n;"
			"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
			"  WHERE i < 1999999)"
			" INSERT INTO dedup_bands (band, hash, at, complaint_id)"
			" SELECT i % 24, (i * 2654435761) % 4294967291, i / 24, i / 24 + 1 FROM n;");
	assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &now, &peak, 1), SQLITE_OK);
	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &now, &peak, 0), SQLITE_OK);
	store_close(st);
	/* each complaint's 24 rows (the last one's 8), one row of as many
	 * hashes (step 16); complaint 1 found under band 5's (i = 5), the
	 * last under band 7's (i = 1999999) */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM dedup_sigs"
				   " WHERE at = complaint_id - 1 AND length(sig) = 8 *"
				   " (CASE WHEN complaint_id = 83334 THEN 8 ELSE 24 END)"), 83334);
	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(lookup_band(st, 5, 387276932, 0), 1);
	assert_int_equal(lookup_band(st, 7, (1999999LL * 2654435761LL) % 4294967291LL, 83333),
			 83334);
	store_close(st);
	print_message("migrating 2,000,000 band rows: SQLite peak %lld KB\n", (long long)(peak >> 10));
	assert_true(peak > 0);	/* memory statistics are on in this SQLite */
	assert_true(peak < bound);
}

static void test_outbox_kinds(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct store_outbox_msg m = { 0 }, got = { 0 };
	sqlite3 *h;
	int added = -1;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	m.kind = "digest";
	m.digest_key = "2024-05-01T00:00:00+08:00/2024-05-02T00:00:00+08:00";
	m.attachment = "suqiu-digest-20240501.html";
	m.message_id = "<digest-20240501.0123456789ab@suqiu>";
	m.created_at = 100;
	m.subject = "摘要";
	assert_int_equal(store_outbox_add(st, &m, &added, &err), SQ_OK);
	assert_int_equal(added, 1);
	assert_int_equal(store_outbox_add(st, &m, &added, &err), SQ_OK);
	assert_int_equal(added, 0);
	assert_int_equal(store_outbox_find_digest(st, m.digest_key, &got, &err), SQ_OK);
	assert_int_equal(got.id, 1);
	assert_string_equal(got.kind, "digest");
	assert_string_equal(got.attachment, "suqiu-digest-20240501.html");
	assert_int_equal(got.flag_id, 0);
	assert_int_equal(store_outbox_find_digest(st, "no such key", &got, &err), SQ_OK);
	assert_int_equal(got.id, 0);
	store_outbox_msg_release(&got);
	store_close(st);

	assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
	/* A digest that names a flag, an alert without one: refused. */
	assert_int_equal(sqlite3_exec(h, "INSERT INTO flags (kind, cause_key, severity, summary,"
				      " opened_at, updated_at, active_at)"
				      " VALUES ('urgent', 'k', 'high', 's', 1, 1, 1)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO outbox (kind, flag_id, revision, digest_key,"
				      " message_id, created_at, recipients, subject, body_text,"
				      " body_html, next_attempt_at) VALUES ('digest', 1, 1, 'k2', 'm2',"
				      " 1, '', '', '', '', 1)", NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO outbox (kind, message_id, created_at,"
				      " recipients, subject, body_text, body_html, next_attempt_at)"
				      " VALUES ('flag', 'm3', 1, '', '', '', '', 1)", NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO outbox (kind, message_id, created_at,"
				      " recipients, subject, body_text, body_html, next_attempt_at)"
				      " VALUES ('memo', 'm4', 1, '', '', '', '', 1)", NULL, NULL, NULL),
			 SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

static void test_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	char sql[64];

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	store_close(st);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_latest() + 1);
	test_sql_exec(f->db, sql);
	assert_int_equal(store_open(f->db, &st, &err), SQ_ESCHEMA);
	assert_null(st);
	assert_non_null(strstr(err.msg, "newer than this suqiu"));
}

/* Replace string field *f with v (NULL: none). */
static void set_str(char **f, const char *v)
{
	free(*f);
	*f = v ? strdup(v) : NULL;
}

/* One change an update may bring, and what storing it reports. */
struct update_case {
	const char *what;
	void (*change)(struct sq_record *r);
	enum store_change want;
};

static void ch_status(struct sq_record *r) { r->status = SQ_STATUS_RESOLVED; set_str(&r->satisfaction, "满意"); }
static void ch_handler(struct sq_record *r) { set_str(&r->handler, "城管科"); r->deadline = 1714900000; }
static void ch_contact_kept(struct sq_record *r) { set_str(&r->contact_hash, NULL); set_str(&r->contact_masked, NULL); }
static void ch_title(struct sq_record *r) { set_str(&r->title, "恩宁路夜间施工噪音"); }
static void ch_text(struct sq_record *r) { set_str(&r->text, "工地又施工到凌晨三点"); }
static void ch_address(struct sq_record *r) { set_str(&r->address, "恩宁路90号"); }
static void ch_category(struct sq_record *r) { set_str(&r->category, "noise.traffic"); }
static void ch_category_raw(struct sq_record *r) { set_str(&r->category_raw, "交通噪音"); }
static void ch_community(struct sq_record *r) { set_str(&r->community, "逢源路社区"); }
static void ch_grid(struct sq_record *r) { set_str(&r->grid, "G2"); }
static void ch_received(struct sq_record *r) { r->received_at += 60; }
static void ch_position(struct sq_record *r) { r->lat += 0.001; }
static void ch_contact(struct sq_record *r) { set_str(&r->contact_hash, "ffff"); }
static void ch_source_type(struct sq_record *r) { set_str(&r->source_type, "hotline"); }
static void ch_link(struct sq_record *r)
{
	assert_int_equal(record_add_link(r, "related", "hotline12345", "2024050112345000001"), 0);
}

/*
 * An update that changes only what linking does not read (status, handler,
 * deadline, satisfaction; a contact the update leaves out) is
 * STORE_RESTATED, which poll does not link again; one that changes
 * anything linking reads, or declares a link, is STORE_UPDATED.
 */
static void test_update_restated_or_relinked(void **state)
{
	static const struct update_case cases[] = {
		{ "status", ch_status, STORE_RESTATED },
		{ "handler", ch_handler, STORE_RESTATED },
		{ "contact left out", ch_contact_kept, STORE_RESTATED },
		{ "title", ch_title, STORE_UPDATED },
		{ "text", ch_text, STORE_UPDATED },
		{ "address", ch_address, STORE_UPDATED },
		{ "category", ch_category, STORE_UPDATED },
		{ "raw category", ch_category_raw, STORE_UPDATED },
		{ "community", ch_community, STORE_UPDATED },
		{ "grid", ch_grid, STORE_UPDATED },
		{ "received", ch_received, STORE_UPDATED },
		{ "position", ch_position, STORE_UPDATED },
		{ "contact", ch_contact, STORE_UPDATED },
		{ "source type", ch_source_type, STORE_UPDATED },
		{ "a declared link", ch_link, STORE_UPDATED },
	};
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct sq_record r;
	enum store_change change;
	int64_t id;
	char sid[32];
	size_t i;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sid, sizeof(sid), "U%03zu", i);
		make_record(&r, sid, 1000, SQ_STATUS_OPEN);
		set_str(&r.category, "noise.construction");
		set_str(&r.category_raw, "施工噪音");
		set_str(&r.community, "恩宁路社区");
		set_str(&r.grid, "G1");
		set_str(&r.address, "恩宁路88号");
		set_str(&r.contact_hash, "abcd");
		r.crs = SQ_CRS_WGS84;
		r.lat = 23.12;
		r.lon = 113.25;
		assert_int_equal(store_put_complaint(st, &r, 5000, &change, &id, &err), SQ_OK);
		assert_int_equal(change, STORE_NEW);
		r.updated_at = 2000;
		cases[i].change(&r);
		assert_int_equal(store_put_complaint(st, &r, 5001, &change, &id, &err), SQ_OK);
		if (change != cases[i].want)
			fail_msg("%s: change %d, want %d", cases[i].what, (int)change, (int)cases[i].want);
		record_release(&r);
	}
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);
	/* every update kept the old state */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaint_history"),
			 (int64_t)(sizeof(cases) / sizeof(cases[0])));
}

/* How many complaints of the search index hold phrase (through a connection of its own). */
static int64_t fts_hits(const char *db, const char *phrase)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM complaints_fts WHERE complaints_fts MATCH '\"%s\"'", phrase);
	return test_sql_int(db, sql);
}

/* Store complaint sid with text, in a transaction of the test's (tx) or none. */
static sq_err put_text(struct sq_store *st, const char *sid, int64_t updated, const char *text,
		       int tx, int commit)
{
	struct sq_error err = { 0 };
	struct sq_record r;
	enum store_change change;
	int64_t id = 0;
	sq_err rc;

	make_record(&r, sid, updated, SQ_STATUS_OPEN);
	free(r.text);
	r.text = strdup(text);
	if (tx)
		assert_int_equal(store_begin(st, &err), SQ_OK);
	rc = store_put_complaint(st, &r, 5000, &change, &id, &err);
	if (tx && commit)
		assert_int_equal(store_commit(st, &err), SQ_OK);
	else if (tx)
		store_rollback(st);
	record_release(&r);
	return rc;
}

/*
 * No trigger indexes a new complaint for search (schema step 20): every
 * way of writing one leaves the index as the rows say, checked by FTS5's
 * own integrity check against the table, and by phrase.
 */
static void test_search_index_follows_every_write(void **state)
{
	static const struct {
		const char *what, *sid, *text;
		int64_t updated;
		int tx, commit;
		const char *gone;   /* a phrase no longer found, or NULL */
		int64_t found;      /* complaints with the text after it */
	} cases[] = {
		{ "new, no transaction", "S1", "垃圾清运不及时", 1000, 0, 0, NULL, 1 },
		{ "new, committed", "S2", "路灯损坏未修复", 1000, 1, 1, NULL, 1 },
		{ "new, rolled back", "S3", "井盖缺失危险", 1000, 1, 0, NULL, 0 },
		{ "updated, no transaction", "S1", "占道经营扰民", 2000, 0, 0, "垃圾清运", 1 },
		{ "updated, committed", "S2", "违章搭建严重", 2000, 1, 1, "路灯损坏", 1 },
		{ "updated, rolled back", "S2", "积水无人处理", 3000, 1, 0, NULL, 0 },
		{ "same text elsewhere", "S4", "违章搭建严重", 1000, 0, 0, NULL, 2 },
	};
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct sq_record r;
	enum store_change change;
	int64_t id = 0;
	size_t i;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(put_text(st, cases[i].sid, cases[i].updated, cases[i].text,
					  cases[i].tx, cases[i].commit), SQ_OK);
		if (!sqlite3_get_autocommit(st->db))
			fail_msg("%s: left a transaction open", cases[i].what);
		if (fts_hits(f->db, cases[i].text) != cases[i].found)
			fail_msg("%s: %lld complaints found by their text, want %lld", cases[i].what,
				 (long long)fts_hits(f->db, cases[i].text), (long long)cases[i].found);
		if (cases[i].gone && fts_hits(f->db, cases[i].gone))
			fail_msg("%s: the old text is still found", cases[i].what);
		test_sql_exec(f->db, "INSERT INTO complaints_fts (complaints_fts, rank)"
				     " VALUES ('integrity-check', 1)");
	}
	/* a failing insert outside a transaction: an error, nothing left open */
	make_record(&r, "S5", 1000, SQ_STATUS_OPEN);
	free(r.source);
	r.source = NULL;
	assert_int_equal(store_put_complaint(st, &r, 5000, &change, &id, &err), SQ_EDB);
	assert_true(sqlite3_get_autocommit(st->db));
	record_release(&r);
	assert_int_equal(put_text(st, "S6", 1000, "树木倒伏挡路", 0, 0), SQ_OK);
	assert_int_equal(fts_hits(f->db, "树木倒伏"), 1);
	store_close(st);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints"), 4);   /* S1 S2 S4 S6 */
	test_sql_exec(f->db, "INSERT INTO complaints_fts (complaints_fts, rank)"
			     " VALUES ('integrity-check', 1)");
}

static void test_upsert_new_updated_unchanged(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct sq_record r;
	enum store_change change;
	int64_t id1, id2, links = 0;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);

	make_record(&r, "2024050112345000123", 1000, SQ_STATUS_IN_PROGRESS);
	assert_int_equal(record_add_link(&r, "related", "hotline12345", "2024050112345000001"), 0);
	assert_int_equal(store_put_complaint(st, &r, 5000, &change, &id1, &err), SQ_OK);
	assert_int_equal(change, STORE_NEW);
	record_release(&r);
	/* the new complaint's declared link is stored with it */
	assert_int_equal(store_query_int(st, "SELECT count(*) FROM complaint_links"
					 " WHERE complaint_id = ?1 AND target_id = '2024050112345000001'",
					 1, id1, 0, &links, "counting links", &err), SQ_OK);
	assert_int_equal(links, 1);

	make_record(&r, "2024050112345000123", 1000, SQ_STATUS_IN_PROGRESS);
	assert_int_equal(store_put_complaint(st, &r, 5001, &change, &id2, &err), SQ_OK);
	assert_int_equal(change, STORE_UNCHANGED);
	assert_int_equal(id1, id2);
	record_release(&r);

	make_record(&r, "2024050112345000123", 900, SQ_STATUS_OPEN);
	assert_int_equal(store_put_complaint(st, &r, 5002, &change, &id2, &err), SQ_OK);
	assert_int_equal(change, STORE_UNCHANGED);
	record_release(&r);

	make_record(&r, "2024050112345000123", 2000, SQ_STATUS_RESOLVED);
	assert_int_equal(store_put_complaint(st, &r, 5003, &change, &id2, &err), SQ_OK);
	assert_int_equal(change, STORE_UPDATED);
	assert_int_equal(id1, id2);
	record_release(&r);
	assert_int_equal(store_commit(st, &err), SQ_OK);
	store_close(st);

	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaint_history"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT status = 'in_progress' AND updated_at = 1000"
					  " FROM complaint_history"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT resolved_at FROM complaints"), 2000);
	/* the update declared no link: links follow the current state */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaint_links"), 0);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct sq_record r;
	enum store_change change;
	int64_t id, n = -1;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_begin(st, &err), SQ_OK);
	make_record(&r, "X1", 1000, SQ_STATUS_OPEN);
	assert_int_equal(store_put_complaint(st, &r, 1, &change, &id, &err), SQ_OK);
	assert_int_equal(store_set_cursor(st, "hotline", "c1", 1, &err), SQ_OK);
	record_release(&r);
	store_rollback(st);
	assert_int_equal(store_count_complaints(st, &n, &err), SQ_OK);
	assert_int_equal(n, 0);
	{
		char *cursor = (char *)"x";

		assert_int_equal(store_get_cursor(st, "hotline", &cursor, &err), SQ_OK);
		assert_null(cursor);
	}
	store_close(st);
}

static void test_cursor_quarantine_and_run_log(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	struct store_run_source ok = { .source = "hotline", .pages = 3, .new_records = 250 };
	struct store_run_source bad = { .source = "liaison", .errors = 1,
					.error = "liaison: HTTP 401: bad token" };
	char *cursor = NULL, *last_error = NULL;
	int64_t run, n = 0, last_ok = 0, last_err_at = 0;

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_equal(store_set_cursor(st, "hotline", "2024-05-01 09:02:10", 10, &err), SQ_OK);
	assert_int_equal(store_set_cursor(st, "hotline", "2024-05-02 10:00:00", 11, &err), SQ_OK);
	assert_int_equal(store_get_cursor(st, "hotline", &cursor, &err), SQ_OK);
	assert_string_equal(cursor, "2024-05-02 10:00:00");
	free(cursor);

	assert_int_equal(store_quarantine(st, "hotline", NULL, "{\"title\":1}",
					  "missing orderNo", 12, &err), SQ_OK);
	assert_int_equal(store_count_quarantine(st, "hotline", &n, &err), SQ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_count_quarantine(st, "liaison", &n, &err), SQ_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_run_begin(st, "poll", 100, &run, &err), SQ_OK);
	assert_int_equal(store_run_source(st, run, &ok, &err), SQ_OK);
	assert_int_equal(store_run_source(st, run, &bad, &err), SQ_OK);
	assert_int_equal(store_run_end(st, run, 105, 1, &err), SQ_OK);

	assert_int_equal(store_source_health(st, "hotline", &last_ok, &last_error,
					     &last_err_at, &err), SQ_OK);
	assert_int_equal(last_ok, 100);
	assert_null(last_error);
	assert_int_equal(store_source_health(st, "liaison", &last_ok, &last_error,
					     &last_err_at, &err), SQ_OK);
	assert_int_equal(last_ok, 0);
	assert_string_equal(last_error, "liaison: HTTP 401: bad token");
	assert_int_equal(last_err_at, 100);
	free(last_error);
	store_close(st);
}

static void test_poll_lock_is_exclusive(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	int a = -1, b = -1;

	assert_int_equal(store_lock_poll(f->db, &a, &err), SQ_OK);
	assert_int_equal(store_lock_poll(f->db, &b, &err), SQ_ELOCKED);
	assert_int_equal(b, -1);
	assert_non_null(strstr(err.msg, "another suqiu poll is running"));
	store_unlock_poll(a);
	assert_int_equal(store_lock_poll(f->db, &b, &err), SQ_OK);
	store_unlock_poll(b);
}

static void test_unopenable_path_names_the_file(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	char *bad = test_path(f->dir, "no/such/dir/suqiu.db");

	assert_int_equal(store_open(bad, &st, &err), SQ_EDB);
	assert_non_null(strstr(err.msg, "no/such/dir/suqiu.db"));
	free(bad);
}

/* A backup taken while another connection is in the middle of writing a
 * page holds the committed state only, and is a valid database. */
static void test_backup_while_writing(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *writer, *reader;
	struct sq_record r;
	enum store_change change;
	int64_t id;
	char *copy = test_path(f->dir, "copy.db");

	assert_int_equal(store_open(f->db, &writer, &err), SQ_OK);
	assert_int_equal(store_begin(writer, &err), SQ_OK);
	make_record(&r, "C1", 1000, SQ_STATUS_OPEN);
	assert_int_equal(store_put_complaint(writer, &r, 1, &change, &id, &err), SQ_OK);
	record_release(&r);
	assert_int_equal(store_commit(writer, &err), SQ_OK);
	assert_int_equal(store_begin(writer, &err), SQ_OK);
	make_record(&r, "C2", 1000, SQ_STATUS_OPEN);
	assert_int_equal(store_put_complaint(writer, &r, 1, &change, &id, &err), SQ_OK);
	record_release(&r);

	assert_int_equal(store_open(f->db, &reader, &err), SQ_OK);
	assert_int_equal(store_backup(reader, copy, &err), SQ_OK);
	store_close(reader);
	assert_int_equal(store_commit(writer, &err), SQ_OK);
	store_close(writer);

	assert_int_equal(test_sql_int(copy, "SELECT count(*) FROM complaints"), 1);
	assert_int_equal(test_sql_int(copy, "PRAGMA user_version"), store_schema_latest());
	assert_int_equal(test_sql_int(copy, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
	free(copy);
}

static void test_backup_to_unwritable_place_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct sq_store *st;
	char *bad = test_path(f->dir, "missing-dir/copy.db");

	assert_int_equal(store_open(f->db, &st, &err), SQ_OK);
	assert_int_not_equal(store_backup(st, bad, &err), SQ_OK);
	assert_non_null(strstr(err.msg, "missing-dir/copy.db"));
	store_close(st);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_creates_latest_schema_in_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_index_follows_every_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_from_every_older_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_memory_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_lookup_across_periods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_in_memory_follows_the_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_lookups_match_a_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_rows_go_with_their_complaint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_and_link_rows_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_journal_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_columns_are_indexed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upsert_new_updated_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_restated_or_relinked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_quarantine_and_run_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_lock_is_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable_path_names_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_to_unwritable_place_fails_cleanly, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
