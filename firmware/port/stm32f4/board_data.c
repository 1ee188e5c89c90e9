/* The board this build is for: build/<board>/stm32_board.h, generated from boards/<board>.json and
 * flash-layout.json by firmware/port/stm32f4/gen-board.mjs. */
#include "stm32_board.h"

#include "stm32f4.h"

const tb_stm32_board_t tb_stm32_board = TB_STM32_BOARD_INIT;
const tb_board_t *const tb_core_board = TB_CORE_BOARD;
