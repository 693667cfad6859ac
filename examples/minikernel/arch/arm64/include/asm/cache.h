/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2012 ARM Ltd.
 */
#ifndef __ASM_CACHE_H
#define __ASM_CACHE_H

#include <linux/compiler_types.h>

#define L1_CACHE_SHIFT		(6)
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

#define INTERNODE_CACHE_SHIFT	L1_CACHE_SHIFT
#define INTERNODE_CACHE_BYTES	(1 << INTERNODE_CACHE_SHIFT)

#define __read_mostly __section(".data..read_mostly")

#endif
