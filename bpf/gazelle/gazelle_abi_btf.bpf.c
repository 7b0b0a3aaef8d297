// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of gazelle_abi.h into BTF for tests/abi. */
#include "vmlinux.h"
#include "gazelle/gazelle_abi.h"

enum gz_stat gz_abi_stat;
struct gz_steer_config gz_abi_steer_config;
struct gz_stats gz_abi_stats;
