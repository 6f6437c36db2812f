package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/registry"
)

// TestSharedRegistry runs two instances of the agency (same keys, same
// domain) on one PostgreSQL revocation registry (-registry-pg): the first
// writes, the second starts as a reader and serves the writer's root after
// a sync, then takes over when the first stops. Needs ZKCRED_PG_DSN
// (.ci/run sets it).
func TestSharedRegistry(t *testing.T) {
	dsn := os.Getenv("ZKCRED_PG_DSN")
	if dsn == "" {
		t.Skip("ZKCRED_PG_DSN is not set: no PostgreSQL server for -registry-pg")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("issuer_registry_%d", time.Now().UnixNano())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	regDSN := dsn + sep + "search_path=" + schema

	srv := httptest.NewUnstartedServer(nil) // its address names both instances
	defer srv.Close()
	domain := srv.Listener.Addr().String()
	data1, data2 := t.TempDir(), t.TempDir()
	open := func(data string, env string) *agency {
		t.Helper()
		args := []string{"-data", data, "-slots", "8", "-revocation-depth", "6"}
		if env == "" {
			args = append(args, "-registry-pg", regDSN)
		} else {
			t.Setenv("ZKCRED_REGISTRY_PG", env)
		}
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		a, err := openAgency(o, domain, "http://"+domain, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := open(data1, "")
	defer a1.Close()
	// The second instance has the same keys.
	keys, err := os.ReadFile(filepath.Join(data1, "keys.age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data2, "keys.age"), keys, 0o600); err != nil {
		t.Fatal(err)
	}
	a2 := open(data2, regDSN) // from the environment this time
	defer a2.Close()
	if _, err := os.Stat(filepath.Join(data2, "registry.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("-registry-pg given, yet a bbolt registry was made: %v", err)
	}

	if _, err := a1.reg.Revoke(77); err != nil {
		t.Fatal(err)
	}
	if _, err := a2.reg.Revoke(78); !errors.Is(err, registry.ErrNotWriter) {
		t.Fatalf("second instance: %v, want ErrNotWriter", err)
	}
	if err := a2.reg.Sync(); err != nil {
		t.Fatal(err)
	}
	root := func(a *agency) string {
		rec := httptest.NewRecorder()
		a.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/revocation/root", nil))
		if rec.Code != 200 {
			t.Fatalf("GET /revocation/root: %d", rec.Code)
		}
		return rec.Body.String()
	}
	if root(a2) != root(a1) {
		t.Fatal("the reader serves another root than the writer")
	}

	// The writer stops; the reader takes over.
	a1.Close()
	c, err := a2.reg.Revoke(78)
	if err != nil {
		t.Fatal(err)
	}
	if c.Count != 2 || !a2.reg.IsRevoked(77) {
		t.Fatalf("after takeover: %+v", c)
	}
	rec := httptest.NewRecorder()
	a2.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/revocation/snapshot", nil))
	snap, err := status.ParseSnapshot(rec.Body.Bytes())
	if err != nil || fmt.Sprint(snap.IDs) != "[77 78]" {
		t.Fatalf("snapshot after takeover: %v %v", snap, err)
	}
}
