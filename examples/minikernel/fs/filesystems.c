// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/fs/filesystems.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 *
 *  table of configured filesystems
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/string.h>

/*
 * Handling of filesystem drivers list.
 * Rules:
 *	Inclusion to/removals from/scanning of list are protected by spinlock.
 *	During the unload module must call unregister_filesystem().
 *	We can access the fields of list element if:
 *		1) spinlock is held or
 *		2) we hold the reference to the module.
 *	The latter can be guaranteed by call of try_module_get(); if it
 *	returned 0 we must skip the element, otherwise we got the reference.
 *	Once the reference is obtained we can drop the spinlock.
 */

static struct file_system_type *file_systems;
static unsigned int nr_filesystems;

static struct file_system_type **find_filesystem(const char *name, unsigned len)
{
	struct file_system_type **p;

	for (p = &file_systems; *p; p = &(*p)->next)
		if (strncmp((*p)->name, name, len) == 0 &&
		    !(*p)->name[len])
			break;
	return p;
}

/**
 *	register_filesystem - register a new filesystem
 *	@fs: the file system structure
 *
 *	Adds the file system passed to the list of file systems the kernel
 *	is aware of for mount and other syscalls. Returns 0 on success,
 *	or a negative errno code on an error.
 */
int register_filesystem(struct file_system_type *fs)
{
	struct file_system_type **p;

	if (fs->next)
		return -EBUSY;
	p = find_filesystem(fs->name, strlen(fs->name));
	if (*p)
		return -EBUSY;
	*p = fs;
	nr_filesystems++;
	return 0;
}
EXPORT_SYMBOL(register_filesystem);

/**
 *	unregister_filesystem - unregister a file system
 *	@fs: filesystem to unregister
 *
 *	Remove a file system that was previously successfully registered
 *	with the kernel. An error is returned if the file system is not found.
 *	Zero is returned on a success.
 */
int unregister_filesystem(struct file_system_type *fs)
{
	struct file_system_type **tmp;

	for (tmp = &file_systems; *tmp; tmp = &(*tmp)->next) {
		if (fs == *tmp) {
			*tmp = fs->next;
			fs->next = NULL;
			nr_filesystems--;
			return 0;
		}
	}
	return -EINVAL;
}
EXPORT_SYMBOL(unregister_filesystem);

struct file_system_type *get_fs_type(const char *name)
{
	return *find_filesystem(name, strlen(name));
}
EXPORT_SYMBOL(get_fs_type);

static int __init proc_filesystems_init(void)
{
	pr_info("VFS: %u filesystems registered\n", nr_filesystems);
	return 0;
}
fs_initcall(proc_filesystems_init);
