/* fuzz_page_open311.c — libFuzzer target for the open311 connector (see fuzz_page.h). */
#define FUZZ_TYPE "open311"
#include "fuzz_page.h"
#include "banned.h"
