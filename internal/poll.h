/*
 * poll.h — one collection run: for each source, fetch the pages its cursor
 * points at, normalize them and store each page in one transaction with
 * the source's new cursor (DESIGN.md, "Storage").  Also `suqiu import`,
 * which sends saved pages down the same parse/normalize/store path.
 *
 * Per source:
 *
 *   cursor = store_get_cursor()
 *   repeat:
 *     req  = connector->build_request(cursor)         (fresh for every attempt)
 *     resp = http_get(req)                            (one attempt)
 *     page = connector->parse_page(resp)
 *       RETRY         wait http_retry_delay_ms (Retry-After / 42901 hints
 *                     clamped) and try again, up to http.max_attempts per
 *                     page and http.budget per source
 *       RESIGN        try once more at once with a fresh signature
 *       RESTART       start again from the connector's restart cursor, once
 *                     per source and run
 *       FATAL         stop the source
 *     normalize_record() each record (a record it refuses is quarantined)
 *     BEGIN; store_put_placed each (the placer linking a new one as it
 *            is stored); store_quarantine each bad one; store_set_cursor;
 *            in_page(ids of the complaints changed or not placed:
 *            linking); COMMIT
 *     after_page(ids of the new and changed complaints)
 *   until the page says there is no more now
 *
 * A source that fails stops where it is — its committed pages stay — and
 * the next source runs.  A source that has spent http.budget stops after
 * its current page even when more pages are there (a long backfill goes on
 * in the next run); that is not a failure.  Nothing here prints or exits: results come back
 * in struct poll_result, progress notes through an optional callback.
 * Time, sleeping and randomness come from struct poll_clock so that tests
 * run the retry paths in milliseconds.
 */
#ifndef SUQIU_POLL_H
#define SUQIU_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct sq_http;
struct sq_normalizer;

struct poll_clock {
	int64_t (*now_ms)(void *ctx);          /* logical now: windows, stored times (Unix ms) */
	int64_t (*wall_ms)(void *ctx);         /* the real clock: request signatures (Unix ms) */
	int64_t (*mono_ms)(void *ctx);         /* monotonic: durations and the retry budget */
	void (*sleep_ms)(void *ctx, int64_t ms);
	double (*rand01)(void *ctx);           /* uniform in [0, 1), for backoff jitter */
	void *ctx;
};

/* State of the system clock below; zero it, then poll_clock_system(). */
struct poll_system_clock {
	int64_t fixed_now_ms;   /* > 0: now_ms returns this (tests, backfills); else real time */
	uint64_t rng;           /* xorshift state for the jitter (seeded from the clock) */
};

/*
 * A poll_clock on the real clocks (CLOCK_REALTIME, CLOCK_MONOTONIC,
 * nanosleep).  state must outlive c.  fixed_now_ms > 0 pins the logical
 * now (SUQIU_NOW in cmd/); signatures still use the real clock, because
 * servers check them against theirs.
 */
void poll_clock_system(struct poll_clock *c, struct poll_system_clock *state,
		       int64_t fixed_now_ms);

/*
 * Called after each committed page with the row ids of the complaints that
 * page inserted or changed (n may be 0).  A failure stops the source (the
 * page is committed already and stays).  In an import that commits several
 * pages at once (batch_records), called once per commit with the ids of
 * all its pages.
 */
typedef sq_err (*poll_after_page_fn)(void *ctx, const int64_t *complaint_ids, size_t n,
				      struct sq_error *err);

/*
 * Called inside each page's transaction, after its records are stored and
 * before the commit, with the ids of the complaints that page inserted or
 * changed (n may be 0), less the new ones a placer (poll_options.placer)
 * linked as they were stored.  This is where deduplication links them: a
 * page is never committed unlinked, and the page costs one commit, not
 * two.  A failure rolls the page back (and, in an import, the pages not
 * committed yet) and stops the source.
 */
typedef sq_err (*poll_in_page_fn)(void *ctx, const int64_t *complaint_ids, size_t n,
				  struct sq_error *err);

/*
 * Crash-test fault points: called with "after_fetch" (a response arrived),
 * "mid_page" (after each record is stored, inside the page's transaction),
 * "before_commit" and "after_commit".  cmd/ counts them and ends the
 * process at the configured one (SUQIU_CRASH_AT).
 */
typedef void (*poll_fault_fn)(void *ctx, const char *point);

/* A progress note ("hotline: page 2: HTTP 503; retry 1 in 250 ms"). */
typedef void (*poll_note_fn)(void *ctx, const char *msg);

struct poll_source_result;

/* After each committed page: the source's figures so far (for a progress line). */
typedef void (*poll_progress_fn)(void *ctx, const struct poll_source_result *res);

struct poll_options {
	const char *const *only;    /* source names (--source); NULL/0: every enabled source */
	size_t nonly;
	struct poll_clock clock;
	int64_t run_id;             /* run-log entry to add per-source rows to; 0: none */
	poll_in_page_fn in_page;
	void *in_page_ctx;
	struct store_placer placer;  /* links each new complaint as it is stored
				     * (place NULL: in_page links it after) */
	/* What placer.place wants of a record made ahead, on an import's
	 * parsing thread (so it must read nothing another thread changes),
	 * both given placer.ctx; NULL: nothing.  prep_free frees what place
	 * did not take. */
	sq_err (*prepare)(void *ctx, const struct sq_record *r, void **prep,
			  struct sq_error *err);
	void (*prep_free)(void *ctx, void *prep);
	poll_after_page_fn after_page;
	void *after_page_ctx;
	/* Called in the transaction just before each of its commits (a poll's
	 * page, an import's batch); a failure rolls it back as a failed page
	 * would.  NULL: nothing. */
	sq_err (*before_commit)(void *ctx, struct sq_error *err);
	void *before_commit_ctx;
	size_t batch_records;       /* import only: commit once this many records are
				     * stored (0: every page); poll always commits
				     * each page with its cursor */
	poll_fault_fn fault;
	void *fault_ctx;
	poll_note_fn note;
	void *note_ctx;
	poll_progress_fn progress;
	void *progress_ctx;
};

struct poll_source_result {
	const struct sq_source_config *src;
	struct store_run_source stats;   /* stats.error points into err.msg when failed */
	int64_t retries;                 /* attempts repeated (retry, re-sign, restart) */
	int more_left;                   /* stopped at http.budget with pages still to read:
					  * not a failure, the next run goes on from the cursor */
	sq_err rc;                       /* SQ_OK, or why the source stopped */
	struct sq_error err;             /* "NAME: page N (what): message" */
};

struct poll_result {
	struct poll_source_result *sources;  /* in configuration order */
	size_t n;
	size_t failed;                       /* sources whose rc is not SQ_OK */
};

/*
 * Poll the sources of cfg (those named in opt->only, which must exist —
 * explicitly named sources run even when disabled — or else every enabled
 * one) into st.  Fills *out (release with poll_result_release) whatever
 * happens to the sources; returns SQ_OK when every source was attempted,
 * or an error that stopped the whole run (SQ_ENOTFOUND for an unknown name
 * in only, SQ_ENOMEM, SQ_EDB writing the run log).
 */
sq_err poll_run(const struct sq_config *cfg, struct sq_store *st, struct sq_http *http,
		const struct sq_normalizer *norm, const struct poll_options *opt,
		struct poll_result *out, struct sq_error *err);

void poll_result_release(struct poll_result *r);

/* Totals of one import (`suqiu import`); progress gets them as a source result. */
struct poll_import_result {
	struct store_run_source stats;   /* pages stored, records, ... */
	int64_t failed_pages;            /* pages refused whole */
	struct sq_error err;             /* the last refused page's message */
};

/*
 * Store the pages saved in len bytes of text (one page, pages one after
 * another, or a JSON array of pages: conn_split_pages) as pages of source
 * src, through parse_page, normalize_record and the store, one transaction
 * per page, or per opt->batch_records records (the last transaction holds
 * what is left) — but leaving the source's cursor alone.  Only committed
 * pages count in out->stats: a failure rolls back the pages stored since
 * the last commit, and importing the same file again stores them (records
 * already stored come out unchanged).  A page that is refused
 * whole is reported through opt->note and in out->err (the last one:
 * "NAME: FILE: page N: message"), counted, and the next page is read.  file names the input in messages.  Returns
 * SQ_OK unless something stopped the import (SQ_ENOMEM, SQ_EDB, an
 * after_page failure).
 */
sq_err poll_import(const struct sq_source_config *src, struct sq_store *st,
		   const struct sq_normalizer *norm, const struct poll_options *opt,
		   const char *file, const char *text, size_t len,
		   struct poll_import_result *out, struct sq_error *err);

#endif
