/* fuzz_page_city_mgmt.c — libFuzzer target for the city_mgmt connector (see fuzz_page.h). */
#define FUZZ_TYPE "city_mgmt"
#include "fuzz_page.h"
#include "banned.h"
