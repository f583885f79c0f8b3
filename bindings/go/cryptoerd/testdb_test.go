package cryptoerd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// adminDSN is the maintenance database the templates are made from.
func adminDSN() string { return cryptoerdtest.DSN("postgres") }

// queryInt runs a query of one row with an integer column n.
func queryInt(t *testing.T, c *cerd.Conn, sql string, params ...string) int64 {
	t.Helper()
	raw, err := c.QueryJSON(context.Background(), sql, params...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var rows []struct{ N int64 }
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("%s: %s %v", sql, raw, err)
	}
	return rows[0].N
}

// dbExists tells whether the server has database name (pg_database, read through the
// binding's query API on the maintenance database).
func dbExists(t *testing.T, name string) bool {
	t.Helper()
	a, err := cerd.Open(context.Background(), adminDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	return queryInt(t, a, "SELECT count(*)::int AS n FROM pg_database WHERE datname = $1", name) == 1
}

func countRows(t *testing.T, c *cerd.Conn, table string) int64 {
	t.Helper()
	return queryInt(t, c, "SELECT count(*)::int AS n FROM "+table)
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func open(t *testing.T, dsn string) *cerd.Conn {
	t.Helper()
	c, err := cerd.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A fixture that does not collide with the demo scenario's unique values.
const templateFixture = `{
  "users": [{"$id": "alice", "email": "tpl-alice@example.com"}],
  "assets": [{"$id": "zzz", "symbol": "ZZZ", "name": "Zed"}],
  "portfolios": [{"$id": "main", "user_id": "@users.alice"}]
}`

func TestTemplateWithFixtureAndSeedClonesIndependently(t *testing.T) {
	ctx := context.Background()
	path := writeFile(t, t.TempDir(), "base.json", templateFixture)
	name := fmt.Sprintf("cerd_go_tt_%d", os.Getpid())
	var calls, lastDone, lastTotal int64
	tpl, err := cerd.CreateTemplate(ctx, adminDSN(), name, &cerd.TemplateOptions{
		FixturePath: path, FixtureSeed: 3,
		Seed: &cerd.SeedOptions{Preset: "demo", Scale: 1, Seed: 7,
			Progress: func(done, total int64) { calls++; lastDone, lastTotal = done, total }},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tpl.Drop() })
	if tpl.Name() != name {
		t.Fatalf("template name %q, want %q", tpl.Name(), name)
	}
	if !dbExists(t, name) {
		t.Fatalf("template %s not in pg_database", name)
	}
	if calls == 0 || lastDone != lastTotal || lastTotal <= 0 {
		t.Fatalf("seed progress: %d calls, last %d of %d", calls, lastDone, lastTotal)
	}

	a, err := tpl.Clone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tpl.Clone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Drop(); _ = b.Drop() })
	if a.Name() == b.Name() || !strings.HasPrefix(a.Name(), name+"_") || !dbExists(t, a.Name()) || !dbExists(t, b.Name()) {
		t.Fatalf("clones %q and %q of %q", a.Name(), b.Name(), name)
	}
	ca, cb := open(t, a.DSN()), open(t, b.DSN())
	for _, c := range []*cerd.Conn{ca, cb} {
		// the fixture's rows and the demo scenario's (10 assets and 5 users at scale 1)
		if _, err := c.Users().GetByEmail(ctx, "tpl-alice@example.com"); err != nil {
			t.Fatalf("fixture user in clone: %v", err)
		}
		if n := countRows(t, c, "assets"); n != 11 {
			t.Fatalf("assets in clone: %d, want 10 seeded + 1 fixture", n)
		}
		if n := queryInt(t, c, "SELECT count(*)::int AS n FROM users WHERE email LIKE 'trader%@example.com'"); n != 5 {
			t.Fatalf("seeded users in clone: %d, want 5", n)
		}
		if n := countRows(t, c, "price_data"); n != 10*90*24 {
			t.Fatalf("candles in clone: %d, want %d", n, 10*90*24)
		}
	}

	// A write to one clone is not seen by the other.
	cryptoerdtest.Create[cerd.Assets](t, ca, 1, func(r *cerd.Assets) { r.Symbol = "ONLYA" })
	if n := countRows(t, ca, "assets"); n != 12 {
		t.Fatalf("assets in clone a after an insert: %d", n)
	}
	if n := countRows(t, cb, "assets"); n != 11 {
		t.Fatalf("assets in clone b after an insert into a: %d", n)
	}
	if _, err := cb.Assets().GetBySymbol(ctx, "ONLYA"); !errors.Is(err, cerd.ErrNotFound) {
		t.Fatalf("clone b sees clone a's row: %v", err)
	}

	// Drop removes the database (its sessions forced off) and only it.
	if err := a.Drop(); err != nil {
		t.Fatal(err)
	}
	if dbExists(t, a.Name()) {
		t.Fatalf("%s still in pg_database after Drop", a.Name())
	}
	if !dbExists(t, b.Name()) {
		t.Fatalf("dropping %s dropped %s", a.Name(), b.Name())
	}
	if err := a.Drop(); err != nil {
		t.Fatalf("second Drop: %v", err)
	}
	if _, err := ca.Assets().Count(ctx); err == nil {
		t.Fatal("a session of the dropped clone still works")
	}
	if err := tpl.Drop(); err != nil {
		t.Fatal(err)
	}
	if dbExists(t, name) {
		t.Fatalf("template %s still in pg_database after Drop", name)
	}
	if _, err := tpl.Clone(ctx); err == nil {
		t.Fatal("Clone after Drop succeeded")
	}
}

func TestTemplateCloseKeepsDatabase(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("cerd_go_tk_%d", os.Getpid())
	tpl, err := cerd.CreateTemplate(ctx, adminDSN(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	tpl.Close()
	tpl.Close() // twice: nothing
	if !dbExists(t, name) {
		t.Fatalf("Close dropped %s", name)
	}
	if _, err := tpl.Clone(ctx); err == nil {
		t.Fatal("Clone after Close succeeded")
	}
	if err := tpl.Drop(); err != nil || !dbExists(t, name) {
		t.Fatalf("Drop after Close: %v (it must not touch the database)", err)
	}
	// A template of the same name replaces it; Drop then removes it.
	again, err := cerd.CreateTemplate(ctx, adminDSN(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Drop(); err != nil {
		t.Fatal(err)
	}
	if dbExists(t, name) {
		t.Fatalf("%s still there", name)
	}

	// No name: a unique one.
	u, err := cerd.CreateTemplate(ctx, adminDSN(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.Name(), "cerd_tpl_") || !dbExists(t, u.Name()) {
		t.Fatalf("unnamed template %q", u.Name())
	}
	if err := u.Drop(); err != nil || dbExists(t, u.Name()) {
		t.Fatalf("drop %s: %v", u.Name(), err)
	}
}

func TestTemplateErrors(t *testing.T) {
	ctx := context.Background()
	_, err := cerd.CreateTemplate(ctx, adminDSN(), "Bad-Name", nil)
	var e *cerd.Error
	if !errors.As(err, &e) || e.Code != -12 || e.Name != "CERD_EMISUSE" ||
		!errors.Is(err, cerd.ErrMisuse) || !strings.Contains(e.Message, "Bad-Name") {
		t.Fatalf("bad template name: %#v", err)
	}
	if dbExists(t, "Bad-Name") {
		t.Fatal("a database of the bad name exists")
	}

	// A fixture set refused after the database was made: the half-made one is dropped.
	name := fmt.Sprintf("cerd_go_tbad_%d", os.Getpid())
	bad := writeFile(t, t.TempDir(), "bad.json",
		strings.Replace(templateFixture, "@users.alice", "@users.nobody", 1))
	_, err = cerd.CreateTemplate(ctx, adminDSN(), name, &cerd.TemplateOptions{FixturePath: bad})
	if !errors.Is(err, cerd.ErrInvalid) || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("unresolved reference: %v", err)
	}
	if dbExists(t, name) {
		t.Fatalf("half-made template %s left behind", name)
	}
	_, err = cerd.CreateTemplate(ctx, adminDSN(), name, &cerd.TemplateOptions{FixturePath: "/nonexistent/fixture.json"})
	if !errors.As(err, &e) || !strings.Contains(e.Message, "/nonexistent/fixture.json") {
		t.Fatalf("missing fixture file: %v", err)
	}
	_, err = cerd.CreateTemplate(ctx, adminDSN(), name, &cerd.TemplateOptions{Seed: &cerd.SeedOptions{Preset: "nope"}})
	if !errors.Is(err, cerd.ErrMisuse) || !strings.Contains(err.Error(), "nope") || dbExists(t, name) {
		t.Fatalf("unknown preset: %v", err)
	}
	_, err = cerd.CreateTemplate(ctx, "host=/nonexistent-socket-dir", name, nil)
	if !errors.Is(err, cerd.ErrConnect) {
		t.Fatalf("no server: %v", err)
	}

	// A context that has ended: nothing is started.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cerd.CreateTemplate(cctx, adminDSN(), name, nil); !errors.Is(err, context.Canceled) || dbExists(t, name) {
		t.Fatalf("canceled context: %v", err)
	}
	tpl, err := cerd.CreateTemplate(ctx, adminDSN(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tpl.Drop()
	if _, err := tpl.Clone(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("clone with a canceled context: %v", err)
	}
}

// dumpRows counts the rows of a fixture text, per table and in all.
func dumpRows(t *testing.T, text []byte) (map[string]int, int64) {
	t.Helper()
	var m map[string][]json.RawMessage
	if err := json.Unmarshal(text, &m); err != nil {
		t.Fatalf("dump is not a fixture file: %v\n%.400s", err, text)
	}
	per, all := map[string]int{}, int64(0)
	for k, v := range m {
		per[k] = len(v)
		all += int64(len(v))
	}
	return per, all
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	ps := cerd.SeedPresets()
	if len(ps) == 0 || ps[0].Name != "demo" || ps[0].Description == "" {
		t.Fatalf("presets: %+v", ps)
	}

	c1, _ := cryptoerdtest.Conn(t)
	c2, _ := cryptoerdtest.Conn(t)
	c3, _ := cryptoerdtest.Conn(t)
	before, err := c1.DumpFixturesText(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, base := dumpRows(t, before)

	n1, err := c1.Seed(ctx, cerd.SeedOptions{Preset: "demo", Scale: 1, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	n2, err := c2.Seed(ctx, cerd.SeedOptions{Seed: 42}) // "" and 0: demo, scale 1
	if err != nil {
		t.Fatal(err)
	}
	n3, err := c3.Seed(ctx, cerd.SeedOptions{Preset: "demo", Scale: 1, Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	d1, err := c1.DumpFixturesText(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	per, all := dumpRows(t, d1)
	// The count is every row written (audit_log, written by triggers, is not dumped).
	if n1 <= 0 || n1 != all-base || per["price_data"] != 10*90*24 || per["users"] != 5 {
		t.Fatalf("seed wrote %d rows; the dump has %d more than before (%v)", n1, all-base, per)
	}
	if n2 != n1 || n3 != n1 {
		t.Fatalf("rows written: %d, %d, %d: the size depends on the scale only", n1, n2, n3)
	}
	d2, err := c2.DumpFixturesText(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(d1) != string(d2) {
		t.Fatal("the same seed gave different rows")
	}
	d3, err := c3.DumpFixturesText(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(d1) == string(d3) {
		t.Fatal("seeds 42 and 43 gave the same rows")
	}

	// Seeding again refuses the duplicate values, all or nothing.
	if _, err := c1.Seed(ctx, cerd.SeedOptions{Seed: 42}); err == nil {
		t.Fatal("seeding twice succeeded")
	}
	if n := countRows(t, c1, "price_data"); n != 10*90*24 {
		t.Fatalf("a refused seed left rows: %d candles", n)
	}
	var e *cerd.Error
	if _, err := c1.Seed(ctx, cerd.SeedOptions{Preset: "nope"}); !errors.As(err, &e) || !errors.Is(err, cerd.ErrMisuse) || !strings.Contains(e.Message, "nope") {
		t.Fatalf("unknown preset: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c1.Seed(cctx, cerd.SeedOptions{Seed: 9}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

const dumpFixture = `{
  "users": [{"$id": "alice", "email": "dump-alice@example.com"},
            {"$id": "bob", "email": "dump-bob@example.com"}],
  "assets": [{"$id": "btc", "symbol": "BTC", "name": "Bitcoin"},
             {"$id": "eth", "symbol": "ETH", "name": "Ethereum"}],
  "portfolios": [{"$id": "main", "user_id": "@users.alice"},
                 {"$id": "other", "user_id": "@users.bob"}],
  "portfolio_assets": [{"portfolio_id": "@portfolios.main", "asset_id": "@btc",
    "added_by": "@users.alice", "last_modified_by": "@users.alice", "quantity": "1.50000001"},
    {"portfolio_id": "@portfolios.other", "asset_id": "@eth",
    "added_by": "@users.bob", "last_modified_by": "@users.bob", "quantity": "2"}]
}`

func TestDumpFixturesRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ca, _ := cryptoerdtest.Conn(t)
	cryptoerdtest.LoadFixtures(t, ca, writeFile(t, dir, "set.json", dumpFixture))
	cryptoerdtest.Create[cerd.Notifications](t, ca, 5, nil) // with its parents, made by the factories

	path := filepath.Join(dir, "dump.json")
	var tables int64
	if err := ca.DumpFixtures(ctx, path, &cerd.DumpOptions{Progress: func(done, total int64) { tables = total }}); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	per, all := dumpRows(t, text)
	if per["users"] < 3 || per["portfolio_assets"] != 2 || per["notifications"] != 1 || tables < 10 {
		t.Fatalf("dump: %v, %d tables read", per, tables)
	}
	if !strings.Contains(string(text), `"@users.users_`) {
		t.Fatalf("the dump has no references between rows:\n%.600s", text)
	}

	// Into a fresh clone: the same rows, and dumping again gives the same bytes.
	cb, _ := cryptoerdtest.Conn(t)
	if n := cryptoerdtest.LoadFixtures(t, cb, path); n != all {
		t.Fatalf("loaded %d rows of a dump of %d", n, all)
	}
	again, err := cb.DumpFixturesText(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(text) {
		t.Fatalf("dump -> load -> dump differs:\n%s\n----\n%s", text, again)
	}
	alice, err := cb.Users().GetByEmail(ctx, "dump-alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	pos, err := cb.PortfolioAssets().ListAll(ctx)
	if err != nil || len(pos) != 2 {
		t.Fatalf("positions: %+v %v", pos, err)
	}
	var found bool
	for _, p := range pos {
		if p.UserID == alice.ID && p.Quantity.Valid && p.Quantity.Value.String() == "1.50000001" {
			found = true
		}
	}
	if !found {
		t.Fatalf("alice's position not round-tripped: %+v", pos)
	}

	// Tables: only those.
	only, err := ca.DumpFixturesText(ctx, &cerd.DumpOptions{Tables: []string{"assets"}})
	if err != nil {
		t.Fatal(err)
	}
	if per, _ := dumpRows(t, only); len(per) != 1 || int64(per["assets"]) != countRows(t, ca, "assets") {
		t.Fatalf("assets only: %v", per)
	}

	// Roots: alice's portfolio and what it reaches, not bob's.
	main, err := ca.Users().GetByEmail(ctx, "dump-alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := ca.Portfolios().ListByUserID(ctx, main.ID, cerd.Page{})
	if err != nil || len(ps) != 1 {
		t.Fatalf("alice's portfolios: %v %v", ps, err)
	}
	sub, err := ca.DumpFixturesText(ctx, &cerd.DumpOptions{Roots: []cerd.FixtureRoot{{Table: "portfolios", ID: ps[0].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(sub); !strings.Contains(s, "dump-alice@example.com") || strings.Contains(s, "dump-bob@example.com") ||
		!strings.Contains(s, `"BTC"`) || strings.Contains(s, `"ETH"`) {
		t.Fatalf("dump from alice's portfolio:\n%s", s)
	}

	var e *cerd.Error
	if _, err := ca.DumpFixturesText(ctx, &cerd.DumpOptions{Tables: []string{"no_such_table"}}); !errors.As(err, &e) ||
		!errors.Is(err, cerd.ErrMisuse) || !strings.Contains(e.Message, "no_such_table") {
		t.Fatalf("unknown table: %v", err)
	}
	if err := ca.DumpFixtures(ctx, path, &cerd.DumpOptions{Roots: []cerd.FixtureRoot{{Table: "users", ID: 1 << 40}}}); !errors.Is(err, cerd.ErrMisuse) {
		t.Fatalf("missing root: %v", err)
	}
}

// cryptoerdtest.DB drops its clone when the test ends.
func TestCryptoerdtestDBDropsItsClone(t *testing.T) {
	var dsn string
	t.Run("inner", func(t *testing.T) {
		dsn = cryptoerdtest.DB(t)
		c := open(t, dsn)
		if n := queryInt(t, c, "SELECT count(*)::int AS n FROM cerd_schema_migrations"); n == 0 {
			t.Fatal("the clone is not migrated")
		}
	})
	i := strings.Index(dsn, "dbname='")
	if i < 0 {
		t.Fatalf("no dbname in %q", dsn)
	}
	name := strings.TrimSuffix(dsn[i+len("dbname='"):], "'")
	if name == "" || dbExists(t, name) {
		t.Fatalf("clone %q still exists after its test", name)
	}
}

// A panic of a progress function must not unwind through the C library: it comes back
// on the caller's goroutine once the C call has returned, with its own value.
func TestProgressPanicIsRaisedAfterTheCall(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	calls := 0
	got := func() (v any) {
		defer func() { v = recover() }()
		_, _ = c.DumpFixturesText(ctx, &cerd.DumpOptions{Progress: func(done, total int64) {
			calls++
			panic("progress refused")
		}})
		return nil
	}()
	if got != "progress refused" {
		t.Fatalf("recovered %v, want the progress function's panic", got)
	}
	if calls != 1 {
		t.Fatalf("progress called %d times after its panic, want 1", calls)
	}
	// the connection is still usable
	if _, err := c.DumpFixturesText(ctx, &cerd.DumpOptions{Tables: []string{"assets"}}); err != nil {
		t.Fatal(err)
	}
}
