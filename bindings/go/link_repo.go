//go:build !srd_pkgconfig

package srd

// By default the package links, statically, the library built in this
// repository by `cargo build --release --lib` (target/release/
// libsimd_r_drive.a): programs need no shared library at run time. Build
// with -tags srd_pkgconfig to link an installed shared library found by
// pkg-config (simd_r_drive.pc) instead.

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libsimd_r_drive.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
