/* SPDX-License-Identifier: GPL-2.0 */
/*
 *  arch/mini/kernel/head.S -- the first code of the kernel image
 *
 *  Like arch/x86/kernel/head_64.S and head_32.S, in section .head.text
 *  (the linker script puts it at the very start of .text). The mini kernel
 *  is linked, never booted: this only needs to look like an entry point.
 */

#include <linux/linkage.h>
#include <linux/init.h>
#include <asm/page.h>
#include <asm/cache.h>

	__HEAD
#ifdef CONFIG_64BIT
	.code64
SYM_CODE_START(startup_64)
	cli
	movq	$(init_stack + THREAD_SIZE), %rsp
	xorl	%ebp, %ebp
	call	start_kernel
1:	hlt
	jmp	1b
SYM_CODE_END(startup_64)
#else
SYM_CODE_START(startup_32)
	cli
	movl	$(init_stack + THREAD_SIZE), %esp
	xorl	%ebp, %ebp
	call	start_kernel
1:	hlt
	jmp	1b
SYM_CODE_END(startup_32)
#endif

/*
 * The system call entry, in .entry.text (the linker script aligns it).
 */
	.section .entry.text, "ax"
SYM_FUNC_START(entry_SYSCALL_mini)
#ifdef CONFIG_64BIT
	pushq	%rax
	call	schedule
	popq	%rax
#else
	pushl	%eax
	call	schedule
	popl	%eax
#endif
	ret
SYM_FUNC_END(entry_SYSCALL_mini)

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
