package cryptoerd_test

import (
	"testing"

	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func TestMain(m *testing.M) { cryptoerdtest.Main(m) }
