module github.com/cryptoerd/libcryptoerd/bindings/go

go 1.19
