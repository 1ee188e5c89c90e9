# Host tests of the STM32F4 port's drivers against register-level fakes (firmware/test/stm32_fake.c):
#   make -C firmware/test -f stm32.mk       ->  build/firmware-test/test_{flash,clock,crc,jump}
# Each program prints one line per failure and a final `N passed, N failed`; test/stm32-drivers.test.mjs
# runs them. test_flash needs the generated board headers (build/boards, scripts/gen-board.mjs).
ROOT := $(abspath ../..)
OUT := $(ROOT)/build/firmware-test
CC := gcc
CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -DTB_REG_FAKE -I../core -I../port/stm32f4 -I$(ROOT)/build/boards
STM32_TESTS := $(OUT)/test_flash $(OUT)/test_clock $(OUT)/test_crc $(OUT)/test_jump

.PHONY: stm32-tests
stm32-tests: $(STM32_TESTS)

$(OUT)/test_%: test_%.c stm32_fake.c stm32_fake.h $(wildcard ../port/stm32f4/*.[ch])
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -o $@ $< stm32_fake.c $(if $(filter test_crc,$(notdir $@)),../core/crc32.c)
