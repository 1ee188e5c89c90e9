# The STM32F4 port (STM32F407 on the STM324xG-EVAL, STM32F429 on the Nucleo-F429ZI): included by
# firmware/cross.mk with BOARD, OUT, GEN, ROOT and NODE set.
#
#   STM32_NET   lwip: the Ethernet MAC + PHY driver (eth.c, phy.c) under the lwIP glue (port/lwip/);
#               none: no network (net_none.c). Default: lwip when both the driver and the glue are in
#               the tree, else none (and the build says so).
#
# build/<board>/stm32_board.h is generated from boards/<board>.json (pins, clock, memory, watchdog)
# by port/stm32f4/gen-board.mjs: a board change needs no C edit.

STM32_DIR := port/stm32f4
PORT_SRC := $(STM32_DIR)/startup.c $(STM32_DIR)/main.c $(STM32_DIR)/board_data.c $(STM32_DIR)/clock.c $(STM32_DIR)/flash.c \
  $(STM32_DIR)/crc.c $(STM32_DIR)/gpio.c $(STM32_DIR)/console.c $(STM32_DIR)/sys.c $(STM32_DIR)/jump.c
PORT_CFLAGS := -I$(OUT)

STM32_HAVE_NET := $(and $(wildcard $(STM32_DIR)/eth.c),$(wildcard $(STM32_DIR)/phy.c),$(wildcard port/lwip/lwip.mk))
STM32_NET ?= $(if $(STM32_HAVE_NET),lwip,none)
ifeq ($(STM32_NET),lwip)
PORT_NET := lwip
PORT_SRC += $(STM32_DIR)/net_lwip.c $(STM32_DIR)/eth.c $(STM32_DIR)/phy.c
PORT_CFLAGS += -DTB_ETH_BOARD=TB_ETH_$(shell echo '$(BOARD_ID)' | tr 'a-z' 'A-Z')
else
PORT_SRC += $(STM32_DIR)/net_none.c
$(info $(BOARD): built WITHOUT network (STM32_NET=none): the Ethernet driver or the lwIP glue is missing)
endif

$(OUT)/stm32_board.h: $(ROOT)/boards/$(BOARD).json $(ROOT)/flash-layout.json $(STM32_DIR)/gen-board.mjs
	$(NODE) $(STM32_DIR)/gen-board.mjs --board $(BOARD) --out $@

$(OUT)/obj/$(STM32_DIR)/board_data.o: $(OUT)/stm32_board.h
