#!/usr/bin/env bash
# Installs what the browser tests (tests/it/browser.rs) drive: Debian's Chromium, headless over
# the DevTools protocol, on a Debian or Ubuntu machine. Does nothing when a `chromium` (or the
# browser named by CHROME) is already there. Needs root (or sudo). Without recommended packages:
# the tests need the browser and its libraries, not fonts beyond its own or a desktop.
set -euo pipefail

if [ -n "${CHROME:-}" ] && [ -x "${CHROME}" ]; then
  exit 0
fi
if command -v chromium > /dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium > /dev/null
echo "installed $(chromium --version 2>/dev/null || echo chromium)"
