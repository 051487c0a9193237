/*
 * test_simd_views.c - values stored as arrays of float, double and uint64_t can be read
 * in place with ALIGNED vector loads, which fault on a misaligned address:
 *   SSE2  _mm_load_ps / _mm_load_pd / _mm_load_si128       (16-byte alignment, always)
 *   AVX   _mm256_load_ps / _mm256_load_pd / _mm256_load_si256 (32-byte, if the CPU has AVX)
 *   AVX-512F _mm512_load_ps / _pd / _si512                  (64-byte, if the CPU has it)
 * through srd_read's pointer, a pinned entry's pointer (also after compaction and close),
 * srd_read_batch, srd_iter and a reopened read-only store. The vector sums must equal
 * scalar sums of the data that was written (values are chosen so float sums are exact).
 *
 * x86-64 only for the vector part; elsewhere it is skipped (with a message) and only the
 * scalar checks run.
 */
#include "tst_test.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define SRD_HAVE_X86 1
#else
#define SRD_HAVE_X86 0
#endif

enum elem_kind { K_FLOAT, K_DOUBLE, K_U64 };
static const char *const kind_name[] = {"float", "double", "uint64"};
static const size_t kind_size[] = {sizeof(float), sizeof(double), sizeof(uint64_t)};

/* Element counts, most not multiples of any vector width. */
static const size_t counts[] = {1,   2,   3,   5,    7,    8,    9,    15,   16,   17,
                                31,  33,  63,  64,   65,   100,  127,  255,  257,  1000,
                                1023, 1025, 4097, 9999, 10000};
#define NCOUNTS (sizeof counts / sizeof counts[0])

struct sums {
    double f;   /* float sum (exact: small integers) */
    double d;   /* double sum (exact: quarters) */
    uint64_t u; /* wrapping uint64 sum */
};

static void *make_array(enum elem_kind k, size_t n, uint64_t seed) {
    void *a = malloc(n * kind_size[k]);
    REQUIRE(a != NULL);
    tst_rng rng = {seed};
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case K_FLOAT: ((float *)a)[i] = (float)(tst_rng_below(&rng, 13)); break;
        case K_DOUBLE: ((double *)a)[i] = (double)tst_rng_below(&rng, 4000) * 0.25; break;
        case K_U64: ((uint64_t *)a)[i] = tst_rng_next(&rng); break;
        }
    }
    return a;
}

static struct sums scalar_sums(enum elem_kind k, const void *a, size_t n) {
    struct sums s = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case K_FLOAT: s.f += ((const float *)a)[i]; break;
        case K_DOUBLE: s.d += ((const double *)a)[i]; break;
        case K_U64: s.u += ((const uint64_t *)a)[i]; break;
        }
    }
    return s;
}

#if SRD_HAVE_X86
/* ---- SSE2 (baseline on x86-64) ---------------------------------------------------- */
static double sse_sum_f(const float *p, size_t n) {
    __m128 acc = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) acc = _mm_add_ps(acc, _mm_load_ps(p + i));
    float lanes[4];
    _mm_storeu_ps(lanes, acc);
    double s = (double)lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i < n; i++) s += p[i];
    return s;
}

static double sse_sum_d(const double *p, size_t n) {
    __m128d acc = _mm_setzero_pd();
    size_t i = 0;
    for (; i + 2 <= n; i += 2) acc = _mm_add_pd(acc, _mm_load_pd(p + i));
    double lanes[2];
    _mm_storeu_pd(lanes, acc);
    double s = lanes[0] + lanes[1];
    for (; i < n; i++) s += p[i];
    return s;
}

static uint64_t sse_sum_u(const uint64_t *p, size_t n) {
    __m128i acc = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 2 <= n; i += 2) acc = _mm_add_epi64(acc, _mm_load_si128((const __m128i *)(p + i)));
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)lanes, acc);
    uint64_t s = lanes[0] + lanes[1];
    for (; i < n; i++) s += p[i];
    return s;
}

/* ---- AVX (32-byte aligned loads) ------------------------------------------------- */
__attribute__((target("avx"))) static double avx_sum_f(const float *p, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, _mm256_load_ps(p + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    double s = 0;
    for (int l = 0; l < 8; l++) s += lanes[l];
    for (; i < n; i++) s += p[i];
    return s;
}

__attribute__((target("avx"))) static double avx_sum_d(const double *p, size_t n) {
    __m256d acc = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) acc = _mm256_add_pd(acc, _mm256_load_pd(p + i));
    double lanes[4];
    _mm256_storeu_pd(lanes, acc);
    double s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i < n; i++) s += p[i];
    return s;
}

/* AVX has no 256-bit integer add (AVX2 has): load 256 bits, add the two 128-bit halves. */
__attribute__((target("avx"))) static uint64_t avx_sum_u(const uint64_t *p, size_t n) {
    __m128i acc = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i v = _mm256_load_si256((const __m256i *)(p + i));
        acc = _mm_add_epi64(acc, _mm256_castsi256_si128(v));
        acc = _mm_add_epi64(acc, _mm256_extractf128_si256(v, 1));
    }
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)lanes, acc);
    uint64_t s = lanes[0] + lanes[1];
    for (; i < n; i++) s += p[i];
    return s;
}

/* ---- AVX-512F (64-byte aligned loads: the full documented alignment) -------------- */
__attribute__((target("avx512f"))) static double avx512_sum_f(const float *p, size_t n) {
    __m512 acc = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_add_ps(acc, _mm512_load_ps(p + i));
    float lanes[16];
    _mm512_storeu_ps(lanes, acc);
    double s = 0;
    for (int l = 0; l < 16; l++) s += lanes[l];
    for (; i < n; i++) s += p[i];
    return s;
}

__attribute__((target("avx512f"))) static double avx512_sum_d(const double *p, size_t n) {
    __m512d acc = _mm512_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm512_add_pd(acc, _mm512_load_pd(p + i));
    double lanes[8];
    _mm512_storeu_pd(lanes, acc);
    double s = 0;
    for (int l = 0; l < 8; l++) s += lanes[l];
    for (; i < n; i++) s += p[i];
    return s;
}

__attribute__((target("avx512f"))) static uint64_t avx512_sum_u(const uint64_t *p, size_t n) {
    __m512i acc = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm512_add_epi64(acc, _mm512_load_si512((const void *)(p + i)));
    uint64_t lanes[8];
    _mm512_storeu_si512((void *)lanes, acc);
    uint64_t s = 0;
    for (int l = 0; l < 8; l++) s += lanes[l];
    for (; i < n; i++) s += p[i];
    return s;
}
#endif

static int have_avx, have_avx512;
static unsigned long simd_views_checked;

/* Checks one view `p` of an array of n elements of kind k against the expected sums. */
static void check_view(const char *how, enum elem_kind k, const uint8_t *p, size_t len, size_t n,
                       const void *want_bytes, struct sums want) {
    tst_ctx("%s, %s[%zu]", how, kind_name[k], n);
    if (!CHECK(p != NULL)) return;
    if (!CHECK_EQ_U(len, n * kind_size[k])) return;
    if (!CHECK_EQ_U((uintptr_t)p % 64, 0)) return; /* never run vector loads on a bad pointer */
    CHECK_MEM(p, want_bytes, len);
    struct sums sc = scalar_sums(k, p, n);
    CHECK(sc.f == want.f && sc.d == want.d && sc.u == want.u);
#if SRD_HAVE_X86
    switch (k) {
    case K_FLOAT:
        CHECK_MSG(sse_sum_f((const float *)p, n) == want.f, "SSE float sum");
        if (have_avx) CHECK_MSG(avx_sum_f((const float *)p, n) == want.f, "AVX float sum");
        if (have_avx512) CHECK_MSG(avx512_sum_f((const float *)p, n) == want.f, "AVX-512 float sum");
        break;
    case K_DOUBLE:
        CHECK_MSG(sse_sum_d((const double *)p, n) == want.d, "SSE double sum");
        if (have_avx) CHECK_MSG(avx_sum_d((const double *)p, n) == want.d, "AVX double sum");
        if (have_avx512) CHECK_MSG(avx512_sum_d((const double *)p, n) == want.d, "AVX-512 double sum");
        break;
    case K_U64:
        CHECK_EQ_U(sse_sum_u((const uint64_t *)p, n), want.u);
        if (have_avx) CHECK_EQ_U(avx_sum_u((const uint64_t *)p, n), want.u);
        if (have_avx512) CHECK_EQ_U(avx512_sum_u((const uint64_t *)p, n), want.u);
        break;
    }
#endif
    simd_views_checked++;
    tst_ctx_clear();
}

struct stored_array {
    char key[32];
    enum elem_kind kind;
    size_t n;
    void *data;
    struct sums sums;
    srd_entry *pinned; /* pinned before compaction */
};

static void check_by_read_and_entry(const srd_store *s, struct stored_array *arr, size_t na,
                                    const char *phase) {
    char how[64];
    for (size_t i = 0; i < na; i++) {
        struct stored_array *a = &arr[i];
        const uint8_t *p = NULL;
        size_t len = 0;
        snprintf(how, sizeof how, "%s srd_read", phase);
        if (CHECK_OK(srd_read(s, SRD_U8(a->key), strlen(a->key), &p, &len)))
            check_view(how, a->kind, p, len, a->n, a->data, a->sums);
        srd_entry *e = NULL;
        snprintf(how, sizeof how, "%s pinned entry", phase);
        if (CHECK_OK(srd_read_entry(s, SRD_U8(a->key), strlen(a->key), &e))) {
            size_t el = 0;
            const uint8_t *ep = srd_entry_data(e, &el);
            check_view(how, a->kind, ep, el, a->n, a->data, a->sums);
            srd_entry_free(e);
        }
    }
}

static void test_stored_arrays_load_with_aligned_simd_through_every_pointer(void) {
    const char *path = tst_path("simd.srd");
    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    size_t na = NCOUNTS * 3;
    struct stored_array *arr = (struct stored_array *)calloc(na, sizeof *arr);
    REQUIRE(arr != NULL);
    size_t idx = 0;
    for (size_t c = 0; c < NCOUNTS; c++) {
        for (int k = 0; k < 3; k++) {
            struct stored_array *a = &arr[idx++];
            a->kind = (enum elem_kind)k;
            a->n = counts[c];
            snprintf(a->key, sizeof a->key, "%s-%zu", kind_name[k], a->n);
            a->data = make_array(a->kind, a->n, (uint64_t)(c * 3 + (size_t)k + 1));
            a->sums = scalar_sums(a->kind, a->data, a->n);
            size_t bytes = a->n * kind_size[k];
            /* a lone zero byte cannot occur: every value is at least 4 bytes */
            CHECK_OK(srd_write(s, SRD_U8(a->key), strlen(a->key), (const uint8_t *)a->data, bytes));
            /* an odd-length value in between, so the next array needs padding */
            CHECK_OK(srd_write(s, SRD_U8("spacer"), 6, SRD_U8("abc"), 3));
        }
    }
    /* some arrays also overwritten by a different array of the same shape */
    for (size_t i = 0; i < na; i += 7) {
        struct stored_array *a = &arr[i];
        free(a->data);
        a->data = make_array(a->kind, a->n, 1000 + i);
        a->sums = scalar_sums(a->kind, a->data, a->n);
        CHECK_OK(srd_write(s, SRD_U8(a->key), strlen(a->key), (const uint8_t *)a->data,
                           a->n * kind_size[a->kind]));
    }

    check_by_read_and_entry(s, arr, na, "fresh");

    /* batch reads */
    srd_key *keys = (srd_key *)calloc(na, sizeof *keys);
    srd_read_result *res = (srd_read_result *)calloc(na, sizeof *res);
    REQUIRE(keys && res);
    for (size_t i = 0; i < na; i++) {
        keys[i].key = SRD_U8(arr[i].key);
        keys[i].key_len = strlen(arr[i].key);
    }
    if (CHECK_OK(srd_read_batch(s, keys, na, res))) {
        for (size_t i = 0; i < na; i++)
            if (CHECK_OK(res[i].status))
                check_view("srd_read_batch", arr[i].kind, res[i].value, res[i].value_len, arr[i].n,
                           arr[i].data, arr[i].sums);
    }

    /* pin every array, compact, close: the pinned pointers stay loadable */
    for (size_t i = 0; i < na; i++)
        CHECK_OK(srd_read_entry(s, SRD_U8(arr[i].key), strlen(arr[i].key), &arr[i].pinned));
    CHECK_OK(srd_compact(s));
    check_by_read_and_entry(s, arr, na, "compacted");
    srd_close(s);
    for (size_t i = 0; i < na; i++) {
        if (arr[i].pinned == NULL) continue;
        size_t el = 0;
        const uint8_t *ep = srd_entry_data(arr[i].pinned, &el);
        check_view("pinned across compact+close", arr[i].kind, ep, el, arr[i].n, arr[i].data,
                   arr[i].sums);
        srd_entry_free(arr[i].pinned);
        arr[i].pinned = NULL;
    }

    /* a read-only reopen, including iteration */
    s = NULL;
    REQUIRE(srd_open(path, SRD_OPEN_READ_ONLY, &s) == SRD_OK);
    check_by_read_and_entry(s, arr, na, "read-only reopen");
    srd_iter *it = NULL;
    size_t seen = 0;
    if (CHECK_OK(srd_iter_new(s, &it))) {
        uint64_t h;
        const uint8_t *v;
        size_t n;
        while (srd_iter_next(it, &h, &v, &n) == SRD_OK) {
            for (size_t i = 0; i < na; i++) {
                uint64_t ah = 0;
                CHECK_OK(srd_hash_key(SRD_U8(arr[i].key), strlen(arr[i].key), &ah));
                if (ah != h) continue;
                check_view("srd_iter", arr[i].kind, v, n, arr[i].n, arr[i].data, arr[i].sums);
                seen++;
                break;
            }
        }
        srd_iter_free(it);
    }
    CHECK_EQ_U(seen, na);
    srd_close(s);

    for (size_t i = 0; i < na; i++) free(arr[i].data);
    free(arr);
    free(keys);
    free(res);
}

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_simd_views");
#if SRD_HAVE_X86
    __builtin_cpu_init();
    have_avx = __builtin_cpu_supports("avx");
    have_avx512 = __builtin_cpu_supports("avx512f");
    printf("test_simd_views: SSE2 yes, AVX %s, AVX-512F %s\n", have_avx ? "yes" : "no (skipped)",
           have_avx512 ? "yes" : "no (skipped)");
#else
    printf("test_simd_views: not x86-64: SIMD loads SKIPPED, only alignment and scalar checks run\n");
#endif
    test_stored_arrays_load_with_aligned_simd_through_every_pointer();
    printf("test_simd_views: %lu array views checked\n", simd_views_checked);
    return tst_test_finish();
}
