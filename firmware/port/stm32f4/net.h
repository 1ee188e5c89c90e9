/* The network side of the port: net_lwip.c (Ethernet MAC + PHY under the lwIP glue) or, in a build
 * with STM32_NET=none, net_none.c (no network: update mode cannot be reached over Ethernet). */
#ifndef TB_STM32_NET_H
#define TB_STM32_NET_H

#include <stdint.h>

/* Before the runtime starts: bring the interface up (bounded: a missing PHY is reported, not waited for). */
void tb_net_init(uint32_t hclk_hz);

#endif
