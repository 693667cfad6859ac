// SPDX-License-Identifier: GPL-2.0-only
/*
 *  kernel/sched/core.c
 *
 *  Core kernel scheduler code and related syscalls
 *
 *  Copyright (C) 1991-2002  Linus Torvalds
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "sched.h"

/* per-CPU runqueues: .data..percpu */
DEFINE_PER_CPU(struct rq, runqueues);

/* The tick counter; the linker script defines "jiffies" on top of it */
u64 jiffies_64 __cacheline_aligned_in_smp = 300 * 1000;
EXPORT_SYMBOL(jiffies_64);

/*
 * Same name as the static in drivers/misc/core.c: vmlinux has two local
 * symbols "nr_events", told apart only by the STT_FILE symbol ("core.c",
 * also the same!) before them.
 */
static unsigned long nr_events;

unsigned int sysctl_sched_latency __read_mostly = 6000000;
unsigned int sysctl_sched_min_granularity __read_mostly = 750000;

/*
 * The same name, again, as in drivers/misc/core.c, but a bigger function.
 * noinline keeps both as real (local) symbols; __noclone keeps gcc from
 * renaming them (update_stats.isra.0, update_stats.constprop.0...), so that
 * vmlinux really has two local functions called "update_stats".
 */
static noinline __noclone unsigned long update_stats(struct rq *rq, unsigned long delta)
{
	struct cfs_rq *cfs = &rq->cfs;
	u64 old = rq->clock;

	nr_events++;
	rq->clock += delta;
	rq->clock_task += delta;
	cfs->avg_load = (cfs->avg_load * 31 + cfs->load_weight) / 32;
	cfs->avg_util = (cfs->avg_util * 31 + (cfs->nr_running ? 1024 : 0)) / 32;
	if (cfs->curr) {
		cfs->curr->se.sum_exec_runtime += delta;
		cfs->curr->se.vruntime += delta * 1024 /
			(cfs->curr->se.load_weight ? cfs->curr->se.load_weight : 1UL);
		if (cfs->curr->se.vruntime > cfs->min_vruntime)
			cfs->min_vruntime = cfs->curr->se.vruntime;
	}
	if (rq->nr_running > 1 && rq->clock - old > sysctl_sched_min_granularity)
		rq->nr_switches++;
	return (unsigned long)(rq->clock - old);
}

int smp_processor_id(void)
{
	return 0;
}

static struct task_struct *pick_next_task(struct rq *rq)
{
	struct task_struct *p = rq->cfs.curr;

	return p ? p : rq->idle;
}

/*
 * __schedule() is the main scheduler function; in .sched.text, like every
 * __sched function.
 */
static void __sched notrace __schedule(void)
{
	struct rq *rq = this_rq();
	struct task_struct *prev = rq->curr, *next;

	update_stats(rq, 1);
	next = pick_next_task(rq);
	if (next != prev) {
		rq->nr_switches++;
		rq->curr = next;
		if (prev)
			prev->nvcsw++;
	}
}

asmlinkage __visible void __sched schedule(void)
{
	__schedule();
}
EXPORT_SYMBOL(schedule);

void scheduler_tick(void)
{
	struct rq *rq = this_rq();

	jiffies_64++;
	update_stats(rq, 1000000);
	if (rq->curr)
		task_tick_fair(&rq->cfs, rq->curr);
}

int wake_up_process(struct task_struct *p)
{
	struct rq *rq = cpu_rq(p->cpu);

	if (p->se.on_rq)
		return 0;
	enqueue_task_fair(&rq->cfs, p);
	rq->nr_running++;
	return 1;
}
EXPORT_SYMBOL(wake_up_process);

void cpu_startup_entry(void)
{
	for (;;)
		schedule();
}

void __init sched_init(void)
{
	int i;

	for (i = 0; i < NR_CPUS; i++) {
		struct rq *rq = cpu_rq(i);

		rq->cpu = i;
		rq->cpu_capacity = 1024;
		rq->idle = &init_task;
		rq->curr = &init_task;
		rq->cfs.min_vruntime = (u64)(-(1LL << 20));
	}
	init_task.se.load_weight = sched_prio_to_weight[init_task.static_prio - 100];
	pr_info("sched: %d CPUs, latency %u ns\n", NR_CPUS, sysctl_sched_latency);
}
