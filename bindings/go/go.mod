module github.com/simd-r-drive/simd-r-drive-c/bindings/go

go 1.19
