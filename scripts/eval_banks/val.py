# The VAL bank: dev's scenarios and sentence templates with other place
# vocabulary, house numbers and operator phrases.  It exists to check, while
# developing on dev, that the matcher does not lean on dev's names: estates,
# shops, schools, clinics, sites, landmarks and contractors here use other
# words and mostly other kinds of name endings (阁, 里, 邨, 台, 烤鱼, 串串,
# 学堂, 医务室, …), the house numbers another range, and the operators other
# openers and closings.  The holdout stays the only set built from other
# templates; it is never read to write this file.  scripts/gen_eval.py checks
# that no name here occurs in the holdout bank.
import copy
import importlib.util
import os

_spec = importlib.util.spec_from_file_location(
    "evalbank_dev_for_val", os.path.join(os.path.dirname(os.path.abspath(__file__)), "dev.py"))
_dev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dev)

NUMBERS = (261, 389)

ESTATES = ["金穗里", "福安阁", "宝盛庭", "龙珠台", "瑞华坊", "恒丰邨", "锦绣居", "和平里",
           "昌盛阁", "怡景台", "逢源东邨", "西华北里", "宏发楼", "安居东苑", "丰乐围", "翠竹轩"]
SITES = ["荔湾汇商业体项目", "西关里改造工程", "金沙变电站扩容工程", "宝盛大厦项目",
         "地铁上盖物业项目", "华林新街整治工程", "恩宁里活化项目", "耀华片区微改造"]
EATERIES = ["阿明烤鱼", "辉哥串串", "老街啤酒屋", "好运夜市档", "德叔烧鹅", "兰姐粉面",
            "荔香甜品", "强记云吞", "湘味小馆", "川香麻辣烫", "潮汕粥铺", "发记烤鱼",
            "阿伦串串", "鸿运啤酒屋", "新记烧鹅", "老广夜市档"]
SHOPS = []
SCHOOLS = ["荔湾培英学堂", "西关启智学堂", "昌华育才书院", "龙津双语学校", "华贵英才小学",
           "逢源实验小学", "恩宁外语学校", "宝华启明学堂", "金花育英中学", "蓬莱书院"]
CLINICS = ["金花康宁诊所", "宝华仁爱医务室", "西关中医馆", "逢源健民医务室", "龙津牙科",
           "恩宁康复理疗部"]
COMPANIES = (["瑞丰", "昊天", "华晟", "和信", "裕隆", "铭达", "顺昌", "宏图", "恒信", "新粤",
              "金辉", "泰和", "百盛", "信达", "锦程", "隆兴", "佳业", "东盛", "合众", "中鸿",
              "天誉", "利通", "华业", "聚源"],
             ["建筑有限公司", "劳务派遣公司", "工程有限责任公司", "装修工程队"])
STREET_LANDMARKS = ["报刊亭旁", "彩票店门口", "消防栓旁", "十字路口", "老榕树下",
                    "停车场出口", "公厕旁边", "服务站门口"]

SURNAMES = ["王", "杨", "赵", "周", "徐", "孙", "马", "朱", "胡", "郑", "冯", "邓"]
NICK_A = ["荔湾", "老街", "西城", "花城", "羊城", "老广"]
NICK_B = ["阿明", "大叔", "小王", "住户", "阿婆", "爸爸", "街坊", "上班族"]
DEPUTIES = [("D031", "王代表"), ("D042", "赵代表"), ("D055", "冯代表")]

H_OPEN_PHONE = ["群众来电讲：", "热线来电，市民讲"]
H_OPEN_NET = ["市民网上投诉：", "微信留言称，"]
H_CALLER = ["来电人为该处业主，", "来电人家就在旁边，", "来电人是附近上班的，"]
H_REPEAT = ["来电人说已经打过电话，一直没人来。", "系重复来电，问题仍未解决。"]
H_CROSS = ["来电人称已向人大代表反映过。", "市民称已找过物业和居委。"]
H_CLOSE = ["请予以处理。", "盼早日解决。", "请派人到现场查看。", "请处理后回电。"]
H_RECUR = ["来电人称这个问题以前解决过，最近又这样了。"]
L_GREET = ["{deputy}你好：", "各位代表好，"]
L_INTRO = ["本人是{community}的业主，", "我在这边住了十几年，", "我是这附近的老住户，"]
L_HISTORY = ["之前也打过市长热线，没有结果。", "找过社区好几次，一直推来推去。"]
L_PLEA = ["拜托代表帮帮忙。", "希望能引起重视，谢谢。", "请代表替我们说句话。"]
L_FILLER = ["这种事情本来不想写信的，实在是忍不下去了。",
            "大家都是邻居，也不想闹僵，只能请政府出面。",
            "身边的人都觉得这样下去不是办法。",
            "我查过相关条例，这种做法是违规的。"]
L_LONG = ["我家里有九十岁的老母亲，身体一直不好，经不起这样折腾。",
          "这封信是我女儿帮我打字发出来的，有写得不对的地方请见谅。",
          "这个情况我观察了很久，确实不是偶尔一次两次。",
          "知道你们工作忙，但老百姓的小事也是大事。",
          "需要的话我可以带工作人员去现场看。",
          "希望代表能抽时间了解一下，给我们一个答复。"]
L_RECAP = ["简单来说，", "一句话，"]
L_RECUR = ["以前处理过一阵子，现在又回到老样子。"]
L_REPLY = ["您的留言已转{unit}办理，办理结果将另行答复。",
           "相关部门已到现场核查处理，谢谢您的反映。"]
C_SUFFIX = ["已通知责任单位。", "已拍照取证。"]
C_FORWARD = ["12345派单：", "热线转来，"]
C_VIDEO = ["视频巡查发现："]

_LANDMARKS = {
    "square_dance": ["儿童游乐场", "街头绿地", "健身路径", "小广场"],
    "garbage_overflow": ["垃圾中转站", "回收点", "垃圾屋"],
    "breakfast_stalls": ["地铁口", "学校后门", "理发店门口", "公交总站"],
}
_NAMES_OK = {
    "bar_noise": ["烤鱼", "串串", "啤酒屋", "夜市档", "烧鹅"],
}

SCENARIOS = copy.deepcopy(_dev.SCENARIOS)
for _sc in SCENARIOS:
    if _sc["key"] in _LANDMARKS:
        _sc["landmarks"] = _LANDMARKS[_sc["key"]]
    if _sc["key"] in _NAMES_OK:
        _sc["names_ok"] = _NAMES_OK[_sc["key"]]
