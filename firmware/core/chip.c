/*
 * What every chip port's main() hands the runtime alike: the board, its default update mode, the
 * bundles and web pages compiled into the image, the standard TFTP and HTTP ports, reboot after a
 * good update. Only chip builds (cross.mk defines TB_CHIP_BUILD) have build/<board>/bundles.c.
 */
#include "runtime.h"

#if defined(TB_CHIP_BUILD)
#include <string.h>

#include "bundles.h"
#include "web_assets.h"

void tb_chip_config(tb_config_t *cfg, const tb_board_t *board) {
  memset(cfg, 0, sizeof *cfg);
  cfg->board = board;
  cfg->mode = board->default_mode;
  cfg->boot_bundle = tb_bundle_boot;
  cfg->boot_length = tb_bundle_boot_len;
  cfg->update_bundle = tb_bundle_update;
  cfg->update_length = tb_bundle_update_len;
  cfg->assets = tb_assets;
  cfg->nassets = TB_NASSETS;
  cfg->tftp_port = 69;
  cfg->http_port = 80;
  cfg->reboot_after_update = 1;
}
#else
typedef int tb_chip_config_is_for_chip_builds; /* the host simulator fills its own from the command line */
#endif
