package pooltest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// Writes by pipelined batches committed with CommitLSN, each read back with its token on
// the standby, from 8 goroutines sharing one pool and its read pool (run with -race).
func TestReadYourWritesFromManyGoroutines(t *testing.T) {
	const workers, rounds = 8, 10
	ctx := context.Background()
	pair := cryptoerdtest.StandbyPair(t)
	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: pair.Primary, MaxSize: 4,
		Standby: pair.Both, ReplayTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	round := func(g, i int) error {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		b := tx.NewBatch()
		b.Atomic = true
		for k := 0; k < 2; k++ {
			b.Insert(&cerd.Assets{Symbol: fmt.Sprintf("R%d_%d_%d", g, i, k), Name: "race", AssetType: "crypto"})
		}
		if _, err := b.Run(ctx); err != nil {
			return err
		}
		token, err := tx.CommitLSN(ctx)
		if err != nil {
			return err
		}
		r, err := pool.AcquireRead(ctx, &token)
		if err != nil {
			return err
		}
		defer r.Release()
		for k := 0; k < 2; k++ {
			if _, err := r.Assets().GetBySymbol(ctx, fmt.Sprintf("R%d_%d_%d", g, i, k)); err != nil {
				return fmt.Errorf("read after token %s: %w", token, err)
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := round(g, i); err != nil {
					errs <- fmt.Errorf("goroutine %d round %d: %w", g, i, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := pool.ReadPool().Stats()
	if st.ReplayTimeouts != 0 || st.InUse != 0 || pool.Stats().InUse != 0 {
		t.Errorf("read pool %+v", st)
	}
	t.Logf("%d reads with a token: %d waited, %d fell back to the primary", workers*rounds, st.ReplayWaits, st.ReplayFallbacks)
}
