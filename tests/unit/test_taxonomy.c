/*
 * test_taxonomy.c — the shipped config/taxonomy.yaml against the labels the
 * feeds really send (docs/GEOGRAPHY.md), prefix matching, compatibility,
 * the problems a text names and how two lists of them compare, and
 * malformed taxonomy files with their FILE:LINE:COL messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "taxonomy.h"
#include "banned.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int load_shipped(void **state)
{
	const char *top = getenv("SUQIU_TOP");
	struct sq_taxonomy *tax;
	struct sq_error err = { 0, "" };
	char path[1024];

	snprintf(path, sizeof(path), "%s/config/taxonomy.yaml", top ? top : ".");
	if (taxonomy_load(path, &tax, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = tax;
	return 0;
}

static int free_shipped(void **state)
{
	taxonomy_free(*state);
	return 0;
}

/* The common keys of docs/GEOGRAPHY.md, in its order. */
static const char *const common_keys[] = {
	"noise", "construction", "sanitation", "pollution", "water_power_gas", "property",
	"wages", "labour", "traffic", "parking", "illegal_building", "street_vending",
	"housing_safety", "greening", "municipal_facilities", "fire_safety", "education",
	"health", "social_security", "market_regulation", "other",
};

static void test_keys(void **state)
{
	const struct sq_taxonomy *tax = *state;
	size_t i;

	assert_int_equal(taxonomy_count(tax), ARRAY_LEN(common_keys));
	for (i = 0; i < ARRAY_LEN(common_keys); i++) {
		const char *name = taxonomy_display(tax, common_keys[i]);

		assert_string_equal(taxonomy_key_at(tax, i), common_keys[i]);
		assert_true(taxonomy_has(tax, common_keys[i]));
		/* Every display name is Chinese: non-ASCII and non-empty. */
		if (!name || !*name || (unsigned char)name[0] < 0x80)
			fail_msg("%s has display name \"%s\"", common_keys[i], name ? name : "(null)");
	}
	assert_null(taxonomy_key_at(tax, ARRAY_LEN(common_keys)));
	assert_string_equal(taxonomy_display(tax, "noise"), "噪声扰民");
	assert_string_equal(taxonomy_display(tax, "other"), "其他");
	assert_null(taxonomy_display(tax, "nonsense"));
	assert_null(taxonomy_display(tax, NULL));
	assert_false(taxonomy_has(tax, "Noise"));
	assert_int_equal(taxonomy_count(NULL), 0);
	assert_null(taxonomy_display(NULL, "noise"));
}

struct map_case {
	const char *feed;
	const char *label;
	const char *key; /* NULL: unmapped */
};

static const struct map_case map_cases[] = {
	/* every hotline categoryPath of docs/GEOGRAPHY.md */
	{ "hotline12345", "环境保护>噪声污染>建筑施工噪声", "construction" },
	{ "hotline12345", "环境保护>噪声污染>社会生活噪声", "noise" },
	{ "hotline12345", "城市管理>市容环卫>垃圾清运", "sanitation" },
	{ "hotline12345", "城市管理>违法建设", "illegal_building" },
	{ "hotline12345", "城市管理>占道经营", "street_vending" },
	{ "hotline12345", "劳动和社会保障>劳动报酬>拖欠工资", "wages" },
	{ "hotline12345", "住房城乡建设>物业管理>物业服务", "property" },
	{ "hotline12345", "城乡建设>供水>停水", "water_power_gas" },
	{ "hotline12345", "城乡建设>供电>停电", "water_power_gas" },
	{ "hotline12345", "城乡建设>燃气>燃气泄漏", "water_power_gas" },
	{ "hotline12345", "交通运输>道路交通>交通秩序", "traffic" },
	{ "hotline12345", "交通运输>停车管理", "parking" },
	{ "hotline12345", "城市管理>市政设施>道路破损", "municipal_facilities" },
	{ "hotline12345", "城市管理>市政设施", "municipal_facilities" },
	{ "hotline12345", "城市管理>园林绿化>树木修剪", "greening" },
	{ "hotline12345", "应急管理>消防安全>消防通道堵塞", "fire_safety" },
	{ "hotline12345", "市场监管>食品安全", "market_regulation" },
	{ "hotline12345", "教育>学校管理", "education" },
	{ "hotline12345", "卫生健康>医疗服务", "health" },
	{ "hotline12345", "住房城乡建设>房屋安全>危房", "housing_safety" },
	/* prefixes, at level boundaries only, the longest winning */
	{ "hotline12345", "环境保护>噪声污染>其他噪声", "noise" },
	{ "hotline12345", "环境保护>噪声污染>建筑施工噪声>夜间", "construction" },
	{ "hotline12345", "环境保护>噪声污染", "noise" },
	{ "hotline12345", "环境保护>噪声污染X", "pollution" },
	{ "hotline12345", "环境保护>大气污染>扬尘", "pollution" },
	{ "hotline12345", "环境保护", "pollution" },
	{ "hotline12345", "环境保", NULL },
	{ "hotline12345", "城市管理>其他", NULL },
	{ "hotline12345", "城市管理", NULL },
	{ "hotline12345", " 环境保护 > 噪声污染 > 社会生活噪声 ", "noise" },
	{ "hotline12345", "环境保护>>噪声污染", "pollution" },
	{ "hotline12345", ">环境保护", NULL },
	{ "hotline12345", "", NULL },
	{ "hotline12345", "   ", NULL },
	{ "hotline12345", "未知>分类", NULL },
	/* liaison topics: exact */
	{ "deputy_liaison", "城市建设", "municipal_facilities" },
	{ "deputy_liaison", "环境保护", "pollution" },
	{ "deputy_liaison", "社会保障", "social_security" },
	{ "deputy_liaison", "劳动就业", "labour" },
	{ "deputy_liaison", "教育", "education" },
	{ "deputy_liaison", "医疗卫生", "health" },
	{ "deputy_liaison", "交通出行", "traffic" },
	{ "deputy_liaison", "物业管理", "property" },
	{ "deputy_liaison", "其他", "other" },
	{ "deputy_liaison", "环境保护>噪声污染", NULL },
	{ "deputy_liaison", "城市", NULL },
	/* city management: names or typed codes */
	{ "city_mgmt", "施工管理/夜间施工", "construction" },
	{ "city_mgmt", "施工管理", "construction" },
	{ "city_mgmt", "市容环境/暴露垃圾", "sanitation" },
	{ "city_mgmt", "市容环境/乱堆物料", "sanitation" },
	{ "city_mgmt", "市容环境/其他", "sanitation" },
	{ "city_mgmt", "宣传广告", "sanitation" },
	{ "city_mgmt", "街面秩序/占道经营", "street_vending" },
	{ "city_mgmt", "街面秩序/无照游商", "street_vending" },
	{ "city_mgmt", "突发事件", "other" },
	{ "city_mgmt", "违法建设/违法建筑", "illegal_building" },
	{ "city_mgmt", "公用设施/上水井盖", "municipal_facilities" },
	{ "city_mgmt", "公用设施/污水井盖", "municipal_facilities" },
	{ "city_mgmt", "道路交通/路灯", "municipal_facilities" },
	{ "city_mgmt", "道路交通/道路破损", "municipal_facilities" },
	{ "city_mgmt", "园林绿化/行道树", "greening" },
	{ "city_mgmt", "事件/05/0502", "construction" },
	{ "city_mgmt", "事件/01/0101", "sanitation" },
	{ "city_mgmt", "事件/03/0301", "street_vending" },
	{ "city_mgmt", "部件/01/0101", "municipal_facilities" },
	{ "city_mgmt", "部件/02/0205", "municipal_facilities" },
	{ "city_mgmt", "部件/04/0401", "greening" },
	{ "city_mgmt", "05/0502", NULL },
	{ "city_mgmt", "事件/99/9901", NULL },
	/* Open311: codes or names, ASCII case ignored */
	{ "open311", "pothole", "municipal_facilities" },
	{ "open311", "Pothole", "municipal_facilities" },
	{ "open311", "ILLEGAL_PARKING", "parking" },
	{ "open311", "noise", "noise" },
	{ "open311", "噪声扰民", "noise" },
	{ "open311", "pot hole", NULL },
	/* feed types without a section, and NULLs */
	{ "unknown_feed", "环境保护", NULL },
	{ NULL, "环境保护", NULL },
	{ "hotline12345", NULL, NULL },
};

static void test_map(void **state)
{
	const struct sq_taxonomy *tax = *state;
	size_t i;

	for (i = 0; i < ARRAY_LEN(map_cases); i++) {
		const struct map_case *c = &map_cases[i];
		const char *key = taxonomy_map(tax, c->feed, c->label);

		if ((c->key && (!key || strcmp(key, c->key))) || (!c->key && key))
			fail_msg("case %zu %s \"%s\": \"%s\" want \"%s\"", i,
				 c->feed ? c->feed : "(null)", c->label ? c->label : "(null)",
				 key ? key : "(null)", c->key ? c->key : "(null)");
	}
	assert_null(taxonomy_map(NULL, "hotline12345", "环境保护"));
}

static void test_map_long_label(void **state)
{
	const struct sq_taxonomy *tax = *state;
	char label[2048];
	size_t i;

	/* Longer than any label can be: unmapped, not an overflow. */
	for (i = 0; i + 1 < sizeof(label); i++)
		label[i] = (char)('a' + i % 26);
	label[sizeof(label) - 1] = '\0';
	assert_null(taxonomy_map(tax, "hotline12345", label));
	memcpy(label, "环境保护>", strlen("环境保护>"));
	assert_null(taxonomy_map(tax, "hotline12345", label));
}

struct compat_case {
	const char *a, *b;
	enum tax_compat want;
};

static const struct compat_case compat_cases[] = {
	{ "noise", "noise", TAX_SAME },
	{ "noise", "construction", TAX_RELATED },
	{ "construction", "noise", TAX_RELATED },
	{ "water_power_gas", "property", TAX_RELATED },
	{ "property", "water_power_gas", TAX_RELATED },
	{ "wages", "social_security", TAX_RELATED },   /* from a group of three */
	{ "social_security", "labour", TAX_RELATED },
	{ "pollution", "noise", TAX_RELATED },
	{ "municipal_facilities", "greening", TAX_RELATED },
	{ "noise", "wages", TAX_UNRELATED },
	{ "greening", "sanitation", TAX_UNRELATED },   /* both related to municipal_facilities only */
	{ "education", "health", TAX_UNRELATED },
	{ "noise", NULL, TAX_UNKNOWN },
	{ NULL, NULL, TAX_UNKNOWN },
	{ "noise", "nonsense", TAX_UNKNOWN },
	{ "nonsense", "nonsense", TAX_UNKNOWN },
};

static void test_compatible(void **state)
{
	const struct sq_taxonomy *tax = *state;
	size_t i;

	for (i = 0; i < ARRAY_LEN(compat_cases); i++) {
		const struct compat_case *c = &compat_cases[i];
		enum tax_compat got = taxonomy_compatible(tax, c->a, c->b);

		if (got != c->want)
			fail_msg("case %zu %s~%s: %s want %s", i, c->a ? c->a : "(null)",
				 c->b ? c->b : "(null)", taxonomy_compat_name(got),
				 taxonomy_compat_name(c->want));
		/* the same through the keys' numbers, as record linkage asks */
		got = taxonomy_compatible_ref(tax, taxonomy_category_ref(tax, c->a),
					      taxonomy_category_ref(tax, c->b));
		if (got != c->want)
			fail_msg("case %zu by ref: %s want %s", i, taxonomy_compat_name(got),
				 taxonomy_compat_name(c->want));
	}
	assert_int_equal(taxonomy_compatible(NULL, "noise", "noise"), TAX_UNKNOWN);
	/* a key's number is its place in file order + 1; 0 when undeclared */
	for (i = 0; i < taxonomy_count(tax); i++)
		assert_int_equal(taxonomy_category_ref(tax, taxonomy_key_at(tax, i)), i + 1);
	assert_int_equal(taxonomy_category_ref(tax, "nonsense"), 0);
	assert_int_equal(taxonomy_category_ref(tax, NULL), 0);
	assert_int_equal(taxonomy_category_ref(NULL, "noise"), 0);
	assert_int_equal(taxonomy_compatible_ref(tax, 0, 0), TAX_UNKNOWN);
	assert_int_equal(taxonomy_compatible_ref(tax, 1, taxonomy_count(tax) + 1), TAX_UNKNOWN);
	assert_int_equal(taxonomy_compatible_ref(NULL, 1, 1), TAX_UNKNOWN);
	assert_string_equal(taxonomy_compat_name(TAX_SAME), "same");
	assert_string_equal(taxonomy_compat_name(TAX_RELATED), "related");
	assert_string_equal(taxonomy_compat_name(TAX_UNRELATED), "unrelated");
	assert_string_equal(taxonomy_compat_name(TAX_UNKNOWN), "unknown");
	assert_string_equal(taxonomy_compat_name((enum tax_compat)42), "unknown");
}

/* ------------------------------------------------------------------ */
/* Malformed files                                                     */

#define CATS "categories:\n  noise: 噪声\n  wages: 欠薪\n"

struct bad_case {
	const char *yaml;
	const char *msg; /* the whole message, or its start when it ends in '*' */
};

static const struct bad_case bad_cases[] = {
	{ "", "t.yaml:1:1: empty taxonomy (expected categories:, related:, feeds:)" },
	{ "categories: [\n", "t.yaml:2:1: did not find expected node content*" },
	{ "categories:\n  noise: \"open\n", "t.yaml:3:1: found unexpected end of stream*" },
	{ "categories:\n\tnoise: x\n", "t.yaml:2:1: found character that cannot start any token*" },
	{ "- a\n- b\n", "t.yaml:1:1: expected a mapping with categories:, related: and feeds:" },
	{ "related: []\n", "t.yaml:1:1: missing categories:" },
	{ CATS "colour: blue\n",
	  "t.yaml:4:1: unknown key \"colour\" (expected categories, related, feeds, problems, related_problems or not_problems)" },
	{ CATS "categories:\n  other: x\n", "t.yaml:4:1: categories given twice" },
	{ "categories: [noise]\n", "t.yaml:1:13: categories: expected a mapping of key: display name" },
	{ "categories: {}\n", "t.yaml:1:13: categories: no category declared" },
	{ "categories:\n  Noise: x\n",
	  "t.yaml:2:3: categories: bad key \"Noise\" (use lowercase letters, digits and _)" },
	{ "categories:\n  2noise: x\n", "t.yaml:2:3: categories: bad key \"2noise\"*" },
	{ "categories:\n  no-ise: x\n", "t.yaml:2:3: categories: bad key \"no-ise\"*" },
	{ "categories:\n  noise: x\n  noise: y\n", "t.yaml:3:3: categories: noise declared twice" },
	{ "categories:\n  noise:\n", "t.yaml:2:9: categories: noise needs a display name" },
	{ "categories:\n  noise: [a]\n", "t.yaml:2:10: categories: noise needs a display name" },
	{ CATS "related: noise\n", "t.yaml:4:10: related: expected a list of [key, key, ...] lists" },
	{ CATS "related:\n  - [noise]\n", "t.yaml:5:5: related: each entry is a list of two or more keys" },
	{ CATS "related:\n  - noise\n", "t.yaml:5:5: related: each entry is a list of two or more keys" },
	{ CATS "related:\n  - [noise, money]\n",
	  "t.yaml:5:13: related: \"money\" is not a declared category" },
	{ CATS "related:\n  - [noise, noise]\n", "t.yaml:5:13: related: noise listed twice in one entry" },
	{ CATS "related:\n  - [noise, [wages]]\n", "t.yaml:5:13: related: \"\" is not a declared category" },
	{ CATS "feeds: []\n", "t.yaml:4:8: feeds: expected a mapping of feed type: {separator, map}" },
	{ CATS "feeds:\n  Hotline:\n    map: {}\n", "t.yaml:5:3: feeds: bad feed type \"Hotline\"" },
	{ CATS "feeds:\n  hotline: []\n",
	  "t.yaml:5:12: feeds.hotline: expected a mapping with map: (and separator:)" },
	{ CATS "feeds:\n  hotline:\n    separator: \">\"\n",
	  "t.yaml:6:5: feeds.hotline: missing map:" },
	{ CATS "feeds:\n  hotline:\n    map: {}\n  hotline:\n    map: {}\n",
	  "t.yaml:7:3: feeds: hotline declared twice" },
	{ CATS "feeds:\n  hotline:\n    sep: \">\"\n    map: {}\n",
	  "t.yaml:6:5: feeds.hotline: unknown key \"sep\" (expected separator or map)" },
	{ CATS "feeds:\n  hotline:\n    separator: \"> \"\n    map: {}\n",
	  "t.yaml:6:16: feeds.hotline.separator: expected 1 to 8 characters without spaces" },
	{ CATS "feeds:\n  hotline:\n    separator: \"\"\n    map: {}\n",
	  "t.yaml:6:16: feeds.hotline.separator: expected*" },
	{ CATS "feeds:\n  hotline:\n    separator: \">\"\n    separator: \"/\"\n    map: {}\n",
	  "t.yaml:7:5: feeds.hotline: separator given twice" },
	{ CATS "feeds:\n  hotline:\n    map: {}\n    map: {}\n", "t.yaml:7:5: feeds.hotline: map given twice" },
	{ CATS "feeds:\n  hotline:\n    map: [a]\n",
	  "t.yaml:6:10: feeds.hotline.map: expected a mapping of label: key" },
	{ CATS "feeds:\n  hotline:\n    map:\n      噪声: money\n",
	  "t.yaml:7:11: feeds.hotline.map: \"money\" is not a declared category" },
	{ CATS "feeds:\n  hotline:\n    map:\n      噪声:\n",
	  "t.yaml:7:10: feeds.hotline.map: \"\" is not a declared category" },
	{ CATS "feeds:\n  hotline:\n    map:\n      \" \": noise\n",
	  "t.yaml:7:7: feeds.hotline.map: a label must be a non-empty string*" },
	{ CATS "feeds:\n  hotline:\n    separator: \">\"\n    map:\n      A>B: noise\n      \" a > b \": wages\n",
	  "t.yaml:9:7: feeds.hotline.map: label \" a > b \" mapped twice (first on line 8)" },
	/* the separator shapes labels even when written after the map */
	{ CATS "feeds:\n  hotline:\n    map:\n      A>B: noise\n      a > b: wages\n    separator: \">\"\n",
	  "t.yaml:8:7: feeds.hotline.map: label \"a > b\" mapped twice (first on line 7)" },
	/* problems: and related_problems: */
	{ CATS "problems: [电梯]\n", "t.yaml:4:11: problems: expected a mapping of key: [word, ...]" },
	{ CATS "problems:\n  Lift: [电梯]\n",
	  "t.yaml:5:3: problems: bad key \"Lift\" (use lowercase letters, digits and _)" },
	{ CATS "problems:\n  lift: 电梯\n", "t.yaml:5:9: problems.lift: expected a list of one or more words" },
	{ CATS "problems:\n  lift: []\n", "t.yaml:5:9: problems.lift: expected a list of one or more words" },
	{ CATS "problems:\n  lift: [电梯]\n  lift: [扶梯]\n", "t.yaml:6:3: problems: lift declared twice" },
	{ CATS "problems:\n  lift: [\"\"]\n",
	  "t.yaml:5:10: problems.lift: a word must be a non-empty string of at most 64 bytes without spaces" },
	{ CATS "problems:\n  lift: [电 梯]\n", "t.yaml:5:10: problems.lift: a word must be*" },
	{ CATS "problems:\n  lift: [[电梯]]\n", "t.yaml:5:10: problems.lift: a word must be*" },
	{ CATS "problems:\n  music: [KTV]\n  bar: [ktv]\n",
	  "t.yaml:6:9: problems.bar: \"ktv\" is already a word of music" },
	{ CATS "problems:\n  lift: [电梯]\nrelated_problems: lift\n",
	  "t.yaml:6:19: related_problems: expected a list of [key, key, ...] lists" },
	{ CATS "problems:\n  lift: [电梯]\nrelated_problems:\n  - [lift]\n",
	  "t.yaml:7:5: related_problems: each entry is a list of two or more keys" },
	{ CATS "problems:\n  lift: [电梯]\nrelated_problems:\n  - [lift, gate]\n",
	  "t.yaml:7:12: related_problems: \"gate\" is not a key of problems:" },
	{ CATS "problems:\n  lift: [电梯]\nrelated_problems:\n  - [lift, lift]\n",
	  "t.yaml:7:12: related_problems: lift listed twice in one entry" },
	{ CATS "not_problems: 停车场\n", "t.yaml:4:15: not_problems: expected a list of words" },
	{ CATS "not_problems: [\"\"]\n", "t.yaml:4:16: not_problems: a word must be*" },
	{ CATS "problems:\n  parking: [停车场]\nnot_problems: [停车场]\n",
	  "t.yaml:6:16: not_problems: \"停车场\" is already a word of parking" },
	/* problems: first, wherever written */
	{ CATS "not_problems: [停车场]\nproblems:\n  parking: [停车场]\n",
	  "t.yaml:4:16: not_problems: \"停车场\" is already a word of parking" },
	/* related_problems: needs the problems it names, wherever written */
	{ CATS "related_problems:\n  - [lift, gate]\n",
	  "t.yaml:5:6: related_problems: \"lift\" is not a key of problems:" },
};

static void test_bad_files(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sq_error err = { 0, "" };
		struct sq_taxonomy *tax = (struct sq_taxonomy *)1;
		size_t n = strlen(c->msg);
		sq_err rc = taxonomy_load_buffer("t.yaml", c->yaml, strlen(c->yaml), &tax, &err);
		int match = c->msg[n - 1] == '*' ? !strncmp(err.msg, c->msg, n - 1)
						 : !strcmp(err.msg, c->msg);

		if (rc != SQ_ECONFIG || tax || !match)
			fail_msg("case %zu: rc %d \"%s\" want \"%s\"", i, rc, err.msg, c->msg);
	}
}

static void test_good_small(void **state)
{
	static const char yaml[] =
		"# categories may come after what refers to them\n"
		"feeds:\n"
		"  city_mgmt:\n"
		"    separator: \"/\"\n"
		"    map:\n"
		"      施工管理: construction\n"
		"      \"05\": construction\n"
		"  open311:\n"
		"    map: {}\n"
		"related:\n"
		"  - [noise, construction]\n"
		"categories:\n"
		"  noise: 噪声扰民\n"
		"  construction: 施工扰民\n";
	struct sq_taxonomy *tax;
	struct sq_error err = { 0, "" };

	(void)state;
	assert_int_equal(taxonomy_load_buffer("small.yaml", yaml, strlen(yaml), &tax, &err), SQ_OK);
	assert_int_equal(taxonomy_count(tax), 2);
	assert_string_equal(taxonomy_map(tax, "city_mgmt", "施工管理/夜间施工"), "construction");
	assert_string_equal(taxonomy_map(tax, "city_mgmt", "05/0502"), "construction");
	assert_null(taxonomy_map(tax, "open311", "noise"));
	assert_int_equal(taxonomy_compatible(tax, "construction", "noise"), TAX_RELATED);
	taxonomy_free(tax);
	taxonomy_free(NULL);

	/* Only categories is required. */
	assert_int_equal(taxonomy_load_buffer(NULL, "categories: {other: 其他}\n",
					      strlen("categories: {other: 其他}\n"), &tax, &err), SQ_OK);
	assert_null(taxonomy_map(tax, "hotline12345", "其他"));
	assert_int_equal(taxonomy_compatible(tax, "other", "other"), TAX_SAME);
	taxonomy_free(tax);
}

static void test_load_errors(void **state)
{
	struct sq_taxonomy *tax = (struct sq_taxonomy *)1;
	struct sq_error err = { 0, "" };

	(void)state;
	assert_int_equal(taxonomy_load("/nonexistent/taxonomy.yaml", &tax, &err), SQ_EIO);
	assert_null(tax);
	assert_string_equal(err.msg, "/nonexistent/taxonomy.yaml: cannot open taxonomy: No such file or directory");
	/* A directory opens but cannot be read. */
	assert_int_equal(taxonomy_load("/", &tax, &err), SQ_EIO);
	assert_non_null(strstr(err.msg, "/: cannot read taxonomy"));
	/* Invalid UTF-8 is a YAML error with its position. */
	assert_int_equal(taxonomy_load_buffer("b.yaml", "categories:\n  noise: \xFF\n",
					      strlen("categories:\n  noise: \xFF\n"), &tax, &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "b.yaml:2:10: invalid leading UTF-8 octet");
}

/* ------------------------------------------------------------------ */
/* problems: what a complaint is about                                  */

static const char problems_yaml[] =
	CATS
	"problems:\n"
	"  lift: [电梯, 升降梯]\n"
	"  gas: [燃气, 煤气, 臭鸡蛋味]\n"
	"  power: [停电]\n"
	"  ebike: [电动车]\n"
	"  parking: [停车, 乱停]\n"
	"  rubbish: [垃圾]\n"
	"  debris: [建筑垃圾, 装修垃圾]\n"
	"  stalls: [大排档, 宵夜档]\n"
	"  music: [唱歌, KTV]\n"
	"related_problems:\n"
	"  - [stalls, music]\n"
	"  - [parking, ebike]\n"
	"not_problems: [停车场, 电梯口]\n";

struct problems_case {
	const char *text, *want;
};

static void test_problems(void **state)
{
	static const struct problems_case cases[] = {
		/* synonyms fold to one key */
		{ "电梯坏了一周", "lift" },
		{ "升降梯困人", "lift" },
		{ "楼道有煤气味", "gas" },
		{ "一股臭鸡蛋味 怀疑燃气泄漏", "gas" },
		/* several, in file order, each once */
		{ "停电了 电梯也停了 电梯困人", "lift power" },
		/* overlapping words: the longest wins */
		{ "楼下堆满建筑垃圾", "debris" },
		{ "装修垃圾和生活垃圾", "rubbish debris" },
		{ "门口乱停电动车", "ebike parking" },
		{ "门口停电动车", "ebike" },
		/* folded text is lower case; words are compared so */
		{ "ktv半夜唱歌", "music" },
		/* words that name a place hide the problem words inside them */
		{ "停车场出口路灯不亮", "" },
		{ "电梯口堆满建筑垃圾", "debris" },
		{ "停车场里乱停", "parking" },
		/* nothing named */
		{ "吵得睡不着", "" },
		{ "", "" },
		/* words do not run across a space (a punctuation mark) */
		{ "电 梯", "" },
		/* a word ending the text counts; one the text ends inside does not */
		{ "楼道里有燃气", "gas" },
		{ "有股臭鸡蛋", "" },
		{ "电", "" },
		{ "唱k", "" },
	};
	struct sq_taxonomy *tax;
	struct sq_error err = { 0, "" };
	char *out;
	size_t i;

	(void)state;
	assert_int_equal(taxonomy_load_buffer("p.yaml", problems_yaml, strlen(problems_yaml), &tax,
					      &err), SQ_OK);
	assert_int_equal(taxonomy_problem_count(tax), 9);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(taxonomy_problems(tax, cases[i].text, &out), SQ_OK);
		if (strcmp(out, cases[i].want))
			fail_msg("case %zu \"%s\": \"%s\" want \"%s\"", i, cases[i].text, out,
				 cases[i].want);
		free(out);
	}
	assert_int_equal(taxonomy_problems(tax, NULL, &out), SQ_OK);
	assert_string_equal(out, "");
	free(out);
	/* no taxonomy, or one without problems: nothing is named */
	assert_int_equal(taxonomy_problems(NULL, "电梯坏了", &out), SQ_OK);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(taxonomy_problem_count(NULL), 0);
	taxonomy_free(tax);
}

struct problems_compat_case {
	const char *a, *b;
	enum tax_compat want;
};

static void test_problems_compat(void **state)
{
	static const struct problems_compat_case cases[] = {
		/* one key in common is enough, whatever else is named */
		{ "lift", "lift", TAX_SAME },
		{ "lift power", "gas power", TAX_SAME },
		{ "stalls music", "music", TAX_SAME },
		/* disjoint */
		{ "lift", "gas", TAX_UNRELATED },
		{ "lift power", "gas rubbish", TAX_UNRELATED },
		/* disjoint but listed together under related_problems: */
		{ "stalls", "music", TAX_RELATED },
		{ "lift ebike", "parking", TAX_RELATED },
		/* a text that names nothing says nothing */
		{ "", "lift", TAX_UNKNOWN },
		{ "lift", "", TAX_UNKNOWN },
		{ "", "", TAX_UNKNOWN },
		{ NULL, "lift", TAX_UNKNOWN },
		/* keys the taxonomy does not declare are not counted */
		{ "elevator", "elevator", TAX_UNKNOWN },
		{ "elevator lift", "lift", TAX_SAME },
	};
	struct sq_taxonomy *tax;
	struct sq_error err = { 0, "" };
	size_t i;

	(void)state;
	assert_int_equal(taxonomy_load_buffer("p.yaml", problems_yaml, strlen(problems_yaml), &tax,
					      &err), SQ_OK);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		enum tax_compat got = taxonomy_problems_compat(tax, cases[i].a, cases[i].b);

		if (got != cases[i].want || got != taxonomy_problems_compat(tax, cases[i].b, cases[i].a))
			fail_msg("case %zu \"%s\" ~ \"%s\": %s want %s", i,
				 cases[i].a ? cases[i].a : "(null)", cases[i].b,
				 taxonomy_compat_name(got), taxonomy_compat_name(cases[i].want));
	}
	assert_int_equal(taxonomy_problems_compat(NULL, "lift", "lift"), TAX_UNKNOWN);
	taxonomy_free(tax);
}

/* The shipped problems: the words residents use for one thing name one key. */
static void test_shipped_problems(void **state)
{
	static const struct { const char *a, *b; enum tax_compat want; } cases[] = {
		{ "楼道有煤气味", "疑似燃气泄漏", TAX_SAME },
		{ "电梯坏了困人", "升降梯停运", TAX_SAME },
		{ "整栋停电", "晚上跳闸没电", TAX_SAME },
		{ "井盖缺失", "沙井盖板不见了", TAX_SAME },
		{ "广场舞音响太大", "放音乐跳舞", TAX_SAME },
		{ "楼下宵夜档太吵了", "客人唱歌到三点", TAX_RELATED },
		{ "楼下堆满装修垃圾", "碎砖和水泥袋堆在门口", TAX_SAME },
		{ "电梯坏了一周没人修", "水箱长期不清洗", TAX_UNRELATED },
		{ "物业保安态度差", "电梯坏了一周没人修", TAX_UNRELATED },
		{ "管道井有臭鸡蛋味", "整栋停电", TAX_UNRELATED },
	};
	const struct sq_taxonomy *tax = *state;
	char *a, *b;
	size_t i;

	assert_true(taxonomy_problem_count(tax) > 30);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		enum tax_compat got;

		assert_int_equal(taxonomy_problems(tax, cases[i].a, &a), SQ_OK);
		assert_int_equal(taxonomy_problems(tax, cases[i].b, &b), SQ_OK);
		got = taxonomy_problems_compat(tax, a, b);
		if (got != cases[i].want)
			fail_msg("case %zu %s [%s] ~ %s [%s]: %s want %s", i, cases[i].a, a, cases[i].b,
				 b, taxonomy_compat_name(got), taxonomy_compat_name(cases[i].want));
		free(a);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keys, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_map, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_map_long_label, load_shipped, free_shipped),
		cmocka_unit_test_setup_teardown(test_compatible, load_shipped, free_shipped),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_good_small),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_problems_compat),
		cmocka_unit_test_setup_teardown(test_shipped_problems, load_shipped, free_shipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
