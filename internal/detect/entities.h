/*
 * detect/entities.h — names of employers, estates and sites in complaint
 * text, for the common-cause detector.
 *
 * Chinese has no spaces, so a name is found from its end: a suffix
 * (有限公司, 公司, 集团, 厂, 店, 酒楼 — employers; 小区, 花园, 苑, 大厦,
 * 广场 — estates and buildings; 工地, 项目 — sites), preceded by a run of
 * name characters, cut after the last boundary word before it (的, 在,
 * 投诉, 拖欠, 楼下, ...) as long as two characters remain.  The key that
 * groups mentions drops what varies between residents' wording: a leading
 * city or district (广州市荔湾区), a trailing trade (建筑工程, 物业管理,
 * 便利, 烧烤) and the legal form, so 宏达建筑工程有限公司, 宏达公司 and
 * 宏达建筑公司 are one employer.  Generic words (这个小区, 施工工地,
 * 烧烤店) are not names.
 */
#ifndef SUQIU_DETECT_ENTITIES_H
#define SUQIU_DETECT_ENTITIES_H

#include <stddef.h>

enum entity_type { ENTITY_EMPLOYER = 0, ENTITY_ESTATE, ENTITY_SITE };

#define ENTITY_TEXT_MAX 128

/*
 * The extraction's version: common_cause keeps the names found in each
 * complaint between runs under it (detect_each_memo), and finds them again
 * when it differs.  Bump it with any change that finds other names (or
 * keys) in some text; test_entity_names pins the present one.
 */
#define DETECT_ENTITIES_VERSION 1

struct detect_entity {
	enum entity_type type;
	char key[ENTITY_TEXT_MAX];    /* "employer:宏达" */
	char name[ENTITY_TEXT_MAX];   /* as written, with its suffix: "宏达建筑工程有限公司" */
};

/*
 * Find the names in text (UTF-8); fill out[0..max) with distinct keys in
 * order of appearance and return how many were found (never more than max).
 */
size_t detect_extract_entities(const char *text, struct detect_entity *out, size_t max);

/* "单位", "小区/楼宇", "工地/项目". */
const char *detect_entity_type_label(enum entity_type t);

#endif
