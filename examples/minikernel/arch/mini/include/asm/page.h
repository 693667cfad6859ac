/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_PAGE_H
#define _ASM_X86_PAGE_H

#include <linux/const.h>

/* PAGE_SHIFT determines the page size */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(_AC(1,UL) << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE-1))

#define THREAD_SIZE		(PAGE_SIZE << 1)

/* Where the kernel is loaded (physical) and linked (virtual) */
#define __PHYSICAL_START	_AC(0x1000000, UL)

#ifdef CONFIG_64BIT
#define __START_KERNEL_map	_AC(0xffffffff80000000, UL)
#define __START_KERNEL		(__START_KERNEL_map + __PHYSICAL_START)
#else
#define __PAGE_OFFSET		_AC(0xC0000000, UL)
#define __START_KERNEL		(__PAGE_OFFSET + __PHYSICAL_START)
#endif

#endif /* _ASM_X86_PAGE_H */
