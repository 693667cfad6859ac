/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MISCDEVICE_H
#define _LINUX_MISCDEVICE_H

#include <linux/types.h>

#define MISC_DYNAMIC_MINOR	255

struct miscdevice  {
	int minor;
	const char *name;
	const void *fops;
	struct list_head list;
	unsigned long events;
	umode_t mode;
};

extern int misc_register(struct miscdevice *misc);
extern void misc_deregister(struct miscdevice *misc);

#endif
