// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/fs/ext2/inode.c
 *
 * Copyright (C) 1992, 1993, 1994, 1995
 * Remy Card (card@masi.ibp.fr)
 * Laboratoire MASI - Institut Blaise Pascal
 * Universite Pierre et Marie Curie (Paris VI)
 *
 * Part of the composite module ext2.ko.
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "ext2.h"

static const u8 ext2_type_by_mode[16] = {
	0, 5, 2, 0, 4, 0, 3, 0, 1, 0, 7, 0, 6, 0, 0, 0,
};

/* Find the block-map path to a logical block (ext2_block_to_path) */
static int ext2_block_to_path(struct inode *inode, long i_block,
			      int offsets[4], int *boundary)
{
	int ptrs = inode->i_sb->s_blocksize / sizeof(u32);
	const long direct_blocks = EXT2_N_BLOCKS - 3,
		indirect_blocks = ptrs,
		double_blocks = (1 << (2 * (inode->i_sb->s_blocksize > 1024 ? 10 : 8)));
	int n = 0;
	int final = 0;

	if (i_block < 0) {
		pr_warn("ext2: block_to_path: block < 0\n");
	} else if (i_block < direct_blocks) {
		offsets[n++] = i_block;
		final = direct_blocks;
	} else if ((i_block -= direct_blocks) < indirect_blocks) {
		offsets[n++] = EXT2_N_BLOCKS - 3;
		offsets[n++] = i_block;
		final = ptrs;
	} else if ((i_block -= indirect_blocks) < double_blocks) {
		offsets[n++] = EXT2_N_BLOCKS - 2;
		offsets[n++] = i_block / ptrs;
		offsets[n++] = i_block % ptrs;
		final = ptrs;
	} else {
		offsets[n++] = EXT2_N_BLOCKS - 1;
		offsets[n++] = (i_block / ptrs) / ptrs;
		offsets[n++] = (i_block / ptrs) % ptrs;
		offsets[n++] = i_block % ptrs;
		final = ptrs;
	}
	if (boundary)
		*boundary = final - 1 - (i_block & (ptrs - 1));
	return n;
}

struct inode *ext2_iget(struct super_block *sb, unsigned long ino)
{
	struct ext2_inode_info *ei;
	int offsets[4], boundary;

	ei = kzalloc(sizeof(*ei), GFP_KERNEL);
	if (!ei)
		return NULL;
	ei->vfs_inode.i_sb = sb;
	ei->vfs_inode.i_ino = ino;
	ei->vfs_inode.i_mode = 0040755;
	ei->vfs_inode.i_nlink = ext2_type_by_mode[(0040755 >> 12) & 15] + 1;
	ei->i_block_group = (ino - 1) / 1024;
	ext2_block_to_path(&ei->vfs_inode, 0, offsets, &boundary);
	return &ei->vfs_inode;
}

int ext2_setattr_size(struct inode *inode, loff_t newsize)
{
	int offsets[4];
	int n = ext2_block_to_path(inode, newsize >> 10, offsets, NULL);

	inode->i_size = newsize;
	inode->i_blocks = n;
	return 0;
}
