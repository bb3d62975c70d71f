#!/usr/bin/env bash
# Browser tests drive a real Chromium. Use the system's (Debian's `chromium` package); where it
# is missing, install it when we are root with apt, else let Playwright fetch its own build.
set -euo pipefail
python="${1:-.venv/bin/python}"
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "No system Chromium: installing Playwright's own."
"$python" -m playwright install chromium
