package cryptoerd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	cerd "github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerdtest"
)

// schemaMigrations are the migration files of the source tree (schema/NNN_name.sql),
// which the library embeds.
func schemaMigrations(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../../schema/[0-9][0-9][0-9]_*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v %v", files, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".sql"))
	}
	return names
}

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestMigrationStatusListsEveryMigrationApplied(t *testing.T) {
	ctx := context.Background()
	want := schemaMigrations(t)
	if got := cerd.EmbeddedMigrations(); !reflect.DeepEqual(got, want) {
		t.Fatalf("EmbeddedMigrations %v, want the schema files %v", got, want)
	}
	c, _ := cryptoerdtest.Conn(t)
	ms, err := c.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(want) {
		t.Fatalf("%d migrations, want %d: %+v", len(ms), len(want), ms)
	}
	now := time.Now()
	for i, m := range ms {
		if m.Name != want[i] || !m.Embedded || !m.Applied || !hex16.MatchString(m.Checksum) || m.RecordedChecksum != m.Checksum ||
			m.State() != "applied" {
			t.Errorf("migration %d: %+v, want %s embedded, applied, checksums equal", i, m, want[i])
		}
		if m.AppliedAt.Location() != time.UTC || m.AppliedAt.Before(now.Add(-time.Hour)) || m.AppliedAt.After(now.Add(time.Minute)) {
			t.Errorf("%s applied at %v (now %v)", m.Name, m.AppliedAt, now)
		}
	}
	// an edited migration shows as a checksum difference, and Migrate refuses it
	if err := c.Exec(ctx, "UPDATE cerd_schema_migrations SET checksum = '0000000000000000' WHERE version = '002'"); err != nil {
		t.Fatal(err)
	}
	ms, err = c.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ms[1].Name != want[1] || ms[1].RecordedChecksum != "0000000000000000" || ms[1].Checksum == ms[1].RecordedChecksum ||
		ms[1].State() != "changed" || ms[0].State() != "applied" {
		t.Errorf("edited migration: %+v", ms[1])
	}
	if _, err := c.Migrate(ctx); !errors.Is(err, cerd.ErrMigration) {
		t.Errorf("migrate with a changed checksum: %v, want ErrMigration", err)
	}
}

// A database never migrated has every migration pending; after Migrate every one is
// applied.
func TestMigrationStatusPendingThenApplied(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("cerd_go_mig_%d", os.Getpid())
	admin, err := cerd.Open(ctx, cryptoerdtest.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	_ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
	if err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	c, err := cerd.Open(ctx, cryptoerdtest.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := schemaMigrations(t)
	ms, err := c.MigrationStatus(ctx)
	if err != nil || len(ms) != len(want) {
		t.Fatalf("status of an empty database: %d %v", len(ms), err)
	}
	for i, m := range ms {
		if m.Name != want[i] || !m.Embedded || m.Applied || m.RecordedChecksum != "" || !m.AppliedAt.IsZero() ||
			!hex16.MatchString(m.Checksum) || m.State() != "pending" {
			t.Errorf("pending migration %d: %+v", i, m)
		}
	}
	n, err := c.Migrate(ctx)
	if err != nil || n != len(want) {
		t.Fatalf("migrate: %d %v", n, err)
	}
	ms, err = c.MigrationStatus(ctx)
	if err != nil || len(ms) != len(want) {
		t.Fatalf("status after migrate: %d %v", len(ms), err)
	}
	for i, m := range ms {
		if !m.Applied || m.RecordedChecksum != m.Checksum || m.AppliedAt.IsZero() {
			t.Errorf("migration %d after migrate: %+v", i, m)
		}
	}
}
