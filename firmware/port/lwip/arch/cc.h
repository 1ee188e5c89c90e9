/* lwIP's compiler/platform description for arm-none-eabi-gcc (and the host compiler in tests). */
#ifndef TB_LWIP_ARCH_CC_H
#define TB_LWIP_ARCH_CC_H

#include <stdint.h>

#define LWIP_NO_INTTYPES_H 0
#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_TIMEVAL_PRIVATE 0

/* lwIP asserts only in LWIP_DEBUG builds; a message reaches the console when it does. */
void tb_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    tb_lwip_diag x;           \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                        \
  do {                                                                               \
    tb_lwip_diag("lwip: assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
  } while (0)

#endif
