/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2009 Chen Liqin <liqin.chen@sunplusct.com>
 * Copyright (C) 2012 Regents of the University of California
 * Copyright (C) 2017 SiFive
 * Copyright (C) 2017 XiaojuZheng <xiaojuzheng@huawei.com>
 *
 * (4 KB pages, RV64, MMU)
 */
#ifndef _ASM_RISCV_PAGE_H
#define _ASM_RISCV_PAGE_H

#include <linux/const.h>

#define PAGE_SHIFT	(12)
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* asm/thread_info.h: THREAD_SIZE_ORDER 2 on 64-bit, 16 KB stacks */
#define THREAD_SIZE	(PAGE_SIZE << 2)

/*
 * The kernel is linked in the last 2 GB of the address space
 * (KERNEL_LINK_ADDR = ADDRESS_SPACE_END - SZ_2G + 1), so that the
 * medany code model reaches all of it.
 */
#define KERNEL_LINK_ADDR	_AC(0xffffffff80000000, UL)

#endif /* _ASM_RISCV_PAGE_H */
