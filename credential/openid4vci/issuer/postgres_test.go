package issuer

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// PostgreSQL for the register tests: ZKCRED_PG_DSN if set, else a
// throwaway server started by the verifier's testdata/start-postgres.sh
// (needs the postgresql package) on first use and stopped when the tests
// end, else those tests skip and say why.
var (
	pgDSN   string
	pgSkip  string
	pgOnce  sync.Once
	pgStop  = func() {}
	pgStopM sync.Mutex
)

const startPostgres = "../../../verifier/testdata/start-postgres.sh"

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	pgStopM.Lock()
	pgStop()
	pgStopM.Unlock()
	os.Exit(code)
}

// postgresDSN returns the DSN of the test server or skips tb.
func postgresDSN(tb testing.TB) string {
	pgOnce.Do(func() {
		stop := setupPostgres()
		pgStopM.Lock()
		pgStop = stop
		pgStopM.Unlock()
	})
	if pgDSN == "" {
		tb.Skip(pgSkip)
	}
	return pgDSN
}

func setupPostgres() (stop func()) {
	if dsn := os.Getenv("ZKCRED_PG_DSN"); dsn != "" {
		pgDSN = dsn
		return func() {}
	}
	dir, err := os.MkdirTemp("", "zkcred-pg-oid4vci-")
	if err != nil {
		pgSkip = err.Error()
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, startPostgres, dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		os.RemoveAll(dir)
		pgSkip = fmt.Sprintf("ZKCRED_PG_DSN is unset and %s could not start a server (%v): %s",
			startPostgres, err, strings.TrimSpace(stderr.String()))
		return func() {}
	}
	pgDSN = strings.TrimSpace(string(out))
	return func() {
		exec.Command(startPostgres, "--stop", dir).Run()
		os.RemoveAll(dir)
	}
}

// openPGRegister opens the register in a fresh schema of the test server.
func openPGRegister(tb testing.TB) *PostgresRegister {
	tb.Helper()
	dsn := postgresDSN(tb)
	ctx := context.Background()
	schema := fmt.Sprintf("oid4vci_%d", time.Now().UnixNano())
	admin, err := OpenPostgresRegister(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	admin.Close()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	p, err := OpenPostgresRegister(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

func TestPostgresRegister(t *testing.T) {
	p := openPGRegister(t)
	ctx := context.Background()
	r := citizen("citizen-1")
	r.ValidUntil = time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if err := p.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := p.Record(ctx, "citizen-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Values["district"] != "07" || !got.ValidUntil.Equal(r.ValidUntil) || !got.ValidFrom.IsZero() {
		t.Fatalf("record %+v", got)
	}
	if _, err := p.Record(ctx, "nobody"); !errors.Is(err, openid4vci.ErrUnknownRecord) {
		t.Fatalf("unknown record: %v", err)
	}
	// A number a float64 reader would round (2^53+1 reads as 2^53) is
	// refused by did/strictjson.
	if _, err := p.pool.Exec(ctx, `INSERT INTO zkcred_register (id, attributes) VALUES ('big', '{"birthDate":"1990-05-17","extra":9007199254740993}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Record(ctx, "big"); !errors.Is(err, openid4vci.ErrInvalidRecord) {
		t.Fatalf("2^53+1 in attributes: %v", err)
	}
	// End to end with the PostgreSQL register, and its validation.
	for _, id := range []string{"citizen-2", "citizen-3"} {
		if err := p.Put(ctx, citizen(id)); err != nil {
			t.Fatal(err)
		}
	}
	bad := citizen("bad")
	bad.Values["birthDate"] = time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	if err := p.Put(ctx, bad); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, p, nil)
	if _, err := e.is.CreateOffer(ctx, "bad"); !errors.Is(err, openid4vci.ErrInvalidRecord) {
		t.Fatalf("future birthdate: %v", err)
	}
	o, s := e.session(t, "citizen-1")
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	st, err := e.wallet.RequestCredential(ctx, s, newSecret(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Expiry != uint64(r.ValidUntil.Unix()) {
		t.Fatalf("expiry %d, register says %d", st.Expiry, r.ValidUntil.Unix())
	}
}
