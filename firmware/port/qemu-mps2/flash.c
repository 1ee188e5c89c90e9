/*
 * The STM324xG-EVAL's flash (STM32F407IG sector map, same offsets from the base) emulated in RAM
 * with NOR semantics: erase sets a whole sector to 0xFF, programming writes 32-bit words at aligned
 * addresses into erased words only, the bootloader's sectors refuse both. It lives in SSRAM1 from
 * address 0, where the bootloader itself is loaded: QEMU reloads the ELF's segments at every reset
 * (the bootloader's sectors), the rest of RAM keeps its contents, so an update survives the reset
 * into the application. After power-on (the backup block's magic is missing) the sectors outside the
 * bootloader are formatted to 0xFF.
 *
 * The core reads flash through tb_port_flash_memory(): the SSRAM1 mirror at 0x00400000, the same
 * bytes as address 0 without a pointer that compares equal to NULL.
 */
#include <string.h>

#include "mps2.h"
#include "port.h"
#include "qemu_mps2.h"

#define FLASH_VIEW 0x00400000u /* QEMU's alias of SSRAM1 */
#define STATUS_VALID 0x1C0u
#define MARK_VALID 0x44494C56u

static const tb_board_t *B;
static uint64_t first_write_busy;
static uint32_t bytes_programmed;
static int measuring;

static uint8_t *at(uint32_t addr) { return (uint8_t *)(uintptr_t)(FLASH_VIEW + (addr - B->flash_base)); }

static uint64_t busy(void) { return mps2_ticks() - mps2_idle_ticks(); }

void mps2_flash_init(const tb_board_t *board, int power_on) {
  B = board;
  if (!power_on) return;
  uint32_t boot_end = B->bootloader.addr + B->bootloader.size;
  memset(at(boot_end), 0xFF, B->flash_base + B->flash_size - boot_end);
}

const uint8_t *tb_port_flash_memory(void) { return (const uint8_t *)(uintptr_t)FLASH_VIEW; }

/* The measurement starts at the first flash operation of an upload (its first block). */
static void start_measuring(void) {
  if (measuring) return;
  measuring = 1;
  bytes_programmed = 0;
  first_write_busy = busy();
}

static int slot_start(uint32_t addr) {
  for (int m = 0; m < 2; m++) {
    const tb_layout_t *l = &B->modes[m];
    if (l->present && (addr == l->app.addr || (l->staging.size && addr == l->staging.addr))) return 1;
  }
  return 0;
}

static int protected_range(uint32_t addr, uint32_t length) {
  return addr < B->bootloader.addr + B->bootloader.size && addr + length > B->bootloader.addr;
}

int tb_port_flash_erase(uint32_t addr) {
  if (addr < B->flash_base || addr - B->flash_base >= B->flash_size) return TB_ERANGE;
  for (unsigned i = 0; i < B->nsectors; i++) {
    const tb_sector_t *s = &B->sectors[i];
    if (addr < s->addr || addr - s->addr >= s->size) continue;
    if (protected_range(s->addr, s->size)) return TB_EPROTECT;
    start_measuring();
    memset(at(s->addr), 0xFF, s->size);
    return TB_OK;
  }
  return TB_ERANGE;
}

int tb_port_flash_program(uint32_t addr, const uint8_t *data, uint32_t length) {
  if (addr < B->flash_base || addr - B->flash_base > B->flash_size || length > B->flash_base + B->flash_size - addr) return TB_ERANGE;
  if ((addr | length) & 3u) return TB_EALIGN;
  if (protected_range(addr, length)) return TB_EPROTECT;
  uint32_t *dst = (uint32_t *)(void *)at(addr);
  for (uint32_t i = 0; i < length / 4u; i++)
    if (dst[i] != 0xFFFFFFFFu) return TB_ENOTERASED; /* checked first: a refused write changes nothing */
  start_measuring();
  memcpy(dst, data, length);
  bytes_programmed += length;
  /* The image's valid mark ends an upload: the figure for instructions per payload byte. */
  if (length == 4 && dst[0] == MARK_VALID && slot_start(addr - STATUS_VALID)) {
    uint64_t n = (busy() - first_write_busy) * MPS2_INSTRUCTIONS_PER_TICK;
    tb_console_printf("mps2: upload programmed %lu bytes, %lu busy instructions from its first flash operation to the valid mark\n",
                        (unsigned long)bytes_programmed, (unsigned long)n);
    measuring = 0;
  }
  return TB_OK;
}
