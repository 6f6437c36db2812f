package verifier

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// PostgreSQL for the shared-store tests: ZKCRED_PG_DSN if set, else a
// throwaway server started by testdata/start-postgres.sh (needs the
// postgresql package) on first use and stopped when the tests end, else
// those tests skip and say why.
var (
	pgDSN   string
	pgSkip  string
	pgOnce  sync.Once
	pgStop  = func() {}
	pgStopM sync.Mutex
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	pgStopM.Lock()
	pgStop()
	pgStopM.Unlock()
	os.Exit(code)
}

// postgresDSN returns the DSN of the test server, starting it if needed,
// or "" (with pgSkip saying why).
func postgresDSN() string {
	pgOnce.Do(func() {
		stop := setupPostgres()
		pgStopM.Lock()
		pgStop = stop
		pgStopM.Unlock()
	})
	return pgDSN
}

func setupPostgres() (stop func()) {
	if dsn := os.Getenv("ZKCRED_PG_DSN"); dsn != "" {
		pgDSN = dsn
		return func() {}
	}
	dir, err := os.MkdirTemp("", "zkcred-pg-test-")
	if err != nil {
		pgSkip = err.Error()
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "testdata/start-postgres.sh", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		os.RemoveAll(dir)
		pgSkip = fmt.Sprintf("ZKCRED_PG_DSN is unset and testdata/start-postgres.sh could not start a server (%v): %s",
			err, strings.TrimSpace(stderr.String()))
		return func() {}
	}
	pgDSN = strings.TrimSpace(string(out))
	return func() {
		exec.Command("testdata/start-postgres.sh", "--stop", dir).Run()
		os.RemoveAll(dir)
	}
}
