/* Alert mail: composing a flag revision's message into the outbox, the
 * duty roster, and the sender that drains the outbox over SMTP (alerts and
 * digests alike; notify_digest.c composes the digests). */
#include "notify.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fault.h"
#include "flag.h"
#include "mail.h"
#include "store.h"
#include "banned.h"

/* Members listed in one mail; the rest are counted. */
#define MAIL_MEMBERS_MAX 30
/* Characters of the summary in the subject. */
#define SUBJECT_SUMMARY_CHARS 48
/* Rows in `sending` this long are in doubt when nothing is configured. */
#define DEFAULT_IN_DOUBT_S 600

/* ---- phone masking --------------------------------------------------------- */

static int is_sep(char c)
{
	return c == ' ' || c == '-';
}

/*
 * Is a run of digit groups (lengths g[0..ng), digits d) written like a
 * phone number?  Mobile: 11 digits from 1, as 11, 3-4-4 or 3-8.  Fixed
 * line: 7 or 8 digits, or an area code (0 + 2..3 digits) and 7 or 8.
 * Dates (2024-05-01) and order numbers (longer runs) are not.
 */
static int phone_like(const size_t *g, size_t ng, const char *d, size_t nd, int *mobile)
{
	*mobile = nd == 11 && d[0] == '1' &&
		  (ng == 1 || (ng == 3 && g[0] == 3 && g[1] == 4 && g[2] == 4) ||
		   (ng == 2 && g[0] == 3 && g[1] == 8));
	if (*mobile)
		return 1;
	if (ng == 1)
		return nd >= 7 && nd <= 12;
	return ng == 2 && d[0] == '0' && (g[0] == 3 || g[0] == 4) && (g[1] == 7 || g[1] == 8);
}

sq_err notify_mask_phones_in_place(char **s)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *m;

	if (!*s)
		return SQ_OK;
	if (notify_mask_phones(&b, *s) || !(m = sq_buf_detach(&b))) {
		sq_buf_release(&b);
		return SQ_ENOMEM;
	}
	free(*s);
	*s = m;
	return SQ_OK;
}

sq_err notify_short_hash(const char *text, size_t len, char out[13])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int i;

	if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 6)
		return SQ_ENOMEM;
	for (i = 0; i < 6; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[12] = '\0';
	return SQ_OK;
}

sq_err notify_mask_phones(struct sq_buf *out, const char *s)
{
	const char *p = s ? s : "";

	while (*p) {
		const char *q = p, *end;
		char digits[32];
		size_t groups[8], ng = 0, nd = 0, i, keep_head, keep_tail;
		int mobile;

		if (!isdigit((unsigned char)*p)) {
			if (sq_buf_addc(out, *p++))
				return SQ_ENOMEM;
			continue;
		}
		/* Digit groups joined by single separators. */
		end = q;
		groups[0] = 0;
		while (*q) {
			if (isdigit((unsigned char)*q)) {
				if (nd < sizeof(digits))
					digits[nd] = *q;
				nd++;
				if (ng < 8)
					groups[ng]++;
				end = ++q;
			} else if (is_sep(*q) && isdigit((unsigned char)q[1])) {
				if (++ng < 8)
					groups[ng] = 0;
				q++;
			} else {
				break;
			}
		}
		ng++;
		if (nd > sizeof(digits) || ng > 8 || !phone_like(groups, ng, digits, nd, &mobile)) {
			/* Not a phone number (a date, an order number): as it was. */
			if (sq_buf_add(out, p, (size_t)(end - p)))
				return SQ_ENOMEM;
			p = end;
			continue;
		}
		keep_head = mobile ? 3 : 0;
		keep_tail = mobile ? 4 : 2;
		for (i = 0; i < nd; i++)
			if (sq_buf_addc(out, i < keep_head || i >= nd - keep_tail ? digits[i] : '*'))
				return SQ_ENOMEM;
		p = end;
	}
	return SQ_OK;
}

/* A malloc'd masked copy of s (NULL stays NULL; *oom on failure). */
static char *masked(const char *s, int *oom)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *r;

	if (!s)
		return NULL;
	if (notify_mask_phones(&b, s) || !(r = sq_buf_detach(&b))) {
		sq_buf_release(&b);
		*oom = 1;
		return NULL;
	}
	return r;
}

/* ---- backoff ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int64_t notify_backoff_ms(int64_t attempts, int64_t base_ms, int64_t max_ms, uint64_t seed)
{
	int64_t d = base_ms > 0 ? base_ms : 1000;
	int64_t i;

	if (max_ms < d)
		max_ms = d;
	for (i = 1; i < attempts && d < max_ms; i++)
		d = d > max_ms / 2 ? max_ms : d * 2;
	if (d > max_ms)
		d = max_ms;
	return d + (int64_t)(mix64(seed ^ (uint64_t)attempts) % (uint64_t)(d / 4 + 1));
}

/* ---- the duty roster ----------------------------------------------------- */

static int list_has(const struct sq_strlist *l, const char *s)
{
	size_t i;

	if (!l->n)
		return 1;   /* no filter admits everything */
	if (!s)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->items[i] && !strcmp(l->items[i], s))
			return 1;
	return 0;
}

static int on_duty(const struct sq_duty *d, int weekday, int hour)
{
	unsigned days = d->days ? d->days : 0x7fu;
	int from = d->hour_from, to = d->hour_to;

	if (!(days & (1u << weekday)))
		return 0;
	if (from == to || (from <= 0 && to >= 24))
		return 1;
	if (from < to)
		return hour >= from && hour < to;
	return hour >= from || hour < to;   /* a night shift across midnight */
}

/* Append addr to the comma list unless it is there (case-insensitive). */
static sq_err add_unique(struct sq_buf *b, const char *addr)
{
	const char *p = sq_buf_str(b);
	size_t n = strlen(addr);

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !strncasecmp(p, addr, n))
			return SQ_OK;
		p += len + (comma ? 1 : 0);
	}
	if ((b->len && sq_buf_addc(b, ',')) || sq_buf_adds(b, addr))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err notify_recipients(const struct sq_config *cfg, int64_t now, const char *community,
			 const char *category, char **out, struct sq_error *err)
{
	const struct sq_alerts_config *a = &cfg->alerts;
	struct sq_buf b = SQ_BUF_INIT;
	time_t local = (time_t)(now + cfg->tz_offset_s);
	struct tm tm;
	int weekday = 0, hour = 0, pass;
	size_t i;

	*out = NULL;
	if (gmtime_r(&local, &tm)) {
		weekday = (tm.tm_wday + 6) % 7;   /* bit 0 is Monday */
		hour = tm.tm_hour;
	}
	for (pass = 0; pass < 3 && !b.len; pass++) {
		for (i = 0; i < a->nduty; i++) {
			const struct sq_duty *d = &a->duty[i];
			int admits = list_has(&d->communities, community) &&
				     list_has(&d->categories, category);

			if (!d->email || !mail_address_ok(d->email))
				continue;
			if ((pass == 0 && !(admits && on_duty(d, weekday, hour))) ||
			    (pass == 1 && !admits))
				continue;
			if (add_unique(&b, d->email))
				goto oom;
		}
	}
	*out = sq_buf_detach(&b);
	if (!*out)
		goto oom;
	return SQ_OK;
oom:
	sq_buf_release(&b);
	return sq_fail(err, SQ_ENOMEM, "out of memory choosing alert recipients");
}

sq_err notify_digest_recipients(const struct sq_config *cfg, char **out, struct sq_error *err)
{
	const struct sq_alerts_config *a = &cfg->alerts;
	struct sq_buf b = SQ_BUF_INIT;
	size_t i;

	*out = NULL;
	for (i = 0; i < a->digest_to.n; i++)
		if (a->digest_to.items[i] && mail_address_ok(a->digest_to.items[i]) &&
		    add_unique(&b, a->digest_to.items[i]))
			goto oom;
	/* Without digest_to the duty officers get it: whoever reads the
	 * alerts should see the day they belong to. */
	for (i = 0; !a->digest_to.n && i < a->nduty; i++)
		if (a->duty[i].email && mail_address_ok(a->duty[i].email) &&
		    add_unique(&b, a->duty[i].email))
			goto oom;
	*out = sq_buf_detach(&b);
	if (!*out)
		goto oom;
	return SQ_OK;
oom:
	sq_buf_release(&b);
	return sq_fail(err, SQ_ENOMEM, "out of memory choosing digest recipients");
}

/* ---- composing ----------------------------------------------------------- */

static const char *local_time(int64_t t, int tz, char *buf, size_t size)
{
	time_t local = (time_t)(t + tz);
	struct tm tm;

	if (!t || !gmtime_r(&local, &tm))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min);
	return buf;
}

/* "+08:00" for the zone. */
static const char *zone_label(int tz, char *buf, size_t size)
{
	int off = tz < 0 ? -tz : tz;

	snprintf(buf, size, "%c%02d:%02d", tz < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
	return buf;
}

/* At most n UTF-8 characters of s, with "…" when cut. */
static sq_err add_prefix_chars(struct sq_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (*p && chars < n) {
		const unsigned char *start = p++;

		while ((*p & 0xc0) == 0x80)
			p++;
		if (sq_buf_add(b, start, (size_t)(p - start)))
			return SQ_ENOMEM;
		chars++;
	}
	if (*p && sq_buf_adds(b, "…"))
		return SQ_ENOMEM;
	return SQ_OK;
}

struct message_parts {
	struct sq_buf subject, text, html;
};

static void parts_release(struct message_parts *m)
{
	sq_buf_release(&m->subject);
	sq_buf_release(&m->text);
	sq_buf_release(&m->html);
}

/* One field line of the text part and one row of the HTML table. */
static sq_err add_field(struct message_parts *m, const char *label, const char *value)
{
	if (!value || !*value)
		return SQ_OK;
	if (sq_buf_addf(&m->text, "%s：%s\n", label, value) ||
	    sq_buf_adds(&m->html, "<tr><th align=\"left\">") ||
	    mail_html_escape(&m->html, label) || sq_buf_adds(&m->html, "</th><td>") ||
	    mail_html_escape(&m->html, value) || sq_buf_adds(&m->html, "</td></tr>\n"))
		return SQ_ENOMEM;
	return SQ_OK;
}

/* mem: the flag's first nmem members (at most MAIL_MEMBERS_MAX shown), of
 * f->nmembers in all. */
static sq_err compose(const struct sq_config *cfg, const struct store_flag *f,
		      const struct store_flag_member *mem, size_t nmem, struct message_parts *m)
{
	long long total = f->nmembers > (int64_t)nmem ? (long long)f->nmembers : (long long)nmem;
	char when[64], zone[16], line[160];
	int kind = flag_kind_parse(f->kind), sev = flag_severity_parse(f->severity);
	const char *kind_label = kind >= 0 ? flag_kind_label((enum flag_kind)kind) : f->kind;
	const char *sev_label = sev >= 0 ? flag_severity_label((enum flag_severity)sev) : f->severity;
	int oom = 0;
	char *summary = masked(f->summary, &oom), *detail = masked(f->detail, &oom);
	struct sq_buf tmp = SQ_BUF_INIT;
	size_t i;
	sq_err rc = SQ_ENOMEM;

	if (oom)
		goto out;
	zone_label(cfg->tz_offset_s, zone, sizeof(zone));
	/* Subject */
	if (sq_buf_addf(&m->subject, "【suqiu%s·%s】%s：", f->revision > 1 ? "预警升级" : "预警",
			sev_label, kind_label) ||
	    add_prefix_chars(&m->subject, summary ? summary : "", SUBJECT_SUMMARY_CHARS))
		goto out;
	/* Text and HTML heads */
	if (sq_buf_addf(&m->text, "%s\n\n", summary ? summary : "") ||
	    sq_buf_adds(&m->html, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"UTF-8\">"
			"<title>suqiu 预警</title></head><body>\n<h2>") ||
	    mail_html_escape(&m->html, summary) ||
	    sq_buf_adds(&m->html, "</h2>\n<table>\n"))
		goto out;
	snprintf(line, sizeof(line), "%s（%s）", kind_label, f->kind);
	if (add_field(m, "类型", line))
		goto out;
	if (f->revision > 1)
		snprintf(line, sizeof(line), "%s（已升级，第 %lld 版）", sev_label,
			 (long long)f->revision);
	else
		snprintf(line, sizeof(line), "%s", sev_label);
	if (add_field(m, "严重程度", line) ||
	    add_field(m, "社区", f->community) ||
	    add_field(m, "类别", f->category ? flag_category_label(f->category) : NULL))
		goto out;
	snprintf(line, sizeof(line), "%s (%s)", local_time(f->opened_at, cfg->tz_offset_s, when,
							     sizeof(when)), zone);
	if (add_field(m, "发现时间", line))
		goto out;
	snprintf(line, sizeof(line), "%s (%s)", local_time(f->updated_at, cfg->tz_offset_s, when,
							     sizeof(when)), zone);
	if (add_field(m, "本版时间", line) || add_field(m, "依据", detail))
		goto out;
	snprintf(line, sizeof(line), "%lld（第 %lld 版）", (long long)f->id, (long long)f->revision);
	if (add_field(m, "预警编号", line))
		goto out;
	/* Members */
	if (sq_buf_addf(&m->text, "\n涉及 %lld 件诉求（%lld 起事件）：\n", total,
			(long long)f->nunits) ||
	    sq_buf_addf(&m->html, "</table>\n<h3>涉及 %lld 件诉求（%lld 起事件）</h3>\n<table border=\"1\" "
			"cellpadding=\"4\" cellspacing=\"0\">\n<tr><th>时间</th><th>来源</th><th>编号</th>"
			"<th>社区</th><th>类别</th><th>联系人</th><th>标题</th></tr>\n",
			total, (long long)f->nunits))
		goto out;
	for (i = 0; i < nmem && i < MAIL_MEMBERS_MAX; i++) {
		const struct store_flag_member *x = &mem[i];
		const char *cells[7];
		size_t c;

		sq_buf_reset(&tmp);
		if (notify_mask_phones(&tmp, x->title ? x->title : ""))
			goto out;
		local_time(x->received_at, cfg->tz_offset_s, when, sizeof(when));
		cells[0] = when;
		cells[1] = x->source ? x->source : "";
		cells[2] = x->source_id ? x->source_id : "";
		cells[3] = x->community ? x->community : "-";
		cells[4] = flag_category_label(x->category);
		/* Only the stored masked form of a contact ever reaches a mail. */
		cells[5] = x->contact_masked ? x->contact_masked : "匿名";
		cells[6] = sq_buf_str(&tmp);
		if (sq_buf_addf(&m->text, "%2zu. %s %s %s %s %s %s 「%s」\n", i + 1, cells[0],
				cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]) ||
		    sq_buf_adds(&m->html, "<tr>"))
			goto out;
		for (c = 0; c < 7; c++)
			if (sq_buf_adds(&m->html, "<td>") || mail_html_escape(&m->html, cells[c]) ||
			    sq_buf_adds(&m->html, "</td>"))
				goto out;
		if (sq_buf_adds(&m->html, "</tr>\n"))
			goto out;
	}
	if (total > MAIL_MEMBERS_MAX &&
	    (sq_buf_addf(&m->text, "    …另有 %lld 件\n", total - MAIL_MEMBERS_MAX) ||
	     sq_buf_addf(&m->html, "<tr><td colspan=\"7\">…另有 %lld 件</td></tr>\n",
			 total - MAIL_MEMBERS_MAX)))
		goto out;
	if (sq_buf_addf(&m->text, "\n确认：suqiu alerts ack %lld --note \"处理意见\"\n"
			"关闭：suqiu alerts close %lld\n\n-- \nsuqiu 自动发出的预警邮件，请勿直接回复。\n",
			(long long)f->id, (long long)f->id) ||
	    sq_buf_addf(&m->html, "</table>\n<p>确认：<code>suqiu alerts ack %lld --note \"处理意见\"</code>"
			"<br>关闭：<code>suqiu alerts close %lld</code></p>\n"
			"<p style=\"color:#666\">suqiu 自动发出的预警邮件，请勿直接回复。</p>\n</body></html>\n",
			(long long)f->id, (long long)f->id))
		goto out;
	rc = SQ_OK;
out:
	free(summary);
	free(detail);
	sq_buf_release(&tmp);
	return rc;
}

/* "<flag-ID.rREV.HASH@suqiu>": HASH ties the id to this flag's cause and
 * opening, so ids from two databases do not collide. */
static sq_err message_id(const struct store_flag *f, struct sq_buf *out)
{
	struct sq_buf in = SQ_BUF_INIT;
	char h[13];
	sq_err rc;

	rc = sq_buf_addf(&in, "%s|%lld|%lld|%lld", f->cause_key, (long long)f->opened_at,
			 (long long)f->id, (long long)f->revision);
	if (!rc)
		rc = notify_short_hash(in.data, in.len, h);
	sq_buf_release(&in);
	if (rc)
		return SQ_ENOMEM;
	return sq_buf_addf(out, "<flag-%lld.r%lld.%s@suqiu>", (long long)f->id,
			   (long long)f->revision, h);
}

sq_err notify_enqueue(struct sq_store *st, const struct sq_config *cfg, int64_t flag_id,
		      int64_t now, struct sq_error *err)
{
	struct store_flag f = { 0 };
	struct store_flag_member *mem = NULL;
	struct message_parts parts = { SQ_BUF_INIT, SQ_BUF_INIT, SQ_BUF_INIT };
	struct sq_buf mid = SQ_BUF_INIT;
	struct store_outbox_msg m = { 0 };
	char *recipients = NULL;
	size_t nmem = 0;
	sq_err rc;

	rc = store_flag_get(st, flag_id, &f, err);
	if (!rc)
		rc = store_flag_members(st, flag_id, MAIL_MEMBERS_MAX, &mem, &nmem, err);
	if (!rc)
		rc = notify_recipients(cfg, now, f.community, f.category, &recipients, err);
	if (rc)
		goto out;
	if (compose(cfg, &f, mem, nmem, &parts) || message_id(&f, &mid)) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory composing the alert of flag %lld",
			     (long long)flag_id);
		goto out;
	}
	m.flag_id = f.id;
	m.revision = f.revision;
	m.message_id = mid.data;
	m.created_at = now;
	m.recipients = recipients;
	m.subject = parts.subject.data;
	m.body_text = parts.text.data;
	m.body_html = parts.html.data;
	rc = store_outbox_add(st, &m, NULL, err);
out:
	store_flag_release(&f);
	store_flag_members_free(mem, nmem);
	parts_release(&parts);
	sq_buf_release(&mid);
	free(recipients);
	return rc;
}

/* ---- sending ----------------------------------------------------------- */

/* Split a comma list into an array of pointers into a copy. */
static int split_recipients(const char *list, char **copy, const char ***out, size_t *n)
{
	size_t cap = 1, i = 0;
	const char *p;
	char *c, *q;

	for (p = list; *p; p++)
		if (*p == ',')
			cap++;
	*copy = c = strdup(list);
	*out = calloc(cap, sizeof(**out));
	if (!c || !*out) {
		free(c);
		free((void *)*out);
		*copy = NULL;
		*out = NULL;
		return -1;
	}
	for (q = c; *q;) {
		char *comma = strchr(q, ',');

		if (comma)
			*comma = '\0';
		if (*q)
			(*out)[i++] = q;
		if (!comma)
			break;
		q = comma + 1;
	}
	*n = i;
	return 0;
}

/* Commit what rc says succeeded in the open transaction, or roll it back. */
static sq_err in_tx(struct sq_store *st, sq_err rc, struct sq_error *err)
{
	if (rc) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st, err);
	if (rc)
		store_rollback(st);
	return rc;
}

static int is_digest(const struct store_outbox_msg *m)
{
	return m->kind && !strcmp(m->kind, "digest");
}

/* A row queued with nobody to send to: ask the configuration again (the
 * roster may have been filled since), and keep the answer. */
static sq_err resolve_recipients(struct sq_store *st, const struct sq_config *cfg, int64_t now,
				 struct store_outbox_msg *m, struct sq_error *err)
{
	char *fresh = NULL;
	sq_err rc;

	rc = is_digest(m) ? notify_digest_recipients(cfg, &fresh, err)
			  : notify_recipients(cfg, now, m->community, m->category, &fresh, err);
	if (rc)
		return rc;
	if (*fresh) {
		rc = store_begin(st, err);
		if (!rc)
			rc = in_tx(st, store_outbox_set_recipients(st, m->id, fresh, err), err);
		if (rc) {
			free(fresh);
			return rc;
		}
		free(m->recipients);
		m->recipients = fresh;
		fresh = NULL;
	}
	free(fresh);
	if (!m->recipients || !*m->recipients)
		return sq_fail(err, SQ_EFATAL, is_digest(m)
			       ? "digest %s: neither alerts.digest_to nor alerts.duty names anybody"
			       : "alert %s: the duty roster (alerts.duty) names nobody", m->message_id);
	return SQ_OK;
}

static sq_err deliver(struct sq_store *st, const struct sq_config *cfg, int64_t now,
		      struct store_outbox_msg *m, struct sq_faults *faults, int *unreachable,
		      struct sq_error *err)
{
	const struct sq_smtp_config *sc = &cfg->alerts.smtp;
	struct mail_smtp smtp = { sc->url, sc->username, sc->password.value, sc->ca_file,
				  sc->require_tls, sc->timeout_ms };
	struct mail_message msg = { 0 };
	struct mail_header extra[2];
	struct sq_buf data = SQ_BUF_INIT;
	char flag_s[24], rev_s[24], *copy = NULL;
	const char **rcpt = NULL;
	size_t nrcpt = 0;
	sq_err rc;

	*unreachable = 0;
	if (!m->recipients || !*m->recipients) {
		rc = resolve_recipients(st, cfg, now, m, err);
		if (rc)
			return rc;
	}
	if (split_recipients(m->recipients, &copy, &rcpt, &nrcpt))
		return sq_fail(err, SQ_ENOMEM, "out of memory sending mail");
	if (is_digest(m)) {
		extra[0].name = "X-Suqiu-Digest";
		extra[0].value = m->digest_key ? m->digest_key : "";
		msg.nextra = 1;
	} else {
		snprintf(flag_s, sizeof(flag_s), "%lld", (long long)m->flag_id);
		snprintf(rev_s, sizeof(rev_s), "%lld", (long long)m->revision);
		extra[0].name = "X-Suqiu-Flag";
		extra[0].value = flag_s;
		extra[1].name = "X-Suqiu-Revision";
		extra[1].value = rev_s;
		msg.nextra = 2;
	}
	msg.from = sc->from ? sc->from : "suqiu@localhost";
	msg.to = rcpt;
	msg.nto = nrcpt;
	msg.subject = m->subject;
	msg.text = m->body_text;
	msg.html = m->body_html;
	msg.html_filename = m->attachment;
	msg.message_id = m->message_id;
	msg.date = m->created_at;
	msg.tz_offset_s = cfg->tz_offset_s;
	msg.extra = extra;
	rc = mail_build(&msg, &data, err);
	if (!rc)
		rc = mail_send(&smtp, msg.from, rcpt, nrcpt, data.data, data.len, unreachable, err);
	if (!rc && sq_fault_hit(faults, "after_send"))
		rc = sq_fail(err, SQ_EIO, "fault injected at after_send");
	free(copy);
	free((void *)rcpt);
	sq_buf_release(&data);
	return rc;
}

sq_err notify_send(struct sq_store *st, const struct sq_config *cfg, int64_t now,
		   const struct notify_send_opts *opts, struct notify_stats *stats,
		   struct sq_error *err)
{
	int max_messages = opts ? opts->max_messages : 0;
	struct sq_faults *faults = opts ? opts->faults : NULL;
	/* Rows due by this time are claimed; a later one only with ignore_backoff. */
	int64_t due_by = opts && opts->ignore_backoff ? INT64_MAX : now;
	const struct sq_smtp_config *sc = &cfg->alerts.smtp;
	struct store_outbox_msg m = { 0 };
	struct sq_error last = { 0 };
	int64_t in_doubt_s, sending = 0, sent_total = 0;
	int count = 0;
	sq_err rc;

	memset(stats, 0, sizeof(*stats));
	in_doubt_s = sc->in_doubt_after_ms > 0 ? (sc->in_doubt_after_ms + 999) / 1000
					       : DEFAULT_IN_DOUBT_S;
	if (!sc->url || !*sc->url) {
		rc = store_outbox_counts(st, &stats->pending, &sending, &sent_total,
					 &stats->next_due, err);
		if (!rc && stats->pending + sending > 0)
			rc = sq_fail(err, SQ_ECONFIG, "alerts.smtp.url is not set; %lld message(s) "
				     "wait in the outbox", (long long)(stats->pending + sending));
		return rc;
	}
	rc = store_begin(st, err);
	if (!rc)
		rc = in_tx(st, store_outbox_recover(st, now - in_doubt_s, &stats->recovered, err),
			   err);
	if (rc)
		return rc;
	while (!max_messages || count < max_messages) {
		int unreachable = 0;
		sq_err send_rc;

		rc = store_begin(st, err);
		if (!rc)
			rc = in_tx(st, store_outbox_claim(st, due_by, now, &m, err), err);
		if (rc)
			goto out;
		if (!m.id)
			break;
		count++;
		if (sq_fault_hit(faults, "after_claim")) {
			rc = sq_fail(err, SQ_EIO, "fault injected at after_claim");
			goto out;
		}
		send_rc = deliver(st, cfg, now, &m, faults, &unreachable, &last);
		if (send_rc == SQ_EIO || send_rc == SQ_ENOMEM || send_rc == SQ_EDB) {
			/* A fault or a local failure: leave the row in sending; the
			 * in-doubt rule re-sends it, as after a crash. */
			*err = last;
			rc = send_rc;
			goto out;
		}
		if (!send_rc) {
			rc = store_begin(st, err);
			if (!rc) {
				rc = store_outbox_mark_sent(st, m.id, now, err);
				if (!rc && !is_digest(&m))
					rc = store_flag_mark_notified(st, m.flag_id, m.revision, now, err);
				rc = in_tx(st, rc, err);
			}
			if (rc)
				goto out;
			stats->sent++;
		} else {
			int64_t delay = send_rc == SQ_EFATAL
				? (sc->retry_max_ms > 0 ? sc->retry_max_ms : 3600000)
				: notify_backoff_ms(m.attempts, sc->retry_base_ms, sc->retry_max_ms,
						    (uint64_t)m.id * 0x9e3779b97f4a7c15ull);

			rc = store_begin(st, err);
			if (!rc)
				rc = in_tx(st, store_outbox_mark_failed(st, m.id, now + (delay + 999) / 1000,
									 last.msg, err), err);
			if (rc)
				goto out;
			stats->failed++;
			if (unreachable)
				break;   /* the others would fail the same way now */
		}
	}
	rc = store_outbox_counts(st, &stats->pending, &sending, &sent_total, &stats->next_due, err);
	if (!rc && stats->failed) {
		*err = last;
		err->code = SQ_EMAIL;
		rc = SQ_EMAIL;
	}
out:
	store_outbox_msg_release(&m);
	return rc;
}
