#!/usr/bin/python3
"""Synthetic 12345-hotline feed pages for the benchmark.

    gen_pages.py N OUTDIR [--seed S] [--page-size 200] [--start 2024-01-01]
                 [--first-seq 1]

Writes OUTDIR/page-000001.json ... in the hotline12345 response format
(feeds/hotline12345.md), N work orders in all, plus OUTDIR/areas.yaml with
the communities used and OUTDIR/meta.json (counts; first and last accept
and update times, and last_start, the first report of the last incident:
China time) for the benchmark driver.  --start takes a date or
"YYYY-MM-DD HH:MM:SS"; --first-seq numbers the orders from there (the
order number is the acceptance date and the sequence number), so that
pages generated to follow others do not reuse their numbers.  Realistic:
operator summaries of 60-220 characters with boilerplate, 20 categories,
240 communities with grid-coded addresses, 15% of incidents reported
several times (paraphrased, other callers, some repeat callers), 10% of
orders appearing again later with a newer state.
Deterministic for a given seed.
"""
import argparse
import json
import os
import random
from datetime import datetime, timedelta

CATEGORIES = [
    ("环境保护>噪声污染>建筑施工噪声", "工地夜间施工噪音很大", "施工"),
    ("环境保护>噪声污染>社会生活噪声", "楼下商铺音响声音太大", "噪音"),
    ("城市管理>市容环卫>垃圾清运", "垃圾桶满了好几天没人清运", "垃圾"),
    ("城市管理>违法建设", "楼顶有人搭建违章建筑", "违建"),
    ("城市管理>占道经营", "路边摊贩占道经营影响通行", "摊贩"),
    ("劳动和社会保障>劳动报酬>拖欠工资", "公司拖欠工资三个月未发", "欠薪"),
    ("住房城乡建设>物业管理>物业服务", "物业不作为电梯坏了没人修", "物业"),
    ("城乡建设>供水>停水", "小区突然停水没有提前通知", "停水"),
    ("城乡建设>供电>停电", "整栋楼停电已经半天", "停电"),
    ("交通运输>道路交通>交通秩序", "路口经常有车辆乱停堵塞交通", "交通"),
    ("交通运输>停车管理", "小区门口乱停车堵住消防通道", "停车"),
    ("城市管理>市政设施>道路破损", "路面塌陷有个大坑很危险", "路面"),
    ("城市管理>园林绿化>树木修剪", "行道树枝太长挡住路灯", "树木"),
    ("应急管理>消防安全>消防通道堵塞", "楼道堆放杂物堵塞消防通道", "消防"),
    ("市场监管>食品安全", "餐馆卫生很差吃了拉肚子", "食品"),
    ("教育>学校管理", "学校门口接送秩序混乱", "学校"),
    ("卫生健康>医疗服务", "社区卫生站排队时间太长", "医疗"),
    ("住房城乡建设>房屋安全>危房", "老房子墙体开裂担心倒塌", "危房"),
    ("城乡建设>燃气>燃气泄漏", "楼道里闻到很大的煤气味", "燃气"),
    ("城市管理>市容环卫>污水外溢", "下水道堵塞污水外溢很臭", "污水"),
]
BOILERPLATE = ["市民来电反映:", "来电人反映,", "来电人称", "市民反映:", ""]
FILLER = [
    "希望相关部门尽快处理。", "已经持续一段时间了。", "多次反映没有解决。", "严重影响居民生活。",
    "请派人到现场查看。", "附近老人小孩很多。", "晚上十点以后仍然如此。", "要求给个说法。",
    "之前打过电话但没有回复。", "周边居民意见很大。", "请尽快安排人员核实。", "情况比较紧急。",
]
ROAD_SUFFIX = ["路", "街", "大道", "巷"]
ROAD_STEMS = "恩宁西华多宝宝华龙津华贵逢源昌华耀华蓬莱上九光复人民中山解放东风环市黄沙芳村花地东漖南岸".strip()
CHANNELS = ["电话"] * 6 + ["微信", "网站", "APP", "短信"]
STATUSES = ["待派单", "已派单", "办理中", "已办结", "已回访"]


def communities():
    out = []
    for i in range(240):
        street = 1 + i // 8
        comm = 1 + i % 8
        stem = ROAD_STEMS[(i * 2) % len(ROAD_STEMS)] + ROAD_STEMS[(i * 2 + 1) % len(ROAD_STEMS)]
        out.append({
            # The stem is the (i % 22)th of the 22 two-character stems, so
            # stem and i // 22 together are unique; stem + comm repeats
            # every 88 communities and the configuration refuses duplicates.
            "name": f"{stem}{1 + i // 22}社区",
            "street": f"第{street}街道",
            "grid_prefix": f"440103{street:03d}{comm:03d}",
            "road": stem + ROAD_SUFFIX[i % len(ROAD_SUFFIX)],
            "center": [113.20 + (i % 16) * 0.006, 23.10 + (i // 16) * 0.005],
        })
    return out


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def text_for(rng, cat, place, number):
    parts = [cat[1], rng.choice(FILLER), rng.choice(FILLER)]
    rng.shuffle(parts)
    where = f"{place['road']}{number}号" if rng.random() < 0.8 else f"{place['road']}附近"
    body = rng.choice(BOILERPLATE) + where + "," + ",".join(parts)
    while len(body) < rng.randint(60, 220):
        body += rng.choice(FILLER)
    return body


def phone(rng):
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def generate(n, seed, start, first_seq):
    rng = random.Random(seed)
    comms = communities()
    orders = []
    seq = first_seq - 1
    t = last_start = start
    while len(orders) < n:
        last_start = t
        cat = rng.choice(CATEGORIES)
        place = rng.choice(comms)
        number = rng.randint(1, 300)
        reports = 1 if rng.random() >= 0.15 else rng.randint(2, 5)
        first = None
        for k in range(reports):
            if len(orders) >= n:
                break
            seq += 1
            accept = t + timedelta(minutes=rng.randint(0, 3000) if k else 0)
            order_no = f"{accept:%Y%m%d}12345{seq:07d}"
            rec = {
                "orderNo": order_no,
                "acceptTime": fmt(accept),
                "updateTime": fmt(accept + timedelta(minutes=rng.randint(1, 90))),
                "channel": rng.choice(CHANNELS),
                "orderType": rng.choice(["投诉"] * 5 + ["求助", "咨询", "举报", "建议"]),
                "title": f"{place['road']}{cat[2]}问题",
                "content": text_for(rng, cat, place, number),
                "categoryPath": cat[0],
                "district": "荔湾区",
                "street": place["street"],
                "community": place["name"] if rng.random() < 0.85 else "",
                "address": f"广州市荔湾区{place['road']}{number}号",
                "caller": {"name": rng.choice("陈李张王黄刘") + rng.choice(["先生", "女士"]),
                           "phone": phone(rng), "anonymous": False},
                "status": rng.choice(STATUSES[:3]),
                "deadline": fmt(accept + timedelta(days=5)),
                "handleUnit": "街道办事处",
                "relatedOrderNo": first if (first and rng.random() < 0.2) else None,
                "satisfaction": None,
            }
            first = first or order_no
            orders.append(rec)
        t += timedelta(seconds=rng.randint(5, 120))
    updates = []
    for rec in rng.sample(orders, len(orders) // 10):
        newer = dict(rec)
        up = datetime.strptime(rec["updateTime"], "%Y-%m-%d %H:%M:%S") + timedelta(days=2)
        newer["updateTime"] = fmt(up)
        newer["status"] = "已办结"
        newer["satisfaction"] = rng.choice(["满意", "基本满意", "不满意"])
        updates.append(newer)
    allrecs = orders + updates
    allrecs.sort(key=lambda r: (r["updateTime"], r["orderNo"]))
    return comms, allrecs, last_start


def parse_start(s):
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise SystemExit(f"gen_pages.py: --start {s!r}: want YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--page-size", type=int, default=200)
    ap.add_argument("--start", default="2024-01-01")
    ap.add_argument("--first-seq", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    comms, recs, last_start = generate(a.n, a.seed, parse_start(a.start), a.first_seq)
    pages = [recs[i:i + a.page_size] for i in range(0, len(recs), a.page_size)]
    for i, page in enumerate(pages, 1):
        body = {"code": 0, "msg": "成功", "data": {"total": len(recs), "pageNo": i,
                                                  "pageSize": a.page_size, "list": page}}
        with open(os.path.join(a.outdir, f"page-{i:06d}.json"), "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(a.outdir, "areas.yaml"), "w", encoding="utf-8") as f:
        f.write("areas:\n  district: 荔湾区\n  street: 第1街道\n  communities:\n")
        for c in comms:
            f.write(f"    - name: {c['name']}\n      grid_prefix: \"{c['grid_prefix']}\"\n"
                    f"      center: [{c['center'][0]:.4f}, {c['center'][1]:.4f}]\n")
    meta = {"complaints": a.n, "records": len(recs), "pages": len(pages),
            "first_accept": min(r["acceptTime"] for r in recs),
            "last_accept": max(r["acceptTime"] for r in recs),
            "last_start": fmt(last_start),
            "last_update": recs[-1]["updateTime"] if recs else None}
    with open(os.path.join(a.outdir, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"{len(recs)} records ({a.n} complaints + {len(recs) - a.n} updates) in {len(pages)} pages")


if __name__ == "__main__":
    main()
