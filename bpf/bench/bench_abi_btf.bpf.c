// SPDX-License-Identifier: GPL-2.0-only
/* Not loaded anywhere: puts every type of bench_abi.h into BTF for tests/abi. */
#include "vmlinux.h"
#include "bench/bench_abi.h"

struct gen_template bench_abi_template;
struct gen_flow bench_abi_flow;
