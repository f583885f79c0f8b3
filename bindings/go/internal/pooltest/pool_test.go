// Package pooltest runs the pool with row-level-security users from 16 goroutines; run it
// with -race (scripts/test.sh does).
package pooltest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func TestMain(m *testing.M) { cryptoerdtest.Main(m) }

const (
	goroutines = 16
	rounds     = 60
	users      = 4
	perUser    = 3
)

func TestPoolRLSFromManyGoroutines(t *testing.T) {
	ctx := context.Background()
	admin, dsn := cryptoerdtest.Conn(t)
	role := fmt.Sprintf("cerd_go_rls_%d", os.Getpid())
	_ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	if err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'rls-test' IN ROLE cryptoerd_app"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := cerd.Open(ctx, cryptoerdtest.DSN("postgres")); err == nil {
			_ = a.Exec(ctx, "DROP ROLE IF EXISTS "+role)
			a.Close()
		}
	})
	var ids [users]int64
	for u := 0; u < users; u++ { // as the superuser, who bypasses RLS
		usr := cryptoerdtest.Create[cerd.Users](t, admin, uint64(100+u), nil)
		ids[u] = usr.ID
		for p := 0; p < perUser; p++ {
			cryptoerdtest.Create[cerd.Portfolios](t, admin, uint64(1000+u*10+p), func(r *cerd.Portfolios) { r.UserID = usr.ID })
		}
	}
	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn + " user=" + role + " password=rls-test", MaxSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				u := (g + i) % users
				other := (u + 1) % users
				err := pool.TransactAs(ctx, ids[u], func(tx *cerd.Tx) error {
					rows, _, err := tx.Portfolios().List(ctx, cerd.Page{})
					if err != nil {
						return err
					}
					if len(rows) != perUser {
						return fmt.Errorf("user %d sees %d portfolios", ids[u], len(rows))
					}
					for _, r := range rows {
						if r.UserID != ids[u] {
							return fmt.Errorf("user %d sees a portfolio of user %d", ids[u], r.UserID)
						}
					}
					n, err := tx.Portfolios().Count(ctx)
					if err == nil && n != perUser {
						err = fmt.Errorf("count %d", n)
					}
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("goroutine %d round %d: %w", g, i, err)
					return
				}
				if i%10 == 0 { // writing for another user is refused by RLS
					c, err := pool.AcquireAs(ctx, ids[u])
					if err != nil {
						errs <- err
						return
					}
					p := cerd.Portfolios{UserID: ids[other]}
					_, err = c.Portfolios().Insert(ctx, &p)
					c.Release()
					var e *cerd.Error
					if !errors.Is(err, cerd.ErrPrivilege) || !errors.As(err, &e) || e.SQLState != "42501" {
						errs <- fmt.Errorf("insert for another user: %v", err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := admin.Portfolios().Count(ctx); err != nil || n != users*perUser {
		t.Errorf("portfolios after the run: %d %v", n, err)
	}
	if s := pool.Stats(); s.Acquires < goroutines*rounds {
		t.Errorf("pool stats: %+v", s)
	}
}
