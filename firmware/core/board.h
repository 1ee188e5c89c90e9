/*
 * Board description, as scripts/gen-board.mjs generates it from flash-layout.json and boards/NAME.json
 * (build/boards/<board>.h). The core reads it for the Flash module (sector map, protection) and
 * Boot.board(); a port reads it for the flash geometry and datasheet timing.
 */
#ifndef TB_BOARD_H
#define TB_BOARD_H

#include <stdint.h>

typedef struct {
  uint32_t addr;
  uint32_t size; /* 0: the region does not exist */
} tb_region_t;

typedef struct {
  uint32_t addr;
  uint32_t size;
  uint16_t erase_ms; /* datasheet typical erase time */
} tb_sector_t;

enum { TB_MODE_DIRECT = 0, TB_MODE_STAGED = 1 };

typedef struct {
  uint8_t present;
  tb_region_t app;
  tb_region_t staging;
  tb_region_t scratch;
  tb_region_t record; /* staged mode: the boot-state log (swap progress) */
} tb_layout_t;

typedef struct {
  const char *name;
  const char *title;
  const char *chip;
  uint32_t id;
  uint32_t flash_base;
  uint32_t flash_size;
  uint32_t header_size;
  uint32_t trial_attempts;
  uint32_t word_program_us;
  uint8_t default_mode;
  uint8_t nleds;
  /* 1: the boot policy checks the payload CRC of every image it considers at every boot; 0: of every
   * image it installs or trial-boots, while a confirmed image runs on its marks and header CRC
   * (boards/<board>.json "verifyAtBoot": "always" | "unconfirmed"). */
  uint8_t verify_every_boot;
  uint16_t nsectors;
  const tb_sector_t *sectors;
  tb_region_t bootloader;
  tb_layout_t modes[2]; /* indexed by TB_MODE_* */
} tb_board_t;

/* A static web asset (a page of build/web/), embedded by scripts/gen-board.mjs. */
typedef struct {
  const char *name;
  const uint8_t *data;
  uint32_t length;
} tb_asset_t;

#endif
