/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Based on arch/arm/include/asm/page.h, asm/page-def.h and asm/memory.h
 * (4 KB pages, VA_BITS=48)
 */
#ifndef __ASM_PAGE_H
#define __ASM_PAGE_H

#include <linux/const.h>

/* PAGE_SHIFT determines the page size (CONFIG_ARM64_4K_PAGES) */
#define PAGE_SHIFT		12
#define PAGE_SIZE		(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE-1))

/* 16 KB kernel stacks (THREAD_SHIFT 14) */
#define THREAD_SIZE		(_AC(1, UL) << 14)

/*
 * The kernel image is linked at KIMAGE_VADDR, the end of the 128 MB module
 * area at the bottom of the kernel half: _PAGE_END(48) + SZ_128M.
 */
#define KIMAGE_VADDR		_AC(0xffff800008000000, UL)

/* The text, init and data segments of the image are 64 KB aligned. */
#define SEGMENT_ALIGN		(_AC(64, UL) << 10)

#endif
