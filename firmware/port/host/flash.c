/*
 * The board's flash as a file, mapped into memory: exactly the NOR rules of the STM32F4 model in
 * host/nor-flash.ts. Erase sets a whole sector to 0xFF; program writes whole words at word-aligned
 * addresses into erased words only (AND, as the cells can only go from 1 to 0); the bootloader's
 * sectors refuse both. Optional datasheet timing stalls the caller like the chip does. With
 * --cut-at N the process ends abruptly (exit code 3, no clean-up: a power cut) at the Nth flash
 * operation: --cut-mode before (not done), after (done; --cut-after N is this) or torn (half done,
 * with seeded random contents, --cut-seed S); the mapping is MAP_SHARED, so what was written is in
 * the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "port.h"

static const tb_board_t *board;
static uint8_t *mem;
static int timing;
static long cut_at;
static int cut_mode;
static uint32_t rng;
static uint32_t ops, erases;
static uint64_t programmed;
static uint32_t owed_us;
static uint64_t busy_us;

int host_flash_open(const tb_board_t *b, const char *file, int with_timing, long cut, int mode, uint32_t seed) {
  board = b;
  timing = with_timing;
  cut_at = cut;
  cut_mode = mode;
  rng = seed ? seed : 1;
  int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", file, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  int fresh = st.st_size == 0;
  if (!fresh && (uint64_t)st.st_size != b->flash_size) {
    fprintf(stderr, "typeboot-sim: flash file %s holds %lld bytes, the %s has %lu\n", file, (long long)st.st_size, b->chip,
            (unsigned long)b->flash_size);
    close(fd);
    return -1;
  }
  if (fresh && ftruncate(fd, b->flash_size) < 0) {
    fprintf(stderr, "typeboot-sim: %s: %s\n", file, strerror(errno));
    close(fd);
    return -1;
  }
  void *p = mmap(NULL, b->flash_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    fprintf(stderr, "typeboot-sim: mmap %s: %s\n", file, strerror(errno));
    return -1;
  }
  mem = p;
  if (fresh) memset(mem, 0xFF, b->flash_size); /* a new chip comes erased */
  return 0;
}

uint32_t host_flash_ops(void) { return ops; }

/* What the flash did since start, and its datasheet time (typical erase, 16 us a word): "N ops, E erases, B bytes, T ms". */
void host_flash_report(char *out, size_t cap) {
  snprintf(out, cap, "%lu erases %lu bytes %lu flash-ms %lu", (unsigned long)ops, (unsigned long)erases, (unsigned long)programmed,
           (unsigned long)(busy_us / 1000u));
}

const uint8_t *tb_port_flash_memory(void) { return mem; }

static void stall(uint32_t us) {
  if (!timing) return;
  owed_us += us;
  if (owed_us < 1000) return;
  struct timespec ts = {owed_us / 1000000u, (long)(owed_us % 1000000u) * 1000L};
  owed_us = 0;
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* xorshift32: the torn contents of a case replay from its seed. */
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static void power_cut(const char *when, const char *what, uint32_t addr) {
  fprintf(stdout, "POWER CUT %s flash operation %lu (%s at 0x%08lx)\n", when, (unsigned long)ops, what, (unsigned long)addr);
  fflush(stdout);
  _exit(3);
}

/* Count an operation; the cut happens here for "before". Returns 1 when this one is to be torn. */
static int begin_op(const char *what, uint32_t addr) {
  ops++;
  if (cut_at <= 0 || ops != (uint32_t)cut_at) return 0;
  if (cut_mode == HOST_CUT_BEFORE) power_cut("before", what, addr);
  return cut_mode == HOST_CUT_TORN;
}

static void end_op(const char *what, uint32_t addr) {
  if (cut_at > 0 && ops == (uint32_t)cut_at) power_cut("after", what, addr);
}

static const tb_sector_t *sector_at(uint32_t addr) {
  for (unsigned i = 0; i < board->nsectors; i++)
    if (addr >= board->sectors[i].addr && addr - board->sectors[i].addr < board->sectors[i].size) return &board->sectors[i];
  return NULL;
}

static int protected_range(uint32_t addr, uint32_t len) {
  const tb_region_t *r = &board->bootloader;
  return addr < r->addr + r->size && r->addr < addr + len;
}

int tb_port_flash_erase(uint32_t addr) {
  const tb_sector_t *s = sector_at(addr);
  if (!s) return TB_ERANGE;
  if (protected_range(s->addr, s->size)) return TB_EPROTECT;
  uint8_t *f = mem + (s->addr - board->flash_base);
  if (begin_op("erase", s->addr)) {
    /* Half erased: each word erased or its old bits ANDed with random ones, in random proportion. */
    uint32_t share = rnd();
    for (uint32_t i = 0; i < s->size; i += 4) {
      if (rnd() < share) memset(f + i, 0xFF, 4);
      else
        for (int k = 0; k < 4; k++) f[i + k] &= (uint8_t)rnd();
    }
    power_cut("in the middle of", "erase", s->addr);
  }
  memset(f, 0xFF, s->size);
  erases++;
  busy_us += (uint64_t)s->erase_ms * 1000u;
  stall((uint32_t)s->erase_ms * 1000u);
  end_op("erase", s->addr);
  return TB_OK;
}

int tb_port_flash_program(uint32_t addr, const uint8_t *data, uint32_t length) {
  if (addr % 4 || length % 4) return TB_EALIGN;
  if (addr < board->flash_base || addr - board->flash_base > board->flash_size || length > board->flash_size - (addr - board->flash_base))
    return TB_ERANGE;
  if (protected_range(addr, length)) return TB_EPROTECT;
  uint8_t *f = mem + (addr - board->flash_base);
  for (uint32_t i = 0; i < length; i += 4)
    if ((f[i] & f[i + 1] & f[i + 2] & f[i + 3]) != 0xFF) return TB_ENOTERASED;
  if (begin_op("program", addr)) {
    /* Torn: a prefix of the words programmed, the next one with only some of its bits cleared. */
    uint32_t words = length / 4, done = words ? rnd() % words : 0;
    for (uint32_t i = 0; i < done * 4; i++) f[i] &= data[i];
    for (uint32_t i = done * 4; i < done * 4 + 4 && i < length; i++) f[i] &= (uint8_t)(data[i] | rnd());
    power_cut("in the middle of", "program", addr);
  }
  for (uint32_t i = 0; i < length; i++) f[i] &= data[i];
  programmed += length;
  busy_us += (uint64_t)length / 4 * board->word_program_us;
  stall(length / 4 * board->word_program_us);
  end_op("program", addr);
  return TB_OK;
}
