/*
 * The bookkeeping every firmware/test program shares: a line per check (`ok` or `FAIL` and what was
 * checked) and the final `N passed, N failed` line that test/firmware-drivers.test.mjs reads.
 */
#ifndef TB_TEST_CHECK_H
#define TB_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

__attribute__((unused)) static unsigned check_passed, check_failed;

/* Count one check and print its line; what is a printf format. */
__attribute__((format(printf, 2, 3))) static inline void check(int ok, const char *what, ...) {
  va_list ap;
  va_start(ap, what);
  printf("%s ", ok ? "ok  " : "FAIL");
  vprintf(what, ap);
  printf("\n");
  va_end(ap);
  if (ok) check_passed++;
  else check_failed++;
}

/* The final line; the program's exit status (1 when anything failed). */
static inline int check_summary(void) {
  printf("%u passed, %u failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}

#endif
