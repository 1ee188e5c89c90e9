/*
 * The checks before starting an application (port/stm32f4/jump.c tb_app_check) on the vector tables
 * a user's build can have: a GCC stack at the very top of SRAM (which ST's IAP example rejects), in
 * CCM, outside RAM, unaligned; a reset vector without the Thumb bit or outside the slot; a table
 * outside the slot or not VTOR-aligned.
 * Build: make -C firmware/test test_jump (firmware/test/Makefile)
 */
#include <string.h>

#include "../port/stm32f4/jump.c"
#include "stm32_fake.h"

/* what jump.c's tb_app_start needs (not run here) */
void tb_wdg_kick(void) {}
void tb_systick_stop(void) {}
void tb_clock_deinit(void) {}

static const tb_mem_t ram = {0x20000000u, 128 * 1024}, ccm = {0x10000000u, 64 * 1024};
#define SLOT 0x08040000u
#define SIZE (768u * 1024u)
#define VT (SLOT + 0x200u)

static const char *with(uint32_t sp, uint32_t pc, uint32_t vt) {
  *fake_word(vt) = sp;
  *fake_word(vt + 4) = pc;
  return tb_app_check(vt, SLOT, SIZE, &ram, &ccm);
}

int main(void) {
  CHECK(!with(0x20020000u, VT + 0x1C1u, VT), "stack at the top of SRAM (GCC's _estack) accepted");
  CHECK(!with(0x2001FFF0u, VT + 0x101u, VT), "stack inside SRAM accepted");
  CHECK(!with(0x10010000u, VT + 0x101u, VT), "stack at the top of CCM accepted");
  CHECK(with(0x20020004u, VT + 0x101u, VT) != 0, "stack above SRAM refused");
  CHECK(with(0x2001FFF2u, VT + 0x101u, VT) != 0, "unaligned stack refused");
  CHECK(with(0xFFFFFFFFu, 0xFFFFFFFFu, VT) != 0, "erased flash refused");
  CHECK(with(0x00000000u, 0x00000000u, VT) != 0, "zeros (QEMU's unwritten flash) refused");
  CHECK(with(0x20020000u, VT + 0x100u, VT) != 0, "reset vector without the Thumb bit refused");
  CHECK(with(0x20020000u, 0x08000101u, VT) != 0, "reset vector into the bootloader refused");
  CHECK(with(0x20020000u, SLOT + SIZE + 1u, VT) != 0, "reset vector beyond the slot refused");
  CHECK(with(0x20020000u, VT + 0x101u, VT + 0x80u) != 0, "vector table not 512-byte aligned refused");
  CHECK(tb_app_check(0x08020200u, SLOT, SIZE, &ram, &ccm) != 0, "vector table in the bootloader refused");
  CHECK(tb_app_check(SLOT + SIZE, SLOT, SIZE, &ram, &ccm) != 0, "vector table past the slot refused");
  return check_summary();
}
