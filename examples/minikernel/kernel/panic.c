// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/kernel/panic.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 */

/*
 * This function is used through-out the kernel (including mm and fs)
 * to indicate a major problem.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/string.h>

int panic_timeout = 0;
EXPORT_SYMBOL_GPL(panic_timeout);

int panic_on_oops __read_mostly;
static unsigned long tainted_mask;

static char panic_buf[1024];

/**
 *	panic - halt the system
 *	@fmt: The text string to print
 *
 *	Display a message, then perform cleanups.
 *
 *	This function never returns.
 */
void panic(const char *fmt, ...)
{
	__builtin_va_list args;

	__builtin_va_start(args, fmt);
	vscnprintf(panic_buf, sizeof(panic_buf), fmt, args);
	__builtin_va_end(args);
	pr_emerg("Kernel panic - not syncing: %s\n", panic_buf);
	if (panic_timeout)
		pr_emerg("Rebooting in %d seconds..\n", panic_timeout);
	for (;;)
		barrier();
}
EXPORT_SYMBOL(panic);

void add_taint(unsigned int flag)
{
	tainted_mask |= 1UL << flag;
}
EXPORT_SYMBOL(add_taint);

static int __init panic_setup(char *str)
{
	int t = 0;

	while (*str >= '0' && *str <= '9')
		t = t * 10 + *str++ - '0';
	panic_timeout = t;
	return 0;
}
__setup("panic=", panic_setup);

static int __init oops_setup(char *s)
{
	if (!strcmp(s, "panic"))
		panic_on_oops = 1;
	return 0;
}
__setup("oops=", oops_setup);
