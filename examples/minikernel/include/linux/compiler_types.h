/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_COMPILER_TYPES_H
#define __LINUX_COMPILER_TYPES_H

#ifndef __ASSEMBLY__

/* Indirect macros required for expanded argument pasting, eg. __LINE__. */
#define ___PASTE(a,b) a##b
#define __PASTE(a,b) ___PASTE(a,b)

/* Not-quite-unique ID. */
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

#define __section(section)		__attribute__((__section__(section)))
#define __used				__attribute__((__used__))
#define __maybe_unused			__attribute__((__unused__))
#define __aligned(x)			__attribute__((__aligned__(x)))
#define __packed			__attribute__((__packed__))
#define __cold				__attribute__((__cold__))
#define __noreturn			__attribute__((__noreturn__))
#define __printf(a, b)			__attribute__((__format__(printf, a, b)))
/* gcc only: clang has neither attribute (compiler_attributes.h in Linux) */
#if __has_attribute(__externally_visible__)
#define __visible			__attribute__((__externally_visible__))
#else
#define __visible
#endif
#if __has_attribute(__copy__)
#define __copy(symbol)			__attribute__((__copy__(symbol)))
#else
#define __copy(symbol)
#endif
#define __always_inline			inline __attribute__((__always_inline__))
#define noinline			__attribute__((__noinline__))
/* no IPA clones (.constprop/.isra/.part) of this function (gcc only) */
#if __has_attribute(__noclone__)
#define __noclone			__attribute__((__noclone__))
#else
#define __noclone
#endif
#define notrace				__attribute__((__no_instrument_function__))
#define __percpu
#define __iomem
#define __user

#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))

#ifdef CONFIG_64BIT
#define asmlinkage
#else
#define asmlinkage __attribute__((regparm(0)))
#endif

/* Functions of the scheduler proper (wchan skips them) */
#define __sched		__section(".sched.text")

#endif /* __ASSEMBLY__ */

#endif /* __LINUX_COMPILER_TYPES_H */
