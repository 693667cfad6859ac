// SPDX-License-Identifier: GPL-2.0
/*
 * uartlite.c: Serial driver for Xilinx uartlite serial controller
 * (cut down from Linux's drivers/tty/serial/uartlite.c)
 *
 * Copyright (C) 2006 Peter Korsgaard <jacmet@sunsite.dk>
 * Copyright (C) 2007 Secret Lab Technologies Ltd.
 *
 * A tristate driver (CONFIG_SERIAL_UARTLITE) built in (=y) that selects the
 * serial core (CONFIG_SERIAL_CORE, a tristate nobody can set): as a module
 * (=m), it would take the core with it. Its console
 * (CONFIG_SERIAL_UARTLITE_CONSOLE) depends on SERIAL_UARTLITE=y, as Linux's
 * does: olddefconfig drops it when the driver becomes a module.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/serial_core.h>

#define ULITE_NAME		"ttyUL"
#define ULITE_MAJOR		204
#define ULITE_MINOR		187
#define ULITE_NR_UARTS		2

#define PORT_UARTLITE		74

/* Register offsets and status bits */
#define ULITE_RX		0x00
#define ULITE_TX		0x04
#define ULITE_STATUS		0x08
#define ULITE_CONTROL		0x0c

#define ULITE_STATUS_RXVALID	0x01
#define ULITE_STATUS_TXEMPTY	0x04
#define ULITE_STATUS_TXFULL	0x08

#define ULITE_FIFO_SIZE		16

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

/* .bss: the ports, and the registers the driver would read and write */
static struct uart_port ulite_ports[ULITE_NR_UARTS];
static struct uart_port *ulite_port_table[ULITE_NR_UARTS];
static u32 ulite_regs[ULITE_NR_UARTS][4];

/* .data */
static unsigned int ulite_baud = 115200;

/* The boot-time base addresses: __initconst, freed after boot */
static const unsigned long ulite_bases[ULITE_NR_UARTS] __initconst = {
	0x40600000, 0x40610000,
};

static u32 uart_in32(struct uart_port *port, u32 offset)
{
	return ulite_regs[port->line][offset / 4];
}

static void uart_out32(u32 val, u32 offset, struct uart_port *port)
{
	ulite_regs[port->line][offset / 4] = val;
}

static unsigned int ulite_tx_empty(struct uart_port *port)
{
	return uart_in32(port, ULITE_STATUS) & ULITE_STATUS_TXEMPTY ? 1 : 0;
}

static void ulite_stop_tx(struct uart_port *port)
{
	/* N/A */
}

static int ulite_transmit(struct uart_port *port, int stat)
{
	if (stat & ULITE_STATUS_TXFULL)
		return 0;
	uart_out32(port->icount_tx & 0xff, ULITE_TX, port);
	port->icount_tx++;
	return 1;
}

static void ulite_start_tx(struct uart_port *port)
{
	ulite_transmit(port, uart_in32(port, ULITE_STATUS));
}

static int ulite_startup(struct uart_port *port)
{
	uart_out32(0x13, ULITE_CONTROL, port);	/* reset both FIFOs, enable irq */
	uart_out32(ULITE_STATUS_TXEMPTY, ULITE_STATUS, port);
	port->fifosize = ULITE_FIFO_SIZE;
	return 0;
}

static void ulite_shutdown(struct uart_port *port)
{
	uart_out32(0, ULITE_CONTROL, port);
	port->fifosize = 0;
}

static const char *ulite_type(struct uart_port *port)
{
	return port->type == PORT_UARTLITE ? "uartlite" : NULL;
}

/* A const struct of function pointers: .rodata */
static const struct uart_ops ulite_ops = {
	.tx_empty	= ulite_tx_empty,
	.stop_tx	= ulite_stop_tx,
	.start_tx	= ulite_start_tx,
	.startup	= ulite_startup,
	.shutdown	= ulite_shutdown,
	.type		= ulite_type,
};

static struct uart_driver ulite_uart_driver = {
	.driver_name	= "uartlite",
	.dev_name	= ULITE_NAME,
	.major		= ULITE_MAJOR,
	.minor		= ULITE_MINOR,
	.nr		= ULITE_NR_UARTS,
	.ports		= ulite_port_table,
};

#ifdef CONFIG_SERIAL_UARTLITE_CONSOLE
static void ulite_console_wait_tx(struct uart_port *port)
{
	unsigned int i;

	/* Spin waiting for TX fifo to have space available */
	for (i = 0; i < 1000000; i++)
		if (!(uart_in32(port, ULITE_STATUS) & ULITE_STATUS_TXFULL))
			break;
}

static void ulite_console_putchar(struct uart_port *port, unsigned char ch)
{
	ulite_console_wait_tx(port);
	uart_out32(ch, ULITE_TX, port);
}

static void ulite_console_write(struct console *co, const char *s,
				unsigned int count)
{
	struct uart_port *port = &ulite_ports[co->index];
	u32 ier;

	/* disable interrupts while printing, as the real driver does */
	ier = uart_in32(port, ULITE_STATUS) & 0x10;
	if (ier)
		uart_out32(0, ULITE_CONTROL, port);
	uart_console_write(port, s, count, ulite_console_putchar);
	ulite_console_wait_tx(port);
	if (ier)
		uart_out32(ier, ULITE_CONTROL, port);
}

static struct console ulite_console = {
	.name	= ULITE_NAME,
	.write	= ulite_console_write,
	.index	= -1,
};
#endif /* CONFIG_SERIAL_UARTLITE_CONSOLE */

static int __init ulite_init(void)
{
	unsigned int i;
	int ret;

	ret = uart_register_driver(&ulite_uart_driver);
	if (ret)
		return ret;
	for (i = 0; i < ULITE_NR_UARTS; i++) {
		struct uart_port *port = &ulite_ports[i];

		port->iobase = ulite_bases[i];
		port->irq = 16 + i;
		port->uartclk = ulite_baud * 16;
		port->line = i;
		port->type = PORT_UARTLITE;
		port->ops = &ulite_ops;
		ret = uart_add_one_port(&ulite_uart_driver, port);
		if (ret)
			break;
	}
#ifdef CONFIG_SERIAL_UARTLITE_CONSOLE
	if (ulite_console.index < 0)
		ulite_console.index = 0;
	register_console(&ulite_console);
#endif
	return ret;
}

static void __exit ulite_exit(void)
{
#ifdef CONFIG_SERIAL_UARTLITE_CONSOLE
	unregister_console(&ulite_console);
#endif
	uart_unregister_driver(&ulite_uart_driver);
}

module_init(ulite_init);
module_exit(ulite_exit);

MODULE_AUTHOR("Peter Korsgaard <jacmet@sunsite.dk>");
MODULE_DESCRIPTION("Xilinx uartlite serial driver");
MODULE_LICENSE("GPL");
