package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveAgency runs the command in-process on a loopback port and returns
// its base URL, its log and a function that stops it (and returns run's
// error).
func serveAgency(t *testing.T, data string, args ...string) (string, *logBuffer, func() error) {
	t.Helper()
	logs := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	onListen = func(u string) { ready <- u }
	t.Cleanup(func() { onListen = nil })
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-data", data, "-addr", "127.0.0.1:0", "-slots", "8", "-revocation-depth", "6"}, args...),
			io.Discard, logs, nil)
	}()
	var stopped bool
	var runErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	select {
	case u := <-ready:
		return u, logs, stop
	case err := <-done:
		stopped, runErr = true, err
		cancel()
		t.Fatalf("issuer exited: %v\n%s", err, logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("issuer did not start:\n%s", logs)
	}
	return "", nil, nil
}

// TestOps: /healthz, /readyz, /metrics; a refusal is one info line with
// code and request id; a second issuer on the same -data is told another
// one uses it; SIGINT-like shutdown returns cleanly and releases the data
// directory.
func TestOps(t *testing.T) {
	data := filepath.Join(t.TempDir(), "agency")
	base, logs, stop := serveAgency(t, data)
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != want {
			t.Errorf("%s: %d %q", path, res.StatusCode, b)
		}
	}
	req, _ := http.NewRequest("POST", base+"/token", strings.NewReader("grant_type=nope"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", "issuer-ops-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Request-Id") != "issuer-ops-1" {
		t.Errorf("bad grant: %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	var refused []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "request refused") {
			refused = append(refused, l)
		}
	}
	if len(refused) != 1 || !strings.Contains(refused[0], "level=INFO") || !strings.Contains(refused[0], "code=unsupported_grant_type") ||
		!strings.Contains(refused[0], "request_id=issuer-ops-1") {
		t.Errorf("refusal lines %q", refused)
	}
	res, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`zkcred_issuer_requests_total{code="unsupported_grant_type",endpoint="token",outcome="refused"} 1`,
		`zkcred_issuer_store_errors_total 0`,
		`zkcred_http_requests_total{code="400",method="post"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// The back office's error is the issuer's message, not its JSON.
	err = runOffer(context.Background(), []string{"-issuer", base, "-data", data, "-record", "nobody"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "POST /admin/offers: 404 Not Found: ") || strings.Contains(err.Error(), `{"error"`) {
		t.Errorf("offer for an unknown record: %v", err)
	}

	// A second issuer on the same data directory.
	var errOut bytes.Buffer
	err = run(context.Background(), []string{"-data", data, "-addr", "127.0.0.1:0", "-slots", "8", "-revocation-depth", "6"}, io.Discard, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "another issuer is using "+data) {
		t.Errorf("second issuer on %s: %v", data, err)
	}

	if err := stop(); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), "shutting down") || !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no shutdown lines:\n%s", logs)
	}
	// Stopped, it released the directory: another issuer starts on it.
	_, _, stop2 := serveAgency(t, data)
	if err := stop2(); err != nil {
		t.Errorf("restart: %v", err)
	}
}

// TestEnvAndHelp: ZKCRED_* variables set flags, the command line wins, and
// -help names the variables; missing -data says what it is.
func TestEnvAndHelp(t *testing.T) {
	env := map[string]string{"ZKCRED_DATA": "/srv/agency", "ZKCRED_ADDR": "127.0.0.1:9", "ZKCRED_LOG_FORMAT": "json"}
	old := getenv
	getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { getenv = old })
	o, err := parseFlags([]string{"-addr", "127.0.0.1:7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.data != "/srv/agency" || o.addr != "127.0.0.1:7" || o.LogFormat != "json" {
		t.Errorf("options %+v", o)
	}
	var help bytes.Buffer
	parseFlags([]string{"-help"}, &help)
	for _, want := range []string{"(env ZKCRED_DATA)", "(env ZKCRED_TLS_CERT)", "(env ZKCRED_LOG_LEVEL)", "/readyz"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-help lacks %q", want)
		}
	}
	getenv = func(string) string { return "" }
	if _, err := parseFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "missing -data DIR") {
		t.Errorf("no -data: %v", err)
	}
	if _, err := parseFlags([]string{"-data", "d", "-tls-cert", "c.pem"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-tls-key") {
		t.Errorf("-tls-cert alone: %v", err)
	}
}
