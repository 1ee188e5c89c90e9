/*
 * The Duktape heap lives in one static arena (TB_HEAP_SIZE bytes) with our own allocator: no
 * malloc anywhere. Segregated free lists (exact 8-byte classes up to 256 bytes, then power-of-two
 * classes searched first-fit), boundary tags for O(1) coalescing. Out of memory returns NULL, so
 * Duktape throws a RangeError (or, outside a protected call, ends in the fatal handler).
 * Accounting: bytes in use (block sizes, headers included), their high-water mark, failures.
 */
#ifndef TB_ARENA_H
#define TB_ARENA_H

#include <stddef.h>
#include <stdint.h>

#ifndef TB_HEAP_SIZE
#define TB_HEAP_SIZE (96 * 1024)
#endif
/* The static arena; the heap uses TB_HEAP_SIZE of it unless tb_arena_set_size() says otherwise (the
 * host reserves more, to run with other heap sizes and to compile bytecode). */
#ifndef TB_ARENA_CAPACITY
#define TB_ARENA_CAPACITY TB_HEAP_SIZE
#endif

typedef struct {
  uint32_t size;     /* arena bytes */
  uint32_t used;     /* bytes in allocated blocks, headers included */
  uint32_t peak;     /* high-water mark of used since the last tb_arena_reset() */
  uint32_t peak_all; /* high-water mark since start (over heap restarts) */
  uint32_t allocs;   /* live allocations */
  uint32_t failures; /* allocations refused for lack of memory (Duktape then collects and retries) */
  uint32_t failed_size; /* size of the last refused allocation */
  uint32_t largest_free;
} tb_arena_stats_t;

/* Chip ports (built with TB_ARENA_EXTERNAL): the heap's memory, placed by the linker. The extra region
 * (e.g. CCM: not DMA-reachable, fine for the JS heap) is written only once the main one has no block
 * for a request, so a run that never needs it never touches it. Call before the first reset. */
void tb_arena_set_regions(void *main, uint32_t main_size, void *extra, uint32_t extra_size);
/* Forget everything: the whole arena is one free block (a new heap starts here). */
void tb_arena_reset(void);
/* Heap size from the next tb_arena_reset() on (clamped to TB_ARENA_CAPACITY); returns the size. */
uint32_t tb_arena_set_size(uint32_t bytes);
void *tb_arena_alloc(void *udata, size_t size);
void *tb_arena_realloc(void *udata, void *ptr, size_t size);
void tb_arena_free(void *udata, void *ptr);
void tb_arena_stats(tb_arena_stats_t *out);
/* Bytes in use and heap size, cheaply (tb_arena_stats() walks the free lists). */
uint32_t tb_arena_used(void);
uint32_t tb_arena_size(void);
/* Consistency check of every block and list (tests, debugging): 0 when sound. */
int tb_arena_check(void);

#endif
