// SPDX-License-Identifier: GPL-2.0+
/*
 *  Driver core for serial ports (cut down from Linux's
 *  drivers/tty/serial/serial_core.c)
 *
 *  Based on drivers/char/serial.c, by Linus Torvalds, Theodore Ts'o.
 *
 *  Copyright 1999 ARM Limited
 *  Copyright (C) 2000-2001 Deep Blue Solutions Ltd.
 *
 *  CONFIG_SERIAL_CORE is a tristate without a prompt, as in Linux: nobody
 *  sets it, drivers select it. Here only SERIAL_UARTLITE does, so the core
 *  is built in (=y) because that driver is, and would be a module
 *  (serial_core.ko) with it. It has no initcall: only exports and
 *  MODULE_LICENSE(), which puts it in modules.builtin.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/serial_core.h>

/* .bss: how many drivers and ports are registered */
static unsigned int nr_uart_drivers;
static unsigned int nr_uart_ports;

int uart_register_driver(struct uart_driver *drv)
{
	int i;

	if (drv->nr <= 0 || !drv->ports)
		return -EINVAL;
	for (i = 0; i < drv->nr; i++)
		drv->ports[i] = NULL;
	drv->nr_active = 0;
	nr_uart_drivers++;
	pr_info("%s: major %d, minor %d, %d ports\n",
		drv->driver_name, drv->major, drv->minor, drv->nr);
	return 0;
}
EXPORT_SYMBOL(uart_register_driver);

void uart_unregister_driver(struct uart_driver *drv)
{
	int i;

	for (i = 0; i < drv->nr; i++)
		if (drv->ports[i])
			uart_remove_one_port(drv, drv->ports[i]);
	nr_uart_drivers--;
}
EXPORT_SYMBOL(uart_unregister_driver);

int uart_add_one_port(struct uart_driver *drv, struct uart_port *uport)
{
	int ret;

	if (uport->line >= (unsigned int)drv->nr)
		return -EINVAL;
	if (drv->ports[uport->line])
		return -EBUSY;
	ret = uport->ops->startup(uport);
	if (ret)
		return ret;
	drv->ports[uport->line] = uport;
	drv->nr_active++;
	nr_uart_ports++;
	pr_info("%s%u at I/O 0x%lx (irq = %u) is a %s\n", drv->dev_name,
		uport->line, uport->iobase, uport->irq, uport->ops->type(uport));
	return 0;
}
EXPORT_SYMBOL(uart_add_one_port);

int uart_remove_one_port(struct uart_driver *drv, struct uart_port *uport)
{
	if (uport->line >= (unsigned int)drv->nr || drv->ports[uport->line] != uport)
		return -EINVAL;
	uport->ops->shutdown(uport);
	drv->ports[uport->line] = NULL;
	drv->nr_active--;
	nr_uart_ports--;
	return 0;
}
EXPORT_SYMBOL(uart_remove_one_port);

/**
 *	uart_get_divisor - return uart clock divisor
 *	@port: uart_port structure containing the port
 *	@baud: desired baud rate
 */
unsigned int uart_get_divisor(struct uart_port *port, unsigned int baud)
{
	if (baud == 38400)
		return port->uartclk / (16 * 38400);
	return (port->uartclk + (8 * baud)) / (16 * baud);
}
EXPORT_SYMBOL(uart_get_divisor);

/**
 *	uart_console_write - write a console message to a serial port
 *	@port: the port to write the message
 *	@s: array of characters
 *	@count: number of characters in string to write
 *	@putchar: function to write character to port
 */
void uart_console_write(struct uart_port *port, const char *s,
			unsigned int count,
			void (*putchar)(struct uart_port *, unsigned char))
{
	unsigned int i;

	for (i = 0; i < count; i++, s++) {
		if (*s == '\n')
			putchar(port, '\r');
		putchar(port, *s);
	}
}
EXPORT_SYMBOL_GPL(uart_console_write);

MODULE_DESCRIPTION("Serial driver core");
MODULE_LICENSE("GPL");
