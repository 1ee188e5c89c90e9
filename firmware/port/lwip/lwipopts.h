/*
 * lwIP 2.1.3 configuration of TypeBoot's chip builds (STM32F4 ETH, QEMU mps2-an386 LAN9118): NO_SYS=1
 * and the raw API under the runtime's sockets (tb_lwip.c); IPv4, ARP, ICMP, UDP, TCP, DHCP.
 *
 * RAM (the F407 plan: 128 KB SRAM + 64 KB CCM, of which the JS heap takes most): about 24 KB static,
 * all of it in SRAM (pbufs are what the Ethernet DMA reads and writes). The pools are sized for what
 * the update servers do: a TFTP session with a window of up to 8 blocks (atftp windowsize), one HTTP
 * upload at a time plus a few short requests, DHCP.
 */
#ifndef TB_LWIPOPTS_H
#define TB_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_TIMERS 1
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define SYS_LIGHTWEIGHT_PROT 0 /* no interrupt handler touches lwIP: everything runs in the poll */

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_REASSEMBLY 0 /* TFTP blocks of 1468 bytes fit one frame; nothing needs fragments */
#define IP_FRAG 0
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_SINGLE_NETIF 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0 /* the static fallback must not wait seconds for ARP probes */
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 6
#define ARP_QUEUEING 0
#define ETH_PAD_SIZE 0

/* ---- memory ---- */
#define MEM_ALIGNMENT 4
#define MEM_SIZE (8 * 1024)     /* PBUF_RAM: outgoing TCP segments (HTTP pages), ACKs, small copies of received data */
#define MEMP_NUM_PBUF 8         /* PBUF_REF/ROM */
#define MEMP_NUM_UDP_PCB 6      /* DHCP, the TFTP server, its sessions */
#define MEMP_NUM_TCP_PCB 6      /* HTTP connections (a browser opens several) */
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_REASSDATA 0
#define MEMP_NUM_FRAG_PBUF 0
#define MEMP_NUM_ARP_QUEUE 0
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
/* Received frames: one pool pbuf holds a whole frame (the driver copies the frame straight into it). */
#define PBUF_POOL_SIZE 10
#define PBUF_POOL_BUFSIZE LWIP_MEM_ALIGN_SIZE(1520)

/* ---- TCP: fast uploads with little RAM ---- */
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS) /* 4 full frames in flight from the uploader; 4 pool pbufs at most */
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* Every queued segment needs a tcp_seg: at least TCP_SND_QUEUELEN (lwIP's sanity check), plus the
 * segments of the other connections' queues. */
#define MEMP_NUM_TCP_SEG (TCP_SND_QUEUELEN + 4)
#define TCP_QUEUE_OOSEQ 0 /* no out-of-order queue: a lost segment is retransmitted (saves pool pbufs) */
#define SO_REUSE 1 /* listen again on :80 while old connections are in TIME_WAIT (update mode restarts) */
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 4
#define LWIP_TCP_KEEPALIVE 0
#define TCP_OVERSIZE TCP_MSS
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_MSL 2000UL /* TIME_WAIT of 4 s instead of 2 min: PCBs come back quickly on a small pool */

/* ---- checksums (software: neither the LAN9118 model nor our ETH driver offloads them) ---- */
#define LWIP_CHKSUM_ALGORITHM 3
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

/* ---- statistics: the memory high-water figures (tb_lwip_memory()) ---- */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define LINK_STATS 1
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define SYS_STATS 0

#define LWIP_NETIF_HOSTNAME 1
#define LWIP_DEBUG 0
#define LWIP_PROVIDE_ERRNO 1

/* Randomness for DHCP transaction ids and TCP initial sequence numbers. */
#include <stdint.h>
uint32_t tb_port_random32(void);
#define LWIP_RAND() ((u32_t)tb_port_random32())

#endif
