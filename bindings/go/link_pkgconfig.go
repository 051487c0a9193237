//go:build srd_pkgconfig

package srd

// With -tags srd_pkgconfig the package compiles and links against an
// installed library found by pkg-config (set PKG_CONFIG_PATH to
// PREFIX/lib/pkgconfig for a prefix pkg-config does not search).

// #cgo pkg-config: simd_r_drive
import "C"
