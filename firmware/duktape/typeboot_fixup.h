/*
 *  TypeBoot fixups, appended to duk_config.h (configure.py --fixup-file; the fallback path appends the
 *  same text to its wrapper header). Part of the configuration fingerprint.
 */

/* Date provider (milliseconds since 1970-01-01 UTC) and fatal error handler: the runtime defines both. */
#if !defined(TYPEBOOT_DATE_NOW_DECLARED)
#define TYPEBOOT_DATE_NOW_DECLARED
#if defined(__cplusplus)
extern "C" {
#endif
double typeboot_date_now(void);
/* Fatal error handler (DUK_USE_FATAL_HANDLER); must not return. */
void typeboot_duk_fatal(void *udata, const char *msg);
#if defined(__cplusplus)
}
#endif
#endif

/* FASTINT formats integers in JSON.stringify() with "%lld"; newlib-nano's printf family does not
 * know "ll" and prints "ld". A build against newlib-nano defines TYPEBOOT_OWN_SPRINTF and links
 * firmware/duktape/typeboot_sprintf.c, which handles "%lld" itself and passes anything else on to
 * vsprintf(). It changes no bytecode and no heap layout, so it is not part of the fingerprint. */
#if defined(TYPEBOOT_OWN_SPRINTF)
#if defined(__cplusplus)
extern "C" {
#endif
int typeboot_sprintf(char *buf, const char *fmt, ...);
#if defined(__cplusplus)
}
#endif
#undef DUK_SPRINTF
#define DUK_SPRINTF typeboot_sprintf
#endif
