// SPDX-License-Identifier: GPL-2.0-only
/*
 *  linux/kernel/printk.c
 *
 *  Copyright (C) 1991, 1992  Linus Torvalds
 *
 * The mini kernel's printk: a log buffer, a tiny vscnprintf and consoles.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/string.h>

#define CON_ENABLED	4

struct console {
	char	name[16];
	void	(*write)(struct console *, const char *, unsigned int);
	short	flags;
	short	index;
	unsigned long dropped;
	struct console *next;
};

/* console_loglevel etc: an initialised array, .data */
int console_printk[4] = {
	7,	/* console_loglevel */
	4,	/* default_message_loglevel */
	1,	/* minimum_console_loglevel */
	7,	/* default_console_loglevel */
};
EXPORT_SYMBOL_GPL(console_printk);

/* the log buffer: .bss, 1 << CONFIG_LOG_BUF_SHIFT bytes */
#define __LOG_BUF_LEN (1 << CONFIG_LOG_BUF_SHIFT)
static char __log_buf[__LOG_BUF_LEN] __aligned(8);
static char *log_buf = __log_buf;
static u32 log_buf_len = __LOG_BUF_LEN;
static u32 log_next_idx;
static u32 log_first_idx;
static u64 log_dropped;

static struct console *console_drivers;

/* per-CPU: .data..percpu */
DEFINE_PER_CPU(int, printk_pending);
DEFINE_PER_CPU(char [64], printk_context_buf);

static const char hex_asc[] = "0123456789abcdef";

static char *put_number(char *p, char *end, unsigned long num, int base,
			bool neg, int width)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = hex_asc[num % base];
		num /= base;
	} while (num);
	if (neg && p < end)
		*p++ = '-';
	while (width-- > n && p < end)
		*p++ = base == 16 ? '0' : ' ';
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

int vscnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list args)
{
	char *p = buf, *end = buf + size - 1;

	if (!size)
		return 0;
	for (; *fmt && p < end; fmt++) {
		int width = 0;
		bool lng = false;

		if (*fmt != '%') {
			*p++ = *fmt;
			continue;
		}
		fmt++;
		if (*fmt == '#')
			fmt++;
		while (*fmt == '0')
			fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng = true;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long v = lng ? __builtin_va_arg(args, long) :
				       __builtin_va_arg(args, int);
			p = put_number(p, end, v < 0 ? -v : v, 10, v < 0, width);
			break;
		}
		case 'u':
			p = put_number(p, end, lng ? __builtin_va_arg(args, unsigned long) :
					 __builtin_va_arg(args, unsigned int), 10, false, width);
			break;
		case 'x':
			p = put_number(p, end, lng ? __builtin_va_arg(args, unsigned long) :
					 __builtin_va_arg(args, unsigned int), 16, false, width);
			break;
		case 'p':
			p = put_number(p, end, (unsigned long)__builtin_va_arg(args, void *),
				       16, false, 2 * sizeof(void *));
			break;
		case 's': {
			const char *s = __builtin_va_arg(args, const char *);

			if (!s)
				s = "(null)";
			while (*s && p < end)
				*p++ = *s++;
			break;
		}
		case 'c':
			*p++ = (char)__builtin_va_arg(args, int);
			break;
		default:
			*p++ = *fmt;
			break;
		}
	}
	*p = 0;
	return p - buf;
}
EXPORT_SYMBOL(vscnprintf);

/* The error path of log_store(): a __cold function goes to .text.unlikely */
static noinline void __cold log_overflow(u32 len)
{
	log_dropped++;
	log_first_idx = (log_first_idx + len) % log_buf_len;
	printk_once(KERN_WARNING "printk: log buffer overflow, %u bytes dropped\n", len);
}

/*
 * Only called from _printk(), which is __cold (as in Linux): gcc places both
 * in .text.unlikely. Nobody uses the return value, so IPA-SRA drops it and
 * calls the clone log_store.isra.0.
 */
static noinline int log_store(const char *text, u32 len)
{
	u32 i;

	if (unlikely(log_next_idx + len >= log_buf_len)) {
		log_overflow(len);
		log_next_idx = 0;
		log_dropped += len;
		if (len >= log_buf_len)
			return 0;
	}
	for (i = 0; i < len; i++)
		log_buf[(log_next_idx + i) & (log_buf_len - 1)] = text[i];
	log_next_idx += len;
	return len;
}

/*
 * A cheap test up front, a long body behind it: gcc's partial inlining
 * inlines the test into the callers and calls the rest as a ".part" clone;
 * the callers ignore the result, so IPA-SRA clones that again:
 * console_emit.part.0.isra.0.
 */
static int console_emit(struct console *con, const char *text, u32 len)
{
	u32 i, done = 0;

	if (!con || !(con->flags & CON_ENABLED))
		return 0;
	for (i = 0; i < len; i += 16) {
		u32 n = len - i < 16 ? len - i : 16;

		if (!con->write) {
			con->dropped += n;
			continue;
		}
		con->write(con, text + i, n);
		done += n;
		log_first_idx = (log_first_idx + n) % log_buf_len;
	}
	if (con->dropped) {
		static char dropped_msg[64];
		int l = 0;
		unsigned long d = con->dropped;

		memcpy(dropped_msg, "** dropped ", 11);
		l = 11;
		do {
			dropped_msg[l++] = '0' + d % 10;
			d /= 10;
		} while (d && l < 40);
		memcpy(dropped_msg + l, " messages **\n", 13);
		con->write(con, dropped_msg, l + 13);
		con->dropped = 0;
	}
	return done;
}

static void console_flush_all(const char *text, u32 len)
{
	struct console *con;

	for (con = console_drivers; con; con = con->next)
		console_emit(con, text, len);
}

asmlinkage __visible int _printk(const char *fmt, ...)
{
	char *buf = *this_cpu_ptr(&printk_context_buf);
	__builtin_va_list args;
	int len;

	__builtin_va_start(args, fmt);
	len = vscnprintf(buf, 64, fmt, args);
	__builtin_va_end(args);

	if (buf[0] == KERN_SOH_ASCII && buf[1]) {
		if (buf[1] - '0' > console_loglevel)
			return len;
		buf += 2;
		len -= 2;
	}
	log_store(buf, len);
	console_flush_all(buf, len);
	*this_cpu_ptr(&printk_pending) = 1;
	return len;
}
EXPORT_SYMBOL(_printk);

void register_console(struct console *newcon)
{
	newcon->flags |= CON_ENABLED;
	newcon->next = console_drivers;
	console_drivers = newcon;
	/* replay the log to the new console */
	console_emit(newcon, log_buf, log_next_idx);
}
EXPORT_SYMBOL(register_console);

void unregister_console(struct console *con)
{
	struct console **p;

	for (p = &console_drivers; *p; p = &(*p)->next)
		if (*p == con) {
			*p = con->next;
			console_emit(con, "console unregistered\n", 21);
			break;
		}
}
EXPORT_SYMBOL(unregister_console);

static int __init printk_late_init(void)
{
	pr_info("printk: %u bytes of log buffer, %lu dropped\n",
		log_buf_len, (unsigned long)log_dropped);
	return 0;
}
late_initcall(printk_late_init);
