/*
 * metrics.h — the Prometheus textfile that `suqiu --metrics FILE` (or
 * `suqiu poll --metrics FILE`) writes after each run, for node_exporter's
 * textfile collector.
 *
 * The figures come from the store (store_metrics); this module only formats
 * them in the text exposition format (version 0.0.4): every family has one
 * HELP and one TYPE line followed by all its samples, label values are
 * escaped (backslash, double quote, newline), and counters end in _total.
 * Times are Unix seconds.  The file is replaced atomically, so the
 * collector never reads half of it.
 */
#ifndef SUQIU_METRICS_H
#define SUQIU_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "store.h"

/* The run that just ended, as the command line saw it. */
struct metrics_run {
	const char *command;    /* "poll", "import", ...; NULL: no run figures */
	int exit_status;
	int64_t finished_at;    /* Unix s, wall clock */
	int64_t duration_ms;    /* measured on the monotonic clock */
};

/*
 * Append the exposition text for m (and run, which may be NULL) to out.
 * version labels suqiu_build_info.  SQ_ENOMEM only.
 */
sq_err metrics_format(struct sq_buf *out, const struct store_metrics *m,
		      const struct metrics_run *run, const char *version, struct sq_error *err);

/*
 * Append value to out as a label value: \ " and newline escaped as \\ \"
 * and \n.  SQ_ENOMEM only.
 */
sq_err metrics_escape_label(struct sq_buf *out, const char *value);

/*
 * Replace path with len bytes of text atomically: write "<path>.tmp-PID"
 * in the same directory, fsync, rename over path.  The temporary name does
 * not end in .prom, so the collector ignores it.  SQ_EIO naming the file.
 */
sq_err metrics_write_file(const char *path, const char *text, size_t len,
			  struct sq_error *err);

#endif
