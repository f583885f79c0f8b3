module github.com/cryptoerd/libcryptoerd/examples/go

go 1.19

require github.com/cryptoerd/libcryptoerd/bindings/go v0.0.0

replace github.com/cryptoerd/libcryptoerd/bindings/go => ../../bindings/go
