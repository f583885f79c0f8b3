package cryptoerd

/*
#include <stdlib.h>
#include <cryptoerd/cryptoerd.h>
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// Migration is one schema migration as MigrationStatus reports it (cerd_migration_state).
// A Checksum different from a RecordedChecksum is what makes Migrate fail with
// ErrMigration.
type Migration struct {
	Name             string    // "002_users" (a recorded migration this library lacks: its version only)
	Embedded         bool      // compiled into this library
	Applied          bool      // recorded in the database's cerd_schema_migrations
	Checksum         string    // of the embedded text (16 hex digits), or "" when not embedded
	RecordedChecksum string    // recorded when it was applied, or ""
	AppliedAt        time.Time // when it was applied (UTC, seconds), or the zero time
}

// EmbeddedMigrations lists the migrations compiled into the library, in order
// ("001_foundation", ...): cerd_migration_count and cerd_migration_name.
func EmbeddedMigrations() []string {
	// cerd_migration_name's text is in a per-thread buffer, overwritten by the next call:
	// the thread stays the same until it is copied.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := int(C.cerd_migration_count())
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if p := C.cerd_migration_name(C.size_t(i)); p != nil {
			out = append(out, C.GoString(p))
		}
	}
	return out
}

// State is "applied"; "pending" (not applied yet); "changed" (applied from a different
// text: Migrate fails with ErrMigration); "unknown" (recorded in the database, not in this
// library) — as `cryptoerd migrate --status` prints it.
func (m Migration) State() string {
	switch {
	case !m.Embedded:
		return "unknown"
	case !m.Applied:
		return "pending"
	case m.Checksum != m.RecordedChecksum:
		return "changed"
	}
	return "applied"
}

// MigrationStatus lists every migration, embedded in the library or recorded in the
// database, in version order, with whether it is applied and both checksums
// (cerd_migration_status). It only reads: on a database never migrated every migration
// is pending.
func (c *Conn) MigrationStatus(ctx context.Context) ([]Migration, error) {
	var states *C.cerd_migration_state
	var n C.size_t
	err := c.call(ctx, nil, nil, func(conn *C.cerd_conn) C.int {
		return C.cerd_migration_status(&states, &n, conn)
	})
	defer C.free(unsafe.Pointer(states))
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, int(n))
	if n == 0 {
		return out, nil
	}
	for _, s := range unsafe.Slice(states, int(n)) {
		m := Migration{Name: C.GoString(&s.name[0]), Embedded: bool(s.embedded), Applied: bool(s.applied),
			Checksum: C.GoString(&s.checksum[0]), RecordedChecksum: C.GoString(&s.recorded_checksum[0])}
		if at := C.GoString(&s.applied_at[0]); at != "" {
			t, perr := time.Parse(time.RFC3339, at)
			if perr != nil {
				return nil, fmt.Errorf("cryptoerd: migration %s: applied_at %q: %w", m.Name, at, perr)
			}
			m.AppliedAt = t.UTC()
		}
		out = append(out, m)
	}
	return out, nil
}
