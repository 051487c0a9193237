/*
 * test_static_link.c - a program linked against libsimd_r_drive.a (no shared library)
 * opens a store, writes, reads back, reopens and closes.
 */
#include "tst_test.h"

int main(int argc, char **argv) {
    tst_test_init(argc, argv, "test_static_link");
    const char *path = tst_path("static.srd");
    CHECK_EQ_U(srd_version_number(), SRD_VERSION_NUMBER);
    CHECK_STR(srd_version_string(), SRD_VERSION_STRING);

    srd_store *s = NULL;
    REQUIRE(srd_open(path, 0, &s) == SRD_OK);
    const char *val = "statically linked value";
    CHECK_OK(srd_write(s, SRD_U8("key"), 3, SRD_U8(val), strlen(val)));
    const uint8_t *p = NULL;
    size_t n = 0;
    if (CHECK_OK(srd_read(s, SRD_U8("key"), 3, &p, &n))) {
        CHECK_EQ_U(n, strlen(val));
        CHECK_MEM(p, val, n);
        CHECK_EQ_U((uintptr_t)p % 64, 0);
    }
    CHECK_STATUS(srd_read(s, SRD_U8("nope"), 4, &p, &n), SRD_NOT_FOUND);
    srd_close(s);

    s = NULL;
    if (CHECK_OK(srd_open(path, SRD_OPEN_READ_ONLY, &s))) {
        srd_entry *e = NULL;
        if (CHECK_OK(srd_read_entry(s, SRD_U8("key"), 3, &e))) {
            const uint8_t *d = srd_entry_data(e, &n);
            CHECK_EQ_U(n, strlen(val));
            CHECK_MEM(d, val, n);
            srd_entry_free(e);
        }
        CHECK_STATUS(srd_write(s, SRD_U8("k"), 1, SRD_U8("v"), 1), SRD_READ_ONLY);
        srd_close(s);
    }
    CHECK(strlen(srd_status_str(SRD_CORRUPT)) > 0);
    return tst_test_finish();
}
