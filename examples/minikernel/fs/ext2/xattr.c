// SPDX-License-Identifier: GPL-2.0
/*
 * linux/fs/ext2/xattr.c
 *
 * Copyright (C) 2001-2003 Andreas Gruenbacher <agruen@suse.de>
 *
 * Built only with CONFIG_EXT2_FS_XATTR, which this configuration leaves
 * unset ("# CONFIG_EXT2_FS_XATTR is not set"): a source file with no object.
 */

#include <linux/module.h>
#include <linux/string.h>
#include "ext2.h"

struct ext2_xattr_handler {
	const char *prefix;
	int flags;
};

static const struct ext2_xattr_handler ext2_xattr_handlers[] = {
	{ "user.", 1 },
	{ "trusted.", 4 },
	{ "security.", 6 },
};

static int ext2_xattr_count;

int ext2_xattr_init(void)
{
	ext2_xattr_count = ARRAY_SIZE(ext2_xattr_handlers);
	return 0;
}
