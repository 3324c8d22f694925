/*
 * common_cause — distinct complainants naming the same employer, estate,
 * building or site (wage arrears at one company reported from several
 * communities; one estate's residents calling about water, power and the
 * property manager).  Names come from detect/entities.h, not from text
 * similarity, so residents who describe the matter in different words
 * still meet on the name.
 *
 * Within detect.common_window (default 14 days) an entity flags when at
 * least detect.common_min distinct complainants name it, from two or more
 * communities or about two or more incidents (one incident with many
 * callers is dedup's business), and that many is improbable for it: the
 * predictive tail (detect_surprise) of the count, given how many
 * complainants named it in each window of the same length in the twelve
 * weeks before, is below detect.common_alpha, and it is at least three
 * times that usual count.
 * A big estate that is always in the news does not flag every fortnight.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "detect/detector.h"
#include "detect/entities.h"
#include "banned.h"

#define BASELINE_DAYS 84
#define PER_ROW 8
#define RATIO_MIN 3.0
#define PER_INCIDENT 2

static int64_t window_s(const struct sq_detect_config *dc)
{
	return dc->common_window_ms > 0 ? dc->common_window_ms / 1000 : 14 * 86400;
}

static int64_t lookback(const struct sq_detect_config *dc)
{
	/* A day more than needed: the first stored complaint then lies before
	 * the baseline's start in a store that has the whole baseline. */
	return window_s(dc) + (BASELINE_DAYS + 1) * 86400;
}

struct mention {
	const struct detect_entity *e;   /* set once every row was read */
	size_t ent, row;
};

static int cmp_mention(const void *a, const void *b)
{
	const struct mention *x = a, *y = b;
	int c = strcmp(x->e->key, y->e->key);

	if (c)
		return c;
	return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_cstr(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return strcmp(x ? x : "", y ? y : "");
}

/* Distinct non-NULL strings among s[0..n) (sorts s). */
static size_t distinct(const char **s, size_t n)
{
	size_t i, d = 0;

	qsort(s, n, sizeof(*s), cmp_cstr);
	for (i = 0; i < n; i++)
		if (s[i] && (i == 0 || !s[i - 1] || strcmp(s[i], s[i - 1])))
			d++;
	return d;
}

/* One complainant of one incident: its unit key and contact hash (NULL: anonymous). */
struct caller {
	int64_t unit;
	const char *hash;
};

struct cc {
	struct detect_ctx *ctx;
	int64_t w0;
	int64_t baseline_s;     /* history before the window (may be <= 0: none) */
	size_t *unit_of_row;
	const char **scratch;   /* nrows entries */
	int64_t *keys;          /* nrows entries */
	struct caller *callers; /* nrows entries */
};

static int cmp_caller(const void *a, const void *b)
{
	const struct caller *x = a, *y = b;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	return cmp_cstr(&x->hash, &y->hash);
}

/*
 * Complainants of rows m[0..n): distinct contact hashes plus anonymous rows,
 * counted per incident and at most cap from one incident; *all (when not
 * NULL) receives the count without the cap.
 */
static size_t complainants(struct cc *cc, const struct mention *m, size_t n, size_t cap,
			   size_t *all)
{
	const struct detect_input *in = cc->ctx->in;
	struct caller *c = cc->callers;
	size_t i, k = 0, total = 0, uncapped = 0, here = 0;

	for (i = 0; i < n; i++) {
		const char *h = in->rows[m[i].row].contact_hash;

		if (i && m[i].row == m[i - 1].row)
			continue;
		c[k].unit = in->units[cc->unit_of_row[m[i].row]].key;
		c[k++].hash = h && *h ? h : NULL;
	}
	qsort(c, k, sizeof(*c), cmp_caller);
	for (i = 0; i < k; i++) {
		int new_unit = i == 0 || c[i].unit != c[i - 1].unit;

		if (new_unit) {
			total += here < cap ? here : cap;
			uncapped += here;
			here = 0;
		}
		if (!c[i].hash || new_unit || !c[i - 1].hash || strcmp(c[i].hash, c[i - 1].hash))
			here++;
	}
	if (all)
		*all = uncapped + here;
	return total + (here < cap ? here : cap);
}

static sq_err entity_group(struct cc *cc, const struct mention *m, size_t n)
{
	struct detect_ctx *ctx = cc->ctx;
	const struct detect_input *in = ctx->in;
	const struct detect_entity *e = m[0].e;
	size_t i, nb = 0, people, counted, base_people, ncomm, ncat, nunits;
	const char *name = e->name, *comm = NULL, *cat = NULL;
	const struct mention *w;
	struct detect_finding f;
	double lambda, p, blocks;
	int64_t win_s;
	char win[32];

	/* Mentions are sorted by row, rows by time: the baseline comes first. */
	while (nb < n && in->rows[m[nb].row].received_at < cc->w0)
		nb++;
	w = m + nb;
	n -= nb;
	if ((int64_t)n < ctx->dc->common_min)
		return SQ_OK;
	/* What is tested against the history counts at most PER_INCIDENT
	 * complainants of one incident: the neighbours who call again about
	 * one matter are that matter's business (dedup's), not more evidence
	 * that a name is in the news.  The summary gives them all. */
	counted = complainants(cc, w, n, PER_INCIDENT, &people);
	if ((int64_t)people < ctx->dc->common_min)
		return SQ_OK;
	for (i = 0; i < n; i++)
		cc->keys[i] = in->units[cc->unit_of_row[w[i].row]].key;
	nunits = detect_count_distinct(cc->keys, n);
	for (i = 0; i < n; i++)
		cc->scratch[i] = in->rows[w[i].row].own_community;
	ncomm = distinct(cc->scratch, n);
	if (ncomm == 1)
		for (i = 0; i < n && !comm; i++)
			comm = cc->scratch[i];
	if (ncomm < 2 && nunits < 2)
		return SQ_OK;
	for (i = 0; i < n; i++)
		cc->scratch[i] = in->rows[w[i].row].category;
	ncat = distinct(cc->scratch, n);
	if (ncat == 1)
		for (i = 0; i < n && !cat; i++)
			cat = cc->scratch[i];
	/*
	 * The history, in windows as long as the current one: distinct
	 * complainants are not additive (a resident who calls every week is one
	 * complainant a fortnight but still one in twelve weeks), so each
	 * earlier window is counted as the current one is, and summed.
	 */
	win_s = ctx->now - cc->w0;
	blocks = cc->baseline_s > 0 ? (double)(cc->baseline_s / win_s) : 0;
	base_people = 0;
	if (blocks < 1) {
		/* Less history than one window: what there is, as one window. */
		blocks = 1;
		base_people = nb ? complainants(cc, m, nb, PER_INCIDENT, NULL) : 0;
	} else {
		size_t lo = nb, hi = nb, b;

		for (b = 1; b <= (size_t)blocks; b++) {
			int64_t from = cc->w0 - (int64_t)b * win_s;

			while (lo > 0 && in->rows[m[lo - 1].row].received_at >= from)
				lo--;
			if (hi > lo)
				base_people += complainants(cc, m + lo, hi - lo, PER_INCIDENT, NULL);
			hi = lo;
		}
	}
	lambda = ((double)base_people + 0.5) / blocks;
	p = detect_surprise((int64_t)counted, (double)base_people, blocks);
	/* A name everybody uses (a big estate is in half its residents'
	 * addresses) fluctuates more than chance: a burst is also at least
	 * RATIO_MIN times its usual count. */
	if (p >= ctx->dc->common_alpha || (double)counted < RATIO_MIN * lambda)
		return SQ_OK;
	for (i = 0; i < n; i++)   /* the fullest spelling names it best */
		if (strlen(w[i].e->name) > strlen(name))
			name = w[i].e->name;

	detect_finding_init(&f, FLAG_COMMON_CAUSE);
	f.severity = FLAG_MEDIUM;
	f.threshold = ctx->dc->common_min;
	f.min_fresh = ctx->dc->common_min;
	for (i = 0; i < n; i++)
		if (detect_finding_add(&f, in->rows[w[i].row].id))
			goto oom;
	detect_duration_label((ctx->now - cc->w0) * 1000, win, sizeof(win));
	if (detect_finding_key(&f, "common_cause:%s", e->key) ||
	    detect_finding_place(&f, cat, comm) ||
	    detect_finding_summary(&f, "%s内 %zu 位诉求人（%zu 个社区）反映同一%s「%s」%s%s%s",
				   win, people, ncomm, detect_entity_type_label(e->type), name,
				   cat ? "，均为「" : "", cat ? flag_category_label(cat) : "",
				   cat ? "」问题" : "") ||
	    detect_finding_detail(&f, "%zu 起事件；同一事件至多计 %d 位诉求人，本期计 %zu 位，"
				  "此前 %.0f 个同样长的时段共计 %zu 位，期望 %.2f，尾概率 %.2g（阈值 %.2g）",
				  nunits, PER_INCIDENT, counted, blocks, base_people, lambda, p,
				  ctx->dc->common_alpha))
		goto oom;
	return detect_emit(ctx, &f);
oom:
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

/*
 * The names a text gives are kept as its memo (detect_each_memo), one line
 * each: the type's digit, a tab, the key, a tab, the name as written.  Keys
 * and names are name characters and suffixes (entities.c), never a tab or
 * a newline.  The memo's version is the extraction's
 * (DETECT_ENTITIES_VERSION; a change of this format bumps it too): memos
 * of another version are derived again.
 */
#define MEMO_VERSION DETECT_ENTITIES_VERSION

/* The texts go into out first: the names found are copies, so out is then free. */
static sq_err derive_names(const char *title, const char *text, struct sq_buf *out)
{
	struct detect_entity found[PER_ROW];
	size_t k, j;

	if (sq_buf_adds(out, title ? title : "") || sq_buf_adds(out, "。") ||
	    sq_buf_adds(out, text ? text : ""))
		return SQ_ENOMEM;
	k = detect_extract_entities(out->data, found, PER_ROW);
	sq_buf_reset(out);
	for (j = 0; j < k; j++)
		if (sq_buf_addf(out, "%d\t%s\t%s\n", (int)found[j].type, found[j].key,
				found[j].name))
			return SQ_ENOMEM;
	return SQ_OK;
}

/* One line of a memo into e; the line's end, or NULL when it is malformed. */
static const char *decode_name(const char *p, struct detect_entity *e)
{
	const char *key = p + 2, *name, *end;

	if (p[0] < '0' || p[0] > '0' + ENTITY_SITE || p[1] != '\t')
		return NULL;
	name = strchr(key, '\t');
	end = name ? strchr(name + 1, '\n') : NULL;
	if (!end || name == key || end == name + 1 || (size_t)(name - key) >= sizeof(e->key) ||
	    (size_t)(end - name - 1) >= sizeof(e->name))
		return NULL;
	e->type = (enum entity_type)(p[0] - '0');
	memcpy(e->key, key, (size_t)(name - key));
	e->key[name - key] = '\0';
	memcpy(e->name, name + 1, (size_t)(end - name - 1));
	e->name[end - name - 1] = '\0';
	return end + 1;
}

/* Every name of the look-back period, from the texts' memos. */
struct names {
	struct detect_ctx *ctx;
	struct detect_entity *ents;
	struct mention *m;
	size_t n, ents_cap, m_cap;
};

static sq_err read_names(void *arg, size_t row, const char *memo)
{
	struct names *nm = arg;
	const char *p = memo;

	while (*p) {
		if (sq_array_reserve((void **)&nm->ents, &nm->ents_cap, nm->n + 1, sizeof(*nm->ents)) ||
		    sq_array_reserve((void **)&nm->m, &nm->m_cap, nm->n + 1, sizeof(*nm->m)))
			return sq_fail(nm->ctx->err, SQ_ENOMEM, "out of memory");
		p = decode_name(p, &nm->ents[nm->n]);
		if (!p)
			return sq_fail(nm->ctx->err, SQ_EDB,
				       "the names kept for complaint %lld in detect_memos are malformed;"
				       " deleting that row has them found again",
				       (long long)nm->ctx->in->rows[row].id);
		nm->m[nm->n] = (struct mention){ NULL, nm->n, row };
		nm->n++;
	}
	return SQ_OK;
}

static sq_err run(struct detect_ctx *ctx)
{
	const struct detect_input *in = ctx->in;
	struct cc cc = { 0 };
	struct names nm = { ctx, NULL, NULL, 0, 0, 0 };
	size_t nr = in->nrows, i, j;
	sq_err rc = SQ_OK;

	if (!nr || !in->nunits)
		return SQ_OK;
	cc.ctx = ctx;
	cc.w0 = ctx->now - window_s(ctx->dc);
	/* Twelve weeks, or the history there is: weeks before the first stored
	 * complaint are unknown, not quiet — counting them as "nobody named it"
	 * made every estate look new in a young database. */
	cc.baseline_s = cc.w0 - in->rows[0].received_at;
	if (cc.baseline_s > BASELINE_DAYS * 86400)
		cc.baseline_s = BASELINE_DAYS * 86400;
	cc.unit_of_row = malloc(nr * sizeof(*cc.unit_of_row));
	cc.scratch = malloc(nr * sizeof(*cc.scratch));
	cc.keys = malloc(nr * sizeof(*cc.keys));
	cc.callers = malloc(nr * sizeof(*cc.callers));
	if (!cc.unit_of_row || !cc.scratch || !cc.keys || !cc.callers)
		goto oom;
	for (i = 0; i < in->nunits; i++)
		for (j = 0; j < in->units[i].nrows; j++)
			cc.unit_of_row[in->units[i].rows[j]] = i;
	rc = detect_each_memo(ctx, ctx->now - lookback(ctx->dc), MEMO_VERSION, derive_names,
			      read_names, &nm);
	if (rc)
		goto out;
	for (i = 0; i < nm.n; i++)
		nm.m[i].e = &nm.ents[nm.m[i].ent];
	if (nm.n)   /* m is NULL when nothing was mentioned: qsort(NULL, 0) is undefined */
		qsort(nm.m, nm.n, sizeof(*nm.m), cmp_mention);
	for (i = 0; i < nm.n && !rc; i = j) {
		for (j = i; j < nm.n && !strcmp(nm.m[j].e->key, nm.m[i].e->key); j++)
			;
		rc = entity_group(&cc, &nm.m[i], j - i);
	}
	goto out;
oom:
	rc = sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
out:
	free(cc.unit_of_row);
	free(cc.scratch);
	free(cc.keys);
	free(cc.callers);
	free(nm.ents);
	free(nm.m);
	return rc;
}

const struct sq_detector detector_common_cause = { "common_cause", lookback, run };
