// SPDX-License-Identifier: GPL-2.0-only
/*
 * Architecture-dependent parts of the boot: the command line, the boot
 * hart and the memory the device tree describes (like
 * arch/riscv/kernel/setup.c, cut down to what the mini kernel needs).
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/page.h>

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
};

/* the memory nodes of the device tree, only needed at boot */
static struct memblock_region memory_regions[8] __initdata;
static int nr_memory_regions __initdata;

/* zero-initialised: .bss (small: .sbss) */
unsigned long boot_cpu_hartid;
unsigned long max_pfn;

/* initialised: .data (small: .sdata) */
void *dtb_early_va = (void *)-1;

static char __initdata command_line[COMMAND_LINE_SIZE];

/* the privilege modes the kernel can run in, only needed at boot */
static const char *const mode_names[] __initconst = {
	"U-mode", "S-mode", "reserved", "M-mode",
};

static void __init setup_bootmem(void)
{
	int i;

	pr_info("riscv: boot hart %lu in %s, dtb at %p\n",
		boot_cpu_hartid, mode_names[1], dtb_early_va);
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

	setup_bootmem();
}
