package pooltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func setting(t *testing.T, c *cerd.Conn) (string, int64) {
	t.Helper()
	raw, err := c.QueryJSON(context.Background(),
		"SELECT current_setting('cryptoerd.hook_test', true) AS v, pg_backend_pid() AS pid")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		V   *string
		Pid int64
	}
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("%s: %v", raw, err)
	}
	if rows[0].V == nil {
		return "", rows[0].Pid
	}
	return *rows[0].V, rows[0].Pid
}

// AfterConnect runs on every session the pool opens (also on its own threads) and after
// a session reset; a connection it kept is closed for it.
func TestPoolAfterConnect(t *testing.T) {
	ctx := context.Background()
	_, dsn := cryptoerdtest.Conn(t)
	var mu sync.Mutex
	pids := map[int64]int{}
	var kept *cerd.Conn
	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, MinSize: 2, MaxSize: 3,
		AfterConnect: func(ctx context.Context, c *cerd.Conn) error {
			if err := c.Exec(ctx, "SET cryptoerd.hook_test = 'set-by-hook'"); err != nil {
				return err
			}
			_, pid := setting(t, c)
			mu.Lock()
			pids[pid]++
			kept = c
			mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	calls := func() (n int, distinct int) {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range pids {
			n += k
		}
		return n, len(pids)
	}
	if n, d := calls(); n != 2 || d != 2 || pool.Stats().Created != 2 {
		t.Fatalf("after NewPool: %d calls on %d sessions, %d created; want 2 on 2", n, d, pool.Stats().Created)
	}
	mu.Lock()
	if err := kept.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("a connection kept from the hook is still usable")
	}
	mu.Unlock()

	// three borrowers at once, from goroutines: the pool opens a third session
	var wg sync.WaitGroup
	var conns [3]*cerd.Conn
	for i := range conns {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := pool.Acquire(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	for _, c := range conns {
		if c == nil {
			t.FailNow()
		}
		if v, pid := setting(t, c); v != "set-by-hook" {
			t.Errorf("session %d: setting %q", pid, v)
		}
		c.Release() // raw SQL ran on it: reset on release, and hooked again
	}
	if n, d := calls(); d != 3 || n != 6 || pool.Stats().Created != 3 {
		t.Errorf("%d calls on %d sessions (%d created); want 6 on 3", n, d, pool.Stats().Created)
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := setting(t, c); v != "set-by-hook" {
		t.Errorf("after a reset: setting %q", v)
	}
	c.Release()
}

// A hook's error or panic fails that connection attempt; the error names it and
// errors.Is matches it. The pool stays usable.
func TestPoolAfterConnectFails(t *testing.T) {
	ctx := context.Background()
	_, dsn := cryptoerdtest.Conn(t)
	refused := errors.New("hook refuses this session")
	_, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, AfterConnect: func(context.Context, *cerd.Conn) error {
		return refused
	}})
	if !errors.Is(err, refused) || !errors.Is(err, cerd.ErrConnect) || !strings.Contains(err.Error(), "hook refuses") {
		t.Errorf("NewPool: %v", err)
	}
	_, err = cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, AfterConnect: func(ctx context.Context, c *cerd.Conn) error {
		return c.Exec(ctx, "SET no_such_setting_without_dot = 1")
	}})
	if err == nil || !strings.Contains(err.Error(), "no_such_setting_without_dot") {
		t.Errorf("NewPool with failing SQL: %v", err)
	}
	_, err = cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, AfterConnect: func(context.Context, *cerd.Conn) error {
		panic("boom")
	}})
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("NewPool with a panicking hook: %v", err)
	}

	// failing later, on a session the pool opens for a borrower
	var mu sync.Mutex
	n := 0
	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, MinSize: 1, MaxSize: 2, AcquireTimeout: time.Second,
		AfterConnect: func(context.Context, *cerd.Conn) error {
			mu.Lock()
			defer mu.Unlock()
			n++
			if n >= 2 {
				return fmt.Errorf("attempt %d refused", n)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c1, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Acquire(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("second borrower: %v", err)
	}
	if _, err := c1.Assets().Count(ctx); err != nil {
		t.Errorf("the first connection: %v", err)
	}
	c1.Release()
}
