/*
 * The linkage index (store.h, "incidents and record linkage"): for each
 * indexed complaint one row of dedup_sigs, (at, complaint_id, sig), sig the
 * 64-bit hashes of its blocking keys and MinHash bands; the look-ups answer
 * from those rows held in memory, and pruning removes the rows of
 * complaints behind the horizon.
 *
 * Why in memory: linking one complaint looks ~30 keys and bands up and
 * indexes ~30 of its own; kept as one B-tree row per (key, complaint), at a
 * million stored those trees were 312 MB, and their look-ups, inserts,
 * pruning and the pages they wrote were ~40 % of an import
 * (docs/performance.md).  One row per complaint is ~250 bytes, written
 * once; the look-ups of a run need only the rows of the time their windows
 * cover, which are read once (`resident_cover`).  Read afresh, their
 * postings are sorted by hash into one array (each hash's stretch newest
 * first by (at, complaint_id)), which a look-up finds through a directory of
 * the hashes' top bits; postings added later (rows read as the cover
 * grows, complaints indexed by the run) go to chains, newest first.  A
 * look-up merges the two as the B-tree answered: the newest `limit` in
 * [from, to] by (at, complaint_id) descending.  (Chains for every posting
 * cost two cache misses each to build and tripled the memory a run
 * touched: at a million stored, a poll of 20 complaints faulted in 64 MB.)
 *
 * The rows in memory stay exactly those of dedup_sigs in [lo, hi]: this
 * connection's writes there are applied to both; a rollback, another
 * connection's commit (PRAGMA data_version, at each transaction's start)
 * or pruning inside [lo, hi] drops them, and the next look-up reads again.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* dedup_stats row: complaints received before this have no keys left. */
#define PRUNED_BEFORE "index_pruned_before"

/* Postings added after a fresh read are chained; when the chains hold more
 * than this and half the sorted postings, the cover is read afresh. */
#define CHAINED_MIN (1u << 16)

/* A blob of a complaint's hashes: eight bytes each, little-endian. */
#define SIG_BYTES 8

/* A row in memory; its postings refer to it by number.  A fresh read
 * numbers its rows in (at, complaint_id) order. */
struct rec {
	int64_t at, id;
	uint32_t gone;    /* the row was removed: its postings are skipped */
	uint32_t staged;  /* a fresh read's row: where its hashes start in staged */
};

/* One posting of a fresh read: a hash and its row. */
struct entry {
	uint64_t hash;
	uint32_t rec;
};

/* A fresh read's postings sorted by hash, each hash's recs descending
 * (newest first); dir[b] is the first entry whose hash's top `bits` bits
 * are >= b. */
struct sorted {
	struct entry *v;
	size_t n;
	uint32_t *dir;   /* (1 << bits) + 1 of them */
	int bits;
};

/* A posting added later; its chain runs newest first. */
struct posting {
	uint32_t rec;
	uint32_t next;   /* index + 1 of the next older posting; 0 ends the chain */
};

struct chain {
	uint64_t hash;
	uint32_t head;   /* index + 1 of the newest posting; 0: empty */
	uint32_t used;   /* the slot holds a hash (chains are never unlinked) */
};

/* Complaint id's newest row in memory.  used 0: a free slot. */
struct owner {
	int64_t id;
	uint32_t rec, used;
};

struct store_resident {
	int loaded;
	int64_t lo, hi;           /* every row with at in [lo, hi] is here */
	int64_t data_version;     /* PRAGMA data_version when read */
	struct rec *recs;
	size_t nrecs, rec_cap;
	uint64_t *staged;         /* a fresh read's hashes, row after row, until sorted */
	size_t nstaged, staged_cap;
	struct sorted sorted;
	struct chain *slots;      /* open addressing, nslots a power of two */
	size_t nslots, nchains;
	struct posting *post;
	size_t npost, cap;
	struct owner *owners;     /* by complaint id, open addressing, a power of two */
	size_t nowner_slots, nowners;
};

/* ---- hashes -------------------------------------------------------------- */

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A blocking key: FNV-1a of its bytes, mixed. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return mix64(h);
}

/* A MinHash band's hash, told apart from the same hash in another band
 * and from any key's by the band's own mixed constant. */
static uint64_t band_hash(int band, int64_t hash)
{
	return mix64((uint64_t)hash ^ mix64(0x9e3779b97f4a7c15ULL * (uint64_t)(band + 1)));
}

/* A complaint's hashes (store_ids_unique: sorted, one posting per hash)
 * as the blob. */
static void sig_encode(const struct store_ids *h, unsigned char *out)
{
	size_t i;
	int b;

	for (i = 0; i < h->n; i++)
		for (b = 0; b < SIG_BYTES; b++)
			out[i * SIG_BYTES + (size_t)b] = (unsigned char)((uint64_t)h->v[i] >> (8 * b));
}

static uint64_t sig_hash_at(const unsigned char *sig, size_t i)
{
	uint64_t h = 0;
	int b;

	for (b = SIG_BYTES - 1; b >= 0; b--)
		h = h << 8 | sig[i * SIG_BYTES + (size_t)b];
	return h;
}

/*
 * suqiu_index_sig(a, b), an aggregate for the schema step that built
 * dedup_sigs from the tables of one row per key and band: b NULL, a is a
 * blocking key; else a is the band and b its hash.  The blob of their
 * hashes, sorted, as store_dedup_index writes it.
 */
struct sig_acc {
	struct store_ids hashes;
	int oom;
};

static void sig_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sig_acc *acc = sqlite3_aggregate_context(ctx, sizeof(*acc));
	uint64_t h;

	(void)argc;
	if (!acc) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (acc->oom)
		return;
	if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		const unsigned char *key = sqlite3_value_text(argv[0]);

		if (!key)
			return;
		h = key_hash((const char *)key);
	} else {
		h = band_hash(sqlite3_value_int(argv[0]), sqlite3_value_int64(argv[1]));
	}
	if (store_ids_push(&acc->hashes, (int64_t)h))
		acc->oom = 1;
}

static void sig_final(sqlite3_context *ctx)
{
	struct sig_acc *acc = sqlite3_aggregate_context(ctx, 0);
	unsigned char *blob = NULL;

	if (acc && !acc->oom) {
		store_ids_unique(&acc->hashes);
		blob = sqlite3_malloc64(acc->hashes.n * SIG_BYTES + 1);
	}
	if (blob) {
		sig_encode(&acc->hashes, blob);
		sqlite3_result_blob64(ctx, blob, acc->hashes.n * SIG_BYTES, sqlite3_free);
	} else {
		sqlite3_result_error_nomem(ctx);
	}
	if (acc)
		store_ids_release(&acc->hashes);
}

sq_err store_index_register(struct sq_store *st, struct sq_error *err)
{
	if (sqlite3_create_function_v2(st->db, "suqiu_index_sig", 2,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
				       NULL, NULL, sig_step, sig_final, NULL) != SQLITE_OK)
		return store_db_error(st, "registering the linkage index's function", err);
	return SQ_OK;
}

/* ---- the rows in memory -------------------------------------------------- */

static void resident_clear(struct store_resident *r)
{
	free(r->recs);
	free(r->staged);
	free(r->sorted.v);
	free(r->sorted.dir);
	free(r->slots);
	free(r->post);
	free(r->owners);
	memset(r, 0, sizeof(*r));
}

void store_index_forget(struct sq_store *st)
{
	if (st->resident)
		resident_clear(st->resident);
}

void store_index_free(struct sq_store *st)
{
	store_index_forget(st);
	free(st->resident);
	st->resident = NULL;
}

static sq_err data_version(struct sq_store *st, int64_t *v, struct sq_error *err)
{
	return store_query_int(st, "PRAGMA data_version", 0, 0, 0, v,
			       "checking for other writers", err);
}

sq_err store_index_check(struct sq_store *st, struct sq_error *err)
{
	int64_t v;
	sq_err rc;

	if (!st->resident || !st->resident->loaded)
		return SQ_OK;
	rc = data_version(st, &v, err);
	if (rc || v != st->resident->data_version)
		store_index_forget(st);
	return rc;
}

/* The slot of hash: its chain's, or the free one where it would go. */
static struct chain *slot_of(const struct store_resident *r, uint64_t hash)
{
	size_t i = (size_t)hash & (r->nslots - 1);

	while (r->slots[i].used && r->slots[i].hash != hash)
		i = (i + 1) & (r->nslots - 1);
	return &r->slots[i];
}

static sq_err grow_slots(struct store_resident *r)
{
	struct store_resident old = *r;
	size_t i, n = r->nslots ? r->nslots * 2 : 1024;

	r->slots = calloc(n, sizeof(*r->slots));
	if (!r->slots) {
		r->slots = old.slots;
		return SQ_ENOMEM;
	}
	r->nslots = n;
	for (i = 0; i < old.nslots; i++)
		if (old.slots[i].used)
			*slot_of(r, old.slots[i].hash) = old.slots[i];
	free(old.slots);
	return SQ_OK;
}

/* Is a after b by (at, id)? */
static int newer(const struct rec *a, const struct rec *b)
{
	return a->at > b->at || (a->at == b->at && a->id > b->id);
}

/* Put rec into hash's chain, in its place by (at, id) descending. */
static sq_err chain_add(struct store_resident *r, uint64_t hash, uint32_t rec)
{
	struct chain *c;
	uint32_t *link;

	if ((r->nchains + 1) * 10 > r->nslots * 7 && grow_slots(r))
		return SQ_ENOMEM;
	if (r->npost >= UINT32_MAX - 1 ||
	    sq_array_reserve((void **)&r->post, &r->cap, r->npost + 1, sizeof(*r->post)))
		return SQ_ENOMEM;
	c = slot_of(r, hash);
	if (!c->used) {
		c->used = 1;
		c->hash = hash;
		r->nchains++;
	}
	link = &c->head;
	while (*link && !newer(&r->recs[rec], &r->recs[r->post[*link - 1].rec]))
		link = &r->post[*link - 1].next;
	r->post[r->npost] = (struct posting){ .rec = rec, .next = *link };
	*link = (uint32_t)++r->npost;
	return SQ_OK;
}

/* Complaint id's slot in the owners: its own, or the free one where it
 * would go. */
static struct owner *owner_of(const struct store_resident *r, int64_t id)
{
	size_t i = (size_t)mix64((uint64_t)id) & (r->nowner_slots - 1);

	while (r->owners[i].used && r->owners[i].id != id)
		i = (i + 1) & (r->nowner_slots - 1);
	return &r->owners[i];
}

static sq_err grow_owners(struct store_resident *r)
{
	struct owner *old = r->owners;
	size_t i, nold = r->nowner_slots, n = nold ? nold * 2 : 1024;

	r->owners = calloc(n, sizeof(*r->owners));
	if (!r->owners) {
		r->owners = old;
		return SQ_ENOMEM;
	}
	r->nowner_slots = n;
	for (i = 0; i < nold; i++)
		if (old[i].used)
			*owner_of(r, old[i].id) = old[i];
	free(old);
	return SQ_OK;
}

/*
 * Add complaint id's row at `at`, its n hashes in sig: staged (a fresh
 * read, sorted when it ends) or chained (added later).
 */
static sq_err resident_row(struct store_resident *r, int64_t at, int64_t id,
			   const unsigned char *sig, size_t n, int staged)
{
	struct owner *o;
	uint32_t rec;
	size_t i;

	if (!n)
		return SQ_OK;
	if (r->nrecs >= UINT32_MAX - 1 ||
	    sq_array_reserve((void **)&r->recs, &r->rec_cap, r->nrecs + 1, sizeof(*r->recs)))
		return SQ_ENOMEM;
	rec = (uint32_t)r->nrecs++;
	r->recs[rec] = (struct rec){ .at = at, .id = id, .staged = (uint32_t)r->nstaged };
	if (staged) {
		if (n >= UINT32_MAX - r->nstaged ||
		    sq_array_reserve((void **)&r->staged, &r->staged_cap, r->nstaged + n,
				     sizeof(*r->staged)))
			return SQ_ENOMEM;
		for (i = 0; i < n; i++)
			r->staged[r->nstaged++] = sig_hash_at(sig, i);
	} else {
		for (i = 0; i < n; i++)
			if (chain_add(r, sig_hash_at(sig, i), rec))
				return SQ_ENOMEM;
	}
	if ((r->nowners + 1) * 10 > r->nowner_slots * 7 && grow_owners(r))
		return SQ_ENOMEM;
	o = owner_of(r, id);
	if (!o->used)
		r->nowners++;
	*o = (struct owner){ .id = id, .rec = rec, .used = 1 };
	return SQ_OK;
}

/* Each bucket of s (by the hashes' top bits) sorted by hash, equal hashes
 * keeping their order (a few a bucket, or a common key's many in a row). */
static void sort_buckets(struct sorted *s)
{
	size_t b, i, j, nb = (size_t)1 << s->bits;

	for (b = 0; b < nb; b++) {
		for (i = s->dir[b] + 1; i < s->dir[b + 1]; i++) {
			struct entry e = s->v[i];

			for (j = i; j > s->dir[b] && s->v[j - 1].hash > e.hash; j--)
				s->v[j] = s->v[j - 1];
			s->v[j] = e;
		}
	}
}

/*
 * A fresh read's staged hashes (every rec's, rec after rec) into
 * r->sorted: counted by their top bits (about four a bucket), placed rec
 * by rec from the newest, then each bucket sorted by hash.  Each hash's
 * recs come newest first: a look-up reads from the start of its hash's
 * stretch, however long (a community's key has thousands), only as far as
 * it needs.
 */
static sq_err sort_staged(struct store_resident *r)
{
	struct sorted *s = &r->sorted;
	size_t b, i, nb, n = r->nstaged;
	uint32_t *next, rec;
	int bits = 8, shift;

	while (bits < 26 && ((size_t)1 << (bits + 2)) < n)
		bits++;
	nb = (size_t)1 << bits;
	shift = 64 - bits;
	s->dir = calloc(nb + 1, sizeof(*s->dir));
	s->v = malloc((n ? n : 1) * sizeof(*s->v));
	next = malloc(nb * sizeof(*next));
	if (!s->dir || !s->v || !next) {
		free(next);
		return SQ_ENOMEM;
	}
	for (i = 0; i < n; i++)
		s->dir[(r->staged[i] >> shift) + 1]++;
	for (b = 0; b < nb; b++)
		s->dir[b + 1] += s->dir[b];
	memcpy(next, s->dir, nb * sizeof(*next));
	for (rec = (uint32_t)r->nrecs; rec-- > 0;) {
		size_t end = rec + 1 < r->nrecs ? r->recs[rec + 1].staged : n;

		for (i = r->recs[rec].staged; i < end; i++)
			s->v[next[r->staged[i] >> shift]++] = (struct entry){ r->staged[i], rec };
	}
	free(next);
	s->n = n;
	s->bits = bits;
	sort_buckets(s);
	free(r->staged);
	r->staged = NULL;
	r->nstaged = r->staged_cap = 0;
	return SQ_OK;
}

/* Complaint id's row was removed: its postings, if resident, are skipped
 * from now on. */
static void resident_remove(struct store_resident *r, int64_t id)
{
	const struct owner *o;

	if (!r->nowner_slots)
		return;
	o = owner_of(r, id);
	if (o->used)
		r->recs[o->rec].gone = 1;
}

static int in_cover(const struct store_resident *r, int64_t at)
{
	return r->loaded && at >= r->lo && at <= r->hi;
}

/* Read the rows with at in [from, to], oldest first, into memory: staged
 * when reading afresh, else chained. */
static sq_err resident_read(struct sq_store *st, int64_t from, int64_t to, int staged,
			    struct sq_error *err)
{
	static const char sql[] =
		"SELECT at, complaint_id, sig FROM dedup_sigs WHERE at BETWEEN ?1 AND ?2"
		" ORDER BY at, complaint_id";
	struct store_resident *r = st->resident;
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, to);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 1);
		const unsigned char *sig = sqlite3_column_blob(s, 2);
		size_t bytes = (size_t)sqlite3_column_bytes(s, 2);

		if (bytes % SIG_BYTES)
			rc = sq_fail(err, SQ_EDB, "%s: the linkage index row of complaint %lld is"
				     " damaged (%zu bytes)", st->path, (long long)id, bytes);
		else if (bytes && !sig)
			rc = sq_fail(err, SQ_ENOMEM, "out of memory reading the linkage index");
		else if (resident_row(r, sqlite3_column_int64(s, 0), id, sig, bytes / SIG_BYTES,
				      staged))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory reading the linkage index");
	}
	if (!rc && step != SQLITE_DONE)
		rc = store_db_error(st, "reading the linkage index", err);
	sqlite3_reset(s);
	if (!rc && staged && sort_staged(r))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory reading the linkage index");
	return rc;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/*
 * Make [from, to] resident.  A window later than the cover extends it
 * (chained; rows come newest last, so each goes to the head of its chain)
 * while the chains stay small beside the sorted postings; any other miss
 * reads afresh.  A quarter of the window's span more on each side, so that
 * a run moving forward in time reads each row about once.
 */
static sq_err resident_cover(struct sq_store *st, int64_t from, int64_t to, struct sq_error *err)
{
	struct store_resident *r = st->resident;
	int64_t margin = to > from ? (to / 4 - from / 4) : 0, lo, hi;
	int fresh = 0;
	sq_err rc;

	if (!r) {
		r = st->resident = calloc(1, sizeof(*r));
		if (!r)
			return sq_fail(err, SQ_ENOMEM, "out of memory reading the linkage index");
	}
	if (!st->in_tx) {
		/* outside a transaction another writer may come in between */
		rc = store_index_check(st, err);
		if (rc)
			return rc;
	}
	if (r->loaded && from >= r->lo && to <= r->hi)
		return SQ_OK;
	hi = add_sat(to, margin);
	if (r->loaded && from >= r->lo && r->npost < CHAINED_MIN + r->sorted.n / 2) {
		lo = r->hi + 1;
	} else {
		resident_clear(r);
		lo = r->lo = add_sat(from, -margin);
		fresh = 1;
		rc = data_version(st, &r->data_version, err);
		if (rc)
			return rc;
	}
	rc = resident_read(st, lo, hi, fresh, err);
	if (rc) {
		resident_clear(r);
		return rc;
	}
	r->hi = hi;
	r->loaded = 1;
	return SQ_OK;
}

/* Where x stands for a look-up in [from, to] walking newest first: 1 take
 * it, 0 skip it (removed, or too new), -1 stop (too old, as all after it). */
static int window_verdict(const struct rec *x, int64_t from, int64_t to)
{
	if (x->gone || x->at > to)
		return 0;
	return x->at < from ? -1 : 1;
}

/* The next live rec under hash in the sorted postings from *i in
 * [from, to], or NULL (and *i past them). */
static const struct rec *sorted_next(const struct store_resident *r, uint64_t hash, size_t *i,
				     int64_t from, int64_t to)
{
	const struct sorted *s = &r->sorted;

	for (; *i < s->n && s->v[*i].hash == hash; ++*i) {
		const struct rec *x = &r->recs[s->v[*i].rec];
		int v = window_verdict(x, from, to);

		if (v > 0)
			return x;
		if (v < 0)
			break;
	}
	*i = s->n;
	return NULL;
}

/* The next live rec of the chain from *k in [from, to], or NULL (and *k 0). */
static const struct rec *chain_next(const struct store_resident *r, uint32_t *k, int64_t from,
				    int64_t to)
{
	for (; *k; *k = r->post[*k - 1].next) {
		const struct rec *x = &r->recs[r->post[*k - 1].rec];
		int v = window_verdict(x, from, to);

		if (v > 0)
			return x;
		if (v < 0)
			break;
	}
	*k = 0;
	return NULL;
}

/* Where hash's stretch of the sorted postings starts (if it has one). */
static size_t sorted_start(const struct sorted *s, uint64_t hash)
{
	size_t i, end;

	if (!s->n)
		return 0;
	i = s->dir[hash >> (64 - s->bits)];
	end = s->dir[(hash >> (64 - s->bits)) + 1];
	while (i < end && s->v[i].hash < hash)
		i++;
	return i;
}

/* The newest `limit` under hash in [from, to], sorted and chained postings
 * merged, appended to ids. */
static sq_err resident_lookup(struct sq_store *st, uint64_t hash, int64_t from, int64_t to,
			      int limit, struct store_ids *ids, struct sq_error *err)
{
	const struct store_resident *r;
	const struct rec *a, *b;
	size_t i;
	uint32_t k = 0;
	int got;
	sq_err rc;

	rc = resident_cover(st, from, to, err);
	if (rc)
		return rc;
	r = st->resident;
	i = sorted_start(&r->sorted, hash);
	if (r->nslots) {
		const struct chain *c = slot_of(r, hash);

		k = c->used ? c->head : 0;
	}
	a = sorted_next(r, hash, &i, from, to);
	b = chain_next(r, &k, from, to);
	for (got = 0; got < limit && (a || b); got++) {
		const struct rec *take = a && (!b || newer(a, b)) ? a : b;

		if (store_ids_push(ids, take->id))
			return sq_fail(err, SQ_ENOMEM, "out of memory looking up candidates");
		if (take == a) {
			i++;
			a = sorted_next(r, hash, &i, from, to);
		} else {
			k = r->post[k - 1].next;
			b = chain_next(r, &k, from, to);
		}
	}
	return SQ_OK;
}

sq_err store_dedup_block(struct sq_store *st, const char *key, int64_t from, int64_t to,
			 int limit, struct store_ids *ids, struct sq_error *err)
{
	return resident_lookup(st, key_hash(key), from, to, limit, ids, err);
}

sq_err store_dedup_band(struct sq_store *st, int band, int64_t hash, int64_t from,
			int64_t to, int limit, struct store_ids *ids, struct sq_error *err)
{
	return resident_lookup(st, band_hash(band, hash), from, to, limit, ids, err);
}

/* ---- writing a complaint's row ------------------------------------------- */

/*
 * Complaint id's row as it is: *same 1 when it is at `at` with exactly
 * these hashes (nothing to write), else the row, if any, is removed, and
 * its postings if they are resident.  An update that changes none of a
 * complaint's keys (most: a status, a reply) writes nothing, and its
 * postings stay where they are in their chains; putting them back in
 * place walked each chain from its newest posting to the complaint's time.
 */
static sq_err remove_row(struct sq_store *st, int64_t id, int64_t at,
			 const unsigned char *blob, size_t bytes, int *same, struct sq_error *err)
{
	static const char sql_get[] = "SELECT at, sig FROM dedup_sigs WHERE complaint_id = ?1";
	static const char sql_del[] = "DELETE FROM dedup_sigs WHERE complaint_id = ?1";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*same = 0;
	rc = store_stmt(st, sql_get, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 0) == at &&
	    (size_t)sqlite3_column_bytes(s, 1) == bytes &&
	    (!bytes || !memcmp(sqlite3_column_blob(s, 1), blob, bytes)))
		*same = 1;
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading a complaint's index row", err);
	if (*same || step == SQLITE_DONE)
		return SQ_OK;
	rc = store_stmt(st, sql_del, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_done(st, s, "clearing a complaint's index row", err);
	if (!rc && st->resident && st->resident->loaded)
		resident_remove(st->resident, id);
	return rc;
}

/* Insert the row (a complaint indexed already keeps its row) and, when
 * its time is resident, its postings. */
static sq_err insert_row(struct sq_store *st, int64_t id, int64_t at, const unsigned char *blob,
			 size_t n, struct sq_error *err)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO dedup_sigs (at, complaint_id, sig) VALUES (?1, ?2, ?3)";
	struct store_resident *r = st->resident;
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (!rc) {
		sqlite3_bind_int64(s, 1, at);
		sqlite3_bind_int64(s, 2, id);
		sqlite3_bind_blob64(s, 3, blob, n * SIG_BYTES, SQLITE_STATIC);
		rc = store_step_done(st, s, "storing a complaint's index row", err);
	}
	if (!rc && sqlite3_changes(st->db) == 1 && r && in_cover(r, at) &&
	    resident_row(r, at, id, blob, n, 0)) {
		resident_clear(r);
		rc = sq_fail(err, SQ_ENOMEM, "out of memory indexing a complaint");
	}
	return rc;
}

sq_err store_index_put(struct sq_store *st, int64_t id, int64_t at, int reindex,
		       const char *const *keys, size_t nkeys, const int64_t *bands,
		       size_t nbands, struct sq_error *err)
{
	struct store_ids hashes = { 0 };
	unsigned char *blob = NULL;
	size_t i;
	int same = 0;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < nkeys; i++)
		rc = store_ids_push(&hashes, (int64_t)key_hash(keys[i]));
	for (i = 0; !rc && i < nbands; i++)
		rc = store_ids_push(&hashes, (int64_t)band_hash((int)i, bands[i]));
	if (!rc) {
		store_ids_unique(&hashes);
		blob = malloc(hashes.n * SIG_BYTES + 1);
	}
	if (rc || !blob) {
		store_ids_release(&hashes);
		return sq_fail(err, SQ_ENOMEM, "out of memory indexing a complaint");
	}
	sig_encode(&hashes, blob);
	if (reindex)
		rc = remove_row(st, id, at, blob, hashes.n * SIG_BYTES, &same, err);
	if (!rc && !same && hashes.n)
		rc = insert_row(st, id, at, blob, hashes.n, err);
	free(blob);
	store_ids_release(&hashes);
	return rc;
}

/* ---- the horizon --------------------------------------------------------- */

sq_err store_dedup_horizon(struct sq_store *st, int64_t *newest, int64_t *pruned_before,
			   struct sq_error *err)
{
	static const char sql_newest[] = "SELECT coalesce(max(received_at), 0) FROM complaints";
	static const char sql_pruned[] =
		"SELECT value FROM dedup_stats WHERE name = '" PRUNED_BEFORE "'";
	sq_err rc;

	rc = store_query_int(st, sql_newest, 0, 0, 0, newest, "finding the newest complaint", err);
	if (!rc)
		rc = store_query_int(st, sql_pruned, 0, 0, 0, pruned_before,
				     "reading the index horizon", err);
	return rc;
}

/* Bind a slice's parameters: ?1 from, ?2 before, ?3 limit. */
static void bind_slice(sqlite3_stmt *s, int64_t from, int64_t before, int limit)
{
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
}

sq_err store_dedup_prune(struct sq_store *st, int64_t from, int64_t before, int limit,
			 int64_t *reached, struct sq_error *err)
{
	/* The slice: the first `limit` complaints received from `from` on. */
	static const char sql_rows[] =
		"DELETE FROM dedup_sigs WHERE complaint_id IN (SELECT id FROM complaints"
		" WHERE received_at >= ?1 AND received_at < ?2 ORDER BY received_at LIMIT ?3)";
	static const char sql_last[] =
		"SELECT count(*), coalesce(max(received_at), 0) FROM (SELECT received_at"
		" FROM complaints WHERE received_at >= ?1 AND received_at < ?2"
		" ORDER BY received_at LIMIT ?3)";
	static const char sql_set[] =
		"INSERT INTO dedup_stats (name, value) VALUES ('" PRUNED_BEFORE "', ?1)"
		" ON CONFLICT (name) DO UPDATE SET value = max(value, ?1)";
	sqlite3_stmt *s;
	int64_t n = 0, last = 0;
	int step;
	sq_err rc;

	*reached = from;
	rc = store_stmt(st, sql_last, &s, err);
	if (rc)
		return rc;
	bind_slice(s, from, before, limit);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		last = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return store_db_error(st, "pruning the linkage index", err);
	rc = store_stmt(st, sql_rows, &s, err);
	if (rc)
		return rc;
	bind_slice(s, from, before, limit);
	rc = store_step_done(st, s, "pruning the linkage index", err);
	if (rc)
		return rc;
	/* Rows were removed from [from, last]: postings there are gone too. */
	if (n && st->resident && st->resident->loaded && st->resident->lo <= last)
		store_index_forget(st);
	/* A full slice may have stopped inside one second: start there again
	 * (deleting nothing twice costs a look-up), unless the whole slice was
	 * that second (then a few may keep their keys); a short one reached
	 * `before`. */
	*reached = n < limit ? before : last > from ? last : from + 1;
	rc = store_stmt(st, sql_set, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, *reached);
	return store_step_done(st, s, "recording the index horizon", err);
}
