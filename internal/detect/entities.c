/* Names of employers, estates and sites in complaint text (entities.h). */
#include "detect/entities.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* Characters of text looked at, and of a name before its suffix. */
#define TEXT_CHARS_MAX 4096
#define NAME_CHARS_MAX 14
#define CORE_MIN 2

struct suffix {
	const char *word;
	enum entity_type type;
};

/* Longest first where one ends another (有限公司 before 公司). */
static const struct suffix suffixes[] = {
	{ "股份有限公司", ENTITY_EMPLOYER }, { "有限责任公司", ENTITY_EMPLOYER },
	{ "有限公司", ENTITY_EMPLOYER }, { "公司", ENTITY_EMPLOYER }, { "集团", ENTITY_EMPLOYER },
	{ "酒楼", ENTITY_EMPLOYER }, { "厂", ENTITY_EMPLOYER }, { "店", ENTITY_EMPLOYER },
	{ "小区", ENTITY_ESTATE }, { "花园", ENTITY_ESTATE }, { "大厦", ENTITY_ESTATE },
	{ "广场", ENTITY_ESTATE }, { "苑", ENTITY_ESTATE },
	{ "工地", ENTITY_SITE }, { "项目", ENTITY_SITE },
};

/* Words after which a name starts (the name is what follows the last one). */
static const char *const boundaries[] = {
	"的", "在", "是", "了", "和", "与", "及", "对", "向", "到", "给", "被", "把", "从", "由",
	"于", "为", "我", "你", "他", "她", "它", "这", "那", "该", "本", "其", "说", "称", "请",
	"让", "叫", "帮", "替", "跟", "往", "离", "靠", "近", "里", "个", "间", "座", "栋", "位",
	"也", "都", "就", "还", "又", "仍", "将", "已", "问", "找", "去", "来", "回", "等", "某",
	"投诉", "反映", "举报", "关于", "位于", "住在", "地处", "拖欠", "欠薪", "欠", "附近",
	"旁边", "对面", "门口", "楼下", "隔壁", "里面", "我们", "他们", "你们", "要求", "希望",
	"建议", "发现", "看到", "听说", "已经", "一直", "长期", "多次", "经常", "今天", "昨天",
	"晚上", "凌晨", "早上", "每天", "工人", "员工", "业主", "居民", "市民", "群众", "老板",
	"联系", "导致", "造成", "因为", "由于", "所以", "但是", "而且", "并且", "以及", "或者",
	"干活", "上班", "打工", "工作", "工资", "克扣", "讨要", "讨薪", "至今", "一些", "多名",
	"几名", "名", "新开", "开了", "一家", "这家", "那家", "整个", "周边", "周围",
	"交界处", "交界", "路口", "对出", "后巷",
	/* another name's end: 西华苑好运来酒楼 is 好运来酒楼 in 西华苑 */
	"苑", "花园", "小区", "大厦", "广场", "栋", "公司", "酒楼",
};

/* Leading words that are not part of a name. */
static const char *const demonstratives[] = {
	"这个", "那个", "这家", "那家", "一家", "一个", "整个", "该", "本", "此", "某",
};

/* Trailing words dropped from an employer's key: legal form, trade, shop type. */
static const char *const employer_tails[] = {
	"股份", "有限", "责任", "建筑工程", "建筑劳务", "劳务派遣", "建筑", "工程", "劳务",
	"建设", "装饰", "装修", "物业管理", "物业服务", "物业", "餐饮管理", "餐饮", "科技",
	"贸易", "实业", "发展", "投资", "置业", "房地产开发", "房地产", "地产", "开发", "服装",
	"电子", "制衣", "服饰", "管理", "服务", "商贸", "环保", "清洁", "保洁", "家政", "搬家",
	"物流", "运输", "汽车", "食品", "制品", "机械", "设备", "五金", "塑料", "印刷", "包装",
	"加工", "造纸", "家具", "火锅", "小吃", "便利", "理发", "水果", "烧烤", "早餐", "饭",
	"商", "药", "面包", "奶茶", "美容", "美发", "洗车", "维修", "快餐", "夜宵", "咖啡",
	"网吧", "酒吧", "足浴", "按摩", "棋牌", "酒", "超市", "专卖", "连锁", "分", "总", "旗舰",
	"大排档", "麻辣烫", "杂货", "副食", "烟酒", "手机", "电器", "建材", "宠物", "鲜花", "花",
	"汽修", "修车", "洗车", "水果", "蔬菜", "肉", "菜", "粮油",
};

static const char *const estate_tails[] = {
	"小区", "花园", "大厦", "广场", "苑", "新村", "公寓", "大楼", "住宅", "商住楼",
	"一期", "二期", "三期", "东区", "西区", "南区", "北区",
};

static const char *const site_tails[] = {
	"项目", "工地", "施工", "工程", "建设", "改造", "地块", "项目部", "广场",
};

/* Verbs that make the following 小区/工地/公司 a common noun. */
static const char *const verbs_before[] = {
	"堵住", "堵塞", "占用", "影响", "进入", "进出", "出入", "离开", "经过", "整个", "所在",
	"住在", "回到", "来到", "路过",
};

/* Whole keys that are words, not names. */
static const char *const generic[] = {
	"我们", "他们", "你们", "这个", "那个", "这家", "那家", "一家", "一个", "整个", "施工",
	"建筑", "附近", "周边", "周围", "这些", "那些", "各个", "其他", "同一", "本地", "当地",
	"旁边", "对面", "隔壁", "楼下", "门口", "有关", "相关", "物业", "开发", "街道", "社区",
	"居委", "政府", "学校", "医院", "公园", "地铁", "施工单位", "建设单位", "业主", "个体",
	"私人", "外卖", "快递", "小区", "花园", "工地", "项目", "公司", "商铺", "门店", "工厂",
	"广场", "大厦", "新建", "在建", "装修", "老旧", "高层", "楼盘", "交界处", "交界", "附近",
	"门口", "楼下", "对面", "旁边", "路口",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct chars {
	const char *text;
	size_t n;
	size_t off[TEXT_CHARS_MAX + 1];   /* byte offset of each character, then the end */
	uint32_t cp[TEXT_CHARS_MAX];
};

static size_t decode(const char *s, struct chars *c)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0;

	c->text = s;
	while (p[i] && n < TEXT_CHARS_MAX) {
		uint32_t v = p[i];
		size_t len = 1, k;

		if (v >= 0xf0 && v < 0xf8) {
			len = 4;
			v &= 0x07;
		} else if (v >= 0xe0 && v < 0xf0) {
			len = 3;
			v &= 0x0f;
		} else if (v >= 0xc0 && v < 0xe0) {
			len = 2;
			v &= 0x1f;
		}
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				len = k;
				v = 0xfffd;
				break;
			}
			v = (v << 6) | (p[i + k] & 0x3f);
		}
		c->off[n] = i;
		c->cp[n] = v;
		n++;
		i += len;
	}
	c->off[n] = i;
	c->n = n;
	return n;
}

static size_t nchars(const char *w)
{
	size_t n = 0;

	for (; *w; w++)
		if ((*w & 0xc0) != 0x80)
			n++;
	return n;
}

/* Does word w start at character k (and lie within [.., end))? */
static int match_at(const struct chars *c, size_t k, size_t end, const char *w)
{
	const char *t = c->text + c->off[k];
	size_t len, wl;

	/* Most candidates differ in their first two bytes: decide that cheaply
	 * (t is NUL-terminated, so t[1] is readable when t[0] is not NUL). */
	if (k >= end || t[0] != w[0] || t[1] != w[1])
		return 0;
	len = strlen(w);
	wl = nchars(w);
	if (k + wl > end)
		return 0;
	return c->off[k + wl] - c->off[k] == len && !memcmp(c->text + c->off[k], w, len);
}

static int is_name_char(uint32_t v)
{
	return (v >= 0x4e00 && v <= 0x9fff) || (v >= 0x3400 && v <= 0x4dbf) ||
	       (v >= '0' && v <= '9') || (v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') ||
	       v == 0xb7;
}

/* Drop any of words from the end of [start, *end) while min characters remain. */
static void strip_tails(const struct chars *c, size_t start, size_t *end,
			const char *const *words, size_t nwords, size_t min)
{
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		for (i = 0; i < nwords; i++) {
			size_t wl = nchars(words[i]);

			if (*end >= start + min + wl && match_at(c, *end - wl, *end, words[i])) {
				*end -= wl;
				again = 1;
				break;
			}
		}
	}
}

/*
 * A leading city, district, county, road or house number ("广州市",
 * "荔湾区", "宝源路", "88号") before a name: residents write 宝源路宝源花园
 * and 宝源花园 for one estate.
 */
static void strip_region(const struct chars *c, size_t *start, size_t end)
{
	int rounds;

	for (rounds = 0; rounds < 4; rounds++) {
		size_t k, found = 0;

		for (k = *start + 1; k < end && k <= *start + 5; k++) {
			uint32_t v = c->cp[k];

			if (v == 0x7701 /* 省 */ || v == 0x5e02 /* 市 */ || v == 0x533a /* 区 */ ||
			    v == 0x53bf /* 县 */ || v == 0x8def /* 路 */ || v == 0x8857 /* 街 */ ||
			    v == 0x5df7 /* 巷 */ || v == 0x9053 /* 道 */ ||
			    (v == 0x53f7 /* 号 */ && c->cp[k - 1] >= '0' && c->cp[k - 1] <= '9')) {
				found = k;
				break;
			}
		}
		if (!found || end < found + 1 + CORE_MIN)
			return;
		*start = found + 1;
	}
}

/*
 * Where a name shown to people starts: after the last house number
 * ("88号") in c[start..end), else at start.  The number is one resident's
 * address, not the estate's or the site's name, and the road before it may
 * be cut off by NAME_CHARS_MAX ("路44号地铁十一号线如意坊站工地").
 */
static size_t after_house_number(const struct chars *c, size_t start, size_t end)
{
	size_t k, from = start;

	for (k = start + 1; k < end; k++)
		if (c->cp[k] == 0x53f7 /* 号 */ && c->cp[k - 1] >= '0' && c->cp[k - 1] <= '9')
			from = k + 1;
	return from;
}

static int is_generic(const struct chars *c, size_t start, size_t end)
{
	size_t i, len = c->off[end] - c->off[start];

	for (i = 0; i < COUNT(generic); i++)
		if (strlen(generic[i]) == len && !memcmp(c->text + c->off[start], generic[i], len))
			return 1;
	return 0;
}

/* A name has a character that is not a number or a building word: "12栋"
 * before 小区 is an address, not an estate. */
static int has_name_char(const struct chars *c, size_t start, size_t end)
{
	size_t k;

	for (k = start; k < end; k++) {
		uint32_t v = c->cp[k];

		if ((v >= '0' && v <= '9') || v == 0x680b /* 栋 */ || v == 0x53f7 /* 号 */ ||
		    v == 0x697c /* 楼 */ || v == 0x5c42 /* 层 */ || v == 0x5355 /* 单 */ ||
		    v == 0x5143 /* 元 */ || v == 0x5ea7 /* 座 */ || v == 0x5ba4 /* 室 */)
			continue;
		return 1;
	}
	return 0;
}

static const char *type_name(enum entity_type t)
{
	return t == ENTITY_EMPLOYER ? "employer" : t == ENTITY_ESTATE ? "estate" : "site";
}

const char *detect_entity_type_label(enum entity_type t)
{
	return t == ENTITY_EMPLOYER ? "单位" : t == ENTITY_ESTATE ? "小区/楼宇" : "工地/项目";
}

/* The name ending at character i, before a suffix of sl characters; 1 when found. */
static int name_before(const struct chars *c, size_t i, size_t sl, enum entity_type type,
		       struct detect_entity *e)
{
	size_t start = i, cut, b, w, ks, ke;
	int n;

	while (start > 0 && is_name_char(c->cp[start - 1]) && i - (start - 1) <= NAME_CHARS_MAX)
		start--;
	if (i < start + CORE_MIN)
		return 0;
	/* Cut after the rightmost boundary word that leaves CORE_MIN characters. */
	cut = start;
	for (b = i - CORE_MIN; b > start && cut == start; b--) {
		for (w = 0; w < COUNT(boundaries); w++) {
			size_t wl = nchars(boundaries[w]);

			if (b >= start + wl && match_at(c, b - wl, b, boundaries[w])) {
				cut = b;
				break;
			}
		}
	}
	ks = cut;
	for (w = 0; w < COUNT(demonstratives); w++) {
		size_t wl = nchars(demonstratives[w]);

		if (i >= ks + wl + CORE_MIN && match_at(c, ks, i, demonstratives[w])) {
			ks += wl;
			break;
		}
	}
	strip_region(c, &ks, i);
	ke = i;
	if (type == ENTITY_EMPLOYER) {
		size_t bare = ke;

		/* A company, shop or factory named by its trade alone (劳务公司,
		 * 烧烤店) is not a name. */
		strip_tails(c, ks, &bare, employer_tails, COUNT(employer_tails), 0);
		if (bare < ks + CORE_MIN)
			return 0;
		strip_tails(c, ks, &ke, employer_tails, COUNT(employer_tails), CORE_MIN);
	} else if (type == ENTITY_ESTATE) {
		strip_tails(c, ks, &ke, estate_tails, COUNT(estate_tails), CORE_MIN);
	} else {
		strip_tails(c, ks, &ke, site_tails, COUNT(site_tails), CORE_MIN);
	}
	if (ke < ks + CORE_MIN || is_generic(c, ks, ke) || is_generic(c, cut, i) ||
	    !has_name_char(c, ks, ke))
		return 0;
	/* "车辆堵住小区", "工人进入工地": a verb before the suffix means the
	 * suffix is a common noun, not the end of a name. */
	for (w = 0; w < COUNT(verbs_before); w++) {
		size_t wl = nchars(verbs_before[w]);

		if (i >= cut + wl && match_at(c, i - wl, i, verbs_before[w]))
			return 0;
	}
	e->type = type;
	n = snprintf(e->key, sizeof(e->key), "%s:%.*s", type_name(type),
		     (int)(c->off[ke] - c->off[ks]), c->text + c->off[ks]);
	if (n < 0 || (size_t)n >= sizeof(e->key))
		return 0;
	cut = after_house_number(c, cut, ks);
	n = snprintf(e->name, sizeof(e->name), "%.*s", (int)(c->off[i + sl] - c->off[cut]),
		     c->text + c->off[cut]);
	return n > 0 && (size_t)n < sizeof(e->name);
}

/* The first characters of the suffixes: every other position is skipped. */
static int may_start_suffix(uint32_t v)
{
	switch (v) {
	case 0x80a1: /* 股 */ case 0x6709: /* 有 */ case 0x516c: /* 公 */ case 0x96c6: /* 集 */
	case 0x9152: /* 酒 */ case 0x5382: /* 厂 */ case 0x5e97: /* 店 */ case 0x5c0f: /* 小 */
	case 0x82b1: /* 花 */ case 0x5927: /* 大 */ case 0x5e7f: /* 广 */ case 0x82d1: /* 苑 */
	case 0x5de5: /* 工 */ case 0x9879: /* 项 */
		return 1;
	default:
		return 0;
	}
}

size_t detect_extract_entities(const char *text, struct detect_entity *out, size_t max)
{
	struct chars *c;
	size_t i, s, found = 0, k;

	if (!text || !max)
		return 0;
	c = malloc(sizeof(*c));
	if (!c)
		return 0;
	decode(text, c);
	for (i = 0; i < c->n && found < max; i++) {
		if (!may_start_suffix(c->cp[i]))
			continue;
		for (s = 0; s < COUNT(suffixes); s++) {
			size_t sl = nchars(suffixes[s].word);
			struct detect_entity e;
			int dup = 0;

			if (!match_at(c, i, c->n, suffixes[s].word))
				continue;
			/* 广场舞 is a dance, not a square; 出店经营 is trading
			 * outside one's shop, not a shop. */
			if (!strcmp(suffixes[s].word, "广场") && i + 2 < c->n && c->cp[i + 2] == 0x821e)
				break;
			if (!strcmp(suffixes[s].word, "店") && i + 1 < c->n && c->cp[i + 1] == 0x7ecf)
				break;
			if (name_before(c, i, sl, suffixes[s].type, &e)) {
				for (k = 0; k < found; k++)
					dup |= !strcmp(out[k].key, e.key);
				if (!dup)
					out[found++] = e;
			}
			break;   /* the longest suffix at i decides */
		}
	}
	free(c);
	return found;
}
