/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_FS_H
#define _LINUX_FS_H

#include <linux/types.h>

struct module;
struct super_block;

struct inode {
	umode_t			i_mode;
	unsigned int		i_nlink;
	unsigned long		i_ino;
	loff_t			i_size;
	u64			i_blocks;
	struct super_block	*i_sb;
	void			*i_private;
};

struct super_block {
	unsigned long		s_blocksize;
	unsigned long		s_magic;
	unsigned long		s_flags;
	struct inode		*s_root;
	void			*s_fs_info;
	const char		*s_id;
};

struct file_system_type {
	const char *name;
	int fs_flags;
#define FS_REQUIRES_DEV		1
	int (*fill_super)(struct super_block *sb, void *data, int silent);
	void (*kill_sb)(struct super_block *sb);
	struct module *owner;
	struct file_system_type *next;
};

extern int register_filesystem(struct file_system_type *);
extern int unregister_filesystem(struct file_system_type *);
extern struct file_system_type *get_fs_type(const char *name);

#endif /* _LINUX_FS_H */
