/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/export.h>
#include <linux/printk.h>
#include <linux/cache.h>

#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

#define min(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); _x < _y ? _x : _y; })
#define max(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); _x > _y ? _x : _y; })

#define container_of(ptr, type, member) ({				\
	void *__mptr = (void *)(ptr);					\
	((type *)(__mptr - offsetof(type, member))); })

#define EINVAL		22
#define ENOMEM		12
#define ENODEV		19
#define EBUSY		16
#define ENOSPC		28

#define COMMAND_LINE_SIZE	256

extern __printf(1, 2) __cold __noreturn void panic(const char *fmt, ...);
extern int panic_timeout;

#define BUG_ON(condition) do {						\
	if (unlikely(condition))					\
		panic("BUG at %s:%d", __FILE__, __LINE__);		\
} while (0)

/* Values used for system_state */
extern enum system_states {
	SYSTEM_BOOTING,
	SYSTEM_SCHEDULING,
	SYSTEM_RUNNING,
	SYSTEM_HALT,
} system_state;

extern const char linux_banner[];

#endif
