// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/init/main.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 *
 *  The mini kernel's start_kernel(): set up, run the initcalls, schedule.
 */

#define DEBUG		/* Enable initcall_debug */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/percpu.h>
#include <generated/utsrelease.h>

/* The banner: a const array, so it lands in .rodata (not .rodata.str1.1) */
const char linux_banner[] =
	"Linux version " UTS_RELEASE " (" UTS_MACHINE ") mini kernel\n";

enum system_states system_state __read_mostly;
EXPORT_SYMBOL(system_state);

/* Untouched command line saved by arch-specific code. */
char __initdata boot_command_line[COMMAND_LINE_SIZE];
/* Command line for parameter parsing */
static char *static_command_line __ro_after_init;

static int initcall_debug __initdata;

/* Keep these in sync with initcalls in include/linux/init.h */
static const char *initcall_level_names[] __initdata = {
	"pure",
	"core",
	"postcore",
	"arch",
	"subsys",
	"fs",
	"device",
	"late",
};

static initcall_entry_t *initcall_levels[] __initdata = {
	__initcall0_start,
	__initcall1_start,
	__initcall2_start,
	__initcall3_start,
	__initcall4_start,
	__initcall5_start,
	__initcall6_start,
	__initcall7_start,
	__initcall_end,
};

extern const struct obs_kernel_param __setup_start[], __setup_end[];

static bool __init obsolete_checksetup(char *line)
{
	const struct obs_kernel_param *p;

	for (p = __setup_start; p < __setup_end; p++) {
		size_t n = strlen(p->str);

		if (!strncmp(line, p->str, n))
			return p->setup_func(line + n) == 0;
	}
	return false;
}

static int __init initcall_debug_setup(char *str)
{
	initcall_debug = 1;
	return 0;
}
__setup("initcall_debug", initcall_debug_setup);

int __init_or_module do_one_initcall(initcall_t fn)
{
	int ret;

	if (initcall_debug)
		pr_info("calling  %p\n", fn);
	ret = fn();
	if (ret)
		pr_warn("initcall %p returned %d\n", fn, ret);
	return ret;
}

static void __init do_initcall_level(int level)
{
	initcall_entry_t *fn;

	if (initcall_debug)
		pr_info("initcall level %s\n", initcall_level_names[level]);
	for (fn = initcall_levels[level]; fn < initcall_levels[level+1]; fn++)
		do_one_initcall(initcall_from_entry(fn));
}

static void __init do_initcalls(void)
{
	int level;

	for (level = 0; level < ARRAY_SIZE(initcall_levels) - 1; level++)
		do_initcall_level(level);
}

static void __init parse_args(char *cmdline)
{
	char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (*p)
			obsolete_checksetup(p);
		while (*p && *p != ' ')
			p++;
	}
}

/* Not __init: it is the part of the boot that stays. */
static noinline void __ref rest_init(void)
{
	system_state = SYSTEM_SCHEDULING;
	pr_notice("Kernel command line: %s\n", static_command_line);
	cpu_startup_entry();
}

asmlinkage __visible void __init start_kernel(void)
{
	char *command_line;

	pr_notice("%s", linux_banner);
	setup_arch(&command_line);
	static_command_line = command_line;
	parse_args(command_line);

	mem_init();
	kmem_cache_init();
	sched_init();
	fork_init();

	do_initcalls();

	system_state = SYSTEM_RUNNING;
	rest_init();
}
