// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/kernel/fork.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 *
 *  'fork.c' contains the help-routines for the 'fork' system call
 *  (see also entry.S and others).
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

/* initialised data: .data */
struct task_struct init_task = {
	.state		= 0,
	.prio		= DEFAULT_PRIO,
	.static_prio	= DEFAULT_PRIO,
	.comm		= "swapper",
	.children	= { &init_task.children, &init_task.children },
	.sibling	= { &init_task.sibling, &init_task.sibling },
};
EXPORT_SYMBOL(init_task);

struct task_struct *current_task = &init_task;

/* zero-initialised: .bss */
int nr_threads;
unsigned long total_forks;
static struct task_struct *task_table[PID_MAX_DEFAULT];
static pid_t last_pid;

int max_threads __read_mostly = PID_MAX_DEFAULT;

static int alloc_pid(void)
{
	int i;

	for (i = 1; i < PID_MAX_DEFAULT; i++) {
		pid_t pid = (last_pid + i) % PID_MAX_DEFAULT;

		if (pid && !task_table[pid])
			return last_pid = pid;
	}
	return -EBUSY;
}

/*
 * Every caller passes node == NUMA_NO_NODE: gcc's IPA constant propagation
 * clones this function as dup_task_struct.constprop.0.
 */
static noinline struct task_struct *dup_task_struct(struct task_struct *orig,
						     int node, u64 clone_flags)
{
	struct task_struct *tsk;

	tsk = kmalloc(sizeof(*tsk), GFP_KERNEL | (node < 0 ? 0 : __GFP_NOWARN));
	if (!tsk)
		return NULL;
	memcpy(tsk, orig, sizeof(*tsk));
	tsk->flags &= ~0x40u;
	tsk->nvcsw = tsk->nivcsw = 0;
	tsk->se.vruntime = orig->se.vruntime;
	tsk->se.sum_exec_runtime = 0;
	tsk->se.on_rq = 0;
	if (clone_flags & CLONE_THREAD)
		tsk->tgid = orig->tgid;
	tsk->cpu = node < 0 ? orig->cpu : node;
	tsk->children.next = tsk->children.prev = &tsk->children;
	return tsk;
}

/* The load weight of a nice level (sched_prio_to_weight[] without the table) */
static noinline unsigned long task_weight(const struct task_struct *p)
{
	int prio = p->static_prio - DEFAULT_PRIO + 20;
	unsigned long w = 1024;

	while (prio-- > 20)
		w = w * 4 / 5;
	while (++prio < 20)
		w = w * 5 / 4;
	return w;
}

/*
 * @reason is never used: gcc drops the parameter in a clone (gcc 12 names it
 * free_task_struct.constprop.0: IPA-CP removes unused parameters too).
 */
static noinline void free_task_struct(struct task_struct *tsk, int reason)
{
	memset(tsk, 0, sizeof(*tsk));
	kfree(tsk);
}

static struct task_struct *copy_process(struct task_struct *parent,
					struct kernel_clone_args *args)
{
	struct task_struct *p;
	int pid;

	if (nr_threads >= max_threads)
		return NULL;
	p = dup_task_struct(parent, NUMA_NO_NODE, args->flags);
	if (!p)
		return NULL;
	pid = alloc_pid();
	if (pid < 0) {
		free_task_struct(p, pid);
		return NULL;
	}
	p->pid = pid;
	if (!(args->flags & CLONE_THREAD))
		p->tgid = pid;
	p->parent = parent;
	p->se.load_weight = task_weight(p);
	task_table[pid] = p;
	nr_threads++;
	total_forks++;
	return p;
}

pid_t kernel_clone(struct kernel_clone_args *args)
{
	struct task_struct *p = copy_process(current, args);

	if (!p)
		return -ENOMEM;
	wake_up_process(p);
	return p->pid;
}
EXPORT_SYMBOL_GPL(kernel_clone);

pid_t kernel_thread(int (*fn)(void *), void *arg, unsigned long flags)
{
	struct kernel_clone_args args = {
		.flags		= (flags | CLONE_VM) & ~0xffUL,
		.exit_signal	= flags & 0xff,
		.fn		= fn,
		.fn_arg		= arg,
	};

	return kernel_clone(&args);
}

struct task_struct *fork_idle(int cpu)
{
	struct task_struct *p = dup_task_struct(&init_task, NUMA_NO_NODE, 0);

	if (p) {
		p->cpu = cpu;
		p->se.load_weight = task_weight(p);
	}
	return p;
}

void __init fork_init(void)
{
	task_table[0] = &init_task;
	init_task.se.load_weight = task_weight(&init_task);
	pr_info("fork: max_threads %d\n", max_threads);
}

void free_task(struct task_struct *tsk)
{
	if (tsk == &init_task)
		return;
	task_table[tsk->pid] = NULL;
	nr_threads--;
	free_task_struct(tsk, 0);
}
EXPORT_SYMBOL(free_task);
