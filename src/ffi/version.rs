//! Library version, as numbers and text.

use super::error::guard_value;
use std::ffi::{c_char, CStr};

const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0u32;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}

const MAJOR: u32 = parse(env!("CARGO_PKG_VERSION_MAJOR"));
const MINOR: u32 = parse(env!("CARGO_PKG_VERSION_MINOR"));
const PATCH: u32 = parse(env!("CARGO_PKG_VERSION_PATCH"));

/// The version as `MAJOR * 1000000 + MINOR * 1000 + PATCH`.
pub(crate) const NUMBER: u32 = MAJOR * 1_000_000 + MINOR * 1_000 + PATCH;

const TEXT: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(s) => s,
        Err(_) => panic!("version contains a NUL byte"),
    };

/// @brief Returns the library's version as `MAJOR * 1000000 + MINOR * 1000 +
/// PATCH`.
///
/// The formula is that of the header's `SRD_VERSION_NUMBER`: comparing the two
/// tells whether the library loaded at run time is the one compiled against.
///
/// @return The version number of the library loaded at run time.
///
/// Threads: any thread, at any time (rule T4 in @ref conventions).
/// @ingroup version
#[no_mangle]
pub extern "C" fn srd_version_number() -> u32 {
    NUMBER
}

/// @brief Returns the library's version as text, e.g. "0.1.2".
///
/// It equals the header's `SRD_VERSION_STRING` when the library loaded at run
/// time is the one compiled against.
///
/// @return A static NUL-terminated string, never NULL; never free it (rule L4 in
/// @ref conventions).
///
/// Threads: any thread, at any time (rule T4).
/// @ingroup version
#[no_mangle]
pub extern "C" fn srd_version_string() -> *const c_char {
    guard_value(c"".as_ptr(), || TEXT.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_text_agree_with_cargo() {
        let v = env!("CARGO_PKG_VERSION");
        let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        assert_eq!(
            srd_version_number(),
            parts[0] * 1_000_000 + parts[1] * 1000 + parts[2]
        );
        // SAFETY: srd_version_string returns a static C string.
        let s = unsafe { CStr::from_ptr(srd_version_string()) };
        assert_eq!(s.to_str().unwrap(), v);
    }
}
