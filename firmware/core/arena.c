#include "arena.h"

#include <string.h>

#define ALIGN 8u
#define HDR 8u
#define MIN_BLOCK 16u
#define USED 1u
#define NONE 0xFFFFFFFFu
#define SMALL_MAX 256u
#define NSMALL (SMALL_MAX / ALIGN - 1u) /* classes 16, 24, ..., 256: 31 bins */
#define NBINS (NSMALL + 24u)

typedef struct {
  uint32_t size; /* block size (header included) | USED */
  uint32_t prev; /* size of the block before (0 for the first) */
} hdr_t;

typedef struct {
  uint32_t next; /* offsets of the neighbours in the free list, NONE at the ends */
  uint32_t back;
} links_t;

#ifdef TB_ARENA_EXTERNAL
/* A chip port gives the regions at start (tb_arena_set_regions): linker-placed SRAM and CCM. */
static uint8_t *main_base;
static uint32_t main_capacity;
#else
static union {
  uint64_t align;
  uint8_t bytes[(TB_ARENA_CAPACITY + ALIGN - 1) / ALIGN * ALIGN];
} arena;
static uint8_t *main_base = arena.bytes;
static uint32_t main_capacity = sizeof arena.bytes;
#endif

/* Offsets address both regions as one space: [0, arena_size) is the main region, [arena_size,
 * arena_size + extra_size) the extra one. Each region ends in a sentinel "used" block of size 0 (its
 * last HDR bytes) that stops forward coalescing, and its first block has prev == 0, so no block and
 * no coalescing ever crosses from one region into the other. */
static uint32_t arena_size = (TB_HEAP_SIZE < TB_ARENA_CAPACITY ? TB_HEAP_SIZE : TB_ARENA_CAPACITY) / ALIGN * ALIGN;
static uint8_t *extra_base;
static uint32_t extra_size;
static int extra_ready; /* formatted only when the main region first runs out */
#define ARENA_SIZE arena_size
#define END (ARENA_SIZE - HDR)

uint32_t tb_arena_set_size(uint32_t bytes) {
  if (bytes > main_capacity) bytes = main_capacity;
  if (bytes < 1024) bytes = 1024;
  arena_size = bytes / ALIGN * ALIGN;
  return arena_size;
}

static uint8_t *align_up(void *p, uint32_t *size) {
  uintptr_t a = ((uintptr_t)p + ALIGN - 1u) & ~(uintptr_t)(ALIGN - 1u);
  uint32_t lost = (uint32_t)(a - (uintptr_t)p);
  *size = *size > lost ? (*size - lost) / ALIGN * ALIGN : 0;
  return (uint8_t *)a;
}

void tb_arena_set_regions(void *main, uint32_t main_size, void *extra, uint32_t extra_bytes) {
  main_base = align_up(main, &main_size);
  main_capacity = main_size;
  arena_size = main_size;
  extra_base = extra ? align_up(extra, &extra_bytes) : NULL;
  extra_size = extra_base && extra_bytes >= 1024 ? extra_bytes : 0;
}

static uint32_t bins[NBINS];
static uint64_t bitmap;
static uint32_t used, peak, peak_all, allocs, failures, failed_size;
static int ready;

static uint8_t *at(uint32_t off) { return off < arena_size ? main_base + off : extra_base + (off - arena_size); }
static hdr_t *H(uint32_t off) { return (hdr_t *)(void *)at(off); }
static links_t *L(uint32_t off) { return (links_t *)(void *)(at(off) + HDR); }
static uint32_t bsize(uint32_t off) { return H(off)->size & ~USED; }

static unsigned bin_of(uint32_t size) {
  if (size <= SMALL_MAX) return size / ALIGN - 2u;
  unsigned b = NSMALL;
  uint32_t s = SMALL_MAX * 2u; /* bin NSMALL: 257..512 */
  while (size > s && b < NBINS - 1u) {
    s <<= 1;
    b++;
  }
  return b;
}

static void list_insert(uint32_t off) {
  unsigned b = bin_of(bsize(off));
  L(off)->back = NONE;
  L(off)->next = bins[b];
  if (bins[b] != NONE) L(bins[b])->back = off;
  bins[b] = off;
  bitmap |= (uint64_t)1 << b;
}

static void list_remove(uint32_t off) {
  unsigned b = bin_of(bsize(off));
  links_t *l = L(off);
  if (l->back != NONE) L(l->back)->next = l->next;
  else bins[b] = l->next;
  if (l->next != NONE) L(l->next)->back = l->back;
  if (bins[b] == NONE) bitmap &= ~((uint64_t)1 << b);
}

/* One free block from start to the region's sentinel at end. */
static void format(uint32_t start, uint32_t end) {
  H(start)->size = end - start;
  H(start)->prev = 0;
  H(end)->size = 0 | USED;
  H(end)->prev = end - start;
  list_insert(start);
}

void tb_arena_reset(void) {
  for (unsigned i = 0; i < NBINS; i++) bins[i] = NONE;
  bitmap = 0;
  format(0, END);
  extra_ready = 0;
  used = HDR; /* the sentinel */
  peak = used;
  if (peak_all < peak) peak_all = peak;
  allocs = 0;
  ready = 1;
}

static void set_size(uint32_t off, uint32_t size, uint32_t flag) {
  H(off)->size = size | flag;
  H(off + size)->prev = size;
}

/* Split block off (removed from lists) to size; the rest becomes a free block (coalesced forward). */
static void split(uint32_t off, uint32_t size) {
  uint32_t total = bsize(off);
  if (total - size < MIN_BLOCK) return;
  uint32_t flag = H(off)->size & USED;
  set_size(off, size, flag);
  uint32_t rest = off + size, rsize = total - size;
  uint32_t next = rest + rsize;
  if (!(H(next)->size & USED)) {
    list_remove(next);
    rsize += bsize(next);
  }
  set_size(rest, rsize, 0);
  list_insert(rest);
}

static uint32_t request_size(size_t n) {
  if (n > ARENA_SIZE + extra_size) return 0;
  uint32_t s = ((uint32_t)n + HDR + ALIGN - 1u) & ~(ALIGN - 1u);
  return s < MIN_BLOCK ? MIN_BLOCK : s;
}

/* A free block of at least size bytes. Small sizes have exact-size bins: the first block of the own
 * bin fits. Larger bins hold a size range: a few blocks of the own bin are tried (best use of the
 * memory), then the first block of the next non-empty bin, which always fits. No long walks. */
#define FIT_TRIES 4u

static uint32_t find(uint32_t size) {
  unsigned b = bin_of(size);
  if (bins[b] != NONE) {
    unsigned k = 0;
    for (uint32_t off = bins[b]; off != NONE && k < FIT_TRIES; off = L(off)->next, k++)
      if (bsize(off) >= size) return off;
  }
  uint64_t m = b + 1u < NBINS ? bitmap & ~(((uint64_t)1 << (b + 1u)) - 1u) : 0;
  if (m) return bins[__builtin_ctzll(m)];
  /* Only the own bin may still hold a fitting block, deeper in its list. */
  for (uint32_t off = bins[b]; off != NONE; off = L(off)->next)
    if (bsize(off) >= size) return off;
  return NONE;
}

static void account(int32_t delta) {
  used = (uint32_t)((int32_t)used + delta);
  if (used > peak) peak = used;
  if (used > peak_all) peak_all = used;
}

void *tb_arena_alloc(void *udata, size_t n) {
  (void)udata;
  if (!ready) tb_arena_reset();
  uint32_t size = request_size(n);
  uint32_t off = size ? find(size) : NONE;
  if (off == NONE && size && extra_size && !extra_ready) {
    extra_ready = 1;
    format(ARENA_SIZE, ARENA_SIZE + extra_size - HDR);
    used += HDR;
    off = find(size);
  }
  if (off == NONE) {
    failures++;
    failed_size = (uint32_t)n;
    return NULL;
  }
  list_remove(off);
  H(off)->size |= USED;
  split(off, size);
  account((int32_t)bsize(off));
  allocs++;
  return at(off) + HDR;
}

static uint32_t offset_of(void *p) {
  uint8_t *b = p;
  if (b >= main_base && b < main_base + arena_size) return (uint32_t)(b - main_base) - HDR;
  return arena_size + (uint32_t)(b - extra_base) - HDR;
}

void tb_arena_free(void *udata, void *p) {
  (void)udata;
  if (!p) return;
  uint32_t off = offset_of(p);
  uint32_t size = bsize(off);
  account(-(int32_t)size);
  allocs--;
  uint32_t next = off + size;
  if (!(H(next)->size & USED)) {
    list_remove(next);
    size += bsize(next);
  }
  if (H(off)->prev) {
    uint32_t prev = off - H(off)->prev;
    if (!(H(prev)->size & USED)) {
      list_remove(prev);
      size += bsize(prev);
      off = prev;
    }
  }
  set_size(off, size, 0);
  list_insert(off);
}

void *tb_arena_realloc(void *udata, void *p, size_t n) {
  if (!p) return tb_arena_alloc(udata, n);
  if (n == 0) {
    tb_arena_free(udata, p);
    return NULL;
  }
  uint32_t off = offset_of(p);
  uint32_t have = bsize(off);
  uint32_t size = request_size(n);
  if (!size) {
    failures++;
    failed_size = (uint32_t)n;
    return NULL;
  }
  if (size <= have) {
    split(off, size);
    account((int32_t)bsize(off) - (int32_t)have);
    return p;
  }
  uint32_t next = off + have;
  if (!(H(next)->size & USED) && have + bsize(next) >= size) {
    list_remove(next);
    set_size(off, have + bsize(next), USED);
    split(off, size);
    account((int32_t)bsize(off) - (int32_t)have);
    return p;
  }
  void *q = tb_arena_alloc(udata, n);
  if (!q) return NULL;
  memcpy(q, p, have - HDR);
  tb_arena_free(udata, p);
  return q;
}

uint32_t tb_arena_used(void) { return used; }

uint32_t tb_arena_size(void) { return ARENA_SIZE + extra_size; }

void tb_arena_stats(tb_arena_stats_t *out) {
  if (!ready) tb_arena_reset();
  out->size = ARENA_SIZE + extra_size;
  out->used = used;
  out->peak = peak;
  out->peak_all = peak_all;
  out->allocs = allocs;
  out->failures = failures;
  out->failed_size = failed_size;
  uint32_t largest = 0;
  for (unsigned b = 0; b < NBINS; b++)
    for (uint32_t off = bins[b]; off != NONE; off = L(off)->next)
      if (bsize(off) > largest) largest = bsize(off);
  out->largest_free = largest > HDR ? largest - HDR : 0;
}

/* Walk one region's blocks: 0 when sound; counts what is in use and free. */
static int check_region(uint32_t off, uint32_t end, uint32_t *inuse, uint32_t *nfree) {
  uint32_t prev = 0;
  while (off < end) {
    uint32_t s = bsize(off);
    if (s < MIN_BLOCK || s % ALIGN || off + s > end) return 1;
    if (H(off)->prev != prev) return 2;
    if (H(off)->size & USED) *inuse += s;
    else {
      (*nfree)++;
      uint32_t n = off + s;
      if (n < end && !(H(n)->size & USED)) return 3; /* two free neighbours: not coalesced */
    }
    prev = s;
    off += s;
  }
  return off != end || H(end)->prev != prev ? 4 : 0;
}

int tb_arena_check(void) {
  uint32_t inuse = HDR, nfree = 0, listed = 0;
  int r = check_region(0, END, &inuse, &nfree);
  if (!r && extra_ready) {
    inuse += HDR;
    r = check_region(ARENA_SIZE, ARENA_SIZE + extra_size - HDR, &inuse, &nfree);
  }
  if (r) return r;
  if (inuse != used) return 5;
  for (unsigned b = 0; b < NBINS; b++)
    for (uint32_t o = bins[b]; o != NONE; o = L(o)->next) {
      if (H(o)->size & USED || bin_of(bsize(o)) != b) return 6;
      listed++;
    }
  return listed == nfree ? 0 : 7;
}
