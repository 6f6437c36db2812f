package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeBodyStrict: back-office request bodies have one reading.
// encoding/json would let the last duplicate win (also after unescaping),
// match names case-insensitively and turn lone surrogates into U+FFFD.
func TestDecodeBodyStrict(t *testing.T) {
	for name, body := range map[string]string{
		// Duplicate member names, plain and escaped.
		"duplicate":         `{"recordId":"citizen-1","recordId":"citizen-2"}`,
		"escaped duplicate": `{"recordId":"citizen-1","record\u0049d":"citizen-2"}`,
		// Case variants of member names.
		"case variant": `{"RECORDID":"citizen-1"}`,
		// Strings that are not Unicode.
		"lone surrogate": `{"recordId":"\ud800"}`,
		"invalid UTF-8":  "{\"recordId\":\"\xff\"}",
		// Structure.
		"unknown member": `{"recordId":"citizen-1","x":1}`,
		"trailing data":  `{"recordId":"citizen-1"}{}`,
		"not a string":   `{"recordId":7}`,
	} {
		r := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req offerRequest
		if err := decodeBody(r, &req); err == nil {
			t.Errorf("%s: accepted: %+v", name, req)
		}
	}
	r := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(`{"recordId":"citizen-1"}`))
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	var req offerRequest
	if err := decodeBody(r, &req); err != nil || req.RecordID != "citizen-1" {
		t.Errorf("accepted body: %+v %v", req, err)
	}
	for _, body := range []string{`{"offerId":5}`, `{"OfferId":"x"}`, `{"credentialId":"urn:uuid:x"}`, `{"revocationId":5}`} {
		r := httptest.NewRequest("POST", "/revoke", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var rr revokeRequest
		if err := decodeBody(r, &rr); err == nil {
			t.Errorf("revoke %s: accepted: %+v", body, rr)
		}
	}
}

func TestDecodeBodyContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/json":                 true,
		"application/json; charset=utf-8":  true,
		"Application/JSON":                 true,
		"application/jsonx":                false,
		"application/json-seq":             false,
		"application/json; charset=utf-16": false,
		"application/json;;":               false,
		"text/plain":                       false,
		"":                                 false,
	} {
		r := httptest.NewRequest("POST", "/revoke", strings.NewReader(`{"offerId":"x"}`))
		r.Header.Set("Content-Type", ct)
		var rr revokeRequest
		if err := decodeBody(r, &rr); (err == nil) != ok {
			t.Errorf("content type %q: %v", ct, err)
		}
	}
}

// TestKeyFileStrict: the plaintext keys.json of an older issuer, which
// migrate-keys reads, is read with the same rules.
func TestKeyFileStrict(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, legacyKeysFile)
	seed := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	kf := map[string]string{"jose": seed, "zk": seed}
	good := `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}`
	if err := os.WriteFile(name, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readLegacyKeys(name); err != nil {
		t.Fatalf("good keys.json: %v", err)
	}
	for name2, b := range map[string]string{
		"duplicate":         `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","jose":"` + kf["zk"] + `","zk":"` + kf["zk"] + `"}`,
		"escaped duplicate": `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","\u006aose":"` + kf["zk"] + `","zk":"` + kf["zk"] + `"}`,
		"case variant":      `{"Version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}`,
		"trailing data":     `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}{}`,
		"oversized":         `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}` + strings.Repeat(" ", 5000),
	} {
		if err := os.WriteFile(name, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readLegacyKeys(name); err == nil {
			t.Errorf("%s: accepted", name2)
		}
	}
}

// TestUnroutedJSON: other paths, other methods and unclean paths get the
// issuer's JSON error, not ServeMux's plain text or a redirect.
func TestUnroutedJSON(t *testing.T) {
	h := fuzzAgency(t, t.TempDir()).handler()
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"POST", "/", 405, "GET, HEAD"},
		{"POST", "/credentials", 404, ""}, // the pre-OpenID4VCI endpoint is gone
		{"GET", "/token", 405, "POST"},
		{"GET", "/admin/offers", 405, "POST"},
		{"DELETE", "/revoke", 405, "POST"},
		{"POST", "/.well-known/openid-credential-issuer", 405, "GET, HEAD"},
		{"PUT", "/.well-known/did.json", 405, "GET, HEAD"},
		{"GET", "//revocation/root", 404, ""},
		{"GET", "/status/../revocation/root", 404, ""},
		{"GET", "/status/1/", 404, ""},
		{"OPTIONS", "/credential", 405, "POST"},
	} {
		r := httptest.NewRequest(tc.method, "/", nil)
		r.URL.Path = tc.path
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var e struct {
			Error string `json:"error"`
		}
		if w.Code != tc.status || w.Header().Get("Content-Type") != "application/json" || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" {
			t.Errorf("%s %s: %d %q %s", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		if got := w.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	// A body over the limit is 413, in JSON.
	a := fuzzAgency(t, t.TempDir())
	h = a.handler()
	r := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(`{"recordId":"`+strings.Repeat("0", maxBody)+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+string(a.adminToken))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("oversized body: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// fuzzAgency opens an agency in data for handler tests.
func fuzzAgency(t testing.TB, data string) *agency {
	t.Helper()
	o, err := parseFlags([]string{"-data", data, "-slots", "8", "-revocation-depth", "6"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openAgency(o, "agency.example", "https://agency.example", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
