# The runtime for a chip (or an emulated one): firmware/core + Duktape + a port + the bundles.
#
#   make -C firmware -f cross.mk BOARD=stm324xg-eval   ->  build/<board>/typeboot.{elf,bin,hex,map}
#
# The board file boards/<board>.json names its port ("port": "stm32f4" | "qemu-mps2");
# port/<port>/port.mk sets PORT_SRC (sources, relative to firmware/), PORT_CFLAGS and PORT_NET
# ("lwip" or empty); with PORT_NET=lwip, port/lwip/lwip.mk sets LWIP_SRC and LWIP_CFLAGS.
# Generated here (never committed): build/<board>/link.ld (scripts/gen-linker.mjs: flash-layout.json
# and the board's "memory"), build/<board>/bundles.c (scripts/gen-bundles.mjs: build/bundle/boot.tbbc
# and update.js), build/boards/*.h (scripts/gen-board.mjs). npm run build makes the bundles first.
# The link fails when the bootloader outgrows its sectors (the FLASH region of link.ld).

ifndef BOARD
$(error BOARD is not set: make -f cross.mk BOARD=stm324xg-eval)
endif

ROOT := $(abspath ..)
BUILD := $(ROOT)/build
OUT := $(BUILD)/$(BOARD)
GEN := $(BUILD)/boards
NODE ?= node
DUK_DIR ?= $(BUILD)/duktape
override DUK_DIR := $(abspath $(DUK_DIR))

BOARD_FILE := $(ROOT)/boards/$(BOARD).json
ifeq ($(wildcard $(BOARD_FILE)),)
$(error no board file boards/$(BOARD).json)
endif
PORT := $(shell $(NODE) -p "require('$(BOARD_FILE)').port || ''")
ifeq ($(PORT),)
$(error boards/$(BOARD).json names no "port")
endif
BOARD_ID := $(shell echo '$(BOARD)' | tr -c 'A-Za-z0-9\n' '_' | tr 'A-Z' 'a-z')
CHIP := $(shell $(NODE) -p "require('$(BOARD_FILE)').chip || ''")

# port.mk may add rules (generated headers): the default goal stays `all`.
.DEFAULT_GOAL := all
PORT_SRC :=
PORT_CFLAGS :=
PORT_NET :=
include port/$(PORT)/port.mk
LWIP_SRC :=
LWIP_CFLAGS :=
ifeq ($(PORT_NET),lwip)
include port/lwip/lwip.mk
endif

CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
SIZE := $(CROSS)size
CPU := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
OPT ?= -Os
COMMON := $(CPU) $(OPT) -g -ffunction-sections -fdata-sections -fno-common
DEFS := -DTB_CHIP_BUILD -DTB_ARENA_EXTERNAL -DTB_HAVE_FINGERPRINT_H -DTYPEBOOT_OWN_SPRINTF -DTB_BOARD_HEADER='"$(BOARD).h"' \
  -DTB_BOARD=tb_board_$(BOARD_ID)
CFLAGS_OURS := -std=c11 $(COMMON) -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP $(DEFS) \
  -Icore -Iport/$(PORT) -I$(GEN) -I$(DUK_DIR) $(PORT_CFLAGS) $(LWIP_CFLAGS)
CFLAGS_DUK := -std=gnu11 $(COMMON) -w -DTYPEBOOT_OWN_SPRINTF -I$(DUK_DIR)
CFLAGS_LWIP := -std=gnu11 $(COMMON) -w -MMD -MP $(PORT_CFLAGS) $(LWIP_CFLAGS)
LDFLAGS := $(CPU) -nostartfiles --specs=nano.specs -Wl,--gc-sections -Wl,-T,$(OUT)/link.ld \
  -Wl,-Map,$(OUT)/typeboot.map -Wl,--print-memory-usage
LDLIBS := -Wl,--start-group -lc_nano -lm -lgcc -lnosys -Wl,--end-group

CORE_SRC := $(wildcard core/*.c) duktape/typeboot_sprintf.c
OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(patsubst %.S,%.c,$(CORE_SRC) $(PORT_SRC))) \
  $(OUT)/obj/duktape.o $(OUT)/obj/bundles.o \
  $(patsubst $(BUILD)/%.c,$(OUT)/obj/%.o,$(LWIP_SRC))

.PHONY: all clean FORCE
all: $(OUT)/typeboot.bin $(OUT)/typeboot.hex

$(OUT)/typeboot.elf: $(OBJS) $(OUT)/link.ld
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)
	@$(SIZE) $@

$(OUT)/typeboot.bin: $(OUT)/typeboot.elf
	$(OBJCOPY) -O binary $< $@

$(OUT)/typeboot.hex: $(OUT)/typeboot.elf
	$(OBJCOPY) -O ihex $< $@

$(OUT)/link.ld: $(ROOT)/flash-layout.json $(BOARD_FILE) $(ROOT)/scripts/gen-linker.mjs
	$(NODE) $(ROOT)/scripts/gen-linker.mjs --board $(BOARD) --out $@

# Rebuild everything when the Duktape configuration, the flags or the board change.
$(OUT)/config.stamp: FORCE
	@mkdir -p $(OUT)
	@echo "$(DUK_DIR) $(CFLAGS_OURS) $(LDFLAGS)" > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
FORCE:

$(OUT)/bundles.c: $(BUILD)/bundle/boot.tbbc $(BUILD)/bundle/update.js $(ROOT)/scripts/gen-bundles.mjs
	$(NODE) $(ROOT)/scripts/gen-bundles.mjs --out $@

$(OUT)/obj/bundles.o: $(OUT)/bundles.c $(OUT)/config.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_OURS) -c -o $@ $<

$(OUT)/obj/duktape.o: $(DUK_DIR)/duktape.c $(OUT)/config.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_DUK) -c -o $@ $<

$(OUT)/obj/lwip/%.o: $(BUILD)/lwip/%.c $(OUT)/config.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LWIP) -c -o $@ $<

$(OUT)/obj/%.o: %.c $(OUT)/config.stamp $(GEN)/boards.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_OURS) -c -o $@ $<

$(OUT)/obj/%.o: %.S $(OUT)/config.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CPU) $(DEFS) -Iport/$(PORT) $(PORT_CFLAGS) -c -o $@ $<

$(GEN)/boards.h $(GEN)/web_assets.h: $(ROOT)/flash-layout.json $(wildcard $(ROOT)/boards/*.json) $(wildcard $(BUILD)/web/*.html) $(ROOT)/scripts/gen-board.mjs
	$(NODE) $(ROOT)/scripts/gen-board.mjs --out $(GEN) --web $(BUILD)/web
	@touch $(GEN)/boards.h $(GEN)/web_assets.h

clean:
	rm -rf $(OUT)

-include $(OBJS:.o=.d)
