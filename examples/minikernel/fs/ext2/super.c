// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/fs/ext2/super.c
 *
 * Copyright (C) 1992, 1993, 1994, 1995
 * Remy Card (card@masi.ibp.fr)
 * Laboratoire MASI - Institut Blaise Pascal
 * Universite Pierre et Marie Curie (Paris VI)
 *
 * Part of the composite module ext2.ko (ext2-y := super.o inode.o).
 */

#include <linux/module.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/crc16.h>
#include "ext2.h"

static const char *const ext2_mount_opts[] = {
	"bsddf", "minixdf", "grpid", "nogrpid", "resgid", "resuid",
	"errors=continue", "errors=panic", "errors=remount-ro", "nouid32",
};

static unsigned long ext2_mounts;

static int parse_options(const char *options, struct ext2_sb_info *sbi)
{
	unsigned int i;

	if (!options)
		return 1;
	for (i = 0; i < ARRAY_SIZE(ext2_mount_opts); i++)
		if (!strcmp(options, ext2_mount_opts[i]))
			sbi->s_mount_opt |= 1UL << i;
	return 1;
}

static int ext2_fill_super(struct super_block *sb, void *data, int silent)
{
	struct ext2_sb_info *sbi;
	struct inode *root;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;
	sb->s_magic = EXT2_SUPER_MAGIC;
	sb->s_blocksize = 1024;
	if (!parse_options(data, sbi))
		goto failed;
	sbi->s_inodes_per_block = sb->s_blocksize / 128;
	sbi->s_checksum = crc16(~0, (const u8 *)sbi, sizeof(*sbi));

	root = ext2_iget(sb, EXT2_ROOT_INO);
	if (!root) {
		if (!silent)
			pr_err("EXT2-fs (%s): error: get root inode failed\n", sb->s_id);
		goto failed;
	}
	sb->s_root = root;
	ext2_mounts++;
	return 0;
failed:
	kfree(sbi);
	sb->s_fs_info = NULL;
	return -EINVAL;
}

static void ext2_kill_sb(struct super_block *sb)
{
	kfree(sb->s_fs_info);
	ext2_mounts--;
}

static struct file_system_type ext2_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "ext2",
	.fill_super	= ext2_fill_super,
	.kill_sb	= ext2_kill_sb,
	.fs_flags	= FS_REQUIRES_DEV,
};

static int __init init_ext2_fs(void)
{
	int err;

	err = ext2_xattr_init();
	if (err)
		return err;
	return register_filesystem(&ext2_fs_type);
}

static void __exit exit_ext2_fs(void)
{
	unregister_filesystem(&ext2_fs_type);
}

MODULE_AUTHOR("Remy Card and others");
MODULE_DESCRIPTION("Second Extended Filesystem");
MODULE_LICENSE("GPL");
module_init(init_ext2_fs)
module_exit(exit_ext2_fs)
