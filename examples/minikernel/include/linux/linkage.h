/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_LINKAGE_H
#define _LINUX_LINKAGE_H

#include <linux/compiler_types.h>
#include <linux/stringify.h>

#if defined(__ASSEMBLY__) && !defined(LINKER_SCRIPT)

/* SYM_T_FUNC -- type used by assembler to mark functions */
#define SYM_T_FUNC				STT_FUNC
/* SYM_T_OBJECT -- type used by assembler to mark data */
#define SYM_T_OBJECT				STT_OBJECT
/* SYM_T_NONE -- type used by assembler to mark entries of unknown type */
#define SYM_T_NONE				STT_NOTYPE

#define ASM_NL		 ;
#define __ALIGN		.balign 16
#define ALIGN		__ALIGN

#define SYM_L_GLOBAL(name)			.globl name
#define SYM_L_LOCAL(name)			/* nothing */

#define SYM_ENTRY(name, linkage, align...)	\
	linkage(name) ASM_NL			\
	align ASM_NL				\
	name:

#define SYM_START(name, linkage, align...)	\
	SYM_ENTRY(name, linkage, align)

#define SYM_END(name, sym_type)			\
	.type name sym_type ASM_NL		\
	.set .L__sym_size_##name, .-name ASM_NL	\
	.size name, .L__sym_size_##name

/* SYM_CODE_START -- use for non-C-like functions: no STT_FUNC type */
#define SYM_CODE_START(name)			SYM_START(name, SYM_L_GLOBAL, ALIGN)
#define SYM_CODE_END(name)			SYM_END(name, SYM_T_NONE)

/* SYM_FUNC_START -- use for global functions */
#define SYM_FUNC_START(name)			SYM_START(name, SYM_L_GLOBAL, ALIGN)
#define SYM_FUNC_END(name)			SYM_END(name, SYM_T_FUNC)

/* SYM_DATA_START -- global data symbol */
#define SYM_DATA_START(name)			SYM_START(name, SYM_L_GLOBAL)
#define SYM_DATA_END(name)			SYM_END(name, SYM_T_OBJECT)

#endif /* __ASSEMBLY__ && !LINKER_SCRIPT */

#endif /* _LINUX_LINKAGE_H */
