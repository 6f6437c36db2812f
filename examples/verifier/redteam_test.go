package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/verifier"
)

// TestOpsAttackLogInjection: request ids and paths an attacker controls
// reach the log quoted or replaced: a newline or an ANSI escape in
// the path, or a space or tab in X-Request-Id (net/http refuses other
// control bytes in headers), cannot forge a log line or colour a terminal.
// And a verifier started with -insecure-local says so at warn level.
func TestOpsAttackLogInjection(t *testing.T) {
	base, logs := startLogged(t, "-store", "bolt:"+filepath.Join(t.TempDir(), "v.db"))
	for _, c := range []struct{ path, id string }{
		{"/requests/x%0Alevel=ERROR%20msg=forged", "ok-id"},
		{"/requests/%1B%5B31mred", "x level=ERROR msg=forged"},
		{"/nowhere", "a\tb"},
	} {
		req, _ := http.NewRequest("GET", base+c.path, nil)
		req.Header["X-Request-Id"] = []string{c.id}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Request-Id"); got == c.id && strings.ContainsAny(c.id, "\t ") {
			t.Errorf("X-Request-Id %q echoed as is", c.id)
		}
	}
	out := logs.String()
	if strings.ContainsRune(out, 0x1b) || strings.Contains(out, "\nlevel=ERROR msg=forged") {
		t.Errorf("raw attacker bytes in the log:\n%s", out)
	}
	if len(lines(out, "level=WARN")) == 0 || len(lines(out, "INSECURE development setting: -insecure-local is on")) != 1 {
		t.Errorf("no warn line for -insecure-local:\n%s", out)
	}
}

// TestClerkAttackOutcomeTableFull: anyone can create requests and answer
// each with junk, filling the page's outcome table; the next clerk's
// outcome is still recorded (stale outcomes, else the oldest, make room)
// and the table stays bounded.
func TestClerkAttackOutcomeTableFull(t *testing.T) {
	a := &app{outcomes: map[string]*outcome{}, changed: make(chan struct{}), logger: slog.New(slog.DiscardHandler)}
	now := time.Now().UTC()
	for i := range maxOutcomes {
		a.outcomes[fmt.Sprint("junk-", i)] = &outcome{created: now.Add(-time.Duration(maxOutcomes-i) * time.Millisecond)}
	}
	a.record("clerk-1", attempt{At: now, Status: http.StatusOK})
	if a.outcomes["clerk-1"] == nil || len(a.outcomes) != maxOutcomes || a.outcomes["junk-0"] != nil {
		t.Fatalf("full table of fresh outcomes: clerk's recorded %v, %d kept, oldest kept %v",
			a.outcomes["clerk-1"] != nil, len(a.outcomes), a.outcomes["junk-0"] != nil)
	}
	for _, o := range a.outcomes {
		o.created = now.Add(-3 * time.Hour)
	}
	a.record("clerk-2", attempt{At: now, Status: http.StatusOK})
	if a.outcomes["clerk-2"] == nil || len(a.outcomes) != 1 {
		t.Fatalf("full table of stale outcomes: %d kept", len(a.outcomes))
	}
}

// TestClerkAttackCrossSiteCreate: POST /openid4vp/create takes
// application/json only, so a page of another origin cannot make the
// clerk's browser create requests with a text/plain or form POST (CORS
// "simple" requests, sent without a preflight).
func TestClerkAttackCrossSiteCreate(t *testing.T) {
	a := &app{outcomes: map[string]*outcome{}, changed: make(chan struct{}), logger: slog.New(slog.DiscardHandler)}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/openid4vp/create", strings.NewReader(`{"issuers":["did:web:agency.example"]}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		a.createOpenID4VP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "application/json") {
			t.Errorf("Content-Type %q: %d %s", ct, rec.Code, rec.Body)
		}
	}
}

// TestClerkAttackOutcomeByID: the request id is in the QR code anyone at
// the counter sees; with it alone (or a wrong key) GET
// /openid4vp/requests/{id}/outcome answers as for an unknown request, so
// it does not show what the holder disclosed; the page's key reads it.
func TestClerkAttackOutcomeByID(t *testing.T) {
	shape, err := parseShapeForTest()
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, shape)
	base, _ := startVerifier(t, iss.url)
	status, body := postJSON(t, base+"/openid4vp/create", mustJSON(t, votePolicy(iss.did)))
	if status != http.StatusCreated {
		t.Fatalf("POST /openid4vp/create: %d %s", status, body)
	}
	var created oidCreated
	if err := json.Unmarshal(body, &created); err != nil || len(created.OutcomeKey) < 22 {
		t.Fatalf("created %s: %v", body, err)
	}
	for key, want := range map[string]int{"": http.StatusNotFound, "AAAAAAAAAAAAAAAAAAAAAA": http.StatusNotFound, created.OutcomeKey: http.StatusOK} {
		req, _ := http.NewRequest("GET", base+"/openid4vp/requests/"+created.ID+"/outcome", nil)
		if key != "" {
			req.Header.Set("X-Outcome-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("key %q: %d, want %d", key, res.StatusCode, want)
		}
	}
}

// TestClerkAttackZkcredOutcomeByID: as TestClerkAttackOutcomeByID, for
// zkcred's own requests: the id is in the QR code anyone at the counter
// sees; with it alone, a wrong key or another request's key, GET
// /requests/{id}/outcome answers as for an unknown request (it would show
// the disclosed values and the nullifier); the key POST /requests returns
// in the X-Outcome-Key header reads it.
func TestClerkAttackZkcredOutcomeByID(t *testing.T) {
	shape, err := parseShapeForTest()
	if err != nil {
		t.Fatal(err)
	}
	iss := newTestIssuer(t, shape)
	base, _ := startVerifier(t, iss.url)
	req, key := createRequestWithKey(t, base, votePolicy(iss.did))
	_, otherKey := createRequestWithKey(t, base, votePolicy(iss.did))
	if len(key) < 22 || otherKey == key {
		t.Fatalf("outcome keys %q, %q", key, otherKey)
	}
	for k, want := range map[string]int{"": http.StatusNotFound, "AAAAAAAAAAAAAAAAAAAAAA": http.StatusNotFound, otherKey: http.StatusNotFound, key: http.StatusOK} {
		hreq, _ := http.NewRequest("GET", base+"/requests/"+req.ID+"/outcome", nil)
		if k != "" {
			hreq.Header.Set("X-Outcome-Key", k)
		}
		res, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("key %q: %d, want %d", k, res.StatusCode, want)
		}
	}
	// A wallet still reads the request itself with the id alone.
	if st, body := get(t, base+"/requests/"+req.ID); st != http.StatusOK {
		t.Errorf("GET /requests/{id}: %d %s", st, body)
	}
}

// TestClerkAttackDeclineFlood: whoever saw the QR code can send a pending
// request maxAttempts error responses (access_denied: "the person
// declined") or junk answers; the holder's accepted answer that follows
// still reaches the clerk's page, which then says accepted.
func TestClerkAttackDeclineFlood(t *testing.T) {
	a := &app{outcomes: map[string]*outcome{}, changed: make(chan struct{}), logger: slog.New(slog.DiscardHandler)}
	now := time.Now().UTC()
	a.outcomes["req"] = &outcome{created: now, key: "k"}
	for range maxAttempts + 5 {
		a.onResponse(t.Context(), "req", nil, fmt.Errorf("%w (access_denied)", verifier.ErrHolderDeclined))
	}
	a.onResponse(t.Context(), "req", &verifier.ResponseResult{RequestID: "req"}, nil)
	o := a.outcomes["req"]
	// One more than maxAttempts: the count grows, so that a page that saw
	// the full list and waits for more (getOutcome's after=maxAttempts)
	// wakes at once and lists the acceptance.
	if len(o.attempts) != maxAttempts+1 {
		t.Fatalf("%d attempts kept, want %d", len(o.attempts), maxAttempts+1)
	}
	if last := o.attempts[len(o.attempts)-1]; last.Status != http.StatusOK {
		t.Fatalf("the accepted answer after a flood of declines was dropped: last attempt %+v", last)
	}
	// A refusal after a full list does not push the acceptance out.
	a.onResponse(t.Context(), "req", nil, fmt.Errorf("%w (access_denied)", verifier.ErrHolderDeclined))
	if last := o.attempts[len(o.attempts)-1]; last.Status != http.StatusOK || len(o.attempts) != maxAttempts+1 {
		t.Fatalf("a refusal after the acceptance was kept: %d attempts, last %+v", len(o.attempts), last)
	}
}
