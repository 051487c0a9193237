// test_wrapper.cpp - every function of include/simd_r_drive.hpp, success and error paths.
//
// Built as C++17 and C++20 with -Wall -Wextra -Werror -pedantic (and more), under gcc by
// CMake and under clang by consumer_tests/compile_and_run.sh. Usage: test_wrapper SCRATCH_DIR
// (a fresh directory is made inside it and removed when every check passed).
// Prints "N passed, N failed"; exits non-zero on any failure.
#include "simd_r_drive.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#if __has_include(<ranges>) && __cplusplus >= 202002L
#include <ranges>
#endif
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

#ifndef SRD_CARGO_VERSION
#error "SRD_CARGO_VERSION (the version in Cargo.toml) must be defined by the build"
#endif
#ifndef SRD_TEST_DIALECT
#define SRD_TEST_DIALECT "C++"
#endif

namespace fs = std::filesystem;

namespace {

int g_passed = 0;
int g_failed = 0;

void record(bool ok, const char *what, const char *file, int line) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    }
}

#define CHECK(cond) record(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define FAIL(what) record(false, what, __FILE__, __LINE__)

// Runs `body`, which must throw srd::error with status `want`.
template <class F>
void expect_error(srd::status want, F &&body, const char *what, const char *file, int line) {
    try {
        body();
        record(false, (std::string(what) + " did not throw").c_str(), file, line);
    } catch (const srd::error &e) {
        const bool ok = e.code() == want;
        if (!ok) {
            std::fprintf(stderr, "%s:%d: %s threw status %d (%s), expected %d\n", file, line, what,
                         static_cast<int>(e.code()), e.what(), static_cast<int>(want));
        }
        record(ok, what, file, line);
        // what() starts with the operation and carries the library's message.
        record(std::string(e.what()).rfind("srd::", 0) == 0, "what() names the operation", file,
               line);
        record(std::string(e.message()).size() > 0, "the error carries a message", file, line);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s:%d: %s threw another exception: %s\n", file, line, what, e.what());
        record(false, what, file, line);
    }
}
#define EXPECT_ERROR(st, expr) expect_error(st, [&] { (void)(expr); }, #expr, __FILE__, __LINE__)

std::string sv(srd::bytes_view v) { return srd::to_string(v); }

bool aligned64(srd::bytes_view v) { return reinterpret_cast<std::uintptr_t>(v.data()) % 64 == 0; }

std::uint32_t crc32(const void *data, std::size_t len) {  // CRC-32/ISO-HDLC, as crc32fast
    const auto *p = static_cast<const unsigned char *>(data);
    std::uint32_t crc = 0xFFFFFFFFu;
    for (std::size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

std::uint64_t le64(const std::uint8_t *p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

std::string file_bytes(const fs::path &path, std::uint64_t offset, std::size_t len) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string out(len, '\0');
    in.read(&out[0], static_cast<std::streamsize>(len));
    return out;
}

void flip_byte(const fs::path &path, std::uint64_t offset) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x5A));
}

fs::path g_dir;
int g_file_counter = 0;
fs::path fresh(const char *name) {
    return g_dir / (std::string(name) + "-" + std::to_string(++g_file_counter) + ".srd");
}

// --------------------------------------------------------------------------------------------

void test_versions() {
    CHECK(srd::version_number() == SRD_VERSION_NUMBER);
    CHECK(std::string(srd::version_string()) == SRD_VERSION_STRING);
    CHECK(std::string(srd::version_string()) == SRD_CARGO_VERSION);
    CHECK(srd::version_matches_header());
}

void test_status_and_errors() {
    CHECK(static_cast<std::int32_t>(srd::status::ok) == 0);
    CHECK(static_cast<std::int32_t>(srd::status::not_found) == SRD_NOT_FOUND);
    CHECK(static_cast<std::int32_t>(srd::status::invalid_argument) == SRD_INVALID_ARGUMENT);
    CHECK(static_cast<std::int32_t>(srd::status::io) == SRD_IO);
    CHECK(static_cast<std::int32_t>(srd::status::corrupt) == SRD_CORRUPT);
    CHECK(static_cast<std::int32_t>(srd::status::locked) == SRD_LOCKED);
    CHECK(static_cast<std::int32_t>(srd::status::read_only) == SRD_READ_ONLY);
    CHECK(static_cast<std::int32_t>(srd::status::panic) == SRD_PANIC);
    CHECK(static_cast<std::int32_t>(srd::status::busy) == SRD_BUSY);
    CHECK(std::string(srd::to_string(srd::status::not_found)) == srd_status_str(SRD_NOT_FOUND));

    // std::error_code integration
    CHECK(std::string(srd::error_category().name()) == "simd_r_drive");
    std::error_code ec = srd::status::corrupt;
    CHECK(ec == srd::status::corrupt);
    CHECK(ec != srd::status::io);
    CHECK(ec.category() == srd::error_category());
    CHECK(ec.message() == srd_status_str(SRD_CORRUPT));
    CHECK(srd::make_error_code(srd::status::busy).value() == SRD_BUSY);

    // srd::error
    static_assert(std::is_base_of_v<std::runtime_error, srd::error>);
    const srd::error e(srd::status::locked, "detail text", "srd::op");
    CHECK(e.code() == srd::status::locked);
    CHECK(std::string(e.message()) == "detail text");
    CHECK(std::string(e.what()) == "srd::op: detail text");
    CHECK(std::string(e.status_text()) == srd_status_str(SRD_LOCKED));
    CHECK(e.as_error_code() == srd::status::locked);
    const srd::error bare(srd::status::io, "");
    CHECK(std::string(bare.what()) == srd_status_str(SRD_IO));
    CHECK(std::string(bare.message()) == srd_status_str(SRD_IO));
    const srd::error copy = e;
    CHECK(std::string(copy.what()) == e.what());
    try {
        throw srd::error(srd::status::corrupt, "x");
    } catch (const std::runtime_error &r) {
        CHECK(std::string(r.what()) == "x");
    }

    // The library's message of a real failure reaches the exception and last_error_message().
    try {
        srd::store s(g_dir / "missing.srd", srd::open_flags::no_create);
        FAIL("opening a missing store with no_create threw");
    } catch (const srd::error &err) {
        CHECK(err.code() == srd::status::not_found);
        CHECK(std::string(err.message()) == srd::last_error_message());
        CHECK(std::string(err.what()).find("missing.srd") != std::string::npos);
    }
}

void test_bytes() {
    // bytes_ref from every kind of input
    const srd::bytes_ref lit("abc");
    CHECK(lit.size() == 3 && std::memcmp(lit.data(), "abc", 3) == 0);
    const std::string str("hello");
    CHECK(srd::bytes_ref(str).size() == 5 && srd::bytes_ref(str).data() == reinterpret_cast<const std::uint8_t *>(str.data()));
    CHECK(srd::bytes_ref(std::string_view("xy")).size() == 2);
    const std::vector<char> vc{'a', 'b'};
    CHECK(srd::bytes_ref(vc).size() == 2);
    const std::vector<std::uint8_t> vu{1, 2, 3, 4};
    CHECK(srd::bytes_ref(vu).size() == 4);
    const std::array<std::byte, 3> ab{std::byte{1}, std::byte{2}, std::byte{3}};
    CHECK(srd::bytes_ref(ab).size() == 3);
    const float floats[2] = {1.0f, 2.0f};
    CHECK(srd::bytes_ref(floats, sizeof floats).size() == 8);
    const char *null_text = nullptr;
    CHECK(srd::bytes_ref(null_text).size() == 0 && srd::bytes_ref(null_text).empty());
    CHECK(srd::bytes_ref().empty());
    static_assert(!std::is_convertible_v<std::vector<int>, srd::bytes_ref>, "ints are not bytes");
    static_assert(!std::is_convertible_v<srd::key_hash, srd::bytes_ref>, "a hash is not a key");
    static_assert(!std::is_convertible_v<int, srd::key_hash>, "a number is not a hash");

    // bytes_view (std::span under C++20)
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
    static_assert(std::is_same_v<srd::bytes_view, std::span<const std::byte>>);
    CHECK(SRD_HPP_HAS_SPAN == 1);
#else
    CHECK(SRD_HPP_HAS_SPAN == 0);
#endif
    const std::string text("0123456789");
    const srd::bytes_view v(reinterpret_cast<const std::byte *>(text.data()), text.size());
    CHECK(v.size() == 10 && v.size_bytes() == 10 && !v.empty());
    CHECK(v.data() == reinterpret_cast<const std::byte *>(text.data()));
    CHECK(static_cast<char>(v[3]) == '3' && static_cast<char>(v.front()) == '0' &&
          static_cast<char>(v.back()) == '9');
    CHECK(sv(v.first(2)) == "01" && sv(v.last(2)) == "89" && sv(v.subspan(4, 3)) == "456" &&
          sv(v.subspan(7)) == "789");
    CHECK(std::distance(v.begin(), v.end()) == 10);
    CHECK(static_cast<char>(*v.rbegin()) == '9' && std::distance(v.rbegin(), v.rend()) == 10);
    std::string rebuilt;
    for (std::byte b : v) rebuilt.push_back(static_cast<char>(b));
    CHECK(rebuilt == text);
    CHECK(srd::bytes_view().empty() && srd::bytes_view().size() == 0);
    CHECK(srd::as_string_view(v) == "0123456789");
    CHECK(srd::to_vector(v.first(2)) == (std::vector<std::uint8_t>{'0', '1'}));
    CHECK(srd::bytes_ref(v).size() == 10);  // a view can be passed back as input
}

void test_open_close_and_handles() {
    const fs::path path = fresh("open");
    {
        srd::store s(path);
        CHECK(s.is_open() && static_cast<bool>(s) && s.native_handle() != nullptr);
        CHECK(fs::exists(path));
        CHECK(s.count() == 0 && s.file_size() == 0 && s.entry_count() == 0);

        // a second read-write handle on the same file: locked
        EXPECT_ERROR(srd::status::locked, srd::store(path));
        std::error_code ec;
        srd::store again = srd::store::open(path, srd::open_flags::none, ec);
        CHECK(ec == srd::status::locked && !again.is_open());

        // move construction and assignment
        srd::store moved(std::move(s));
        CHECK(moved.is_open() && !s.is_open());  // NOLINT(bugprone-use-after-move)
        srd::store other;
        other = std::move(moved);
        CHECK(other.is_open() && !moved.is_open());  // NOLINT(bugprone-use-after-move)
        other.write("k", "v");
        other.close();
        CHECK(!other.is_open());
        other.close();  // closing twice is a no-op
    }
    {
        // a closed (default) store: every operation fails with invalid_argument
        srd::store closed;
        CHECK(!closed && closed.native_handle() == nullptr);
        EXPECT_ERROR(srd::status::invalid_argument, closed.write("k", "v"));
        EXPECT_ERROR(srd::status::invalid_argument, closed.read("k"));
        EXPECT_ERROR(srd::status::invalid_argument, closed.count());
        EXPECT_ERROR(srd::status::invalid_argument, closed.entries());
        std::error_code ec;
        closed.sync(ec);
        CHECK(ec == srd::status::invalid_argument);
    }
    {
        // static open, flags, error codes
        srd::store s = srd::store::open(path, srd::open_flags::sync | srd::open_flags::no_create);
        CHECK(sv(s.read("k")) == "v");
        s.write("k2", "v2");
        CHECK((srd::open_flags::sync & srd::open_flags::no_create) == srd::open_flags::none);
        std::error_code ec;
        srd::store missing = srd::store::open(g_dir / "none.srd", srd::open_flags::no_create, ec);
        CHECK(ec == srd::status::not_found && !missing);
        CHECK(!fs::exists(g_dir / "none.srd"));
        srd::store ok = srd::store::open(fresh("open-ec"), srd::open_flags::none, ec);
        CHECK(!ec && ok.is_open());
        EXPECT_ERROR(srd::status::not_found, srd::store(g_dir / "none.srd", srd::open_flags::read_only));
        EXPECT_ERROR(srd::status::invalid_argument, srd::store(g_dir));  // a directory
        EXPECT_ERROR(srd::status::invalid_argument,
                     srd::store(path, static_cast<srd::open_flags>(1u << 20)));  // unknown flag

        {
            // preallocate: the file is longer than the store while open, exact after
            fs::path pre = fresh("open-prealloc");
            std::uint64_t size = 0;
            {
                srd::store p(pre, srd::open_flags::preallocate);
                for (int i = 0; i < 500; i++) {
                    char key[16];
                    std::snprintf(key, sizeof key, "k%d", i);
                    p.write(key, std::string(100, 'x'));
                }
                size = p.file_size();
#ifdef TST_GENERIC_UNIX
                CHECK(fs::file_size(pre) == size);  // the generic path never preallocates
#else
                CHECK(fs::file_size(pre) > size);
#endif
                CHECK(sv(p.read("k499")) == std::string(100, 'x'));
            }
#ifdef TST_GENERIC_UNIX
            CHECK(fs::file_size(pre) == size);
#else
            CHECK(fs::file_size(pre) > size);  // the reserved zeros stay after close
#endif
            { srd::store plain(pre); CHECK(plain.file_size() == size); }
            CHECK(fs::file_size(pre) == size);  // a plain read-write open cut them
        }

        // release() / adopting a C handle
        srd_store *raw = s.release();
        CHECK(raw != nullptr && !s.is_open());
        srd::store adopted(raw);
        CHECK(adopted.count() == 2);
    }
    {
        // open_flags::read_only takes no lock and refuses changes
        srd::store writer(path);
        srd::store reader(path, srd::open_flags::read_only);
        CHECK(sv(reader.read("k")) == "v");
        EXPECT_ERROR(srd::status::read_only, reader.write("k", "w"));
        EXPECT_ERROR(srd::status::read_only, reader.erase("k"));
        EXPECT_ERROR(srd::status::read_only, reader.write_batch({{"a", "b"}}));
        EXPECT_ERROR(srd::status::read_only, reader.compact());
        EXPECT_ERROR(srd::status::read_only, reader.begin_stream("s"));
        EXPECT_ERROR(srd::status::read_only, reader.rename("k", "k3"));
        reader.sync();  // a no-op on a read-only store
    }
}

void test_write_read() {
    srd::store s(fresh("rw"));
    s.write("answer", "42");
    const srd::bytes_view v = s.read("answer");
    CHECK(sv(v) == "42" && aligned64(v));
    CHECK(s.exists("answer") && !s.exists("question"));
    CHECK(s.count() == 1 && s.file_size() > 0);

    // overwrite: newest wins; the older view stays valid (until compact/close)
    s.write(std::string("answer"), std::vector<char>{'4', '3'});
    CHECK(sv(s.read("answer")) == "43");
    CHECK(sv(v) == "42");
    CHECK(s.count() == 1 && s.entry_count() == 2);

    // try_read
    std::optional<srd::bytes_view> hit = s.try_read("answer");
    CHECK(hit && sv(*hit) == "43");
    CHECK(!s.try_read("question"));

    // not found, invalid arguments
    EXPECT_ERROR(srd::status::not_found, s.read("question"));
    EXPECT_ERROR(srd::status::invalid_argument, s.write("", "v"));
    EXPECT_ERROR(srd::status::invalid_argument, s.write("k", ""));
    const std::uint8_t zero = 0;
    EXPECT_ERROR(srd::status::invalid_argument, s.write("k", srd::bytes_ref(&zero, 1)));
    EXPECT_ERROR(srd::status::invalid_argument, s.read(""));
    EXPECT_ERROR(srd::status::invalid_argument, s.try_read(""));
    EXPECT_ERROR(srd::status::invalid_argument, s.exists(""));
    CHECK(!s.exists("k"));

    // error_code overloads
    std::error_code ec;
    s.write("e", "1", ec);
    CHECK(!ec && sv(s.read("e")) == "1");
    s.write("", "1", ec);
    CHECK(ec == srd::status::invalid_argument);
    CHECK(std::string(srd::last_error_message()).find("key") != std::string::npos);
    srd::bytes_view r = s.read("e", ec);
    CHECK(!ec && sv(r) == "1");
    r = s.read("nope", ec);
    CHECK(ec == srd::status::not_found && r.empty());

    // erase
    CHECK(s.erase("e"));
    CHECK(!s.erase("e"));
    CHECK(!s.exists("e"));
    EXPECT_ERROR(srd::status::invalid_argument, s.erase(""));
    s.write("e", "2");
    CHECK(s.erase("e", ec) && !ec);
    CHECK(!s.erase("e", ec) && ec == srd::status::not_found);

    // binary values with embedded zeros, and a large value
    const std::vector<std::uint8_t> bin{0, 1, 0, 2, 0};
    s.write("bin", bin);
    CHECK(srd::to_vector(s.read("bin")) == bin);
    std::vector<float> floats(1000);
    for (std::size_t i = 0; i < floats.size(); i++) floats[i] = static_cast<float>(i) * 0.5f;
    s.write("floats", srd::bytes_ref(floats.data(), floats.size() * sizeof(float)));
    const srd::bytes_view fv = s.read("floats");
    CHECK(aligned64(fv) && fv.size() == floats.size() * sizeof(float));
    const auto *in_place = reinterpret_cast<const float *>(fv.data());
    CHECK(in_place[999] == 499.5f);

    s.sync();
    s.sync(ec);
    CHECK(!ec);

    // reserve: a capacity hint; nothing changes but memory
    const std::uint64_t size = s.file_size();
    s.reserve(5000);
    s.reserve(0, ec);
    CHECK(!ec);
    CHECK(s.file_size() == size);
    CHECK(srd::to_vector(s.read("bin")) == bin);
    s.reserve(UINT64_MAX, ec);
    CHECK(ec == srd::status::invalid_argument);
    EXPECT_ERROR(srd::status::invalid_argument, s.reserve(UINT64_MAX));
}

void test_hashes_and_namespaces() {
    // XXH3-64 of the empty input, seed 0: the crate's value (empty keys may be hashed).
    CHECK(srd::hash_key("") == srd::key_hash{0x2D06800538D394C2ull});
    const srd::key_hash h = srd::hash_key("k");
    CHECK(srd::hash_key(std::string("k")) == h && srd::hash_key("j") != h);
    CHECK(std::hash<srd::key_hash>{}(h) == std::hash<srd::key_hash>{}(srd::hash_key("k")));

    srd::store s(fresh("hash"));
    s.write(h, "by-hash");
    CHECK(sv(s.read("k")) == "by-hash");  // the same key
    s.write("k", "by-key");
    CHECK(sv(s.read(h)) == "by-key");
    CHECK(s.try_read(h) && sv(*s.try_read(h)) == "by-key");
    CHECK(!s.try_read(srd::hash_key("absent")));
    EXPECT_ERROR(srd::status::not_found, s.read(srd::hash_key("absent")));
    CHECK(s.exists(h) && !s.exists(srd::hash_key("absent")));
    srd::entry e = s.read_entry(h);
    CHECK(sv(e.data()) == "by-key" && e.hash() == h);
    CHECK(s.try_read_entry(h) && !s.try_read_entry(srd::hash_key("absent")));
    EXPECT_ERROR(srd::status::not_found, s.read_entry(srd::hash_key("absent")));
    EXPECT_ERROR(srd::status::invalid_argument, s.write(h, ""));
    CHECK(s.erase(h) && !s.erase(h) && !s.exists("k"));

    // namespaces: le64(xxh3(prefix)) ++ le64(xxh3(key))
    const srd::namespaced_key nk = srd::namespace_key("users", "alice");
    CHECK(nk.size() == 16);
    CHECK(srd::key_hash{le64(nk.data())} == srd::hash_key("users"));
    CHECK(srd::key_hash{le64(nk.data() + 8)} == srd::hash_key("alice"));
    CHECK(srd::namespace_key("users", "bob") != nk && srd::namespace_key("groups", "alice") != nk);
    s.write(nk, "alice's record");
    CHECK(sv(s.read(srd::namespace_key("users", "alice"))) == "alice's record");
    CHECK(srd::namespace_key("users", "").size() == 16);  // the key may be empty
    EXPECT_ERROR(srd::status::invalid_argument, srd::namespace_key("", "alice"));
}

void test_batches() {
    srd::store s(fresh("batch"));
    s.write_batch({{"a", "1"}, {"b", "2"}, {"a", "3"}});  // the later item wins
    CHECK(sv(s.read("a")) == "3" && sv(s.read("b")) == "2" && s.count() == 2);

    const std::map<std::string, std::string> m{{"m1", "x"}, {"m2", "y"}};
    s.write_batch(m);
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> vp{{"p", {1, 2}}};
    s.write_batch(vp);
    const std::vector<srd::kv> vk{{"q", "z"}};
    s.write_batch(vk);
    s.write_batch(std::vector<srd::kv>{});  // empty: a no-op
    CHECK(sv(s.read("m2")) == "y" && s.read("p").size() == 2 && sv(s.read("q")) == "z");
    const std::uint64_t before = s.count();
    EXPECT_ERROR(srd::status::invalid_argument, s.write_batch({{"ok", "1"}, {"", "2"}}));
    CHECK(s.count() == before && !s.exists("ok"));  // nothing of a rejected batch is written

    // read_batch: keys, ranges of keys, ranges of hashes
    std::vector<srd::read_result> r = s.read_batch({"a", "missing", "b"});
    CHECK(r.size() == 3);
    CHECK(r[0].found() && sv(r[0].value) == "3" && aligned64(r[0].value));
    CHECK(!r[1] && r[1].code == srd::status::not_found && r[1].value.empty());
    CHECK(r[2] && sv(r[2].value) == "2");
    const std::vector<std::string> keys{"m1", "m2"};
    r = s.read_batch(keys);
    CHECK(r.size() == 2 && sv(r[0].value) == "x" && sv(r[1].value) == "y");
    const std::vector<srd::key_hash> hashes{srd::hash_key("q"), srd::hash_key("nope")};
    r = s.read_batch(hashes);
    CHECK(r.size() == 2 && sv(r[0].value) == "z" && r[1].code == srd::status::not_found);
    r = s.read_batch({srd::hash_key("nope"), srd::hash_key("b")});
    CHECK(r.size() == 2 && !r[0] && sv(r[1].value) == "2");
    CHECK(s.read_batch(std::vector<std::string>{}).empty());
    EXPECT_ERROR(srd::status::invalid_argument, s.read_batch({"a", ""}));

    // erase_batch
    s.erase_batch({"a", "absent", "a"});
    CHECK(!s.exists("a") && s.exists("b"));
    s.erase_batch(keys);
    CHECK(!s.exists("m1") && !s.exists("m2"));
    s.erase_batch(std::vector<std::string>{});
    EXPECT_ERROR(srd::status::invalid_argument, s.erase_batch({"b", ""}));
    CHECK(s.exists("b"));
}

void test_read_last() {
    srd::store s(fresh("last"));
    CHECK(!s.read_last());
    s.write("first", "1");
    s.write("second", "2");
    std::optional<srd::item> last = s.read_last();
    CHECK(last && last->hash == srd::hash_key("second") && sv(last->value) == "2");
    s.erase("second");
    last = s.read_last();
    CHECK(last && last->hash == srd::hash_key("first") && sv(last->value) == "1");
    s.erase("first");
    CHECK(!s.read_last());
}

void test_conditional_writes() {
    srd::store s(fresh("conditional"));
    CHECK(!s.version_of("k"));
    CHECK(s.write_if_absent("k", "one"));
    const std::uint64_t size = s.file_size();
    CHECK(!s.write_if_absent("k", "two"));
    CHECK(s.file_size() == size);
    const std::optional<std::uint64_t> v1 = s.version_of("k");
    CHECK(v1 && s.read_entry("k").offset() == *v1);
    CHECK(s.write_if_version("k", *v1, "three"));
    CHECK(!s.write_if_version("k", *v1, "stale"));
    CHECK(sv(s.read("k")) == "three");
    const std::optional<std::uint64_t> v2 = s.version_of("k");
    CHECK(v2 && *v2 != *v1);
    CHECK(!s.erase_if_version("k", *v1));
    CHECK(s.erase_if_version("k", *v2));
    CHECK(!s.version_of("k"));
    CHECK(to_string(srd::status::conflict) == std::string(srd_status_str(SRD_CONFLICT)));
}

void test_snapshot() {
    std::optional<srd::store> snap;
    {
        srd::store s(fresh("snapshot"));
        s.write("a", "1");
        s.write("b", "2");
        snap.emplace(s.snapshot());
        s.write("a", "changed");
        s.erase("b");
        s.write("c", "new");
        s.compact();
        CHECK(sv(snap->read("a")) == "1" && sv(snap->read("b")) == "2" && !snap->try_read("c"));
        CHECK(snap->count() == 2);
    }
    CHECK(sv(snap->read("a")) == "1");  // outlives the store
    bool refused = false;
    try {
        snap->write("a", "x");
    } catch (const srd::error &e) {
        refused = e.code() == srd::status::read_only;
    }
    CHECK(refused);
}

void test_apply() {
    srd::store s(fresh("apply"));
    s.write("old", "x");
    const std::uint64_t n = s.apply({srd::op::write("a", "1"), srd::op::remove("old"),
                                     srd::op::remove("never"), srd::op::write("b", "2")});
    CHECK(n == 1);
    CHECK(sv(s.read("a")) == "1" && sv(s.read("b")) == "2" && !s.try_read("old"));
}

void test_backup() {
    const fs::path dst = fresh("backup-dst");
    srd::store s(fresh("backup"));
    s.write("a", "1");
    std::uint64_t last_done = 0, last_total = 1;
    s.backup(dst, [&](std::uint64_t d, std::uint64_t t) { last_done = d, last_total = t; });
    CHECK(last_done == last_total && last_total == s.file_size());
    s.write("b", "2");
    s.backup(dst);
    srd::store b(dst, srd::open_flags::read_only);
    CHECK(sv(b.read("a")) == "1" && sv(b.read("b")) == "2");
}

void test_entries() {
    const fs::path path = fresh("entry");
    srd::entry kept;
    {
        srd::store s(path);
        s.write("pad", "x");
        const std::string value = "the value of a pinned entry";
        s.write("k", value);
        srd::entry e = s.read_entry("k");
        CHECK(static_cast<bool>(e) && e.native_handle() != nullptr);
        CHECK(sv(e.data()) == value && e.size() == value.size() && aligned64(e.data()));
        CHECK(std::string(reinterpret_cast<const char *>(&*e.begin()), e.size()) == value);
        CHECK(static_cast<std::size_t>(e.end() - e.begin()) == value.size());
        CHECK(e.hash() == srd::hash_key("k"));
        CHECK(e.checksum() == crc32(value.data(), value.size()));
        CHECK(e.offset() % 64 == 0 && e.offset() > 0);
        CHECK(file_bytes(path, e.offset(), value.size()) == value);
        CHECK(e.verify());

        // read_at in chunks
        std::string chunks;
        char buf[5];
        std::uint64_t off = 0;
        for (;;) {
            const std::size_t n = e.read_at(off, buf, sizeof buf);
            if (n == 0) break;
            chunks.append(buf, n);
            off += n;
        }
        CHECK(chunks == value);
        CHECK(e.read_at(value.size(), buf, sizeof buf) == 0);
        EXPECT_ERROR(srd::status::invalid_argument, e.read_at(value.size() + 1, buf, sizeof buf));

        // try_read_entry / error_code overload
        CHECK(!s.try_read_entry("absent"));
        std::optional<srd::entry> maybe = s.try_read_entry("k");
        CHECK(maybe && sv(maybe->data()) == value);
        std::error_code ec;
        srd::entry none = s.read_entry("absent", ec);
        CHECK(ec == srd::status::not_found && !none);
        srd::entry some = s.read_entry("k", ec);
        CHECK(!ec && sv(some.data()) == value);
        EXPECT_ERROR(srd::status::not_found, s.read_entry("absent"));
        EXPECT_ERROR(srd::status::invalid_argument, s.read_entry(""));

        // an entry survives overwrite, compaction and close
        s.write("k", "new value");
        s.compact();
        CHECK(sv(e.data()) == value);
        kept = std::move(e);
        CHECK(!e);  // NOLINT(bugprone-use-after-move)
    }
    CHECK(sv(kept.data()) == "the value of a pinned entry");

    // move assignment, reset, release
    srd::entry other;
    other = std::move(kept);
    CHECK(other && !kept);  // NOLINT(bugprone-use-after-move)
    srd_entry *raw = other.release();
    CHECK(raw != nullptr && !other);
    srd::entry adopted(raw);  // takes ownership again
    CHECK(sv(adopted.data()) == "the value of a pinned entry");
    srd::entry empty;
    CHECK(empty.data().empty() && empty.size() == 0);
    EXPECT_ERROR(srd::status::invalid_argument, empty.hash());
    EXPECT_ERROR(srd::status::invalid_argument, empty.checksum());
    EXPECT_ERROR(srd::status::invalid_argument, empty.offset());
    EXPECT_ERROR(srd::status::invalid_argument, empty.verify());
    EXPECT_ERROR(srd::status::invalid_argument, empty.open_store());
    empty.reset();
}

void test_streams() {
    const fs::path path = fresh("stream");
    srd::store s(path);
    s.write("before", "1");
    const std::uint64_t size0 = s.file_size();

    // write in chunks, commit
    {
        srd::stream st = s.begin_stream("big");
        CHECK(st.is_open() && static_cast<bool>(st) && st.native_handle() != nullptr);
        std::string expected;
        for (int i = 0; i < 100; i++) {
            const std::string chunk = "chunk " + std::to_string(i) + ";";
            st.write(chunk).write("");  // chained; empty data is a no-op
            expected += chunk;
        }
        CHECK(!s.exists("big"));  // nothing is visible before the commit
        // the thread that holds the stream gets busy instead of a deadlock
        EXPECT_ERROR(srd::status::busy, s.write("other", "x"));
        EXPECT_ERROR(srd::status::busy, s.erase("before"));
        EXPECT_ERROR(srd::status::busy, s.compact());
        EXPECT_ERROR(srd::status::busy, s.begin_stream("second"));
        CHECK(sv(s.read("before")) == "1");  // reads are not blocked
        st.commit();
        CHECK(!st.is_open());
        CHECK(sv(s.read("big")) == expected && aligned64(s.read("big")));
        EXPECT_ERROR(srd::status::invalid_argument, st.write("more"));
        EXPECT_ERROR(srd::status::invalid_argument, st.commit());
        std::error_code ec;
        st.commit(ec);
        CHECK(ec == srd::status::invalid_argument);
        st.abort();  // no-op once finished
    }
    // abort, and the destructor aborts: the store is left exactly as before
    const std::uint64_t size1 = s.file_size();
    CHECK(size1 > size0);
    {
        srd::stream st = s.begin_stream("aborted");
        st.write("data");
        st.abort();
        CHECK(!st.is_open());
    }
    {
        srd::stream st = s.begin_stream("dropped");
        st.write("data");
    }
    CHECK(!s.exists("aborted") && !s.exists("dropped") && s.file_size() == size1);
    s.write("after", "ok");  // the writer is free again

    // an empty value or one 0x00 byte: invalid, nothing stored, stream finished
    {
        srd::stream st = s.begin_stream("empty");
        EXPECT_ERROR(srd::status::invalid_argument, st.commit());
        CHECK(!st.is_open() && !s.exists("empty"));
        srd::stream z = s.begin_stream("zero");
        const std::uint8_t zero = 0;
        z.write(srd::bytes_ref(&zero, 1));
        std::error_code ec;
        z.commit(ec);
        CHECK(ec == srd::status::invalid_argument && !z.is_open() && !s.exists("zero"));
    }
    // by hash, moved streams, commit with error_code
    {
        srd::stream st = s.begin_stream(srd::hash_key("hashed"));
        srd::stream moved(std::move(st));
        CHECK(!st.is_open() && moved.is_open());  // NOLINT(bugprone-use-after-move)
        srd::stream assigned;
        assigned = std::move(moved);
        assigned.write("via hash");
        std::error_code ec;
        assigned.commit(ec);
        CHECK(!ec && sv(s.read("hashed")) == "via hash");
    }
    EXPECT_ERROR(srd::status::invalid_argument, s.begin_stream(""));

    // another thread's write waits for the stream to finish
    {
        srd::stream st = s.begin_stream("slow");
        st.write("part 1, ");
        std::atomic<bool> written{false};
        std::thread writer([&] {
            s.write("from another thread", "x");
            written = true;
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(!written.load());
        st.write("part 2");
        st.commit();
        writer.join();
        CHECK(written.load() && s.exists("from another thread"));
        CHECK(sv(s.read("slow")) == "part 1, part 2");
    }
    // adopting a C stream
    {
        srd_stream *raw = nullptr;
        CHECK(srd_stream_begin(s.native_handle(), reinterpret_cast<const std::uint8_t *>("raw"), 3, &raw) == SRD_OK);
        srd::stream adopted(raw);
        adopted.write("adopted");
        adopted.commit();
        CHECK(sv(s.read("raw")) == "adopted");
    }
    // a stream outlives the store object that began it
    srd::stream late;
    {
        srd::store t(fresh("stream-late"));
        late = t.begin_stream("k");
        late.write("v");
    }
    late.commit();
}

void test_iteration() {
    const fs::path path = fresh("iter");
    srd::store s(path);
    std::map<srd::key_hash, std::string> expected;
    for (int i = 0; i < 50; i++) {
        const std::string k = "key" + std::to_string(i);
        const std::string v = "value" + std::to_string(i);
        s.write(k, v);
        expected[srd::hash_key(k)] = v;
    }
    s.write("key7", "rewritten");
    expected[srd::hash_key("key7")] = "rewritten";
    s.erase("key8");
    expected.erase(srd::hash_key("key8"));

    // range-for with structured bindings
    std::map<srd::key_hash, std::string> seen;
    std::vector<srd::key_hash> order;
    for (auto [hash, value] : s.entries()) {
        CHECK(aligned64(value));
        seen[hash] = sv(value);
        order.push_back(hash);
    }
    CHECK(seen == expected);
    CHECK(order.size() == expected.size());
    CHECK(!order.empty() && order.front() == srd::hash_key("key0"));  // oldest first
    CHECK(order.back() == srd::hash_key("key7"));                     // rewritten last

    // partitions: disjoint, and together every entry
    std::set<srd::key_hash> parts_union;
    std::size_t parts_total = 0;
    for (std::uint32_t p = 0; p < 3; p++) {
        for (const srd::item &it : s.entries(p, 3)) {
            parts_union.insert(it.hash);
            parts_total++;
        }
    }
    CHECK(parts_total == expected.size() && parts_union.size() == expected.size());
    EXPECT_ERROR(srd::status::invalid_argument, s.entries(0, 0));
    EXPECT_ERROR(srd::status::invalid_argument, s.entries(3, 3));

    // a snapshot; values valid as long as the range, even after compaction and close
    srd::entry_range range = s.entries();
    s.write("later", "not in the snapshot");
    std::optional<srd::item> first = range.next();
    CHECK(first && first->hash == srd::hash_key("key0") && sv(first->value) == "value0");
    s.compact();
    s.close();
    CHECK(sv(first->value) == "value0");
    std::size_t rest = 0;
    bool later_seen = false;
    for (auto it = range.begin(); it != range.end(); ++it) {
        later_seen |= it->hash == srd::hash_key("later");
        rest++;
    }
    CHECK(rest == expected.size() - 1 && !later_seen);
    CHECK(!range.next());
    CHECK(range.begin() == range.end());
    CHECK(range.skipped() == 0 && range.native_handle() != nullptr);

    // moving a range
    srd::store s2(path);
    srd::entry_range a = s2.entries();
    srd::entry_range b(std::move(a));
    CHECK(a.native_handle() == nullptr && b.native_handle() != nullptr);  // NOLINT
    srd::entry_range c;
    c = std::move(b);
    std::size_t n = 0;
    for (auto it = c.begin(); it != c.end(); it++) n++;
    CHECK(n == expected.size() + 1);

#if defined(__cpp_lib_ranges) && __cpp_lib_ranges >= 201911L
    // a C++20 input range: usable with std::ranges algorithms
    static_assert(std::input_iterator<srd::entry_range::iterator>);
    static_assert(std::ranges::input_range<srd::entry_range>);
    srd::store s3(path, srd::open_flags::read_only);
    srd::entry_range all = s3.entries();
    const auto found = std::ranges::find_if(
        all, [](const srd::item &i) { return srd::as_string_view(i.value) == "rewritten"; });
    CHECK(found != all.end() && found->hash == srd::hash_key("key7"));
#endif

    // adopting a C iterator; an empty (default or moved-from) range yields nothing
    srd_iter *raw = nullptr;
    CHECK(srd_iter_new(s2.native_handle(), &raw) == SRD_OK);
    srd::entry_range adopted(raw, srd::on_corrupt::skip);
    CHECK(adopted.next().has_value());
    CHECK(!srd::entry_range().next() && !a.next());  // NOLINT(bugprone-use-after-move)
    CHECK(srd::entry_range().begin() == srd::entry_range().end());

    // an empty store
    srd::store empty(fresh("iter-empty"));
    CHECK(empty.entries().begin() == empty.entries().end());
}

void test_corruption() {
    const fs::path path = fresh("corrupt");
    std::uint64_t bad_offset = 0;
    {
        srd::store s(path);
        s.write("a", "value a");
        s.write("b", "value b");
        s.write("c", "value c");
        bad_offset = s.read_entry("b").offset();
    }
    flip_byte(path, bad_offset + 2);
    srd::store s(path);
    EXPECT_ERROR(srd::status::corrupt, s.read("b"));
    EXPECT_ERROR(srd::status::corrupt, s.try_read("b"));  // damage is not absence
    EXPECT_ERROR(srd::status::corrupt, s.read_entry("b"));
    EXPECT_ERROR(srd::status::corrupt, s.try_read_entry("b"));
    CHECK(sv(s.read("a")) == "value a" && sv(s.read("c")) == "value c");
    std::vector<srd::read_result> r = s.read_batch({"a", "b"});
    CHECK(r[0].code == srd::status::ok && r[1].code == srd::status::corrupt && !r[1]);

    // verify: a report, not an exception
    srd::verify_report report = s.verify();
    CHECK(!report.sound && !report && report.bad_entries == 1);
    CHECK(report.first_bad_offset >= bad_offset && report.first_bad_offset <= bad_offset + 64);
    CHECK(report.entries_checked == 3 && report.file_size == s.file_size());

    // iteration: throws at the damaged value and can go on past it; or skips it
    std::vector<std::string> got;
    srd::entry_range range = s.entries();
    int errors = 0;
    for (;;) {
        try {
            std::optional<srd::item> it = range.next();
            if (!it) break;
            got.push_back(sv(it->value));
        } catch (const srd::error &e) {
            CHECK(e.code() == srd::status::corrupt);
            errors++;
        }
    }
    CHECK(errors == 1 && got == (std::vector<std::string>{"value a", "value c"}));
    srd::entry_range skipping = s.entries(srd::on_corrupt::skip);
    got.clear();
    for (auto [hash, value] : skipping) got.push_back(sv(value));
    CHECK(got == (std::vector<std::string>{"value a", "value c"}) && skipping.skipped() == 1);
    try {
        std::size_t n = 0;
        for (auto [hash, value] : s.entries()) n += value.size();
        CHECK(n > 0);
        FAIL("range-for over a damaged value did not throw");
    } catch (const srd::error &e) {
        CHECK(e.code() == srd::status::corrupt);
    }

    // compaction refuses to copy a damaged value
    EXPECT_ERROR(srd::status::corrupt, s.compact());
    std::error_code ec;
    s.compact(ec);
    CHECK(ec == srd::status::corrupt);
    s.close();

    // no_verify reads the damaged bytes
    srd::store nv(path, srd::open_flags::no_verify | srd::open_flags::read_only);
    CHECK(nv.read("b").size() == 7 && sv(nv.read("b")) != "value b");

    // entry::verify sees damage made after the entry was pinned
    const fs::path path2 = fresh("corrupt-entry");
    srd::store t(path2);
    t.write("k", "pinned value");
    srd::entry e = t.read_entry("k");
    CHECK(e.verify());
    flip_byte(path2, e.offset());
    CHECK(!e.verify());
}

void test_verify_compact_statistics() {
    srd::store s(fresh("maint"));
    for (int i = 0; i < 300; i++) s.write("key" + std::to_string(i % 100), std::string(200, static_cast<char>('a' + i % 26)));
    s.erase("key5");
    CHECK(s.count() == 99 && s.entry_count() == 301);
    CHECK(s.reclaimable_bytes() > 0);

    srd::verify_report report = s.verify();
    CHECK(report.sound && static_cast<bool>(report) && report.bad_entries == 0);
    CHECK(report.entries_checked == 301 && report.file_size == s.file_size());
    CHECK(report.first_bad_offset == std::numeric_limits<std::uint64_t>::max());
    CHECK(report.bytes_checked >= 300u * 200u);

    std::uint64_t calls = 0, last_done = 0, last_total = 0;
    bool monotonic = true;
    report = s.verify([&](std::uint64_t done, std::uint64_t total) {
        monotonic = monotonic && done >= last_done;
        calls++;
        last_done = done;
        last_total = total;
    });
    CHECK(report.sound && calls > 0 && monotonic && last_done == last_total && last_total > 0);

    // an exception from the callback arrives after the library returns
    try {
        s.verify([](std::uint64_t, std::uint64_t) { throw std::runtime_error("stop"); });
        FAIL("the callback's exception was lost");
    } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()) == "stop");
    }

    const std::uint64_t before = s.file_size();
    calls = 0;
    last_done = last_total = 0;
    auto on_progress = [&](std::uint64_t done, std::uint64_t total) {
        calls++;
        last_done = done;
        last_total = total;
    };
    s.compact(on_progress);  // an lvalue callable
    CHECK(calls > 0 && last_done == last_total && last_total == 99);
    CHECK(s.file_size() < before && s.reclaimable_bytes() == 0 && s.entry_count() == 99);
    CHECK(s.count() == 99 && !s.exists("key5"));

    std::error_code ec;
    s.compact(ec);
    CHECK(!ec);
    s.write("x", "y");
    try {
        s.compact([](std::uint64_t, std::uint64_t) { throw std::logic_error("cb"); });
        FAIL("the callback's exception was lost");
    } catch (const std::logic_error &e) {
        CHECK(std::string(e.what()) == "cb");
    }
    CHECK(sv(s.read("x")) == "y");  // the compaction itself completed
}

void test_rename_copy_move() {
    const fs::path p1 = fresh("src");
    const fs::path p2 = fresh("dst");
    srd::store a(p1);
    srd::store b(p2);
    a.write("old", "v");
    a.rename("old", "new");
    CHECK(!a.exists("old") && sv(a.read("new")) == "v");
    EXPECT_ERROR(srd::status::not_found, a.rename("old", "other"));
    EXPECT_ERROR(srd::status::invalid_argument, a.rename("new", "new"));

    a.copy("new", b);
    CHECK(sv(b.read("new")) == "v" && a.exists("new"));
    EXPECT_ERROR(srd::status::not_found, a.copy("absent", b));
    srd::store same(p1, srd::open_flags::read_only);
    EXPECT_ERROR(srd::status::invalid_argument, a.copy("new", same));
    srd::store read_only_destination(p2, srd::open_flags::read_only);
    EXPECT_ERROR(srd::status::read_only, a.copy("new", read_only_destination));

    a.write("m", "moved");
    a.move("m", b);
    CHECK(!a.exists("m") && sv(b.read("m")) == "moved");
    EXPECT_ERROR(srd::status::not_found, a.move("m", b));
    same.copy("new", b);  // a read-only source may be copied from
    EXPECT_ERROR(srd::status::read_only, same.move("new", b));
}

void test_nested_stores() {
    const fs::path inner_path = fresh("inner");
    {
        srd::store inner(inner_path);
        inner.write("nested key", "nested value");
    }
    std::ifstream in(inner_path, std::ios::binary);
    const std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    // open_bytes over a 64-byte aligned buffer
    struct aligned_free {
        void operator()(void *p) const noexcept { std::free(p); }
    };
    const std::size_t cap = (image.size() + 63) / 64 * 64;
    std::unique_ptr<void, aligned_free> buf(std::aligned_alloc(64, cap));
    std::memcpy(buf.get(), image.data(), image.size());
    {
        srd::store mem = srd::store::open_bytes(srd::bytes_ref(buf.get(), image.size()));
        const srd::bytes_view v = mem.read("nested key");
        CHECK(sv(v) == "nested value" && aligned64(v));
        CHECK(reinterpret_cast<const char *>(v.data()) >= static_cast<const char *>(buf.get()) &&
              reinterpret_cast<const char *>(v.data()) < static_cast<const char *>(buf.get()) + cap);
        EXPECT_ERROR(srd::status::read_only, mem.write("k", "v"));
    }
    const std::string garbage(100, 'x');
    EXPECT_ERROR(srd::status::corrupt, srd::store::open_bytes(garbage));

    // a store kept as a value of another store
    srd::store outer(fresh("outer"));
    outer.write("archive", image);
    srd::store nested;
    {
        srd::entry e = outer.read_entry("archive");
        nested = e.open_store();
    }  // the entry is freed; the nested store keeps the bytes alive
    outer.compact();
    outer.close();
    CHECK(sv(nested.read("nested key")) == "nested value");
    CHECK(nested.count() == 1);
    outer = srd::store(fresh("outer2"));
    outer.write("not a store", "plain text");
    EXPECT_ERROR(srd::status::corrupt, outer.read_entry("not a store").open_store());
}

void test_refresh() {
    const fs::path path = fresh("refresh");
    srd::store writer(path);
    writer.write("first", "1");
    srd::store reader(path, srd::open_flags::read_only);
    writer.write("second", "2");
    CHECK(sv(reader.read("first")) == "1" && !reader.try_read("second"));
    reader.refresh();
    CHECK(sv(reader.read("second")) == "2");
    writer.erase("first");
    writer.compact();  // the file is replaced
    std::error_code ec;
    reader.refresh(ec);
    CHECK(!ec && !reader.exists("first") && sv(reader.read("second")) == "2");
    writer.refresh();  // a no-op on a read-write store
    writer.close();
    fs::remove(path);
    EXPECT_ERROR(srd::status::not_found, reader.refresh());
    reader.refresh(ec);
    CHECK(ec == srd::status::not_found);
    CHECK(sv(reader.read("second")) == "2");  // the handle keeps what it had
}

void test_salvage() {
    const fs::path damaged = fresh("salvage-src");
    std::uint64_t meta = 0;
    {
        srd::store s(damaged);
        s.write("a", "value a");
        s.write("b", "value b");
        s.write("c", "value c");
        srd::entry b = s.read_entry("b");
        meta = b.offset() + b.size();  // b's metadata: key hash, prev_tail, checksum
    }
    flip_byte(damaged, meta + 9);  // break b's link in the middle of the chain
    EXPECT_ERROR(srd::status::corrupt, srd::store(damaged));

    const fs::path rescued = fresh("salvage-dst");
    const srd::salvage_report report = srd::salvage(damaged, rescued);
    CHECK(report.source_size == fs::file_size(damaged));
    CHECK(report.damaged_regions >= 1 && report.bytes_lost > 0);
    CHECK(report.first_damage_offset <= meta + 20);
    CHECK(report.live_keys_written >= 2 && report.entries_recovered >= 2);
    srd::store s(rescued, srd::open_flags::read_only);
    CHECK(sv(s.read("a")) == "value a" && sv(s.read("c")) == "value c");
    CHECK(s.count() == report.live_keys_written);

    EXPECT_ERROR(srd::status::invalid_argument, srd::salvage(damaged, rescued));  // exists
    EXPECT_ERROR(srd::status::not_found, srd::salvage(g_dir / "no-such.srd", fresh("salvage-x")));
    EXPECT_ERROR(srd::status::invalid_argument, srd::salvage(damaged, ""));

    // an intact store is salvaged whole
    const fs::path intact = fresh("salvage-intact");
    {
        srd::store t(intact);
        t.write("k", "v");
    }
    const srd::salvage_report clean = srd::salvage(intact, fresh("salvage-intact-copy"));
    CHECK(clean.damaged_regions == 0 && clean.bytes_lost == 0 && clean.live_keys_written == 1);
    CHECK(clean.first_damage_offset == std::numeric_limits<std::uint64_t>::max());
}

}  // namespace

// A store at namespace scope, as a worker program keeps one: exit() destroys it.
static std::unique_ptr<srd::store> g_global_store;

// Runs `child` in a forked process and returns its exit status (-1 if it died).
template <class F>
static int in_child(F &&child) {
    const pid_t pid = fork();
    if (pid == 0) {
        child();
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// fork(): a child that writes through an inherited global store gets status::broken, and
// its exit() (which destroys the global store) never releases the parent's writer lock;
// the parent's close does.
static void test_fork_and_a_global_store() {
    const fs::path p = g_dir / "fork.srd";
    g_global_store = std::make_unique<srd::store>(p);
    g_global_store->write("parent", "1");
    const auto third_opens = [&p] {
        return in_child([&p] {
            try {
                srd::store s(p);
                _exit(10);  // opened for writing
            } catch (const srd::error &e) {
                _exit(e.code() == srd::status::locked ? 11 : 12);
            }
        });
    };
    const pid_t pid = fork();
    if (pid == 0) {
        int code = 3;
        try {
            g_global_store->write("child", "x");
        } catch (const srd::error &e) {
            code = e.code() == srd::status::broken ? 0 : 4;
        }
        std::exit(code);  // destroys g_global_store in the child
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(third_opens() == 11);  // still locked by the parent
    g_global_store->write("parent", "2");
    const auto v = g_global_store->read("parent");
    CHECK(v.size() == 1 && v.data()[0] == std::byte{'2'});
    g_global_store.reset();
    CHECK(third_opens() == 10);
    srd::store r(p, srd::open_flags::read_only);
    CHECK(!r.try_read("child").has_value());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    fs::create_directories(argv[1]);
    g_dir = fs::path(argv[1]) / ("cpp-" + std::to_string(static_cast<long>(getpid())));
    fs::remove_all(g_dir);
    fs::create_directories(g_dir);

    try {
        test_versions();
        test_status_and_errors();
        test_bytes();
        test_open_close_and_handles();
        test_write_read();
        test_hashes_and_namespaces();
        test_batches();
        test_read_last();
        test_conditional_writes();
        test_snapshot();
        test_backup();
        test_apply();
        test_entries();
        test_streams();
        test_iteration();
        test_corruption();
        test_verify_compact_statistics();
        test_rename_copy_move();
        test_nested_stores();
        test_refresh();
        test_salvage();
        test_fork_and_a_global_store();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "unexpected exception: %s\n", e.what());
        g_failed++;
    }

    if (g_failed == 0 && std::getenv("SRD_TEST_KEEP") == nullptr) fs::remove_all(g_dir);
    std::printf("simd_r_drive.hpp %s: %d passed, %d failed\n", SRD_TEST_DIALECT, g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
