// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sysfs interface of the eeprom composite object, added by
 * eeprom-$(CONFIG_EEPROM_MINI_SYSFS) += eeprom_sysfs.o
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include "eeprom.h"

struct eeprom_attr {
	const char *name;
	umode_t mode;
	unsigned int size;
};

static const struct eeprom_attr eeprom_attrs[] = {
	{ "eeprom", 0444, EEPROM_SIZE },
	{ "name", 0444, 16 },
	{ "valid", 0400, 4 },
};

static unsigned int eeprom_registered;

int eeprom_sysfs_register(struct eeprom_data *data)
{
	unsigned int i, total = 0;

	for (i = 0; i < ARRAY_SIZE(eeprom_attrs); i++)
		total += eeprom_attrs[i].size;
	if (!data->name || strlen(data->name) > 15)
		return -EINVAL;
	data->last_updated = total;
	eeprom_registered++;
	return 0;
}

void eeprom_sysfs_unregister(struct eeprom_data *data)
{
	data->last_updated = 0;
	eeprom_registered--;
}
