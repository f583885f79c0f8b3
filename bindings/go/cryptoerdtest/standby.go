package cryptoerdtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cryptoerd/libcryptoerd/bindings/go/cryptoerd"
)

// Pair is a PostgreSQL primary and a streaming standby of a test's own (StandbyPair).
type Pair struct {
	Primary, Standby         string // connection strings of each server
	Both                     string // both hosts, primary first: for a read pool
	PrimaryPort, StandbyPort int
}

var pairs int64

// StandbyPair starts a primary and a streaming standby (asynchronous replication) with
// the repository's scripts/pg_pair.sh (initdb and pg_basebackup -R from
// /usr/lib/postgresql/15/bin or $PGBIN, as the C tests' pt_pair_start does), migrates
// the schema on the primary, and stops and removes both when the test ends. The test is
// skipped when the server binaries or the script are not there; it fails when they are
// and the pair cannot start.
func StandbyPair(tb testing.TB) Pair {
	tb.Helper()
	pgbin := os.Getenv("PGBIN")
	if pgbin == "" {
		pgbin = "/usr/lib/postgresql/15/bin"
	}
	if _, err := os.Stat(filepath.Join(pgbin, "initdb")); err != nil {
		tb.Skipf("no PostgreSQL server binaries in %s to make a primary and a standby of the test's own (set PGBIN)", pgbin)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "pg_pair.sh")
	if _, err := os.Stat(script); err != nil {
		tb.Skipf("no scripts/pg_pair.sh at %s (outside the repository)", script)
	}
	base := fmt.Sprintf("/tmp/cerd_gopair_%d_%d", os.Getpid(), atomic.AddInt64(&pairs, 1))
	_ = exec.Command(script, "stop", base).Run()
	var stderr strings.Builder
	cmd := exec.Command(script, "start", base)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	tb.Cleanup(func() { _ = exec.Command(script, "stop", base).Run() })
	if err != nil {
		tb.Fatalf("scripts/pg_pair.sh could not start a primary and a standby: %v\n%s", err, stderr.String())
	}
	var p Pair
	for _, line := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(line, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "PRIMARY_PORT":
			p.PrimaryPort = n
		case "STANDBY_PORT":
			p.StandbyPort = n
		}
	}
	dsn := func(port int) string {
		return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres", port)
	}
	p.Primary, p.Standby = dsn(p.PrimaryPort), dsn(p.StandbyPort)
	p.Both = fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres", p.PrimaryPort, p.StandbyPort)
	ctx := context.Background()
	c, err := cryptoerd.Open(ctx, p.Primary)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return p
}
