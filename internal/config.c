/*
 * config.c — suqiu's configuration schema (config.h): the option tables of
 * each section, the loaders of its lists (sources, communities, duty rows)
 * and the checks that span keys.  The mechanics of reading YAML against
 * tables are yamlcfg.c's.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "connectors/connector.h"
#include "yamlcfg.h"
#include "banned.h"

#ifndef SUQIU_VERSION
#define SUQIU_VERSION "0.0.0"
#endif

/* A configuration is a page of text; anything bigger is the wrong file. */
#define CONFIG_MAX_BYTES (1024 * 1024)

#define SEC(n) ((int64_t)(n) * 1000)
#define MIN(n) (SEC(n) * 60)
#define HOUR(n) (MIN(n) * 60)
#define DAY(n) (HOUR(n) * 24)
#define END_OF_TABLE { NULL, 0, NULL, 0, NULL, 0, 0, 0 }

/* ---- option tables --------------------------------------------------------- */

const struct sq_option config_top_options[] = {
	{ "database", SQ_OPT_PATH, "/var/lib/suqiu/suqiu.db", offsetof(struct sq_config, database),
	  "SQLite database file; --db overrides it", 0, 0, 0 },
	{ "timezone", SQ_OPT_STRING, "Asia/Shanghai", offsetof(struct sq_config, timezone),
	  "zone of days and shown times: a China zone, UTC, or a fixed offset like +08:00", 0, 0, 0 },
	{ "taxonomy", SQ_OPT_PATH, "taxonomy.yaml", offsetof(struct sq_config, taxonomy),
	  "category taxonomy file", 0, 0, 0 },
	END_OF_TABLE,
};

const struct sq_option config_source_options[] = {
	{ "name", SQ_OPT_STRING, NULL, offsetof(struct sq_source_config, name),
	  "unique name: letters, digits, '_' and '-'", 0, 0, SQ_OPT_REQUIRED },
	{ "type", SQ_OPT_STRING, NULL, offsetof(struct sq_source_config, type),
	  "feed type: hotline12345, deputy_liaison, city_mgmt or open311", 0, 0, SQ_OPT_REQUIRED },
	{ "base_url", SQ_OPT_URL, NULL, offsetof(struct sq_source_config, base_url),
	  "the feed's base URL, http:// or https://", 0, 0, SQ_OPT_REQUIRED },
	{ "start_from", SQ_OPT_TIME, NULL, offsetof(struct sq_source_config, start_from),
	  "RFC 3339 instant where the very first run starts; default: the poller's", 0, 0, 0 },
	{ "enabled", SQ_OPT_BOOL, "true", offsetof(struct sq_source_config, enabled),
	  "false: keep the source's records but do not poll it", 0, 0, 0 },
	END_OF_TABLE,
};

const struct sq_option config_http_options[] = {
	{ "connect_timeout", SQ_OPT_DURATION, "10s", offsetof(struct sq_http_config, connect_timeout_ms),
	  "time allowed to connect, TLS included", 100, MIN(10), 0 },
	{ "timeout", SQ_OPT_DURATION, "60s", offsetof(struct sq_http_config, total_timeout_ms),
	  "time allowed for one whole request", SEC(1), HOUR(1), 0 },
	{ "low_speed_bytes", SQ_OPT_SIZE, "1", offsetof(struct sq_http_config, low_speed_bytes),
	  "abort a transfer slower than this many bytes per second (0: never) ...", 0, 1 << 20, 0 },
	{ "low_speed_time", SQ_OPT_DURATION, "30s", offsetof(struct sq_http_config, low_speed_time_ms),
	  "... for this long", SEC(1), HOUR(1), 0 },
	{ "max_body", SQ_OPT_SIZE, "16MiB", offsetof(struct sq_http_config, max_body_bytes),
	  "largest response body accepted", 1024, INT64_C(1) << 30, 0 },
	{ "max_attempts", SQ_OPT_INT, "5", offsetof(struct sq_http_config, max_attempts),
	  "tries per page, the first included", 1, 20, 0 },
	{ "backoff_base", SQ_OPT_DURATION, "500ms", offsetof(struct sq_http_config, backoff_base_ms),
	  "first retry delay; doubles per retry, with full jitter", 1, HOUR(1), 0 },
	{ "backoff_max", SQ_OPT_DURATION, "30s", offsetof(struct sq_http_config, backoff_max_ms),
	  "longest delay between two tries", 1, HOUR(1), 0 },
	{ "retry_after_max", SQ_OPT_DURATION, "120s", offsetof(struct sq_http_config, retry_after_max_ms),
	  "longest Retry-After (or rate-limit hint) honoured", SEC(1), HOUR(1), 0 },
	{ "budget", SQ_OPT_DURATION, "10m", offsetof(struct sq_http_config, budget_ms),
	  "total time one source may spend per run", SEC(1), DAY(1), 0 },
	{ "ca_file", SQ_OPT_PATH, NULL, offsetof(struct sq_http_config, ca_file),
	  "CA certificates for TLS (PEM); default: the system's", 0, 0, 0 },
	{ "user_agent", SQ_OPT_STRING, "suqiu/" SUQIU_VERSION, offsetof(struct sq_http_config, user_agent),
	  "User-Agent header", 0, 0, 0 },
	END_OF_TABLE,
};

const struct sq_option config_smtp_options[] = {
	{ "url", SQ_OPT_SMTP_URL, NULL, offsetof(struct sq_smtp_config, url),
	  "smtp://host:587 (STARTTLS) or smtps://host:465; unset: no mail", 0, 0, 0 },
	{ "from", SQ_OPT_STRING, NULL, offsetof(struct sq_smtp_config, from),
	  "sender address", 0, 0, SQ_OPT_EMAIL },
	{ "username", SQ_OPT_STRING, NULL, offsetof(struct sq_smtp_config, username),
	  "SMTP AUTH user; unset: no authentication", 0, 0, 0 },
	{ "password", SQ_OPT_SECRET, NULL, offsetof(struct sq_smtp_config, password),
	  "SMTP AUTH password; use password_file", 0, 0, 0 },
	{ "require_tls", SQ_OPT_BOOL, "auto", offsetof(struct sq_smtp_config, require_tls),
	  "refuse to send in clear text; auto: required unless the server is on loopback", 0, 0, 0 },
	{ "ca_file", SQ_OPT_PATH, NULL, offsetof(struct sq_smtp_config, ca_file),
	  "CA certificates for the mail server; default: the system's", 0, 0, 0 },
	{ "timeout", SQ_OPT_DURATION, "30s", offsetof(struct sq_smtp_config, timeout_ms),
	  "time allowed for one delivery", SEC(1), MIN(10), 0 },
	{ "retry_base", SQ_OPT_DURATION, "1m", offsetof(struct sq_smtp_config, retry_base_ms),
	  "first delay before resending when the server is down; doubles", SEC(1), DAY(1), 0 },
	{ "retry_max", SQ_OPT_DURATION, "1h", offsetof(struct sq_smtp_config, retry_max_ms),
	  "longest delay between resends", SEC(1), DAY(7), 0 },
	{ "in_doubt_after", SQ_OPT_DURATION, "10m", offsetof(struct sq_smtp_config, in_doubt_after_ms),
	  "an alert left 'sending' this long by a run that died is sent again, same Message-ID",
	  SEC(1), DAY(1), 0 },
	END_OF_TABLE,
};

static const struct sq_option alerts_options[] = {
	{ "digest_to", SQ_OPT_STRLIST, NULL, offsetof(struct sq_alerts_config, digest_to),
	  "recipients of `suqiu digest --mail` (default: every address of duty)", 0, 0,
	  SQ_OPT_EMAIL },
	END_OF_TABLE,
};

static const struct sq_option duty_options[] = {
	{ "email", SQ_OPT_STRING, NULL, offsetof(struct sq_duty, email),
	  "where this row's alerts go", 0, 0, SQ_OPT_REQUIRED | SQ_OPT_EMAIL },
	{ "communities", SQ_OPT_STRLIST, NULL, offsetof(struct sq_duty, communities),
	  "only alerts in these communities (names or aliases); default: any", 0, 0, 0 },
	{ "categories", SQ_OPT_STRLIST, NULL, offsetof(struct sq_duty, categories),
	  "only alerts of these taxonomy categories; default: any", 0, 0, 0 },
	END_OF_TABLE,
};

const struct sq_option config_dedup_options[] = {
	{ "threshold", SQ_OPT_DOUBLE, "8.5", offsetof(struct sq_dedup_config, threshold),
	  "match score (sum of log2 weights) needed to link two complaints", -100, 100, 0 },
	{ "window", SQ_OPT_DURATION, "7d", offsetof(struct sq_dedup_config, window_ms),
	  "how far apart in time two complaints may be and still match", HOUR(1), DAY(365), 0 },
	{ "index_keep", SQ_OPT_DURATION, "90d", offsetof(struct sq_dedup_config, index_keep_ms),
	  "how far behind the newest complaint the blocking index reaches (at least twice "
	  "window); older entries are removed; 0s keeps them all", 0, DAY(3650), 0 },
	{ "radius", SQ_OPT_DOUBLE, "150", offsetof(struct sq_dedup_config, radius_m),
	  "metres within which coordinates make two complaints candidates", 1, 10000, 0 },
	{ "mode", SQ_OPT_STRING, "linkage", offsetof(struct sq_dedup_config, mode),
	  "linkage (weighted comparisons), or naive (declared links or the same phone within "
	  "24 h: the baseline `make eval` compares against)", 0, 0, 0 },
	{ "boilerplate", SQ_OPT_STRLIST,
	  "[市民来电反映, 市民来电称, 市民来电, 来电市民称, 来电人反映, 来电人称, 来电人表示, "
	  "来电反映, 来电称, 市民反映, 群众反映, 诉求人反映, 诉求人称, 尊敬的代表, "
	  "尊敬的人大代表, 代表您好, 您好, 请相关部门处理, 请相关部门核实处理, "
	  "请相关部门尽快处理, 请有关部门处理, 请相关部门核查处理, 希望相关部门, "
	  "希望有关部门, 望相关部门, 希望代表帮忙反映, 希望代表帮忙, 恳请代表, 谢谢]",
	  offsetof(struct sq_dedup_config, boilerplate),
	  "operators' and stations' stock phrases left out of the text comparison", 0, 0, 0 },
	/* One row per comparison level: weight_<field>_<level> (dedup_levels.h). */
#define DEDUP_WEIGHT_ROW(id, field, level, def, help) \
	{ "weight_" field "_" level, SQ_OPT_DOUBLE, def, \
	  offsetof(struct sq_dedup_config, weights[DEDUP_L_##id]), \
	  "log2 likelihood ratio added when " help, -50, 50, 0 },
	DEDUP_LEVELS(DEDUP_WEIGHT_ROW)
#undef DEDUP_WEIGHT_ROW
	END_OF_TABLE,
};

const struct sq_option config_detect_options[] = {
	{ "urgent_words", SQ_OPT_STRLIST,
	  "[跳楼, 自杀, 轻生, 集体上访, 讨薪, 煤气泄漏, 燃气泄漏, 着火, 火灾, 爆炸, 坍塌, 触电]",
	  offsetof(struct sq_detect_config, urgent_words),
	  "words that raise a high-severity flag at once; [] turns this off", 0, 0, 0 },
	{ "cluster_window", SQ_OPT_DURATION, "72h", offsetof(struct sq_detect_config, cluster_window_ms),
	  "window in which incidents of one category and place form a cluster", HOUR(1), DAY(90), 0 },
	{ "cluster_min", SQ_OPT_INT, "5", offsetof(struct sq_detect_config, cluster_min),
	  "distinct incidents that make a cluster", 2, 10000, 0 },
	/* The rows below came with the detectors; docs/alerts.md explains them. */
	{ "disable", SQ_OPT_STRLIST, NULL, offsetof(struct sq_detect_config, disable),
	  "detectors not to run: cluster, surge, spacetime, common_cause, urgent, overdue", 0, 0, 0 },
	{ "cluster_alpha", SQ_OPT_DOUBLE, "0.0001", offsetof(struct sq_detect_config, cluster_alpha),
	  "a cluster's count must be this improbable for its place (Poisson tail)", 0, 1, 0 },
	{ "cluster_radius", SQ_OPT_DOUBLE, "300", offsetof(struct sq_detect_config, cluster_radius_m),
	  "metres of a radius cluster around an incident; 0: no radius clusters", 0, 5000, 0 },
	{ "surge_min", SQ_OPT_INT, "6", offsetof(struct sq_detect_config, surge_min),
	  "residents (distinct complainants) in a day below which nothing is a surge", 1, 10000, 0 },
	{ "surge_threshold", SQ_OPT_DOUBLE, "3", offsetof(struct sq_detect_config, surge_threshold),
	  "EARS C2 statistic (standard deviations above the baseline) that flags", 1, 100, 0 },
	{ "surge_alpha", SQ_OPT_DOUBLE, "0.0005", offsetof(struct sq_detect_config, surge_alpha),
	  "... and the day's count this improbable given the history's rate (predictive tail)", 0, 1, 0 },
	{ "surge_baseline_days", SQ_OPT_INT, "7", offsetof(struct sq_detect_config, surge_baseline_days),
	  "days of EARS baseline, ending two days before today", 3, 56, 0 },
	{ "surge_history_days", SQ_OPT_INT, "28", offsetof(struct sq_detect_config, surge_history_days),
	  "days of history, ending two days before today, whose rate the tail probability uses", 7, 56, 0 },
	{ "spacetime_days", SQ_OPT_INT, "56", offsetof(struct sq_detect_config, spacetime_days),
	  "study period of the space-time permutation scan, in days", 14, 366, 0 },
	{ "spacetime_max_days", SQ_OPT_INT, "7", offsetof(struct sq_detect_config, spacetime_max_days),
	  "longest cluster the scan looks for, in days ending today", 1, 30, 0 },
	{ "spacetime_replicates", SQ_OPT_INT, "999", offsetof(struct sq_detect_config, spacetime_replicates),
	  "Monte Carlo replicates of the scan", 99, 99999, 0 },
	{ "spacetime_recurrence", SQ_OPT_DURATION, "100d",
	  offsetof(struct sq_detect_config, spacetime_recurrence_ms),
	  "flag scan clusters expected by chance less often than once in this long", DAY(1), DAY(36500), 0 },
	{ "spacetime_interval", SQ_OPT_DURATION, "6h", offsetof(struct sq_detect_config, spacetime_interval_ms),
	  "run the scan at most this often (sets the analyses per day of the recurrence interval)",
	  MIN(5), DAY(7), 0 },
	{ "spacetime_min_cases", SQ_OPT_INT, "3", offsetof(struct sq_detect_config, spacetime_min_cases),
	  "fewest incidents in a scan cluster", 2, 1000, 0 },
	{ "spacetime_seed", SQ_OPT_INT, "20050301", offsetof(struct sq_detect_config, spacetime_seed),
	  "seed of the scan's random permutations (mixed with the day)", 0, 0, 0 },
	{ "common_window", SQ_OPT_DURATION, "14d", offsetof(struct sq_detect_config, common_window_ms),
	  "window in which complainants naming one employer, estate or site are counted", DAY(1), DAY(90), 0 },
	{ "common_min", SQ_OPT_INT, "3", offsetof(struct sq_detect_config, common_min),
	  "distinct complainants naming one employer, estate or site that flag", 2, 10000, 0 },
	{ "common_alpha", SQ_OPT_DOUBLE, "0.001", offsetof(struct sq_detect_config, common_alpha),
	  "... and that many this improbable for the name (Poisson tail against its history)", 0, 1, 0 },
	{ "urgent_max_age", SQ_OPT_DURATION, "3d", offsetof(struct sq_detect_config, urgent_max_age_ms),
	  "complaints older than this raise no urgent flag (a backfill is history, not news)",
	  HOUR(1), DAY(365), 0 },
	{ "flag_quiet", SQ_OPT_DURATION, "7d", offsetof(struct sq_detect_config, flag_quiet_ms),
	  "a flag that nothing joined for this long closes by itself", HOUR(1), DAY(365), 0 },
	{ "overdue_grace", SQ_OPT_DURATION, "0s", offsetof(struct sq_detect_config, overdue_grace_ms),
	  "an open item counts as overdue this long after its deadline", 0, DAY(30), 0 },
	{ "overdue_min", SQ_OPT_INT, "1", offsetof(struct sq_detect_config, overdue_min),
	  "overdue items in one community that open its overdue flag", 1, 10000, 0 },
	{ "overdue_step", SQ_OPT_INT, "3", offsetof(struct sq_detect_config, overdue_step),
	  "overdue items at which the flag escalates: step, 2*step, 4*step, ...", 1, 10000, 0 },
	{ "overdue_window", SQ_OPT_DURATION, "7d", offsetof(struct sq_detect_config, overdue_window_ms),
	  "items that became overdue this recently are counted and join the flag", HOUR(1), DAY(365), 0 },
	END_OF_TABLE,
};

const struct sq_option config_privacy_options[] = {
	{ "site_key", SQ_OPT_SECRET, NULL, offsetof(struct sq_privacy_config, site_key),
	  "HMAC key for contact hashes; use site_key_file; generated if missing", 0, 0, 0 },
	{ "keep_raw_contact", SQ_OPT_BOOL, "false", offsetof(struct sq_privacy_config, keep_raw_contact),
	  "also store full phone numbers (off: only the keyed hash and masked form)", 0, 0, 0 },
	{ "retention", SQ_OPT_DURATION, "730d", offsetof(struct sq_privacy_config, retention_ms),
	  "raw payloads and contact hashes older than this are pruned", DAY(1), DAY(36500), 0 },
	END_OF_TABLE,
};

static const struct sq_option areas_options[] = {
	{ "district", SQ_OPT_STRING, NULL, offsetof(struct sq_areas, district),
	  "the district (区), for addresses that name it", 0, 0, 0 },
	{ "street", SQ_OPT_STRING, NULL, offsetof(struct sq_areas, street),
	  "the street office (街道) this installation serves", 0, 0, 0 },
	END_OF_TABLE,
};

static const struct sq_option community_options[] = {
	{ "name", SQ_OPT_STRING, NULL, offsetof(struct sq_area, name),
	  "the community's (社区) official name", 0, 0, SQ_OPT_REQUIRED },
	{ "aliases", SQ_OPT_STRLIST, NULL, offsetof(struct sq_area, aliases),
	  "other names feeds use for it", 0, 0, 0 },
	{ "grid_prefix", SQ_OPT_STRING, NULL, offsetof(struct sq_area, grid_prefix),
	  "leading digits of its grid codes (district 6 + street 3 + community 3)", 0, 0, 0 },
	END_OF_TABLE,
};

/* center: [lon, lat], each checked as one of these rows */
static const struct sq_option center_rows[] = {
	{ "center longitude", SQ_OPT_DOUBLE, NULL, offsetof(struct sq_area, lon),
	  "WGS 84 longitude", -180, 180, 0 },
	{ "center latitude", SQ_OPT_DOUBLE, NULL, offsetof(struct sq_area, lat),
	  "WGS 84 latitude", -90, 90, 0 },
};

/* ---- helpers ----------------------------------------------------------------- */

static sq_err oom(struct ycfg *y)
{
	return sq_fail(y->err, SQ_ENOMEM, "%s: out of memory", y->path);
}

/*
 * arr (n elements of size bytes) grown by one zeroed element, or NULL with
 * arr intact.  Callers count the element at once, so that a failure while
 * filling it still releases what it holds.
 */
static void *grow(struct ycfg *y, void *arr, size_t n, size_t size)
{
	char *p = realloc(arr, (n + 1) * size);

	if (!p) {
		oom(y);
		return NULL;
	}
	memset(p + n * size, 0, size);
	return p;
}

static sq_err want_list(struct ycfg *y, const char *key, const yaml_node_t *v,
			const char *what)
{
	if (v->type == YAML_SEQUENCE_NODE)
		return SQ_OK;
	return ycfg_fail_at(y, v, "%s: expected a list of %s, found %s", key, what, ycfg_kind(v));
}

/* The community among the first n whose name or alias is s, or NULL. */
static const struct sq_area *area_named(const struct sq_area *a, size_t n, const char *s)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!strcmp(a[i].name, s))
			return &a[i];
		for (j = 0; j < a[i].aliases.n; j++)
			if (!strcmp(a[i].aliases.items[j], s))
				return &a[i];
	}
	return NULL;
}

/* ---- sources ------------------------------------------------------------------ */

/* Environment variable names upper-case and map '-' to '_': keep them apart. */
static int same_env_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((isalnum((unsigned char)*a) ? toupper((unsigned char)*a) : '_') !=
		    (isalnum((unsigned char)*b) ? toupper((unsigned char)*b) : '_'))
			return 0;
	return !*a && !*b;
}

static sq_err check_source_name(struct ycfg *y, const struct sq_config *cfg,
				const yaml_node_t *item, const yaml_node_t *name)
{
	char q[OPTIONS_QUOTE_MAX];
	const struct sq_source_config *other;
	const char *n;
	size_t i;
	sq_err rc;

	if (!name)
		return ycfg_fail_at(y, item, "a source needs 'name' (%s)", config_source_options[0].help);
	if ((rc = ycfg_want_scalar(y, "name", item, name, SQ_OPT_STRING)))
		return rc;
	n = ycfg_text(name);
	if (strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(n) || strlen(n) > 64)
		return ycfg_fail_at(y, name, "source name '%s' may hold only letters, digits, "
				    "'_' and '-' (at most 64)", options_quote(n, q, sizeof(q)));
	if (!strcmp(n, "smtp") || !strcmp(n, "privacy"))
		return ycfg_fail_at(y, name, "source name '%s' is reserved for the secrets of "
				    "alerts.smtp and privacy", n);
	for (i = 0; i < cfg->nsources; i++) {
		other = &cfg->sources[i];
		if (!strcmp(other->name, n))
			return ycfg_fail_at(y, name, "duplicate source name '%s' (first at line %d)",
					    n, other->line);
		if (same_env_name(other->name, n))
			return ycfg_fail_at(y, name, "source name '%s' differs from '%s' (line %d) "
					    "only in case or '-'/'_', so their secrets' variables "
					    "would clash", n, other->name, other->line);
	}
	return SQ_OK;
}

static sq_err find_connector(struct ycfg *y, const yaml_node_t *item, const char *name,
			     const struct sq_connector **conn)
{
	const struct sq_connector *const *all = connector_all();
	yaml_node_t *type = ycfg_get(y, (yaml_node_t *)item, "type");
	struct sq_buf known = SQ_BUF_INIT;
	char q[OPTIONS_QUOTE_MAX];
	sq_err rc = SQ_OK;

	for (; *all && !rc; all++)
		if (sq_buf_addf(&known, "%s%s", known.len ? ", " : "", (*all)->type))
			rc = oom(y);
	if (!rc && !type)
		rc = ycfg_fail_at(y, item, "source '%s' needs 'type' (one of: %s)", name, known.data);
	if (!rc)
		rc = ycfg_want_scalar(y, "type", item, type, SQ_OPT_STRING);
	if (!rc && !(*conn = connector_find(ycfg_text(type))))
		rc = ycfg_fail_at(y, type, "unknown source type '%s' (known: %s)",
				  options_quote(ycfg_text(type), q, sizeof(q)), known.data);
	sq_buf_release(&known);
	return rc;
}

static sq_err add_source(struct ycfg *y, struct sq_config *cfg, const yaml_node_t *item,
			 const struct sq_connector *conn, struct sq_source_config **out)
{
	struct sq_source_config *src = grow(y, cfg->sources, cfg->nsources, sizeof(*src));

	if (!src)
		return SQ_ENOMEM;
	cfg->sources = src;
	src += cfg->nsources++;
	src->line = (int)item->start_mark.line + 1;
	src->col = (int)item->start_mark.column + 1;
	src->connector = conn;
	src->conf = calloc(1, conn->conf_size ? conn->conf_size : 1);
	if (!src->conf)
		return oom(y);
	if (options_defaults(config_source_options, src, y->err) ||
	    options_defaults(conn->options, src->conf, y->err))
		return y->err->code;
	*out = src;
	return SQ_OK;
}

static sq_err load_source(struct ycfg *y, struct sq_config *cfg, yaml_node_t *item)
{
	yaml_node_t *name = ycfg_get(y, item, "name");
	const struct sq_connector *conn = NULL;
	struct sq_source_config *src = NULL;
	char what[96];
	sq_err rc;

	if (item->type != YAML_MAPPING_NODE)
		return ycfg_fail_at(y, item, "each source must be a mapping (name:, type:, "
				    "base_url:, ...), found %s", ycfg_kind(item));
	if ((rc = check_source_name(y, cfg, item, name)) ||
	    (rc = find_connector(y, item, ycfg_text(name), &conn)) ||
	    (rc = add_source(y, cfg, item, conn, &src)))
		return rc;
	snprintf(what, sizeof(what), "source '%s'", ycfg_text(name));
	return ycfg_load_mapping(y, item, &(struct ycfg_schema){
		what, ycfg_text(name), { config_source_options, conn->options },
		{ src, src->conf }, NULL });
}

static sq_err load_sources(struct ycfg *y, yaml_node_t *v, void *base)
{
	size_t i;
	sq_err rc;

	if (!v || ycfg_is_null(v))
		return SQ_OK;
	if ((rc = want_list(y, "sources", v, "sources ('- name: ...' entries)")))
		return rc;
	for (i = 0; i < ycfg_count(v); i++)
		if ((rc = load_source(y, base, ycfg_item(y, v, i))))
			return rc;
	return SQ_OK;
}

static void release_sources(void *base)
{
	struct sq_config *cfg = base;
	struct sq_source_config *src;
	size_t i;

	for (i = 0; i < cfg->nsources; i++) {
		src = &cfg->sources[i];
		options_release(config_source_options, src);
		if (src->conf && src->connector)
			options_release(src->connector->options, src->conf);
		free(src->conf);
	}
	free(cfg->sources);
	cfg->sources = NULL;
	cfg->nsources = 0;
}

/* ---- areas ------------------------------------------------------------------- */

/* [lat, lon] is the usual slip: say so when the numbers fit that way round. */
static sq_err swapped_hint(struct ycfg *y, const struct sq_area *a)
{
	size_t n = strlen(y->err->msg);

	if (a->lon >= -90 && a->lon <= 90)
		snprintf(y->err->msg + n, sizeof(y->err->msg) - n, "; center is [longitude, "
			 "latitude], in that order");
	return y->err->code;
}

static sq_err load_center(struct ycfg *y, yaml_node_t *v, void *base)
{
	struct sq_area *a = base;
	yaml_node_t *item;
	size_t i;
	sq_err rc;

	if (!v)
		return SQ_OK;
	if (v->type != YAML_SEQUENCE_NODE || ycfg_count(v) != 2)
		return ycfg_fail_at(y, v, "center: expected [longitude, latitude] in WGS 84 degrees, "
				    "found %s", ycfg_kind(v));
	for (i = 0; i < 2; i++) {
		item = ycfg_item(y, v, i);
		rc = ycfg_want_scalar(y, center_rows[i].key, item, item, SQ_OPT_DOUBLE);
		if (!rc && options_set(&center_rows[i], a, ycfg_text(item), y->err))
			rc = ycfg_at(y, item);
		if (rc)
			return i == 1 && rc == SQ_ECONFIG ? swapped_hint(y, a) : rc;
	}
	a->has_center = 1;
	return SQ_OK;
}

static const struct ycfg_section community_sections[] = {
	{ .key = "center", .load = load_center },
	{ .key = NULL },
};

static sq_err check_grid_prefix(struct ycfg *y, yaml_node_t *item, const struct sq_area *a)
{
	char q[OPTIONS_QUOTE_MAX];
	size_t n;

	if (!a->grid_prefix)
		return SQ_OK;
	n = strlen(a->grid_prefix);
	if (strspn(a->grid_prefix, "0123456789") == n && n <= 15)
		return SQ_OK;
	return ycfg_fail_at(y, ycfg_get(y, item, "grid_prefix"), "grid_prefix: '%s' must be 1 to 15 "
			    "digits (grid codes are district 6 + street 3 + community 3 + cell 3)",
			    options_quote(a->grid_prefix, q, sizeof(q)));
}

/* Names and aliases resolve records to communities, so each must be unique. */
static sq_err check_area_names(struct ycfg *y, yaml_node_t *item, const struct sq_areas *areas)
{
	size_t n = areas->ncommunities - 1, j, k;
	const struct sq_area *a = &areas->communities[n], *other;
	yaml_node_t *aliases = ycfg_get(y, item, "aliases");
	const char *s;

	if ((other = area_named(areas->communities, n, a->name)) && !strcmp(other->name, a->name))
		return ycfg_fail_at(y, ycfg_get(y, item, "name"), "duplicate community '%s'", a->name);
	if (other)
		return ycfg_fail_at(y, ycfg_get(y, item, "name"), "community name '%s' is already an "
				    "alias of community '%s'", a->name, other->name);
	for (j = 0; j < a->aliases.n; j++) {
		s = a->aliases.items[j];
		other = area_named(areas->communities, n, s);
		for (k = 0; k < j && !other; k++)
			if (!strcmp(a->aliases.items[k], s))
				other = a;
		if (other || !strcmp(a->name, s))
			return ycfg_fail_at(y, ycfg_item(y, aliases, j), "alias '%s' is already used "
					    "by community '%s'", s, other ? other->name : a->name);
	}
	return SQ_OK;
}

static sq_err load_community(struct ycfg *y, struct sq_areas *areas, yaml_node_t *item)
{
	yaml_node_t *name = ycfg_get(y, item, "name");
	char q[OPTIONS_QUOTE_MAX], what[OPTIONS_QUOTE_MAX + 16];
	struct sq_area *a;
	sq_err rc;

	if (item->type != YAML_MAPPING_NODE)
		return ycfg_fail_at(y, item, "each community must be a mapping (name:, aliases:, "
				    "grid_prefix:, center:), found %s", ycfg_kind(item));
	a = grow(y, areas->communities, areas->ncommunities, sizeof(*a));
	if (!a)
		return SQ_ENOMEM;
	areas->communities = a;
	a += areas->ncommunities++;
	if (name && name->type == YAML_SCALAR_NODE)
		snprintf(what, sizeof(what), "community '%s'",
			 options_quote(ycfg_text(name), q, sizeof(q)));
	else
		snprintf(what, sizeof(what), "a community");
	rc = ycfg_load_mapping(y, item, &(struct ycfg_schema){
		what, NULL, { community_options, NULL }, { a, NULL }, community_sections });
	if (!rc)
		rc = check_grid_prefix(y, item, a);
	if (!rc)
		rc = check_area_names(y, item, areas);
	return rc;
}

static sq_err load_communities(struct ycfg *y, yaml_node_t *v, void *base)
{
	size_t i;
	sq_err rc;

	if (!v || ycfg_is_null(v))
		return SQ_OK;
	if ((rc = want_list(y, "communities", v, "communities ('- name: ...' entries)")))
		return rc;
	for (i = 0; i < ycfg_count(v); i++)
		if ((rc = load_community(y, base, ycfg_item(y, v, i))))
			return rc;
	return SQ_OK;
}

static void release_communities(void *base)
{
	struct sq_areas *areas = base;
	size_t i;

	for (i = 0; i < areas->ncommunities; i++)
		options_release(community_options, &areas->communities[i]);
	free(areas->communities);
	areas->communities = NULL;
	areas->ncommunities = 0;
}

/* ---- the duty roster ------------------------------------------------------------ */

/* "mon".."sun" or "1".."7" (ISO: Monday is 1) as 0..6; -1 otherwise. */
static int parse_day(const char *s, size_t n)
{
	static const char names[] = "montuewedthufrisatsun";
	size_t i;

	if (n == 1 && *s >= '1' && *s <= '7')
		return *s - '1';
	for (i = 0; n == 3 && i < 7; i++)
		if (!strncasecmp(s, names + 3 * i, 3))
			return (int)i;
	return -1;
}

/* "mon", "1", or a range "mon-fri" / "fri-mon" (wrapping past Sunday). */
static unsigned parse_days(const char *s)
{
	const char *dash = strchr(s, '-');
	int from, to, d;
	unsigned mask = 0;

	from = parse_day(s, dash ? (size_t)(dash - s) : strlen(s));
	to = dash ? parse_day(dash + 1, strlen(dash + 1)) : from;
	if (from < 0 || to < 0)
		return 0;
	for (d = from;; d = (d + 1) % 7) {
		mask |= 1u << d;
		if (d == to)
			break;
	}
	return mask;
}

static sq_err load_days(struct ycfg *y, yaml_node_t *v, void *base)
{
	struct sq_duty *d = base;
	char q[OPTIONS_QUOTE_MAX];
	yaml_node_t *item;
	unsigned mask = 0, m;
	size_t i, n;
	sq_err rc;

	if (!v)
		return SQ_OK;
	n = v->type == YAML_SEQUENCE_NODE ? ycfg_count(v) : 1;
	if (v->type == YAML_SEQUENCE_NODE && !n)
		return ycfg_fail_at(y, v, "days: empty list; remove the key to mean every day");
	for (i = 0; i < n; i++) {
		item = v->type == YAML_SEQUENCE_NODE ? ycfg_item(y, v, i) : v;
		if ((rc = ycfg_want_scalar(y, "days", item, item, SQ_OPT_STRING)))
			return rc;
		m = parse_days(ycfg_text(item));
		if (!m)
			return ycfg_fail_at(y, item, "days: '%s' is not a day or range of days "
					    "(mon..sun or 1..7, e.g. [mon-fri] or [sat, sun])",
					    options_quote(ycfg_text(item), q, sizeof(q)));
		mask |= m;
	}
	d->days = mask;
	return SQ_OK;
}

static int parse_hour(const char **p, int lo, int hi)
{
	int v = 0, n = 0;

	for (; n < 2 && isdigit((unsigned char)**p); (*p)++, n++)
		v = v * 10 + (**p - '0');
	return n && v >= lo && v <= hi ? v : -1;
}

static sq_err load_hours(struct ycfg *y, yaml_node_t *v, void *base)
{
	struct sq_duty *d = base;
	char q[OPTIONS_QUOTE_MAX];
	const char *p;
	int from, to;
	sq_err rc;

	if (!v)
		return SQ_OK;
	if ((rc = ycfg_want_scalar(y, "hours", v, v, SQ_OPT_STRING)))
		return rc;
	p = ycfg_text(v);
	from = parse_hour(&p, 0, 23);
	to = *p++ == '-' ? parse_hour(&p, 1, 24) : -1;
	if (from < 0 || to < 0 || *p || from == to)
		return ycfg_fail_at(y, v, "hours: '%s' is not a range of hours (08-18 is 8:00 to "
				    "18:00, 22-08 runs past midnight, 00-24 is all day)",
				    options_quote(ycfg_text(v), q, sizeof(q)));
	d->hour_from = from;
	d->hour_to = to;
	return SQ_OK;
}

static const struct ycfg_section duty_sections[] = {
	{ .key = "days", .load = load_days },
	{ .key = "hours", .load = load_hours },
	{ .key = NULL },
};

static sq_err unknown_community(struct ycfg *y, const yaml_node_t *pos, const char *s,
				const struct sq_areas *areas)
{
	struct sq_buf names = SQ_BUF_INIT;
	char q[OPTIONS_QUOTE_MAX];
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; i < areas->ncommunities && !rc; i++)
		if (sq_buf_addf(&names, "%s%s", i ? ", " : "", areas->communities[i].name))
			rc = oom(y);
	if (!rc)
		rc = ycfg_fail_at(y, pos, "communities: unknown community '%s' (%s%s)",
				  options_quote(s, q, sizeof(q)),
				  names.len ? "configured: " : "areas.communities is empty",
				  sq_buf_str(&names));
	sq_buf_release(&names);
	return rc;
}

/* Records carry the community's name, so an alias in a filter becomes the name. */
static sq_err resolve_duty_communities(struct ycfg *y, yaml_node_t *item, struct sq_duty *d)
{
	const struct sq_areas *areas = &((struct sq_config *)y->user)->areas;
	yaml_node_t *list = ycfg_get(y, item, "communities");
	const struct sq_area *a;
	char *name;
	size_t i;

	for (i = 0; i < d->communities.n; i++) {
		a = area_named(areas->communities, areas->ncommunities, d->communities.items[i]);
		if (!a)
			return unknown_community(y, ycfg_item(y, list, i), d->communities.items[i], areas);
		if (!strcmp(a->name, d->communities.items[i]))
			continue;
		if (!(name = strdup(a->name)))
			return oom(y);
		free(d->communities.items[i]);
		d->communities.items[i] = name;
	}
	return SQ_OK;
}

static sq_err load_duty_row(struct ycfg *y, struct sq_alerts_config *al, yaml_node_t *item)
{
	struct sq_duty *d;
	char what[48];
	sq_err rc;

	if (item->type != YAML_MAPPING_NODE)
		return ycfg_fail_at(y, item, "each duty row must be a mapping (email:, days:, hours:, "
				    "communities:, categories:), found %s", ycfg_kind(item));
	d = grow(y, al->duty, al->nduty, sizeof(*d));
	if (!d)
		return SQ_ENOMEM;
	al->duty = d;
	d += al->nduty++;
	d->days = 0x7f;
	d->hour_to = 24;
	snprintf(what, sizeof(what), "alerts.duty row %zu", al->nduty);
	rc = ycfg_load_mapping(y, item, &(struct ycfg_schema){
		what, NULL, { duty_options, NULL }, { d, NULL }, duty_sections });
	return rc ? rc : resolve_duty_communities(y, item, d);
}

static sq_err load_duty(struct ycfg *y, yaml_node_t *v, void *base)
{
	size_t i;
	sq_err rc;

	if (!v || ycfg_is_null(v))
		return SQ_OK;
	if ((rc = want_list(y, "duty", v, "duty rows ('- email: ...' entries)")))
		return rc;
	for (i = 0; i < ycfg_count(v); i++)
		if ((rc = load_duty_row(y, base, ycfg_item(y, v, i))))
			return rc;
	return SQ_OK;
}

static void release_duty(void *base)
{
	struct sq_alerts_config *al = base;
	size_t i;

	for (i = 0; i < al->nduty; i++)
		options_release(duty_options, &al->duty[i]);
	free(al->duty);
	al->duty = NULL;
	al->nduty = 0;
}

/* Mail settings that cannot work together are caught now, not at 3 a.m. */
static sq_err check_alerts(struct ycfg *y, yaml_node_t *map, void *base)
{
	const struct sq_alerts_config *al = base;
	const struct sq_smtp_config *smtp = &al->smtp;
	yaml_node_t *pos = ycfg_get(y, map, "smtp");

	if (!pos || ycfg_is_null(pos))
		pos = map ? map : y->root;
	if (smtp->url && !smtp->from)
		return ycfg_fail_at(y, pos, "alerts.smtp needs 'from' (%s) when url is set",
				    config_smtp_options[1].help);
	if (smtp->password.value && !smtp->username)
		return ycfg_fail_at(y, pos, "alerts.smtp has a password (%s) but no username",
				    smtp->password.origin);
	if ((al->nduty || al->digest_to.n) && !smtp->url)
		return ycfg_fail_at(y, ycfg_get(y, map, al->nduty ? "duty" : "digest_to"),
				    "alerts.%s needs alerts.smtp.url to send mail",
				    al->nduty ? "duty" : "digest_to");
	return SQ_OK;
}

static const struct ycfg_section alerts_sections[] = {
	{ .key = "smtp", .table = config_smtp_options, .owner = "smtp",
	  .offset = offsetof(struct sq_alerts_config, smtp) },
	{ .key = "duty", .load = load_duty, .release = release_duty },
	{ .key = NULL },
};

/* ---- the whole file ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int offset_s;
} fixed_zones[] = {
	{ "Asia/Shanghai", 8 * 3600 }, { "Asia/Chongqing", 8 * 3600 }, { "Asia/Chungking", 8 * 3600 },
	{ "Asia/Harbin", 8 * 3600 }, { "PRC", 8 * 3600 }, { "Asia/Hong_Kong", 8 * 3600 },
	{ "Asia/Macau", 8 * 3600 }, { "Asia/Taipei", 8 * 3600 }, { "UTC", 0 }, { "Etc/UTC", 0 },
};

sq_err config_timezone_offset(const char *tz, int *offset_s, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	const char *p = tz + 1;
	int hh, mm;
	size_t i;

	for (i = 0; i < sizeof(fixed_zones) / sizeof(fixed_zones[0]); i++)
		if (!strcmp(tz, fixed_zones[i].name))
			return *offset_s = fixed_zones[i].offset_s, SQ_OK;
	options_quote(tz, q, sizeof(q));
	if (*tz == '+' || *tz == '-') {
		hh = parse_hour(&p, 0, 14);
		mm = *p++ == ':' ? parse_hour(&p, 0, 59) : -1;
		if (hh < 0 || mm < 0 || *p || p - tz != 6 || (hh == 14 && mm))
			return sq_fail(err, SQ_ECONFIG, "timezone: '%s' is not an offset "
				       "(write +HH:MM, e.g. +08:00; at most 14:00)", q);
		*offset_s = (*tz == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
		return SQ_OK;
	}
	if (!strcmp(tz, "Asia/Urumqi") || !strcmp(tz, "Asia/Kashgar"))
		return sq_fail(err, SQ_ECONFIG, "timezone: %s is UTC+06:00 in the tz database while "
			       "offices keep Beijing time: write Asia/Shanghai, or +06:00 if you "
			       "mean local time", q);
	return sq_fail(err, SQ_ECONFIG, "timezone: '%s' is not supported: suqiu needs a zone "
		       "without daylight saving time (Asia/Shanghai or another China zone, "
		       "Asia/Hong_Kong, Asia/Macau, Asia/Taipei, UTC) or an offset like +08:00", q);
}

static sq_err check_top(struct ycfg *y, yaml_node_t *map, void *base)
{
	struct sq_config *cfg = base;
	yaml_node_t *tz = ycfg_get(y, map, "timezone");

	if (config_timezone_offset(cfg->timezone, &cfg->tz_offset_s, y->err))
		return ycfg_at(y, tz ? tz : y->root);
	return SQ_OK;
}

/* Sections load in this order, so that alerts.duty can name areas' communities. */
static const struct ycfg_section areas_sections[] = {
	{ .key = "communities", .load = load_communities, .release = release_communities },
	{ .key = NULL },
};

static sq_err check_dedup(struct ycfg *y, yaml_node_t *map, void *base)
{
	const struct sq_dedup_config *d = base;

	if (d->mode && strcmp(d->mode, "linkage") && strcmp(d->mode, "naive"))
		return ycfg_fail_at(y, ycfg_get(y, map, "mode"),
				    "dedup.mode must be linkage or naive, not '%s'", d->mode);
	return SQ_OK;
}

static const struct ycfg_section top_sections[] = {
	{ .key = "areas", .table = areas_options, .sub = areas_sections,
	  .offset = offsetof(struct sq_config, areas) },
	{ .key = "sources", .load = load_sources, .release = release_sources },
	{ .key = "http", .table = config_http_options, .offset = offsetof(struct sq_config, http) },
	{ .key = "alerts", .table = alerts_options, .sub = alerts_sections, .check = check_alerts,
	  .offset = offsetof(struct sq_config, alerts) },
	{ .key = "dedup", .table = config_dedup_options, .check = check_dedup,
	  .offset = offsetof(struct sq_config, dedup) },
	{ .key = "detect", .table = config_detect_options,
	  .offset = offsetof(struct sq_config, detect) },
	{ .key = "privacy", .table = config_privacy_options, .owner = "privacy",
	  .offset = offsetof(struct sq_config, privacy) },
	{ .key = NULL },
};

static const struct ycfg_section top = {
	.key = "", .table = config_top_options, .sub = top_sections, .check = check_top,
};

sq_err config_defaults(struct sq_config *cfg, struct sq_error *err)
{
	sq_err rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = ycfg_section_defaults(&top, cfg, err);
	if (!rc)
		rc = config_timezone_offset(cfg->timezone, &cfg->tz_offset_s, err);
	if (rc)
		config_release(cfg);
	return rc;
}

sq_err config_load(const char *path, struct sq_config *cfg, struct sq_error *err)
{
	struct sq_error local;
	struct ycfg y;
	sq_err rc;

	if (!err)
		err = &local;
	sq_error_clear(err);
	rc = config_defaults(cfg, err);
	if (rc)
		return rc;
	if (!path || !*path) {
		config_release(cfg);
		return sq_fail(err, SQ_ECONFIG, "no configuration file given");
	}
	rc = ycfg_open(&y, path, CONFIG_MAX_BYTES, err);
	y.user = cfg;
	if (!rc && !(cfg->path = strdup(path)))
		rc = oom(&y);
	if (!rc && ycfg_is_null(y.root))
		rc = ycfg_fail_at(&y, y.root, "the file holds no settings");
	if (!rc)
		rc = ycfg_load_section(&y, &top, y.root, cfg, "");
	ycfg_close(&y);
	if (rc)
		config_release(cfg);
	return rc;
}

void config_release(struct sq_config *cfg)
{
	ycfg_section_release(&top, cfg);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const struct sq_source_config *config_find_source(const struct sq_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; name && i < cfg->nsources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	return NULL;
}
