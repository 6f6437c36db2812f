package main

import (
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

// TestDecodeBodyStrict: request bodies have one reading. encoding/json,
// which read them before, let the last duplicate win (also after
// unescaping), matched names case-insensitively, turned lone surrogates
// into U+FFFD and rounded numbers past 2^53.
func TestDecodeBodyStrict(t *testing.T) {
	commit := `"` + strings.Repeat("00", 32) + `"`
	for name, body := range map[string]string{
		// Duplicate member names, plain and escaped.
		"duplicate":           `{"holderCommitment":"11","holderCommitment":` + commit + `,"attributes":{}}`,
		"escaped duplicate":   `{"holderCommitment":"11","holder\u0043ommitment":` + commit + `,"attributes":{}}`,
		"duplicate attribute": `{"holderCommitment":` + commit + `,"attributes":{"district":"07","district":"08"}}`,
		"escaped dup attr":    `{"holderCommitment":` + commit + `,"attributes":{"district":"07","\u0064istrict":"08"}}`,
		// Case variants of member names.
		"case variant":     `{"HOLDERCOMMITMENT":` + commit + `,"Attributes":{}}`,
		"one case variant": `{"holderCommitment":` + commit + `,"Attributes":{}}`,
		// Strings that are not Unicode.
		"lone surrogate":     `{"holderCommitment":` + commit + `,"attributes":{"name":"\ud800"}}`,
		"low surrogate only": `{"holderCommitment":` + commit + `,"attributes":{"name":"\udc00"}}`,
		"invalid UTF-8":      "{\"holderCommitment\":" + commit + ",\"attributes\":{\"name\":\"\xff\"}}",
		// Numbers a float64 reader would round.
		"2^53+1 attribute": `{"holderCommitment":` + commit + `,"attributes":{"n":9007199254740993}}`,
		"2^53 attribute":   `{"holderCommitment":` + commit + `,"attributes":{"n":9007199254740992}}`,
		// Structure.
		"unknown member": `{"holderCommitment":` + commit + `,"attributes":{},"x":1}`,
		"trailing data":  `{"holderCommitment":` + commit + `,"attributes":{}}{}`,
		"deep nesting":   `{"holderCommitment":` + commit + `,"attributes":{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`,
	} {
		r := httptest.NewRequest("POST", "/credentials", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req issueRequest
		if err := decodeBody(r, &req); err == nil {
			t.Errorf("%s: accepted: %+v", name, req)
		}
	}
	// What is accepted keeps numbers exact.
	r := httptest.NewRequest("POST", "/credentials", strings.NewReader(`{"holderCommitment":`+commit+`,"attributes":{"n":9007199254740991,"district":"07"}}`))
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	var req issueRequest
	if err := decodeBody(r, &req); err != nil || req.Attributes["n"] != json.Number("9007199254740991") || req.Attributes["district"] != "07" {
		t.Errorf("accepted body: %+v %v", req, err)
	}
	for _, body := range []string{`{"revocationId":"5"}`, `{"revocationId":5.0}`, `{"revocationId":1e1}`, `{"revocationId":-1}`, `{"revocationId":18446744073709551616}`, `{"RevocationId":5}`} {
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
		r := httptest.NewRequest("POST", "/revoke", strings.NewReader(`{"credentialId":"x"}`))
		r.Header.Set("Content-Type", ct)
		var rr revokeRequest
		if err := decodeBody(r, &rr); (err == nil) != ok {
			t.Errorf("content type %q: %v", ct, err)
		}
	}
}

// TestKeyFileStrict: keys.json, a file an operator could be handed, is
// read with the same rules.
func TestKeyFileStrict(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := loadKeys(dir); err != nil { // creates keys.json
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadKeys(dir); err != nil {
		t.Fatalf("reading it back: %v", err)
	}
	var kf map[string]string
	if err := json.Unmarshal(good, &kf); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]string{
		"duplicate":         `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","jose":"` + kf["zk"] + `","zk":"` + kf["zk"] + `"}`,
		"escaped duplicate": `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","\u006aose":"` + kf["zk"] + `","zk":"` + kf["zk"] + `"}`,
		"case variant":      `{"Version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}`,
		"trailing data":     `{"version":"` + keysVersion + `","jose":"` + kf["jose"] + `","zk":"` + kf["zk"] + `"}{}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, "keys.json"), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadKeys(dir); err == nil {
			t.Errorf("%s: accepted", name)
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
		{"GET", "/credentials", 405, "POST"},
		{"DELETE", "/revoke", 405, "POST"},
		{"PUT", "/.well-known/did.json", 405, "GET, HEAD"},
		{"GET", "//revocation/root", 404, ""},
		{"GET", "/status/../revocation/root", 404, ""},
		{"GET", "/status/1/", 404, ""},
		{"OPTIONS", "/credentials", 405, "POST"},
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
	r := httptest.NewRequest("POST", "/credentials", strings.NewReader(`{"holderCommitment":"`+strings.Repeat("0", maxBody)+`"}`))
	r.Header.Set("Content-Type", "application/json")
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
