// SPDX-License-Identifier: GPL-2.0-only
/*
 * Architecture-dependent parts of the boot: the command line and the
 * memory the device tree describes (like arch/arm64/kernel/setup.c, cut
 * down to what the mini kernel needs).
 */
#include <linux/cache.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/page.h>

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
};

/* written by head.S before .bss is cleared */
phys_addr_t __fdt_pointer __initdata;

/* the memory nodes of the device tree, only needed at boot */
static struct memblock_region memory_regions[8] __initdata;
static int nr_memory_regions __initdata;

/* zero-initialised: .bss */
unsigned long max_pfn;

/* initialised: .data (u64 __cacheline_aligned boot_args[4] in Linux) */
u64 __cacheline_aligned boot_args[4] = { 0, 0, 0, 0 };

static char __initdata command_line[COMMAND_LINE_SIZE];

/* the exception levels, only needed at boot */
static const char *const el_names[] __initconst = {
	"EL0", "EL1", "EL2", "EL3",
};

static void __init setup_machine_fdt(phys_addr_t dt_phys)
{
	int i;

	pr_info("Machine model: mini (fdt at %#lx, entered at %s)\n",
		(unsigned long)dt_phys, el_names[boot_args[1] & 3]);
	for (i = 0; i < nr_memory_regions; i++) {
		struct memblock_region *r = &memory_regions[i];

		pr_info("memory: [mem %#010lx-%#010lx]\n",
			(unsigned long)r->base,
			(unsigned long)(r->base + r->size - 1));
		max_pfn += (unsigned long)(r->size >> PAGE_SHIFT);
	}
}

void __init setup_arch(char **cmdline_p)
{
	memcpy(command_line, boot_command_line, COMMAND_LINE_SIZE);
	command_line[COMMAND_LINE_SIZE - 1] = 0;
	*cmdline_p = command_line;

	setup_machine_fdt(__fdt_pointer);
}
