// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/mm/page_alloc.c
 *
 *  Manages the free list, the system allocates free pages here.
 *  Note that kmalloc() lives in slub.c
 *
 *  Copyright (C) 1991, 1992, 1993, 1994  Linus Torvalds
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <asm/page.h>

#define MAX_ORDER	11
#define NR_PAGES	512

struct page {
	unsigned long flags;
	unsigned long private;
	struct page *next;
	void *virtual;
};

struct memblock_region {
	unsigned long base;
	unsigned long size;
};

/* .bss: the page array and the free lists */
static struct page mem_map[NR_PAGES];
static struct page *free_area[MAX_ORDER];
static unsigned long nr_free[MAX_ORDER];

unsigned long totalram_pages;
EXPORT_SYMBOL(totalram_pages);

/* The per-CPU offsets: read often, written once at boot */
unsigned long __per_cpu_offset[NR_CPUS] __read_mostly;
EXPORT_SYMBOL(__per_cpu_offset);

/* The memory map the boot code found: only needed during boot */
static struct memblock_region memblock_regions[] __initdata = {
	{ 0x00100000, 0x00f00000 },
	{ 0x00000000, 0x0009f000 },
	{ 0x02000000, 0x06000000 },
	{ 0x01000000, 0x01000000 },
};

static int __init memblock_cmp(const void *a, const void *b)
{
	const struct memblock_region *ra = a, *rb = b;

	return ra->base < rb->base ? -1 : ra->base > rb->base;
}

/* .meminit.text: kept only with CONFIG_MEMORY_HOTPLUG, else part of init */
static void __meminit init_single_page(struct page *page, unsigned long pfn)
{
	page->flags = pfn << 8;
	page->private = 0;
	page->virtual = (void *)(pfn << PAGE_SHIFT);
	page->next = free_area[0];
	free_area[0] = page;
	nr_free[0]++;
}

void __init mem_init(void)
{
	unsigned long pfn, i;

	/* lib/sort.o is a lib-y object: this call is what links it in */
	sort(memblock_regions, ARRAY_SIZE(memblock_regions),
	     sizeof(memblock_regions[0]), memblock_cmp, NULL);

	for (i = 0; i < ARRAY_SIZE(memblock_regions); i++)
		totalram_pages += memblock_regions[i].size >> PAGE_SHIFT;
	for (pfn = 0; pfn < NR_PAGES; pfn++)
		init_single_page(&mem_map[pfn], pfn);
	for (i = 0; i < NR_CPUS; i++)
		__per_cpu_offset[i] = i * 4 * PAGE_SIZE;

	pr_info("Memory: %luK available\n", totalram_pages << (PAGE_SHIFT - 10));
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	/*
	 * A rare error path that calls printk() (a __cold function): gcc moves
	 * it out of line, into .text.unlikely, as alloc_pages.cold.
	 */
	if (unlikely(order >= MAX_ORDER)) {
		pr_warn("page allocation failure: order:%u, mode:%#x\n", order, gfp);
		nr_free[0] = 0;
		return NULL;
	}
	page = free_area[order];
	if (!page && order == 0)
		return NULL;
	if (!page) {
		page = alloc_pages(gfp, order - 1);
		if (!page)
			return NULL;
	} else {
		free_area[order] = page->next;
		nr_free[order]--;
	}
	page->private = order;
	if (gfp & __GFP_ZERO)
		memset(page->virtual, 0, PAGE_SIZE << order);
	return page;
}
EXPORT_SYMBOL(alloc_pages);

void __free_pages(struct page *page, unsigned int order)
{
	page->next = free_area[order];
	free_area[order] = page;
	nr_free[order]++;
}
EXPORT_SYMBOL(__free_pages);

void *page_address(const struct page *page)
{
	return page->virtual;
}
EXPORT_SYMBOL(page_address);
