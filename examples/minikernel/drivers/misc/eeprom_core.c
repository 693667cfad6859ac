// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Part of the composite object eeprom.o (eeprom-objs := eeprom_core.o,
 * eeprom-$(CONFIG_EEPROM_MINI_SYSFS) += eeprom_sysfs.o). Built in, there is
 * no eeprom.o: the parts go into drivers/misc/built-in.a and each one is
 * compiled with -DKBUILD_MODNAME='"eeprom"'.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include "eeprom.h"

/* .bss: the EEPROM contents */
static struct eeprom_data eeproms[2];

static const char *const eeprom_names[] = { "eeprom0", "eeprom1" };

static void eeprom_update_client(struct eeprom_data *data, unsigned int slice)
{
	unsigned int i;

	for (i = slice * 32; i < (slice + 1) * 32 && i < EEPROM_SIZE; i++)
		data->data[i] = (u8)(i ^ 0xa5);
	data->valid |= 1u << slice;
}

static int __init eeprom_init(void)
{
	unsigned int i, s;
	int err;

	for (i = 0; i < ARRAY_SIZE(eeproms); i++) {
		eeproms[i].name = eeprom_names[i];
		for (s = 0; s < EEPROM_SIZE / 32; s++)
			eeprom_update_client(&eeproms[i], s);
		err = eeprom_sysfs_register(&eeproms[i]);
		if (err)
			return err;
	}
	pr_info("eeprom: %u devices\n", (unsigned int)ARRAY_SIZE(eeproms));
	return 0;
}

static void __exit eeprom_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(eeproms); i++)
		eeprom_sysfs_unregister(&eeproms[i]);
}

module_init(eeprom_init);
module_exit(eeprom_exit);

MODULE_AUTHOR("Frodo Looijaard <frodol@dds.nl> and Philip Edelbrock");
MODULE_DESCRIPTION("I2C EEPROM driver");
MODULE_LICENSE("GPL");
