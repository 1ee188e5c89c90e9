/*
 * DUK_SPRINTF for builds against newlib-nano, whose printf family has no "ll" length modifier
 * (FASTINT makes JSON.stringify() format integers with "%lld", which nano prints as "ld").
 * Enabled by compiling duktape.c and this file with -DTYPEBOOT_OWN_SPRINTF (see typeboot_fixup.h).
 *
 * Conversions with "ll" (d i u x X) are formatted here; every other conversion is handed, one at a
 * time, to the C library's sprintf() with the argument type its length modifier and conversion imply.
 * Width/precision given as '*' are supported; "ll" conversions ignore flags, width and precision
 * (Duktape only uses a plain "%lld").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int typeboot_sprintf(char *buf, const char *fmt, ...);

static char *put_ull(char *out, unsigned long long v, unsigned base, int upper) {
	char tmp[24];
	int n = 0;
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	while (n) *out++ = tmp[--n];
	return out;
}

int typeboot_sprintf(char *buf, const char *fmt, ...) {
	va_list ap;
	char *out = buf;
	va_start(ap, fmt);
	while (*fmt) {
		if (*fmt != '%') {
			*out++ = *fmt++;
			continue;
		}
		if (fmt[1] == '%') {
			*out++ = '%';
			fmt += 2;
			continue;
		}
		/* one conversion specification: %[flags][width][.precision][length]conversion */
		char spec[32];
		size_t n = 0;
		int stars[2], nstars = 0, lcount = 0, hcount = 0, big_l = 0;
		spec[n++] = *fmt++;
		while (*fmt && strchr("-+ #0", *fmt) && n < sizeof(spec) - 8) spec[n++] = *fmt++;
		while (*fmt && (strchr("0123456789.", *fmt) || *fmt == '*') && n < sizeof(spec) - 8) {
			if (*fmt == '*' && nstars < 2) stars[nstars++] = va_arg(ap, int);
			spec[n++] = *fmt++;
		}
		while (*fmt && strchr("hlLjzt", *fmt) && n < sizeof(spec) - 2) {
			if (*fmt == 'l') lcount++;
			if (*fmt == 'h') hcount++;
			if (*fmt == 'L') big_l = 1;
			spec[n++] = *fmt++;
		}
		char conv = *fmt;
		if (!conv) break;
		fmt++;
		spec[n++] = conv;
		spec[n] = '\0';
		(void) hcount;
		if (lcount >= 2 && strchr("diuxX", conv)) {
			if (conv == 'd' || conv == 'i') {
				long long v = va_arg(ap, long long);
				unsigned long long u = (unsigned long long) v;
				if (v < 0) {
					*out++ = '-';
					u = 0ULL - u;
				}
				out = put_ull(out, u, 10, 0);
			} else {
				unsigned long long u = va_arg(ap, unsigned long long);
				out = put_ull(out, u, conv == 'u' ? 10u : 16u, conv == 'X');
			}
			continue;
		}
		int w;
		switch (conv) {
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
			if (lcount == 1) {
				long v = va_arg(ap, long);
				w = nstars == 2 ? sprintf(out, spec, stars[0], stars[1], v) : nstars == 1 ? sprintf(out, spec, stars[0], v) : sprintf(out, spec, v);
			} else {
				int v = va_arg(ap, int);
				w = nstars == 2 ? sprintf(out, spec, stars[0], stars[1], v) : nstars == 1 ? sprintf(out, spec, stars[0], v) : sprintf(out, spec, v);
			}
			break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
			if (big_l) {
				long double v = va_arg(ap, long double);
				w = nstars == 2 ? sprintf(out, spec, stars[0], stars[1], v) : nstars == 1 ? sprintf(out, spec, stars[0], v) : sprintf(out, spec, v);
			} else {
				double v = va_arg(ap, double);
				w = nstars == 2 ? sprintf(out, spec, stars[0], stars[1], v) : nstars == 1 ? sprintf(out, spec, stars[0], v) : sprintf(out, spec, v);
			}
			break;
		case 's': {
			const char *v = va_arg(ap, const char *);
			w = nstars == 2 ? sprintf(out, spec, stars[0], stars[1], v) : nstars == 1 ? sprintf(out, spec, stars[0], v) : sprintf(out, spec, v);
			break;
		}
		case 'p': {
			void *v = va_arg(ap, void *);
			w = sprintf(out, spec, v);
			break;
		}
		default:
			w = 0; /* unknown conversion: dropped */
			break;
		}
		if (w > 0) out += w;
	}
	*out = '\0';
	va_end(ap);
	return (int) (out - buf);
}
