/* fuzz_page_deputy_liaison.c — libFuzzer target for the deputy_liaison connector (see fuzz_page.h). */
#define FUZZ_TYPE "deputy_liaison"
#include "fuzz_page.h"
#include "banned.h"
