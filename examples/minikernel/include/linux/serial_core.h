/* SPDX-License-Identifier: GPL-2.0+ */
#ifndef LINUX_SERIAL_CORE_H
#define LINUX_SERIAL_CORE_H

#include <linux/types.h>

struct uart_port;

/*
 * This structure describes all the operations that can be done on the
 * physical hardware.
 */
struct uart_ops {
	unsigned int	(*tx_empty)(struct uart_port *);
	void		(*stop_tx)(struct uart_port *);
	void		(*start_tx)(struct uart_port *);
	int		(*startup)(struct uart_port *);
	void		(*shutdown)(struct uart_port *);
	const char	*(*type)(struct uart_port *);
};

struct uart_port {
	unsigned long		iobase;		/* in/out[bwl] */
	unsigned int		irq;		/* irq number */
	unsigned int		uartclk;	/* base uart clock */
	unsigned int		fifosize;	/* tx fifo size */
	unsigned int		line;		/* port index */
	unsigned int		type;		/* port type */
	unsigned long		icount_tx;
	unsigned long		icount_rx;
	const struct uart_ops	*ops;
};

int uart_mini_write(struct uart_port *port, const char *s, unsigned int count);

/*
 * The serial core (drivers/serial/serial_core.c): drivers that use it select
 * SERIAL_CORE, as in Linux.
 */
struct uart_driver {
	const char		*driver_name;
	const char		*dev_name;
	int			 major;
	int			 minor;
	int			 nr;
	struct uart_port	**ports;
	unsigned int		 nr_active;
};

int uart_register_driver(struct uart_driver *uart);
void uart_unregister_driver(struct uart_driver *uart);
int uart_add_one_port(struct uart_driver *reg, struct uart_port *port);
int uart_remove_one_port(struct uart_driver *reg, struct uart_port *port);
unsigned int uart_get_divisor(struct uart_port *port, unsigned int baud);
void uart_console_write(struct uart_port *port, const char *s,
			unsigned int count,
			void (*putchar)(struct uart_port *, unsigned char));

#endif /* LINUX_SERIAL_CORE_H */
