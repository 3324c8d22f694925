#!/usr/bin/env bash
# The feed simulator answers per the three contracts (its own self-test).
set -euo pipefail
top=${SUQIU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
/usr/bin/python3 "$top/scripts/test_feedsim.py"
