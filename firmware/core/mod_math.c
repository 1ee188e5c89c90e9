/*
 * Math: the three functions the bundles use (min, max, floor), in C. Duktape's own Math built-in is
 * configured out (DUK_USE_MATH_BUILTIN: false in duktape/typeboot.yaml): with it the link pulls in
 * ~20 KB of libm (sin, pow, atan2, ...) that the bootloader never calls, and flash is the bootloader's
 * scarcest resource. test/bundle.test.mjs fails if a bundle uses any other Math member.
 * Semantics are ES5.1's (15.8.2.9, 15.8.2.11, 15.8.2.12): NaN wins, -0 < +0, no arguments give
 * +Infinity / -Infinity.
 */
#include <math.h>

#include "duktape.h"

void tb_push_math(duk_context *ctx); /* declared for the runtime in internal.h; tbcompile links this file too */

static duk_ret_t min_max(duk_context *ctx, int want_max) {
  duk_idx_t n = duk_get_top(ctx);
  double r = want_max ? -INFINITY : INFINITY;
  for (duk_idx_t i = 0; i < n; i++) {
    double x = duk_to_number(ctx, i); /* every argument is converted, even after a NaN */
    if (isnan(r)) continue;
    if (isnan(x)) r = x;
    else if (x == r && x == 0) r = want_max ? (signbit(x) ? r : x) : (signbit(x) ? x : r);
    else if (want_max ? x > r : x < r) r = x;
  }
  duk_push_number(ctx, r);
  return 1;
}

static duk_ret_t math_min(duk_context *ctx) { return min_max(ctx, 0); }
static duk_ret_t math_max(duk_context *ctx) { return min_max(ctx, 1); }

static duk_ret_t math_floor(duk_context *ctx) {
  duk_push_number(ctx, floor(duk_to_number(ctx, 0)));
  return 1;
}

void tb_push_math(duk_context *ctx) {
  static const duk_function_list_entry fns[] = {
      {"min", math_min, DUK_VARARGS},
      {"max", math_max, DUK_VARARGS},
      {"floor", math_floor, 1},
      {NULL, NULL, 0},
  };
  duk_push_object(ctx);
  duk_put_function_list(ctx, -1, fns);
}
