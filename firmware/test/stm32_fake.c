/* The fake bus of stm32_fake.h. */
#include "stm32_fake.h"

#include <stdlib.h>
#include <string.h>

uint8_t fake_flash[FAKE_FLASH_SIZE];
fake_model_t fake_model;
unsigned long fake_reads, fake_writes;

#define PAGES 64
static struct {
  uint32_t base;
  uint32_t w[1024];
} pages[PAGES];
static unsigned npages;

void fake_reset_pages(void) { npages = 0; }

void *tb_fake_map(uint32_t addr) {
  if (addr >= FAKE_FLASH_BASE && addr - FAKE_FLASH_BASE < FAKE_FLASH_SIZE) return fake_flash + (addr - FAKE_FLASH_BASE);
  uint32_t base = addr & ~0xFFFu;
  for (unsigned i = 0; i < npages; i++)
    if (pages[i].base == base) return &pages[i].w[(addr & 0xFFFu) / 4];
  if (npages == PAGES) {
    fprintf(stderr, "fake: too many peripheral pages\n");
    exit(2);
  }
  pages[npages].base = base;
  memset(pages[npages].w, 0, sizeof pages[npages].w);
  return &pages[npages++].w[(addr & 0xFFFu) / 4];
}

uint32_t fake_addr(const volatile uint32_t *p) {
  const uint8_t *b = (const uint8_t *)p;
  if (b >= fake_flash && b < fake_flash + FAKE_FLASH_SIZE) return FAKE_FLASH_BASE + (uint32_t)(b - fake_flash);
  for (unsigned i = 0; i < npages; i++)
    if ((const uint32_t *)p >= pages[i].w && (const uint32_t *)p < pages[i].w + 1024)
      return pages[i].base + 4u * (uint32_t)((const uint32_t *)p - pages[i].w);
  fprintf(stderr, "fake: access outside the fake bus\n");
  exit(2);
}

uint32_t *fake_word(uint32_t addr) { return (uint32_t *)tb_fake_map(addr); }

uint32_t tb_fake_rd(volatile uint32_t *reg) {
  fake_reads++;
  uint32_t a = fake_addr(reg);
  uint32_t cur;
  memcpy(&cur, (const void *)reg, 4);
  return fake_model.rd ? fake_model.rd(a, cur) : cur;
}

void tb_fake_wr(volatile uint32_t *reg, uint32_t value) {
  fake_writes++;
  uint32_t a = fake_addr(reg);
  uint32_t cur;
  memcpy(&cur, (const void *)reg, 4);
  if (fake_model.wr) fake_model.wr(a, value, &cur);
  else cur = value;
  memcpy((void *)reg, &cur, 4);
}

