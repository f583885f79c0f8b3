package cryptoerd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func TestLSNIsAPlainValue(t *testing.T) {
	l, err := cerd.ParseLSN("16/B374D848")
	if err != nil || l != 0x16B374D848 || l.String() != "16/B374D848" {
		t.Fatalf("%v %v %s", l, err, l)
	}
	if cerd.LSN(1<<32).String() != "1/0" || !(cerd.LSN(5) < cerd.LSN(1<<32)) {
		t.Error("order or text")
	}
	b, _ := json.Marshal(struct{ After cerd.LSN }{l})
	var back struct{ After cerd.LSN }
	if string(b) != `{"After":"16/B374D848"}` || json.Unmarshal(b, &back) != nil || back.After != l {
		t.Errorf("JSON %s %v", b, back.After)
	}
	for _, bad := range []string{"", "16", "x/1", "123456789/0", "1/"} {
		if _, err := cerd.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
}

// serverOf is (in recovery, port) of the server c is on.
func serverOf(t *testing.T, c *cerd.Conn) (bool, int) {
	t.Helper()
	raw, err := c.QueryJSON(context.Background(), "SELECT pg_is_in_recovery() AS standby, inet_server_port() AS port")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Standby bool
		Port    int
	}
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("%s: %v", raw, err)
	}
	return rows[0].Standby, rows[0].Port
}

func sees(t *testing.T, c *cerd.Conn, symbol string) bool {
	t.Helper()
	_, err := c.Assets().GetBySymbol(context.Background(), symbol)
	if err != nil && !errors.Is(err, cerd.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// writeAsset inserts an asset on the primary in a transaction committed with CommitLSN.
func writeAsset(t *testing.T, writes *cerd.Pool, symbol string) cerd.LSN {
	t.Helper()
	ctx := context.Background()
	c, err := writes.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Assets().Insert(ctx, asset(symbol, "Read your writes")); err != nil {
		t.Fatal(err)
	}
	token, err := tx.CommitLSN(ctx)
	if err != nil || token == 0 {
		t.Fatalf("CommitLSN: %v %v", token, err)
	}
	return token
}

func pauseReplay(t *testing.T, standby string, on bool) {
	t.Helper()
	ctx := context.Background()
	c, err := cerd.Open(ctx, standby)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sql, want := "SELECT pg_wal_replay_resume()", "not paused"
	if on {
		sql, want = "SELECT pg_wal_replay_pause()", "paused"
	}
	if err := c.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		raw, err := c.QueryJSON(ctx, "SELECT pg_get_wal_replay_pause_state() AS s")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), `"`+want+`"`) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the standby's replay is not %s after 20 s", want)
}

// waitReplay waits (at most 20 s) until the standby has replayed the token.
func waitReplay(t *testing.T, standby string, token cerd.LSN) {
	t.Helper()
	ctx := context.Background()
	c, err := cerd.Open(ctx, standby)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var at cerd.LSN
	for i := 0; i < 1000; i++ {
		raw, err := c.QueryJSON(ctx, "SELECT pg_last_wal_replay_lsn()::text AS l")
		var rows []struct{ L string }
		if err == nil {
			err = json.Unmarshal(raw, &rows)
		}
		if err == nil && len(rows) == 1 {
			at, err = cerd.ParseLSN(rows[0].L)
		}
		if err != nil {
			t.Fatal(err)
		}
		if at >= token {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the standby replayed up to %s, not %s, in 20 s", at, token)
}

func TestReadReplicas(t *testing.T) {
	p := cryptoerdtest.StandbyPair(t)
	primary, standby, both, primaryPort, standbyPort := p.Primary, p.Standby, p.Both, p.PrimaryPort, p.StandbyPort
	ctx := context.Background()

	t.Run("a read with the token sees the write on the standby", func(t *testing.T) {
		pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: primary, MaxSize: 2, Standby: both, ReplayTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		var previous cerd.LSN
		for i := 0; i < 50; i++ {
			symbol := fmt.Sprintf("GORYW%d", i)
			token := writeAsset(t, pool, symbol)
			if token <= previous {
				t.Fatalf("token %s after %s", token, previous)
			}
			previous = token
			r, err := pool.AcquireRead(ctx, &token)
			if err != nil {
				t.Fatal(err)
			}
			inRecovery, port := serverOf(t, r)
			if !inRecovery || port != standbyPort || !sees(t, r, symbol) {
				t.Fatalf("read %d: recovery %v port %d (standby %d), sees %v", i, inRecovery, port, standbyPort, sees(t, r, symbol))
			}
			r.Release()
		}
		st := pool.ReadPool().Stats()
		if st.ReplayFallbacks != 0 || st.ReplayTimeouts != 0 || st.InUse != 0 || pool.Stats().InUse != 0 {
			t.Errorf("stats %+v", st)
		}
		t.Logf("50 reads with the token: %d waited for the standby's replay", st.ReplayWaits)
	})

	t.Run("a paused standby times out or falls back", func(t *testing.T) {
		writes, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: primary, MaxSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer writes.Close()
		readsFB, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: both, MaxSize: 2, Target: cerd.TargetPreferStandby, Fallback: writes, ReplayTimeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer readsFB.Close()
		reads, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: both, MaxSize: 2, Target: cerd.TargetPreferStandby, ReplayTimeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer reads.Close()

		pauseReplay(t, standby, true)
		resumed := false
		defer func() {
			if !resumed {
				pauseReplay(t, standby, false)
			}
		}()
		token := writeAsset(t, writes, "GOPAUSED")
		// without a fallback: ErrTimeout after the bound
		t0 := time.Now()
		if _, err := reads.AcquireRead(ctx, &token); !errors.Is(err, cerd.ErrTimeout) || !strings.Contains(err.Error(), "replayed") {
			t.Fatalf("paused, no fallback: %v", err)
		}
		if waited := time.Since(t0); waited < 300*time.Millisecond {
			t.Errorf("waited %v", waited)
		}
		// a context deadline shorter than ReplayTimeout bounds the wait; one already past
		// fails at once
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = reads.AcquireRead(dctx, &token)
		cancel()
		if !errors.Is(err, cerd.ErrTimeout) {
			t.Errorf("deadline: %v", err)
		}
		pctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
		if _, err := reads.AcquireRead(pctx, &token); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("past deadline: %v", err)
		}
		if st := reads.Stats(); st.ReplayTimeouts != 2 || st.ReplayFallbacks != 0 || st.InUse != 0 {
			t.Errorf("reads stats %+v", st)
		}
		// with a fallback: a connection to the primary, which sees the write
		r, err := readsFB.AcquireRead(ctx, &token)
		if err != nil {
			t.Fatal(err)
		}
		if rec, port := serverOf(t, r); rec || port != primaryPort || !sees(t, r, "GOPAUSED") {
			t.Errorf("fallback on %d, recovery %v", port, rec)
		}
		r.Release()
		// acting as a user: a transaction with the user set
		r, err = readsFB.AcquireReadAs(ctx, 42, &token)
		if err != nil {
			t.Fatal(err)
		}
		if raw, err := r.QueryJSON(ctx, "SELECT current_setting('app.current_user_id') AS u"); err != nil || string(raw) != `[{"u":"42"}]` {
			t.Errorf("user: %s %v", raw, err)
		}
		r.Release()
		if st := readsFB.Stats(); st.ReplayFallbacks != 2 || st.ReplayTimeouts != 0 || st.InUse != 0 {
			t.Errorf("fallback stats %+v", st)
		}
		if st := writes.Stats(); st.InUse != 0 {
			t.Errorf("writes in use %d", st.InUse)
		}
		// no token: no condition, on the standby, which does not have the write
		r, err = reads.AcquireRead(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rec, _ := serverOf(t, r); !rec || sees(t, r, "GOPAUSED") {
			t.Errorf("no token: recovery %v", rec)
		}
		r.Release()

		pauseReplay(t, standby, false)
		resumed = true
		waitReplay(t, standby, token)
		for _, p := range []*cerd.Pool{reads, readsFB} {
			r, err = p.AcquireReadAs(ctx, 42, &token)
			if err != nil {
				t.Fatal(err)
			}
			if rec, _ := serverOf(t, r); !rec || !sees(t, r, "GOPAUSED") {
				t.Errorf("after resume: recovery %v", rec)
			}
			r.Release()
		}
	})
}
