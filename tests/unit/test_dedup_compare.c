/*
 * test_dedup_compare.c — the pure half of record linkage: text folding,
 * boilerplate, bigram terms, TF-IDF cosine, MinHash bands, and every level
 * of every field comparison (dedup_compare.h), table-driven.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "buf.h"
#include "dedup_compare.h"
#include "normalize.h"
#include "taxonomy.h"
#include "banned.h"

/* Weights equal to 1 + the level's index, so a test can tell levels apart
 * by weight alone. */
static double weights[DEDUP_LEVEL_COUNT];

static int setup_weights(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < DEDUP_LEVEL_COUNT; i++)
		weights[i] = 1.0 + (double)i;
	return 0;
}

/* ---- folding ----------------------------------------------------------- */

static char *fold(const char *title, const char *text, const char *const *phrases, size_t n)
{
	struct sq_strlist list = { (char **)phrases, n };
	struct dedup_boilerplate bp;
	char *out = NULL;

	assert_int_equal(dedup_boilerplate_init(&bp, &list), SQ_OK);
	assert_int_equal(dedup_fold_text(title, text, &bp, &out), SQ_OK);
	dedup_boilerplate_release(&bp);
	assert_non_null(out);
	return out;
}

struct fold_case {
	const char *title, *text, *want;
};

static void test_fold(void **state)
{
	static const char *const phrases[] = {
		"来电反映", "市民来电反映:", "尊敬的代表：", "请相关部门处理。", "",
	};
	static const struct fold_case cases[] = {
		/* punctuation and spaces separate runs */
		{ NULL, "恩宁路88号工地,夜间 施工。", "恩宁路88号工地 夜间 施工" },
		/* boilerplate, whatever its punctuation, longest phrase first */
		{ NULL, "市民来电反映：恩宁路工地噪音。请相关部门处理", "恩宁路工地噪音" },
		{ NULL, "市民来电反映:恩宁路工地噪音", "恩宁路工地噪音" },
		{ NULL, "来电反映恩宁路工地噪音", "恩宁路工地噪音" },
		{ NULL, "尊敬的代表:您好", "您好" },
		/* boilerplate in the middle splits the run */
		{ NULL, "工地噪音来电反映很吵", "工地噪音 很吵" },
		/* full-width digits and letters, ASCII case */
		{ NULL, "ＡＢＣ１２３号 Abc", "abc123号 abc" },
		/* title first, then text */
		{ "夜间施工", "恩宁路", "夜间施工 恩宁路" },
		{ NULL, NULL, "" },
		{ "", "，。！", "" },
		/* invalid UTF-8 acts as a separator */
		{ NULL, "工地\xff\xfe噪音", "工地 噪音" },
		/* ... an overlong 'A' (three bytes), a surrogate, a lead byte
		 * without its continuation, a cut-off last character */
		{ NULL, "工地\xe0\x81\x81噪音", "工地 噪音" },
		{ NULL, "工地\xed\xa0\x80噪音", "工地 噪音" },
		{ NULL, "工地\xe5" "AB噪音", "工地 ab噪音" },
		{ NULL, "工地噪\xe9\x9f", "工地噪" },
		/* four bytes: an ideograph of extension B */
		{ NULL, "工地\xf0\xa0\x80\x80", "工地\xf0\xa0\x80\x80" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = fold(cases[i].title, cases[i].text, phrases,
				 sizeof(phrases) / sizeof(phrases[0]));

		if (strcmp(got, cases[i].want))
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
		free(got);
	}
	/* phrases that start alike: the longest wins whatever the list's order,
	 * each where it occurs, next to phrases that start otherwise */
	{
		static const char *const alike[] = { "来电", "请处理", "来电反映", "来电人称" };
		char *got = fold(NULL, "来电反映噪音，来电人称很吵，请处理来电", alike, 4);

		assert_string_equal(got, "噪音 很吵");
		free(got);
	}
}

static void test_fold_without_boilerplate(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(dedup_fold_text(NULL, "市民来电反映:噪音", NULL, &out), SQ_OK);
	assert_string_equal(out, "市民来电反映 噪音");
	free(out);
}

/* ---- terms --------------------------------------------------------------- */

static uint64_t term2(uint32_t a, uint32_t b)
{
	return (uint64_t)a << 21 | b;
}

static void test_terms(void **state)
{
	static const struct { uint64_t term; uint32_t count; } want[] = {
		{ 0x5de5ULL << 21, 2 },             /* 工 */
		{ 0x5730ULL << 21, 2 },             /* 地 */
		{ 0x5435ULL << 21, 1 },             /* 吵: characters of a run of one too */
		{ (0x5de5ULL << 21) | 0x5730, 2 },  /* 工地 */
		{ (0x5730ULL << 21) | 0x5de5, 1 },  /* 地工 */
	};
	struct dedup_terms t;
	size_t i, k;

	(void)state;
	/* characters and the bigrams inside each run, none across the space */
	assert_int_equal(dedup_terms_from_folded("工地工地 吵", &t), SQ_OK);
	assert_int_equal(t.n, sizeof(want) / sizeof(want[0]));
	for (i = 1; i < t.n; i++)
		assert_true(t.term[i - 1] < t.term[i]);
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		for (i = 0; i < t.n && t.term[i] != want[k].term; i++)
			;
		if (i == t.n)
			fail_msg("term %zu missing", k);
		/* tf = 1 + ln(count), exactly 1 for a term once */
		if (want[k].count == 1)
			assert_true(t.tf[i] == 1.0);
		else
			assert_true(fabs(t.tf[i] - (1.0 + log((double)want[k].count))) < 1e-12);
	}
	for (i = 0; i < t.n; i++)
		assert_true(t.term[i] != ((0x5730ULL << 21) | 0x5435));   /* no 地吵 */
	dedup_terms_release(&t);
	assert_int_equal(dedup_terms_from_folded("", &t), SQ_OK);
	assert_int_equal(t.n, 0);
	dedup_terms_release(&t);
}

/* ---- named places, building numbers, problem words ----------------------- */

static void test_extract_places(void **state)
{
	static const struct { const char *text, *landmarks, *buildings; } cases[] = {
		{ "荔湾区龙津西路82號龙津公寓12座出现很多裂纹", "龙津公寓", "12" },
		/* a name ending in 小区 also without it (words in front may spoil
		 * that form, so both are kept) */
		{ "前一天半夜开始耀华小区七栋管道井", "开始耀华 耀华小区", "7" },
		{ "华贵楼小区电梯坏了", "华贵楼 贵楼小区", "" },
		{ "多宝小区停水", "多宝小区", "" },
		/* names do not reach across the verbs and locatives around them */
		{ "要求公司尽快结清工资", "", "" },
		{ "楼下宵夜档太吵了,要求市场监管部门检查", "", "" },
		/* trade words out: a labour dispatcher and a work team of one firm */
		{ "广州市宏图劳务派遣公司欠薪", "宏图公司", "" },
		{ "宏图装修工程队拖欠工资", "宏图公司", "" },
		/* words in front of a name, and generic names, are left out */
		{ "昨天夜里开始宝源花园10栋楼道,有人打过燃气公司电话", "宝源花园", "10" },
		{ "附近小区都停水,物业公司不管", "", "" },
		/* companies lose the words every company name has */
		{ "广州市金鼎建筑劳务有限公司拖欠工资", "金鼎公司", "" },
		{ "金鼎公司", "金鼎公司", "" },
		/* suffixes sharing a first character are tried in table order */
		{ "恒大有限责任公司欠薪", "恒大公司", "" },
		{ "永旺超市门口的华润万家便利店", "永旺超市", "" },
		{ "广州市荔建装饰工程公司", "荔建公司", "" },
		/* Chinese numerals, 号楼, several buildings */
		{ "逢源大厦十二号楼和第二十三栋", "逢源大厦", "12 23" },
		{ "多宝小区5号楼, 多宝小区八八座", "多宝小区", "5 88" },
		/* an address number before 楼下 is not a building */
		{ "恩宁路88号楼下的工地", "", "" },
		/* a dance, not a square */
		{ "每晚有人跳广场舞", "", "" },
		{ "华贵广场项目", "华贵广场", "" },
		{ "在宝源路3号的陈记牛杂吃了", "陈记牛杂", "" },
		/* a place named after its road keeps the road's name: every
		 * school on a 大道 was 大道学校 */
		{ "环市大道学校门口接送秩序混乱", "环市大道学校", "" },
		{ "芳村大道学校", "芳村大道学校", "" },
		{ "东风路小学门口", "东风路小学", "" },
		{ "昨天开始上九大道学校门口", "上九大道学校", "" },
		{ "", "", "" },
	};
	char *l = NULL, *b = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dedup_extract_places(NULL, cases[i].text, NULL, &l, &b), SQ_OK);
		if (strcmp(l, cases[i].landmarks) || strcmp(b, cases[i].buildings))
			fail_msg("case %zu: [%s] [%s], want [%s] [%s]", i, l, b,
				 cases[i].landmarks, cases[i].buildings);
		free(l);
		free(b);
	}
	/* in the address, what follows the house number names the place,
	 * whatever its ending, without locatives */
	{
		static const struct { const char *address, *landmarks, *buildings; } addr[] = {
			{ "龙津西路266号老街啤酒屋", "街啤酒屋", "" },
			{ "广州市荔湾区逢源路98号逢源大厦5栋", "逢源大厦", "5" },
			{ "荔湾区昌华大街345號龙珠台十二座", "龙珠台", "12" },
			{ "西华二巷364号门口", "", "" },
			{ "恩宁路八十八号旁边", "", "" },
			{ "恩宁路88号楼下", "", "" },
		};

		for (i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
			assert_int_equal(dedup_extract_places(NULL, NULL, addr[i].address, &l, &b), SQ_OK);
			if (strcmp(l, addr[i].landmarks) || strcmp(b, addr[i].buildings))
				fail_msg("address %zu: [%s] [%s], want [%s] [%s]", i, l, b,
					 addr[i].landmarks, addr[i].buildings);
			free(l);
			free(b);
		}
		/* running text is not an address: 号 there is followed by anything */
		assert_int_equal(dedup_extract_places(NULL, "逢源路13号工地夜间违规施工", NULL, &l, &b),
				 SQ_OK);
		assert_string_equal(l, "");
		free(l);
		free(b);
	}
	/* the title counts too, and NULL texts are fine */
	assert_int_equal(dedup_extract_places("蓬莱花园电梯故障", NULL, NULL, &l, &b), SQ_OK);
	assert_string_equal(l, "蓬莱花园");
	free(l);
	free(b);
	assert_true(dedup_lists_share("a bb ccc", "x ccc"));
	assert_false(dedup_lists_share("a bb", "b abb"));
	assert_false(dedup_lists_share("", "a"));
	assert_false(dedup_lists_share(NULL, "a"));
}

static void test_problem_text(void **state)
{
	char *words[] = { "恩宁路", "恩宁雅居" };
	struct sq_strlist list = { words, 2 };
	char *out = NULL;

	(void)state;
	assert_int_equal(dedup_problem_text("恩宁路88号恩宁雅居10座停水 三天", &list, &out), SQ_OK);
	assert_string_equal(out, "号 座停水 三天");
	free(out);
	list.n = 0;
	assert_int_equal(dedup_problem_text("", &list, &out), SQ_OK);
	assert_string_equal(out, "");
	free(out);
}

static void test_roads(void **state)
{
	char buf[64];

	(void)state;
	assert_true(dedup_road_same("上九路", "上九路"));
	assert_true(dedup_road_same("晚上上九路", "上九路"));
	assert_true(dedup_road_same("上九路", "荔湾区上九路"));
	assert_false(dedup_road_same("九路", "上九路"));       /* too short to tell */
	assert_false(dedup_road_same("华贵路", "上九路"));
	assert_false(dedup_road_same(NULL, "上九路"));
	assert_string_equal(dedup_road_short("晚上上九路", "73号", buf, sizeof(buf)), "上九路73号");
	assert_string_equal(dedup_road_short("龙津西路", NULL, buf, sizeof(buf)), "津西路");
	assert_string_equal(dedup_road_short("西路", "", buf, sizeof(buf)), "西路");
}

/* ---- cosine -------------------------------------------------------------- */

static double cosine_of(const char *a, const char *b, int64_t (*df)(uint64_t), int64_t ndocs)
{
	struct dedup_terms ta, tb;
	double *ia, *ib, c;
	size_t i;

	assert_int_equal(dedup_terms_from_folded(a, &ta), SQ_OK);
	assert_int_equal(dedup_terms_from_folded(b, &tb), SQ_OK);
	ia = calloc(ta.n + 1, sizeof(*ia));
	ib = calloc(tb.n + 1, sizeof(*ib));
	assert_non_null(ia);
	assert_non_null(ib);
	for (i = 0; i < ta.n; i++)
		ia[i] = dedup_idf(df(ta.term[i]), ndocs);
	for (i = 0; i < tb.n; i++)
		ib[i] = dedup_idf(df(tb.term[i]), ndocs);
	c = dedup_cosine(&ta, ia, &tb, ib);
	free(ia);
	free(ib);
	dedup_terms_release(&ta);
	dedup_terms_release(&tb);
	return c;
}

static int64_t df_flat(uint64_t term)
{
	(void)term;
	return 1;
}

/* 噪音 is in nearly every document; everything else is rare. */
static int64_t df_noise_common(uint64_t term)
{
	return term == term2(0x566a, 0x97f3) ? 900 : 1;
}

/* Every document has 噪 and 音 in it, as a term or in a bigram. */
static int64_t df_noise_everywhere(uint64_t term)
{
	uint64_t hi = term >> 21, lo = term & 0x1fffff;

	return hi == 0x566a || hi == 0x97f3 || lo == 0x566a || lo == 0x97f3 ? 1000 : 1;
}

static void test_cosine(void **state)
{
	double same, none, common, rare;

	(void)state;
	same = cosine_of("恩宁路工地噪音", "恩宁路工地噪音", df_flat, 1000);
	assert_true(fabs(same - 1.0) < 1e-9);
	none = cosine_of("恩宁工地", "宝华停水", df_flat, 1000);
	assert_true(none == 0.0);
	assert_true(cosine_of("", "宝华路停水", df_flat, 1000) == 0.0);
	/* Sharing only a common bigram counts less than sharing a rare one. */
	common = cosine_of("噪音扰民", "噪音很大", df_noise_common, 1000);
	rare = cosine_of("噪音扰民", "噪音很大", df_flat, 1000);
	assert_true(common < rare);
	assert_true(common > 0.0);
	/* idf: rarer is heavier; a term in every document of many counts next
	 * to nothing, in every one of a few still something (the prior) */
	assert_true(dedup_idf(1, 1000) > dedup_idf(100, 1000));
	assert_true(dedup_idf(100, 1000) > 0.0);
	assert_true(dedup_idf(1000, 1000) < 0.01);
	assert_true(dedup_idf(2, 2) > 1.0);
	assert_true(dedup_idf(5, 0) > 0.0);
	/* two texts that share only what every complaint says hardly agree */
	common = cosine_of("噪音扰民", "噪音很大", df_noise_everywhere, 1000);
	assert_true(common < 0.01);
}

/* ---- MinHash ------------------------------------------------------------- */

static void bands_of(const char *folded, int64_t bands[DEDUP_LSH_BANDS], int *ok)
{
	struct dedup_terms t;

	assert_int_equal(dedup_terms_from_folded(folded, &t), SQ_OK);
	*ok = dedup_minhash_bands(&t, bands);
	dedup_terms_release(&t);
}

static void test_minhash(void **state)
{
	int64_t a[DEDUP_LSH_BANDS], b[DEDUP_LSH_BANDS], c[DEDUP_LSH_BANDS];
	int ok, i, shared_close = 0, shared_far = 0;

	(void)state;
	bands_of("恩宁路88号旁边的工地每天晚上施工到凌晨", a, &ok);
	assert_true(ok);
	bands_of("恩宁路88号旁边的工地每天晚上施工到凌晨", b, &ok);
	assert_memory_equal(a, b, sizeof(a));
	/* A paraphrase shares some band; an unrelated text almost surely none. */
	bands_of("恩宁路88号工地每天晚上施工到凌晨两点", b, &ok);
	bands_of("耀华小区七栋从昨晚十点多开始停水没有通知", c, &ok);
	for (i = 0; i < DEDUP_LSH_BANDS; i++) {
		shared_close += a[i] == b[i];
		shared_far += a[i] == c[i];
	}
	assert_true(shared_close > 0);
	assert_int_equal(shared_far, 0);
	bands_of("", c, &ok);
	assert_false(ok);
}

/* splitmix64's finalizer, as the family is defined (dedup_text.c). */
static uint64_t ref_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The bands one term at a time, one hash at a time: what the vector code
 * the build picks for this machine must equal. */
static void ref_bands(const struct dedup_terms *t, int64_t bands[DEDUP_LSH_BANDS])
{
	uint64_t mins[DEDUP_LSH_BANDS * DEDUP_LSH_ROWS], h;
	size_t i, k, b, r;

	for (k = 0; k < DEDUP_LSH_BANDS * DEDUP_LSH_ROWS; k++)
		mins[k] = UINT64_MAX;
	for (i = 0; i < t->n; i++)
		for (k = 0; k < DEDUP_LSH_BANDS * DEDUP_LSH_ROWS; k++) {
			h = ref_mix64(ref_mix64(t->term[i]) ^ (0x9e3779b97f4a7c15ULL * (k + 1)));
			if (h < mins[k])
				mins[k] = h;
		}
	for (b = 0; b < DEDUP_LSH_BANDS; b++) {
		h = ref_mix64(b + 1);
		for (r = 0; r < DEDUP_LSH_ROWS; r++)
			h = ref_mix64(h ^ mins[b * DEDUP_LSH_ROWS + r]);
		bands[b] = (int64_t)h;
	}
}

/*
 * The stored bands are the index a store is linked through: whichever copy
 * of dedup_minhash_bands the machine runs (AVX-512, AVX2, plain), they are
 * the same numbers, for one term, a few and many (more than a vector's
 * lanes, not a multiple of them).
 */
static void test_minhash_reference(void **state)
{
	static const char *const texts[] = {
		"停水",
		"耀华小区七栋停水",
		"恩宁路88号旁边的工地每天晚上施工到凌晨，噪音很大，严重影响居民休息，多次反映没有解决，"
		"请尽快安排人员核实处理。附近老人小孩很多，希望相关部门重视。",
	};
	int64_t got[DEDUP_LSH_BANDS], want[DEDUP_LSH_BANDS];
	struct dedup_terms t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(dedup_terms_from_folded(texts[i], &t), SQ_OK);
		assert_true(t.n > 0);
		assert_true(dedup_minhash_bands(&t, got));
		ref_bands(&t, want);
		assert_memory_equal(got, want, sizeof(got));
		dedup_terms_release(&t);
	}
}

/* ---- field comparisons --------------------------------------------------- */

static struct dedup_doc doc(const char *community, const char *grid, const char *address,
			    const char *category, const char *hash, const char *masked,
			    int64_t at)
{
	struct dedup_doc d;

	memset(&d, 0, sizeof(d));
	d.community = (char *)community;
	d.grid = (char *)grid;
	d.category = (char *)category;
	d.contact_hash = (char *)hash;
	d.contact_masked = (char *)masked;
	d.received_at = at;
	if (address) {
		assert_int_equal(norm_address_key(address, &d.addr_key), SQ_OK);
		assert_int_equal(norm_road_key(address, &d.road_key), SQ_OK);
	}
	return d;
}

static void doc_done(struct dedup_doc *d)
{
	free(d->addr_key);
	free(d->road_key);
}

/* The level field `field` got, or -1 when it was left out. */
static int level_of(const struct dedup_comparison *c, size_t n, const char *field)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(dedup_level_field(c[i].level), field))
			return (int)c[i].level;
	return -1;
}

static int compare_field(const struct dedup_doc *a, const struct dedup_doc *b, double cosine,
			 const struct sq_taxonomy *tax, const char *field)
{
	struct dedup_comparison c[DEDUP_F_COUNT];
	double score, sum = 0;
	size_t n, i;

	n = dedup_compare(a, b, cosine, weights, tax, c, &score);
	assert_true(n <= DEDUP_F_COUNT);
	for (i = 0; i < n; i++) {
		assert_true(c[i].weight == weights[c[i].level]);
		sum += c[i].weight;
	}
	assert_true(fabs(sum - score) < 1e-9);
	return level_of(c, n, field);
}

static void test_text_levels(void **state)
{
	static const struct { double cosine; int level; } cases[] = {
		{ 0.90, DEDUP_L_TEXT_VERY_HIGH }, { 0.50, DEDUP_L_TEXT_VERY_HIGH },
		{ 0.35, DEDUP_L_TEXT_HIGH }, { 0.20, DEDUP_L_TEXT_MEDIUM },
		{ 0.10, DEDUP_L_TEXT_LOW }, { 0.02, DEDUP_L_TEXT_NONE }, { 0.0, DEDUP_L_TEXT_NONE },
		{ -1.0, -1 },   /* an empty text: no comparison */
	};
	struct dedup_doc a = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(compare_field(&a, &a, cases[i].cosine, NULL, "text"), cases[i].level);
}

/* A doc with place fields; the address through norm, as linking derives it. */
static struct dedup_doc place(const char *community, const char *grid, const char *address,
			      const char *landmarks, const char *buildings)
{
	struct dedup_doc d = doc(community, grid, address, NULL, NULL, NULL, 0);

	d.landmarks = (char *)landmarks;
	d.buildings = (char *)buildings;
	return d;
}

static void test_place_levels(void **state)
{
	static const struct {
		const char *ca, *ga, *aa, *la, *ba;   /* community, grid, address, landmarks, buildings */
		const char *cb, *gb, *ab, *lb, *bb;
		int level;
	} cases[] = {
		/* conflicts first: one clear difference outweighs agreement */
		{ "恩宁路社区", NULL, "恩宁路88号", "恩宁雅居", "10",
		  "恩宁路社区", NULL, "恩宁路88号", "恩宁雅居", "4", DEDUP_L_PLACE_OTHER_BUILDING },
		{ NULL, NULL, "恩宁路88号", NULL, NULL,
		  NULL, NULL, "恩宁路90号", NULL, NULL, DEDUP_L_PLACE_OTHER_NUMBER },
		{ NULL, NULL, "逢源路22号", NULL, NULL,
		  NULL, NULL, "逢源路二十九号", NULL, NULL, DEDUP_L_PLACE_OTHER_NUMBER },
		{ "恩宁路社区", NULL, "恩宁路88号", NULL, NULL,
		  "多宝路社区", NULL, "恩宁路88号", NULL, NULL, DEDUP_L_PLACE_OTHER_COMMUNITY },
		/* agreement, finest first; numerals, 號, prefixes folded */
		{ NULL, NULL, "恩宁路88号", NULL, "7 8",
		  NULL, NULL, "恩宁路八十八號", NULL, "8", DEDUP_L_PLACE_SAME_BUILDING },
		{ NULL, NULL, NULL, "龙津公寓", "12",
		  NULL, NULL, NULL, "龙津公寓", "12", DEDUP_L_PLACE_SAME_BUILDING },
		{ NULL, NULL, "广州市荔湾区恩宁路八十八号", NULL, NULL,
		  NULL, NULL, "恩宁路88號旁边", NULL, NULL, DEDUP_L_PLACE_SAME_SPOT },
		{ NULL, NULL, "恩宁路８８号", NULL, NULL,
		  NULL, NULL, "恩宁路八八号", NULL, NULL, DEDUP_L_PLACE_SAME_SPOT },
		/* a road found in running text with words in front of it */
		{ NULL, NULL, "晚上上九路73号", NULL, NULL,
		  NULL, NULL, "上九路73号", NULL, NULL, DEDUP_L_PLACE_SAME_SPOT },
		{ NULL, NULL, NULL, "宝源花园 金鼎公司", NULL,
		  NULL, NULL, NULL, "金鼎公司", NULL, DEDUP_L_PLACE_SAME_SPOT },
		{ NULL, NULL, "上九路", "上九公寓", NULL,
		  NULL, NULL, "上九路", "上九花园", NULL, DEDUP_L_PLACE_OTHER_LANDMARK },
		{ NULL, NULL, "恩宁路88号", NULL, NULL,
		  NULL, NULL, "恩宁路附近", NULL, NULL, DEDUP_L_PLACE_NEAR },
		{ "恩宁路社区", "440103009002012", NULL, NULL, NULL,
		  "恩宁路社区", "440103009002012", NULL, NULL, NULL, DEDUP_L_PLACE_NEAR },
		{ NULL, NULL, "恩宁路88号", NULL, NULL,
		  NULL, NULL, "宝华路88号", NULL, NULL, DEDUP_L_PLACE_OTHER_ROAD },
		{ "恩宁路社区", "440103009002012", NULL, NULL, NULL,
		  "恩宁路社区", "440103009002013", NULL, NULL, NULL, DEDUP_L_PLACE_SAME_COMMUNITY },
		/* nothing comparable on one side: no comparison */
		{ "恩宁路社区", NULL, "恩宁路88号", NULL, NULL,
		  NULL, NULL, NULL, NULL, NULL, -1 },
		{ NULL, NULL, "小区门口", NULL, NULL,
		  NULL, NULL, "恩宁路88号", NULL, NULL, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dedup_doc a = place(cases[i].ca, cases[i].ga, cases[i].aa, cases[i].la, cases[i].ba);
		struct dedup_doc b = place(cases[i].cb, cases[i].gb, cases[i].ab, cases[i].lb, cases[i].bb);
		int got = compare_field(&a, &b, -1, NULL, "place");

		if (got != cases[i].level)
			fail_msg("case %zu: level %d (%s), want %d", i, got,
				 got >= 0 ? dedup_level_name(got) : "none", cases[i].level);
		assert_int_equal(compare_field(&b, &a, -1, NULL, "place"), got);   /* symmetric */
		doc_done(&a);
		doc_done(&b);
	}
}

static void test_distance_levels(void **state)
{
	/* metres north of a point, at about 111.2 km per degree of latitude */
	static const struct { double metres; int level; } cases[] = {
		{ 0, DEDUP_L_PLACE_SAME_SPOT }, { 40, DEDUP_L_PLACE_SAME_SPOT },
		{ 100, DEDUP_L_PLACE_NEAR }, { 400, -1 }, { 2000, DEDUP_L_PLACE_FAR },
	};
	struct dedup_doc a = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0), b = a;
	struct dedup_comparison c[DEDUP_F_COUNT];
	double score;
	size_t i, n;

	(void)state;
	a.has_pos = b.has_pos = 1;
	a.lat = 23.1260;
	a.lon = b.lon = 113.2470;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.lat = a.lat + cases[i].metres / 111195.0;
		assert_int_equal(compare_field(&a, &b, -1, NULL, "place"), cases[i].level);
	}
	/* the distance is the comparison's value */
	b.lat = a.lat + 100 / 111195.0;
	n = dedup_compare(&a, &b, -1, weights, NULL, c, &score);
	assert_int_equal(n, 1);
	assert_true(c[0].has_value && fabs(c[0].value - 100) < 1);
	b.has_pos = 0;
	assert_int_equal(compare_field(&a, &b, -1, NULL, "place"), -1);
}

static void test_category_levels(void **state)
{
	static const char yaml[] =
		"categories:\n"
		"  noise: 噪声扰民\n"
		"  construction: 施工管理\n"
		"  water_power_gas: 水电气\n"
		"related:\n"
		"  - [noise, construction]\n"
		"feeds: {}\n";
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };
	struct dedup_doc noise = doc(NULL, NULL, NULL, "noise", NULL, NULL, 0);
	struct dedup_doc construction = doc(NULL, NULL, NULL, "construction", NULL, NULL, 0);
	struct dedup_doc water = doc(NULL, NULL, NULL, "water_power_gas", NULL, NULL, 0);
	struct dedup_doc odd = doc(NULL, NULL, NULL, "undeclared", NULL, NULL, 0);
	struct dedup_doc none = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0);

	(void)state;
	if (taxonomy_load_buffer("test", yaml, sizeof(yaml) - 1, &tax, &err))
		fail_msg("taxonomy: %s", err.msg);
	assert_int_equal(compare_field(&noise, &noise, -1, tax, "category"), DEDUP_L_CATEGORY_SAME);
	assert_int_equal(compare_field(&noise, &construction, -1, tax, "category"),
			 DEDUP_L_CATEGORY_COMPATIBLE);
	assert_int_equal(compare_field(&noise, &water, -1, tax, "category"), DEDUP_L_CATEGORY_OTHER);
	assert_int_equal(compare_field(&noise, &odd, -1, tax, "category"), -1);
	assert_int_equal(compare_field(&noise, &none, -1, tax, "category"), -1);
	/* Within one feed the raw labels are finer than the category. */
	noise.source_type = construction.source_type = water.source_type = "hotline12345";
	noise.category_raw = "环境保护>噪声污染";
	construction.category_raw = "环境保护>噪声污染>建筑施工噪声";
	water.category_raw = "城乡建设>供水>停水";
	/* a parent label against its child agrees only broadly: the text
	 * decides whether it is one problem */
	assert_int_equal(compare_field(&noise, &construction, -1, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD);
	assert_int_equal(compare_field(&noise, &construction, 0.05, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD_OTHER_TEXT);
	assert_int_equal(compare_field(&noise, &construction, 0.2, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD);
	construction.category_raw = "环境保护>噪声污染>建筑施工噪声";
	assert_int_equal(compare_field(&construction, &construction, 0.05, tax, "category"),
			 DEDUP_L_CATEGORY_SAME_LABEL);
	construction.category_raw = "环境保护>噪声污染其他";
	assert_int_equal(compare_field(&noise, &construction, -1, tax, "category"),
			 DEDUP_L_CATEGORY_OTHER_LABEL);
	odd.source_type = "hotline12345";
	odd.category = NULL;
	odd.category_raw = "城乡建设>供水>停水>二次供水";
	assert_int_equal(compare_field(&water, &odd, 0.3, tax, "category"), DEDUP_L_CATEGORY_BROAD);
	odd.category_raw = "城乡建设>供水>停水";
	assert_int_equal(compare_field(&water, &odd, 0.0, tax, "category"),
			 DEDUP_L_CATEGORY_SAME_LABEL);
	/* unrelated categories stay unrelated whatever the labels */
	assert_int_equal(compare_field(&noise, &water, -1, tax, "category"), DEDUP_L_CATEGORY_OTHER);
	/* across feeds only the common category compares */
	water.source_type = "deputy_liaison";
	water.category = "noise";
	assert_int_equal(compare_field(&noise, &water, -1, tax, "category"), DEDUP_L_CATEGORY_SAME);
	/* a one-level topic (the liaison station's 环境保护) is broad, in
	 * the same category and in a related one */
	water.category_raw = "环境保护";
	assert_int_equal(compare_field(&noise, &water, 0.02, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD_OTHER_TEXT);
	assert_int_equal(compare_field(&noise, &water, 0.12, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD);
	water.category = "construction";
	assert_int_equal(compare_field(&noise, &water, 0.02, tax, "category"),
			 DEDUP_L_CATEGORY_BROAD_OTHER_TEXT);
	water.category = "water_power_gas";
	assert_int_equal(compare_field(&noise, &water, 0.5, tax, "category"),
			 DEDUP_L_CATEGORY_OTHER);
	noise.source_type = construction.source_type = water.source_type = odd.source_type = NULL;
	noise.category_raw = construction.category_raw = water.category_raw = odd.category_raw = NULL;
	construction.category = "construction";
	/* Without a taxonomy only equal keys are compatible. */

	assert_int_equal(compare_field(&noise, &construction, -1, NULL, "category"),
			 DEDUP_L_CATEGORY_OTHER);
	taxonomy_free(tax);
}

static void test_problem_levels(void **state)
{
	static const char yaml[] =
		"categories:\n"
		"  property: 物业管理\n"
		"problems:\n"
		"  lift: [电梯]\n"
		"  water_tank: [水箱]\n"
		"  guard: [保安]\n"
		"  stalls: [大排档]\n"
		"  music: [唱歌]\n"
		"related_problems:\n"
		"  - [stalls, music]\n";
	static const struct {
		const char *a, *b;   /* folded texts */
		int level;
	} cases[] = {
		{ "电梯坏了", "电梯又坏了", DEDUP_L_PROBLEM_SAME },
		{ "电梯坏了保安不管", "保安态度差", DEDUP_L_PROBLEM_SAME },
		/* the lead's case: one estate, one category, another problem */
		{ "保安态度差", "电梯坏了", DEDUP_L_PROBLEM_OTHER },
		{ "电梯坏了", "水箱脏保安不管", DEDUP_L_PROBLEM_OTHER },
		{ "楼下大排档", "有人唱歌", DEDUP_L_PROBLEM_RELATED },
		/* a text that names nothing leaves the field out */
		{ "楼下很吵", "电梯坏了", -1 },
		{ "电梯坏了", "楼下很吵", -1 },
		{ "楼下很吵", "很吵", -1 },
		{ NULL, "电梯坏了", -1 },
	};
	struct sq_taxonomy *tax = NULL;
	struct sq_error err = { 0 };
	struct dedup_doc a = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0);
	struct dedup_doc b = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0);
	size_t i;

	(void)state;
	if (taxonomy_load_buffer("test", yaml, sizeof(yaml) - 1, &tax, &err))
		fail_msg("taxonomy: %s", err.msg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(taxonomy_problem_set(tax, cases[i].a, &a.problems), SQ_OK);
		assert_int_equal(taxonomy_problem_set(tax, cases[i].b, &b.problems), SQ_OK);
		if (compare_field(&a, &b, -1, tax, "problem") != cases[i].level ||
		    compare_field(&b, &a, -1, tax, "problem") != cases[i].level)
			fail_msg("case %zu: %s ~ %s", i, cases[i].a ? cases[i].a : "(null)", cases[i].b);
	}
	/* without a taxonomy nothing is known about problems */
	assert_int_equal(taxonomy_problem_set(tax, "电梯坏了", &a.problems), SQ_OK);
	b.problems = a.problems;
	assert_int_equal(compare_field(&a, &b, -1, NULL, "problem"), -1);
	taxonomy_free(tax);
}

static void test_contact_levels(void **state)
{
	struct dedup_doc full = doc(NULL, NULL, NULL, NULL, "aa11", "138****5678", 0);
	struct dedup_doc same = doc(NULL, NULL, NULL, NULL, "aa11", "138****5678", 0);
	struct dedup_doc other = doc(NULL, NULL, NULL, NULL, "bb22", "138****5678", 0);
	struct dedup_doc masked = doc(NULL, NULL, NULL, NULL, NULL, "138****5678", 0);
	struct dedup_doc masked_other = doc(NULL, NULL, NULL, NULL, NULL, "139****0000", 0);
	struct dedup_doc none = doc(NULL, NULL, NULL, NULL, NULL, NULL, 0);

	(void)state;
	assert_int_equal(compare_field(&full, &same, -1, NULL, "contact"), DEDUP_L_CONTACT_SAME);
	/* Two full numbers that differ, even with the same masked form. */
	assert_int_equal(compare_field(&full, &other, -1, NULL, "contact"), DEDUP_L_CONTACT_OTHER);
	assert_int_equal(compare_field(&full, &masked, -1, NULL, "contact"),
			 DEDUP_L_CONTACT_SAME_MASKED);
	assert_int_equal(compare_field(&masked, &masked_other, -1, NULL, "contact"),
			 DEDUP_L_CONTACT_OTHER);
	assert_int_equal(compare_field(&full, &none, -1, NULL, "contact"), -1);
}

static void test_time_levels(void **state)
{
	static const struct { int64_t gap; int level; } cases[] = {
		{ 0, DEDUP_L_TIME_HOUR }, { 3600, DEDUP_L_TIME_HOUR }, { 3601, DEDUP_L_TIME_DAY },
		{ -86400, DEDUP_L_TIME_DAY }, { 2 * 86400, DEDUP_L_TIME_3DAYS },
		{ 4 * 86400, DEDUP_L_TIME_5DAYS }, { 6 * 86400, DEDUP_L_TIME_WEEK },
		{ 30 * 86400, DEDUP_L_TIME_BEYOND },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dedup_doc a = doc(NULL, NULL, NULL, NULL, NULL, NULL, 1714500000);
		struct dedup_doc b = doc(NULL, NULL, NULL, NULL, NULL, NULL, 1714500000 + cases[i].gap);

		assert_int_equal(compare_field(&a, &b, -1, NULL, "time"), cases[i].level);
	}
}

static void test_level_names_unique(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < DEDUP_LEVEL_COUNT; i++)
		for (j = i + 1; j < DEDUP_LEVEL_COUNT; j++)
			assert_false(!strcmp(dedup_level_field(i), dedup_level_field(j)) &&
				     !strcmp(dedup_level_name(i), dedup_level_name(j)));
	assert_string_equal(dedup_level_field(DEDUP_LEVEL_COUNT), "?");
}

static void test_json(void **state)
{
	struct dedup_doc a = doc("恩宁路社区", NULL, "恩宁路88号", "noise", "aa", NULL, 1714500000);
	struct dedup_doc b = doc("恩宁路社区", NULL, "恩宁路88号", "noise", "aa", NULL, 1714503000);
	struct dedup_comparison c[DEDUP_F_COUNT];
	struct sq_buf json = SQ_BUF_INIT;
	cJSON *arr, *first;
	double score;
	size_t n;

	(void)state;
	n = dedup_compare(&a, &b, 0.42, weights, NULL, c, &score);
	assert_int_equal(dedup_comparisons_json(c, n, &json), SQ_OK);
	arr = cJSON_Parse(json.data);
	assert_non_null(arr);
	assert_true(cJSON_IsArray(arr));
	assert_int_equal(cJSON_GetArraySize(arr), (int)n);
	first = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(first, "field")->valuestring, "text");
	assert_string_equal(cJSON_GetObjectItem(first, "level")->valuestring, "high");
	assert_true(fabs(cJSON_GetObjectItem(first, "value")->valuedouble - 0.42) < 1e-9);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(first, "weight")));
	/* the place comparison carries no value without positions */
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "value"));
	cJSON_Delete(arr);
	sq_buf_release(&json);
	json.len = 0;
	assert_int_equal(dedup_comparisons_json(c, 0, &json), SQ_OK);
	assert_string_equal(json.data, "[]");
	sq_buf_release(&json);
	doc_done(&a);
	doc_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_fold_without_boilerplate),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_extract_places),
		cmocka_unit_test(test_problem_text),
		cmocka_unit_test(test_roads),
		cmocka_unit_test(test_cosine),
		cmocka_unit_test(test_minhash),
		cmocka_unit_test(test_minhash_reference),
		cmocka_unit_test(test_text_levels),
		cmocka_unit_test(test_place_levels),
		cmocka_unit_test(test_distance_levels),
		cmocka_unit_test(test_category_levels),
		cmocka_unit_test(test_problem_levels),
		cmocka_unit_test(test_contact_levels),
		cmocka_unit_test(test_time_levels),
		cmocka_unit_test(test_level_names_unique),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup_weights, NULL);
}
