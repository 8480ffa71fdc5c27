#!/usr/bin/env bash
# Installs the system packages the test suite needs (PostgreSQL server binaries) when they
# are missing. Needs root for apt-get; without it, it says what to install and carries on
# (the PostgreSQL tests then skip outside CI, and fail in CI).
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; }

if have_postgres; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get > /dev/null; then
  echo "note: PostgreSQL server binaries are missing; install Debian's 'postgresql' package to run the PostgreSQL tests" >&2
  exit 0
fi
echo "installing PostgreSQL (Debian package 'postgresql') for the source tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql > /dev/null
have_postgres
