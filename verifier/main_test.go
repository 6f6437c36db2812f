package verifier

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// PostgreSQL for the shared-store tests: ZKCRED_PG_DSN if set, else a
// throwaway server started by testdata/start-postgres.sh (needs the
// postgresql package), else those tests skip and say why.
var (
	pgDSN  string
	pgSkip string
)

func TestMain(m *testing.M) {
	flag.Parse()
	stop := setupPostgres()
	code := m.Run()
	stop()
	os.Exit(code)
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
