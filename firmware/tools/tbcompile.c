/*
 * tbcompile: TypeBoot's host-side Duktape tool, built against build/duktape/ (the same duk_config.h
 * as the chip, see firmware/duktape/README.md).
 *
 *   tbcompile IN.js OUT.tbbc       compile an ES5 program to Duktape bytecode with a TBBC header
 *   tbcompile --verify FILE.tbbc   check magic, version, configuration fingerprint, length and CRC-32
 *   tbcompile --eval FILE...       run .js sources and/or .tbbc files in one heap (print() provided);
 *                                  prints the completion value of the last file unless undefined
 *   tbcompile --measure FILE.js... heap accounting (JSON on stdout): after duk_create_heap, peak while
 *                                  compiling each file, and peak while loading its bytecode
 *   tbcompile --fingerprint        print the configuration fingerprint this tool was built with
 *
 * TBBC file: 20-byte header, all fields little-endian, then the output of duk_dump_function():
 *   0  "TBBC"   4  u32 version (1)   8  u32 configuration fingerprint   12  u32 bytecode length
 *   16 u32 CRC-32 (IEEE, as zlib) of the bytecode
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "duktape.h"
#include "typeboot_fingerprint.h"

#define TBBC_MAGIC "TBBC"
#define TBBC_VERSION 1u
#define TBBC_HEADER_SIZE 20u

/* ---- the date provider the configuration asks for (the runtime defines its own) ---- */
double typeboot_date_now(void) {
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double) tv.tv_sec * 1000.0 + (double) tv.tv_usec / 1000.0;
}

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib) ---- */
static uint32_t crc_table[256];

static void crc_init(void) {
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_bytes(const uint8_t *p, size_t n) {
	uint32_t c = 0xFFFFFFFFu;
	while (n--) c = crc_table[(c ^ *p++) & 0xFFu] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void put_u32le(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

static uint32_t get_u32le(const uint8_t *p) {
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* ---- counting allocator: current and peak bytes requested by Duktape ---- */
typedef struct {
	size_t cur, peak, total_allocs;
} heap_stats;

/* Each block carries its size in a prefix of max_align_t size, so alignment is what malloc gives. */
#define PREFIX sizeof(max_align_t)

static void *acc_alloc(void *udata, duk_size_t size) {
	heap_stats *s = (heap_stats *) udata;
	if (size == 0) return NULL;
	unsigned char *p = malloc(PREFIX + size);
	if (!p) return NULL;
	memcpy(p, &size, sizeof(size));
	s->cur += size;
	s->total_allocs++;
	if (s->cur > s->peak) s->peak = s->cur;
	return p + PREFIX;
}

static void acc_free(void *udata, void *ptr) {
	heap_stats *s = (heap_stats *) udata;
	if (!ptr) return;
	unsigned char *p = (unsigned char *) ptr - PREFIX;
	size_t size;
	memcpy(&size, p, sizeof(size));
	s->cur -= size;
	free(p);
}

static void *acc_realloc(void *udata, void *ptr, duk_size_t size) {
	heap_stats *s = (heap_stats *) udata;
	if (!ptr) return acc_alloc(udata, size);
	if (size == 0) {
		acc_free(udata, ptr);
		return NULL;
	}
	unsigned char *p = (unsigned char *) ptr - PREFIX;
	size_t old;
	memcpy(&old, p, sizeof(old));
	unsigned char *q = realloc(p, PREFIX + size);
	if (!q) return NULL;
	memcpy(q, &size, sizeof(size));
	s->cur = s->cur - old + size;
	if (s->cur > s->peak) s->peak = s->cur;
	return q + PREFIX;
}

/* DUK_USE_FATAL_HANDLER of the configuration (the runtime defines its own). */
void typeboot_duk_fatal(void *udata, const char *msg) {
	(void) udata;
	fprintf(stderr, "tbcompile: Duktape fatal error: %s\n", msg ? msg : "(no message)");
	exit(70);
}

static void fatal_handler(void *udata, const char *msg) {
	typeboot_duk_fatal(udata, msg);
}

static duk_context *new_heap(heap_stats *s) {
	memset(s, 0, sizeof(*s));
	duk_context *ctx = duk_create_heap(acc_alloc, acc_realloc, acc_free, s, fatal_handler);
	if (!ctx) {
		fprintf(stderr, "tbcompile: duk_create_heap failed\n");
		exit(70);
	}
	return ctx;
}

/* ---- files ---- */
static uint8_t *read_file(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "tbcompile: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) break;
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap) break;
		cap *= 2;
		uint8_t *nb = realloc(buf, cap);
		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		fprintf(stderr, "tbcompile: cannot read %s\n", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int write_file(const char *path, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "tbcompile: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	int ok = fwrite(a, 1, alen, f) == alen && fwrite(b, 1, blen, f) == blen;
	if (fclose(f) != 0) ok = 0;
	if (!ok) fprintf(stderr, "tbcompile: cannot write %s\n", path);
	return ok ? 0 : -1;
}

static int ends_with(const char *s, const char *suffix) {
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Checks a TBBC image; on success code and code_len give the bytecode inside it. The loader on the
 * chip must do the same before duk_load_function(), which does not validate its input. */
static const char *tbbc_check(const uint8_t *buf, size_t len, const uint8_t **code, size_t *code_len) {
	if (len < TBBC_HEADER_SIZE) return "shorter than the header";
	if (memcmp(buf, TBBC_MAGIC, 4) != 0) return "bad magic (not a TBBC file)";
	if (get_u32le(buf + 4) != TBBC_VERSION) return "unsupported header version";
	if (get_u32le(buf + 8) != (uint32_t) TYPEBOOT_DUK_FINGERPRINT) return "configuration fingerprint mismatch (made by a different duk_config.h)";
	uint32_t n = get_u32le(buf + 12);
	if (n == 0 || (size_t) n != len - TBBC_HEADER_SIZE) return "length mismatch";
	if (crc32_bytes(buf + TBBC_HEADER_SIZE, n) != get_u32le(buf + 16)) return "CRC mismatch (corrupted bytecode)";
	*code = buf + TBBC_HEADER_SIZE;
	*code_len = n;
	return NULL;
}

/* Compile src (a program) and leave the function on the stack; 0 on success, else error on stack. */
static duk_int_t compile_program(duk_context *ctx, const uint8_t *src, size_t len) {
	return duk_pcompile_lstring(ctx, 0, (const char *) src, len);
}

static int cmd_compile(const char *in, const char *out) {
	size_t len;
	uint8_t *src = read_file(in, &len);
	if (!src) return 1;
	heap_stats st;
	duk_context *ctx = new_heap(&st);
	if (compile_program(ctx, src, len) != 0) {
		fprintf(stderr, "tbcompile: %s: %s\n", in, duk_safe_to_string(ctx, -1));
		duk_destroy_heap(ctx);
		free(src);
		return 1;
	}
	duk_dump_function(ctx);
	duk_size_t n;
	const uint8_t *code = duk_get_buffer(ctx, -1, &n);
	uint8_t hdr[TBBC_HEADER_SIZE];
	memcpy(hdr, TBBC_MAGIC, 4);
	put_u32le(hdr + 4, TBBC_VERSION);
	put_u32le(hdr + 8, (uint32_t) TYPEBOOT_DUK_FINGERPRINT);
	put_u32le(hdr + 12, (uint32_t) n);
	put_u32le(hdr + 16, crc32_bytes(code, n));
	int rc = write_file(out, hdr, sizeof(hdr), code, n) == 0 ? 0 : 1;
	duk_destroy_heap(ctx);
	free(src);
	return rc;
}

static int cmd_verify(const char *path) {
	size_t len;
	uint8_t *buf = read_file(path, &len);
	if (!buf) return 1;
	const uint8_t *code;
	size_t n;
	const char *err = tbbc_check(buf, len, &code, &n);
	if (err) {
		fprintf(stderr, "tbcompile: %s: %s\n", path, err);
		free(buf);
		return 1;
	}
	printf("%s: ok, %zu bytes of bytecode, fingerprint %08x, crc %08x\n", path, n, (unsigned) TYPEBOOT_DUK_FINGERPRINT,
	       (unsigned) get_u32le(buf + 16));
	free(buf);
	return 0;
}

static duk_ret_t native_print(duk_context *ctx) {
	duk_idx_t n = duk_get_top(ctx);
	for (duk_idx_t i = 0; i < n; i++) {
		if (i) fputc(' ', stdout);
		fputs(duk_safe_to_string(ctx, i), stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
	return 0;
}

void tb_push_math(duk_context *ctx); /* firmware/core/mod_math.c: the chip's Math */

static int cmd_eval(int argc, char **argv) {
	heap_stats st;
	duk_context *ctx = new_heap(&st);
	tb_push_math(ctx);
	duk_put_global_string(ctx, "Math");
	duk_push_c_function(ctx, native_print, DUK_VARARGS);
	duk_put_global_string(ctx, "print");
	int rc = 0;
	for (int i = 0; i < argc && rc == 0; i++) {
		size_t len;
		uint8_t *buf = read_file(argv[i], &len);
		if (!buf) {
			rc = 1;
			break;
		}
		if (ends_with(argv[i], ".tbbc")) {
			const uint8_t *code;
			size_t n;
			const char *err = tbbc_check(buf, len, &code, &n);
			if (err) {
				fprintf(stderr, "tbcompile: %s: %s\n", argv[i], err);
				free(buf);
				rc = 1;
				break;
			}
			/* As on the chip: the bytecode stays where it is (flash there), no copy into the heap. */
			duk_push_external_buffer(ctx);
			duk_config_buffer(ctx, -1, (void *) code, n);
			duk_load_function(ctx);
		} else if (compile_program(ctx, buf, len) != 0) {
			fprintf(stderr, "tbcompile: %s: %s\n", argv[i], duk_safe_to_string(ctx, -1));
			free(buf);
			rc = 1;
			break;
		}
		duk_int_t r = duk_pcall(ctx, 0);
		free(buf);
		if (r != 0) {
			fprintf(stderr, "tbcompile: %s: uncaught %s\n", argv[i], duk_safe_to_string(ctx, -1));
			rc = 1;
		} else if (i == argc - 1 && !duk_is_undefined(ctx, -1)) {
			printf("%s\n", duk_safe_to_string(ctx, -1));
		}
		duk_pop(ctx);
	}
	duk_destroy_heap(ctx);
	return rc;
}

#if defined(DUK_USE_PACKED_TVAL)
#define PACKED_TVAL "true"
#else
#define PACKED_TVAL "false"
#endif

static void settle(duk_context *ctx) {
	duk_gc(ctx, 0);
	duk_gc(ctx, 0);
}

static int cmd_measure(int argc, char **argv) {
	heap_stats st;
	duk_context *ctx = new_heap(&st);
	size_t created = st.cur, created_peak = st.peak, created_allocs = st.total_allocs;
	duk_destroy_heap(ctx);
	printf("{\"pointer_bits\":%u,\"packed_tval\":%s,\"heap_after_create\":%zu,\"peak_during_create\":%zu,\"allocs_during_create\":%zu,\"files\":[",
	       (unsigned) (sizeof(void *) * 8), PACKED_TVAL, created, created_peak, created_allocs);
	for (int i = 0; i < argc; i++) {
		size_t len;
		uint8_t *src = read_file(argv[i], &len);
		if (!src) return 1;
		/* compile: fresh heap, source outside the heap (in flash on a chip) */
		ctx = new_heap(&st);
		size_t base = st.cur;
		st.peak = st.cur;
		if (compile_program(ctx, src, len) != 0) {
			fprintf(stderr, "tbcompile: %s: %s\n", argv[i], duk_safe_to_string(ctx, -1));
			return 1;
		}
		size_t compile_peak = st.peak;
		settle(ctx);
		size_t compile_kept = st.cur;
		duk_dump_function(ctx);
		duk_size_t n;
		const void *code = duk_get_buffer(ctx, -1, &n);
		void *copy = malloc(n);
		memcpy(copy, code, n);
		duk_destroy_heap(ctx);
		/* load: fresh heap, bytecode outside the heap (external buffer, as from flash) */
		ctx = new_heap(&st);
		st.peak = st.cur;
		duk_push_external_buffer(ctx);
		duk_config_buffer(ctx, -1, copy, n);
		duk_load_function(ctx);
		size_t load_peak = st.peak;
		settle(ctx);
		size_t load_kept = st.cur;
		duk_destroy_heap(ctx);
		free(copy);
		printf("%s{\"file\":\"%s\",\"source_bytes\":%zu,\"bytecode_bytes\":%zu,\"heap_before\":%zu,"
		       "\"compile_peak\":%zu,\"compile_kept\":%zu,\"load_peak\":%zu,\"load_kept\":%zu}",
		       i ? "," : "", argv[i], len, (size_t) n, base, compile_peak, compile_kept, load_peak, load_kept);
		free(src);
	}
	printf("]}\n");
	return 0;
}

static void usage(void) {
	fprintf(stderr,
	        "usage: tbcompile IN.js OUT.tbbc | --verify FILE.tbbc | --eval FILE... | --measure FILE.js... | --fingerprint\n");
}

int main(int argc, char **argv) {
	crc_init();
	if (argc == 2 && strcmp(argv[1], "--fingerprint") == 0) {
		printf("%08x\n", (unsigned) TYPEBOOT_DUK_FINGERPRINT);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--verify") == 0) return cmd_verify(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "--eval") == 0) return cmd_eval(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "--measure") == 0) return cmd_measure(argc - 2, argv + 2);
	if (argc == 3 && argv[1][0] != '-') return cmd_compile(argv[1], argv[2]);
	usage();
	return 2;
}
