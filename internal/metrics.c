/* The Prometheus textfile: formatting and the atomic write. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

sq_err metrics_escape_label(struct sq_buf *out, const char *value)
{
	const char *p;
	sq_err rc = SQ_OK;

	for (p = value ? value : ""; !rc && *p; p++) {
		if (*p == '\\')
			rc = sq_buf_add(out, "\\\\", 2);
		else if (*p == '"')
			rc = sq_buf_add(out, "\\\"", 2);
		else if (*p == '\n')
			rc = sq_buf_add(out, "\\n", 2);
		else
			rc = sq_buf_addc(out, *p);
	}
	return rc;
}

/* "# HELP name help\n# TYPE name type\n" */
static sq_err family(struct sq_buf *out, const char *name, const char *type, const char *help)
{
	return sq_buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One sample: name{k1="v1",k2="v2"} value.  Labels come in pairs, k2 may be
 * NULL; k1 NULL means no labels.
 */
static sq_err sample(struct sq_buf *out, const char *name, const char *k1, const char *v1,
		     const char *k2, const char *v2, const char *value)
{
	sq_err rc = sq_buf_adds(out, name);

	if (!rc && k1) {
		rc = sq_buf_addf(out, "{%s=\"", k1);
		if (!rc)
			rc = metrics_escape_label(out, v1);
		if (!rc && k2) {
			rc = sq_buf_addf(out, "\",%s=\"", k2);
			if (!rc)
				rc = metrics_escape_label(out, v2);
		}
		if (!rc)
			rc = sq_buf_adds(out, "\"}");
	}
	if (!rc)
		rc = sq_buf_addf(out, " %s\n", value);
	return rc;
}

static sq_err sample_int(struct sq_buf *out, const char *name, const char *k1, const char *v1,
			 const char *k2, const char *v2, int64_t value)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)value);
	return sample(out, name, k1, v1, k2, v2, num);
}

/* Milliseconds as seconds with three decimals, exactly. */
static sq_err sample_ms(struct sq_buf *out, const char *name, const char *k1, const char *v1,
			int64_t ms)
{
	char num[40];

	if (ms < 0)
		ms = 0;
	snprintf(num, sizeof(num), "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
	return sample(out, name, k1, v1, NULL, NULL, num);
}

/* Families with one sample per source. */
enum src_field {
	F_LAST_OK, F_LAST_ERROR, F_RUNS, F_QUARANTINED_TOTAL, F_ERRORS_TOTAL,
	F_LAST_ERRORS, F_COMPLAINTS, F_QUARANTINE,
};

static const struct {
	const char *name, *type, *help;
	enum src_field field;
	int needs_last;   /* only sources polled at least once */
} per_source[] = {
	{ "suqiu_source_last_success_timestamp_seconds", "gauge",
	  "Start of the last run in which the source was polled without error (0: never).",
	  F_LAST_OK, 0 },
	{ "suqiu_source_last_error_timestamp_seconds", "gauge",
	  "Start of the last run in which polling the source failed (0: never).",
	  F_LAST_ERROR, 0 },
	{ "suqiu_source_polls_total", "counter",
	  "Runs that polled the source (run log entries).", F_RUNS, 0 },
	{ "suqiu_source_quarantined_total", "counter",
	  "Records of the source quarantined as malformed, over all runs.",
	  F_QUARANTINED_TOTAL, 0 },
	{ "suqiu_source_errors_total", "counter",
	  "Failed pages or requests of the source, over all runs.", F_ERRORS_TOTAL, 0 },
	{ "suqiu_source_last_run_errors", "gauge",
	  "Errors of the source in the last run that polled it.", F_LAST_ERRORS, 1 },
	{ "suqiu_complaints", "gauge", "Complaints of the source in the store.",
	  F_COMPLAINTS, 0 },
	{ "suqiu_quarantine", "gauge", "Quarantined records of the source in the store.",
	  F_QUARANTINE, 0 },
};

static int64_t src_value(const struct store_metrics_source *s, enum src_field f)
{
	switch (f) {
	case F_LAST_OK: return s->last_ok;
	case F_LAST_ERROR: return s->last_error_at;
	case F_RUNS: return s->runs;
	case F_QUARANTINED_TOTAL: return s->quarantined_total;
	case F_ERRORS_TOTAL: return s->errors_total;
	case F_LAST_ERRORS: return s->last_errors;
	case F_COMPLAINTS: return s->complaints;
	case F_QUARANTINE: return s->quarantine;
	}
	return 0;
}

static sq_err format_sources(struct sq_buf *out, const struct store_metrics *m)
{
	static const char records_total[] = "suqiu_source_records_total";
	static const char last_records[] = "suqiu_source_last_run_records";
	static const char last_duration[] = "suqiu_source_last_run_duration_seconds";
	size_t f, i;
	sq_err rc;

	for (f = 0; f < sizeof(per_source) / sizeof(per_source[0]); f++) {
		rc = family(out, per_source[f].name, per_source[f].type, per_source[f].help);
		for (i = 0; !rc && i < m->nsources; i++) {
			const struct store_metrics_source *s = &m->sources[i];

			if (per_source[f].needs_last && !s->has_last)
				continue;
			rc = sample_int(out, per_source[f].name, "source", s->source, NULL, NULL,
					src_value(s, per_source[f].field));
		}
		if (rc)
			return rc;
	}
	rc = family(out, records_total, "counter",
		    "Records fetched from the source, by what storing them did, over all runs.");
	for (i = 0; !rc && i < m->nsources; i++) {
		const struct store_metrics_source *s = &m->sources[i];

		rc = sample_int(out, records_total, "source", s->source, "change", "new",
				s->new_total);
		if (!rc)
			rc = sample_int(out, records_total, "source", s->source, "change",
					"updated", s->updated_total);
		if (!rc)
			rc = sample_int(out, records_total, "source", s->source, "change",
					"unchanged", s->unchanged_total);
	}
	if (!rc)
		rc = family(out, last_records, "gauge",
			    "Records of the source stored in the last run that polled it, by change.");
	for (i = 0; !rc && i < m->nsources; i++) {
		const struct store_metrics_source *s = &m->sources[i];

		if (!s->has_last)
			continue;
		rc = sample_int(out, last_records, "source", s->source, "change", "new",
				s->last_new);
		if (!rc)
			rc = sample_int(out, last_records, "source", s->source, "change",
					"updated", s->last_updated);
		if (!rc)
			rc = sample_int(out, last_records, "source", s->source, "change",
					"unchanged", s->last_unchanged);
	}
	if (!rc)
		rc = family(out, last_duration, "gauge",
			    "Time spent on the source in the last run that polled it.");
	for (i = 0; !rc && i < m->nsources; i++)
		if (m->sources[i].has_last)
			rc = sample_ms(out, last_duration, "source", m->sources[i].source,
				       m->sources[i].last_duration_ms);
	return rc;
}

static sq_err format_counts(struct sq_buf *out, const char *name, const char *help,
			    const struct store_metrics_count *c, size_t n)
{
	size_t i;
	sq_err rc = family(out, name, "gauge", help);

	for (i = 0; !rc && i < n; i++)
		rc = sample_int(out, name, "state", c[i].label, NULL, NULL, c[i].n);
	return rc;
}

static sq_err format_alerts(struct sq_buf *out, const struct store_metrics *m)
{
	sq_err rc = SQ_OK;

	if (m->has_flags) {
		rc = format_counts(out, "suqiu_flags", "Early-warning flags by state.",
				   m->flags, m->nflags);
		if (!rc)
			rc = family(out, "suqiu_flags_open", "gauge",
				    "Early-warning flags not closed (open, notified or acknowledged).");
		if (!rc)
			rc = sample_int(out, "suqiu_flags_open", NULL, NULL, NULL, NULL,
					m->flags_open);
	}
	if (!rc && m->has_outbox) {
		rc = format_counts(out, "suqiu_outbox_messages",
				   "Mails (alerts and digests) in the outbox by state.",
				   m->outbox, m->noutbox);
		if (!rc)
			rc = family(out, "suqiu_outbox_backlog", "gauge",
				    "Mails (alerts, digests) not yet delivered (pending or being sent).");
		if (!rc)
			rc = sample_int(out, "suqiu_outbox_backlog", NULL, NULL, NULL, NULL,
					m->outbox_backlog);
		if (!rc)
			rc = family(out, "suqiu_outbox_oldest_backlog_timestamp_seconds", "gauge",
				    "When the oldest undelivered mail was queued (0: none).");
		if (!rc)
			rc = sample_int(out, "suqiu_outbox_oldest_backlog_timestamp_seconds", NULL,
					NULL, NULL, NULL, m->outbox_oldest);
		if (!rc)
			rc = family(out, "suqiu_outbox_in_doubt", "gauge",
				    "Mails whose sending was cut off mid-way: maybe delivered twice.");
		if (!rc)
			rc = sample_int(out, "suqiu_outbox_in_doubt", NULL, NULL, NULL, NULL,
					m->outbox_in_doubt);
	}
	return rc;
}

static sq_err format_run(struct sq_buf *out, const struct store_metrics *m,
			 const struct metrics_run *run)
{
	sq_err rc = SQ_OK;

	if (run && run->command) {
		rc = family(out, "suqiu_run_duration_seconds", "gauge",
			    "Wall time of the last run of the command.");
		if (!rc)
			rc = sample_ms(out, "suqiu_run_duration_seconds", "command", run->command,
				       run->duration_ms);
		if (!rc)
			rc = family(out, "suqiu_run_exit_status", "gauge",
				    "Exit status of the last run of the command (0 ok, 1 partly failed, 2 usage).");
		if (!rc)
			rc = sample_int(out, "suqiu_run_exit_status", "command", run->command, NULL,
					NULL, run->exit_status);
		if (!rc)
			rc = family(out, "suqiu_run_finished_timestamp_seconds", "gauge",
				    "When the last run of the command ended.");
		if (!rc)
			rc = sample_int(out, "suqiu_run_finished_timestamp_seconds", "command",
					run->command, NULL, NULL, run->finished_at);
	}
	if (!rc && m->has_last_run) {
		rc = family(out, "suqiu_runlog_last_started_timestamp_seconds", "gauge",
			    "Start of the newest run-log entry (poll or import), by command.");
		if (!rc)
			rc = sample_int(out, "suqiu_runlog_last_started_timestamp_seconds",
					"command", m->last_run_command, NULL, NULL,
					m->last_run_started);
		if (!rc)
			rc = family(out, "suqiu_runlog_last_exit_status", "gauge",
				    "Exit status of the newest run-log entry (-1: it did not finish).");
		if (!rc)
			rc = sample_int(out, "suqiu_runlog_last_exit_status", "command",
					m->last_run_command, NULL, NULL, m->last_run_exit);
	}
	return rc;
}

sq_err metrics_format(struct sq_buf *out, const struct store_metrics *m,
		      const struct metrics_run *run, const char *version, struct sq_error *err)
{
	sq_err rc;

	rc = family(out, "suqiu_build_info", "gauge", "The suqiu version that wrote this file.");
	if (!rc)
		rc = sample(out, "suqiu_build_info", "version", version ? version : "unknown",
			    NULL, NULL, "1");
	if (!rc)
		rc = family(out, "suqiu_schema_version", "gauge", "Schema version of the database.");
	if (!rc)
		rc = sample_int(out, "suqiu_schema_version", NULL, NULL, NULL, NULL,
				m->schema_version);
	if (!rc)
		rc = format_run(out, m, run);
	if (!rc)
		rc = format_sources(out, m);
	if (!rc)
		rc = family(out, "suqiu_complaints_stored", "gauge",
			    "Complaints in the store, all sources.");
	if (!rc)
		rc = sample_int(out, "suqiu_complaints_stored", NULL, NULL, NULL, NULL,
				m->complaints);
	if (!rc && m->has_incidents) {
		rc = family(out, "suqiu_incidents", "gauge",
			    "Incidents (linked complaints count once) in the store.");
		if (!rc)
			rc = sample_int(out, "suqiu_incidents", NULL, NULL, NULL, NULL, m->incidents);
	}
	if (!rc)
		rc = format_alerts(out, m);
	if (rc)
		return sq_fail(err, SQ_ENOMEM, "out of memory formatting metrics");
	return SQ_OK;
}

/* write(2) until done, retrying interrupted and short writes. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

sq_err metrics_write_file(const char *path, const char *text, size_t len,
			  struct sq_error *err)
{
	struct sq_buf tmp = SQ_BUF_INIT;
	sq_err rc = SQ_OK;
	int fd;

	if (sq_buf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid()))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = sq_fail(err, SQ_EIO, "%s: %s", tmp.data, strerror(errno));
		sq_buf_release(&tmp);
		return rc;
	}
	/* World-readable whatever the umask (the units run with UMask=0077):
	 * node_exporter runs as another user, and the file holds counts only,
	 * never personal data. */
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0)
		rc = sq_fail(err, SQ_EIO, "%s: %s", tmp.data, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = sq_fail(err, SQ_EIO, "%s: %s", tmp.data, strerror(errno));
	if (!rc && rename(tmp.data, path) != 0)
		rc = sq_fail(err, SQ_EIO, "%s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp.data);
	sq_buf_release(&tmp);
	return rc;
}
