// Package cryptoerdtest helps Go tests that use cryptoerd: a database per test, cloned
// from a migrated template (CREATE DATABASE ... TEMPLATE, far faster than migrating each
// time), and row factories over the C library's cerd_factory_make.
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
	"sync/atomic"
	"testing"

	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
)

var (
	tplOnce sync.Once
	tplName string
	tplErr  error
	counter int64
)

// BaseDSN is the connection string tests start from ("" means libpq's environment).
func BaseDSN() string { return os.Getenv("CRYPTOERD_TEST_DSN") }

// DSN is BaseDSN with dbname replaced.
func DSN(dbname string) string {
	return strings.TrimSpace(BaseDSN() + " dbname=" + dbname)
}

func admin(ctx context.Context) (*cryptoerd.Conn, error) {
	return cryptoerd.Open(ctx, DSN("postgres"))
}

func template(ctx context.Context) (string, error) {
	tplOnce.Do(func() {
		tplName = fmt.Sprintf("cerd_go_tpl_%d", os.Getpid())
		a, err := admin(ctx)
		if err != nil {
			tplErr = err
			return
		}
		defer a.Close()
		_ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+tplName)
		if tplErr = a.Exec(ctx, "CREATE DATABASE "+tplName); tplErr != nil {
			return
		}
		c, err := cryptoerd.Open(ctx, DSN(tplName))
		if err != nil {
			tplErr = err
			return
		}
		_, tplErr = c.Migrate(ctx)
		c.Close()
	})
	return tplName, tplErr
}

// Main runs the tests and drops the template database afterwards:
//
//	func TestMain(m *testing.M) { cryptoerdtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if tplName != "" {
		ctx := context.Background()
		if a, err := admin(ctx); err == nil {
			_ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+tplName+" WITH (FORCE)")
			a.Close()
		}
	}
	os.Exit(code)
}

// DB creates a database for this test, a clone of the migrated template, dropped when the
// test ends; returns its connection string.
func DB(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	tpl, err := template(ctx)
	if err != nil {
		tb.Fatalf("cryptoerdtest: template database: %v", err)
	}
	name := fmt.Sprintf("cerd_go_%d_%d", os.Getpid(), atomic.AddInt64(&counter, 1))
	a, err := admin(ctx)
	if err != nil {
		tb.Fatalf("cryptoerdtest: %v", err)
	}
	defer a.Close()
	if err := a.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl); err != nil {
		tb.Fatalf("cryptoerdtest: clone: %v", err)
	}
	tb.Cleanup(func() {
		if a, err := admin(ctx); err == nil {
			_ = a.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			a.Close()
		}
	})
	return DSN(name)
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
