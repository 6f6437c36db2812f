//go:build !js

// The native policy (dialer hook, redirects, loopback test servers): under
// Node.js, GOOS=js has no Fetch API transport to test (net/http refuses the
// js.fetch:* options as header names), so these run natively only.

package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckAddr(t *testing.T) {
	for _, s := range []string{
		// IPv4 special-purpose ranges (RFC 6890).
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "100.127.255.254", "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.1",
		"203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		// IPv6 special-purpose ranges.
		"::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "fec0::1", "ff02::1", "2001:db8::1", "100::1", "2001::1", "3fff::1", "5f00::1",
		// IPv4 inside IPv6: mapped, compatible (deprecated), NAT64, 6to4.
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::7f00:1", "::a00:1", "::ffff:0:7f00:1",
		"64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:c0a8:101::1", "2002:a9fe:a9fe::1",
	} {
		if err := CheckAddr(netip.MustParseAddr(s)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "93.184.216.34", "100.128.0.1", "172.32.0.1", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8"} {
		if err := CheckAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	if err := CheckAddr(netip.Addr{}); !errors.Is(err, ErrForbiddenAddress) {
		t.Error("zero Addr allowed")
	}
}

func newClient(t *testing.T, cfg *Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestCallerTransportHooksUnused: a caller's transport with DialTLS,
// DialTLSContext, DialContext and Proxy all pointing at loopback hands
// over its TLS settings only; none of its hooks runs and the loopback
// server is not reached.
func TestCallerTransportHooksUnused(t *testing.T) {
	var hits, hooks atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		hooks.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	hostile := srv.Client().Transport.(*http.Transport).Clone()
	hostile.DialContext = dial
	hostile.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return tls.Client(c, &tls.Config{InsecureSkipVerify: true}), nil
	}
	hostile.DialTLS = func(network, addr string) (net.Conn, error) {
		return hostile.DialTLSContext(context.Background(), network, addr)
	}
	hostile.Proxy = func(*http.Request) (*url.URL, error) { hooks.Add(1); return url.Parse(srv.URL) }
	c := newClient(t, &Config{TLSConfig: hostile.TLSClientConfig})
	// 127.0.0.1 is the server's own address; the policy refuses it.
	if _, err := c.Get(context.Background(), srv.URL, ""); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v", err)
	}
	// The only routing the API offers, DialAddrs, is under the same policy.
	c = newClient(t, &Config{TLSConfig: hostile.TLSClientConfig, DialAddrs: map[string]string{"example.com:443": srv.Listener.Addr().String()}})
	if _, err := c.Get(context.Background(), "https://example.com/", ""); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("DialAddrs: got %v", err)
	}
	// The environment's proxy is not used either.
	t.Setenv("HTTPS_PROXY", srv.URL)
	t.Setenv("HTTP_PROXY", srv.URL)
	if _, err := c.Get(context.Background(), "https://example.com/", ""); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("proxy: got %v", err)
	}
	if hits.Load() != 0 || hooks.Load() != 0 {
		t.Fatalf("server reached %d times, caller hooks run %d times", hits.Load(), hooks.Load())
	}
	// Explicitly allowed, the same client reaches it with the caller's roots.
	c = newClient(t, &Config{TLSConfig: hostile.TLSClientConfig, DialAddrs: map[string]string{"example.com:443": srv.Listener.Addr().String()}, InsecureAllowPrivateAddresses: true})
	if r, err := c.Get(context.Background(), "https://example.com/", ""); err != nil || r.StatusCode != 200 {
		t.Fatalf("allowed: %v", err)
	}
}

func TestPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		h    http.HandlerFunc
		url  string // "" is the server's URL
		want []error
	}{
		{"redirect to link-local", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		}, "", []error{ErrRedirect}},
		{"redirect to another host", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://other.example/", http.StatusFound)
		}, "", []error{ErrRedirect}},
		{"redirect to another port", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://example.com:444/", http.StatusFound)
		}, "", []error{ErrRedirect}},
		{"redirect to http", Config{InsecureAllowHTTP: true}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.com/", http.StatusFound)
		}, "", []error{ErrRedirect}},
		{"redirect loop", Config{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/", http.StatusFound)
		}, "", []error{ErrRedirect}},
		{"slow-drip body", Config{Timeout: 200 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			for {
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}, "", []error{ErrFetch, context.DeadlineExceeded}},
		{"slow headers", Config{Timeout: 200 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, "", []error{ErrFetch, context.DeadlineExceeded}},
		{"oversize body, chunked", Config{MaxBytes: 100}, func(w http.ResponseWriter, r *http.Request) {
			for range 11 {
				w.Write([]byte("0123456789"))
				w.(http.Flusher).Flush()
			}
		}, "", []error{ErrTooLarge}},
		{"oversize body, Content-Length", Config{MaxBytes: 100}, func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("x", 101)))
		}, "", []error{ErrTooLarge}},
		{"plain http", Config{}, nil, "http://example.com/", []error{ErrInvalidURL}},
		{"user information", Config{}, nil, "https://u:p@example.com/", []error{ErrInvalidURL}},
		{"no host", Config{}, nil, "https:///x", []error{ErrInvalidURL}},
		{"relative", Config{}, nil, "/x", []error{ErrInvalidURL}},
		{"file", Config{}, nil, "file:///etc/passwd", []error{ErrInvalidURL}},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				testPolicy(t, method, tc.cfg, tc.h, tc.url, tc.want)
			})
		}
	}
}

// testPolicy fetches u ("" is the test server's URL) with method under
// cfg and checks that the error wraps every one of want.
func testPolicy(t *testing.T, method string, cfg Config, h http.HandlerFunc, u string, want []error) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		// Read the body first: net/http notices a client gone (and ends
		// r.Context) only once the body is consumed.
		io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	defer srv.Close()
	cfg.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	cfg.DialAddrs = map[string]string{"example.com:443": srv.Listener.Addr().String()}
	cfg.InsecureAllowPrivateAddresses = true // the test server is on loopback
	if u == "" {
		u = "https://example.com/"
	}
	start := time.Now()
	c := newClient(t, &cfg)
	var r *Response
	var err error
	if method == http.MethodPost {
		r, err = c.Post(context.Background(), u, "application/json", []byte("{}"), "")
	} else {
		r, err = c.Get(context.Background(), u, "")
	}
	for _, w := range want {
		if !errors.Is(err, w) || r != nil {
			t.Fatalf("got %v, want %v", err, w)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	if h == nil && hits.Load() != 0 {
		t.Fatal("server reached")
	}
}

func TestGet(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		if r.URL.Path != "/new" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(r.Header.Get("Accept")))
	}))
	defer srv.Close()
	c := newClient(t, &Config{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, InsecureAllowPrivateAddresses: true, MaxBytes: 10})
	r, err := c.Get(context.Background(), srv.URL+"/old", "a/b")
	if err != nil || r.StatusCode != 200 || string(r.Body) != "a/b" || r.URL != srv.URL+"/new" {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = c.Get(context.Background(), srv.URL+"/none", "")
	if err != nil || r.StatusCode != 404 || r.Body != nil {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := New(&Config{DialAddrs: map[string]string{"example.com:443": "localhost:1"}}); !errors.Is(err, ErrInvalidURL) {
		t.Fatalf("DialAddrs to a name: %v", err)
	}
}

func TestPost(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/old":
			// 307 re-sends the body, to the same host.
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
		case "/new":
			if r.Method != http.MethodPost {
				http.Error(w, "not a POST", http.StatusMethodNotAllowed)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "%s|%s|%s", r.Header.Get("Content-Type"), r.Header.Get("Accept"), body)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"no"}`))
		}
	}))
	defer srv.Close()
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := newClient(t, &Config{TLSConfig: tlsConf, InsecureAllowPrivateAddresses: true, MaxBytes: 32})
	r, err := c.Post(context.Background(), srv.URL+"/old", "text/x", []byte("hi"), "a/b")
	if err != nil || r.StatusCode != 201 || string(r.Body) != "text/x|a/b|hi" || r.URL != srv.URL+"/new" {
		t.Fatalf("%+v %v", r, err)
	}
	// A refusal's body is read too (Get leaves it nil).
	r, err = c.Post(context.Background(), srv.URL+"/refused", "text/x", nil, "")
	if err != nil || r.StatusCode != 400 || string(r.Body) != `{"error":"no"}` {
		t.Fatalf("%+v %v", r, err)
	}
	// The size limit holds for any status.
	c = newClient(t, &Config{TLSConfig: tlsConf, InsecureAllowPrivateAddresses: true, MaxBytes: 10})
	if r, err := c.Post(context.Background(), srv.URL+"/refused", "text/x", nil, ""); !errors.Is(err, ErrTooLarge) || r != nil {
		t.Fatalf("oversize refusal: %+v %v", r, err)
	}
	// The production policy refuses the loopback server before sending.
	var hits atomic.Int32
	srv2 := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv2.Close()
	c = newClient(t, &Config{TLSConfig: srv2.Client().Transport.(*http.Transport).TLSClientConfig})
	if r, err := c.Post(context.Background(), srv2.URL+"/", "text/x", []byte("x"), ""); !errors.Is(err, ErrForbiddenAddress) || r != nil || hits.Load() != 0 {
		t.Fatalf("loopback: %+v %v (%d hits)", r, err, hits.Load())
	}
	if r, err := c.Post(context.Background(), strings.Replace(srv2.URL, "https", "http", 1), "text/x", nil, ""); !errors.Is(err, ErrInvalidURL) || r != nil {
		t.Fatalf("plain http: %+v %v", r, err)
	}
}

// TestPostAuthorized: the Authorization header reaches the server, also
// after a same-host 307; Post sends none.
func TestPostAuthorized(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
			return
		}
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := newClient(t, &Config{TLSConfig: tlsConf, InsecureAllowPrivateAddresses: true})
	r, err := c.PostAuthorized(context.Background(), srv.URL+"/old", "application/json", []byte("{}"), "", "Bearer abc")
	if err != nil || string(r.Body) != "Bearer abc" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := c.Post(context.Background(), srv.URL+"/new", "application/json", nil, ""); err != nil || len(r.Body) != 0 {
		t.Fatalf("Post sent an Authorization header: %+v %v", r, err)
	}
}

// TestGetLimitedAttackHugeBody: a server answers with a body far above
// what the caller expects (a 64 MiB "tile"), declared or not. GetLimited
// refuses it with ErrTooLarge at the caller's limit, however large the
// client's MaxBytes; a limit can only lower MaxBytes, never raise it.
func TestGetLimitedAttackHugeBody(t *testing.T) {
	var written atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			w.Write(make([]byte, 5000))
			return
		case "/declared":
			w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		}
		junk := make([]byte, 32<<10)
		for range (64 << 20) / len(junk) {
			n, err := w.Write(junk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newClient(t, &Config{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, InsecureAllowPrivateAddresses: true, MaxBytes: 6000})
	ctx := context.Background()
	for _, p := range []string{"/declared", "/undeclared"} {
		if _, err := c.GetLimited(ctx, srv.URL+p, "", 8192); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", p, err)
		}
	}
	if r, err := c.GetLimited(ctx, srv.URL+"/small", "", 5000); err != nil || len(r.Body) != 5000 {
		t.Fatalf("a body at the limit: %v", err)
	}
	if _, err := c.GetLimited(ctx, srv.URL+"/small", "", 4999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a body over the call's limit: %v", err)
	}
	// A limit above MaxBytes (6000), zero or negative is MaxBytes.
	for _, max := range []int64{0, -1, 6000, 1 << 30} {
		if r, err := c.GetLimited(ctx, srv.URL+"/small", "", max); err != nil || len(r.Body) != 5000 {
			t.Fatalf("limit %d: %v", max, err)
		}
	}
	c2 := newClient(t, &Config{TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig, InsecureAllowPrivateAddresses: true, MaxBytes: 4000})
	if _, err := c2.GetLimited(ctx, srv.URL+"/small", "", 8192); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a limit above MaxBytes raised it: %v", err)
	}
}
