#!/bin/bash
# What the lab and the test suite need of the machine before they build and run, as root:
# the packages (install-deps.sh) and a BPF filesystem at /sys/fs/bpf for the pins.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
