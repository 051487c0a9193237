#!/usr/bin/env bash
# Regenerates the committed header include/simd_r_drive.h from the Rust
# sources with cbindgen (via build.rs). Commit the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRD_UPDATE_HEADER=1 cargo build --lib --quiet
echo "include/simd_r_drive.h regenerated"
