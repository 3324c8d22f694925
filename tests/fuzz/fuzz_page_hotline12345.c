/* fuzz_page_hotline12345.c — libFuzzer target for the hotline12345 connector (see fuzz_page.h). */
#define FUZZ_TYPE "hotline12345"
#include "fuzz_page.h"
#include "banned.h"
