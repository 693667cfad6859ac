/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A header local to drivers/misc (#include "eeprom.h"): in an O= build the
 * compiler finds it through -I $(srctree)/drivers/misc.
 */
#ifndef _DRIVERS_MISC_EEPROM_H
#define _DRIVERS_MISC_EEPROM_H

#include <linux/types.h>

#define EEPROM_SIZE	256

struct eeprom_data {
	const char *name;
	u8 data[EEPROM_SIZE];
	unsigned int valid;
	unsigned long last_updated;
};

#ifdef CONFIG_EEPROM_MINI_SYSFS
int eeprom_sysfs_register(struct eeprom_data *data);
void eeprom_sysfs_unregister(struct eeprom_data *data);
#else
static inline int eeprom_sysfs_register(struct eeprom_data *data) { return 0; }
static inline void eeprom_sysfs_unregister(struct eeprom_data *data) { }
#endif

#endif
