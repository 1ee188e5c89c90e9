# lwIP 2.1.3 (fetched by scripts/lwip.mjs into build/lwip) for the chip builds: included by
# firmware/cross.mk when the port says PORT_NET=lwip. Sets LWIP_SRC (lwIP's files, absolute paths into
# build/lwip, compiled without warnings) and LWIP_CFLAGS; adds the glue (tb_lwip.c: the runtime's
# sockets over the raw API, our code: every warning) to PORT_SRC. The board file's "network" object
# becomes TB_NET_* definitions for the port's tb_lwip_config_t.
TB_LWIP_PORT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
LWIP_DIR := $(BUILD)/lwip
LWIP_CORE := $(LWIP_DIR)/src/core
LWIP_SRC := $(addprefix $(LWIP_CORE)/,init.c def.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
              stats.c timeouts.c udp.c tcp.c tcp_in.c tcp_out.c) \
            $(addprefix $(LWIP_CORE)/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
            $(LWIP_DIR)/src/netif/ethernet.c
PORT_SRC += port/lwip/tb_lwip.c

TB_NET = $(shell $(NODE) -p "const n = require('$(BOARD_FILE)').network || {}; String(n['$(1)'] ?? '$(2)')")
LWIP_CFLAGS := -I$(TB_LWIP_PORT) -I$(LWIP_DIR)/src/include \
  -DTB_NET_MAC='"$(call TB_NET,mac,02:00:00:00:00:01)"' \
  -DTB_NET_ADDRESS='"$(call TB_NET,staticIp,192.168.0.10)"' \
  -DTB_NET_NETMASK='"$(call TB_NET,netmask,255.255.255.0)"' \
  -DTB_NET_GATEWAY='"$(call TB_NET,gateway,0.0.0.0)"' \
  -DTB_NET_DHCP=$(if $(filter false,$(call TB_NET,dhcp,true)),0,1)
