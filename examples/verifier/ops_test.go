package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/verifier"
)

// logBuffer collects what the verifier writes to stderr (its log).
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

// startLogged runs the command in-process with the logger its flags ask
// for, writing to the returned buffer.
func startLogged(t *testing.T, args ...string) (string, *logBuffer) {
	t.Helper()
	return startLoggedKeys(t, filepath.Join(t.TempDir(), "keys"), args...)
}

// startLoggedKeys is startLogged with the key directory keys (created by
// -unsafe-setup if empty).
func startLoggedKeys(t *testing.T, keys string, args ...string) (string, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	logs := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-keys", keys, "-unsafe-setup", "-shape", testShape,
			"-issuer", "http://127.0.0.1:1", "-insecure-local", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data")}, args...),
			logs, nil, func(u string) { ready <- u })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("verifier: %v", err)
		}
	})
	select {
	case base := <-ready:
		return base, logs
	case err := <-done:
		t.Fatalf("verifier exited: %v\n%s", err, logs)
	}
	return "", nil
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func lines(s, substr string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// TestOpsEndpoints: /healthz, /readyz and /metrics answer; a refused
// request is one info line (JSON with -log-format json) with its code and
// the request id the client sent, and is counted.
func TestOpsEndpoints(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	base, logs := startLoggedKeys(t, keys, "-store", "bolt:"+filepath.Join(t.TempDir(), "v.db"), "-log-format", "json")
	if st, body := get(t, base+"/healthz"); st != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", st, body)
	}
	if st, body := get(t, base+"/readyz"); st != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", st, body)
	}
	req, _ := http.NewRequest("POST", base+"/requests", strings.NewReader(`{"issuers":`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "ops-test-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Request-Id") != "ops-test-1" {
		t.Fatalf("bad policy: %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	refused := lines(logs.String(), `"msg":"verifier: request refused"`)
	if len(refused) != 1 || !strings.Contains(refused[0], `"level":"INFO"`) || !strings.Contains(refused[0], `"code":"invalid_request"`) ||
		!strings.Contains(refused[0], `"request_id":"ops-test-1"`) {
		t.Errorf("refusal lines %q\nlog:\n%s", refused, logs)
	}
	st, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`zkcred_verifier_requests_total{code="invalid_request",endpoint="create_request",outcome="refused"} 1`,
		`zkcred_verifier_store_errors_total 0`,
		`zkcred_http_requests_total{code="400",method="post"} 1`,
		`go_goroutines `,
	} {
		if st != 200 || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %q", st, want)
		}
	}

	// -tls-cert and -tls-key: the same server over HTTPS.
	cert, key := selfSigned(t)
	tlsBase, _ := startLoggedKeys(t, keys, "-store", "bolt:"+filepath.Join(t.TempDir(), "v.db"), "-tls-cert", cert, "-tls-key", key)
	if !strings.HasPrefix(tlsBase, "https://") {
		t.Fatalf("TLS base URL %s", tlsBase)
	}
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(cert)
	pool.AppendCertsFromPEM(certPEM)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err = cl.Get(tlsBase + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Errorf("/healthz over TLS: %d", res.StatusCode)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestSecondVerifier: a second verifier on the same bolt file is told
// another one uses it.
func TestSecondVerifier(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	s, err := verifier.OpenBolt(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, _, err = openStore(context.Background(), &options{store: "bolt:" + db})
	if err == nil || !strings.Contains(err.Error(), "another verifier is using "+db) {
		t.Errorf("second verifier: %v", err)
	}
}

// TestFlagsFromEnv: a ZKCRED_* variable sets a flag the command line does
// not give; the command line wins; -help names the variables.
func TestFlagsFromEnv(t *testing.T) {
	env := map[string]string{"ZKCRED_KEYS": "/k", "ZKCRED_ISSUER": "https://a.example,https://b.example", "ZKCRED_ADDR": "127.0.0.1:9", "ZKCRED_LOG_LEVEL": "debug"}
	old := getenv
	getenv = func(k string) string { return env[k] }
	t.Cleanup(func() { getenv = old })
	o, err := parseFlags([]string{"-addr", "127.0.0.1:7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.keys != "/k" || len(o.issuers) != 2 || o.addr != "127.0.0.1:7" || o.LogLevel != "debug" {
		t.Errorf("options %+v", o)
	}
	var help bytes.Buffer
	parseFlags([]string{"-help"}, &help)
	for _, want := range []string{"ZKCRED_PG)", "ZKCRED_TLS_CERT)", "ZKCRED_LOG_FORMAT)", "ZKCRED_NAME"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-help lacks %q", want)
		}
	}
	env["ZKCRED_LOG_FORMAT"] = "yaml"
	if _, err := parseFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("bad ZKCRED_LOG_FORMAT: %v", err)
	}
}

// TestNewcomerMessages: a loopback issuer without -insecure-local, and
// missing flags, say what to do.
func TestNewcomerMessages(t *testing.T) {
	_, err := parseFlags([]string{"-keys", "k", "-issuer", "http://127.0.0.1:8081"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "add -insecure-local for a development setup on this machine") {
		t.Errorf("loopback issuer without -insecure-local: %v", err)
	}
	_, err = parseFlags(nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-keys DIR") || !strings.Contains(err.Error(), "-issuer URL") {
		t.Errorf("no flags: %v", err)
	}
}

// TestPostgresUnreachable: with its PostgreSQL server stopped, the
// verifier logs an error line, /readyz answers 503 and the store error is
// counted. It starts its own throwaway server (it stops it), so it skips
// where PostgreSQL's binaries are missing.
func TestPostgresUnreachable(t *testing.T) {
	script, _ := filepath.Abs("../../verifier/testdata/start-postgres.sh")
	dir, err := mkdirPG()
	if err != nil {
		t.Skipf("no directory for PostgreSQL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, script, dir)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Skipf("could not start a throwaway PostgreSQL with %s (%v): %s", script, err, errOut.String())
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			exec.Command(script, "--stop", dir).Run()
		}
	}
	t.Cleanup(stop)
	base, logs := startLogged(t, "-pg", strings.TrimSpace(out.String()))
	if st, _ := get(t, base+"/readyz"); st != 200 {
		t.Fatalf("/readyz with PostgreSQL up: %d\n%s", st, logs)
	}
	stop()
	if st, body := get(t, base+"/readyz"); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz with PostgreSQL stopped: %d %q", st, body)
	}
	t.Logf("log:\n%s", logs)
	if errs := lines(logs.String(), "level=ERROR"); len(errs) == 0 || !strings.Contains(errs[0], "store") {
		t.Errorf("no error line for the stopped store:\n%s", logs)
	}
	// The page's own endpoints: 503 without the store's detail, and an
	// error line.
	if st, body := get(t, base+"/requests/AAAAAAAAAAAAAAAAAAAAAA/outcome"); st != http.StatusServiceUnavailable || strings.Contains(body, "57P01") || strings.Contains(body, "refused") {
		t.Errorf("page outcome with PostgreSQL stopped: %d %q", st, body)
	}
	if len(lines(logs.String(), `level=ERROR msg="verifier: page request failed"`)) != 1 {
		t.Errorf("no error line for the page's request:\n%s", logs)
	}
	if _, metrics := get(t, base+"/metrics"); !strings.Contains(metrics, "zkcred_verifier_store_errors_total 1") {
		t.Errorf("/metrics does not count the store error:\n%s", lines(metrics, "store_errors"))
	}
}

// mkdirPG makes a directory the postgres user can reach (under /tmp, as
// start-postgres.sh asks).
func mkdirPG() (string, error) {
	return os.MkdirTemp("/tmp", "zkcred-verifier-pg-")
}
