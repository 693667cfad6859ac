/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ld script for the mini kernel, preprocessed into vmlinux.lds in the build
 * folder (like arch/x86/kernel/vmlinux.lds.S, which it follows closely).
 *
 * x86_64: linked at 0xffffffff81000000 (loaded at 16 MB)
 * i386 (ARCH32=1): linked at 0xc1000000
 */

/*
 * Don't emit the .exit.* sections at link time: x86 frees them at run time
 * with the rest of the init region.
 */
#define RUNTIME_DISCARD_EXIT
#define EMITS_PT_NOTE

#ifdef CONFIG_64BIT
#define LOAD_OFFSET __START_KERNEL_map
#else
#define LOAD_OFFSET __PAGE_OFFSET
#endif

#include <asm-generic/vmlinux.lds.h>
#include <asm/cache.h>
#include <asm/page.h>

#undef i386     /* in case the preprocessor is a 32bit one */

#ifdef CONFIG_64BIT
OUTPUT_FORMAT("elf64-x86-64", "elf64-x86-64", "elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(phys_startup_64)
jiffies = jiffies_64;
#else
OUTPUT_FORMAT("elf32-i386", "elf32-i386", "elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(phys_startup_32)
jiffies = jiffies_64;
#endif

PHDRS {
	text PT_LOAD FLAGS(5);          /* R_E */
	data PT_LOAD FLAGS(6);          /* RW_ */
	note PT_NOTE FLAGS(0);          /* ___ */
}

SECTIONS
{
	. = __START_KERNEL;
#ifdef CONFIG_64BIT
	phys_startup_64 = ABSOLUTE(startup_64 - LOAD_OFFSET);
#else
	phys_startup_32 = ABSOLUTE(startup_32 - LOAD_OFFSET);
#endif

	/* Text and read-only data */
	.text :  AT(ADDR(.text) - LOAD_OFFSET) {
		_text = .;
		_stext = .;
		/* bootstrapping code */
		HEAD_TEXT
		/* padding that belongs to no object */
		. = ALIGN(64);
		TEXT_TEXT
		SCHED_TEXT
		/* the entry code starts on a cache line of its own */
		. = ALIGN(64);
		ENTRY_TEXT
		*(.gnu.warning)
	} :text = 0xcccc

	/* End of text section, which should occupy whole number of pages */
	_etext = .;
	. = ALIGN(PAGE_SIZE);

	RO_DATA(PAGE_SIZE)

	/* Data */
	.data : AT(ADDR(.data) - LOAD_OFFSET) {
		/* Start of data section */
		_sdata = .;

		PAGE_ALIGNED_DATA(PAGE_SIZE)

		CACHELINE_ALIGNED_DATA(L1_CACHE_BYTES)

		DATA_DATA

		/* rarely changed data like cpu maps */
		READ_MOSTLY_DATA(INTERNODE_CACHE_BYTES)

		/* End of data section */
		_edata = .;
	} :data

	/* Init code and data - will be freed after init */
	. = ALIGN(PAGE_SIZE);
	.init.begin : AT(ADDR(.init.begin) - LOAD_OFFSET) {
		__init_begin = .; /* paired with __init_end */
	}

	INIT_TEXT_SECTION(PAGE_SIZE)

	INIT_DATA_SECTION(16)

	/*
	 * .exit.text is discarded at runtime, not link time, to deal with
	 *  references from .altinstructions
	 */
	.exit.text : AT(ADDR(.exit.text) - LOAD_OFFSET) {
		EXIT_TEXT
	}

	.exit.data : AT(ADDR(.exit.data) - LOAD_OFFSET) {
		EXIT_DATA
	}

	. = ALIGN(PAGE_SIZE);
	/* freed after init ends here */
	.init.end : AT(ADDR(.init.end) - LOAD_OFFSET) {
		__init_end = .;
	}

	/*
	 * The per-CPU template, copied once per CPU at boot. (Linux/x86 puts
	 * it before __init_end, or at address 0 on x86_64 SMP; this tree keeps
	 * it out of the init region.)
	 */
	PERCPU_SECTION(INTERNODE_CACHE_BYTES)

	/* BSS */
	. = ALIGN(PAGE_SIZE);
	.bss : AT(ADDR(.bss) - LOAD_OFFSET) {
		__bss_start = .;
		*(.bss..page_aligned)
		. = ALIGN(PAGE_SIZE);
		*(BSS_MAIN)
		*(COMMON)
		. = ALIGN(PAGE_SIZE);
		__bss_stop = .;
	}
	_end = .;

	STABS_DEBUG
	DWARF_DEBUG
	ELF_DETAILS

	DISCARDS

	/*
	 * Sections that should stay zero sized, which is safer to
	 * explicitly check instead of blindly discarding.
	 */
	.got : {
		*(.got) *(.igot.*)
	}
	ASSERT(SIZEOF(.got) == 0, "Unexpected GOT entries detected!")

	.got.plt (INFO) : {
		*(.got.plt)
	}
	ASSERT(SIZEOF(.got.plt) == 0 ||
#ifdef CONFIG_64BIT
	       SIZEOF(.got.plt) == 0x18,
#else
	       SIZEOF(.got.plt) == 0xc,
#endif
	       "Unexpected GOT/PLT entries detected!")

	.plt : {
		*(.plt) *(.plt.*) *(.iplt)
	}
	ASSERT(SIZEOF(.plt) == 0, "Unexpected run-time procedure linkages detected!")

	.rel.dyn : {
		*(.rel.*) *(.rel_*)
	}
	ASSERT(SIZEOF(.rel.dyn) == 0, "Unexpected run-time relocations (.rel) detected!")

	.rela.dyn : {
		*(.rela.*) *(.rela_*)
	}
	ASSERT(SIZEOF(.rela.dyn) == 0, "Unexpected run-time relocations (.rela) detected!")
	/DISCARD/ : {
		*(.eh_frame)
	}
}
