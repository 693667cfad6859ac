// SPDX-License-Identifier: GPL-2.0+
/*
 *  Driver for the mini kernel's serial ports (8250-shaped).
 *
 *  A tristate driver (CONFIG_SERIAL_MINI) built in (=y): module_init()
 *  becomes a device_initcall (.initcall6.init), module_exit() code lands in
 *  .exit.text, and MODULE_LICENSE() makes it show up in modules.builtin.
 */

#define pr_fmt(fmt) "serial_mini: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/serial_core.h>
#include <linux/crc16.h>
#include <linux/string.h>

#define UART_NR		4
#define PORT_16550A	4

struct console {
	char	name[16];
	void	(*write)(struct console *, const char *, unsigned int);
	short	flags;
	short	index;
	unsigned long dropped;
	struct console *next;
};
extern void register_console(struct console *);
extern void unregister_console(struct console *);

/* .bss */
static struct uart_port mini_ports[UART_NR];
static unsigned int nr_uarts_probed;

/* .data */
static unsigned int nr_uarts = UART_NR;
static unsigned long base_baud = 115200;

/* The boot-time port table: __initconst, freed after boot */
static const struct {
	unsigned long iobase;
	unsigned int irq;
} old_serial_port[] __initconst = {
	{ 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

static const char *const port_types[] = {
	"unknown", "8250", "16450", "16550", "16550A", "Cirrus", "ST16650",
};

static unsigned int mini_tx_empty(struct uart_port *port)
{
	return port->icount_tx & 1;
}

static void mini_stop_tx(struct uart_port *port)
{
	port->icount_tx = 0;
}

static void mini_start_tx(struct uart_port *port)
{
	port->icount_tx++;
}

static int mini_startup(struct uart_port *port)
{
	port->fifosize = port->type == PORT_16550A ? 16 : 1;
	return 0;
}

static void mini_shutdown(struct uart_port *port)
{
	port->fifosize = 0;
}

static const char *mini_type(struct uart_port *port)
{
	return port->type < ARRAY_SIZE(port_types) ? port_types[port->type] : NULL;
}

/* A const struct of function pointers: .rodata */
static const struct uart_ops mini_pops = {
	.tx_empty	= mini_tx_empty,
	.stop_tx	= mini_stop_tx,
	.start_tx	= mini_start_tx,
	.startup	= mini_startup,
	.shutdown	= mini_shutdown,
	.type		= mini_type,
};

int uart_mini_write(struct uart_port *port, const char *s, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (s[i] == '\n')
			port->ops->start_tx(port);
		port->ops->start_tx(port);
	}
	port->icount_rx = crc16(port->icount_rx, (const u8 *)s, count);
	return count;
}
EXPORT_SYMBOL_GPL(uart_mini_write);

#ifdef CONFIG_SERIAL_MINI_CONSOLE
static void mini_console_write(struct console *co, const char *s, unsigned int count)
{
	uart_mini_write(&mini_ports[co->index], s, count);
}

static struct console mini_console = {
	.name		= "ttyS",
	.write		= mini_console_write,
	.index		= -1,
};

static int __init mini_console_setup(char *str)
{
	mini_console.index = str[0] >= '0' && str[0] <= '3' ? str[0] - '0' : 0;
	return 0;
}
__setup("mini_console=", mini_console_setup);
#endif

static int __init serial_mini_init(void)
{
	unsigned int i;

	pr_info("Serial: mini driver, %u ports, base baud %lu\n", nr_uarts, base_baud);
	for (i = 0; i < nr_uarts && i < ARRAY_SIZE(old_serial_port); i++) {
		struct uart_port *port = &mini_ports[i];

		port->iobase = old_serial_port[i].iobase;
		port->irq = old_serial_port[i].irq;
		port->uartclk = base_baud * 16;
		port->line = i;
		port->type = PORT_16550A;
		port->ops = &mini_pops;
		if (!port->ops->startup(port))
			nr_uarts_probed++;
	}
#ifdef CONFIG_SERIAL_MINI_CONSOLE
	if (mini_console.index < 0)
		mini_console.index = 0;
	register_console(&mini_console);
#endif
	return 0;
}

static void __exit serial_mini_exit(void)
{
	unsigned int i;

#ifdef CONFIG_SERIAL_MINI_CONSOLE
	unregister_console(&mini_console);
#endif
	for (i = 0; i < nr_uarts_probed; i++)
		mini_ports[i].ops->shutdown(&mini_ports[i]);
}

module_init(serial_mini_init);
module_exit(serial_mini_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mini serial driver");
