/*
 * suqiu alerts — the early-warning flags and their mail: list, show,
 * acknowledge, close; deliver the outbox; run the detectors by hand.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_alerts.h"
#include "detect.h"
#include "fault.h"
#include "flag.h"
#include "normalize.h"
#include "notify.h"
#include "pollenv.h"
#include "store.h"
#include "banned.h"

static const char usage[] =
	"usage: suqiu alerts [--state STATE] [--format text|json]\n"
	"       suqiu alerts show ID\n"
	"       suqiu alerts ack ID [--note TEXT]\n"
	"       suqiu alerts close ID [--note TEXT]\n"
	"       suqiu alerts send [--max N] [--now]\n"
	"       suqiu alerts detect [--no-notify]\n"
	"\n"
	"Without a subcommand, list the early-warning flags, newest first:\n"
	"  --state STATE    only open, notified, acknowledged or closed flags\n"
	"  --format FORMAT  text (default) or json: an array of flags with id, kind,\n"
	"                   severity, state, opened_at (RFC 3339), summary and\n"
	"                   members ({\"source\", \"source_id\"})\n"
	"show ID            one flag with its members, history and alert mail\n"
	"ack ID             a duty officer has seen it (--note: what is being done)\n"
	"close ID           the matter is dealt with; new reports open a new flag\n"
	"send               deliver the alert mail that is due (poll does this at the\n"
	"                   end of every run); --now: also what waits for its retry\n"
	"                   time, e.g. after fixing the SMTP settings; --max N: at most N\n"
	"detect             run the detectors now, as poll does after storing\n"
	"                   (after an import, say), then send unless --no-notify\n"
	"\n"
	"Exit status: 0 done; 1 some mail could not be sent (it stays queued and is\n"
	"retried later) or another poll holds the lock; 2 usage error, no such flag.\n"
	"\n"
	"Environment (tests): SUQIU_NOW=RFC3339 as the current time;\n"
	"SUQIU_CRASH_AT=after_claim:N|after_send:N|after_detect:N ends the process\n"
	"abruptly at that point.\n";

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (*s == '#' || *s == 'F' || *s == 'f')
		s++;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

struct ctx {
	struct cli *cli;
	struct pollenv env;
	int64_t now;
};

static int open_env(struct ctx *c)
{
	struct sq_error err = { 0 };
	int status = pollenv_open(c->cli, "alerts", &c->env);

	if (status)
		return status;
	c->now = c->env.clock.now_ms(c->env.clock.ctx) / 1000;
	if (store_open(c->env.db_path, &c->env.store, &err)) {
		cli_error("alerts", &err);
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}

static const char *kind_label(const char *kind)
{
	int k = flag_kind_parse(kind);

	return k < 0 ? kind : flag_kind_label((enum flag_kind)k);
}

/* ---- list ------------------------------------------------------------- */

static cJSON *flag_json(struct ctx *c, const struct store_flag *f, int *oom)
{
	struct sq_error err = { 0 };
	struct store_flag_member *m = NULL;
	size_t n = 0, i;
	char when[NORM_TIME_BUFSZ];
	cJSON *o = cJSON_CreateObject(), *members;

	if (!o || store_flag_members(c->env.store, f->id, 0, &m, &n, &err)) {
		cJSON_Delete(o);
		*oom = 1;
		return NULL;
	}
#define ADD(expr) do { if (!(expr)) *oom = 1; } while (0)
	ADD(cJSON_AddNumberToObject(o, "id", (double)f->id));
	ADD(cJSON_AddStringToObject(o, "kind", f->kind));
	ADD(cJSON_AddStringToObject(o, "severity", f->severity));
	ADD(cJSON_AddStringToObject(o, "state", f->state));
	norm_format_time(f->opened_at, c->cli->cfg.tz_offset_s, when, sizeof(when));
	ADD(cJSON_AddStringToObject(o, "opened_at", when));
	norm_format_time(f->updated_at, c->cli->cfg.tz_offset_s, when, sizeof(when));
	ADD(cJSON_AddStringToObject(o, "updated_at", when));
	if (f->closed_at) {
		norm_format_time(f->closed_at, c->cli->cfg.tz_offset_s, when, sizeof(when));
		ADD(cJSON_AddStringToObject(o, "closed_at", when));
	} else {
		ADD(cJSON_AddNullToObject(o, "closed_at"));
	}
	ADD(cJSON_AddNumberToObject(o, "revision", (double)f->revision));
	ADD(cJSON_AddNumberToObject(o, "level", (double)f->level));
	ADD(cJSON_AddStringToObject(o, "cause_key", f->cause_key));
	ADD(f->category ? cJSON_AddStringToObject(o, "category", f->category)
			: cJSON_AddNullToObject(o, "category"));
	ADD(f->community ? cJSON_AddStringToObject(o, "community", f->community)
			 : cJSON_AddNullToObject(o, "community"));
	ADD(cJSON_AddStringToObject(o, "summary", f->summary));
	ADD(f->detail ? cJSON_AddStringToObject(o, "detail", f->detail)
		      : cJSON_AddNullToObject(o, "detail"));
	ADD(cJSON_AddNumberToObject(o, "incidents", (double)f->nunits));
	members = cJSON_AddArrayToObject(o, "members");
	ADD(members);
	for (i = 0; members && i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		ADD(x && cJSON_AddItemToArray(members, x));
		if (!x)
			break;
		ADD(cJSON_AddStringToObject(x, "source", m[i].source));
		ADD(cJSON_AddStringToObject(x, "source_id", m[i].source_id));
		ADD(m[i].incident_id ? cJSON_AddNumberToObject(x, "incident_id", (double)m[i].incident_id)
				     : cJSON_AddNullToObject(x, "incident_id"));
		norm_format_time(m[i].received_at, c->cli->cfg.tz_offset_s, when, sizeof(when));
		ADD(cJSON_AddStringToObject(x, "received_at", when));
	}
#undef ADD
	store_flag_members_free(m, n);
	return o;
}

static int list(struct ctx *c, const char *state, int json)
{
	struct sq_error err = { 0 };
	struct store_flag *fl = NULL;
	size_t n = 0, i;
	int oom = 0, status = EXIT_OK;

	if (store_flag_list(c->env.store, state, &fl, &n, &err)) {
		cli_error("alerts", &err);
		return EXIT_PARTIAL;
	}
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		char *text = NULL;

		oom = !arr;
		for (i = 0; arr && i < n && !oom; i++) {
			cJSON *o = flag_json(c, &fl[i], &oom);

			if (o && !cJSON_AddItemToArray(arr, o)) {
				cJSON_Delete(o);
				oom = 1;
			}
		}
		if (!oom && !(text = cJSON_Print(arr)))
			oom = 1;
		if (text)
			printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(arr);
		if (oom) {
			fprintf(stderr, "suqiu: alerts: out of memory\n");
			status = EXIT_PARTIAL;
		}
	} else {
		for (i = 0; i < n; i++) {
			char when[NORM_TIME_BUFSZ];

			norm_format_local(fl[i].opened_at, c->cli->cfg.tz_offset_s, when, sizeof(when));
			printf("#%-5lld %-12s %-6s %-12s %s  %s（%lld 件，第 %lld 版）\n",
			       (long long)fl[i].id, fl[i].kind, fl[i].severity, fl[i].state, when,
			       fl[i].summary, (long long)fl[i].nmembers, (long long)fl[i].revision);
		}
		if (!n)
			cli_info(c->cli, "suqiu: alerts: no flags%s%s", state ? " in state " : "",
				 state ? state : "");
	}
	for (i = 0; i < n; i++)
		store_flag_release(&fl[i]);
	free(fl);
	return status;
}

/* ---- show ------------------------------------------------------------- */

static int show(struct ctx *c, int64_t id)
{
	struct sq_error err = { 0 };
	struct store_flag f = { 0 };
	struct store_flag_member *m = NULL;
	struct store_flag_event *ev = NULL;
	struct store_outbox_msg *out = NULL;
	size_t nm = 0, nev = 0, nout = 0, i;
	int tz = c->cli->cfg.tz_offset_s;
	char when[NORM_TIME_BUFSZ];

	if (store_flag_get(c->env.store, id, &f, &err) ||
	    store_flag_members(c->env.store, id, 0, &m, &nm, &err) ||
	    store_flag_history(c->env.store, id, &ev, &nev, &err) ||
	    store_outbox_list(c->env.store, &out, &nout, &err)) {
		cli_error("alerts", &err);
		store_flag_release(&f);
		store_flag_members_free(m, nm);
		store_flag_events_free(ev, nev);
		return err.code == SQ_ENOTFOUND ? EXIT_USAGE : EXIT_PARTIAL;
	}
	printf("flag #%lld  %s（%s）  severity %s  state %s  revision %lld\n", (long long)f.id,
	       kind_label(f.kind), f.kind, f.severity, f.state, (long long)f.revision);
	printf("  %s\n", f.summary);
	if (f.detail)
		printf("  %s\n", f.detail);
	printf("  cause      %s\n", f.cause_key);
	norm_format_time(f.opened_at, tz, when, sizeof(when));
	printf("  opened     %s\n", when);
	norm_format_time(f.updated_at, tz, when, sizeof(when));
	printf("  updated    %s\n", when);
	printf("members (%zu complaints, %lld incidents):\n", nm, (long long)f.nunits);
	for (i = 0; i < nm; i++) {
		norm_format_local(m[i].received_at, tz, when, sizeof(when));
		printf("  %s  %s:%s  I%lld  %s  %s  %s\n", when, m[i].source, m[i].source_id,
		       (long long)m[i].incident_id, m[i].community ? m[i].community : "-",
		       m[i].contact_masked ? m[i].contact_masked : "-", m[i].title ? m[i].title : "");
	}
	printf("history:\n");
	for (i = 0; i < nev; i++) {
		norm_format_local(ev[i].at, tz, when, sizeof(when));
		printf("  %s  %-12s r%lld  %-12s %-6s %lld members%s%s\n", when, ev[i].event,
		       (long long)ev[i].revision, ev[i].state, ev[i].severity,
		       (long long)ev[i].members, ev[i].note ? "  " : "", ev[i].note ? ev[i].note : "");
	}
	printf("mail:\n");
	for (i = 0; i < nout; i++) {
		if (out[i].flag_id != id)
			continue;
		printf("  r%lld  %s  %s  attempts %lld%s%s  to %s\n", (long long)out[i].revision,
		       out[i].state, out[i].message_id, (long long)out[i].attempts,
		       out[i].in_doubt ? "  (re-sent after an unfinished run)" : "",
		       out[i].last_error && strcmp(out[i].state, "sent") ? "  last error: " : "",
		       out[i].recipients && *out[i].recipients ? out[i].recipients : "(roster at send time)");
		if (out[i].last_error && strcmp(out[i].state, "sent"))
			printf("      %s\n", out[i].last_error);
	}
	for (i = 0; i < nout; i++)
		store_outbox_msg_release(&out[i]);
	free(out);
	store_flag_release(&f);
	store_flag_members_free(m, nm);
	store_flag_events_free(ev, nev);
	return EXIT_OK;
}

/* ---- ack, close ----------------------------------------------------------- */

static int change(struct ctx *c, const char *what, int64_t id, const char *note)
{
	struct sq_error err = { 0 };
	sq_err rc = !strcmp(what, "ack") ? flag_ack(c->env.store, id, note, c->now, &err)
					 : flag_close(c->env.store, id, note, c->now, &err);

	if (rc) {
		cli_error("alerts", &err);
		return rc == SQ_ENOTFOUND || rc == SQ_EUSAGE ? EXIT_USAGE : EXIT_PARTIAL;
	}
	cli_info(c->cli, "suqiu: alerts: flag %lld %s", (long long)id,
		 !strcmp(what, "ack") ? "acknowledged" : "closed");
	return EXIT_OK;
}

/* ---- send, detect ---------------------------------------------------------- */

/* Deliver the outbox; shared with poll through alerts_send_outbox. */
int alerts_send_outbox(struct cli *cli, const char *command, struct pollenv *env, int64_t now,
		       int max, int ignore_backoff, int quiet_when_idle)
{
	struct sq_error err = { 0 };
	struct notify_stats ns;
	struct sq_faults faults;
	struct notify_send_opts opts = { max, ignore_backoff, &faults };
	sq_err rc;

	pollenv_faults(env, &faults);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "suqiu: %s: cannot initialise libcurl\n", command);
		return EXIT_PARTIAL;
	}
	rc = notify_send(env->store, &cli->cfg, now, &opts, &ns, &err);
	curl_global_cleanup();
	if (rc == SQ_ECONFIG) {
		/* No SMTP server configured: flags are kept, nothing is mailed. */
		if (!quiet_when_idle)
			cli_error(command, &err);
		else
			cli_info(cli, "suqiu: %s: %s", command, err.msg);
		return quiet_when_idle ? EXIT_OK : EXIT_USAGE;
	}
	if (rc && rc != SQ_EMAIL) {
		cli_error(command, &err);
		return EXIT_PARTIAL;
	}
	if (!quiet_when_idle || ns.sent || ns.failed || ns.recovered || cli->verbosity >= 2) {
		char when[NORM_TIME_BUFSZ] = "";

		if (ns.next_due)
			norm_format_time(ns.next_due, cli->cfg.tz_offset_s, when, sizeof(when));
		fprintf(stderr, "suqiu: %s: mail: %lld sent, %lld failed, %lld re-sent after an "
			"unfinished run; %lld waiting%s%s\n", command, (long long)ns.sent,
			(long long)ns.failed, (long long)ns.recovered, (long long)ns.pending,
			ns.pending ? ", next attempt " : "", ns.pending ? when : "");
	}
	if (rc == SQ_EMAIL) {
		fprintf(stderr, "suqiu: %s: mail not delivered (kept, will retry): %s\n", command,
			err.msg);
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}

int alerts_detect(struct cli *cli, const char *command, struct pollenv *env, int64_t now)
{
	struct sq_error err = { 0 };
	struct detect_stats ds;

	if (detect_run(env->store, &cli->cfg, now, &ds, &err)) {
		cli_error(command, &err);
		return EXIT_PARTIAL;
	}
	if (ds.opened || ds.escalated || cli->verbosity >= 2)
		fprintf(stderr, "suqiu: %s: flags: %lld opened (%lld urgent), %lld escalated, "
			"%lld grown, %lld closed as quiet; %lld alert%s queued\n", command,
			(long long)ds.opened, (long long)ds.urgent, (long long)ds.escalated,
			(long long)ds.grown, (long long)ds.expired, (long long)ds.queued,
			ds.queued == 1 ? "" : "s");
	return EXIT_OK;
}

static int detect_cmd(struct ctx *c, int no_notify)
{
	struct sq_error err = { 0 };
	struct sq_faults faults;
	int lock_fd = -1, status;
	sq_err rc;

	rc = store_lock_poll(c->env.db_path, &lock_fd, &err);
	if (rc) {
		cli_error("alerts", &err);
		return rc == SQ_ELOCKED ? EXIT_PARTIAL : EXIT_USAGE;
	}
	status = alerts_detect(c->cli, "alerts detect", &c->env, c->now);
	pollenv_faults(&c->env, &faults);
	sq_fault_hit(&faults, "after_detect");
	if (!status && !no_notify)
		status = alerts_send_outbox(c->cli, "alerts detect", &c->env, c->now, 0, 0, 1);
	store_unlock_poll(lock_fd);
	return status;
}

/* ---- main ------------------------------------------------------------- */

int cmd_alerts(struct cli *cli, int argc, char **argv)
{
	struct ctx c = { 0 };
	const char *state = NULL, *format = "text", *note = NULL, *sub = NULL;
	int64_t id = 0;
	long max = 0;
	int i, status, no_notify = 0, send_now = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	c.cli = cli;
	i = 1;
	if (i < argc && argv[i][0] != '-')
		sub = argv[i++];
	if (sub && strcmp(sub, "show") && strcmp(sub, "ack") && strcmp(sub, "close") &&
	    strcmp(sub, "send") && strcmp(sub, "detect") && strcmp(sub, "list"))
		return cli_usage_error("alerts", "unknown subcommand '%s'\n%s", sub, usage);
	if (sub && (!strcmp(sub, "show") || !strcmp(sub, "ack") || !strcmp(sub, "close"))) {
		if (i >= argc || parse_id(argv[i], &id))
			return cli_usage_error("alerts", "%s needs a flag ID (a number)\n%s", sub, usage);
		i++;
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		int listing = !sub || !strcmp(sub, "list");
		int noting = sub && (!strcmp(sub, "ack") || !strcmp(sub, "close"));

		if (listing && !strcmp(a, "--state") && i + 1 < argc) {
			state = argv[++i];
		} else if (listing && !strncmp(a, "--state=", 8)) {
			state = a + 8;
		} else if (listing && !strcmp(a, "--format") && i + 1 < argc) {
			format = argv[++i];
		} else if (listing && !strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (noting && !strcmp(a, "--note") && i + 1 < argc) {
			note = argv[++i];
		} else if (noting && !strncmp(a, "--note=", 7)) {
			note = a + 7;
		} else if (sub && !strcmp(sub, "send") && !strcmp(a, "--max") && i + 1 < argc) {
			char *end;

			errno = 0;
			max = strtol(argv[++i], &end, 10);
			if (errno || *end || max < 1 || max > 1000000)
				return cli_usage_error("alerts", "--max needs a positive number");
		} else if (sub && !strcmp(sub, "send") && !strcmp(a, "--now")) {
			send_now = 1;
		} else if (sub && !strcmp(sub, "detect") && !strcmp(a, "--no-notify")) {
			no_notify = 1;
		} else {
			return cli_usage_error("alerts", "unexpected argument '%s'\n%s", a, usage);
		}
	}
	if (state && flag_state_parse(state) < 0)
		return cli_usage_error("alerts", "--state: '%s' is not open, notified, acknowledged "
				       "or closed", state);
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("alerts", "--format: '%s' is not text or json", format);

	status = open_env(&c);
	if (status)
		goto out;
	if (!sub || !strcmp(sub, "list"))
		status = list(&c, state, !strcmp(format, "json"));
	else if (!strcmp(sub, "show"))
		status = show(&c, id);
	else if (!strcmp(sub, "ack") || !strcmp(sub, "close"))
		status = change(&c, sub, id, note);
	else if (!strcmp(sub, "send"))
		status = alerts_send_outbox(cli, "alerts send", &c.env, c.now, (int)max, send_now, 0);
	else
		status = detect_cmd(&c, no_notify);
out:
	pollenv_close(&c.env);
	return status;
}
