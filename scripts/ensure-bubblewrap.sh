#!/usr/bin/env bash
# Lambda handlers run inside bubblewrap (serverless_lab/cloud/awslambda/runtime/sandbox.py).
# Where it is missing, install Debian's `bubblewrap` when we are root with apt; else say that
# handlers will run uncontained (and the containment tests skip, saying why).
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then exit 0; fi
if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's bubblewrap to contain Lambda handlers..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  exit 0
fi
echo "No bubblewrap (bwrap): Lambda handlers will run uncontained on this machine." \
     "Install it (apt-get install bubblewrap) before hosting a class." >&2
