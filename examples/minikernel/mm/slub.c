// SPDX-License-Identifier: GPL-2.0
/*
 * SLUB: A slab allocator that limits cache line use instead of queuing
 * objects in per cpu and per node lists.
 *
 * (C) 2007 SGI, Christoph Lameter
 * (A very small one.)
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/page.h>

struct kmem_cache {
	const char *name;
	unsigned int size;
	unsigned int objects;
	void *freelist;
	unsigned long alloc_count;
	unsigned long free_count;
};

#define NR_KMALLOC	(KMALLOC_SHIFT_HIGH - KMALLOC_SHIFT_LOW + 1)

/* const array of pointers to strings: .rodata (+ .rodata.str1.1) */
static const char *const kmalloc_names[NR_KMALLOC] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64",
	"kmalloc-128", "kmalloc-256", "kmalloc-512", "kmalloc-1k",
	"kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
};

/* .bss */
static struct kmem_cache kmalloc_caches[NR_KMALLOC];

static bool slab_debug __ro_after_init;

static unsigned int kmalloc_index(size_t size)
{
	unsigned int i = 0;

	while (i < NR_KMALLOC - 1 && (1UL << (i + KMALLOC_SHIFT_LOW)) < size)
		i++;
	return i;
}

/* Carve a fresh page into objects: the slow path of slab_alloc() */
static void *new_slab_objects(struct kmem_cache *s, gfp_t flags)
{
	struct page *page = alloc_pages(flags, s->size > PAGE_SIZE ? 1 : 0);
	char *start, *p;
	unsigned int i, n;

	if (!page)
		return NULL;
	start = page_address(page);
	n = (PAGE_SIZE << (s->size > PAGE_SIZE)) / s->size;
	for (i = 0, p = start; i + 1 < n; i++, p += s->size)
		*(void **)p = p + s->size;
	*(void **)p = NULL;
	s->objects += n;
	return start;
}

static void *slab_alloc(struct kmem_cache *s, gfp_t flags)
{
	void *object = s->freelist;

	if (!object) {
		object = new_slab_objects(s, flags);
		if (!object)
			return NULL;
	}
	s->freelist = *(void **)object;
	s->alloc_count++;
	if (flags & __GFP_ZERO)
		memset(object, 0, s->size);
	return object;
}

void *__kmalloc(size_t size, gfp_t flags)
{
	if (!size || size > (1UL << KMALLOC_SHIFT_HIGH))
		return NULL;
	return slab_alloc(&kmalloc_caches[kmalloc_index(size)], flags);
}
EXPORT_SYMBOL(__kmalloc);

void kfree(const void *objp)
{
	struct kmem_cache *s = &kmalloc_caches[0];

	if (!objp)
		return;
	*(void **)objp = s->freelist;
	s->freelist = (void *)objp;
	s->free_count++;
}
EXPORT_SYMBOL(kfree);

static int __init setup_slub_debug(char *str)
{
	slab_debug = true;
	return 0;
}
__setup("slub_debug", setup_slub_debug);

void __init kmem_cache_init(void)
{
	unsigned int i;

	for (i = 0; i < NR_KMALLOC; i++) {
		kmalloc_caches[i].name = kmalloc_names[i];
		kmalloc_caches[i].size = 1U << (i + KMALLOC_SHIFT_LOW);
	}
	pr_info("SLUB: %u caches%s\n", NR_KMALLOC, slab_debug ? ", debug" : "");
}
