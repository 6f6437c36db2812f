package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/zkp"
)

// TestExportAndServe: -export with -prebuilt writes every file of the
// site, config.json pins the SHA-256 of keys.bin and the key fingerprint,
// and the handler serves them with their content types, the page's
// Content-Security-Policy, 404 for other paths and 405 for other methods;
// config.json names the -witness keys and the quorum.
func TestExportAndServe(t *testing.T) {
	keys, err := zkp.UnsafeSetup(zkp.Shape{Slots: 4, Predicates: 1, RevocationDepth: 3}, zkp.Groth16)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keysDir, prebuilt, out := filepath.Join(dir, "keys"), filepath.Join(dir, "prebuilt"), filepath.Join(dir, "site")
	if err := keys.Save(keysDir); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(prebuilt, 0o755)
	os.WriteFile(filepath.Join(prebuilt, "wallet.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	os.WriteFile(filepath.Join(prebuilt, "wasm_exec.js"), []byte("// wasm_exec"), 0o644)
	var log strings.Builder
	wk := witnessKey(t, "witness.example")
	if err := run(t.Context(), []string{"-keys", keysDir, "-prebuilt", prebuilt, "-export", out, "-witness", wk}, &log, nil); err != nil {
		t.Fatal(err, log.String())
	}
	for _, name := range []string{"index.html", "app.js", "worker.js", "app.css", "wallet.wasm", "wasm_exec.js", "keys.bin", "config.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("export lacks %s", name)
		}
	}
	bundle, _ := os.ReadFile(filepath.Join(out, "keys.bin"))
	var cfg struct {
		KeysSha256, Fingerprint string
		InsecureLocal           bool
		Witnesses               []string
		Quorum                  int
	}
	b, _ := os.ReadFile(filepath.Join(out, "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bundle)
	if cfg.KeysSha256 != hex.EncodeToString(sum[:]) || cfg.Fingerprint != keys.VerifyingKey.Fingerprint().String() || cfg.InsecureLocal ||
		len(cfg.Witnesses) != 1 || cfg.Witnesses[0] != wk || cfg.Quorum != 1 {
		t.Errorf("config.json %s", b)
	}

	o, err := parseFlags([]string{"-keys", keysDir, "-prebuilt", prebuilt}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := build(t.Context(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler(false))
	defer srv.Close()
	for _, c := range []struct {
		method, path, ctype string
		code                int
	}{
		{"GET", "/", "text/html; charset=utf-8", 200},
		{"GET", "/worker.js", "text/javascript; charset=utf-8", 200},
		{"GET", "/wallet.wasm", "application/wasm", 200},
		{"GET", "/keys.bin", "application/octet-stream", 200},
		{"GET", "/nothing", "", 404},
		{"GET", "/../main.go", "", 404},
		{"POST", "/", "", 405},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.code || (c.ctype != "" && res.Header.Get("Content-Type") != c.ctype) {
			t.Errorf("%s %s: %d %q", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if c.code == 200 {
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval'") || strings.Contains(csp, "http://127.0.0.1") {
				t.Errorf("%s: CSP %q", c.path, csp)
			}
		}
	}
}

// TestPruneCache: the module cache keeps the module in use and the newest
// other one.
func TestPruneCache(t *testing.T) {
	cache := t.TempDir()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(cache, name)
		os.MkdirAll(p, 0o755)
		f := filepath.Join(p, "wallet.wasm")
		os.WriteFile(f, nil, 0o644)
		at := time.Now().Add(-age)
		os.Chtimes(f, at, at)
		return p
	}
	keep, newer, older, oldest := mk("keep", 3*time.Hour), mk("b", time.Hour), mk("c", 2*time.Hour), mk("d", 4*time.Hour)
	pruneCache(cache, keep)
	for p, want := range map[string]bool{keep: true, newer: true, older: false, oldest: false} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s kept: %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestWitnessFlags: -witness keys (checked) and -quorum (default: all of
// them; more than listed refused) go into config.json for the page; no
// witness is warned about.
func TestWitnessFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-keys", "k", "-witness", "not a key"}, io.Discard); err == nil {
		t.Error("a malformed -witness accepted")
	}
	var log strings.Builder
	o, err := parseFlags([]string{"-keys", "k"}, &log)
	if err != nil || o.quorum != 0 || !strings.Contains(log.String(), "WARNING: no witness quorum") {
		t.Errorf("no witness: %v %+v %q", err, o, log.String())
	}
	wk := witnessKey(t, "witness.example")
	o, err = parseFlags([]string{"-keys", "k", "-witness", wk}, io.Discard)
	if err != nil || o.quorum != 1 || len(o.witnesses) != 1 {
		t.Fatalf("one witness: %v %+v", err, o)
	}
	if _, err := parseFlags([]string{"-keys", "k", "-witness", wk, "-quorum", "2"}, io.Discard); err == nil {
		t.Error("-quorum 2 of 1 witness accepted")
	}
}

func witnessKey(t *testing.T, name string) string {
	t.Helper()
	k, err := tlog.NewWitnessKey(name, ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return k.String()
}
