package serve

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNeedsInsecureLocal(t *testing.T) {
	for u, wantErr := range map[string]bool{
		"http://127.0.0.1:8081":    true,
		"https://localhost:8443/x": true,
		"http://192.168.1.10":      true,
		"https://[::1]:8443":       true,
		"http://agency.example":    true,
		"https://agency.example":   false,
		"openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A8081%2Foffers%2Fx": true,
		"openid4vp://?client_id=x&request_uri=https%3A%2F%2Fshop.example%2Fr":                        false,
		"::not a url": false,
	} {
		err := NeedsInsecureLocal("-issuer", u)
		if (err != nil) != wantErr {
			t.Errorf("%s: %v", u, err)
		}
		if err != nil && !strings.Contains(err.Error(), "-insecure-local for a development setup on this machine") {
			t.Errorf("%s: %v does not say what to do", u, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	a := fs.String("log-level", "info", "")
	b := fs.String("addr", "", "")
	n := fs.Int("n", 0, "")
	if err := fs.Parse([]string{"-addr", "cli"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ZKCRED_LOG_LEVEL": "debug", "ZKCRED_ADDR": "env", "ZKCRED_N": "7"}
	names, err := FromEnvNames(fs, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if *a != "debug" || *b != "cli" || *n != 7 {
		t.Errorf("got %q %q %d", *a, *b, *n)
	}
	if strings.Join(names, ",") != "ZKCRED_LOG_LEVEL,ZKCRED_N" {
		t.Errorf("applied %v", names)
	}
	fs = flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Int("n", 0, "")
	env["ZKCRED_N"] = "seven"
	if err := FromEnv(fs, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "ZKCRED_N") || strings.Contains(err.Error(), "seven") {
		t.Errorf("bad ZKCRED_N: %v", err)
	}
}

func TestHandler(t *testing.T) {
	var seen string
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get(RequestIDHeader) })
	down := errors.New("store down")
	var readyErr error
	h := Handler(app, Ops{Ready: func(context.Context) error { return readyErr }, Registry: NewRegistry()})
	get := func(path, id string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if id != "" {
			r.Header.Set(RequestIDHeader, id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := get("/readyz", ""); w.Code != 200 {
		t.Errorf("/readyz: %d", w.Code)
	}
	readyErr = down
	if w := get("/readyz", ""); w.Code != 503 || strings.Contains(w.Body.String(), "store down") {
		t.Errorf("/readyz down: %d %q", w.Code, w.Body)
	}
	w := get("/x", "abc-1")
	if seen != "abc-1" || w.Header().Get(RequestIDHeader) != "abc-1" {
		t.Errorf("request id %q / %q", seen, w.Header().Get(RequestIDHeader))
	}
	get("/x", "bad id with spaces")
	if !ValidRequestID(seen) || seen == "bad id with spaces" {
		t.Errorf("malformed request id kept: %q", seen)
	}
	w = get("/metrics", "")
	body, _ := io.ReadAll(w.Body)
	if w.Code != 200 || !strings.Contains(string(body), `zkcred_http_requests_total{code="200",method="get"} 2`) {
		t.Errorf("/metrics: %d\n%s", w.Code, body)
	}
}

// TestMetricsAddr: with -metrics-addr, /metrics (and health) are served
// on that address and /metrics leaves the main one; shutdown stops both.
func TestMetricsAddr(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opsAddr := free.Addr().String()
	free.Close()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "app", http.StatusNotFound) })
	srv := &http.Server{Handler: Handler(app, Ops{Registry: NewRegistry()})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Common{MetricsAddr: opsAddr, ShutdownTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, srv, ln, slog.New(slog.DiscardHandler)) }()
	get := func(u string) (int, string) {
		for i := 0; ; i++ {
			res, err := http.Get(u)
			if err != nil {
				if i < 50 {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(b)
		}
	}
	if st, body := get("http://" + ln.Addr().String() + "/metrics"); st != http.StatusNotFound || !strings.Contains(body, "app") {
		t.Errorf("main /metrics: %d %q, want the app's 404", st, body)
	}
	if st, body := get("http://" + opsAddr + "/metrics"); st != 200 || !strings.Contains(body, "zkcred_http_requests_total") {
		t.Errorf("-metrics-addr /metrics: %d", st)
	}
	if st, _ := get("http://" + opsAddr + "/readyz"); st != 200 {
		t.Errorf("-metrics-addr /readyz: %d", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + opsAddr + "/healthz"); err == nil {
		t.Error("the operations address still answers after shutdown")
	}
}
