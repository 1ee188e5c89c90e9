# lwIP 2.1.3 (fetched by scripts/lwip.mjs into build/lwip) for the chip builds: included by
# firmware/cross.mk when the port says PORT_NET=lwip. Sets LWIP_SRC (absolute paths) and LWIP_CFLAGS.
# The glue (tb_lwip.c: the runtime's sockets over the raw API) is part of LWIP_SRC.
TB_LWIP_PORT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
LWIP_DIR ?= $(abspath $(TB_LWIP_PORT)/../../../build/lwip)
LWIP_CORE := $(LWIP_DIR)/src/core
LWIP_SRC := $(addprefix $(LWIP_CORE)/,init.c def.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
              stats.c timeouts.c udp.c tcp.c tcp_in.c tcp_out.c) \
            $(addprefix $(LWIP_CORE)/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
            $(LWIP_DIR)/src/netif/ethernet.c \
            $(TB_LWIP_PORT)/tb_lwip.c
# lwIP's own files are not -Wextra clean: they get -w through LWIP_NOWARN (cross.mk applies it to
# the files under LWIP_DIR); the glue is ours and keeps every warning.
LWIP_CFLAGS := -I$(TB_LWIP_PORT) -I$(LWIP_DIR)/src/include
