package cryptoerd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestSentinelsMatchTheCLibrary(t *testing.T) {
	// Every code the C library names (its codes are dense and append-only) has its
	// sentinel, with the same name, and the binding has no other.
	names := cerd.SentinelNames()
	code := -1
	for ; cerd.CErrorName(code) != "CERD_EUNKNOWN"; code-- {
		if names[code] != cerd.CErrorName(code) {
			t.Errorf("code %d: Go %q, C %q", code, names[code], cerd.CErrorName(code))
		}
	}
	if len(names) != -code-1 {
		t.Errorf("the binding knows %d codes, the C library %d", len(names), -code-1)
	}
}

func constraintErr(t *testing.T, err error, sentinel error, sqlstate string) *cerd.ConstraintError {
	t.Helper()
	var ce *cerd.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, sentinel) {
		t.Fatalf("want %v as *ConstraintError, got %T %v", sentinel, err, err)
	}
	if ce.SQLState != sqlstate || ce.Table == "" {
		t.Errorf("SQLSTATE %q table %q constraint %q (want %s)", ce.SQLState, ce.Table, ce.Constraint, sqlstate)
	}
	return ce
}

func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	c, dsn := cryptoerdtest.Conn(t)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)

	// not found
	_, err := c.Assets().Get(ctx, 987654321)
	var e *cerd.Error
	if !errors.As(err, &e) || !errors.Is(err, cerd.ErrNotFound) {
		t.Fatalf("not found: %T %v", err, err)
	}
	// unique
	dup := cryptoerdtest.Make[cerd.Assets](t, c, 2, func(r *cerd.Assets) { r.Symbol = a.Symbol })
	_, err = c.Assets().Insert(ctx, dup)
	if ce := constraintErr(t, err, cerd.ErrUniqueViolation, "23505"); ce.Constraint != "assets_symbol_key" {
		t.Errorf("unique constraint %q", ce.Constraint)
	}
	// foreign key
	p := cryptoerdtest.Make[cerd.PriceData](t, c, 1, func(r *cerd.PriceData) { r.AssetID = 987654321 })
	_, err = c.PriceData().Insert(ctx, p)
	// the server names the partition the row went to; the error, the table written to
	if ce := constraintErr(t, err, cerd.ErrForeignKeyViolation, "23503"); ce.Table != "price_data" ||
		ce.Constraint != "price_data_asset_id_fkey" {
		t.Errorf("foreign key: table %q constraint %q", ce.Table, ce.Constraint)
	}
	// client-side validation: every violation, before any round trip
	bad, err := cerd.Make[cerd.Assets](ctx, c, 3, &cerd.FactoryOptions{Violate: "chk_data_quality"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Assets().Insert(ctx, bad)
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, cerd.ErrInvalid) || len(ve.Violations) != 1 ||
		ve.Violations[0].Constraint != "chk_data_quality" || ve.Violations[0].Kind != cerd.ViolationCheck {
		t.Fatalf("validation: %T %v %+v", err, err, ve)
	}
	if err := bad.Validate(); !errors.As(err, &ve) {
		t.Errorf("Validate: %v", err)
	}
	// the server's verdicts, validation off
	c.SetValidation(false)
	_, err = c.Assets().Insert(ctx, bad)
	if ce := constraintErr(t, err, cerd.ErrCheckViolation, "23514"); ce.Constraint != "chk_data_quality" {
		t.Errorf("check constraint %q", ce.Constraint)
	}
	// (a Go string cannot be NULL: a NOT NULL column without default is a plain string,
	// so the not-null violation comes from fixed SQL)
	err = c.Exec(ctx, "INSERT INTO assets (symbol) VALUES ('NN')")
	if ce := constraintErr(t, err, cerd.ErrNotNullViolation, "23502"); ce.Column == "" {
		t.Errorf("not null without a column")
	}
	c.SetValidation(true)
	// encoding (a NUL byte never reaches C), range
	enc := *a
	enc.Name = "a\x00b"
	if _, err := c.Assets().Update(ctx, &enc); !errors.Is(err, cerd.ErrEncoding) {
		t.Errorf("NUL: %v", err)
	}
	// misuse
	if _, err := c.Assets().BulkUpsert(ctx, "no_such_key", []cerd.Assets{*a}, false); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("misuse: %v", err)
	}
	// connect
	if _, err := cerd.Open(ctx, "host=127.0.0.1 port=1 connect_timeout=2"); !errors.Is(err, cerd.ErrConnect) {
		t.Errorf("connect: %v", err)
	}
	// connection lost: the backend is terminated under us
	other, err := cerd.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	pid, err := other.QueryJSON(ctx, "SELECT pg_backend_pid() AS pid")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Pid int }
	if err := jsonUnmarshal(pid, &rows); err != nil || len(rows) != 1 {
		t.Fatal(err)
	}
	if _, err := c.QueryJSON(ctx, "SELECT pg_terminate_backend($1::int)", itoa(rows[0].Pid)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := other.Assets().Count(ctx); !errors.Is(err, cerd.ErrConnLost) {
		t.Errorf("lost: %v", err)
	}
}

// A serialization failure on the first attempt is retried by Transact.
func TestTransactRetriesSerializationFailures(t *testing.T) {
	ctx := context.Background()
	dsn := cryptoerdtest.DB(t)
	pool, err := cerd.NewPool(ctx, cerd.PoolOptions{ConnInfo: dsn, MaxSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c, _ := pool.Acquire(ctx)
	a := cryptoerdtest.Create[cerd.Assets](t, c, 1, nil)
	c.Release()
	other, err := cerd.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	attempts := 0
	var first error
	err = pool.TransactWith(ctx, cerd.TxOptions{Isolation: cerd.Serializable}, func(tx *cerd.Tx) error {
		attempts++
		r, err := tx.Assets().Get(ctx, a.ID) // the snapshot
		if err != nil {
			return err
		}
		if attempts == 1 { // a concurrent committed update of the same row
			o := *r
			o.Name = "concurrent"
			if _, err := other.Assets().Update(ctx, &o); err != nil {
				return err
			}
		}
		r.Name = "mine"
		_, err = tx.Assets().Update(ctx, r)
		if attempts == 1 {
			first = err
		}
		return err
	})
	if err != nil || attempts != 2 || !errors.Is(first, cerd.ErrSerialization) {
		t.Fatalf("err %v, attempts %d, first %v", err, attempts, first)
	}
}

// Cancelling the context interrupts a running statement (PQcancel); a bounded watchdog
// fails the test when the call does not return within a second of the deadline.
func TestContextCancelInterruptsPgSleep(t *testing.T) {
	c, _ := cryptoerdtest.Conn(t)
	for _, how := range []string{"deadline", "cancel"} {
		var ctx context.Context
		var cancel context.CancelFunc
		if how == "deadline" {
			ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
		} else {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
		}
		done := make(chan error, 1)
		go func() {
			_, err := c.QueryJSON(ctx, "SELECT pg_sleep(60)")
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(1200 * time.Millisecond): // 200 ms to the cancel + 1 s
			t.Fatalf("%s: pg_sleep(60) not interrupted within 1 s of the cancel", how)
		}
		cancel()
		want := context.DeadlineExceeded
		if how == "cancel" {
			want = context.Canceled
		}
		if !errors.Is(err, cerd.ErrCanceled) || !errors.Is(err, want) {
			t.Errorf("%s: %v", how, err)
		}
		// the connection is usable afterwards
		if _, err := c.Assets().Count(context.Background()); err != nil {
			t.Fatalf("%s: after cancel: %v", how, err)
		}
	}
}
