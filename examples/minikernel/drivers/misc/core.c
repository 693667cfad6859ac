// SPDX-License-Identifier: GPL-2.0
/*
 * drivers/misc/core.c - the misc device core (a trimmed misc.c)
 *
 * Same file name as kernel/sched/core.c: both objects are "core.o", both
 * vmlinux STT_FILE symbols are "core.c", and both define a static
 * update_stats() and a static nr_events.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/string.h>

#define DYNAMIC_MINORS 64 /* like dynamic majors */

static struct list_head misc_list = { &misc_list, &misc_list };
static unsigned char misc_minors[DYNAMIC_MINORS / 8];

/* The same name as the static in kernel/sched/core.c */
static unsigned long nr_events;

/* Same name as kernel/sched/core.c's update_stats(), but much smaller */
static noinline __noclone unsigned long update_stats(struct miscdevice *misc,
					   unsigned long delta)
{
	nr_events++;
	misc->events += delta;
	return misc->events;
}

int misc_register(struct miscdevice *misc)
{
	int i;

	if (misc->minor == MISC_DYNAMIC_MINOR) {
		for (i = 0; i < DYNAMIC_MINORS; i++)
			if (!(misc_minors[i / 8] & (1 << (i % 8))))
				break;
		if (i == DYNAMIC_MINORS)
			return -EBUSY;
		misc->minor = DYNAMIC_MINORS - i - 1;
		misc_minors[i / 8] |= 1 << (i % 8);
	}
	misc->list.next = misc_list.next;
	misc->list.prev = &misc_list;
	misc_list.next->prev = &misc->list;
	misc_list.next = &misc->list;
	update_stats(misc, 1);
	return 0;
}
EXPORT_SYMBOL(misc_register);

void misc_deregister(struct miscdevice *misc)
{
	misc->list.prev->next = misc->list.next;
	misc->list.next->prev = misc->list.prev;
	update_stats(misc, 1);
}
EXPORT_SYMBOL(misc_deregister);

static int __init misc_init(void)
{
	pr_info("misc: %lu events\n", nr_events);
	return 0;
}
subsys_initcall(misc_init);
