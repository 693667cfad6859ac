// SPDX-License-Identifier: GPL-2.0
/*
 * linux/mm/slab.c
 * Written by Mark Hemment, 1996/97.
 *
 * The other slab allocator of the "Choose SLAB allocator" choice. This
 * configuration selects CONFIG_SLUB, so mm/Makefile does not build this
 * file: it is a source file with no object and no bytes in vmlinux.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/slab.h>

struct array_cache {
	unsigned int avail;
	unsigned int limit;
	void *entry[16];
};

static struct array_cache slab_caches[KMALLOC_SHIFT_HIGH + 1];

void *__kmalloc(size_t size, gfp_t flags)
{
	struct array_cache *ac = &slab_caches[size > 64 ? 6 : 3];

	if (!ac->avail)
		return NULL;
	return ac->entry[--ac->avail];
}
EXPORT_SYMBOL(__kmalloc);

void kfree(const void *objp)
{
	struct array_cache *ac = &slab_caches[3];

	if (objp && ac->avail < 16)
		ac->entry[ac->avail++] = (void *)objp;
}
EXPORT_SYMBOL(kfree);

void __init kmem_cache_init(void)
{
	pr_info("SLAB: ready\n");
}
