/* SPDX-License-Identifier: GPL-2.0-only */
/*
 *  arch/riscv/kernel/head.S -- the first code of the kernel image
 *
 *  Like Linux's arch/riscv/kernel/head.S: _start and the Image header
 *  (asm/image.h) in .head.text, which the linker script puts at the very
 *  start of the image, then _start_kernel. The mini kernel is linked, never
 *  booted: this only needs to look like an entry point.
 */

#include <linux/linkage.h>
#include <linux/init.h>
#include <asm/page.h>
#include <asm/cache.h>

__HEAD
SYM_CODE_START(_start)
	/*
	 * Image header expected by Linux boot-loaders. The image header data
	 * structure is described in asm/image.h.
	 * Do not modify it without modifying the structure and all bootloaders
	 * that expects this header format!!
	 */
	/* jump to start kernel */
	j _start_kernel
	/* reserved */
	.word 0
	.balign 8
	/* Image load offset(2MB) from start of RAM */
	.dword 0x200000
	/* Effective size of kernel image */
	.dword _end - _start
	/* __HEAD_FLAGS: little-endian */
	.dword 0
	/* RISCV_HEADER_VERSION 0.2 */
	.word 2
	.word 0
	.dword 0
	/* RISCV_IMAGE_MAGIC */
	.ascii "RISCV\0\0\0"
	.balign 4
	/* RISCV_IMAGE_MAGIC2 */
	.ascii "RSC\x05"
	.word 0
SYM_CODE_END(_start)

SYM_CODE_START(_start_kernel)
	/* Mask all interrupts */
	csrw	sie, zero
	csrw	sip, zero

	/* Load the global pointer */
.option push
.option norelax
	la	gp, __global_pointer$
.option pop

	/* Initialize the stack and jump to the C code */
	la	sp, init_stack + THREAD_SIZE
	tail	start_kernel
SYM_CODE_END(_start_kernel)

/*
 * The trap entry (here: a system call), in .entry.text.
 */
	.section ".entry.text", "ax"
SYM_FUNC_START(handle_exception)
	addi	sp, sp, -16
	sd	ra, 8(sp)
	call	schedule
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret
SYM_FUNC_END(handle_exception)

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
