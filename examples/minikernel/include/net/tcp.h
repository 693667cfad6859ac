/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INET		An implementation of the TCP/IP protocol suite for the LINUX
 *		operating system.  INET is implemented using the  BSD Socket
 *		interface as the means of communication with the user level.
 *
 *		Definitions for the TCP module.
 *
 * (cut down to the congestion control interface: net/ipv4/tcp_cong.c
 * registers the algorithms, net/ipv4/tcp_cubic.c is one)
 */
#ifndef _TCP_H
#define _TCP_H

#include <linux/types.h>

#define TCP_CA_NAME_MAX		16
#define TCP_INFINITE_SSTHRESH	0x7fffffff
#define ICSK_CA_PRIV_SIZE	(13 * sizeof(u64))

struct tcp_sock {
	u32	snd_cwnd;	/* Sending congestion window		*/
	u32	snd_cwnd_cnt;	/* Linear increase counter		*/
	u32	snd_cwnd_clamp;	/* Do not allow snd_cwnd to grow above this */
	u32	snd_ssthresh;	/* Slow start size threshold		*/
	u32	prior_cwnd;	/* cwnd right before starting loss recovery */
	u32	tcp_mstamp;	/* most recent packet received/sent, in ms */
	u32	srtt_us;	/* smoothed round trip time << 3 in usecs */
	u64	icsk_ca_priv[ICSK_CA_PRIV_SIZE / sizeof(u64)];
};

struct tcp_congestion_ops {
	struct tcp_congestion_ops *next;
	u32 key;
	u32 flags;

	/* initialize private data (optional) */
	void (*init)(struct tcp_sock *tp);
	/* return slow start threshold (required) */
	u32 (*ssthresh)(struct tcp_sock *tp);
	/* do new cwnd calculation (required) */
	void (*cong_avoid)(struct tcp_sock *tp, u32 ack, u32 acked);
	/* new value of cwnd after loss (required) */
	u32  (*undo_cwnd)(struct tcp_sock *tp);

	char name[TCP_CA_NAME_MAX];
};

static inline void *inet_csk_ca(struct tcp_sock *tp)
{
	return (void *)tp->icsk_ca_priv;
}

static inline bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tp->snd_cwnd < tp->snd_ssthresh;
}

int tcp_register_congestion_control(struct tcp_congestion_ops *type);
void tcp_unregister_congestion_control(struct tcp_congestion_ops *type);
const struct tcp_congestion_ops *tcp_ca_find(const char *name);

u32 tcp_slow_start(struct tcp_sock *tp, u32 acked);
void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked);

u32 tcp_reno_ssthresh(struct tcp_sock *tp);
u32 tcp_reno_undo_cwnd(struct tcp_sock *tp);
void tcp_reno_cong_avoid(struct tcp_sock *tp, u32 ack, u32 acked);

#endif	/* _TCP_H */
