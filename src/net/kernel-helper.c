/* floatd-kernel-helper: the kernel channel's helper (src/net/kernel-channel.ts). It owns the sockets Node
 * cannot open without a native addon, which a single binary cannot carry: a netlink request socket for
 * address changes, a netlink socket bound to RTMGRP_LINK for link events, and an AF_PACKET socket for
 * gratuitous ARP and neighbour advertisements. It moves bytes only: every message is encoded and decoded
 * in src/net/netlink.ts and src/net/announce-frames.ts. The line protocol is described at the top of
 * src/net/kernel-helper.ts; built by scripts/build-helper.mjs (npm run build, npm run build:binary).
 *
 * What it checks itself, because only it sees the socket: an answer belongs to the request when the
 * kernel sent it (nl_pid 0) to this socket's port id with the request's sequence number (anything else is
 * a late answer to an earlier request and is skipped); a datagram larger than the buffer is read whole
 * (its size is peeked first) and one that still comes back cut (MSG_TRUNC) is an error, never half an
 * answer; the kernel gets ANSWER_MS per read, then the request is answered with an error: a request the
 * kernel does not answer (one without NLM_F_ACK that succeeds) must not stop the channel. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

/* A kernel answer slower than this (per read) is given up: below the agent's own 1 s answer timeout, so
 * the agent hears an error rather than killing a helper that is only waiting on the kernel. */
#define ANSWER_MS 500
/* The agent's requests are a few hundred bytes; a line this long means the other end is not floatd. */
#define MAX_LINE (1 << 20)
/* Exit status when the kernel refuses the sockets (no CAP_NET_RAW, a seccomp or RestrictAddressFamilies=
 * filter): retrying will not help, and the agent uses ip(8) and arping(8) for its whole life. */
#define EXIT_REFUSED 77

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int rq, ev, pk;     /* request, link-event and packet sockets */
static uint32_t portid;    /* the request socket's netlink port id, given by the kernel at bind */
static struct buf in, out; /* stdin not yet split into lines; the line being written */
static struct buf rbuf;    /* datagrams read from a netlink socket */

static void die(int status, const char *what)
{
	fprintf(stderr, "floatd-kernel-helper: %s: %s\n", what, strerror(errno));
	exit(status);
}

static void reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	unsigned char *p = realloc(b->p, cap);
	if (!p)
		die(1, "out of memory");
	b->p = p;
	b->cap = cap;
}

static void put(struct buf *b, const void *s, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void say(const char *s)
{
	put(&out, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void puthex(struct buf *b, const unsigned char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	reserve(b, 2 * n);
	for (size_t i = 0; i < n; i++) {
		b->p[b->len++] = (unsigned char)digits[s[i] >> 4];
		b->p[b->len++] = (unsigned char)digits[s[i] & 15];
	}
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a hex word in place (the bytes take half its room); its length, or -1 when it is not hex. */
static ssize_t unhex(char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = nibble(s[i]), lo = nibble(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		s[i / 2] = (char)(hi << 4 | lo);
	}
	return (ssize_t)(n / 2);
}

/* Writes the finished line to stdout; an agent that stopped reading is gone, and so is its helper. */
static void flush_line(void)
{
	put(&out, "\n", 1);
	for (size_t at = 0; at < out.len;) {
		ssize_t w = write(1, out.p + at, out.len - at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(0);
		at += (size_t)w;
	}
	out.len = 0;
}

/* One whole datagram from a netlink socket into rbuf: its length, or -1 with errno (EMSGSIZE when it came
 * back cut all the same). The peek with MSG_TRUNC gives the datagram's full size without taking it. */
static ssize_t recv_whole(int fd, uint32_t *from)
{
	ssize_t size;
	do
		size = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (size < 0 && errno == EINTR);
	if (size < 0)
		return -1;
	reserve(&rbuf, (size_t)size + 1);
	struct sockaddr_nl sender = { 0 };
	struct iovec iov = { rbuf.p, rbuf.cap };
	struct msghdr m = { .msg_name = &sender, .msg_namelen = sizeof sender, .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t got;
	do
		got = recvmsg(fd, &m, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	if (m.msg_flags & MSG_TRUNC) {
		errno = EMSGSIZE;
		return -1;
	}
	*from = sender.nl_pid;
	return got;
}

/* Sends one netlink request and collects the messages of its answer, up to the acknowledgement or the end
 * of the dump, into `out` as "N <hex>", or "N! <why>". Returns the acknowledgement's error field (0: the
 * kernel did it), or 1 when there is none. */
static int ask(const unsigned char *req, size_t n)
{
	struct nlmsghdr h;
	if (n < sizeof h) {
		putf(&out, "N! request shorter than a netlink header (%zu bytes)", n);
		return 1;
	}
	memcpy(&h, req, sizeof h);
	if (h.nlmsg_len != n) {
		putf(&out, "N! request of %zu bytes says it has %u", n, h.nlmsg_len);
		return 1;
	}
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(rq, req, n, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		putf(&out, "N! %s", strerror(errno));
		return 1;
	}
	size_t start = out.len;
	say("N ");
	for (;;) {
		struct pollfd p = { .fd = rq, .events = POLLIN };
		int r = poll(&p, 1, ANSWER_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			out.len = start;
			putf(&out, "N! no answer from the kernel within %d ms", ANSWER_MS);
			return 1;
		}
		uint32_t from;
		ssize_t got = recv_whole(rq, &from);
		if (got < 0) {
			out.len = start;
			putf(&out, "N! %s", errno == EMSGSIZE ? "answer truncated" : strerror(errno));
			return 1;
		}
		if (from != 0)
			continue; /* not the kernel's */
		int len = (int)got;
		for (struct nlmsghdr *m = (struct nlmsghdr *)rbuf.p; NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
			if (m->nlmsg_seq != h.nlmsg_seq || m->nlmsg_pid != portid)
				continue; /* a late answer to an earlier request */
			puthex(&out, (const unsigned char *)m, m->nlmsg_len);
			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;
				if (m->nlmsg_len < NLMSG_LENGTH(sizeof e.error))
					return 1;
				memcpy(&e.error, NLMSG_DATA(m), sizeof e.error);
				return e.error;
			}
		}
		if (len > 0) {
			out.len = start;
			say("N! malformed answer from the kernel");
			return 1;
		}
	}
}

/* Sends one Ethernet frame (hex, in place) out of interface `ifindex`: "P" or "P! <why>". */
static void frame(const char *ifindex, char *hex)
{
	char *end;
	long index = ifindex ? strtol(ifindex, &end, 10) : 0;
	if (!ifindex || *end || index <= 0 || index > INT32_MAX) {
		say("P! bad interface index");
		return;
	}
	ssize_t n = hex ? unhex(hex) : -1;
	if (n < 14) {
		say(n < 0 ? "P! frame is not hex" : "P! frame shorter than an Ethernet header");
		return;
	}
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = (int)index };
	memcpy(&to.sll_protocol, hex + 12, 2); /* the EtherType, in network order as on the wire */
	if (sendto(pk, hex, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) < 0)
		putf(&out, "P! %s", strerror(errno));
	else
		say("P");
}

/* One request line, split on spaces in place. */
static void request(char *line)
{
	char *w[64];
	size_t k = 0;
	for (char *s = strtok(line, " "); s && k < sizeof w / sizeof *w; s = strtok(NULL, " "))
		w[k++] = s;
	if (k >= 2 && strcmp(w[0], "N") == 0) {
		ssize_t n = unhex(w[1]);
		if (n < 0)
			say("N! request is not hex");
		else
			ask((unsigned char *)w[1], (size_t)n);
	} else if (k >= 3 && strcmp(w[0], "P") == 0) {
		frame(w[1], w[2]);
	} else if (k >= 3 && strcmp(w[0], "A") == 0) {
		ssize_t n = unhex(w[2]);
		if (n < 0) {
			say("N! request is not hex");
		} else if (ask((unsigned char *)w[2], (size_t)n) == 0) {
			/* The address is on: its announcement leaves now, without a round trip through the agent.
			 * A frame that cannot leave is the announcer's to retry, so its answer is dropped. */
			size_t answer = out.len;
			for (size_t i = 3; i < k; i++) {
				frame(w[1], w[i]);
				out.len = answer;
			}
		}
	} else {
		say("X! unknown request");
	}
	flush_line();
}

/* One read of link events: "E <hex>", or "E! <why>" when some were lost (ENOBUFS: the agent looks again). */
static void events(void)
{
	uint32_t from;
	ssize_t got = recv_whole(ev, &from);
	if (got < 0)
		putf(&out, "E! %s", errno == EMSGSIZE ? "event truncated" : strerror(errno));
	else if (from != 0)
		return; /* only the kernel speaks for the links */
	else {
		say("E ");
		puthex(&out, rbuf.p, (size_t)got);
	}
	flush_line();
}

static int open_socket(int family, int protocol, const char *what)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		die(errno == EPERM || errno == EACCES || errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ? EXIT_REFUSED : 1, what);
	return fd;
}

int main(void)
{
	/* Dies with the agent however it ends (the end of stdin says the same, later), and ignores what is
	 * meant for the agent: a Ctrl-C or a signal to the process group must not take the VIP's channel away
	 * while the agent still releases it. An agent that died before the prctl left a closed stdin. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	rq = open_socket(AF_NETLINK, NETLINK_ROUTE, "netlink socket");
	/* The kernel's reason in words with an error (NLMSGERR_ATTR_MSG), where it has one (Linux >= 4.12). */
	int on = 1;
	setsockopt(rq, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	socklen_t melen = sizeof me;
	if (bind(rq, (struct sockaddr *)&me, sizeof me) < 0 || getsockname(rq, (struct sockaddr *)&me, &melen) < 0)
		die(1, "netlink bind");
	portid = me.nl_pid;
	ev = open_socket(AF_NETLINK, NETLINK_ROUTE, "netlink socket");
	struct sockaddr_nl links = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (bind(ev, (struct sockaddr *)&links, sizeof links) < 0)
		die(errno == EPERM ? EXIT_REFUSED : 1, "netlink bind to link events");
	/* Protocol 0: the packet socket only sends, it receives nothing. */
	pk = open_socket(AF_PACKET, 0, "packet socket");
	say("R");
	flush_line();

	struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = ev, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die(1, "poll");
		}
		if (fds[1].revents & POLLIN)
			events();
		if (!fds[0].revents)
			continue;
		reserve(&in, 65536);
		ssize_t got = read(0, in.p + in.len, in.cap - in.len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return 0; /* the agent is gone */
		in.len += (size_t)got;
		size_t done = 0;
		for (unsigned char *nl; (nl = memchr(in.p + done, '\n', in.len - done)); done = (size_t)(nl - in.p) + 1) {
			*nl = 0;
			request((char *)in.p + done);
		}
		memmove(in.p, in.p + done, in.len - done);
		in.len -= done;
		if (in.len > MAX_LINE) {
			fprintf(stderr, "floatd-kernel-helper: a request line longer than %d bytes\n", MAX_LINE);
			return 2;
		}
	}
}
