#!/usr/bin/python3
"""Print the dedup weight rows of internal/dedup_levels.h as YAML lines for
config/suqiu.example.yaml (commented out: they show the defaults).

    scripts/dedup_weights_yaml.py [--uncommented]
"""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
text = open(os.path.join(top, "internal", "dedup_levels.h"), encoding="utf-8").read()
rows = re.findall(r'X\(\w+,\s*"(\w+)",\s*"(\w+)",\s*"(-?[0-9.]+)",\s*"([^"]*)"\)', text)
prefix = "  " if "--uncommented" in sys.argv else "  # "
for field, level, default, help_ in rows:
    key = "weight_%s_%s: %s" % (field, level, default)
    print("%s%-36s # %s" % (prefix, key, help_))
