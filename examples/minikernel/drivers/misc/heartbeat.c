// SPDX-License-Identifier: GPL-2.0
/*
 * A heartbeat device: a single-file loadable module (CONFIG_MISC_HEARTBEAT=m,
 * heartbeat.ko). Its objects are listed in drivers/misc/heartbeat.mod.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/miscdevice.h>

/* .bss */
static unsigned long beats;

/* .data */
static unsigned int period_ms = 1000;

/* .rodata */
static const unsigned int heartbeat_pattern[] = { 70, 200, 70, 660 };

static struct miscdevice heartbeat_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "heartbeat",
	.mode	= 0644,
};

unsigned long heartbeat_trigger(void)
{
	beats++;
	return heartbeat_pattern[beats % ARRAY_SIZE(heartbeat_pattern)] * period_ms / 1000;
}
EXPORT_SYMBOL_GPL(heartbeat_trigger);

static int __init heartbeat_init(void)
{
	int err = misc_register(&heartbeat_dev);

	if (err)
		return err;
	pr_info("heartbeat: period %u ms\n", period_ms);
	return 0;
}

static void __exit heartbeat_exit(void)
{
	misc_deregister(&heartbeat_dev);
}

module_init(heartbeat_init);
module_exit(heartbeat_exit);

MODULE_DESCRIPTION("Heartbeat device");
MODULE_LICENSE("GPL");
