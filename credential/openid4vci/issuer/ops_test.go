package issuer

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsAndMetrics: a wrong PIN is one info line with its code and
// request id and without the PIN; an issuance is counted and timed; Ready
// answers while the store is open and fails (error line, store error)
// once it is closed.
func TestLogsAndMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	logs := &lockedBuffer{}
	e := newEnv(t, nil, func(c *Config) {
		c.Metrics = reg
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	ctx := context.Background()
	o, s := e.session(t, "citizen-1")
	wrong := "000000"
	if o.TxCode == wrong {
		wrong = "111111"
	}
	if err := e.wallet.Redeem(ctx, s, wrong); err == nil {
		t.Fatal("wrong PIN accepted")
	}
	var refused []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "request refused") {
			refused = append(refused, l)
		}
	}
	if len(refused) != 1 || !strings.Contains(refused[0], "level=INFO") || !strings.Contains(refused[0], "code=invalid_grant") ||
		!strings.Contains(refused[0], "request_id=") {
		t.Fatalf("refusal lines %q: want one info line with code invalid_grant and a request id", refused)
	}
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wallet.RequestCredential(ctx, s, newSecret(t)); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{wrong, o.TxCode, "1990-05-17"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	m := e.is.metrics
	for _, c := range []struct {
		endpoint, outcome, code string
		want                    float64
	}{
		{"token", "refused", "invalid_grant", 1},
		{"token", "ok", "", 1},
		{"credential", "ok", "", 1},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(c.endpoint, c.outcome, c.code)); got != c.want {
			t.Errorf("requests{%s,%s,%s} = %v, want %v", c.endpoint, c.outcome, c.code, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.issueTime); n != 1 {
		t.Errorf("issuance histogram series %d, want 1", n)
	}
	if err := e.is.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	e.is.db.Close()
	if err := e.is.Ready(ctx); err == nil || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("Ready on a closed store: %v\n%s", err, logs)
	}
	// A request that needs the store now fails: counted as a store error.
	r, err := e.fetch.Post(ctx, e.url+openid4vci.PathToken, "application/x-www-form-urlencoded",
		[]byte("grant_type="+openid4vci.GrantPreAuthorizedCode+"&pre-authorized_code=x&tx_code=1"), "")
	if err != nil || r.StatusCode != http.StatusInternalServerError {
		t.Fatalf("token with the store closed: %+v %v", r, err)
	}
	if got := testutil.ToFloat64(m.storeErrors); got != 2 {
		t.Errorf("store errors %v, want 2", got)
	}
}
