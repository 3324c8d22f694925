#!/usr/bin/env bash
# Every Debian package that building, testing and demonstrating suqiu needs.
# As root: installs the missing ones with apt-get.  Otherwise: prints the
# exact command to run and exits 2.  Quiet when nothing is missing.
set -euo pipefail

packages=(
  gcc make pkg-config                      # build
  libcurl4-openssl-dev libcjson-dev libsqlite3-dev libyaml-dev libssl-dev
  libunistring-dev                         # Unicode NFC (normalize)
  libcmocka-dev                            # unit tests
  sqlite3                                  # integrity checks in tests
  python3 python3-aiosmtpd                 # feed simulator, SMTP test server
  clang libclang-rt-14-dev                 # fuzz targets (libFuzzer), sanitizers
  systemd man-db groff-base                # unit and man page checks
  chromium fonts-wqy-zenhei                # renders the HTML digest in tests (CJK glyphs)
  ${SUQIU_EXTRA_PACKAGES:-}
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "suqiu: missing Debian packages: ${missing[*]}" >&2
  echo "run:   sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
echo "suqiu: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh them only if the install fails for that reason.
apt-get install -y -q "${missing[@]}" >&2 || { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; }
