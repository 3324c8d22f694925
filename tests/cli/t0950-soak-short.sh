#!/usr/bin/env bash
# The short soak (about a minute): polls against the simulator with faults,
# kills at random instants and at commit points, the SMTP server going down
# and up and the clock moving forward; after every step the store equals a
# clean run's, every alert mail arrives exactly once (in-doubt rows aside),
# the database is intact and memory stays flat.  `make soak` is the long run.
# SOAK_SEED=N replays a run.
set -euo pipefail
top=${SUQIU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
exec /usr/bin/python3 "$top/scripts/soak.py" --bin "${SUQIU_BIN:-$top/build/suqiu}" --short
