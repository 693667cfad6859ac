/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scheduler internal types and methods:
 */
#ifndef _KERNEL_SCHED_SCHED_H
#define _KERNEL_SCHED_SCHED_H

#include <linux/sched.h>
#include <linux/kernel.h>
#include <linux/percpu.h>

#define UPDATE_TG	0x1
#define SKIP_AGE_LOAD	0x2
#define DO_ATTACH	0x4

struct cfs_rq {
	unsigned long		load_weight;
	unsigned int		nr_running;
	u64			min_vruntime;
	u64			avg_load;
	u64			avg_util;
	u64			last_update_time;
	struct task_struct	*curr;
};

struct rq {
	unsigned int		nr_running;
	u64			nr_switches;
	u64			clock;
	u64			clock_task;
	struct cfs_rq		cfs;
	struct task_struct	*curr;
	struct task_struct	*idle;
	unsigned long		cpu_capacity;
	int			cpu;
};

DECLARE_PER_CPU(struct rq, runqueues);

#define cpu_rq(cpu)		(&per_cpu(runqueues, (cpu)))
#define this_rq()		this_cpu_ptr(&runqueues)

extern const int sched_prio_to_weight[40];

#endif /* _KERNEL_SCHED_SCHED_H */
