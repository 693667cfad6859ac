/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>

#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	13

void *__kmalloc(size_t size, gfp_t flags);
void kfree(const void *objp);
void kmem_cache_init(void);

static inline void *kmalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags);
}

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return __kmalloc(size, flags | __GFP_ZERO);
}

#endif	/* _LINUX_SLAB_H */
