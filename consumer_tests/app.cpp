// app.cpp - a consumer of an installed simd_r_drive, in C++17 through simd_r_drive.hpp:
// opens a store in the directory given as argv[1], writes, reads back, iterates, and
// checks that errors arrive as srd::error.
#include <simd_r_drive.hpp>

#include <cstdio>
#include <string>

int main(int argc, char **argv) {
    const std::string path = std::string(argc > 1 ? argv[1] : ".") + "/consumer-cpp.srd";
    std::remove(path.c_str());
    try {
        if (srd::version_number() != SRD_VERSION_NUMBER) {
            std::fprintf(stderr, "consumer (C++): header %s but library %s\n", SRD_VERSION_STRING,
                         srd::version_string());
            return 1;
        }
        {
            srd::store db(path);
            db.write("answer", "42");
            if (srd::as_string_view(db.read("answer")) != "42" || db.try_read("question")) {
                std::fprintf(stderr, "consumer (C++): read back the wrong value\n");
                return 1;
            }
            std::size_t n = 0;
            for (auto [hash, value] : db.entries()) {
                if (hash == srd::hash_key("answer") && srd::as_string_view(value) == "42") ++n;
            }
            if (n != 1) {
                std::fprintf(stderr, "consumer (C++): iteration did not find the value\n");
                return 1;
            }
        }
        try {
            srd::store missing(path + ".missing", srd::open_flags::no_create);
            std::fprintf(stderr, "consumer (C++): opening a missing store did not throw\n");
            return 1;
        } catch (const srd::error &e) {
            if (e.code() != srd::status::not_found) throw;
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "consumer (C++): %s\n", e.what());
        return 1;
    }
    std::remove(path.c_str());
    std::printf("consumer (C++): simd_r_drive %s ok\n", srd::version_string());
    return 0;
}
