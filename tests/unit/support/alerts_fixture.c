#include "alerts_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "banned.h"

static char *dup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort();
	return d;
}

static void list_set(struct sq_strlist *l, const char *const *items)
{
	size_t n = 0, i;

	while (items[n])
		n++;
	l->items = calloc(n ? n : 1, sizeof(*l->items));
	if (!l->items)
		abort();
	for (i = 0; i < n; i++)
		l->items[i] = dup(items[i]);
	l->n = n;
}

static const struct {
	const char *name, *grid;
	double lon, lat;
} geography[] = {
	{ "西华路社区", "440103009001", 113.2440, 23.1293 },
	{ "恩宁路社区", "440103009002", 113.2470, 23.1260 },
	{ "多宝路社区", "440103009003", 113.2420, 23.1240 },
	{ "宝华路社区", "440103009004", 113.2490, 23.1230 },
	{ "龙津西路社区", "440103009005", 113.2400, 23.1275 },
	{ "华贵路社区", "440103009006", 113.2510, 23.1280 },
	{ "逢源路社区", "440103009007", 113.2380, 23.1250 },
	{ "昌华社区", "440103009008", 113.2455, 23.1215 },
};

void fixture_config(struct sq_config *cfg)
{
	struct sq_error err = { 0 };
	size_t i, n = sizeof(geography) / sizeof(geography[0]);

	if (config_defaults(cfg, &err)) {
		fprintf(stderr, "fixture_config: %s\n", err.msg);
		abort();
	}
	if (cfg->tz_offset_s != 8 * 3600)
		abort();   /* the tests' times are written in +08:00 */
	cfg->areas.communities = calloc(n, sizeof(*cfg->areas.communities));
	if (!cfg->areas.communities)
		abort();
	cfg->areas.ncommunities = n;
	for (i = 0; i < n; i++) {
		struct sq_area *a = &cfg->areas.communities[i];

		a->name = dup(geography[i].name);
		a->grid_prefix = dup(geography[i].grid);
		a->lon = geography[i].lon;
		a->lat = geography[i].lat;
		a->has_center = 1;
	}
	/* The tests' clusters are small; every other value is the default. */
	cfg->detect.cluster_min = 3;
	free(cfg->alerts.smtp.from);
	cfg->alerts.smtp.from = dup("suqiu@example.gov.cn");
}

void fixture_add_duty(struct sq_config *cfg, const char *email, unsigned days, int from, int to,
		      const char *community, const char *category)
{
	struct sq_duty *p = realloc(cfg->alerts.duty, (cfg->alerts.nduty + 1) * sizeof(*p));
	const char *c1[] = { community, NULL }, *c2[] = { category, NULL };
	struct sq_duty *d;

	if (!p)
		abort();
	cfg->alerts.duty = p;
	d = &p[cfg->alerts.nduty++];
	memset(d, 0, sizeof(*d));
	d->email = dup(email);
	d->days = days;
	d->hour_from = from;
	d->hour_to = to;
	list_set(&d->communities, c1);
	list_set(&d->categories, c2);
}

void fixture_config_release(struct sq_config *cfg)
{
	config_release(cfg);
}

int64_t fixture_put(struct sq_store *st, const struct fixture_complaint *c)
{
	struct sq_error err = { 0 };
	struct sq_record r;
	enum store_change change;
	int64_t id = 0;
	int status = record_status_parse(c->status ? c->status : "open");
	int kind = record_kind_parse(c->kind ? c->kind : "complaint");

	memset(&r, 0, sizeof(r));
	r.source = dup(c->source ? c->source : "hotline");
	r.source_type = dup("hotline12345");
	r.source_id = dup(c->source_id);
	r.received_at = c->received_at;
	r.updated_at = c->received_at;
	r.kind = kind < 0 ? SQ_KIND_COMPLAINT : (enum sq_kind)kind;
	r.title = dup(c->title);
	r.text = dup(c->text);
	r.category = dup(c->category);
	r.community = dup(c->community);
	r.grid = dup(c->grid);
	r.contact_hash = dup(c->contact_hash);
	r.contact_masked = dup(c->contact_masked);
	r.contact_raw = dup(c->contact_raw);
	r.status = status < 0 ? SQ_STATUS_OPEN : (enum sq_status)status;
	r.deadline = c->deadline;
	if (c->has_pos) {
		r.crs = SQ_CRS_WGS84;
		r.lat = c->lat;
		r.lon = c->lon;
	}
	r.raw = dup("{}");
	if (store_begin(st, &err) || store_put_complaint(st, &r, c->received_at, &change, &id, &err) ||
	    store_commit(st, &err)) {
		fprintf(stderr, "fixture_put: %s\n", err.msg);
		abort();
	}
	record_release(&r);
	return id;
}

void fixture_link(struct sq_store *st, int64_t complaint_id, int64_t *incident)
{
	struct sq_error err = { 0 };

	if (store_begin(st, &err) || store_detect_link_incident(st, complaint_id, incident, &err) ||
	    store_commit(st, &err)) {
		fprintf(stderr, "fixture_link: %s\n", err.msg);
		abort();
	}
}

int64_t fixture_time(int day, int hour, int minute)
{
	/* 2024-05-06T00:00:00+08:00 */
	return 1714924800LL + day * 86400LL + hour * 3600LL + minute * 60LL;
}
