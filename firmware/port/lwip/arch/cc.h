/* lwIP's compiler/platform description for arm-none-eabi-gcc (and the host compiler in tests). */
#ifndef TB_LWIP_ARCH_CC_H
#define TB_LWIP_ARCH_CC_H

#include <stdint.h>

#define LWIP_NO_INTTYPES_H 0
#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_TIMEVAL_PRIVATE 0

/* lwIP asserts only in LWIP_DEBUG builds; a message reaches the console when it does, through the
 * runtime's console printf (firmware/core/runtime.h; declared here: lwIP's sources do not see core/). */
void tb_console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    tb_console_printf x;      \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                             \
  do {                                                                                    \
    tb_console_printf("lwip: assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
  } while (0)

#endif
