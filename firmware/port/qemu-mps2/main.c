/*
 * qemu-mps2 main: console, clock, the flash and the state kept across resets, lwIP on the LAN9118,
 * then the runtime at every reset (CROSS.md): JUMP starts the application, RESET resets the machine,
 * FATAL waits a second and resets. Before leaving, the memory high-water marks of the run are printed
 * (the figures of `npm run bench`).
 */
#include <string.h>

#include "arena.h"
#include "mps2.h"
#include "port.h"
#include "qemu_mps2.h"
#include "runtime.h"
#include "tb_lwip.h"
#include TB_BOARD_HEADER

extern uint32_t _estack[], _stack_size[], _heap_sram_start[], _heap_sram_end[], _ccm_start[], _ccm_end[];

#define STACK_PAINT 0x57AC57ACu

static uint32_t *stack_bottom(void) { return (uint32_t *)(void *)((uintptr_t)_estack - (uintptr_t)_stack_size); }

/* Fill the unused stack with a pattern: the high-water mark is where it stops. */
static void paint_stack(void) {
  uint32_t *sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *p = stack_bottom(); p < sp - 16; p++) *p = STACK_PAINT;
}

static uint32_t stack_high_water(void) {
  uint32_t *p = stack_bottom();
  while (p < _estack && *p == STACK_PAINT) p++;
  return (uint32_t)((uintptr_t)_estack - (uintptr_t)p);
}

static void report(const char *what) {
  tb_arena_stats_t a;
  tb_arena_stats(&a);
  tb_lwip_memory_t m;
  tb_lwip_memory(&m);
  tb_console_printf("mps2: %s; high-water: JS heap %lu of %lu bytes, lwIP heap %lu of %lu + pools %lu of %lu bytes (%lu frame pbufs), C stack %lu of %lu bytes\n",
                      what, (unsigned long)a.peak_all, (unsigned long)a.size, (unsigned long)m.heap_max,
                      (unsigned long)m.heap_size, (unsigned long)m.pools_max, (unsigned long)m.pools_size, (unsigned long)m.pool_pbuf_max,
                      (unsigned long)stack_high_water(), (unsigned long)(uintptr_t)_stack_size);
  tb_console_printf("mps2: busy %lu instructions since reset (%lu asleep)\n",
                      (unsigned long)((mps2_ticks() - mps2_idle_ticks()) * MPS2_INSTRUCTIONS_PER_TICK),
                      (unsigned long)(mps2_idle_ticks() * MPS2_INSTRUCTIONS_PER_TICK));
}

static void parse_mac(const char *s, uint8_t mac[6]) {
  for (int i = 0; i < 6; i++) {
    unsigned v = 0;
    for (int k = 0; k < 2 && *s; k++, s++) v = v * 16u + (unsigned)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
    mac[i] = (uint8_t)v;
    if (*s == ':') s++;
  }
}

__attribute__((noreturn)) static void start_application(uint32_t vtor) {
  mps2_lan9118_stop();
  TIMER_CTRL(TIMER1_BASE) = 0;
  NVIC_ICER0 = 0xFFFFFFFFu;
  NVIC_ICPR0 = 0xFFFFFFFFu;
  SCB_VTOR = vtor;
  uint32_t sp = ((const uint32_t *)(uintptr_t)vtor)[0], pc = ((const uint32_t *)(uintptr_t)vtor)[1];
  __asm volatile("dsb\n isb\n msr msp, %0\n cpsie i\n bx %1" : : "r"(sp), "r"(pc) : "memory");
  __builtin_unreachable();
}

int main(void) {
  paint_stack();
  mps2_console_init();
  mps2_clock_start();
  const tb_board_t *board = &TB_BOARD;
  int power_on = MPS2_BACKUP->magic != MPS2_BACKUP_MAGIC;
  if (power_on) {
    MPS2_BACKUP->magic = MPS2_BACKUP_MAGIC;
    MPS2_BACKUP->request = 0;
    MPS2_BACKUP->boots = 0;
  }
  MPS2_BACKUP->boots++;
  mps2_flash_init(board, power_on);
  uint32_t main_size = (uint32_t)((uintptr_t)_heap_sram_end - (uintptr_t)_heap_sram_start);
  uint32_t extra_size = (uint32_t)((uintptr_t)_ccm_end - (uintptr_t)_ccm_start);
  tb_arena_set_regions(_heap_sram_start, main_size, _ccm_start, extra_size);
  tb_console_printf("mps2: %s, boot %lu%s, JS heap %lu + %lu bytes\n", board->name, (unsigned long)MPS2_BACKUP->boots,
                      power_on ? " (power-on: flash formatted)" : "", (unsigned long)main_size, (unsigned long)extra_size);

  static tb_lwip_config_t net;
  net.dev = &mps2_lan9118;
  parse_mac(TB_NET_MAC, net.mac);
  net.hostname = board->name;
  net.address = TB_NET_ADDRESS;
  net.netmask = TB_NET_NETMASK;
  net.gateway = TB_NET_GATEWAY;
  net.dhcp = TB_NET_DHCP;
  net.idle = mps2_idle;
  if (tb_lwip_init(&net) == TB_OK) {
    NVIC_ISER0 = 1u << TIMER1_IRQ | 1u << LAN9118_IRQ; /* wake-up sources of the idle wait (never taken) */
  }

  static tb_config_t cfg;
  tb_chip_config(&cfg, board);
  cfg.user = mps2_config("user");
  cfg.password = mps2_config("password");
  cfg.heap_size = main_size; /* the extra (CCM-plan) region is added by the arena when the main one runs out */
  const char *mode = mps2_config("mode");
  if (mode && !strcmp(mode, "staged") && board->modes[TB_MODE_STAGED].present) cfg.mode = TB_MODE_STAGED;
  if (mode && !strcmp(mode, "direct")) cfg.mode = TB_MODE_DIRECT;

  tb_exit_t e = tb_runtime_run(&cfg);
  if (e.kind == TB_EXIT_JUMP) {
    report("start the application");
    start_application(e.addr);
  }
  if (e.kind == TB_EXIT_RESET) report("reset");
  else {
    report("nothing runs");
    tb_console_printf("mps2: %s; reset in 1 s\n", tb_runtime_last_error());
    tb_port_poll(NULL, 0, 1000);
  }
  mps2_system_reset();
}
