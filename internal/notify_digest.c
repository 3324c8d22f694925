/* Digest mail (`digest --mail`): a rendered digest composed into an outbox
 * row keyed by its period, so that one period is mailed once (notify.h). */
#include "notify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normalize.h"
#include "store.h"
#include "banned.h"

#define DAY_S 86400

static int at_midnight(int64_t t, int tz)
{
	return ((t + tz) % DAY_S + DAY_S) % DAY_S == 0;
}

/* t as a local date ("2024-05-01", compact "20240501"), or with the time
 * ("2024-05-01 07:30", compact "20240501T0730"). */
static sq_err add_local(struct sq_buf *out, int64_t t, int tz, int with_time, int compact)
{
	time_t local = (time_t)(t + tz);
	struct tm tm;

	if (!gmtime_r(&local, &tm))
		return sq_buf_adds(out, "?");
	if (compact)
		return with_time ? sq_buf_addf(out, "%04d%02d%02dT%02d%02d", tm.tm_year + 1900,
					       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min)
				 : sq_buf_addf(out, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
					       tm.tm_mday);
	return with_time ? sq_buf_addf(out, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
				       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min)
			 : sq_buf_addf(out, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
				       tm.tm_mday);
}

/*
 * The period for people ("2024-05-01", "2024-05-01 至 2024-05-07",
 * "2024-05-01 07:30 至 2024-05-02 07:30") or for names (compact, '-'
 * between).  Whole local days are named by their dates, the last one
 * included, as an office says "5月1日至7日".
 */
static sq_err add_period(struct sq_buf *out, const struct notify_digest *d, int tz, int compact)
{
	const char *sep = compact ? "-" : " 至 ";

	if (at_midnight(d->since, tz) && at_midnight(d->until, tz)) {
		int64_t last = d->until - DAY_S;

		if (add_local(out, d->since, tz, 0, compact))
			return SQ_ENOMEM;
		if (last > d->since &&
		    (sq_buf_adds(out, sep) || add_local(out, last, tz, 0, compact)))
			return SQ_ENOMEM;
		return SQ_OK;
	}
	if (add_local(out, d->since, tz, 1, compact) || sq_buf_adds(out, sep) ||
	    add_local(out, d->until, tz, 1, compact))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err notify_digest_key(const struct sq_config *cfg, const struct notify_digest *d,
			 struct sq_buf *out)
{
	char since[NORM_TIME_BUFSZ], until[NORM_TIME_BUFSZ];

	norm_format_time(d->since, cfg->tz_offset_s, since, sizeof(since));
	norm_format_time(d->until, cfg->tz_offset_s, until, sizeof(until));
	if (sq_buf_addf(out, "%s/%s", since, until) ||
	    (d->layout && *d->layout && sq_buf_addf(out, " %s", d->layout)))
		return SQ_ENOMEM;
	return SQ_OK;
}

static const char *office(const struct sq_config *cfg)
{
	if (cfg->areas.street && *cfg->areas.street)
		return cfg->areas.street;
	if (cfg->areas.district && *cfg->areas.district)
		return cfg->areas.district;
	return NULL;
}

/* "<digest-PERIOD.HASH@suqiu>": HASH ties it to the key (the layout is in
 * it) and the office, so two installations' digests do not collide. */
static sq_err digest_message_id(const struct sq_config *cfg, const struct notify_digest *d,
				const char *key, struct sq_buf *out)
{
	struct sq_buf in = SQ_BUF_INIT;
	char h[13];
	sq_err rc;

	rc = sq_buf_addf(&in, "%s|%s|%s", key, cfg->areas.street ? cfg->areas.street : "",
			 cfg->areas.district ? cfg->areas.district : "");
	if (!rc)
		rc = notify_short_hash(in.data, in.len, h);
	sq_buf_release(&in);
	if (rc || sq_buf_adds(out, "<digest-") || add_period(out, d, cfg->tz_offset_s, 1) ||
	    sq_buf_addf(out, ".%s@suqiu>", h))
		return SQ_ENOMEM;
	return SQ_OK;
}

/* "suqiu-digest-20240501.html", with the layout for another report of the
 * same period ("suqiu-digest-20240501-by-community.html"). */
static sq_err attachment_name(const struct sq_config *cfg, const struct notify_digest *d,
			      struct sq_buf *out)
{
	const char *p;

	if (sq_buf_adds(out, "suqiu-digest-") || add_period(out, d, cfg->tz_offset_s, 1))
		return SQ_ENOMEM;
	if (d->layout && *d->layout) {
		if (sq_buf_addc(out, '-'))
			return SQ_ENOMEM;
		for (p = d->layout; *p; p++)
			if (sq_buf_addc(out, *p == ' ' || *p == '=' ? '-' : *p))
				return SQ_ENOMEM;
	}
	return sq_buf_adds(out, ".html");
}

struct digest_parts {
	struct sq_buf key, mid, subject, text, attachment;
};

static void digest_parts_release(struct digest_parts *p)
{
	sq_buf_release(&p->key);
	sq_buf_release(&p->mid);
	sq_buf_release(&p->subject);
	sq_buf_release(&p->text);
	sq_buf_release(&p->attachment);
}

static sq_err compose_digest(const struct sq_config *cfg, const struct notify_digest *d,
			     struct digest_parts *p)
{
	const char *who = office(cfg);
	const char *text = d->text ? d->text : "";
	size_t n = strlen(text);

	if (notify_digest_key(cfg, d, &p->key) ||
	    digest_message_id(cfg, d, p->key.data, &p->mid) ||
	    attachment_name(cfg, d, &p->attachment))
		return SQ_ENOMEM;
	if (sq_buf_addf(&p->subject, "【suqiu 摘要】%s%s%s", who ? who : "", who ? " " : "",
			d->title && *d->title ? d->title : "诉求摘要") ||
	    (!d->title_has_period &&
	     (sq_buf_addc(&p->subject, ' ') || add_period(&p->subject, d, cfg->tz_offset_s, 0))))
		return SQ_ENOMEM;
	if (sq_buf_adds(&p->text, text) ||
	    (n && text[n - 1] != '\n' && sq_buf_addc(&p->text, '\n')) ||
	    sq_buf_addf(&p->text, "\n-- \n完整报告（趋势图、热力表，可在浏览器中打开并打印）见附件 %s。\n"
			"suqiu 自动发出的摘要邮件，请勿直接回复。\n", p->attachment.data))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err notify_enqueue_digest(struct sq_store *st, const struct sq_config *cfg,
			     const struct notify_digest *d, const char *recipients, int64_t now,
			     int *added, struct sq_error *err)
{
	struct digest_parts p = { SQ_BUF_INIT, SQ_BUF_INIT, SQ_BUF_INIT, SQ_BUF_INIT, SQ_BUF_INIT };
	struct store_outbox_msg m = { 0 };
	sq_err rc;

	*added = 0;
	if (compose_digest(cfg, d, &p)) {
		digest_parts_release(&p);
		return sq_fail(err, SQ_ENOMEM, "out of memory composing the digest mail");
	}
	m.kind = "digest";
	m.digest_key = p.key.data;
	m.attachment = p.attachment.data;
	m.message_id = p.mid.data;
	m.created_at = now;
	m.recipients = (char *)(recipients ? recipients : "");
	m.subject = p.subject.data;
	m.body_text = p.text.data;
	m.body_html = (char *)(d->html ? d->html : "");
	rc = store_outbox_add(st, &m, added, err);
	digest_parts_release(&p);
	return rc;
}
