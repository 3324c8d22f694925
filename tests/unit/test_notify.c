/* The notifier without a mail server: the duty roster, phone masking,
 * backoff, what a queued alert holds, and the outbox's states when the
 * server is down, when a run dies mid-send, when nothing is configured. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "alerts_fixture.h"
#include "detect.h"
#include "fault.h"
#include "notify.h"
#include "store.h"
#include "testutil.h"
#include "banned.h"

struct fx {
	char *dir, *db;
	struct sq_store *st;
	struct sq_config cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sq_error err = { 0 };

	f->dir = test_tmpdir();
	f->db = test_path(f->dir, "suqiu.db");
	if (store_open(f->db, &f->st, &err))
		return -1;
	fixture_config(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	fixture_config_release(&f->cfg);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

/* ---- the roster ------------------------------------------------------- */

#define WEEKDAYS 0x1fu
#define WEEKEND 0x60u
#define ALL 0x7fu

static char *who(struct sq_config *cfg, int64_t t, const char *comm, const char *cat)
{
	struct sq_error err = { 0 };
	char *r = NULL;

	assert_int_equal(notify_recipients(cfg, t, comm, cat, &r, &err), SQ_OK);
	return r;
}

static void expect_who(struct sq_config *cfg, int64_t t, const char *comm, const char *cat,
		       const char *want)
{
	char *r = who(cfg, t, comm, cat);

	assert_string_equal(r, want);
	free(r);
}

static void test_roster_by_day_hour_community_category(void **state)
{
	struct fx *f = *state;
	struct sq_config *cfg = &f->cfg;

	fixture_add_duty(cfg, "office@x.cn", WEEKDAYS, 8, 18, NULL, NULL);
	fixture_add_duty(cfg, "night@x.cn", ALL, 18, 8, NULL, NULL);
	fixture_add_duty(cfg, "weekend@x.cn", WEEKEND, 0, 24, NULL, NULL);
	fixture_add_duty(cfg, "xihua@x.cn", ALL, 0, 24, "西华路社区", NULL);
	fixture_add_duty(cfg, "labour@x.cn", WEEKDAYS, 9, 17, NULL, "wages");
	fixture_add_duty(cfg, "OFFICE@x.cn", WEEKDAYS, 8, 18, NULL, NULL);

	/* Monday 10:00 +08:00, a noise flag in 恩宁路社区. */
	expect_who(cfg, fixture_time(0, 10, 0), "恩宁路社区", "noise", "office@x.cn");
	/* The same in 西华路社区: its own officer too. */
	expect_who(cfg, fixture_time(0, 10, 0), "西华路社区", "noise", "office@x.cn,xihua@x.cn");
	/* Wages at 10:00 on a weekday: the labour desk as well. */
	expect_who(cfg, fixture_time(0, 10, 0), "恩宁路社区", "wages", "office@x.cn,labour@x.cn");
	/* Monday 23:30 and Tuesday 03:00: the night shift crosses midnight. */
	expect_who(cfg, fixture_time(0, 23, 30), "恩宁路社区", "noise", "night@x.cn");
	expect_who(cfg, fixture_time(1, 3, 0), "恩宁路社区", "noise", "night@x.cn");
	/* 18:00 belongs to the night shift, not the office ([from, to)). */
	expect_who(cfg, fixture_time(0, 18, 0), "恩宁路社区", "noise", "night@x.cn");
	/* Saturday noon. */
	expect_who(cfg, fixture_time(5, 12, 0), "恩宁路社区", "noise", "weekend@x.cn");
	/* A flag without a community: rows with community filters do not match. */
	expect_who(cfg, fixture_time(0, 10, 0), NULL, "noise", "office@x.cn");
}

static void test_roster_falls_back_rather_than_dropping(void **state)
{
	struct fx *f = *state;
	struct sq_config *cfg = &f->cfg;
	char *r;

	/* Nobody on duty Saturday night: the rows admitting the flag, whatever the hour. */
	fixture_add_duty(cfg, "office@x.cn", WEEKDAYS, 8, 18, NULL, NULL);
	fixture_add_duty(cfg, "xihua@x.cn", WEEKDAYS, 8, 18, "西华路社区", NULL);
	expect_who(cfg, fixture_time(5, 23, 0), "恩宁路社区", "noise", "office@x.cn");
	expect_who(cfg, fixture_time(5, 23, 0), "西华路社区", "noise", "office@x.cn,xihua@x.cn");
	fixture_config_release(cfg);
	fixture_config(cfg);
	/* Only a filtered row that does not admit the flag: everyone on the roster. */
	fixture_add_duty(cfg, "xihua@x.cn", ALL, 0, 24, "西华路社区", NULL);
	expect_who(cfg, fixture_time(0, 10, 0), "恩宁路社区", "noise", "xihua@x.cn");
	fixture_config_release(cfg);
	fixture_config(cfg);
	r = who(cfg, fixture_time(0, 10, 0), "恩宁路社区", "noise");
	assert_string_equal(r, "");
	free(r);
}

/* ---- masking and backoff --------------------------------------------------- */

static void expect_mask(const char *in, const char *want)
{
	struct sq_buf b = SQ_BUF_INIT;

	assert_int_equal(notify_mask_phones(&b, in), SQ_OK);
	assert_string_equal(sq_buf_str(&b), want);
	sq_buf_release(&b);
}

static void test_phone_masking(void **state)
{
	(void)state;
	expect_mask("请联系13812345678谢谢", "请联系138****5678谢谢");
	expect_mask("电话 138 1234 5678。", "电话 138****5678。");
	expect_mask("电话138-1234-5678", "电话138****5678");
	expect_mask("座机020-81234567", "座机*********67");
	expect_mask("座机81234567", "座机******67");
	expect_mask("订单2024050112345000123", "订单2024050112345000123");
	expect_mask("2024-05-01 09:00", "2024-05-01 09:00");
	expect_mask("恩宁路88号", "恩宁路88号");
	expect_mask("138****5678", "138****5678");
	expect_mask("2024-05-01", "2024-05-01");
	expect_mask("网格440103009001012", "网格440103009001012");
	expect_mask("1380013800", "********00");
	expect_mask("", "");
}

static void test_backoff_doubles_to_a_cap_with_bounded_jitter(void **state)
{
	int64_t a, prev = 0;
	int n;

	(void)state;
	for (n = 1; n <= 12; n++) {
		int64_t base = 60000 << (n - 1 < 6 ? n - 1 : 6);
		int64_t lo = base < 3600000 ? base : 3600000;

		a = notify_backoff_ms(n, 60000, 3600000, 42);
		assert_true(a >= lo);
		assert_true(a <= lo + lo / 4);
		assert_true(a >= prev * 3 / 4);
		prev = a;
	}
	assert_int_equal(notify_backoff_ms(3, 1000, 3600000, 7), notify_backoff_ms(3, 1000, 3600000, 7));
}

/* ---- what gets queued ------------------------------------------------------ */

static int64_t put_urgent(struct fx *f, const char *id, int64_t t)
{
	struct fixture_complaint c = { 0 };

	c.source_id = id;
	c.received_at = t;
	c.category = "wages";
	c.community = "恩宁路社区";
	c.title = "工人扬言跳楼讨薪，联系电话13912345678";
	c.text = "恩宁路88号工地拖欠工资，工头电话 139 1234 5678，工人说要跳楼";
	c.contact_hash = "hash-a";
	c.contact_masked = "139****5678";
	c.contact_raw = "13912345678";
	return fixture_put(f->st, &c);
}

static struct store_outbox_msg *outbox(struct fx *f, size_t *n)
{
	struct sq_error err = { 0 };
	struct store_outbox_msg *m = NULL;

	assert_int_equal(store_outbox_list(f->st, &m, n, &err), SQ_OK);
	return m;
}

static void outbox_free(struct store_outbox_msg *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_outbox_msg_release(&m[i]);
	free(m);
}

static void raise_one(struct fx *f, int64_t t)
{
	struct sq_error err = { 0 };
	struct detect_stats s;

	put_urgent(f, "U1", t);
	assert_int_equal(detect_run(f->st, &f->cfg, t + 60, &s, &err), SQ_OK);
	assert_int_equal(s.queued, 1);
}

static void test_queued_alert_content(void **state)
{
	struct fx *f = *state;
	struct store_outbox_msg *m;
	size_t n;
	int64_t t = fixture_time(2, 9, 0);

	fixture_add_duty(&f->cfg, "duty@x.cn", ALL, 0, 24, NULL, NULL);
	raise_one(f, t);
	m = outbox(f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].state, "pending");
	assert_int_equal(m[0].revision, 1);
	assert_int_equal(m[0].next_attempt_at, t + 60);
	assert_string_equal(m[0].recipients, "duty@x.cn");
	assert_true(!strncmp(m[0].message_id, "<flag-1.r1.", 11));
	assert_non_null(strstr(m[0].message_id, "@suqiu>"));
	assert_int_equal(strlen(m[0].message_id), strlen("<flag-1.r1.0123456789ab@suqiu>"));
	assert_non_null(strstr(m[0].subject, "预警"));
	assert_non_null(strstr(m[0].subject, "高"));
	assert_non_null(strstr(m[0].body_text, "139****5678"));
	assert_non_null(strstr(m[0].body_html, "139****5678"));
	assert_non_null(strstr(m[0].body_text, "suqiu alerts ack 1"));
	/* No full phone number, however written, in any part. */
	assert_null(strstr(m[0].subject, "13912345678"));
	assert_null(strstr(m[0].body_text, "13912345678"));
	assert_null(strstr(m[0].body_html, "13912345678"));
	assert_null(strstr(m[0].body_text, "139 1234 5678"));
	outbox_free(m, n);
}

/*
 * A flag of 35 complaints: the mail lists the 30 oldest, by time, and
 * says how many there are in all and how many it leaves out; the store
 * gives the first `limit` members in that order, or all of them.
 */
static void test_alert_lists_the_oldest_members(void **state)
{
	struct fx *f = *state;
	struct sq_error err = { 0 };
	struct store_flag fl = { 0 };
	struct store_flag_member *mem = NULL;
	struct store_outbox_msg *m;
	int64_t t = fixture_time(2, 9, 0), ids[35], id = 0, added = 0;
	size_t n, i;
	char sid[8];

	fixture_add_duty(&f->cfg, "duty@x.cn", ALL, 0, 24, NULL, NULL);
	for (i = 0; i < 35; i++) {
		/* stored newest first: M34 is the oldest */
		struct fixture_complaint c = { 0 };

		snprintf(sid, sizeof(sid), "M%02zu", i);
		c.source_id = sid;
		c.received_at = t - (int64_t)i * 600;
		c.category = "wages";
		c.community = "恩宁路社区";
		c.title = "拖欠工资";
		c.text = "工地拖欠工资";
		ids[i] = fixture_put(f->st, &c);
	}
	fl.kind = "overdue";
	fl.cause_key = "overdue:恩宁路社区";
	fl.severity = "low";
	fl.level = 1;
	fl.summary = "恩宁路社区有 35 件诉求超过办理期限";
	assert_int_equal(store_begin(f->st, &err), SQ_OK);
	assert_int_equal(store_flag_create(f->st, &fl, t, &id, &err), SQ_OK);
	assert_int_equal(store_flag_add_members(f->st, id, ids, 35, t, &added, &err), SQ_OK);
	assert_int_equal(added, 35);
	assert_int_equal(notify_enqueue(f->st, &f->cfg, id, t, &err), SQ_OK);
	assert_int_equal(store_commit(f->st, &err), SQ_OK);

	assert_int_equal(store_flag_members(f->st, id, 30, &mem, &n, &err), SQ_OK);
	assert_int_equal(n, 30);
	assert_string_equal(mem[0].source_id, "M34");
	assert_string_equal(mem[29].source_id, "M05");
	for (i = 1; i < n; i++)
		assert_true(mem[i - 1].received_at < mem[i].received_at);
	store_flag_members_free(mem, n);
	assert_int_equal(store_flag_members(f->st, id, 0, &mem, &n, &err), SQ_OK);
	assert_int_equal(n, 35);
	assert_string_equal(mem[34].source_id, "M00");
	store_flag_members_free(mem, n);

	m = outbox(f, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(m[0].body_text, "涉及 35 件诉求"));
	assert_non_null(strstr(m[0].body_text, "…另有 5 件"));
	assert_non_null(strstr(m[0].body_html, "…另有 5 件"));
	assert_non_null(strstr(m[0].body_text, " 1. "));
	assert_non_null(strstr(m[0].body_text, "M34"));
	assert_non_null(strstr(m[0].body_text, "M05"));
	assert_null(strstr(m[0].body_text, "M04"));
	assert_true(strstr(m[0].body_text, "M34") < strstr(m[0].body_text, "M05"));
	outbox_free(m, n);
}

/* ---- sending without a server ---------------------------------------------- */

static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static void point_at_nothing(struct fx *f)
{
	char url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", closed_port());
	f->cfg.alerts.smtp.url = strdup(url);
	f->cfg.alerts.smtp.timeout_ms = 2000;
}

static void test_no_server_configured_keeps_everything(void **state)
{
	struct fx *f = *state;
	struct sq_error err = { 0 };
	struct notify_stats ns;
	struct store_outbox_msg *m;
	size_t n;
	int64_t t = fixture_time(2, 9, 0);

	raise_one(f, t);
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120, NULL, &ns, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "alerts.smtp.url"));
	m = outbox(f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].state, "pending");
	assert_int_equal(m[0].attempts, 0);
	outbox_free(m, n);
}

static void test_server_down_retries_later_nothing_lost(void **state)
{
	struct fx *f = *state;
	struct sq_error err = { 0 };
	struct notify_stats ns;
	struct store_outbox_msg *m;
	struct store_flag fl = { 0 };
	size_t n;
	int64_t t = fixture_time(2, 9, 0), due;

	fixture_add_duty(&f->cfg, "duty@x.cn", ALL, 0, 24, NULL, NULL);
	raise_one(f, t);
	point_at_nothing(f);
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120, NULL, &ns, &err), SQ_EMAIL);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_int_equal(ns.failed, 1);
	assert_int_equal(ns.sent, 0);
	assert_int_equal(ns.pending, 1);
	m = outbox(f, &n);
	assert_string_equal(m[0].state, "pending");
	assert_int_equal(m[0].attempts, 1);
	due = m[0].next_attempt_at;
	/* retry_base 1m by default, with up to a quarter of jitter. */
	assert_true(due >= t + 120 + 60 && due <= t + 120 + 75);
	assert_non_null(strstr(m[0].last_error, "cannot connect"));
	outbox_free(m, n);

	/* Not due yet: nothing is attempted. */
	assert_int_equal(notify_send(f->st, &f->cfg, due - 1, NULL, &ns, &err), SQ_OK);
	assert_int_equal(ns.failed, 0);
	/* Due: tried again, and the wait doubles. */
	assert_int_equal(notify_send(f->st, &f->cfg, due, NULL, &ns, &err), SQ_EMAIL);
	m = outbox(f, &n);
	assert_int_equal(m[0].attempts, 2);
	assert_true(m[0].next_attempt_at >= due + 120 && m[0].next_attempt_at <= due + 150);
	outbox_free(m, n);
	/* The flag waits, open, for its mail. */
	assert_int_equal(store_flag_get(f->st, 1, &fl, &err), SQ_OK);
	assert_string_equal(fl.state, "open");
	store_flag_release(&fl);
}

struct crash_probe {
	int hits;
	char point[32];
};

static void probe(void *arg, const char *point)
{
	struct crash_probe *p = arg;

	p->hits++;
	snprintf(p->point, sizeof(p->point), "%s", point);
}

static void test_unfinished_send_is_resent_after_the_grace_period(void **state)
{
	struct fx *f = *state;
	struct sq_error err = { 0 };
	struct notify_stats ns;
	struct store_outbox_msg *m;
	struct crash_probe p = { 0 };
	struct sq_faults faults;
	struct notify_send_opts opts = { 0 };
	size_t n;
	int64_t t = fixture_time(2, 9, 0);
	char *mid;

	fixture_add_duty(&f->cfg, "duty@x.cn", ALL, 0, 24, NULL, NULL);
	raise_one(f, t);
	point_at_nothing(f);
	assert_int_equal(sq_faults_parse(&faults, "after_claim:1", &err), SQ_OK);
	faults.crash = probe;
	faults.arg = &p;
	opts.faults = &faults;
	/* The "crash" (the probe returns) leaves the row claimed: sending. */
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120, &opts, &ns, &err), SQ_EIO);
	assert_int_equal(p.hits, 1);
	assert_string_equal(p.point, "after_claim");
	m = outbox(f, &n);
	assert_string_equal(m[0].state, "sending");
	assert_int_equal(m[0].sending_since, t + 120);
	mid = strdup(m[0].message_id);
	outbox_free(m, n);

	/* Within the grace period another run leaves it alone. */
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120 + 599, NULL, &ns, &err), SQ_OK);
	assert_int_equal(ns.recovered, 0);
	m = outbox(f, &n);
	assert_string_equal(m[0].state, "sending");
	outbox_free(m, n);

	/* After it, the row is in doubt and tried again, same Message-ID. */
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120 + 601, NULL, &ns, &err), SQ_EMAIL);
	assert_int_equal(ns.recovered, 1);
	m = outbox(f, &n);
	assert_int_equal(m[0].in_doubt, 1);
	assert_int_equal(m[0].attempts, 2);
	assert_string_equal(m[0].message_id, mid);
	assert_string_equal(m[0].state, "pending");
	outbox_free(m, n);
	free(mid);
}

/* ---- digests ------------------------------------------------------------- */

static void set_digest_to(struct sq_config *cfg, const char *a, const char *b)
{
	cfg->alerts.digest_to.items = calloc(2, sizeof(char *));
	assert_non_null(cfg->alerts.digest_to.items);
	cfg->alerts.digest_to.items[0] = strdup(a);
	cfg->alerts.digest_to.items[1] = strdup(b);
	cfg->alerts.digest_to.n = 2;
}

static void expect_digest_rcpt(struct sq_config *cfg, const char *want)
{
	struct sq_error err = { 0 };
	char *r = NULL;

	assert_int_equal(notify_digest_recipients(cfg, &r, &err), SQ_OK);
	assert_string_equal(r, want);
	free(r);
}

static void test_digest_recipients(void **state)
{
	struct fx *f = *state;

	expect_digest_rcpt(&f->cfg, "");
	/* Without digest_to: every roster row, whatever its hours and filters. */
	fixture_add_duty(&f->cfg, "office@x.cn", WEEKDAYS, 8, 18, NULL, NULL);
	fixture_add_duty(&f->cfg, "xihua@x.cn", ALL, 0, 24, "西华路社区", NULL);
	fixture_add_duty(&f->cfg, "OFFICE@x.cn", WEEKEND, 0, 24, NULL, NULL);
	expect_digest_rcpt(&f->cfg, "office@x.cn,xihua@x.cn");
	/* digest_to replaces the roster. */
	set_digest_to(&f->cfg, "chief@x.cn", "Chief@x.cn");
	expect_digest_rcpt(&f->cfg, "chief@x.cn");
}

static sq_err queue_digest(struct fx *f, int64_t since, int64_t until, const char *layout,
			   int *added)
{
	struct notify_digest d = { 0 };
	struct sq_error err = { 0 };

	d.since = since;
	d.until = until;
	d.layout = layout;
	d.title = "诉求摘要";
	d.text = "诉求件数 7";
	d.html = "<!DOCTYPE html><p>报告</p>";
	return notify_enqueue_digest(f->st, &f->cfg, &d, "office@x.cn", fixture_time(1, 7, 30),
				     added, &err);
}

static void test_digest_queued_once_per_period_and_layout(void **state)
{
	struct fx *f = *state;
	struct store_outbox_msg *m;
	size_t n;
	int added = -1;
	int64_t mon = fixture_time(0, 0, 0), tue = fixture_time(1, 0, 0);

	f->cfg.areas.street = strdup("金花街道");
	assert_int_equal(queue_digest(f, mon, tue, NULL, &added), SQ_OK);
	assert_int_equal(added, 1);
	/* The timer again, or a second run: nothing more. */
	assert_int_equal(queue_digest(f, mon, tue, NULL, &added), SQ_OK);
	assert_int_equal(added, 0);
	/* Another report of the same day is another mail. */
	assert_int_equal(queue_digest(f, mon, tue, "by community", &added), SQ_OK);
	assert_int_equal(added, 1);
	/* A period that is not whole days names its times. */
	assert_int_equal(queue_digest(f, mon + 27000, tue + 27000, NULL, &added), SQ_OK);
	assert_int_equal(added, 1);
	m = outbox(f, &n);
	assert_int_equal(n, 3);
	assert_string_equal(m[0].kind, "digest");
	assert_int_equal(m[0].flag_id, 0);
	assert_null(m[0].category);
	assert_string_equal(m[0].state, "pending");
	assert_int_equal(m[0].next_attempt_at, fixture_time(1, 7, 30));
	assert_string_equal(m[0].digest_key, "2024-05-06T00:00:00+08:00/2024-05-07T00:00:00+08:00");
	assert_string_equal(m[0].subject, "【suqiu 摘要】金花街道 诉求摘要 2024-05-06");
	assert_string_equal(m[0].attachment, "suqiu-digest-20240506.html");
	assert_true(!strncmp(m[0].message_id, "<digest-20240506.", 17));
	assert_int_equal(strlen(m[0].message_id), strlen("<digest-20240506.0123456789ab@suqiu>"));
	assert_string_equal(m[0].recipients, "office@x.cn");
	assert_true(!strncmp(m[0].body_text, "诉求件数 7\n\n-- \n", strlen("诉求件数 7\n\n-- \n")));
	assert_non_null(strstr(m[0].body_text, "suqiu-digest-20240506.html"));
	assert_string_equal(m[0].body_html, "<!DOCTYPE html><p>报告</p>");
	assert_string_equal(m[1].digest_key,
			    "2024-05-06T00:00:00+08:00/2024-05-07T00:00:00+08:00 by community");
	assert_string_equal(m[1].attachment, "suqiu-digest-20240506-by-community.html");
	assert_string_not_equal(m[1].message_id, m[0].message_id);
	assert_string_equal(m[2].subject,
			    "【suqiu 摘要】金花街道 诉求摘要 2024-05-06 07:30 至 2024-05-07 07:30");
	assert_string_equal(m[2].attachment, "suqiu-digest-20240506T0730-20240507T0730.html");
	outbox_free(m, n);
}

/* A digest waits with the alerts when the server is down (the digest,
 * queued earlier, is tried first; the server being unreachable, the alert
 * is left for later); asked for again, the digest is due at once, and the
 * alert's row is not touched by that. */
static void test_digest_waits_for_the_server_with_the_alerts(void **state)
{
	struct fx *f = *state;
	struct sq_error err = { 0 };
	struct notify_stats ns;
	struct store_outbox_msg *m;
	size_t n;
	int added;
	int64_t t = fixture_time(2, 9, 0);

	fixture_add_duty(&f->cfg, "duty@x.cn", ALL, 0, 24, NULL, NULL);
	raise_one(f, t);
	assert_int_equal(queue_digest(f, fixture_time(0, 0, 0), fixture_time(1, 0, 0), NULL,
				      &added), SQ_OK);
	point_at_nothing(f);
	assert_int_equal(notify_send(f->st, &f->cfg, t + 120, NULL, &ns, &err), SQ_EMAIL);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_int_equal(ns.sent, 0);
	assert_int_equal(ns.failed, 1);
	assert_int_equal(ns.pending, 2);
	m = outbox(f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].kind, "flag");
	assert_int_equal(m[0].attempts, 0);
	assert_string_equal(m[1].kind, "digest");
	assert_int_equal(m[1].attempts, 1);
	assert_string_equal(m[1].state, "pending");
	assert_true(m[1].next_attempt_at >= t + 180);
	assert_non_null(strstr(m[1].last_error, "cannot connect"));
	outbox_free(m, n);
	assert_int_equal(store_outbox_make_due(f->st, "2024-05-06T00:00:00+08:00/"
					       "2024-05-07T00:00:00+08:00", t + 121, &err), SQ_OK);
	m = outbox(f, &n);
	assert_int_equal(m[1].next_attempt_at, t + 121);
	assert_int_equal(m[0].next_attempt_at, t + 60);
	outbox_free(m, n);
}

static void test_fault_spec(void **state)
{
	struct sq_faults f;
	struct sq_error err = { 0 };
	struct crash_probe p = { 0 };

	(void)state;
	assert_int_equal(sq_faults_parse(&f, NULL, &err), SQ_OK);
	assert_int_equal(sq_fault_hit(&f, "after_send"), 0);
	assert_int_equal(sq_faults_parse(&f, "after_send:2", &err), SQ_OK);
	f.crash = probe;
	f.arg = &p;
	assert_int_equal(sq_fault_hit(&f, "after_claim"), 0);
	assert_int_equal(sq_fault_hit(&f, "after_send"), 0);
	assert_int_equal(sq_fault_hit(&f, "after_send"), 1);
	assert_int_equal(sq_fault_hit(&f, "after_send"), 0);
	assert_int_equal(p.hits, 1);
	assert_int_equal(sq_faults_parse(&f, "after_send:0", &err), SQ_EUSAGE);
	assert_int_equal(sq_faults_parse(&f, ":3", &err), SQ_EUSAGE);
	assert_int_equal(sq_faults_parse(&f, "after_send:x", &err), SQ_EUSAGE);
	assert_int_equal(sq_fault_hit(NULL, "after_send"), 0);
}

static int global_setup(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int global_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_roster_by_day_hour_community_category),
		T(test_roster_falls_back_rather_than_dropping),
		cmocka_unit_test(test_phone_masking),
		cmocka_unit_test(test_backoff_doubles_to_a_cap_with_bounded_jitter),
		T(test_queued_alert_content),
		T(test_alert_lists_the_oldest_members),
		T(test_no_server_configured_keeps_everything),
		T(test_server_down_retries_later_nothing_lost),
		T(test_unfinished_send_is_resent_after_the_grace_period),
		T(test_digest_recipients),
		T(test_digest_queued_once_per_period_and_layout),
		T(test_digest_waits_for_the_server_with_the_alerts),
		cmocka_unit_test(test_fault_spec),
	};

	return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
