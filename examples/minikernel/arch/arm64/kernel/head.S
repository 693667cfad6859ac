/* SPDX-License-Identifier: GPL-2.0-only */
/*
 *  arch/arm64/kernel/head.S -- the first code of the kernel image
 *
 *  Like Linux's arch/arm64/kernel/head.S: the Image header in .head.text
 *  (the linker script puts it at the very start of the image, _text), then
 *  primary_entry in .init.text. The mini kernel is linked, never booted:
 *  this only needs to look like an entry point.
 */

#include <linux/linkage.h>
#include <linux/init.h>
#include <asm/page.h>
#include <asm/cache.h>

/*
 * Kernel startup entry point.
 * ---------------------------
 *
 * The requirements are:
 *   MMU = off, D-cache = off, I-cache = on or off,
 *   x0 = physical address to the FDT blob.
 */
	__HEAD
	/*
	 * DO NOT MODIFY. Image header expected by Linux boot-loaders.
	 */
	nop					// (efi_signature_nop without CONFIG_EFI)
	b	primary_entry			// branch to kernel start, magic
	.quad	0				// Image load offset from start of RAM, little-endian
	.quad	0				// Effective size of kernel image, little-endian
	.quad	0xa				// Informative flags, little-endian: 4K pages, anywhere
	.quad	0				// reserved
	.quad	0				// reserved
	.quad	0				// reserved
	.ascii	"ARM\x64"			// Magic number
	.long	0				// Offset to the PE header (no CONFIG_EFI)

	__INIT

SYM_CODE_START(primary_entry)
	adrp	x1, __fdt_pointer		// preserve_boot_args
	str	x0, [x1, :lo12:__fdt_pointer]
	adrp	x1, init_stack + THREAD_SIZE
	add	x1, x1, :lo12:init_stack + THREAD_SIZE
	mov	sp, x1
	mov	x29, xzr
	bl	start_kernel
1:	wfi
	b	1b
SYM_CODE_END(primary_entry)

/*
 * The synchronous exception from EL0 (a system call), in .entry.text.
 */
	.section ".entry.text", "ax"
SYM_FUNC_START(el0t_64_sync)
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	bl	schedule
	ldp	x29, x30, [sp], #16
	ret
SYM_FUNC_END(el0t_64_sync)

/*
 * The boot stack and the zero page: page-aligned, zero-filled data.
 */
	.section ".bss..page_aligned","aw"
	.balign	PAGE_SIZE
SYM_DATA_START(empty_zero_page)
	.skip	PAGE_SIZE
SYM_DATA_END(empty_zero_page)

SYM_DATA_START(init_stack)
	.skip	THREAD_SIZE
SYM_DATA_END(init_stack)
