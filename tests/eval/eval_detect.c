/*
 * eval_detect — replay a labelled early-warning scenario through the store,
 * record linkage and the detectors, moving "now" step by step, as the poll
 * timer would (`make eval-detect`; scripts/eval_detect.py scores the
 * result from the database this leaves behind).
 *
 *   gzip -dc fixtures/detect/cluster.jsonl.gz |
 *       build/eval_detect [--step SECONDS] [--linking dedup|labels] CONFIG DB
 *
 * Each step stores the complaints received since the last one (first seen
 * at the step's time), links them into incidents — with dedup's real
 * linking, or with the scenario's true incidents (`labels`, to judge the
 * detectors alone) — and runs detect_run() at that time.  The replay runs
 * one day past the last complaint.  A test tool: it prints to stdout.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "dedup.h"
#include "detect.h"
#include "record.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

struct rec {
	struct sq_record r;
	char *incident;      /* true incident label */
	int64_t incident_id; /* its id once linked (labels mode) */
};

static void die(const char *what, const struct sq_error *err)
{
	fprintf(stderr, "eval_detect: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s;

	if (!cJSON_IsString(v))
		return NULL;
	s = strdup(v->valuestring);
	if (!s)
		die("out of memory", NULL);
	return s;
}

/* The first n UTF-8 characters of s, as a new string. */
static char *prefix_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;
	char *r;

	while (*p && chars < n) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		chars++;
	}
	r = sq_strndup(s, (size_t)((const char *)p - s));
	if (!r)
		die("out of memory", NULL);
	return r;
}

static void parse_line(const char *line, struct rec *out)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *v;
	const char *src;

	if (!o)
		die("a line is not JSON", NULL);
	memset(out, 0, sizeof(*out));
	out->r.source = str_of(o, "source");
	out->r.source_id = str_of(o, "source_id");
	src = out->r.source ? out->r.source : "";
	out->r.source_type = strdup(!strcmp(src, "hotline") ? "hotline12345" :
				    !strcmp(src, "liaison") ? "deputy_liaison" : "city_mgmt");
	v = cJSON_GetObjectItemCaseSensitive(o, "received_at");
	out->r.received_at = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
	out->r.updated_at = out->r.received_at;
	out->r.kind = SQ_KIND_COMPLAINT;
	out->r.text = str_of(o, "text");
	out->r.title = prefix_chars(out->r.text ? out->r.text : "", 14);
	out->r.category = str_of(o, "category");
	out->r.community = str_of(o, "community");
	out->r.street = strdup("金花街道");
	out->r.grid = str_of(o, "grid");
	out->r.address = str_of(o, "address");
	out->r.contact_hash = str_of(o, "contact_hash");
	out->r.contact_masked = str_of(o, "contact_masked");
	out->r.status = SQ_STATUS_OPEN;
	v = cJSON_GetObjectItemCaseSensitive(o, "lat");
	if (cJSON_IsNumber(v)) {
		out->r.lat = v->valuedouble;
		out->r.lon = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "lon"));
		out->r.crs = SQ_CRS_WGS84;
	}
	out->r.raw = strdup(line);
	out->incident = str_of(o, "incident");
	if (!out->r.source || !out->r.source_id || !out->r.source_type || !out->r.street ||
	    !out->r.raw || !out->r.received_at)
		die("a line lacks source, source_id or received_at", NULL);
	cJSON_Delete(o);
}

static struct rec *read_records(size_t *n)
{
	struct sq_buf line = SQ_BUF_INIT;
	struct rec *recs = NULL;
	size_t cap = 0;
	int c;

	*n = 0;
	for (;;) {
		sq_buf_reset(&line);
		while ((c = getchar()) != EOF && c != '\n')
			if (sq_buf_addc(&line, (char)c))
				die("out of memory", NULL);
		if (line.len) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 4096;
				recs = realloc(recs, cap * sizeof(*recs));
				if (!recs)
					die("out of memory", NULL);
			}
			parse_line(line.data, &recs[(*n)++]);
		}
		if (c == EOF)
			break;
	}
	sq_buf_release(&line);
	return recs;
}

/* labels mode: the incident id of a label, by a linear probe table. */
struct label_map {
	char **keys;
	int64_t *ids;
	size_t cap;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int64_t *label_slot(struct label_map *m, const char *key)
{
	size_t i = (size_t)(fnv(key) % m->cap);

	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) % m->cap;
	if (!m->keys[i]) {
		m->keys[i] = strdup(key);
		if (!m->keys[i])
			die("out of memory", NULL);
	}
	return &m->ids[i];
}

int main(int argc, char **argv)
{
	struct sq_error err = { 0 };
	struct sq_config cfg;
	struct sq_store *st = NULL;
	struct sq_taxonomy *tax = NULL;
	struct sq_dedup *dd = NULL;
	struct label_map lm = { 0 };
	struct rec *recs;
	int64_t step = 3600, t, end, *ids, runs = 0, opened = 0, escalated = 0, scans = 0;
	size_t n, next = 0, i;
	int labels = 0, a = 1;
	clock_t c0 = clock();

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--step") && a + 1 < argc) {
			step = strtoll(argv[++a], NULL, 10);
		} else if (!strcmp(argv[a], "--linking") && a + 1 < argc) {
			labels = !strcmp(argv[++a], "labels");
		} else {
			fprintf(stderr, "usage: eval_detect [--step S] [--linking dedup|labels] CONFIG DB < set.jsonl\n");
			return 2;
		}
	}
	if (argc - a != 2 || step < 60) {
		fprintf(stderr, "usage: eval_detect [--step S] [--linking dedup|labels] CONFIG DB < set.jsonl\n");
		return 2;
	}
	if (config_load(argv[a], &cfg, &err))
		die(argv[a], &err);
	if (store_open(argv[a + 1], &st, &err))
		die(argv[a + 1], &err);
	if (cfg.taxonomy && taxonomy_load(cfg.taxonomy, &tax, &err))
		die(cfg.taxonomy, &err);
	if (!labels && dedup_new(st, &cfg.dedup, tax, &dd, &err))
		die("dedup", &err);
	recs = read_records(&n);
	if (!n)
		die("no complaints on stdin", NULL);
	ids = malloc(n * sizeof(*ids));
	lm.cap = 2 * n + 1;
	lm.keys = calloc(lm.cap, sizeof(*lm.keys));
	lm.ids = calloc(lm.cap, sizeof(*lm.ids));
	if (!ids || !lm.keys || !lm.ids)
		die("out of memory", NULL);

	t = (recs[0].r.received_at / step + 1) * step;
	end = recs[n - 1].r.received_at + 86400;
	for (; t <= end + step; t += step) {
		struct detect_stats ds;
		size_t nids = 0;

		if (store_begin(st, &err))
			die("begin", &err);
		for (; next < n && recs[next].r.received_at <= t; next++) {
			enum store_change change;

			if (store_put_complaint(st, &recs[next].r, t, &change, &ids[nids], &err))
				die(recs[next].r.source_id, &err);
			nids++;
		}
		if (labels) {
			for (i = 0; i < nids; i++) {
				struct rec *r = &recs[next - nids + i];
				int64_t *slot = label_slot(&lm, r->incident ? r->incident : r->r.source_id);

				if (store_detect_link_incident(st, ids[i], slot, &err))
					die("linking by label", &err);
			}
		}
		if (store_commit(st, &err))
			die("commit", &err);
		if (!labels && nids && dedup_link(dd, ids, nids, t, &err))
			die("dedup_link", &err);
		if (detect_run(st, &cfg, t, &ds, &err))
			die("detect_run", &err);
		runs++;
		opened += ds.opened;
		escalated += ds.escalated;
		scans += ds.scans;
	}
	printf("%zu complaints, %lld runs every %llds, %lld flags opened, %lld escalations, "
	       "%lld scans, %.1f s CPU\n", n, (long long)runs, (long long)step, (long long)opened,
	       (long long)escalated, (long long)scans, (double)(clock() - c0) / CLOCKS_PER_SEC);
	for (i = 0; i < n; i++) {
		record_release(&recs[i].r);
		free(recs[i].incident);
	}
	for (i = 0; i < lm.cap; i++)
		free(lm.keys[i]);
	free(lm.keys);
	free(lm.ids);
	free(recs);
	free(ids);
	dedup_free(dd);
	taxonomy_free(tax);
	store_close(st);
	config_release(&cfg);
	return 0;
}
