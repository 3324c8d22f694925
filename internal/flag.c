#include "flag.h"

#include <stddef.h>
#include <string.h>

#include "store.h"
#include "banned.h"

static const char *const kind_names[FLAG_KIND_LAST] = {
	"cluster", "surge", "spacetime", "common_cause", "urgent", "overdue",
};
static const char *const kind_labels[FLAG_KIND_LAST] = {
	"聚集", "激增", "时空聚集", "同一源头", "紧急", "超期",
};
static const char *const state_names[FLAG_STATE_LAST] = {
	"open", "notified", "acknowledged", "closed",
};
static const char *const state_labels[FLAG_STATE_LAST] = {
	"待通知", "已通知", "已确认", "已关闭",
};
static const char *const severity_names[FLAG_SEVERITY_LAST] = { "low", "medium", "high" };
static const char *const severity_labels[FLAG_SEVERITY_LAST] = { "低", "中", "高" };

static int parse(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; name && i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *flag_kind_name(enum flag_kind k)
{
	return (unsigned)k < FLAG_KIND_LAST ? kind_names[k] : "?";
}

const char *flag_state_name(enum flag_state s)
{
	return (unsigned)s < FLAG_STATE_LAST ? state_names[s] : "?";
}

const char *flag_severity_name(enum flag_severity s)
{
	return (unsigned)s < FLAG_SEVERITY_LAST ? severity_names[s] : "?";
}

int flag_kind_parse(const char *name)
{
	return parse(kind_names, FLAG_KIND_LAST, name);
}

int flag_state_parse(const char *name)
{
	return parse(state_names, FLAG_STATE_LAST, name);
}

int flag_severity_parse(const char *name)
{
	return parse(severity_names, FLAG_SEVERITY_LAST, name);
}

const char *flag_kind_label(enum flag_kind k)
{
	return (unsigned)k < FLAG_KIND_LAST ? kind_labels[k] : "?";
}

const char *flag_severity_label(enum flag_severity s)
{
	return (unsigned)s < FLAG_SEVERITY_LAST ? severity_labels[s] : "?";
}

const char *flag_state_label(enum flag_state s)
{
	return (unsigned)s < FLAG_STATE_LAST ? state_labels[s] : "?";
}

static const struct {
	const char *key, *label;
} category_labels[] = {
	{ "noise", "噪声" },
	{ "construction", "施工" },
	{ "sanitation", "环境卫生" },
	{ "pollution", "污染" },
	{ "water_power_gas", "水电气" },
	{ "property", "物业" },
	{ "wages", "欠薪" },
	{ "labour", "劳动" },
	{ "traffic", "交通" },
	{ "parking", "停车" },
	{ "illegal_building", "违法建设" },
	{ "street_vending", "占道经营" },
	{ "housing_safety", "房屋安全" },
	{ "greening", "园林绿化" },
	{ "municipal_facilities", "市政设施" },
	{ "fire_safety", "消防安全" },
	{ "education", "教育" },
	{ "health", "医疗卫生" },
	{ "social_security", "社会保障" },
	{ "market_regulation", "市场监管" },
	{ "other", "其他" },
};

const char *flag_category_label(const char *category)
{
	size_t i;

	if (!category)
		return "未分类";
	for (i = 0; i < sizeof(category_labels) / sizeof(category_labels[0]); i++)
		if (!strcmp(category_labels[i].key, category))
			return category_labels[i].label;
	return category;
}

/* Move flag id to `to` with history `event`, unless it is closed. */
static sq_err transition(struct sq_store *st, int64_t id, enum flag_state to, const char *event,
			 const char *note, int64_t now, struct sq_error *err)
{
	struct store_flag f = { 0 };
	char *old_state;
	sq_err rc;

	rc = store_begin(st, err);
	if (rc)
		return rc;
	rc = store_flag_get(st, id, &f, err);
	if (rc)
		goto out;
	if (flag_state_parse(f.state) == FLAG_CLOSED) {
		rc = sq_fail(err, SQ_EUSAGE, "flag %lld is closed", (long long)id);
		goto out;
	}
	old_state = f.state;
	f.state = (char *)flag_state_name(to);
	rc = store_flag_update(st, &f, event, note, now, err);
	f.state = old_state;
	if (!rc)
		rc = store_commit(st, err);
out:
	if (rc)
		store_rollback(st);
	store_flag_release(&f);
	return rc;
}

sq_err flag_ack(struct sq_store *st, int64_t id, const char *note, int64_t now,
		struct sq_error *err)
{
	return transition(st, id, FLAG_ACKNOWLEDGED, "acknowledged", note, now, err);
}

sq_err flag_close(struct sq_store *st, int64_t id, const char *note, int64_t now,
		  struct sq_error *err)
{
	return transition(st, id, FLAG_CLOSED, "closed", note, now, err);
}
