package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
)

type httpResult struct {
	status int
	body   []byte
	hdr    http.Header
}

func do(t testing.TB, h http.Handler, method, path, ctype string, body []byte) httpResult {
	t.Helper()
	return serve(h, method, path, ctype, body)
}

// serve runs one request through h (safe from any goroutine).
func serve(h http.Handler, method, path, ctype string, body []byte) httpResult {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return httpResult{w.Code, b, w.Result().Header}
}

// wantError checks an error response: status, JSON content type and code.
func wantError(t *testing.T, res httpResult, status int, code string) {
	t.Helper()
	if res.status != status {
		t.Errorf("status %d, want %d (body %s)", res.status, status, res.body)
	}
	if ct := res.hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	var e ErrorBody
	if err := strictjson.Unmarshal(res.body, &e); err != nil {
		t.Fatalf("error body %q: %v", res.body, err)
	}
	if e.Code != code || e.Message == "" {
		t.Errorf("error %+v, want code %q", e, code)
	}
}

func TestHandlerRequests(t *testing.T) {
	now := time.Date(2026, 2, 28, 23, 30, 0, 0, time.UTC)
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	e.clock.Set(now)
	h := e.v.Handler()
	policy, _ := json.Marshal(votePolicy("did:web:agency.example"))

	res := do(t, h, "POST", "/requests", "application/json; charset=utf-8", policy)
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	req, err := protocol.ParseRequest(res.body)
	if err != nil {
		t.Fatalf("created request does not parse: %v\n%s", err, res.body)
	}
	if req.Audience != "https://vote.example" || req.Schema.ID != protocol.FieldHex(testSchema().ID()) || req.Date != "2026-02-28" ||
		req.IssuedAt != now.Unix() || req.ExpiresAt != now.Add(DefaultRequestTTL).Unix() {
		t.Errorf("created request %+v", req)
	}
	got := do(t, h, "GET", "/requests/"+req.ID, "", nil)
	if got.status != http.StatusOK || !bytes.Equal(got.body, res.body) {
		t.Errorf("GET: %d %s, want %s", got.status, got.body, res.body)
	}
	if got.hdr.Get("Cache-Control") != "no-store" {
		t.Error("GET response is cacheable")
	}
	// Two requests for the same policy get different nonces.
	res2 := do(t, h, "POST", "/requests", "application/json", policy)
	req2, err := protocol.ParseRequest(res2.body)
	if err != nil || req2.ID == req.ID {
		t.Errorf("second request: %v, id %s", err, req2.ID)
	}

	wantError(t, do(t, h, "GET", "/requests/AAAAAAAAAAAAAAAAAAAAAA", "", nil), 404, CodeUnknownRequest)
	wantError(t, do(t, h, "GET", "/requests/"+strings.Repeat("a", 500), "", nil), 404, CodeUnknownRequest)
	wantError(t, do(t, h, "POST", "/requests", "text/plain", policy), 415, CodeUnsupportedMediaType)
	wantError(t, do(t, h, "POST", "/requests", "", policy), 415, CodeUnsupportedMediaType)
	wantError(t, do(t, h, "POST", "/requests", "application/json", []byte(`{"issuers":`)), 400, CodeInvalidRequest)
	wantError(t, do(t, h, "POST", "/requests", "application/json", append(policy, '{')), 400, CodeInvalidRequest)
	wantError(t, do(t, h, "POST", "/requests", "application/json", []byte(`{"issuers":["did:web:x"],"nonce":"AA"}`)), 400, CodeInvalidRequest)
	wantError(t, do(t, h, "POST", "/requests", "application/json", bytes.Repeat([]byte(" "), MaxHTTPBody+1)), 413, CodeTooLarge)
	if res := do(t, h, "DELETE", "/requests/"+req.ID, "", nil); res.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", res.status)
	}
}

func TestNewRequestTrustedIssuers(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	cfg := e.v.cfg
	cfg.TrustedIssuers = []string{"did:web:agency.example"}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := votePolicy("did:web:agency.example")
	if _, err := v.NewRequest(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	p.Issuers = append(p.Issuers, "did:web:evil.example")
	if _, err := v.NewRequest(t.Context(), p); !errors.Is(err, ErrUntrustedIssuer) {
		t.Errorf("untrusted issuer in policy: %v", err)
	}
}

// TestHandlerUnrouted: unknown paths, other methods and oversize bodies get
// the JSON error body too (ServeMux answered the first two in plain text),
// and a 405 keeps its Allow header.
func TestHandlerUnrouted(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	h := e.v.Handler()
	for _, path := range []string{"/", "/nope", "/requests/", "/requests/x/y", "/requests/x/presentations/", "/requests/x/presentations/y",
		"/requests/../requests", "//requests", "/requests/./x", "/requests/%2e%2e", "/REQUESTS"} {
		for _, m := range []string{"GET", "POST", "PUT"} {
			res := do(t, h, m, path, "application/json", nil)
			wantError(t, res, http.StatusNotFound, CodeNotFound)
		}
	}
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/requests", "POST"},
		{"PUT", "/requests", "POST"},
		{"DELETE", "/requests", "POST"},
		{"HEAD", "/requests", "POST"},
		{"POST", "/requests/abc", "GET, HEAD"},
		{"DELETE", "/requests/abc", "GET, HEAD"},
		{"PATCH", "/requests/abc", "GET, HEAD"},
		{"GET", "/requests/abc/presentations", "POST"},
		{"PUT", "/requests/abc/presentations", "POST"},
		{"OPTIONS", "/requests/abc/presentations", "POST"},
	} {
		res := do(t, h, c.method, c.path, "application/json", []byte(`{}`))
		if c.method == "HEAD" {
			if res.status != http.StatusMethodNotAllowed || res.hdr.Get("Allow") != c.allow {
				t.Errorf("%s %s: %d, Allow %q", c.method, c.path, res.status, res.hdr.Get("Allow"))
			}
			continue
		}
		wantError(t, res, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
		if got := res.hdr.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	big := bytes.Repeat([]byte("a"), MaxHTTPBody+1)
	wantError(t, do(t, h, "POST", "/requests", "application/json", big), http.StatusRequestEntityTooLarge, CodeTooLarge)
	req, err := e.v.NewRequest(t.Context(), votePolicy("did:web:agency.example"))
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, do(t, h, "POST", "/requests/"+req.ID+"/presentations", "application/json", big), http.StatusRequestEntityTooLarge, CodeTooLarge)
}
