package cryptoerd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

const fixtureSet = `{
  "users": [{"$id": "alice", "email": "alice@example.com"}],
  "assets": [{"$id": "btc", "symbol": "BTC", "name": "Bitcoin"}],
  "portfolios": [{"$id": "main", "user_id": "@users.alice"}],
  "portfolio_assets": [{"portfolio_id": "@portfolios.main", "asset_id": "@btc",
    "added_by": "@users.alice", "last_modified_by": "@users.alice", "quantity": "1.50000001"}]
}`

func TestLoadFixtures(t *testing.T) {
	ctx := context.Background()
	c, _ := cryptoerdtest.Conn(t)
	if _, err := c.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "set.json")
	if err := os.WriteFile(good, []byte(fixtureSet), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := cryptoerdtest.LoadFixtures(t, c, good); n != 4 {
		t.Fatalf("rows written: %d, want 4", n)
	}
	alice, err := c.Users().GetByEmail(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	pos, err := c.PortfolioAssets().ListAll(ctx)
	if err != nil || len(pos) != 1 || pos[0].UserID != alice.ID ||
		!pos[0].Quantity.Valid || pos[0].Quantity.Value.String() != "1.50000001" {
		t.Fatalf("position: %+v %v", pos, err)
	}

	// A set with an unresolved reference is refused whole, naming the reference.
	bad := filepath.Join(dir, "bad.json")
	text := strings.Replace(fixtureSet, `"user_id": "@users.alice"`, `"user_id": "@users.nobody"`, 1)
	text = strings.Replace(text, "alice@example.com", "carol@example.com", 1)
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := c.Users().Count(ctx)
	if _, err := c.LoadFixtures(ctx, 0, false, bad); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("bad set: %v", err)
	}
	if after, _ := c.Users().Count(ctx); after != before {
		t.Fatalf("users %d -> %d: the refused set wrote rows", before, after)
	}
}
