#!/usr/bin/env bash
# Installs the system packages salesops needs when they are missing: Pango for WeasyPrint's
# PDFs, PostgreSQL's server binaries for the source tests, and Chromium for the dashboard's
# browser test (driven by Playwright; nothing downloads a browser at run time). Needs root for apt-get;
# without it, it says what to install and carries on (the PostgreSQL tests then skip outside
# CI, and fail in CI).
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || missing+=(postgresql)
compgen -G "/usr/lib/*/libpangoft2-1.0.so.0" > /dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
command -v chromium > /dev/null || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get > /dev/null; then
  echo "note: missing system packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
