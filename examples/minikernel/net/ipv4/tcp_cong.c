// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pluggable TCP congestion control support and newReno
 * congestion control.
 * Based on ideas from I/O scheduler support and Web100.
 *
 * Copyright (C) 2005 Stephen Hemminger <shemminger@osdl.org>
 *
 * (cut down: a list of algorithms, Reno, and the default: "cubic" when
 * CONFIG_TCP_CONG_CUBIC built it in, else "reno")
 */

#define pr_fmt(fmt) "TCP: " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <net/tcp.h>

/* .bss: the registered algorithms, and the default one */
static struct tcp_congestion_ops *tcp_cong_list;
static const struct tcp_congestion_ops *tcp_cong_default;

/* Simple linear search, don't expect many entries! */
const struct tcp_congestion_ops *tcp_ca_find(const char *name)
{
	struct tcp_congestion_ops *e;

	for (e = tcp_cong_list; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* A simple hash of the name: what Linux keys its algorithms by (jhash there) */
static u32 tcp_ca_key(const char *name)
{
	u32 h = 0x9e3779b9;

	while (*name)
		h = (h ^ (u8)*name++) * 0x01000193;
	return h;
}

/*
 * Attach new congestion control algorithm to the list
 * of available options.
 */
int tcp_register_congestion_control(struct tcp_congestion_ops *ca)
{
	/* all algorithms must implement these */
	if (!ca->ssthresh || !ca->undo_cwnd || !ca->cong_avoid) {
		pr_err("%s does not implement required ops\n", ca->name);
		return -EINVAL;
	}

	ca->key = tcp_ca_key(ca->name);
	if (tcp_ca_find(ca->name)) {
		pr_notice("%s already registered or non-unique key\n", ca->name);
		return -EBUSY;
	}
	ca->next = tcp_cong_list;
	tcp_cong_list = ca;
	return 0;
}
EXPORT_SYMBOL_GPL(tcp_register_congestion_control);

/*
 * Remove congestion control algorithm, called from
 * the module's remove function.  Module ref counts are used
 * to ensure that this can't be done till all sockets using
 * that method are closed.
 */
void tcp_unregister_congestion_control(struct tcp_congestion_ops *ca)
{
	struct tcp_congestion_ops **p;

	for (p = &tcp_cong_list; *p; p = &(*p)->next) {
		if (*p == ca) {
			*p = ca->next;
			break;
		}
	}
	if (tcp_cong_default == ca)
		tcp_cong_default = tcp_ca_find("reno");
}
EXPORT_SYMBOL_GPL(tcp_unregister_congestion_control);

/* Slow start is used when congestion window is no greater than the slow start
 * threshold. We base on RFC2581 and also handle stretch ACKs properly.
 * We do not implement RFC3465 Appropriate Byte Counting (ABC) per se but
 * something better;) a packet is only considered (s)acked in its entirety to
 * defend the ACK attacks described in the RFC. Slow start processes a stretch
 * ACK of degree N as if N acks of degree 1 are received back to back except
 * ABC caps N to 2. Slow start exits when cwnd grows over ssthresh and
 * returns the leftover acks to adjust cwnd in congestion avoidance mode.
 */
u32 tcp_slow_start(struct tcp_sock *tp, u32 acked)
{
	u32 cwnd = min(tp->snd_cwnd + acked, tp->snd_ssthresh);

	acked -= cwnd - tp->snd_cwnd;
	tp->snd_cwnd = min(cwnd, tp->snd_cwnd_clamp);

	return acked;
}
EXPORT_SYMBOL_GPL(tcp_slow_start);

/* In theory this is tp->snd_cwnd += 1 / tp->snd_cwnd (or alternative w),
 * for every packet that was ACKed.
 */
void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked)
{
	/* If credits accumulated at a higher w, apply them gently now. */
	if (tp->snd_cwnd_cnt >= w) {
		tp->snd_cwnd_cnt = 0;
		tp->snd_cwnd++;
	}

	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= w) {
		u32 delta = tp->snd_cwnd_cnt / w;

		tp->snd_cwnd_cnt -= delta * w;
		tp->snd_cwnd += delta;
	}
	tp->snd_cwnd = min(tp->snd_cwnd, tp->snd_cwnd_clamp);
}
EXPORT_SYMBOL_GPL(tcp_cong_avoid_ai);

/*
 * TCP Reno congestion control
 * This is special case used for fallback as well.
 */
/* This is Jacobson's slow start and congestion avoidance.
 * SIGCOMM '88, p. 328.
 */
void tcp_reno_cong_avoid(struct tcp_sock *tp, u32 ack, u32 acked)
{
	/* In "safe" area, increase. */
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	/* In dangerous area, increase slowly. */
	tcp_cong_avoid_ai(tp, tp->snd_cwnd, acked);
}
EXPORT_SYMBOL_GPL(tcp_reno_cong_avoid);

/* Slow start threshold is half the congestion window (min 2) */
u32 tcp_reno_ssthresh(struct tcp_sock *tp)
{
	return max(tp->snd_cwnd >> 1U, 2U);
}
EXPORT_SYMBOL_GPL(tcp_reno_ssthresh);

u32 tcp_reno_undo_cwnd(struct tcp_sock *tp)
{
	return max(tp->snd_cwnd, tp->prior_cwnd);
}
EXPORT_SYMBOL_GPL(tcp_reno_undo_cwnd);

static struct tcp_congestion_ops tcp_reno = {
	.name		= "reno",
	.ssthresh	= tcp_reno_ssthresh,
	.cong_avoid	= tcp_reno_cong_avoid,
	.undo_cwnd	= tcp_reno_undo_cwnd,
};

static int __init tcp_congestion_init(void)
{
	return tcp_register_congestion_control(&tcp_reno);
}
fs_initcall(tcp_congestion_init);

/* Set default value from kernel configuration at bootup */
static int __init tcp_congestion_default(void)
{
	tcp_cong_default = tcp_ca_find("cubic") ?: tcp_ca_find("reno");
	if (!tcp_cong_default)
		return -ENODEV;
	pr_info("congestion control: %s\n", tcp_cong_default->name);
	return 0;
}
late_initcall(tcp_congestion_default);
