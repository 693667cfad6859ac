/* SPDX-License-Identifier: GPL-2.0 */
/*
 *  linux/fs/ext2/ext2.h (shortened)
 *
 * Copyright (C) 1992, 1993, 1994, 1995
 * Remy Card (card@masi.ibp.fr)
 * Laboratoire MASI - Institut Blaise Pascal
 * Universite Pierre et Marie Curie (Paris VI)
 */
#include <linux/fs.h>
#include <linux/kernel.h>

#define EXT2_SUPER_MAGIC	0xEF53
#define EXT2_ROOT_INO		2
#define EXT2_N_BLOCKS		15

/*
 * second extended-fs super-block data in memory
 */
struct ext2_sb_info {
	unsigned long s_inodes_per_block;
	unsigned long s_blocks_per_group;
	unsigned long s_inodes_per_group;
	unsigned long s_groups_count;
	unsigned long s_mount_opt;
	u16 s_checksum;
	struct ext2_inode_info *s_inode_cache;
};

struct ext2_inode_info {
	u32	i_data[EXT2_N_BLOCKS];
	u32	i_flags;
	u32	i_faddr;
	u32	i_dtime;
	u32	i_block_group;
	struct inode vfs_inode;
};

static inline struct ext2_sb_info *EXT2_SB(struct super_block *sb)
{
	return sb->s_fs_info;
}

/* inode.c */
extern struct inode *ext2_iget(struct super_block *, unsigned long);
extern int ext2_setattr_size(struct inode *inode, loff_t newsize);

/* xattr.c (only with CONFIG_EXT2_FS_XATTR) */
#ifdef CONFIG_EXT2_FS_XATTR
extern int ext2_xattr_init(void);
#else
static inline int ext2_xattr_init(void) { return 0; }
#endif
