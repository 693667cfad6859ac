/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#ifndef __ASSEMBLY__

/* -nostdinc: there is no <stdint.h>, the kernel has its own types */
typedef unsigned char		u8;
typedef signed char		s8;
typedef unsigned short		u16;
typedef signed short		s16;
typedef unsigned int		u32;
typedef signed int		s32;
typedef unsigned long long	u64;
typedef signed long long	s64;

typedef unsigned long		size_t;
typedef long			ssize_t;
typedef long			ptrdiff_t;
typedef int			pid_t;
typedef unsigned short		umode_t;
typedef long long		loff_t;
typedef unsigned int		gfp_t;
typedef u64			phys_addr_t;

typedef _Bool			bool;

enum {
	false	= 0,
	true	= 1
};

#define NULL ((void *)0)

#define offsetof(TYPE, MEMBER)	__builtin_offsetof(TYPE, MEMBER)

struct list_head {
	struct list_head *next, *prev;
};

#endif /* __ASSEMBLY__ */
#endif /* _LINUX_TYPES_H */
