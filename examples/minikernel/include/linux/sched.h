/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/types.h>

#define TASK_COMM_LEN		16
#define MAX_PRIO		140
#define DEFAULT_PRIO		120
#define PID_MAX_DEFAULT		64

#define CLONE_VM	0x00000100
#define CLONE_FS	0x00000200
#define CLONE_FILES	0x00000400
#define CLONE_THREAD	0x00010000

#define NUMA_NO_NODE	(-1)

struct sched_entity {
	u64			vruntime;
	u64			sum_exec_runtime;
	unsigned long		load_weight;
	int			on_rq;
};

struct task_struct {
	volatile long		state;
	unsigned int		flags;
	int			prio;
	int			static_prio;
	int			cpu;
	pid_t			pid;
	pid_t			tgid;
	unsigned long		nvcsw;
	unsigned long		nivcsw;
	struct sched_entity	se;
	struct task_struct	*parent;
	struct list_head	children;
	struct list_head	sibling;
	char			comm[TASK_COMM_LEN];
};

struct kernel_clone_args {
	u64 flags;
	int exit_signal;
	unsigned long stack;
	unsigned long stack_size;
	int (*fn)(void *);
	void *fn_arg;
};

extern struct task_struct init_task;
extern struct task_struct *current_task;
#define current current_task

extern int nr_threads;
extern u64 jiffies_64;
extern unsigned long volatile jiffies;

asmlinkage void schedule(void);
extern void scheduler_tick(void);
extern int wake_up_process(struct task_struct *p);
extern void sched_init(void);
extern void fork_init(void);
extern pid_t kernel_clone(struct kernel_clone_args *kargs);
extern pid_t kernel_thread(int (*fn)(void *), void *arg, unsigned long flags);
extern void cpu_startup_entry(void) __attribute__((__noreturn__));

/* kernel/sched/fair.c */
struct cfs_rq;
extern void task_tick_fair(struct cfs_rq *cfs_rq, struct task_struct *curr);
extern void enqueue_task_fair(struct cfs_rq *cfs_rq, struct task_struct *p);

#endif
