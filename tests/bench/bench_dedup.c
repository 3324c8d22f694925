/*
 * bench_dedup — how the cost of linking one complaint grows with the store.
 *
 *   build/bench/bench_dedup [TOTAL [PER_DAY [DB]]]     (make bench-dedup)
 *
 * Stores TOTAL synthetic complaints (default 200000) at PER_DAY a day
 * (default 200: a busy street office), one page of 100 per transaction,
 * each page linked by dedup_link_tx() in it as a poll would (the clock
 * moving with the arrivals, so the index horizon moves too), and prints the time per
 * complaint for slices of the growth: if linking scanned history, the time
 * per complaint would grow with the number already stored; with indexed
 * blocking it stays flat.  The arrival rate is held constant, so the
 * number of candidates per complaint (complaints in the time window) is
 * constant too; it is printed beside.  Times are CPU time of this process
 * (wall time, printed last, also counts other processes on the machine).  Synthetic records: eight
 * communities, two roads each, named complexes, building numbers, ten
 * problems, callers drawn from a pool, and about a third repeating a
 * recent incident.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dedup.h"
#include "record.h"
#include "store.h"
#include "banned.h"

#define PAGE 100
#define T0 1704038400   /* 2024-01-01 00:00 +08:00 */

static const char *const communities[8] = {
	"西华路社区", "恩宁路社区", "多宝路社区", "宝华路社区",
	"龙津西路社区", "华贵路社区", "逢源路社区", "昌华社区",
};
static const char *const roads[16] = {
	"西华路", "西华二巷", "恩宁路", "龙津中路", "多宝路", "宝源路", "宝华路", "十五甫正街",
	"龙津西路", "蓬莱路", "华贵路", "上九路", "逢源路", "逢源北街", "昌华大街", "耀华大街",
};
static const char *const complexes[10] = {
	"景苑", "花园", "雅居", "公寓", "大厦", "新村", "华庭", "小区", "雅轩", "名苑",
};
static const char *const names[12] = {
	"金", "华", "宝", "恩", "龙", "逢", "昌", "耀", "西", "宁", "源", "福",
};
static const struct { const char *category, *label, *text; } problems[10] = {
	{ "construction", "环境保护>噪声污染>建筑施工噪声", "附近工地夜间施工到凌晨，噪音很大，影响休息" },
	{ "noise", "环境保护>噪声污染>社会生活噪声", "每晚有人跳广场舞，音响开得很大，吵得睡不着" },
	{ "water_power_gas", "城乡建设>供水>停水", "从昨晚开始停水，没有任何通知，希望尽快恢复供水" },
	{ "water_power_gas", "城乡建设>燃气>燃气泄漏", "楼道有很浓的煤气味，怀疑燃气泄漏，邻居都不敢开火" },
	{ "property", "住房城乡建设>物业管理>物业服务", "电梯坏了好几天，物业一直不修，老人上下楼很困难" },
	{ "sanitation", "城市管理>市容环卫>垃圾清运", "门口垃圾堆了好几天没人清运，气味很大" },
	{ "municipal_facilities", "城市管理>市政设施>道路破损", "路面出现一个大坑，下雨积水，电动车容易摔倒" },
	{ "parking", "交通运输>停车管理", "人行道上停满了车，行人只能走机动车道" },
	{ "street_vending", "城市管理>占道经营", "每天早上有流动摊贩占道经营，路都走不过去" },
	{ "housing_safety", "住房城乡建设>房屋安全>危房", "墙上出现几道很长的裂缝，担心是危房" },
};

/* xorshift64: deterministic, so every run stores the same complaints */
static uint64_t rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static unsigned pick(uint64_t *rng, unsigned n)
{
	return (unsigned)(rnd(rng) % n);
}

/* The incident a synthetic complaint is about. */
struct scene {
	unsigned road, number, complex, name, building, problem;
};

static void new_scene(struct scene *s, uint64_t *rng)
{
	s->road = pick(rng, 16);
	s->number = 1 + pick(rng, 150);
	s->complex = pick(rng, 10);
	s->name = pick(rng, 12);
	s->building = 1 + pick(rng, 20);
	s->problem = pick(rng, 10);
}

static char *dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fputs("bench_dedup: out of memory\n", stderr);
		exit(1);
	}
	return d;
}

static void make_record(struct sq_record *r, int64_t i, const struct scene *s, int64_t at,
			uint64_t *rng)
{
	char buf[512];

	memset(r, 0, sizeof(*r));
	r->source = dup_or_die("hotline");
	r->source_type = dup_or_die("hotline12345");
	snprintf(buf, sizeof(buf), "B%09" PRId64, i);
	r->source_id = dup_or_die(buf);
	r->received_at = at;
	r->updated_at = at + 600;
	r->kind = SQ_KIND_COMPLAINT;
	snprintf(buf, sizeof(buf), "%s%u号%s%s%u栋%s", roads[s->road], s->number,
		 names[s->name], complexes[s->complex], s->building, problems[s->problem].text);
	r->text = dup_or_die(buf);
	r->category = dup_or_die(problems[s->problem].category);
	r->category_raw = dup_or_die(problems[s->problem].label);
	r->community = dup_or_die(communities[s->road / 2]);
	snprintf(buf, sizeof(buf), "%s%u号", roads[s->road], s->number);
	r->address = dup_or_die(buf);
	snprintf(buf, sizeof(buf), "%016" PRIx64 "%016" PRIx64, rnd(rng) % 50000, (uint64_t)0);
	r->contact_hash = dup_or_die(buf);
	snprintf(buf, sizeof(buf), "138****%04u", (unsigned)(rnd(rng) % 10000));
	r->contact_masked = dup_or_die(buf);
	r->status = SQ_STATUS_OPEN;
}

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this process: the machine may be shared, wall time is noisy. */
static double now_ms(void)
{
	return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

int main(int argc, char **argv)
{
	int64_t total = argc > 1 ? strtoll(argv[1], NULL, 10) : 200000;
	int64_t per_day = argc > 2 ? strtoll(argv[2], NULL, 10) : 200;
	char path[256];
	struct sq_store *st = NULL;
	struct sq_config cfg;
	struct sq_dedup *dd = NULL;
	struct sq_error err = { 0 };
	struct scene recent[64];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	int64_t ids[PAGE], i, slice = total >= 100000 ? 10000 : 1000, last_cands = 0;
	double slice_start, wall_start, link_ms = 0;
	int k;

	if (total < PAGE || per_day < 1) {
		fputs("usage: bench_dedup [TOTAL >= 100 [PER_DAY [DB]]]\n", stderr);
		return 2;
	}
	if (argc > 3)
		snprintf(path, sizeof(path), "%s", argv[3]);
	else
		snprintf(path, sizeof(path), "/tmp/suqiu-bench-%ld.db", (long)getpid());
	unlink(path);
	if (store_open(path, &st, &err) || config_defaults(&cfg, &err) ||
	    dedup_new(st, &cfg.dedup, NULL, &dd, &err)) {
		fprintf(stderr, "bench_dedup: %s\n", err.msg);
		return 1;
	}
	for (k = 0; k < 64; k++)
		new_scene(&recent[k], &rng);
	printf("# %" PRId64 " complaints at %" PRId64 " a day, pages of %d, database %s\n",
	       total, per_day, PAGE, path);
	printf("# %12s %14s %14s %14s %12s\n", "stored", "linking us/c", "storing us/c",
	       "candidates/c", "wall us/c");
	slice_start = now_ms();
	wall_start = clock_ms(CLOCK_MONOTONIC);
	for (i = 0; i < total; i += PAGE) {
		double t0, t1;
		int n;

		t0 = now_ms();
		if (store_begin(st, &err))
			break;
		for (n = 0; n < PAGE && i + n < total; n++) {
			struct sq_record r;
			enum store_change change;
			struct scene *s = &recent[pick(&rng, 64)];
			int64_t at = T0 + (i + n) * 86400 / per_day;

			/* a third repeat a recent incident; the rest are new */
			if (pick(&rng, 3))
				new_scene(s, &rng);
			make_record(&r, i + n, s, at, &rng);
			if (store_put_complaint(st, &r, at, &change, &ids[n], &err)) {
				record_release(&r);
				goto fail;
			}
			record_release(&r);
		}
		t1 = now_ms();
		if (dedup_link_tx(dd, ids, (size_t)n, T0 + (i + n) * 86400 / per_day, &err))
			goto fail;
		link_ms += now_ms() - t1;
		if (store_commit(st, &err))
			goto fail;
		(void)t0;
		if ((i + n) % slice == 0) {
			double all = now_ms() - slice_start;
			int64_t cands = dedup_get_stats(dd)->candidates;

			printf("  %12" PRId64 " %14.1f %14.1f %14.1f %12.1f\n", i + n,
			       link_ms * 1000 / slice, (all - link_ms) * 1000 / slice,
			       (double)(cands - last_cands) / slice,
			       (clock_ms(CLOCK_MONOTONIC) - wall_start) * 1000 / slice);
			fflush(stdout);
			last_cands = cands;
			link_ms = 0;
			slice_start = now_ms();
			wall_start = clock_ms(CLOCK_MONOTONIC);
		}
	}
	dedup_free(dd);
	store_close(st);
	config_release(&cfg);
	if (argc <= 3)
		unlink(path);
	return 0;
fail:
	store_rollback(st);
	fprintf(stderr, "bench_dedup: %s\n", err.msg);
	return 1;
}
