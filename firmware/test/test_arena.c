/*
 * The JS heap allocator over two regions (firmware/core/arena.c built as a chip port builds it):
 * the extra region stays untouched until the main one is exhausted, blocks never cross regions,
 * frees coalesce within a region, and the consistency check holds after a random workload.
 * Build: cc -std=c11 -Wall -Wextra -Werror -Ifirmware/core firmware/test/test_arena.c
 */
#define TB_ARENA_EXTERNAL 1
#define TB_HEAP_SIZE 0
#define TB_ARENA_CAPACITY 0
#include "../core/arena.c"

#include "check.h"

static uint64_t main_mem[2048 / 8], extra_mem[8192 / 8];

static int in(void *p, void *base, size_t size) { return (uint8_t *)p >= (uint8_t *)base && (uint8_t *)p < (uint8_t *)base + size; }

static uint32_t rng = 12345;
static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

int main(void) {
  memset(extra_mem, 0xA5, sizeof extra_mem);
  tb_arena_set_regions(main_mem, sizeof main_mem, extra_mem, sizeof extra_mem);
  tb_arena_reset();
  check(tb_arena_size() == sizeof main_mem + sizeof extra_mem, "size counts both regions");

  void *small[40];
  unsigned n = 0;
  int untouched = 1;
  for (; n < 40; n++) {
    small[n] = tb_arena_alloc(NULL, 80);
    if (!small[n] || !in(small[n], main_mem, sizeof main_mem)) break;
    for (size_t i = 0; i < sizeof extra_mem; i++) untouched &= ((uint8_t *)extra_mem)[i] == 0xA5;
  }
  check(n > 15 && n < 40, "allocations come from the main region until it is full");
  check(untouched, "the extra region is untouched while the main one suffices");
  check(small[n] && in(small[n], extra_mem, sizeof extra_mem), "the next allocation formats and uses the extra region");
  check(tb_arena_check() == 0, "consistent after spilling into the extra region");

  void *big = tb_arena_alloc(NULL, 6000);
  check(big && in(big, extra_mem, sizeof extra_mem), "a block larger than the main region comes from the extra one");
  check(tb_arena_alloc(NULL, 9000) == NULL, "a block larger than either region is refused (no block spans both)");
  tb_arena_free(NULL, big);
  for (unsigned i = 0; i <= n; i++) tb_arena_free(NULL, small[i]);
  tb_arena_stats_t s;
  tb_arena_stats(&s);
  check(s.allocs == 0 && s.used == 2 * HDR, "everything freed: only the two sentinels in use");
  check(s.largest_free == sizeof extra_mem - 2 * HDR, "the extra region coalesced back into one block");
  check(tb_arena_check() == 0, "consistent after freeing everything");

  void *live[64] = {0};
  int sound = 1;
  for (unsigned i = 0; i < 20000 && sound; i++) {
    unsigned k = next_random() % 64;
    if (live[k]) {
      if (next_random() & 1) tb_arena_free(NULL, live[k]), live[k] = NULL;
      else {
        void *q = tb_arena_realloc(NULL, live[k], 8 + next_random() % 700);
        if (q) live[k] = q;
      }
    } else live[k] = tb_arena_alloc(NULL, 8 + next_random() % 500);
    if (i % 97 == 0 && tb_arena_check() != 0) sound = 0;
  }
  check(sound && tb_arena_check() == 0, "20000 random alloc/realloc/free over both regions stay consistent");
  for (unsigned k = 0; k < 64; k++) tb_arena_free(NULL, live[k]);
  tb_arena_reset();
  check(tb_arena_check() == 0 && tb_arena_used() == HDR, "a reset forgets the extra region until it is needed again");

  return check_summary();
}
