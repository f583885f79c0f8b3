// Package cryptoerdtest helps Go tests that use cryptoerd: a database per test, cloned
// from a migrated template (cryptoerd.CreateTemplate and Template.Clone, the C library's
// cerd_template_create and cerd_testdb_clone: far faster than migrating each time), and
// row factories over the C library's cerd_factory_make. It issues no SQL of its own.
//
// The server is the one libpq's PG* environment variables name (pg_virtualenv sets
// them), or CRYPTOERD_TEST_DSN (key=value form). Use Main in TestMain so that the
// template is dropped at the end.
//
// Fixture files (docs/fixtures.md) load with LoadFixtures; single rows come from Make and
// Create.
package cryptoerdtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
)

var (
	tplOnce sync.Once
	tpl     *cryptoerd.Template
	tplErr  error
)

// BaseDSN is the connection string tests start from ("" means libpq's environment).
func BaseDSN() string { return os.Getenv("CRYPTOERD_TEST_DSN") }

// DSN is BaseDSN with dbname replaced.
func DSN(dbname string) string {
	return strings.TrimSpace(BaseDSN() + " dbname=" + dbname)
}

// template is the process's migrated template database, created on first use (named
// cerd_go_tpl_<pid>; one of that name left by an earlier run is dropped first).
func template(ctx context.Context) (*cryptoerd.Template, error) {
	tplOnce.Do(func() {
		tpl, tplErr = cryptoerd.CreateTemplate(ctx, DSN("postgres"),
			fmt.Sprintf("cerd_go_tpl_%d", os.Getpid()), nil)
	})
	return tpl, tplErr
}

// Main runs the tests and drops the template database afterwards:
//
//	func TestMain(m *testing.M) { cryptoerdtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if tpl != nil {
		_ = tpl.Drop()
	}
	os.Exit(code)
}

// DB creates a database for this test, a clone of the migrated template, dropped when the
// test ends; returns its connection string.
func DB(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	t, err := template(ctx)
	if err != nil {
		tb.Fatalf("cryptoerdtest: template database: %v", err)
	}
	db, err := t.Clone(ctx)
	if err != nil {
		tb.Fatalf("cryptoerdtest: clone: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Drop(); err != nil {
			tb.Logf("cryptoerdtest: drop %s: %v", db.Name(), err)
		}
	})
	return db.DSN()
}

// Conn opens a connection to a fresh database of this test (closed at the end).
func Conn(tb testing.TB) (*cryptoerd.Conn, string) {
	tb.Helper()
	dsn := DB(tb)
	c, err := cryptoerd.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("cryptoerdtest: open: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c, dsn
}

// LoadFixtures loads fixture files or folders into c's database (Conn.LoadFixtures, seed
// 0, parents made by the factories where a row leaves them out), failing the test when the
// set is refused. It returns the rows written.
func LoadFixtures(tb testing.TB, c *cryptoerd.Conn, paths ...string) int64 {
	tb.Helper()
	n, err := c.LoadFixtures(context.Background(), 0, true, paths...)
	if err != nil {
		tb.Fatalf("cryptoerdtest: load fixtures: %v", err)
	}
	return n
}

// Make makes a realistic row of T's table from seed (cerd_factory_make), creating the
// parent rows its NOT NULL foreign keys need through c, then applies overrides (may be nil).
// The row is not inserted (see Create).
func Make[T cryptoerd.Row](tb testing.TB, c *cryptoerd.Conn, seed uint64, overrides func(*T)) *T {
	tb.Helper()
	r, err := cryptoerd.Make[T](context.Background(), c, seed, &cryptoerd.FactoryOptions{CreateParents: true})
	if err != nil {
		tb.Fatalf("cryptoerdtest: make %s: %v", cryptoerd.TableOf(*new(T)), err)
	}
	if overrides != nil {
		overrides(r)
	}
	return r
}

// Create is Make, then inserts the row and returns it as stored.
func Create[T cryptoerd.Row](tb testing.TB, c *cryptoerd.Conn, seed uint64, overrides func(*T)) *T {
	tb.Helper()
	r := Make[T](tb, c, seed, overrides)
	out, err := cryptoerd.Insert(context.Background(), c, r)
	if err != nil {
		tb.Fatalf("cryptoerdtest: insert %s: %v", cryptoerd.TableOf(*r), err)
	}
	return out
}
