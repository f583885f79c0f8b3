package cryptoerd_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

var batchT0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func batchCandle(assetID int64, close string) cerd.PriceData {
	return cerd.PriceData{AssetID: assetID, Timeframe: "1h", CandleTime: batchT0,
		OpenPrice: cerd.MustDecimal("100.12345678"), HighPrice: cerd.MustDecimal("110"),
		LowPrice: cerd.MustDecimal("90.5"), ClosePrice: cerd.MustDecimal(close),
		Volume: cerd.Value(cerd.MustDecimal("12.25"))}
}

func asset(symbol, name string) *cerd.Assets {
	return &cerd.Assets{Symbol: symbol, Name: name, AssetType: "crypto"}
}

func mustInsert[T cerd.Row](t *testing.T, c *cerd.Conn, row *T) *T {
	t.Helper()
	out, err := cerd.Insert(context.Background(), c, row)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func symbols(t *testing.T, c *cerd.Conn) string {
	t.Helper()
	rows, err := c.Assets().ListAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, r := range rows {
		s = append(s, r.Symbol)
	}
	return strings.Join(s, ",")
}

func TestBatchMixedOperationsOnSeveralTables(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	old := mustInsert(t, c, asset("OLD", "Old name"))
	gone := cryptoerdtest.Create[cerd.Users](t, c, 7, func(u *cerd.Users) { u.DeletedAt, u.DeletedBy = cerd.Null[time.Time]{}, cerd.Null[int64]{} })
	first := batchCandle(old.ID, "101.5")
	mustInsert(t, c, &first)
	user, err := cerd.Make[cerd.Users](ctx, c, 8, nil)
	if err != nil {
		t.Fatal(err)
	}

	b := c.NewBatch()
	newAsset := asset("NEW", "New coin")
	newAsset.CurrentPrice = cerd.Value(cerd.MustDecimal("0.00012345"))
	iIns := b.Insert(newAsset)
	iUser := b.Insert(*user) // a value works too
	iUpd := cerd.BatchUpdateColumns(b, &cerd.Assets{ID: old.ID, Symbol: "OLD", Name: "Renamed", AssetType: "crypto"}, cerd.AssetsColName)
	up := batchCandle(old.ID, "105.25")
	iUps := b.UpsertBy("unique_asset_timeframe_candle", &up)
	up.ClosePrice = cerd.MustDecimal("1") // queued as a copy: this does not reach the batch
	iGet := b.GetBy("assets_symbol_key", &cerd.Assets{Symbol: "OLD"})
	iDel := b.Delete(&cerd.Users{ID: gone.ID})
	iMiss := b.Get(&cerd.Assets{ID: 999999})
	if b.Len() != 7 || iMiss != 6 {
		t.Fatalf("len %d, index %d", b.Len(), iMiss)
	}
	res, err := b.Run(ctx)
	if !errors.Is(err, cerd.ErrNotFound) || len(res) != 7 {
		t.Fatalf("run: %v (%d results), want the missing get's ErrNotFound", err, len(res))
	}
	wantOps := []string{"insert", "insert", "update", "upsert", "get", "delete", "get"}
	wantTables := []string{"assets", "users", "assets", "price_data", "assets", "users", "assets"}
	for i, r := range res {
		if r.Op != wantOps[i] || r.Table != wantTables[i] {
			t.Errorf("result %d: %s %s, want %s %s", i, r.Op, r.Table, wantOps[i], wantTables[i])
		}
	}
	// insert: the stored row, identity and defaults filled in
	a, err := cerd.BatchRow[cerd.Assets](res, iIns)
	if err != nil || res[iIns].Affected != 1 || !res[iIns].OK() {
		t.Fatalf("insert: %v %+v", err, res[iIns])
	}
	if a.ID <= old.ID || a.Symbol != "NEW" || a.Name != "New coin" || a.AssetType != "crypto" ||
		a.CurrentPrice.Value.String() != "0.00012345" || !a.IsActive.Valid || !a.IsActive.Value || !a.CreatedAt.Valid {
		t.Errorf("inserted asset: %+v", a)
	}
	u, err := cerd.BatchRow[cerd.Users](res, iUser)
	if err != nil || u.ID == 0 || u.Email != user.Email {
		t.Errorf("inserted user: %v %+v", err, u)
	}
	// update of one column: the others keep their values
	ua, err := cerd.BatchRow[cerd.Assets](res, iUpd)
	if err != nil || ua.ID != old.ID || ua.Name != "Renamed" || ua.Symbol != "OLD" || !ua.CreatedAt.Value.Equal(old.CreatedAt.Value) {
		t.Errorf("updated asset: %v %+v", err, ua)
	}
	// upsert on the candle key: the existing candle, updated, with the queued values
	pc, err := cerd.BatchRow[cerd.PriceData](res, iUps)
	if err != nil || pc.AssetID != old.ID || pc.Timeframe != "1h" || !pc.CandleTime.Equal(batchT0) ||
		pc.ClosePrice.String() != "105.25000000" || pc.OpenPrice.String() != "100.12345678" || res[iUps].Affected != 1 {
		t.Errorf("upserted candle: %v %+v", err, pc)
	}
	// get by unique key, after the update in the same pipeline
	g, err := cerd.BatchRow[cerd.Assets](res, iGet)
	if err != nil || g.ID != old.ID || g.Name != "Renamed" {
		t.Errorf("get: %v %+v", err, g)
	}
	// delete: no row, one affected
	if d, err := cerd.BatchRow[cerd.Users](res, iDel); err != nil || d != nil || res[iDel].Affected != 1 {
		t.Errorf("delete: %v %v %+v", err, d, res[iDel])
	}
	// the missing get: its error, typed like any other call's
	m := res[iMiss]
	var ce *cerd.Error
	if !errors.Is(m.Err, cerd.ErrNotFound) || !errors.As(m.Err, &ce) || m.Row != nil || m.Affected != 0 ||
		ce.Name != "CERD_ENOTFOUND" || !strings.Contains(ce.Message, "batch operation 6") {
		t.Errorf("missing get: %+v", m)
	}
	if res.FirstErr() != m.Err {
		t.Errorf("FirstErr %v", res.FirstErr())
	}
	if _, err := cerd.BatchRow[cerd.Users](res, iIns); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("BatchRow of the wrong table: %v", err)
	}
	if _, err := cerd.BatchRow[cerd.Users](res, 7); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("BatchRow out of range: %v", err)
	}

	// the database agrees
	if got, err := c.Assets().GetBySymbol(ctx, "NEW"); err != nil || got.ID != a.ID {
		t.Errorf("NEW: %v", err)
	}
	if got, err := c.PriceData().GetByCandle(ctx, old.ID, "1h", batchT0); err != nil || got.ClosePrice.String() != "105.25000000" {
		t.Errorf("candle: %v %+v", err, got)
	}
	if _, err := c.Users().Get(ctx, gone.ID); !errors.Is(err, cerd.ErrNotFound) {
		t.Errorf("deleted user: %v", err)
	}
	if _, err := c.Users().GetAny(ctx, gone.ID); err != nil {
		t.Errorf("soft-deleted user: %v", err)
	}
	if _, err := b.Run(ctx); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("second run: %v", err)
	}
}

func TestBatchUniqueViolationFailsItsItemOnly(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	mustInsert(t, c, asset("DUP", "First"))
	b := c.NewBatch()
	b.Insert(asset("U1", "One"))
	b.Insert(asset("DUP", "Again"))
	b.Insert(asset("U3", "Three"))
	res, err := b.Run(ctx)
	var ce *cerd.ConstraintError
	if !errors.Is(err, cerd.ErrUniqueViolation) || !errors.As(err, &ce) {
		t.Fatalf("run: %v", err)
	}
	if ce.SQLState != "23505" || ce.Constraint != "assets_symbol_key" || ce.Table != "assets" ||
		ce.Name != "CERD_EUNIQUE" || !strings.Contains(ce.Message, "batch operation 1 (insert assets)") ||
		!strings.Contains(ce.Detail, "DUP") {
		t.Errorf("error: %+v", ce.ErrorInfo)
	}
	if !res[0].OK() || !res[2].OK() || res[1].Err != err || res[1].Row != nil || res[1].RolledBack {
		t.Errorf("results: %+v", res)
	}
	if s := symbols(t, c); s != "DUP,U1,U3" {
		t.Errorf("assets %s", s)
	}
}

func TestBatchAtomicIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	mustInsert(t, c, asset("DUP", "First"))
	b := c.NewBatch()
	b.Atomic = true
	b.Insert(asset("A1", "One"))
	b.Insert(asset("DUP", "Again"))
	b.Insert(asset("A3", "Three"))
	res, err := b.Run(ctx)
	if !errors.Is(err, cerd.ErrUniqueViolation) || len(res) != 3 {
		t.Fatalf("run: %v", err)
	}
	// the first ran and was rolled back, the second failed, the third was not run
	if res[0].Err != nil || !res[0].RolledBack || res[0].OK() || res[0].Row == nil {
		t.Errorf("first: %+v", res[0])
	}
	if !errors.Is(res[1].Err, cerd.ErrUniqueViolation) || res[1].RolledBack {
		t.Errorf("second: %+v", res[1])
	}
	if !errors.Is(res[2].Err, cerd.ErrServer) || !strings.Contains(res[2].Err.Error(), "not run") {
		t.Errorf("third: %+v", res[2])
	}
	if s := symbols(t, c); s != "DUP" {
		t.Errorf("assets %s", s)
	}
	ok := c.NewBatch()
	ok.Atomic = true
	ok.Insert(asset("A4", "Four"))
	ok.Insert(asset("A5", "Five"))
	if res, err := ok.Run(ctx); err != nil || !res[0].OK() || !res[1].OK() {
		t.Fatalf("atomic: %v %+v", err, res)
	}
	if s := symbols(t, c); s != "DUP,A4,A5" {
		t.Errorf("assets %s", s)
	}
}

func TestBatchInvalidRowAndCallerTransaction(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	a := mustInsert(t, c, asset("CANDLE", "Candles"))
	bad := batchCandle(a.ID, "101.5")
	bad.HighPrice = cerd.MustDecimal("1") // below the low: chk_ohlc_logic
	b := c.NewBatch()
	b.Insert(&bad)
	b.Insert(ptr(batchCandle(a.ID, "101.5")))
	res, err := b.Run(ctx)
	var ve *cerd.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, cerd.ErrInvalid) || ve.Table != "price_data" {
		t.Fatalf("run: %v", err)
	}
	found := false
	for _, v := range ve.Violations {
		found = found || v.Constraint == "chk_ohlc_logic"
	}
	if !found || !res[1].OK() {
		t.Errorf("violations %+v, second %+v", ve.Violations, res[1])
	}
	if n, _ := c.PriceData().Count(ctx); n != 1 {
		t.Errorf("%d candles", n)
	}

	// in the caller's transaction, a failure aborts it: the later operations fail too
	mustInsert(t, c, asset("DUP", "First"))
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b = tx.NewBatch()
	b.Insert(asset("T1", "One"))
	b.Insert(asset("DUP", "Again"))
	b.Insert(asset("T3", "Three"))
	res, err = b.Run(ctx)
	_ = tx.Rollback(ctx)
	var e3 *cerd.Error
	if !errors.Is(err, cerd.ErrUniqueViolation) || !res[0].OK() || !errors.As(res[2].Err, &e3) ||
		!errors.Is(res[2].Err, cerd.ErrServer) || e3.SQLState != "25P02" {
		t.Fatalf("in a transaction: %v %+v", err, res)
	}
	if s := symbols(t, c); s != "CANDLE,DUP" {
		t.Errorf("assets %s", s)
	}

	// queueing errors come back from Run, before anything is sent
	b = c.NewBatch()
	if i := b.UpsertBy("no_such_key", asset("X", "x")); i != -1 {
		t.Errorf("index %d", i)
	}
	b.Insert(asset("NOTSENT", "x"))
	if _, err := b.Run(ctx); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("queue error: %v", err)
	}
	b = c.NewBatch()
	b.UpdateColumns(asset("X", "x"), "no_column")
	if _, err := b.Run(ctx); !errors.Is(err, cerd.ErrMisuse) {
		t.Errorf("unknown column: %v", err)
	}
	if _, err := c.Assets().GetBySymbol(ctx, "NOTSENT"); !errors.Is(err, cerd.ErrNotFound) {
		t.Errorf("NOTSENT: %v", err)
	}
	if res, err := c.NewBatch().Run(ctx); err != nil || len(res) != 0 {
		t.Errorf("empty batch: %v %v", res, err)
	}
}

func ptr[T any](v T) *T { return &v }
