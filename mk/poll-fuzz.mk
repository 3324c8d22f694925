# mk/poll-fuzz.mk — seeds of the connectors' fuzz targets: the recorded
# pages of the data-driven unit tests (tests/data/pages/<type>/).
FUZZ_SEEDS_fuzz_page_hotline12345 := tests/data/pages/hotline12345
FUZZ_SEEDS_fuzz_page_deputy_liaison := tests/data/pages/deputy_liaison
FUZZ_SEEDS_fuzz_page_city_mgmt := tests/data/pages/city_mgmt
FUZZ_SEEDS_fuzz_page_open311 := tests/data/pages/open311
# conn_split_pages (suqiu import): the same pages, whole dumps of one page.
FUZZ_SEEDS_fuzz_split_pages := tests/data/pages/hotline12345 tests/data/pages/open311
