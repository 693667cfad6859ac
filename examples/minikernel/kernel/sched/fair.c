// SPDX-License-Identifier: GPL-2.0
/*
 * Completely Fair Scheduling (CFS) Class (SCHED_NORMAL/SCHED_BATCH)
 *
 *  Copyright (C) 2007 Red Hat, Inc., Ingo Molnar <mingo@redhat.com>
 */
#include <linux/kernel.h>
#include <linux/sched.h>

#include "sched.h"

/*
 * Nice levels are multiplicative, with a gentle 10% change for every
 * nice level changed. I.e. when a CPU-bound task goes from nice 0 to
 * nice 1, it will get ~10% less CPU time than another CPU-bound task
 * that remained on nice 0.
 *
 * A const table: .rodata
 */
const int sched_prio_to_weight[40] = {
 /* -20 */     88761,     71755,     56483,     46273,     36291,
 /* -15 */     29154,     23254,     18705,     14949,     11916,
 /* -10 */      9548,      7620,      6100,      4904,      3906,
 /*  -5 */      3121,      2501,      1991,      1586,      1277,
 /*   0 */      1024,       820,       655,       526,       423,
 /*   5 */       335,       272,       215,       172,       137,
 /*  10 */       110,        87,        70,        56,        45,
 /*  15 */        36,        29,        23,        18,        15,
};

/*
 * Inverse (2^32/x) values of the sched_prio_to_weight[] array, precalculated.
 */
const u32 sched_prio_to_wmult[40] = {
 /* -20 */     48388,     59856,     76040,     92818,    118348,
 /* -15 */    147320,    184698,    229616,    287308,    360437,
 /* -10 */    449829,    563644,    704093,    875809,   1099582,
 /*  -5 */   1376151,   1717300,   2157191,   2708050,   3363326,
 /*   0 */   4194304,   5237765,   6557202,   8165337,  10153587,
 /*   5 */  12820798,  15790321,  19976592,  24970740,  31350126,
 /*  10 */  39045157,  49367440,  61356676,  76695844,  95443717,
 /*  15 */ 119304647, 148102320, 186737708, 238609294, 286331153,
};

unsigned int sysctl_sched_wakeup_granularity __read_mostly = 1000000UL;

/*
 * Every caller passes the same flags (UPDATE_TG): gcc's IPA constant
 * propagation clones it as update_load_avg.constprop.0.
 */
static noinline void update_load_avg(struct cfs_rq *cfs_rq,
				     struct sched_entity *se, int flags)
{
	u64 now = cfs_rq->last_update_time + 1000;
	u64 delta = now - cfs_rq->last_update_time;

	if (!(flags & SKIP_AGE_LOAD)) {
		cfs_rq->avg_load -= cfs_rq->avg_load >> 5;
		cfs_rq->avg_util -= cfs_rq->avg_util >> 5;
	}
	if (se) {
		cfs_rq->avg_load += se->load_weight * delta >> 10;
		if (se->on_rq)
			cfs_rq->avg_util += 1024 * delta >> 10;
	}
	if (flags & DO_ATTACH)
		cfs_rq->load_weight += se ? se->load_weight : 0;
	if (flags & UPDATE_TG)
		cfs_rq->last_update_time = now;
}

static unsigned long calc_delta_fair(unsigned long delta, struct sched_entity *se)
{
	/* unsigned long, not u64: no 64-bit division helper on 32-bit */
	if (se->load_weight != 1024)
		delta = delta * 1024 / (se->load_weight ? se->load_weight : 1);
	return delta;
}

void enqueue_task_fair(struct cfs_rq *cfs_rq, struct task_struct *p)
{
	struct sched_entity *se = &p->se;

	update_load_avg(cfs_rq, se, UPDATE_TG);
	if (se->vruntime < cfs_rq->min_vruntime)
		se->vruntime = cfs_rq->min_vruntime;
	se->on_rq = 1;
	cfs_rq->nr_running++;
	cfs_rq->load_weight += se->load_weight;
	if (!cfs_rq->curr)
		cfs_rq->curr = p;
}

void task_tick_fair(struct cfs_rq *cfs_rq, struct task_struct *curr)
{
	struct sched_entity *se = &curr->se;

	update_load_avg(cfs_rq, se, UPDATE_TG);
	se->vruntime += calc_delta_fair(sysctl_sched_wakeup_granularity, se);
	if (se->vruntime > cfs_rq->min_vruntime + sysctl_sched_wakeup_granularity)
		cfs_rq->curr = NULL;
}
