// SPDX-License-Identifier: GPL-2.0
/*
 * Architecture-dependent parts of the boot: the command line and the
 * memory map the boot loader handed over.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/page.h>

struct boot_e820_entry {
	u64 addr;
	u64 size;
	u32 type;
} __packed;

struct boot_params {
	u8 setup_sects;
	u16 root_flags;
	u32 cmd_line_ptr;
	u8 e820_entries;
	struct boot_e820_entry e820_table[32];
} __packed;

/* zero-initialised: .bss */
struct boot_params boot_params;
unsigned long max_pfn_mapped;

/* initialised: .data */
int bootloader_type = -1;

static char __initdata command_line[COMMAND_LINE_SIZE];

/* the names of the e820 types, only needed at boot */
static const char *const e820_type_names[] __initconst = {
	"usable", "reserved", "ACPI data", "ACPI NVS", "unusable",
};

static void __init e820__print_table(void)
{
	int i;

	for (i = 0; i < boot_params.e820_entries; i++) {
		struct boot_e820_entry *e = &boot_params.e820_table[i];
		u32 type = e->type - 1;

		pr_info("BIOS-e820: [mem %#010lx-%#010lx] %s\n",
			(unsigned long)e->addr,
			(unsigned long)(e->addr + e->size - 1),
			type < ARRAY_SIZE(e820_type_names) ?
				e820_type_names[type] : "type?");
		if (e->type == 1)
			max_pfn_mapped += (unsigned long)(e->size >> PAGE_SHIFT);
	}
}

void __init setup_arch(char **cmdline_p)
{
	memcpy(command_line, boot_command_line, COMMAND_LINE_SIZE);
	command_line[COMMAND_LINE_SIZE - 1] = 0;
	*cmdline_p = command_line;

	e820__print_table();
}
