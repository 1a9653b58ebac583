#!/usr/bin/env bash
# Installs the Debian packages qtool's build and tests use, only when missing. Never needs to be run by hand:
# `npm test` calls it. Needs root (or passwordless sudo) to install; otherwise it says what is missing, loudly.
set -euo pipefail
need=()
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
/usr/bin/python3 -c "import sklearn" 2>/dev/null || need+=(python3-sklearn)
command -v cc >/dev/null || need+=(gcc libc6-dev)
# The .npy tests compare against NumPy itself (Debian's python3, not whatever python3 is first on PATH).
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "setup-system: installing ${need[*]}" >&2
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
  echo "setup-system: NOT INSTALLED (not root, no sudo): ${need[*]}; board and C tests will report it" >&2; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
