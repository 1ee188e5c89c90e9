/*
 * Chip builds have no C heap: the JS heap is the arena (arena.c) and drivers allocate nothing.
 * Duktape still references malloc/realloc/free for its default allocator, which the runtime never
 * uses (duk_create_heap gets the arena's functions); these definitions replace newlib's, so nothing
 * grows a heap, and any unexpected caller gets NULL instead of memory past the stack. newlib-nano's
 * printf family keeps its own reference to _malloc_r (for asprintf-style buffers); its _sbrk is
 * refused too, so that path fails cleanly as well.
 */
#if defined(TB_ARENA_EXTERNAL)
#include <stddef.h>

void *malloc(size_t size) {
  (void)size;
  return NULL;
}

void *calloc(size_t count, size_t size) {
  (void)count;
  (void)size;
  return NULL;
}

void *realloc(void *ptr, size_t size) {
  (void)ptr;
  (void)size;
  return NULL;
}

void free(void *ptr) { (void)ptr; }

void *_sbrk(ptrdiff_t increment) {
  (void)increment;
  return (void *)-1; /* ENOMEM */
}
#else
typedef int tb_no_malloc_on_the_host; /* the host keeps the C library's malloc */
#endif
