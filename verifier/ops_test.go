package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zkcred/zkcred/did/fetch"
)

// flakyStore is a Store whose every call fails with a store error while
// down is set, as a PostgreSQL store does when its server is unreachable.
type flakyStore struct {
	Store
	down atomic.Bool
}

func (s *flakyStore) fail() error {
	if s.down.Load() {
		return storeErr("postgres", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	}
	return nil
}

func (s *flakyStore) CreateRequest(ctx context.Context, r *StoredRequest) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.CreateRequest(ctx, r)
}

func (s *flakyStore) GetRequest(ctx context.Context, id string) (*StoredRequest, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetRequest(ctx, id)
}

func (s *flakyStore) RootFloor(ctx context.Context, issuer string) (uint64, error) {
	if err := s.fail(); err != nil {
		return 0, err
	}
	return s.Store.RootFloor(ctx, issuer)
}

// opsVerifier is e's verifier with metrics in reg and info-level logs in
// logs.
func opsVerifier(t *testing.T, e *env, store Store, reg prometheus.Registerer, logs *syncBuffer) *Verifier {
	t.Helper()
	cfg := e.v.cfg
	cfg.Store, cfg.Metrics = store, reg
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func logLines(logs *syncBuffer, substr string) []string {
	var out []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// TestStoreUnreachable: with the store down, Ready fails with ErrStore, a
// request gets 503 unavailable, each failure is an error line in the log
// and a store error in the metrics; back up, Ready succeeds.
func TestStoreUnreachable(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	e := newEnv(t, newBolt(t), agency)
	store := &flakyStore{Store: newBolt(t)}
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	v := opsVerifier(t, e, store, reg, logs)
	ctx := context.Background()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready with the store up: %v", err)
	}
	store.down.Store(true)
	if err := v.Ready(ctx); !errors.Is(err, ErrStore) {
		t.Fatalf("Ready with the store down: %v, want ErrStore", err)
	}
	policy, _ := json.Marshal(votePolicy(agency.did))
	res := do(t, v.Handler(), "POST", "/requests", "application/json", policy)
	wantError(t, res, http.StatusServiceUnavailable, CodeUnavailable)
	if strings.Contains(string(res.body), "connection refused") {
		t.Errorf("store detail reached the client: %s", res.body)
	}
	errLines := logLines(logs, "level=ERROR")
	if len(errLines) != 2 || !strings.Contains(errLines[0], "connection refused") ||
		!strings.Contains(errLines[1], "code=unavailable") || !strings.Contains(errLines[1], "request_id=") {
		t.Errorf("error lines: %q", errLines)
	}
	if got := testutil.ToFloat64(v.metrics.storeErrors); got != 2 {
		t.Errorf("store errors %v, want 2", got)
	}
	if got := testutil.ToFloat64(v.metrics.requests.WithLabelValues("create_request", "error", CodeUnavailable)); got != 1 {
		t.Errorf("requests{create_request,error,unavailable} = %v, want 1", got)
	}
	store.down.Store(false)
	if err := v.Ready(ctx); err != nil {
		t.Errorf("Ready with the store back: %v", err)
	}
	// The metrics are gathered from the registry under their names.
	n, err := testutil.GatherAndCount(reg, "zkcred_verifier_store_errors_total", "zkcred_verifier_requests_total")
	if err != nil || n != 2 {
		t.Errorf("gathered %d series (%v), want 2", n, err)
	}
}

// TestIssuerUnreachable: a presentation refused because the issuer's
// revocation root could not be fetched is a warn line, so the operator
// sees the agency is down.
func TestIssuerUnreachable(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	e := newEnv(t, newBolt(t), agency)
	logs := &syncBuffer{}
	v := opsVerifier(t, e, newBolt(t), nil, logs)
	cfg := v.cfg
	cfg.Roots = RootSourceFunc(func(ctx context.Context, issuer string) (string, error) {
		return "", fmt.Errorf("%w: dial tcp 127.0.0.1:8081: connect: connection refused", fetch.ErrFetch)
	})
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := v.Handler()
	alice := agency.issue(t, aliceData)
	req := createRequest(t, h, votePolicy(agency.did))
	res := present(h, req.ID, alice.prove(t, req))
	if res.status < 400 {
		t.Fatalf("accepted without a root: %d", res.status)
	}
	warn := logLines(logs, "level=WARN")
	if len(warn) != 1 || !strings.Contains(warn[0], "did not answer") || !strings.Contains(warn[0], "connection refused") {
		t.Errorf("warn lines %q", warn)
	}
}

// TestRefusalLogged: a refusal is one info line with its code and request
// id, and no attribute value or proof; an accepted presentation is timed
// and counted.
func TestRefusalLogged(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	e := newEnv(t, newBolt(t), agency)
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	v := opsVerifier(t, e, newBolt(t), reg, logs)
	h := v.Handler()
	alice := agency.issue(t, aliceData)
	req := createRequest(t, h, votePolicy(agency.did))
	sub := alice.prove(t, req)
	if res := present(h, req.ID, sub); res.status != http.StatusOK {
		t.Fatalf("honest presentation: %d %s", res.status, res.body)
	}
	r := httptest.NewRequest("POST", "/requests/"+req.ID+"/presentations", bytes.NewReader(sub))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Request-Id", "req-42")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusConflict {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	refused := logLines(logs, "verifier: request refused")
	if len(refused) != 1 {
		t.Fatalf("refusal lines: %q", refused)
	}
	l := refused[0]
	if !strings.Contains(l, "level=INFO") || !strings.Contains(l, "code=replay") || !strings.Contains(l, "request_id=req-42") {
		t.Errorf("refusal line %q: want level INFO, code replay, request_id req-42", l)
	}
	for _, secret := range []string{"2008-02-29", "2015-06-01", string(sub[len(sub)/2 : len(sub)/2+24])} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q:\n%s", secret, logs.String())
		}
	}
	if got := testutil.ToFloat64(v.metrics.requests.WithLabelValues("presentation", "refused", CodeReplay)); got != 1 {
		t.Errorf("refused replays counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(v.metrics.requests.WithLabelValues("presentation", "ok", "")); got != 1 {
		t.Errorf("accepted presentations counted %v, want 1", got)
	}
	if n := testutil.CollectAndCount(v.metrics.verifyTime); n != 2 {
		t.Errorf("verification histograms: %d series, want 2 (accepted, refused)", n)
	}
	// A second verifier registering the same metrics is refused.
	cfg := v.cfg
	cfg.Metrics = reg
	if _, err := New(cfg); err == nil {
		t.Error("New registered the metrics twice")
	}
}
