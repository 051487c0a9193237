/* common.c - data generators, timing, memory and disk measurement, output. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

uint8_t *value_pool;

double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "srd_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

void make_key(uint64_t i, uint8_t out[KEY_LEN]) {
    for (int d = KEY_LEN - 1; d >= 0; d--) {
        out[d] = (uint8_t)('0' + i % 10);
        i /= 10;
    }
}

uint8_t *key_table(uint64_t n) {
    uint8_t *t = xmalloc(n * KEY_LEN);
    for (uint64_t i = 0; i < n; i++) make_key(i, t + i * KEY_LEN);
    return t;
}

uint32_t *shuffled(uint64_t n, uint64_t seed) {
    uint32_t *p = xmalloc(n * sizeof *p);
    for (uint64_t i = 0; i < n; i++) p[i] = (uint32_t)i;
    uint64_t s = seed;
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = splitmix64(&s) % i;
        uint32_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    return p;
}

uint32_t *uniform(uint64_t count, uint64_t n, uint64_t base, uint64_t seed) {
    uint32_t *p = xmalloc(count * sizeof *p);
    uint64_t s = seed;
    for (uint64_t i = 0; i < count; i++) p[i] = (uint32_t)(base + splitmix64(&s) % n);
    return p;
}

void value_pool_init(void) {
    value_pool = xmalloc(VALUE_POOL);
    uint64_t s = 7;
    for (size_t i = 0; i < VALUE_POOL; i += 8) {
        uint64_t x = splitmix64(&s);
        for (int b = 0; b < 8; b++) value_pool[i + b] = (uint8_t)(x >> (8 * b));
    }
}

uint64_t rss_anon(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %lu kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

static uint64_t du_total;
static int du_cb(const char *p, const struct stat *st, int type, struct FTW *ftw) {
    (void)p; (void)ftw;
    if (type == FTW_F) du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}
uint64_t disk_usage(const char *path) {
    du_total = 0;
    nftw(path, du_cb, 16, FTW_PHYS);
    return du_total;
}

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *ftw) {
    (void)st; (void)type; (void)ftw;
    if (remove(p) != 0 && errno != ENOENT) fprintf(stderr, "srd_bench: remove %s: %s\n", p, strerror(errno));
    return 0;
}
void rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void mkdir_p(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) die("mkdir %s: %s", buf, strerror(errno));
}

void emit(const char *engine, int run, const char *metric, double value, uint64_t check) {
    printf("R,%s,%d,%s,%.6g,%lu\n", engine, run, metric, value, (unsigned long)check);
    fflush(stdout);
}

void emit_meta(const char *engine, const char *key, const char *value) {
    printf("M,%s,%s,%s\n", engine, key, value);
    fflush(stdout);
}
