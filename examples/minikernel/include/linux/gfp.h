/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H

#include <linux/types.h>

#define __GFP_ZERO	0x100u
#define __GFP_NOWARN	0x2000u
#define GFP_ATOMIC	0x20u
#define GFP_KERNEL	0xcc0u

struct page;

struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
void *page_address(const struct page *page);
void mem_init(void);

extern unsigned long totalram_pages;

#endif /* __LINUX_GFP_H */
