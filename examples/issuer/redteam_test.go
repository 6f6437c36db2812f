package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublicLogAttackEncodedDotDot: /log/ serves the tiles, subtree chunks
// and checkpoints only. "..%2f" and "%2e%2e" are decoded into r.URL.Path
// after ServeMux cleaned the raw path, so they reached the file server,
// which resolved them: keys.last and the writers' ".tmp-*" files being
// written were served. Whatever the encoding, only the published files are.
func TestPublicLogAttackEncodedDotDot(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"revocation/tile/8/0/000":     "tile",
		"revocation/checkpoint":       "checkpoint",
		"keys.last":                   "last",
		"revocation/tile/8/.tmp-1":    "partial",
		"revocation/subtrees/1/0.tmp": "partial chunk",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /log/", (&publicLog{dir: dir}).handler())
	get := func(target string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "http://agency.example"+target, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/log/revocation/tile/8/0/000"); code != 200 || body != "tile" {
		t.Fatalf("tile: %d %q", code, body)
	}
	for _, target := range []string{
		"/log/revocation/tile/..%2f..%2fkeys.last",
		"/log/revocation/tile/%2e%2e/%2e%2e/keys.last",
		"/log/revocation/tile/8%2f..%2f..%2f..%2fkeys.last",
		"/log/revocation/tile/8/.tmp-1",
		"/log/revocation/tile/8/%2etmp-1",
		"/log/revocation/tile/8/0/%2e",
		"/log/revocation/tile/8/0/000%2f",
		"/log/revocation/subtrees/1/0.tmp",
		"/log/revocation/tile/8/0",
	} {
		if code, body := get(target); code == 200 {
			t.Errorf("GET %s: 200 %q, want a refusal", target, body)
		}
	}
}

// TestOfferAttackIDInLog: the offer id is a capability (GET /offers/{id}
// gives the pre-authorized code), so the "offer created" line names it by
// a tag, and whoever reads the log cannot fetch the offer.
func TestOfferAttackIDInLog(t *testing.T) {
	data := filepath.Join(t.TempDir(), "agency")
	base, logs, _ := serveAgency(t, data)
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	res := call(t, "POST", base+"/admin/offers", strings.TrimSpace(string(token)), `{"recordId":"citizen-1"}`)
	var o offerResponse
	if err := json.Unmarshal(res.body, &o); err != nil || res.status != http.StatusCreated || o.OfferID == "" {
		t.Fatalf("offer: %d %s", res.status, res.body)
	}
	out := logs.String()
	if strings.Contains(out, o.OfferID) || !strings.Contains(out, "offer_tag="+offerTag(o.OfferID)) {
		t.Errorf("offer id %q in the log, or no tag:\n%s", o.OfferID, out)
	}
}
