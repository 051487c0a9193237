/**
 * @file simd_r_drive.hpp
 * @brief Header-only C++17 wrapper of simd_r_drive.h: RAII handles, exceptions, ranges.
 *
 * @code
 * #include <simd_r_drive.hpp>
 *
 * srd::store db("my.srd");                       // opens or creates; throws srd::error
 * db.write("answer", "42");
 * srd::bytes_view v = db.read("answer");         // zero-copy view into the memory map
 * std::string_view s = srd::as_string_view(v);   // "42"
 * if (auto maybe = db.try_read("question")) {}   // std::nullopt when absent
 * for (auto [hash, value] : db.entries()) {}     // every live entry, oldest first
 * @endcode
 *
 * Conventions:
 * - Every failure of the C library throws srd::error (a std::runtime_error carrying the
 *   srd::status code and the library's message), except in the functions documented as
 *   non-throwing: the `try_` functions return std::nullopt when a key is absent, and the
 *   overloads taking a `std::error_code&` report every failure there instead of throwing
 *   (the codes compare equal to srd::status values).
 * - Keys and values are passed as srd::bytes_ref: string literals, std::string,
 *   std::string_view, std::vector / std::array / std::span of bytes (`char`, `unsigned char`,
 *   `std::byte`, `std::uint8_t`), or a pointer and a length.
 * - Reads return srd::bytes_view (`std::span<const std::byte>` under C++20): a non-owning view
 *   with the lifetime of the C pointer it wraps. A view from store::read, store::try_read,
 *   store::read_batch or store::read_last is valid until store::compact or store::close (or
 *   the store's destruction); a view from an srd::entry is valid as long as the entry; a view
 *   from iteration as long as its srd::entry_range.
 * - The handles (srd::store, srd::entry, srd::stream, srd::entry_range) are move-only and
 *   release their C handle in their destructor. The wrapper adds no locking and no state: the
 *   thread-safety rules are those of the C API.
 *
 * Link with the C library: `-lsimd_r_drive`, or the CMake target `simd_r_drive::simd_r_drive`.
 */
#ifndef SIMD_R_DRIVE_HPP
#define SIMD_R_DRIVE_HPP

/** @cond SRD_DETAIL */
#if defined(_MSVC_LANG)
#define SRD_HPP_CPLUSPLUS _MSVC_LANG
#elif defined(__cplusplus)
#define SRD_HPP_CPLUSPLUS __cplusplus
#else
#define SRD_HPP_CPLUSPLUS 0L
#endif
/** @endcond */
#if SRD_HPP_CPLUSPLUS < 201703L
#error "simd_r_drive.hpp needs C++17 or newer (compile with -std=c++17); from C, include simd_r_drive.h"
#else  // the rest is not compiled before C++17, so the #error above is the only error

#include "simd_r_drive.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>
#if __has_include(<version>)
#include <version>
#endif
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
#include <span>
/** Defined to 1 when srd::bytes_view is std::span<const std::byte> (C++20). */
#define SRD_HPP_HAS_SPAN 1
#else
/** Defined to 0 when srd::bytes_view is the wrapper's own class (C++17). */
#define SRD_HPP_HAS_SPAN 0
#endif

/** The C++ API of simd_r_drive. */
namespace srd {

// ---------------------------------------------------------------------------------------------
// Status codes and errors
// ---------------------------------------------------------------------------------------------

/** The C library's status codes (srd_status) as a scoped enumeration. */
enum class status : std::int32_t {
    ok = SRD_OK,                              ///< Success.
    not_found = SRD_NOT_FOUND,                ///< No live value for the key, or no such file.
    invalid_argument = SRD_INVALID_ARGUMENT,  ///< An argument the call cannot accept.
    io = SRD_IO,                              ///< An operating-system call failed.
    corrupt = SRD_CORRUPT,                    ///< Not a valid store, or a checksum mismatch.
    locked = SRD_LOCKED,                      ///< Another read-write handle holds the lock.
    read_only = SRD_READ_ONLY,                ///< A change to a read-only store.
    panic = SRD_PANIC,                        ///< A bug inside the library, caught.
    busy = SRD_BUSY,                          ///< This thread has an open stream on the store.
    broken = SRD_BROKEN,                      ///< This handle can no longer write (failed fdatasync, or inherited across fork()): reopen.
    conflict = SRD_CONFLICT,                  ///< A conditional write's condition did not hold; nothing written.
};

/** Static English text of a status code (srd_status_str); never NULL. */
inline const char *to_string(status code) noexcept {
    return srd_status_str(static_cast<std::int32_t>(code));
}

/**
 * The message of the last failed library call on the calling thread
 * (srd_last_error_message): valid until the next failure on this thread.
 */
inline const char *last_error_message() noexcept { return srd_last_error_message(); }

/** The std::error_category of srd::status codes; its name() is "simd_r_drive". */
inline const std::error_category &error_category() noexcept {
    /** The category's implementation. */
    class category final : public std::error_category {
    public:
        const char *name() const noexcept override { return "simd_r_drive"; }
        std::string message(int code) const override {
            return srd_status_str(static_cast<std::int32_t>(code));
        }
    };
    static const category instance;
    return instance;
}

/** Makes a std::error_code of the srd category (used by `ec == srd::status::...`). */
inline std::error_code make_error_code(status code) noexcept {
    return {static_cast<int>(code), error_category()};
}

/**
 * The exception thrown for every failure: a std::runtime_error whose what() is
 * "<operation>: <message>", carrying the status code and the library's message.
 */
class error : public std::runtime_error {
public:
    /**
     * An error with status `code`; `message` is the detail (the status text if empty) and
     * `operation` the function that failed, prefixed to what() when not empty.
     */
    error(status code, const std::string &message, const std::string &operation = std::string())
        : std::runtime_error(operation.empty() ? text(code, message)
                                               : operation + ": " + text(code, message)),
          code_(code),
          message_(text(code, message)) {}

    /** The status code. */
    status code() const noexcept { return code_; }
    /** The library's message (srd_last_error_message at the time of the failure). */
    const char *message() const noexcept { return message_.what(); }
    /** The static text of the status code (srd_status_str). */
    const char *status_text() const noexcept { return to_string(code_); }
    /** The status as a std::error_code. */
    std::error_code as_error_code() const noexcept { return make_error_code(code_); }

private:
    static std::string text(status code, const std::string &message) {
        return message.empty() ? std::string(to_string(code)) : message;
    }

    status code_;
    std::runtime_error message_;  // a copy that cannot throw
};

/** @cond SRD_DETAIL */
namespace detail {

[[noreturn]] inline void throw_status(srd_status code, const char *operation) {
    const char *message = srd_last_error_message();
    throw error(static_cast<status>(code), message ? message : "", operation);
}

inline void check(srd_status code, const char *operation) {
    if (code != SRD_OK) throw_status(code, operation);
}

inline void set(std::error_code &ec, srd_status code) noexcept {
    if (code == SRD_OK) {
        ec.clear();
    } else {
        ec = make_error_code(static_cast<status>(code));
    }
}

}  // namespace detail
/** @endcond */

// ---------------------------------------------------------------------------------------------
// Bytes in and out
// ---------------------------------------------------------------------------------------------

#if SRD_HPP_HAS_SPAN
/** A read-only, non-owning view of bytes returned by the library: std::span under C++20. */
using bytes_view = std::span<const std::byte>;
#else
/**
 * A read-only, non-owning view of bytes returned by the library (C++17; under C++20 this is
 * `std::span<const std::byte>`, with the same members).
 */
class bytes_view {
public:
    using element_type = const std::byte;          ///< The element type.
    using value_type = std::byte;                  ///< The value type.
    using size_type = std::size_t;                 ///< The size type.
    using difference_type = std::ptrdiff_t;        ///< The difference type.
    using pointer = const std::byte *;             ///< Pointer to an element.
    using const_pointer = const std::byte *;       ///< Pointer to an element.
    using reference = const std::byte &;           ///< Reference to an element.
    using const_reference = const std::byte &;     ///< Reference to an element.
    using iterator = const std::byte *;            ///< Iterator (a pointer).
    using reverse_iterator = std::reverse_iterator<iterator>;  ///< Reverse iterator.

    /** An empty view. */
    constexpr bytes_view() noexcept = default;
    /** A view of `size` bytes at `data`. */
    constexpr bytes_view(const std::byte *data, std::size_t size) noexcept
        : data_(data), size_(size) {}

    /** The first byte (NULL for an empty view). */
    constexpr const std::byte *data() const noexcept { return data_; }
    /** The number of bytes. */
    constexpr std::size_t size() const noexcept { return size_; }
    /** The number of bytes. */
    constexpr std::size_t size_bytes() const noexcept { return size_; }
    /** Whether the view is empty. */
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    /** Iterator to the first byte. */
    constexpr iterator begin() const noexcept { return data_; }
    /** Iterator past the last byte. */
    constexpr iterator end() const noexcept { return data_ + size_; }
    /** Reverse iterator to the last byte. */
    reverse_iterator rbegin() const noexcept { return reverse_iterator(end()); }
    /** Reverse iterator before the first byte. */
    reverse_iterator rend() const noexcept { return reverse_iterator(begin()); }
    /** Byte `i` (unchecked). */
    constexpr const std::byte &operator[](std::size_t i) const noexcept { return data_[i]; }
    /** The first byte (the view must not be empty). */
    constexpr const std::byte &front() const noexcept { return data_[0]; }
    /** The last byte (the view must not be empty). */
    constexpr const std::byte &back() const noexcept { return data_[size_ - 1]; }
    /** The first `n` bytes (`n <= size()`). */
    constexpr bytes_view first(std::size_t n) const noexcept { return {data_, n}; }
    /** The last `n` bytes (`n <= size()`). */
    constexpr bytes_view last(std::size_t n) const noexcept { return {data_ + (size_ - n), n}; }
    /** `count` bytes from `offset` (all the rest when `count` is the default). */
    constexpr bytes_view subspan(std::size_t offset,
                                 std::size_t count = static_cast<std::size_t>(-1)) const noexcept {
        return {data_ + offset, count == static_cast<std::size_t>(-1) ? size_ - offset : count};
    }

private:
    const std::byte *data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

/** The bytes of `v` as characters (no copy). */
inline std::string_view as_string_view(bytes_view v) noexcept {
    return {reinterpret_cast<const char *>(v.data()), v.size()};
}

/** A copy of the bytes of `v` as a std::string. */
inline std::string to_string(bytes_view v) { return std::string(as_string_view(v)); }

/** A copy of the bytes of `v`. */
inline std::vector<std::uint8_t> to_vector(bytes_view v) {
    const auto *p = reinterpret_cast<const std::uint8_t *>(v.data());
    return std::vector<std::uint8_t>(p, p + v.size());
}

/** @cond SRD_DETAIL */
namespace detail {

template <class T>
struct is_byte_like
    : std::bool_constant<std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                         std::is_same_v<T, unsigned char> || std::is_same_v<T, std::byte>
#if defined(__cpp_char8_t)
                         || std::is_same_v<T, char8_t>
#endif
                         > {
};

template <class C, class = void>
struct is_byte_range : std::false_type {};

template <class C>
struct is_byte_range<C, std::void_t<decltype(std::data(std::declval<const C &>())),
                                    decltype(std::size(std::declval<const C &>()))>>
    : std::bool_constant<
          !std::is_array_v<C> && std::is_pointer_v<decltype(std::data(std::declval<const C &>()))> &&
          is_byte_like<std::remove_cv_t<std::remove_pointer_t<decltype(std::data(
              std::declval<const C &>()))>>>::value> {};

}  // namespace detail
/** @endcond */

/**
 * Bytes passed to the library (a key, a value, a prefix): a pointer and a length, made
 * implicitly from a NUL-terminated string (without its NUL), any contiguous container of
 * bytes (std::string, std::string_view, std::vector<char>, std::array<std::uint8_t, N>,
 * srd::bytes_view, std::span...), or explicitly from a pointer and a size. It does not own
 * the bytes, which the library only reads during the call.
 */
class bytes_ref {
public:
    /** No bytes. */
    constexpr bytes_ref() noexcept = default;
    /** `size` bytes at `data`. */
    bytes_ref(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
    /** The characters of a NUL-terminated string, without the NUL (none for NULL). */
    bytes_ref(const char *text) noexcept
        : data_(reinterpret_cast<const std::uint8_t *>(text)),
          size_(text ? std::strlen(text) : 0) {}
    /** The bytes of a contiguous container of `char`, `unsigned char`, `std::byte`... */
    template <class C, std::enable_if_t<detail::is_byte_range<C>::value &&
                                            !std::is_same_v<C, bytes_ref>,
                                        int> = 0>
    bytes_ref(const C &bytes) noexcept
        : data_(reinterpret_cast<const std::uint8_t *>(std::data(bytes))),
          size_(static_cast<std::size_t>(std::size(bytes))) {}

    /** The first byte. */
    const std::uint8_t *data() const noexcept { return data_; }
    /** The number of bytes. */
    std::size_t size() const noexcept { return size_; }
    /** Whether there are no bytes. */
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Keys and hashes
// ---------------------------------------------------------------------------------------------

/**
 * The 64-bit hash under which a key is stored (XXH3-64, seed 0): a distinct type, so that a
 * hash is never taken for a key. `static_cast<std::uint64_t>(h)` gives the number;
 * `srd::key_hash{n}` makes one from a number.
 */
enum class key_hash : std::uint64_t {};

/** The hash of `key` (srd_hash_key); the same as the Rust crate simd-r-drive computes. */
inline key_hash hash_key(bytes_ref key) {
    std::uint64_t h = 0;
    detail::check(srd_hash_key(key.data(), key.size(), &h), "srd::hash_key");
    return key_hash{h};
}

/** Length of a namespaced key (SRD_NAMESPACE_KEY_LEN). */
inline constexpr std::size_t namespace_key_len = 16;
#ifdef SRD_NAMESPACE_KEY_LEN
static_assert(SRD_NAMESPACE_KEY_LEN == namespace_key_len, "SRD_NAMESPACE_KEY_LEN changed");
#endif

/** A key inside a namespace (srd_namespace_key): 16 bytes, usable as any key. */
using namespaced_key = std::array<std::uint8_t, namespace_key_len>;

/**
 * The key naming `key` inside the namespace `prefix` (srd_namespace_key), the same bytes as
 * the Rust crate's NamespaceHasher. `prefix` must not be empty.
 */
inline namespaced_key namespace_key(bytes_ref prefix, bytes_ref key) {
    namespaced_key out{};
    detail::check(srd_namespace_key(prefix.data(), prefix.size(), key.data(), key.size(), out.data()),
                  "srd::namespace_key");
    return out;
}

/** One key/value pair for store::write_batch. */
struct kv {
    bytes_ref key;    ///< The key.
    bytes_ref value;  ///< The value.
};

/** One operation of store::apply: a write (`value` set) or a delete (`value` empty). */
struct op {
    bytes_ref key;          ///< The key.
    bytes_ref value;        ///< The value to write; for a delete, leave it empty.
    bool erase = false;     ///< true: delete `key` (skipped if it has no value then).

    /** Stores `value` under `key`. */
    static op write(bytes_ref key, bytes_ref value) { return op{key, value, false}; }
    /** Deletes `key`. */
    static op remove(bytes_ref key) { return op{key, bytes_ref(), true}; }
};

/** A live entry seen by iteration or store::read_last: its key hash and its value. */
struct item {
    key_hash hash;     ///< The hash of the entry's key.
    bytes_view value;  ///< The value (lifetime: see where it came from).
};

/** One result of store::read_batch. */
struct read_result {
    status code = status::not_found;  ///< status::ok, status::not_found or status::corrupt.
    bytes_view value;                 ///< The value when code is status::ok, else empty.
    /** Whether the key had a value. */
    bool found() const noexcept { return code == status::ok; }
    /** Whether the key had a value. */
    explicit operator bool() const noexcept { return found(); }
};

/** What store::verify found (srd_verify_report). */
struct verify_report {
    std::uint64_t entries_checked = 0;  ///< Entries in the chain, versions and tombstones.
    std::uint64_t bytes_checked = 0;    ///< Payload bytes whose CRC-32 was recomputed.
    std::uint64_t file_size = 0;        ///< Bytes of the store examined.
    /** File offset of the first problem; std::numeric_limits<std::uint64_t>::max() if none. */
    std::uint64_t first_bad_offset = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t bad_entries = 0;      ///< Entries whose checksum did not match.
    bool sound = false;                 ///< True when the store is sound (SRD_OK).
    /** Whether the store is sound. */
    explicit operator bool() const noexcept { return sound; }
};

/** What srd::salvage recovered and lost (srd_salvage_report). */
struct salvage_report {
    std::uint64_t source_size = 0;        ///< Size of the damaged file, in bytes.
    std::uint64_t entries_recovered = 0;  ///< Intact entries found (versions and tombstones).
    std::uint64_t live_keys_written = 0;  ///< Live values written to the new store.
    std::uint64_t damaged_regions = 0;    ///< Damaged stretches of the file that were skipped.
    std::uint64_t bytes_lost = 0;         ///< Bytes in those stretches (their entries are lost).
    /** Offset of the first damaged stretch; std::numeric_limits<std::uint64_t>::max() if none. */
    std::uint64_t first_damage_offset = std::numeric_limits<std::uint64_t>::max();
};

/** Flags of store::store / store::open (the SRD_OPEN_* flags); combine with `|`. */
enum class open_flags : std::uint32_t {
    none = 0,                           ///< Read-write, create if missing.
    read_only = SRD_OPEN_READ_ONLY,     ///< No lock, never modify the file; implies no_create.
    no_create = SRD_OPEN_NO_CREATE,     ///< Fail with status::not_found if the file is missing.
    sync = SRD_OPEN_SYNC,               ///< Every change is durable before it returns.
    no_verify = SRD_OPEN_NO_VERIFY,     ///< Do not check checksums on first reads.
    no_index_file = SRD_OPEN_NO_INDEX_FILE, ///< Neither use nor save `<path>.idx`.
    preallocate = SRD_OPEN_PREALLOCATE, ///< Grow the file ahead in chunks; copy small writes into a mapping.
    reserve_space = SRD_OPEN_RESERVE,   ///< Copy small writes into 0xFE space reserved ahead, cut at close (see the C header).
};

/** Both sets of flags. */
constexpr open_flags operator|(open_flags a, open_flags b) noexcept {
    return static_cast<open_flags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
/** The flags in both sets. */
constexpr open_flags operator&(open_flags a, open_flags b) noexcept {
    return static_cast<open_flags>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}

/** What iteration does with a value that fails its checksum. */
enum class on_corrupt {
    throw_error,  ///< Throw srd::error (status::corrupt); iteration may then go on past it.
    skip,         ///< Skip it and count it in entry_range::skipped().
};

/** @cond SRD_DETAIL */
namespace detail {

inline bytes_view view(const std::uint8_t *data, std::size_t size) noexcept {
    return bytes_view(reinterpret_cast<const std::byte *>(data), size);
}

template <class T, class = void>
struct has_key_value : std::false_type {};
template <class T>
struct has_key_value<T, std::void_t<decltype(std::declval<const T &>().key),
                                    decltype(std::declval<const T &>().value)>> : std::true_type {};

// The key and value of one batch element: an srd::kv (or anything with .key/.value), or a
// pair-like type with .first/.second (std::pair, the elements of std::map...).
template <class T>
srd_kv to_c_kv(const T &element) {
    bytes_ref k, v;
    if constexpr (has_key_value<T>::value) {
        k = bytes_ref(element.key);
        v = bytes_ref(element.value);
    } else {
        k = bytes_ref(element.first);
        v = bytes_ref(element.second);
    }
    return srd_kv{k.data(), k.size(), v.data(), v.size()};
}

template <class Range>
std::vector<srd_kv> to_c_kvs(const Range &items) {
    std::vector<srd_kv> out;
    for (const auto &element : items) out.push_back(to_c_kv(element));
    return out;
}

template <class Range>
std::vector<srd_key> to_c_keys(const Range &keys) {
    std::vector<srd_key> out;
    for (const auto &element : keys) {
        bytes_ref k(element);
        out.push_back(srd_key{k.data(), k.size()});
    }
    return out;
}

inline std::vector<read_result> to_results(const std::vector<srd_read_result> &c) {
    std::vector<read_result> out;
    out.reserve(c.size());
    for (const auto &r : c) {
        out.push_back(read_result{static_cast<status>(r.status),
                                  r.status == SRD_OK ? view(r.value, r.value_len) : bytes_view()});
    }
    return out;
}

inline verify_report to_report(const srd_verify_report &r, bool sound) noexcept {
    verify_report out;
    out.entries_checked = r.entries_checked;
    out.bytes_checked = r.bytes_checked;
    out.file_size = r.file_size;
    out.first_bad_offset = r.first_bad_offset;
    out.bad_entries = r.bad_entries;
    out.sound = sound;
    return out;
}

// A C progress callback that calls a C++ callable `void(uint64_t done, uint64_t total)`. An
// exception thrown by the callable cannot cross the library: it is kept, further calls are
// ignored, and it is rethrown when the library returns.
template <class F>
struct progress_context {
    F *callback;
    std::exception_ptr failure;

    static void call(void *user_data, std::uint64_t done, std::uint64_t total) noexcept {
        auto *self = static_cast<progress_context *>(user_data);
        if (self->failure) return;
        try {
            (*self->callback)(done, total);
        } catch (...) {
            self->failure = std::current_exception();
        }
    }

    void rethrow() const {
        if (failure) std::rethrow_exception(failure);
    }
};

}  // namespace detail
/** @endcond */

class store;

// ---------------------------------------------------------------------------------------------
// srd::entry
// ---------------------------------------------------------------------------------------------

/**
 * A pinned value (srd_entry): its bytes stay valid and unchanged as long as this object, even
 * across store::compact and the store's close. Move-only; released by the destructor.
 */
class entry {
public:
    /** An empty entry (holds nothing). */
    entry() noexcept = default;
    /** Takes ownership of a C entry (NULL gives an empty entry). */
    explicit entry(srd_entry *handle) noexcept : handle_(handle) {}
    entry(const entry &) = delete;
    entry &operator=(const entry &) = delete;
    /** Takes the other entry's handle; the other becomes empty. */
    entry(entry &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    /** Releases this entry's handle and takes the other's. */
    entry &operator=(entry &&other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    /** Releases the entry (srd_entry_free). */
    ~entry() { reset(); }

    /** Releases the entry now; it becomes empty. */
    void reset() noexcept {
        srd_entry_free(handle_);
        handle_ = nullptr;
    }
    /** Whether the entry holds a value. */
    explicit operator bool() const noexcept { return handle_ != nullptr; }
    /** The C handle (still owned by this object). */
    srd_entry *native_handle() const noexcept { return handle_; }
    /** Gives up ownership of the C handle (to free with srd_entry_free); the entry becomes empty. */
    srd_entry *release() noexcept { return std::exchange(handle_, nullptr); }

    /** The value's bytes (64-byte aligned), valid as long as this entry; empty if it is empty. */
    bytes_view data() const noexcept {
        std::size_t len = 0;
        const std::uint8_t *p = srd_entry_data(handle_, &len);
        return detail::view(p, len);
    }
    /** The value's length in bytes. */
    std::size_t size() const noexcept { return data().size(); }
    /** Iterator to the value's first byte. */
    bytes_view::iterator begin() const noexcept { return data().begin(); }
    /** Iterator past the value's last byte. */
    bytes_view::iterator end() const noexcept { return data().end(); }

    /**
     * Copies up to `capacity` bytes of the value, from `offset` on, into `buffer`; returns how
     * many (0 at the end). Throws status::invalid_argument if `offset` is past the end.
     */
    std::size_t read_at(std::uint64_t offset, void *buffer, std::size_t capacity) const {
        std::size_t n = 0;
        detail::check(srd_entry_read_at(handle_, offset, static_cast<std::uint8_t *>(buffer),
                                        capacity, &n),
                      "srd::entry::read_at");
        return n;
    }
    /** The hash of the entry's key. */
    key_hash hash() const {
        std::uint64_t h = 0;
        detail::check(srd_entry_key_hash(handle_, &h), "srd::entry::hash");
        return key_hash{h};
    }
    /** The stored CRC-32 of the value. */
    std::uint32_t checksum() const {
        std::uint32_t crc = 0;
        detail::check(srd_entry_checksum(handle_, &crc), "srd::entry::checksum");
        return crc;
    }
    /** The file offset where the value starts (a multiple of 64). */
    std::uint64_t offset() const {
        std::uint64_t off = 0;
        detail::check(srd_entry_offset(handle_, &off), "srd::entry::offset");
        return off;
    }
    /** Recomputes the checksum now: true if it matches, false if the bytes are damaged. */
    bool verify() const {
        const srd_status st = srd_entry_verify(handle_);
        if (st == SRD_CORRUPT) return false;
        detail::check(st, "srd::entry::verify");
        return true;
    }
    /** Opens the store file kept as this value, read-only and in place (srd_open_entry). */
    inline store open_store() const;

private:
    srd_entry *handle_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// srd::stream
// ---------------------------------------------------------------------------------------------

/**
 * A streaming write of one value (srd_stream), from store::begin_stream. Write the bytes with
 * write(), then commit(); the destructor aborts a stream that was not committed, leaving the
 * store as it was. While it is open it owns the store's writer: other threads' writes wait,
 * and this thread's writes to the same store fail with status::busy. Move-only.
 */
class stream {
public:
    /** An empty (finished) stream. */
    stream() noexcept = default;
    /** Takes ownership of a C stream. */
    explicit stream(srd_stream *handle) noexcept : handle_(handle) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;
    /** Takes the other stream; the other becomes finished. */
    stream(stream &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    /** Aborts this stream if it is open, then takes the other. */
    stream &operator=(stream &&other) noexcept {
        if (this != &other) {
            abort();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    /** Aborts the stream unless it was committed. */
    ~stream() { abort(); }

    /** Whether the stream is open (neither committed nor aborted). */
    bool is_open() const noexcept { return handle_ != nullptr; }
    /** Whether the stream is open. */
    explicit operator bool() const noexcept { return is_open(); }
    /** The C handle (still owned by this object). */
    srd_stream *native_handle() const noexcept { return handle_; }

    /**
     * Appends `data` to the value (empty data is a no-op). A failure (e.g. a full disk)
     * throws and poisons the stream: commit() will fail and roll back.
     */
    stream &write(bytes_ref data) {
        require_open("srd::stream::write");
        detail::check(srd_stream_write(handle_, data.data(), data.size()), "srd::stream::write");
        return *this;
    }
    /**
     * Publishes the value. The stream is finished whatever the outcome; on failure nothing is
     * stored and srd::error is thrown (status::invalid_argument for an empty value or one
     * 0x00 byte).
     */
    void commit() {
        require_open("srd::stream::commit");
        detail::check(srd_stream_commit(std::exchange(handle_, nullptr)), "srd::stream::commit");
    }
    /** As commit(), reporting a failure in `ec` instead of throwing. */
    void commit(std::error_code &ec) noexcept {
        if (!handle_) {
            ec = make_error_code(status::invalid_argument);
            return;
        }
        detail::set(ec, srd_stream_commit(std::exchange(handle_, nullptr)));
    }
    /** Discards what was written; the store is left exactly as before. No-op if finished. */
    void abort() noexcept { srd_stream_abort(std::exchange(handle_, nullptr)); }

private:
    void require_open(const char *operation) const {
        if (!handle_) {
            throw error(status::invalid_argument, "the stream is already committed or aborted",
                        operation);
        }
    }

    srd_stream *handle_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// srd::entry_range
// ---------------------------------------------------------------------------------------------

/**
 * The live entries of a store (srd_iter), from store::entries: a snapshot as of that call, in
 * file order (oldest first), usable with range-for:
 *
 * @code
 * for (auto [hash, value] : db.entries()) { ... }
 * @endcode
 *
 * The values are valid as long as this object (even across compaction or the store's close):
 * keep the range in a variable to use them after the loop. It is an input range: it can be
 * traversed once, and begin() continues where the last traversal stopped. A damaged value
 * throws srd::error (status::corrupt) by default, after which iteration may continue past it;
 * with on_corrupt::skip it is skipped and counted. Move-only.
 */
class entry_range {
public:
    /** The input iterator of the range. */
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;  ///< An input iterator.
        using value_type = item;                            ///< Yields items.
        using difference_type = std::ptrdiff_t;             ///< Difference type.
        using pointer = const item *;                       ///< Pointer to an item.
        using reference = const item &;                     ///< Reference to an item.

        /** The end iterator. */
        iterator() noexcept = default;
        /** The current item. */
        reference operator*() const noexcept { return current_; }
        /** The current item. */
        pointer operator->() const noexcept { return &current_; }
        /** Moves to the next item (may throw srd::error). */
        iterator &operator++() {
            advance();
            return *this;
        }
        /** Moves to the next item (may throw srd::error). */
        void operator++(int) { advance(); }
        /** Whether both are at the end (or the same position). */
        friend bool operator==(const iterator &a, const iterator &b) noexcept {
            return a.range_ == b.range_;
        }
        /** Whether they differ. */
        friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

    private:
        friend class entry_range;
        explicit iterator(entry_range *range) : range_(range) { advance(); }
        void advance() {
            std::optional<item> next = range_->next();
            if (next) {
                current_ = *next;
            } else {
                range_ = nullptr;
            }
        }

        entry_range *range_ = nullptr;
        item current_{};
    };

    /** An empty range (also what a moved-from range is). */
    entry_range() noexcept = default;
    /** Takes ownership of a C iterator. */
    explicit entry_range(srd_iter *handle, on_corrupt policy = on_corrupt::throw_error) noexcept
        : handle_(handle), policy_(policy) {}
    entry_range(const entry_range &) = delete;
    entry_range &operator=(const entry_range &) = delete;
    /** Takes the other range's iterator; the other becomes empty. */
    entry_range(entry_range &&other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)),
          policy_(other.policy_),
          skipped_(other.skipped_),
          done_(other.done_) {}
    /** Releases this range's iterator and takes the other's. */
    entry_range &operator=(entry_range &&other) noexcept {
        if (this != &other) {
            srd_iter_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            policy_ = other.policy_;
            skipped_ = other.skipped_;
            done_ = other.done_;
        }
        return *this;
    }
    /** Releases the iterator (srd_iter_free): the values it returned become invalid. */
    ~entry_range() { srd_iter_free(handle_); }

    /** Starts (or continues) the traversal: fetches the next entry. */
    iterator begin() { return done_ ? iterator() : iterator(this); }
    /** The end. */
    iterator end() noexcept { return iterator(); }

    /**
     * The next live entry, or std::nullopt at the end. A damaged value throws srd::error
     * (status::corrupt) unless the policy is on_corrupt::skip; the next call continues after it.
     */
    std::optional<item> next() {
        while (!done_ && handle_) {
            std::uint64_t h = 0;
            const std::uint8_t *value = nullptr;
            std::size_t len = 0;
            const srd_status st = srd_iter_next(handle_, &h, &value, &len);
            if (st == SRD_OK) return item{key_hash{h}, detail::view(value, len)};
            if (st == SRD_NOT_FOUND) {
                done_ = true;
                break;
            }
            if (st == SRD_CORRUPT && policy_ == on_corrupt::skip) {
                ++skipped_;
                continue;
            }
            if (st != SRD_CORRUPT) done_ = true;
            detail::throw_status(st, "srd::entry_range::next");
        }
        return std::nullopt;
    }

    /** How many damaged values were skipped (with on_corrupt::skip). */
    std::uint64_t skipped() const noexcept { return skipped_; }
    /** The C iterator (still owned by this object). */
    srd_iter *native_handle() const noexcept { return handle_; }

private:
    srd_iter *handle_ = nullptr;
    on_corrupt policy_ = on_corrupt::throw_error;
    std::uint64_t skipped_ = 0;
    bool done_ = false;
};

// ---------------------------------------------------------------------------------------------
// srd::store
// ---------------------------------------------------------------------------------------------

/**
 * An open store (srd_store): opened by the constructor or store::open, closed by close() or
 * the destructor. Move-only. One store may be used from many threads at once, except for
 * close(), move assignment and destruction, which must be the last use.
 */
class store {
public:
    /** A closed store (every operation fails with status::invalid_argument). */
    store() noexcept = default;

    /**
     * Opens (or creates) the store file at `path` (srd_open); throws srd::error on failure,
     * e.g. status::locked if another read-write handle has it open, status::not_found for a
     * missing file with open_flags::no_create or open_flags::read_only.
     */
    explicit store(const std::filesystem::path &path, open_flags flags = open_flags::none) {
        detail::check(srd_open(path.c_str(), static_cast<std::uint32_t>(flags), &handle_),
                      "srd::store::open");
    }
    /** Takes ownership of a C handle (NULL gives a closed store). */
    explicit store(srd_store *handle) noexcept : handle_(handle) {}

    store(const store &) = delete;
    store &operator=(const store &) = delete;
    /** Takes the other store's handle; the other becomes closed. */
    store(store &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    /** Closes this store, then takes the other's handle. */
    store &operator=(store &&other) noexcept {
        if (this != &other) {
            close();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    /** Closes the store (srd_close). */
    ~store() { close(); }

    /** Opens (or creates) the store file at `path`; the same as the constructor. */
    static store open(const std::filesystem::path &path, open_flags flags = open_flags::none) {
        return store(path, flags);
    }
    /** As open(), reporting a failure in `ec` (and returning a closed store) instead of throwing. */
    static store open(const std::filesystem::path &path, open_flags flags,
                      std::error_code &ec) noexcept {
        srd_store *handle = nullptr;
        detail::set(ec, srd_open(path.c_str(), static_cast<std::uint32_t>(flags), &handle));
        return store(handle);
    }
    /**
     * Opens a store file held in memory, read-only and without copying (srd_open_bytes).
     * The bytes must stay valid and unchanged until the store is closed and every entry and
     * entry_range obtained from it is destroyed. 64-byte aligned bytes give 64-byte aligned
     * values.
     */
    static store open_bytes(bytes_ref image) {
        srd_store *handle = nullptr;
        detail::check(srd_open_bytes(image.data(), image.size(), &handle), "srd::store::open_bytes");
        return store(handle);
    }

    /**
     * Closes the store now (srd_close); no-op if closed. Views from read() become invalid;
     * entries, streams and entry ranges stay valid.
     */
    void close() noexcept {
        srd_close(handle_);
        handle_ = nullptr;
    }
    /** Whether the store is open. */
    bool is_open() const noexcept { return handle_ != nullptr; }
    /** Whether the store is open. */
    explicit operator bool() const noexcept { return is_open(); }
    /** The C handle (still owned by this object). */
    srd_store *native_handle() const noexcept { return handle_; }
    /** Gives up ownership of the C handle (to close with srd_close); the store becomes closed. */
    srd_store *release() noexcept { return std::exchange(handle_, nullptr); }

    // --- writing -------------------------------------------------------------------------------

    /**
     * Stores `value` under `key`, replacing any older value (srd_write). Keys must not be
     * empty; values must not be empty nor exactly one 0x00 byte (status::invalid_argument).
     */
    void write(bytes_ref key, bytes_ref value) {
        detail::check(srd_write(handle_, key.data(), key.size(), value.data(), value.size()),
                      "srd::store::write");
    }
    /** As write(key, value), reporting a failure in `ec` instead of throwing. */
    void write(bytes_ref key, bytes_ref value, std::error_code &ec) noexcept {
        detail::set(ec, srd_write(handle_, key.data(), key.size(), value.data(), value.size()));
    }
    /** Stores `value` under the key with hash `hash` (srd_write_with_hash). */
    void write(key_hash hash, bytes_ref value) {
        detail::check(srd_write_with_hash(handle_, static_cast<std::uint64_t>(hash), value.data(),
                                          value.size()),
                      "srd::store::write");
    }
    /**
     * Stores `value` under `key` only if the key has no live value (srd_write_if_absent):
     * true if stored, false (nothing written) if the key has a value.
     */
    bool write_if_absent(bytes_ref key, bytes_ref value) {
        const srd_status st =
            srd_write_if_absent(handle_, key.data(), key.size(), value.data(), value.size());
        if (st == SRD_CONFLICT) return false;
        detail::check(st, "srd::store::write_if_absent");
        return true;
    }
    /**
     * Stores `value` under `key` only if the key's live version is `expected` (compare-and-swap,
     * srd_write_if_version; a version comes from version_of() or entry::offset()): true if
     * stored, false (nothing written) if the key has no value or another version.
     */
    bool write_if_version(bytes_ref key, std::uint64_t expected, bytes_ref value) {
        const srd_status st = srd_write_if_version(handle_, key.data(), key.size(), expected,
                                                   value.data(), value.size());
        if (st == SRD_CONFLICT) return false;
        detail::check(st, "srd::store::write_if_version");
        return true;
    }
    /** Deletes `key` only if its live version is `expected` (srd_delete_if_version). */
    bool erase_if_version(bytes_ref key, std::uint64_t expected) {
        const srd_status st = srd_delete_if_version(handle_, key.data(), key.size(), expected);
        if (st == SRD_CONFLICT) return false;
        detail::check(st, "srd::store::erase_if_version");
        return true;
    }
    /** The version of the key's live value (srd_version_of), or nothing if it has none. */
    std::optional<std::uint64_t> version_of(bytes_ref key) const {
        std::uint64_t v = 0;
        const srd_status st = srd_version_of(handle_, key.data(), key.size(), &v);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::version_of");
        return v;
    }

    /**
     * Stores several pairs with one append, visible all at once (srd_write_batch); one
     * invalid pair rejects the whole batch.
     * @code
     * db.write_batch({{"a", "1"}, {"b", "2"}});
     * @endcode
     */
    void write_batch(std::initializer_list<kv> items) { write_batch_impl(detail::to_c_kvs(items)); }
    /** As write_batch(), for any range of srd::kv or of pairs (std::map, std::vector<std::pair>...). */
    template <class Range>
    void write_batch(const Range &items) {
        write_batch_impl(detail::to_c_kvs(items));
    }

    /**
     * Applies writes and deletes, in order, with one append (srd_apply_batch): readers see them
     * at once, and after a crash or power cut all of them are in the store or none. A delete
     * of a key with no value at that point is skipped. Returns how many deletes applied.
     */
    std::uint64_t apply(const std::vector<op> &ops) {
        std::vector<srd_op> c;
        c.reserve(ops.size());
        for (const op &o : ops) {
            c.push_back(srd_op{static_cast<std::uint32_t>(o.erase ? SRD_OP_DELETE : SRD_OP_WRITE),
                               o.key.data(), o.key.size(),
                               o.erase ? nullptr : o.value.data(), o.erase ? 0 : o.value.size()});
        }
        std::uint64_t deleted = 0;
        detail::check(srd_apply_batch(handle_, c.data(), c.size(), &deleted), "srd::store::apply");
        return deleted;
    }

    /**
     * Begins a streaming write of the value of `key` (srd_stream_begin), for values too large
     * to hold in memory; throws status::busy if this thread already has a stream open here.
     */
    stream begin_stream(bytes_ref key) {
        srd_stream *s = nullptr;
        detail::check(srd_stream_begin(handle_, key.data(), key.size(), &s),
                      "srd::store::begin_stream");
        return stream(s);
    }
    /** As begin_stream(), for the key with hash `hash`. */
    stream begin_stream(key_hash hash) {
        srd_stream *s = nullptr;
        detail::check(srd_stream_begin_with_hash(handle_, static_cast<std::uint64_t>(hash), &s),
                      "srd::store::begin_stream");
        return stream(s);
    }

    // --- reading -------------------------------------------------------------------------------

    /**
     * The value of `key`, without copying (srd_read): valid until compact() or close().
     * Throws status::not_found if the key has no value, status::corrupt if it fails its
     * checksum.
     */
    bytes_view read(bytes_ref key) const {
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        detail::check(srd_read(handle_, key.data(), key.size(), &p, &len), "srd::store::read");
        return detail::view(p, len);
    }
    /** As read(key), reporting a failure in `ec` (and returning an empty view) instead of throwing. */
    bytes_view read(bytes_ref key, std::error_code &ec) const noexcept {
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        const srd_status st = srd_read(handle_, key.data(), key.size(), &p, &len);
        detail::set(ec, st);
        return st == SRD_OK ? detail::view(p, len) : bytes_view();
    }
    /** The value of the key with hash `hash` (srd_read_with_hash). */
    bytes_view read(key_hash hash) const {
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        detail::check(srd_read_with_hash(handle_, static_cast<std::uint64_t>(hash), &p, &len),
                      "srd::store::read");
        return detail::view(p, len);
    }
    /** As read(key), but std::nullopt when the key has no value (other failures still throw). */
    std::optional<bytes_view> try_read(bytes_ref key) const {
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        const srd_status st = srd_read(handle_, key.data(), key.size(), &p, &len);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::try_read");
        return detail::view(p, len);
    }
    /** As try_read(key), for the key with hash `hash`. */
    std::optional<bytes_view> try_read(key_hash hash) const {
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        const srd_status st = srd_read_with_hash(handle_, static_cast<std::uint64_t>(hash), &p, &len);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::try_read");
        return detail::view(p, len);
    }

    /** A pinned entry for `key` (srd_read_entry), valid as long as the entry object. */
    entry read_entry(bytes_ref key) const {
        srd_entry *e = nullptr;
        detail::check(srd_read_entry(handle_, key.data(), key.size(), &e), "srd::store::read_entry");
        return entry(e);
    }
    /** As read_entry(key), reporting a failure in `ec` (and returning an empty entry). */
    entry read_entry(bytes_ref key, std::error_code &ec) const noexcept {
        srd_entry *e = nullptr;
        detail::set(ec, srd_read_entry(handle_, key.data(), key.size(), &e));
        return entry(e);
    }
    /** A pinned entry for the key with hash `hash` (srd_read_entry_with_hash). */
    entry read_entry(key_hash hash) const {
        srd_entry *e = nullptr;
        detail::check(srd_read_entry_with_hash(handle_, static_cast<std::uint64_t>(hash), &e),
                      "srd::store::read_entry");
        return entry(e);
    }
    /** As read_entry(key), but std::nullopt when the key has no value. */
    std::optional<entry> try_read_entry(bytes_ref key) const {
        srd_entry *e = nullptr;
        const srd_status st = srd_read_entry(handle_, key.data(), key.size(), &e);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::try_read_entry");
        return entry(e);
    }
    /** As try_read_entry(key), for the key with hash `hash`. */
    std::optional<entry> try_read_entry(key_hash hash) const {
        srd_entry *e = nullptr;
        const srd_status st =
            srd_read_entry_with_hash(handle_, static_cast<std::uint64_t>(hash), &e);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::try_read_entry");
        return entry(e);
    }

    /**
     * Looks up several keys under one consistent view (srd_read_batch); result `i` is for key
     * `i`, with its own status (ok, not_found or corrupt). The views are valid as read()'s.
     * @code
     * auto results = db.read_batch({"a", "b"});
     * @endcode
     */
    std::vector<read_result> read_batch(std::initializer_list<bytes_ref> keys) const {
        return read_batch_keys(detail::to_c_keys(keys));
    }
    /** As read_batch(), for key hashes (srd_read_batch_with_hash): `db.read_batch({h1, h2})`. */
    std::vector<read_result> read_batch(std::initializer_list<key_hash> hashes) const {
        return read_batch<std::initializer_list<key_hash>>(hashes);
    }
    /**
     * As read_batch(), for any range of keys (std::vector<std::string>...) or of key hashes
     * (std::vector<srd::key_hash>, srd_read_batch_with_hash).
     */
    template <class Range>
    std::vector<read_result> read_batch(const Range &keys) const {
        using element = std::decay_t<decltype(*std::begin(keys))>;
        if constexpr (std::is_same_v<element, key_hash>) {
            std::vector<std::uint64_t> hashes;
            for (key_hash h : keys) hashes.push_back(static_cast<std::uint64_t>(h));
            std::vector<srd_read_result> out(hashes.size());
            detail::check(srd_read_batch_with_hash(handle_, hashes.data(), hashes.size(), out.data()),
                          "srd::store::read_batch");
            return detail::to_results(out);
        } else {
            return read_batch_keys(detail::to_c_keys(keys));
        }
    }

    /**
     * The newest live value (srd_read_last) and its key hash, or std::nullopt if the store
     * has none. The view is valid as read()'s.
     */
    std::optional<item> read_last() const {
        std::uint64_t h = 0;
        const std::uint8_t *p = nullptr;
        std::size_t len = 0;
        const srd_status st = srd_read_last(handle_, &h, &p, &len);
        if (st == SRD_NOT_FOUND) return std::nullopt;
        detail::check(st, "srd::store::read_last");
        return item{key_hash{h}, detail::view(p, len)};
    }

    /** Whether `key` has a live value (srd_exists); the checksum is not checked. */
    bool exists(bytes_ref key) const {
        const srd_status st = srd_exists(handle_, key.data(), key.size());
        if (st == SRD_NOT_FOUND) return false;
        detail::check(st, "srd::store::exists");
        return true;
    }
    /** Whether the key with hash `hash` has a live value (srd_exists_with_hash). */
    bool exists(key_hash hash) const {
        const srd_status st = srd_exists_with_hash(handle_, static_cast<std::uint64_t>(hash));
        if (st == SRD_NOT_FOUND) return false;
        detail::check(st, "srd::store::exists");
        return true;
    }

    /**
     * The live entries, oldest first (srd_iter_new): see srd::entry_range.
     * @code
     * for (auto [hash, value] : db.entries()) { ... }
     * @endcode
     */
    entry_range entries(on_corrupt policy = on_corrupt::throw_error) const {
        srd_iter *it = nullptr;
        detail::check(srd_iter_new(handle_, &it), "srd::store::entries");
        return entry_range(it, policy);
    }
    /**
     * Part `part` of `parts` of the live entries (srd_iter_new_part), for parallel scans:
     * each live entry is in exactly one part (`parts` >= 1, `part` < `parts`).
     */
    entry_range entries(std::uint32_t part, std::uint32_t parts,
                        on_corrupt policy = on_corrupt::throw_error) const {
        srd_iter *it = nullptr;
        detail::check(srd_iter_new_part(handle_, part, parts, &it), "srd::store::entries");
        return entry_range(it, policy);
    }

    // --- deleting, renaming, copying -------------------------------------------------------

    /** Deletes `key` (srd_delete): true if it had a value, false (nothing written) if not. */
    bool erase(bytes_ref key) {
        const srd_status st = srd_delete(handle_, key.data(), key.size());
        if (st == SRD_NOT_FOUND) return false;
        detail::check(st, "srd::store::erase");
        return true;
    }
    /** As erase(key), reporting every failure (status::not_found too) in `ec`; true if deleted. */
    bool erase(bytes_ref key, std::error_code &ec) noexcept {
        const srd_status st = srd_delete(handle_, key.data(), key.size());
        detail::set(ec, st);
        return st == SRD_OK;
    }
    /** Deletes the key with hash `hash` (srd_delete_with_hash): true if it had a value. */
    bool erase(key_hash hash) {
        const srd_status st = srd_delete_with_hash(handle_, static_cast<std::uint64_t>(hash));
        if (st == SRD_NOT_FOUND) return false;
        detail::check(st, "srd::store::erase");
        return true;
    }
    /** Deletes the keys that have a value, with one append (srd_delete_batch). */
    void erase_batch(std::initializer_list<bytes_ref> keys) { erase_batch_impl(detail::to_c_keys(keys)); }
    /** As erase_batch(), for any range of keys. */
    template <class Range>
    void erase_batch(const Range &keys) {
        erase_batch_impl(detail::to_c_keys(keys));
    }

    /**
     * Gives the value of `old_key` to `new_key` and deletes `old_key`, with one append
     * (srd_rename); status::not_found if `old_key` has no value, status::invalid_argument if
     * both are the same key.
     */
    void rename(bytes_ref old_key, bytes_ref new_key) {
        detail::check(srd_rename(handle_, old_key.data(), old_key.size(), new_key.data(),
                                 new_key.size()),
                      "srd::store::rename");
    }
    /**
     * Copies the value of `key` into `destination` under the same key (srd_copy);
     * status::invalid_argument if both are the same file.
     */
    void copy(bytes_ref key, store &destination) const {
        detail::check(srd_copy(handle_, key.data(), key.size(), destination.handle_),
                      "srd::store::copy");
    }
    /**
     * Moves the value of `key` into `destination` (srd_move): written and made durable there
     * before it is deleted here.
     */
    void move(bytes_ref key, store &destination) {
        detail::check(srd_move(handle_, key.data(), key.size(), destination.handle_),
                      "srd::store::move");
    }

    // --- maintenance -----------------------------------------------------------------------

    /**
     * Writes a consistent, synced copy of the store as it is now to `dst` while writers go on
     * (srd_backup); extends `dst` with only what is new when it holds an earlier backup.
     */
    void backup(const std::filesystem::path &dst) const {
        detail::check(srd_backup(handle_, dst.c_str(), nullptr, nullptr), "srd::store::backup");
    }
    /** As backup(dst), calling `progress(bytes written, bytes to write)` on this thread. */
    template <class F, std::enable_if_t<std::is_invocable_v<F &, std::uint64_t, std::uint64_t>, int> = 0>
    void backup(const std::filesystem::path &dst, F &&progress) const {
        detail::progress_context<std::remove_reference_t<F>> ctx{&progress, nullptr};
        detail::check(srd_backup(handle_, dst.c_str(), &decltype(ctx)::call, &ctx),
                      "srd::store::backup");
        ctx.rethrow();
    }
    /**
     * A read-only store frozen at this moment (srd_snapshot): reads through it see what this
     * store holds now and nothing written, deleted or compacted later; it does not depend on
     * this store staying open.
     */
    store snapshot() const {
        srd_store *out = nullptr;
        detail::check(srd_snapshot(handle_, &out), "srd::store::snapshot");
        return store(out);
    }
    /**
     * Rewrites the file with only the live values (srd_compact). Views from read() taken
     * before become invalid; entries stay valid.
     */
    void compact() { detail::check(srd_compact(handle_), "srd::store::compact"); }
    /** As compact(), reporting a failure in `ec` instead of throwing. */
    void compact(std::error_code &ec) noexcept { detail::set(ec, srd_compact(handle_)); }
    /**
     * As compact(), calling `progress(done, total)` (live entries copied so far) on this
     * thread. An exception from `progress` is rethrown when the compaction has finished.
     */
    template <class F, std::enable_if_t<std::is_invocable_v<F &, std::uint64_t, std::uint64_t>, int> = 0>
    void compact(F &&progress) {
        detail::progress_context<std::remove_reference_t<F>> ctx{&progress, nullptr};
        detail::check(srd_compact_progress(handle_, &decltype(ctx)::call, &ctx),
                      "srd::store::compact");
        ctx.rethrow();
    }

    /**
     * For a store opened with open_flags::read_only: takes in what a writer (usually another
     * process) appended since it was opened or last refreshed, or the new file after the
     * writer compacted (srd_refresh); views from read() then become invalid, as after
     * compact(). A no-op on read-write and in-memory stores.
     */
    void refresh() { detail::check(srd_refresh(handle_), "srd::store::refresh"); }
    /** As refresh(), reporting a failure in `ec` instead of throwing. */
    void refresh(std::error_code &ec) noexcept { detail::set(ec, srd_refresh(handle_)); }

    /**
     * Makes room in the in-memory index for `additional_keys` more keys (srd_reserve): a
     * capacity hint before a bulk load, so that the index is rebuilt once instead of each
     * time it doubles. Nothing is written; writes beyond the reservation still work.
     */
    void reserve(std::uint64_t additional_keys) {
        detail::check(srd_reserve(handle_, additional_keys), "srd::store::reserve");
    }
    /** As reserve(), reporting a failure in `ec` instead of throwing. */
    void reserve(std::uint64_t additional_keys, std::error_code &ec) noexcept {
        detail::set(ec, srd_reserve(handle_, additional_keys));
    }

    /** Makes everything written so far durable (srd_sync). */
    void sync() { detail::check(srd_sync(handle_), "srd::store::sync"); }
    /** As sync(), reporting a failure in `ec` instead of throwing. */
    void sync(std::error_code &ec) noexcept { detail::set(ec, srd_sync(handle_)); }

    /**
     * Checks every entry's checksum (srd_verify). A damaged store is not an exception: the
     * report says so (`sound` false, bad_entries, first_bad_offset); other failures throw.
     */
    verify_report verify() const {
        srd_verify_report r{};
        const srd_status st = srd_verify(handle_, &r);
        if (st != SRD_OK && st != SRD_CORRUPT) detail::throw_status(st, "srd::store::verify");
        return detail::to_report(r, st == SRD_OK);
    }
    /**
     * As verify(), calling `progress(done, total)` (bytes) on this thread. An exception from
     * `progress` is rethrown when the verification has finished.
     */
    template <class F, std::enable_if_t<std::is_invocable_v<F &, std::uint64_t, std::uint64_t>, int> = 0>
    verify_report verify(F &&progress) const {
        detail::progress_context<std::remove_reference_t<F>> ctx{&progress, nullptr};
        srd_verify_report r{};
        const srd_status st = srd_verify_progress(handle_, &r, &decltype(ctx)::call, &ctx);
        if (st != SRD_OK && st != SRD_CORRUPT) detail::throw_status(st, "srd::store::verify");
        ctx.rethrow();
        return detail::to_report(r, st == SRD_OK);
    }

    // --- statistics ------------------------------------------------------------------------

    /** The number of live keys (srd_count). */
    std::uint64_t count() const { return get(srd_count, "srd::store::count"); }
    /** The size of the store's valid content in bytes (srd_file_size). */
    std::uint64_t file_size() const { return get(srd_file_size, "srd::store::file_size"); }
    /** The number of entries in the file, old versions and tombstones included (srd_entry_count). */
    std::uint64_t entry_count() const { return get(srd_entry_count, "srd::store::entry_count"); }
    /** How many bytes compact() would free now (srd_reclaimable_bytes). */
    std::uint64_t reclaimable_bytes() const {
        return get(srd_reclaimable_bytes, "srd::store::reclaimable_bytes");
    }

private:
    void write_batch_impl(const std::vector<srd_kv> &items) {
        detail::check(srd_write_batch(handle_, items.data(), items.size()), "srd::store::write_batch");
    }
    void erase_batch_impl(const std::vector<srd_key> &keys) {
        detail::check(srd_delete_batch(handle_, keys.data(), keys.size()), "srd::store::erase_batch");
    }
    std::vector<read_result> read_batch_keys(const std::vector<srd_key> &keys) const {
        std::vector<srd_read_result> out(keys.size());
        detail::check(srd_read_batch(handle_, keys.data(), keys.size(), out.data()),
                      "srd::store::read_batch");
        return detail::to_results(out);
    }
    std::uint64_t get(srd_status (*fn)(const srd_store *, std::uint64_t *),
                      const char *operation) const {
        std::uint64_t n = 0;
        detail::check(fn(handle_, &n), operation);
        return n;
    }

    srd_store *handle_ = nullptr;
};

inline store entry::open_store() const {
    srd_store *handle = nullptr;
    detail::check(srd_open_entry(handle_, &handle), "srd::entry::open_store");
    return store(handle);
}

/**
 * Copies every intact entry of the (possibly damaged) store file `source` into a new store
 * file `destination`, which must not exist (srd_salvage); the source is only read. Use it when
 * opening a store fails with status::corrupt. The report says what was recovered and lost.
 */
inline salvage_report salvage(const std::filesystem::path &source,
                              const std::filesystem::path &destination) {
    srd_salvage_report r{};
    detail::check(srd_salvage(source.c_str(), destination.c_str(), &r), "srd::salvage");
    salvage_report out;
    out.source_size = r.source_size;
    out.entries_recovered = r.entries_recovered;
    out.live_keys_written = r.live_keys_written;
    out.damaged_regions = r.damaged_regions;
    out.bytes_lost = r.bytes_lost;
    out.first_damage_offset = r.first_damage_offset;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

/** The library's version number at run time (srd_version_number), MAJOR*1000000+MINOR*1000+PATCH. */
inline std::uint32_t version_number() noexcept { return srd_version_number(); }
/** The library's version text at run time (srd_version_string), e.g. "0.1.1". */
inline const char *version_string() noexcept { return srd_version_string(); }
/** Whether the library loaded at run time is the version this header was compiled against. */
inline bool version_matches_header() noexcept { return srd_version_number() == SRD_VERSION_NUMBER; }

}  // namespace srd

/** @cond SRD_DETAIL */
namespace std {
/** srd::status values compare with std::error_code (`ec == srd::status::not_found`). */
template <>
struct is_error_code_enum<srd::status> : true_type {};
}  // namespace std
/** @endcond */

#endif  // C++17 or newer

#endif  // SIMD_R_DRIVE_HPP
