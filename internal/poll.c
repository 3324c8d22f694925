/* One collection run, and imports of saved pages (poll.h). */
#include "poll.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "connectors/connector.h"
#include "http.h"
#include "normalize.h"
#include "record.h"
#include "banned.h"

/* ---- the system clock ----------------------------------------------------- */

static int64_t clock_read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t sys_wall_ms(void *ctx)
{
	(void)ctx;
	return clock_read_ms(CLOCK_REALTIME);
}

static int64_t sys_now_ms(void *ctx)
{
	const struct poll_system_clock *s = ctx;

	return s->fixed_now_ms > 0 ? s->fixed_now_ms : clock_read_ms(CLOCK_REALTIME);
}

static int64_t sys_mono_ms(void *ctx)
{
	(void)ctx;
	return clock_read_ms(CLOCK_MONOTONIC);
}

static void sys_sleep_ms(void *ctx, int64_t ms)
{
	struct timespec ts, rem;

	(void)ctx;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

static double sys_rand01(void *ctx)
{
	struct poll_system_clock *s = ctx;
	uint64_t x = s->rng;

	/* xorshift64*: jitter needs spread, not secrecy. */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

void poll_clock_system(struct poll_clock *c, struct poll_system_clock *state,
		       int64_t fixed_now_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	state->fixed_now_ms = fixed_now_ms;
	state->rng = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
		     0x9E3779B97F4A7C15ULL;
	if (!state->rng)
		state->rng = 1;
	c->now_ms = sys_now_ms;
	c->wall_ms = sys_wall_ms;
	c->mono_ms = sys_mono_ms;
	c->sleep_ms = sys_sleep_ms;
	c->rand01 = sys_rand01;
	c->ctx = state;
}

/* ---- one source ----------------------------------------------------------- */

/* The ids a page (or an import batch) inserted or changed, for the hooks. */
struct id_list {
	int64_t *ids;
	size_t n, cap;
};

/*
 * An import's open transaction: the pages stored in it but not committed
 * yet, their figures and ids.  Poll never has one (each page commits with
 * its cursor).
 */
struct batch {
	int open;
	size_t records;
	struct store_run_source pending;
	struct id_list changed;
};

struct poller {
	const struct sq_config *cfg;
	struct sq_store *st;
	struct sq_http *http;
	const struct sq_normalizer *norm;
	const struct poll_options *opt;
	struct batch *batch;        /* NULL: every page in a transaction of its own */
};

static void fault(const struct poller *p, const char *point)
{
	if (p->opt->fault)
		p->opt->fault(p->opt->fault_ctx, point);
}

static void note(const struct poller *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct poller *p, const char *fmt, ...)
{
	char msg[SQ_ERRMSG_MAX];
	va_list ap;

	if (!p->opt->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->opt->note(p->opt->note_ctx, msg);
}

static int64_t now_s(const struct poller *p)
{
	const struct poll_clock *c = &p->opt->clock;

	return c->now_ms(c->ctx) / 1000;
}

static sq_err ids_add(struct id_list *l, int64_t id)
{
	if (sq_array_reserve((void **)&l->ids, &l->cap, l->n + 1, sizeof(*l->ids)))
		return SQ_ENOMEM;
	l->ids[l->n++] = id;
	return SQ_OK;
}

/*
 * Normalize the page's records; those normalize_record refuses as data
 * (bad text, a missing time) join the page's quarantine.  Configuration
 * problems (no site key) and memory stop the source instead.
 */
static sq_err normalize_page(const struct poller *p, struct sq_conn_page *page,
			     struct sq_error *err)
{
	size_t i = 0;

	while (i < page->nrecords) {
		struct sq_record *r = &page->records[i];
		struct sq_error e = { 0 };
		struct sq_conn_bad *grown, b = { 0 };
		sq_err rc = normalize_record(p->norm, r, &e);

		if (rc == SQ_OK) {
			i++;
			continue;
		}
		if (rc != SQ_EPARSE && rc != SQ_ECHARSET) {
			*err = e;
			return sq_error_prefix(err, "normalizing %s: ",
					       r->source_id ? r->source_id : "a record");
		}
		grown = realloc(page->bad, (page->nbad + 1) * sizeof(*grown));
		if (!grown)
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		page->bad = grown;
		b.raw = r->raw;
		r->raw = NULL;
		b.source_id = r->source_id;
		r->source_id = NULL;
		b.reason = sq_strdup(e.msg);
		if (!b.reason) {
			r->raw = b.raw;
			r->source_id = b.source_id;
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		}
		if (!b.raw && !(b.raw = sq_strdup(""))) {
			free(b.reason);
			r->source_id = b.source_id;
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		}
		page->bad[page->nbad++] = b;
		record_release(r);
		memmove(r, r + 1, (page->nrecords - i - 1) * sizeof(*r));
		page->nrecords--;
	}
	return SQ_OK;
}

static void stats_add(struct store_run_source *to, const struct store_run_source *d)
{
	to->pages += d->pages;
	to->fetched += d->fetched;
	to->new_records += d->new_records;
	to->updated += d->updated;
	to->unchanged += d->unchanged;
	to->quarantined += d->quarantined;
}

/*
 * Store the records and quarantine of a page, and its cursor when not
 * NULL, into the open transaction; *d receives its figures, changed the ids
 * it inserted or changed, unlinked those of them the placer did not link.
 */
static sq_err put_page(const struct poller *p, const struct sq_source_config *src,
		       const struct sq_conn_page *page, void *const *preps, const char *cursor,
		       struct store_run_source *d, struct id_list *changed,
		       struct id_list *unlinked, struct sq_error *err)
{
	const struct store_placer *placer = p->opt->placer.place ? &p->opt->placer : NULL;
	int64_t now = now_s(p);
	size_t i;
	sq_err rc;

	for (i = 0; i < page->nrecords; i++) {
		enum store_change change;
		int64_t id = 0;

		rc = store_put_placed(p->st, &page->records[i], preps ? preps[i] : NULL, now, placer,
				      &change, &id, err);
		if (rc)
			return rc;
		fault(p, "mid_page");
		if (change == STORE_NEW)
			d->new_records++;
		else if (change == STORE_UPDATED || change == STORE_RESTATED)
			d->updated++;
		else
			d->unchanged++;
		if (change != STORE_UNCHANGED && ids_add(changed, id))
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		if (change == STORE_UPDATED || (change == STORE_NEW && !placer))
			if (ids_add(unlinked, id))
				return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	for (i = 0; i < page->nbad; i++) {
		rc = store_quarantine(p->st, src->name, page->bad[i].source_id, page->bad[i].raw,
				      page->bad[i].reason, now, err);
		if (rc)
			return rc;
	}
	if (cursor) {
		rc = store_set_cursor(p->st, src->name, cursor, now, err);
		if (rc)
			return rc;
	}
	d->pages = 1;
	d->fetched = (int64_t)(page->nrecords + page->nbad);
	d->quarantined = (int64_t)page->nbad;
	return SQ_OK;
}

/*
 * Commit what is open (*committed says whether it was); the figures count
 * from then on; then after_page, whose failure leaves the commit alone.
 */
static sq_err commit(const struct poller *p, struct store_run_source *stats,
		     const struct store_run_source *d, const struct id_list *changed,
		     int *committed, struct sq_error *err)
{
	sq_err rc;

	*committed = 0;
	fault(p, "before_commit");
	rc = p->opt->before_commit ? p->opt->before_commit(p->opt->before_commit_ctx, err) : SQ_OK;
	if (!rc)
		rc = store_commit(p->st, err);
	if (rc)
		return rc;
	*committed = 1;
	fault(p, "after_commit");
	stats_add(stats, d);
	if (p->opt->after_page)
		return p->opt->after_page(p->opt->after_page_ctx, changed->ids, changed->n, err);
	return SQ_OK;
}

static void batch_reset(struct batch *b)
{
	free(b->changed.ids);
	memset(b, 0, sizeof(*b));
}

/*
 * Commit an import's open batch, if any (its pages count from now on).
 * On failure everything in it is rolled back and not counted.
 */
static sq_err batch_commit(const struct poller *p, struct store_run_source *stats,
			   struct sq_error *err)
{
	struct batch *b = p->batch;
	int committed;
	sq_err rc;

	if (!b || !b->open)
		return SQ_OK;
	b->open = 0;
	rc = commit(p, stats, &b->pending, &b->changed, &committed, err);
	if (rc && !committed)
		store_rollback(p->st);
	batch_reset(b);
	return rc;
}

/*
 * Store one parsed and normalized page — records, quarantine and (when
 * cursor is not NULL) the source's new cursor — and link it (the placer,
 * in_page), all in one transaction, then call after_page; preps: what
 * opt->prepare made of each record, or NULL.  In an import batch, the
 * transaction stays open until the batch has opt->batch_records records
 * (batch_commit).
 */
static sq_err store_normalized(const struct poller *p, const struct sq_source_config *src,
			       struct sq_conn_page *page, void *const *preps, const char *cursor,
			       struct store_run_source *stats, struct sq_error *err)
{
	struct id_list own = { 0 }, *changed = p->batch ? &p->batch->changed : &own;
	struct id_list unlinked = { 0 };
	struct store_run_source d = { 0 };
	int committed;
	sq_err rc;

	if (!p->batch || !p->batch->open) {
		rc = store_begin(p->st, err);
		if (rc)
			return rc;
		if (p->batch)
			p->batch->open = 1;
	}
	rc = put_page(p, src, page, preps, cursor, &d, changed, &unlinked, err);
	if (!rc && p->opt->in_page)
		rc = p->opt->in_page(p->opt->in_page_ctx, unlinked.ids, unlinked.n, err);
	free(unlinked.ids);
	if (rc)
		goto fail;
	if (p->batch) {
		stats_add(&p->batch->pending, &d);
		p->batch->records += page->nrecords + page->nbad;
		if (p->batch->records < p->opt->batch_records)
			return SQ_OK;
		return batch_commit(p, stats, err);
	}
	rc = commit(p, stats, &d, &own, &committed, err);
	if (rc && !committed)
		goto fail;
	free(own.ids);
	return rc;
fail:
	store_rollback(p->st);
	if (p->batch)
		batch_reset(p->batch);
	free(own.ids);
	return rc;
}

/* store_normalized, normalizing the page first. */
static sq_err store_page(const struct poller *p, const struct sq_source_config *src,
			 struct sq_conn_page *page, const char *cursor,
			 struct store_run_source *stats, struct sq_error *err)
{
	sq_err rc = normalize_page(p, page, err);

	return rc ? rc : store_normalized(p, src, page, NULL, cursor, stats, err);
}

/* Replace every occurrence of secret in msg by "***" (in place, one line). */
static void redact(char *msg, const char *secret)
{
	size_t slen = secret ? strlen(secret) : 0;
	char *at;

	if (!slen)
		return;
	while ((at = strstr(msg, secret))) {
		size_t tail = strlen(at + slen);

		if (slen >= 3) {
			memcpy(at, "***", 3);
			memmove(at + 3, at + slen, tail + 1);
		} else {
			memset(at, '*', slen);
		}
	}
}

/* How many attempts and how long a source may spend, from the http section. */
static int max_attempts(const struct sq_config *cfg)
{
	int64_t n = cfg->http.max_attempts;

	return n < 1 ? 1 : n > 1000 ? 1000 : (int)n;
}

/*
 * Fetch and parse one page, with the retry loop.  *cursor is the page's
 * cursor (replaced on a RESTART).  On success page holds a PAGE or
 * NOT_MODIFIED verdict, or *idle is set.  On failure err says why, with
 * the page's description in *what.
 */
static sq_err fetch_page(const struct poller *p, const struct sq_source_config *src,
			 int page_no, char **cursor, int *restarted, int64_t started,
			 struct sq_conn_page *page, int *idle, char **what,
			 struct poll_source_result *res, struct sq_error *err)
{
	const struct sq_connector *conn = src->connector;
	const struct poll_clock *clk = &p->opt->clock;
	int attempt = 1, resigned = 0;
	sq_err rc;

	for (;;) {
		struct sq_conn_env env = { clk->now_ms(clk->ctx), clk->wall_ms(clk->ctx), NULL };
		struct sq_conn_request req = { 0 };
		struct sq_http_request hreq;
		struct sq_http_response resp = { 0 };
		enum sq_verdict verdict;
		int64_t hint = -1, delay, spent;

		memset(page, 0, sizeof(*page));
		rc = conn->build_request(src, *cursor, &env, &req, err);
		if (rc) {
			conn_request_release(&req);
			return rc;
		}
		free(*what);
		*what = req.what;
		req.what = NULL;
		if (req.idle) {
			conn_request_release(&req);
			*idle = 1;
			return SQ_OK;
		}
		hreq.url = req.url;
		hreq.headers = (const char *const *)req.headers;
		hreq.nheaders = req.nheaders;
		sq_error_clear(err);
		resp.retry_after_ms = -1;
		rc = http_get(p->http, &hreq, &resp, err);
		redact(err->msg, req.redact);
		conn_request_release(&req);
		if (rc == SQ_OK) {
			fault(p, "after_fetch");
			rc = conn->parse_page(src, *cursor, &env, &resp, page, err);
			if (rc) {
				http_response_release(&resp);
				return rc;
			}
			verdict = page->verdict;
			hint = page->retry_after_ms;
		} else if (rc == SQ_ERETRY || rc == SQ_ECHARSET) {
			/* A failed fetch of this page (timeout, cut short, bad bytes). */
			verdict = SQ_VERDICT_RETRY;
		} else {
			verdict = SQ_VERDICT_FATAL;
		}
		http_response_release(&resp);

		switch (verdict) {
		case SQ_VERDICT_PAGE:
		case SQ_VERDICT_NOT_MODIFIED:
			return SQ_OK;
		case SQ_VERDICT_FATAL:
			conn_page_release(page);
			return err->code ? err->code : SQ_EFATAL;
		case SQ_VERDICT_RESIGN:
			conn_page_release(page);
			if (resigned)
				return sq_error_prefix(err, "refused again after signing afresh: ");
			resigned = 1;
			res->retries++;
			note(p, "%s: page %d (%s): %s; signing afresh and trying once more",
			     src->name, page_no, *what ? *what : "", err->msg);
			continue;
		case SQ_VERDICT_RESTART:
			if (*restarted) {
				conn_page_release(page);
				return sq_error_prefix(err, "refused again after restarting the walk: ");
			}
			*restarted = 1;
			res->retries++;
			note(p, "%s: page %d (%s): %s; restarting the walk from %s", src->name,
			     page_no, *what ? *what : "", err->msg,
			     page->cursor ? page->cursor : "the start");
			free(*cursor);
			*cursor = page->cursor;
			page->cursor = NULL;
			conn_page_release(page);
			continue;
		case SQ_VERDICT_RETRY:
			break;
		}
		conn_page_release(page);
		if (attempt >= max_attempts(p->cfg)) {
			sq_err code = err->code ? err->code : SQ_ERETRY;

			sq_error_prefix(err, "gave up after %d attempts: ", attempt);
			err->code = code;
			return code;
		}
		delay = http_retry_delay_ms(&p->cfg->http, attempt, hint, clk->rand01(clk->ctx));
		spent = clk->mono_ms(clk->ctx) - started;
		if (p->cfg->http.budget_ms > 0 && spent + delay > p->cfg->http.budget_ms) {
			sq_err code = err->code ? err->code : SQ_ERETRY;

			sq_error_prefix(err, "gave up after %d attempts (retry budget of %lld ms spent): ",
					attempt, (long long)p->cfg->http.budget_ms);
			err->code = code;
			return code;
		}
		note(p, "%s: page %d (%s): %s; retry %d in %lld ms", src->name, page_no,
		     *what ? *what : "", err->msg, attempt, (long long)delay);
		res->retries++;
		attempt++;
		clk->sleep_ms(clk->ctx, delay);
	}
}

static sq_err poll_source(const struct poller *p, const struct sq_source_config *src,
			  struct poll_source_result *res)
{
	const struct poll_clock *clk = &p->opt->clock;
	struct sq_error *err = &res->err;
	int64_t started = clk->mono_ms(clk->ctx);
	char *cursor = NULL, *what = NULL;
	int page_no = 0, restarted = 0;
	sq_err rc;

	res->src = src;
	res->stats.source = src->name;
	if (!src->connector || !src->connector->build_request || !src->connector->parse_page) {
		rc = sq_fail(err, SQ_ECONFIG, "%s: no connector for type '%s'", src->name,
			     src->type ? src->type : "?");
		goto out;
	}
	rc = store_get_cursor(p->st, src->name, &cursor, err);
	if (rc) {
		sq_error_prefix(err, "%s: ", src->name);
		goto out;
	}
	for (;;) {
		struct sq_conn_page page = { 0 };
		int idle = 0;

		page_no++;
		rc = fetch_page(p, src, page_no, &cursor, &restarted, started, &page, &idle, &what,
				res, err);
		if (!rc && idle)
			break;
		if (!rc) {
			rc = store_page(p, src, &page, page.cursor, &res->stats, err);
			if (!rc) {
				free(cursor);
				cursor = page.cursor;
				page.cursor = NULL;
				if (p->opt->progress)
					p->opt->progress(p->opt->progress_ctx, res);
			}
		}
		if (rc) {
			conn_page_release(&page);
			sq_error_prefix(err, "%s: page %d%s%s%s: ", src->name, page_no,
					what ? " (" : "", what ? what : "", what ? ")" : "");
			goto out;
		}
		if (!page.more) {
			conn_page_release(&page);
			break;
		}
		conn_page_release(&page);
		if (p->cfg->http.budget_ms > 0 &&
		    clk->mono_ms(clk->ctx) - started >= p->cfg->http.budget_ms) {
			/* Committed pages are safe; the cursor says where to go on. */
			res->more_left = 1;
			note(p, "%s: budget of %lld ms spent after page %d; the next run goes on",
			     src->name, (long long)p->cfg->http.budget_ms, page_no);
			break;
		}
	}
out:
	free(cursor);
	free(what);
	res->rc = rc;
	res->stats.duration_ms = clk->mono_ms(clk->ctx) - started;
	if (rc) {
		res->stats.errors = 1;
		res->stats.error = err->msg;
	} else {
		sq_error_clear(err);
	}
	return rc;
}

/* ---- the run ------------------------------------------------------------------- */

static int wanted(const struct poll_options *opt, const struct sq_source_config *src)
{
	size_t i;

	if (!opt->nonly)
		return src->enabled;
	for (i = 0; i < opt->nonly; i++)
		if (!strcmp(opt->only[i], src->name))
			return 1;
	return 0;
}

sq_err poll_run(const struct sq_config *cfg, struct sq_store *st, struct sq_http *http,
		const struct sq_normalizer *norm, const struct poll_options *opt,
		struct poll_result *out, struct sq_error *err)
{
	struct poller p = { cfg, st, http, norm, opt, NULL };
	size_t i, n = 0;
	sq_err rc;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < opt->nonly; i++)
		if (!config_find_source(cfg, opt->only[i]))
			return sq_fail(err, SQ_ENOTFOUND, "no source named '%s' in %s", opt->only[i],
				       cfg->path ? cfg->path : "the configuration");
	for (i = 0; i < cfg->nsources; i++)
		n += wanted(opt, &cfg->sources[i]) ? 1 : 0;
	if (n && !(out->sources = calloc(n, sizeof(*out->sources))))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < cfg->nsources; i++) {
		struct poll_source_result *res;

		if (!wanted(opt, &cfg->sources[i]))
			continue;
		res = &out->sources[out->n++];
		if (poll_source(&p, &cfg->sources[i], res))
			out->failed++;
		if (res->rc == SQ_ENOMEM)
			return sq_fail(err, SQ_ENOMEM, "%s", res->err.msg);
		if (opt->run_id) {
			rc = store_run_source(st, opt->run_id, &res->stats, err);
			if (rc)
				return rc;
		}
	}
	return SQ_OK;
}

void poll_result_release(struct poll_result *r)
{
	free(r->sources);
	memset(r, 0, sizeof(*r));
}

/* ---- import ------------------------------------------------------------------- */

/*
 * An import parses and normalizes its pages on a second thread while the
 * first stores and links them, page after page in the file's order: the
 * connector and the normalizer read only their configuration, and storing
 * a page waits for nothing but the pages before it.  Parsed pages wait in a
 * ring of AHEAD slots.
 */
#define AHEAD 4

/* A page as the parsing thread leaves it. */
struct parsed {
	int number;
	sq_err rc;                 /* parse_page's: stops the import */
	sq_err norm_rc;            /* normalize_page's or prepare's (a page) */
	struct sq_error err;       /* with rc, norm_rc or a refused page */
	struct sq_conn_page page;
	void **preps;              /* opt->prepare's of each record, or NULL */
};

struct ahead {
	pthread_mutex_t lock;
	pthread_cond_t moved;      /* a slot was filled or emptied, or a side stopped */
	struct parsed slot[AHEAD];
	size_t first, n;           /* the ring's full slots */
	int done;                  /* no more pages will come */
	int stop;                  /* the storing side wants no more */
	sq_err split_rc;           /* conn_split_pages' own failure */
	const struct poller *p;
	const struct sq_source_config *src;
	struct sq_conn_env env;    /* the import's start: parse_page's now */
	const char *text;
	size_t len;
};

struct importer {
	const struct poller *p;
	const struct sq_source_config *src;
	const char *file;
	struct poll_import_result *out;
	struct sq_error *err;
};

/* opt->prepare for each record of a normalized page, when there is one. */
static sq_err prepare_page(const struct poller *p, struct parsed *pp)
{
	size_t i;
	sq_err rc = SQ_OK;

	if (!p->opt->prepare || !pp->page.nrecords)
		return SQ_OK;
	pp->preps = calloc(pp->page.nrecords, sizeof(*pp->preps));
	if (!pp->preps)
		return sq_fail(&pp->err, SQ_ENOMEM, "out of memory");
	for (i = 0; !rc && i < pp->page.nrecords; i++)
		rc = p->opt->prepare(p->opt->placer.ctx, &pp->page.records[i], &pp->preps[i],
				     &pp->err);
	return rc;
}

/* Parse one page of an import; normalize it when it is one. */
static void parse_one(const struct poller *p, const struct sq_source_config *src,
		      const struct sq_conn_env *env, const char *text, size_t len, int number,
		      struct parsed *out)
{
	struct sq_http_response resp = { 0 };

	memset(out, 0, sizeof(*out));
	out->number = number;
	resp.status = 200;
	resp.retry_after_ms = -1;
	resp.body.data = (char *)text;
	resp.body.len = len;
	out->rc = src->connector->parse_page(src, NULL, env, &resp, &out->page, &out->err);
	if (out->rc || out->page.verdict != SQ_VERDICT_PAGE)
		return;
	out->norm_rc = normalize_page(p, &out->page, &out->err);
	if (!out->norm_rc)
		out->norm_rc = prepare_page(p, out);
}

/* The page of pp and what was prepared for it. */
static void parsed_release(const struct poller *p, struct parsed *pp)
{
	size_t i;

	for (i = 0; pp->preps && i < pp->page.nrecords; i++)
		if (pp->preps[i])
			p->opt->prep_free(p->opt->placer.ctx, pp->preps[i]);
	free(pp->preps);
	pp->preps = NULL;
	conn_page_release(&pp->page);
}

/* Store a parsed page (import_one's second half): the counts, notes and
 * errors of the file's page `number`. */
static sq_err import_parsed(struct importer *im, struct parsed *pp)
{
	sq_err rc;

	if (pp->rc) {
		*im->err = pp->err;
		return pp->rc;
	}
	if (pp->page.verdict != SQ_VERDICT_PAGE) {
		im->out->failed_pages++;
		im->out->stats.errors++;
		im->out->err = pp->err;
		sq_error_prefix(&im->out->err, "%s: %s: page %d: ", im->src->name, im->file,
				pp->number);
		note(im->p, "%s", im->out->err.msg);
		return SQ_OK;
	}
	rc = pp->norm_rc;
	if (rc)
		*im->err = pp->err;
	else
		rc = store_normalized(im->p, im->src, &pp->page, pp->preps, NULL, &im->out->stats,
				      im->err);
	if (!rc && im->p->opt->progress) {
		struct poll_source_result so_far = { 0 };

		so_far.src = im->src;
		so_far.stats = im->out->stats;
		if (im->p->batch)
			stats_add(&so_far.stats, &im->p->batch->pending);
		im->p->opt->progress(im->p->opt->progress_ctx, &so_far);
	}
	if (rc)
		sq_error_prefix(im->err, "%s: %s: page %d: ", im->src->name, im->file, pp->number);
	return rc;
}

static void import_env(const struct poller *p, struct sq_conn_env *env)
{
	const struct poll_clock *clk = &p->opt->clock;

	env->now_ms = clk->now_ms(clk->ctx);
	env->wall_ms = clk->wall_ms(clk->ctx);
	env->nonce = NULL;
}

/* conn_split_pages' callback without a second thread: parse, then store. */
static sq_err import_one(void *ctx, const char *text, size_t len, int number)
{
	struct importer *im = ctx;
	struct sq_conn_env env;
	struct parsed pp;
	sq_err rc;

	import_env(im->p, &env);
	parse_one(im->p, im->src, &env, text, len, number, &pp);
	rc = import_parsed(im, &pp);
	parsed_release(im->p, &pp);
	return rc;
}

/* The parsing thread's conn_split_pages callback: parse, then wait for a
 * free slot.  SQ_EUSAGE (never returned otherwise): the storing side
 * stopped. */
static sq_err parse_ahead(void *ctx, const char *text, size_t len, int number)
{
	struct ahead *a = ctx;
	struct parsed pp;
	int stop;

	parse_one(a->p, a->src, &a->env, text, len, number, &pp);
	pthread_mutex_lock(&a->lock);
	while (a->n == AHEAD && !a->stop)
		pthread_cond_wait(&a->moved, &a->lock);
	stop = a->stop;
	if (!stop) {
		a->slot[(a->first + a->n) % AHEAD] = pp;
		a->n++;
		pthread_cond_broadcast(&a->moved);
	}
	pthread_mutex_unlock(&a->lock);
	if (stop) {
		parsed_release(a->p, &pp);
		return SQ_EUSAGE;
	}
	return SQ_OK;
}

static void *parse_thread(void *arg)
{
	struct ahead *a = arg;
	sq_err rc = conn_split_pages(a->text, a->len, a->src->connector->array_is_page,
				     parse_ahead, a);

	pthread_mutex_lock(&a->lock);
	a->split_rc = rc == SQ_EUSAGE ? SQ_OK : rc;
	a->done = 1;
	pthread_cond_broadcast(&a->moved);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* The next parsed page into *pp; 0 when there are no more. */
static int next_parsed(struct ahead *a, struct parsed *pp)
{
	int got;

	pthread_mutex_lock(&a->lock);
	while (!a->n && !a->done)
		pthread_cond_wait(&a->moved, &a->lock);
	got = a->n > 0;
	if (got) {
		*pp = a->slot[a->first];
		a->first = (a->first + 1) % AHEAD;
		a->n--;
		pthread_cond_broadcast(&a->moved);
	}
	pthread_mutex_unlock(&a->lock);
	return got;
}

/* Stop the parsing thread, wait for it, and drop what it parsed. */
static void stop_parsing(struct ahead *a, pthread_t thread)
{
	pthread_mutex_lock(&a->lock);
	a->stop = 1;
	pthread_cond_broadcast(&a->moved);
	pthread_mutex_unlock(&a->lock);
	pthread_join(thread, NULL);
	for (; a->n; a->n--, a->first = (a->first + 1) % AHEAD)
		parsed_release(a->p, &a->slot[a->first]);
}

/* Start the parsing thread of a; nonzero (nothing left to undo) when it
 * could not be. */
static int start_parsing(struct ahead *a, pthread_t *thread)
{
	if (pthread_mutex_init(&a->lock, NULL))
		return -1;
	if (!pthread_cond_init(&a->moved, NULL)) {
		if (!pthread_create(thread, NULL, parse_thread, a))
			return 0;
		pthread_cond_destroy(&a->moved);
	}
	pthread_mutex_destroy(&a->lock);
	return -1;
}

/*
 * Split, parse and store the file's pages, parsing on a second thread;
 * without one (it could not be started) as import_one does.
 */
static sq_err import_pages(struct importer *im, const char *text, size_t len)
{
	struct ahead a = { .p = im->p, .src = im->src, .text = text, .len = len };
	struct parsed pp;
	pthread_t thread;
	sq_err rc = SQ_OK;

	import_env(im->p, &a.env);
	if (start_parsing(&a, &thread))
		return conn_split_pages(text, len, im->src->connector->array_is_page, import_one,
					im);
	while (!rc && next_parsed(&a, &pp)) {
		rc = import_parsed(im, &pp);
		parsed_release(im->p, &pp);
	}
	stop_parsing(&a, thread);
	pthread_cond_destroy(&a.moved);
	pthread_mutex_destroy(&a.lock);
	return rc ? rc : a.split_rc;
}

sq_err poll_import(const struct sq_source_config *src, struct sq_store *st,
		   const struct sq_normalizer *norm, const struct poll_options *opt,
		   const char *file, const char *text, size_t len,
		   struct poll_import_result *out, struct sq_error *err)
{
	struct batch batch = { 0 };
	struct poller p = { NULL, st, NULL, norm, opt, opt->batch_records ? &batch : NULL };
	struct importer im = { &p, src, file, out, err };
	const struct poll_clock *clk = &opt->clock;
	int64_t started = clk->mono_ms(clk->ctx);
	sq_err rc;

	memset(out, 0, sizeof(*out));
	out->stats.source = src->name;
	if (!src->connector || !src->connector->parse_page)
		return sq_fail(err, SQ_ECONFIG, "%s: no connector for type '%s'", src->name,
			       src->type ? src->type : "?");
	rc = import_pages(&im, text, len);
	if (!rc) {
		rc = batch_commit(&p, &out->stats, err);
		if (rc)
			sq_error_prefix(err, "%s: %s: ", src->name, file);
	} else if (batch.open) {
		store_rollback(st);
	}
	batch_reset(&batch);
	if (rc == SQ_ENOMEM && !err->msg[0])
		sq_fail(err, SQ_ENOMEM, "%s: %s: out of memory", src->name, file);
	out->stats.duration_ms = clk->mono_ms(clk->ctx) - started;
	if (out->failed_pages)
		out->stats.error = out->err.msg;
	return rc;
}
