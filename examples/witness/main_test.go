package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestWitnessProgram: the program cosigns an agency's checkpoints over
// HTTP, keeps its key and state across a restart, and refuses a split
// view.
func TestWitnessProgram(t *testing.T) {
	dir := t.TempDir()
	agencyKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	origin, _ := tlog.RevocationOrigin("did:web:agency.example")
	lk, _ := tlog.NewLogKey(origin, agencyKey.Public().(ed25519.PublicKey))
	data := filepath.Join(dir, "witness-data")

	var out bytes.Buffer
	if err := run(context.Background(), []string{"-print-key", "-data", data, "-name", "w.example"}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	wk, err := tlog.ParseWitnessKey(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("-print-key printed %q: %v", out.String(), err)
	}

	start := func() (string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		urlc := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", data, "-name", "w.example", "-log", lk.String(), "-log-level", "error"}, io.Discard, io.Discard, func(u string) { urlc <- u })
		}()
		select {
		case u := <-urlc:
			return u, func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
		case err := <-done:
			t.Fatal(err)
		}
		return "", nil
	}
	base, stop := start()
	hc, _ := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	now := time.Unix(1_800_000_000, 0)
	w, err := tlog.OpenWriter(context.Background(), tlog.WriterConfig{
		Dir: filepath.Join(dir, "log"), Origin: origin, Kind: tlog.KindRevocation, Key: agencyKey, Depth: 8,
		Witnesses: []tlog.WitnessEndpoint{{Key: wk, URL: base + "/add-checkpoint"}}, HTTP: hc, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	var root tlog.IndexedRoot
	root.Depth = 8
	root.Sequence = 1
	root.Root.SetUint64(7)
	cp, err := w.AppendRevocations(context.Background(), []uint64{5, 6}, root)
	if err != nil || len(cp.Cosignatures) != 1 {
		t.Fatalf("cosign: %v", err)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), wk.String()) || !strings.Contains(string(page), lk.String()) {
		t.Fatalf("GET /: %s", page)
	}
	stop()

	// Restarted: same key, same state; the next checkpoint is cosigned
	// with a consistency proof from size 2.
	base, stop = start()
	defer stop()
	w2, err := tlog.OpenWriter(context.Background(), tlog.WriterConfig{
		Dir: filepath.Join(dir, "log"), Origin: origin, Kind: tlog.KindRevocation, Key: agencyKey, Depth: 8,
		Witnesses: []tlog.WitnessEndpoint{{Key: wk, URL: base + "/add-checkpoint"}}, HTTP: hc, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	root.Sequence = 2
	root.Root.SetUint64(8)
	if cp, err := w2.AppendRevocations(context.Background(), []uint64{9}, root); err != nil || len(cp.Cosignatures) != 1 {
		t.Fatalf("after restart: %v", err)
	}

	// A split view: another log of size 3 under the same key.
	other, err := tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: filepath.Join(dir, "fork"), Origin: origin, Kind: tlog.KindRevocation, Key: agencyKey, Depth: 8})
	if err != nil {
		t.Fatal(err)
	}
	forked, _ := other.AppendRevocations(context.Background(), []uint64{1, 2, 3}, root)
	body := append([]byte("old 3\n\n"), forked.Note...)
	r, err := http.Post(base+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusConflict || string(b) != "3\n" || r.Header.Get("Content-Type") != "text/x.tlog.size" {
		t.Fatalf("split view: %d %q", r.StatusCode, b)
	}
}

// TestFlags: missing -log and a bad key file are explained.
func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-data", t.TempDir()}, io.Discard, &stderr, nil)
	if err == nil || !strings.Contains(err.Error(), "missing -log") || !strings.Contains(stderr.String(), "usage: witness") {
		t.Fatalf("missing -log: %v", err)
	}
	if err := run(context.Background(), []string{"-help"}, io.Discard, io.Discard, nil); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "witness.key"), []byte("not a key\n"), 0o600)
	if err := run(context.Background(), []string{"-print-key", "-data", dir}, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "not a witness key") {
		t.Fatalf("bad key file: %v", err)
	}
	if err := run(context.Background(), []string{"-data", t.TempDir(), "-log", "nonsense"}, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "-log") {
		t.Fatalf("bad -log: %v", err)
	}
}
