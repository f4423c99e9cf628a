#!/usr/bin/env bash
# Installs what `--device wgpu` needs on a Debian or Ubuntu machine without a GPU: Mesa's
# Vulkan drivers, whose lavapipe is a Vulkan device that computes on the CPU (what CI tests
# wgpu on). Does nothing when lavapipe is already installed. Needs root (or sudo).
set -euo pipefail

if compgen -G "/usr/share/vulkan/icd.d/lvp_icd*.json" > /dev/null; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mesa-vulkan-drivers > /dev/null
echo "installed mesa-vulkan-drivers: $(ls /usr/share/vulkan/icd.d/)"
