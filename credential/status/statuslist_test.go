package status

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did/fetch"
)

func TestParseEntryRejects(t *testing.T) {
	good := Entry{StatusPurpose: PurposeRevocation, StatusListIndex: "94567", StatusListCredential: "https://example.com/credentials/status/3"}
	mut := func(f func(o *credential.Object)) credential.Object {
		o := good.Object()
		f(&o)
		return o
	}
	for name, o := range map[string]credential.Object{
		"wrong type":      mut(func(o *credential.Object) { o.Type = []string{"StatusList2021Entry"} }),
		"index as number": mut(func(o *credential.Object) { o.Props["statusListIndex"] = 94567 }),
		"index with sign": mut(func(o *credential.Object) { o.Props["statusListIndex"] = "+5" }),
		"missing purpose": mut(func(o *credential.Object) { delete(o.Props, "statusPurpose") }),
		"missing list":    mut(func(o *credential.Object) { delete(o.Props, "statusListCredential") }),
		"id is the list":  mut(func(o *credential.Object) { o.ID = good.StatusListCredential }),
		"statusSize 2":    mut(func(o *credential.Object) { o.Props["statusSize"] = 2 }),
	} {
		if _, err := ParseEntry(o); !errors.Is(err, ErrMalformedList) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestCheckStatusFetchPolicy: the status list URL comes from the
// credential, so CheckStatus fetches it under package fetch's policy.
// Before, it used the caller's *http.Client as given: it reached loopback,
// followed a redirect to 169.254.169.254 and read a slowly dripped body
// without end.
func TestCheckStatusFetchPolicy(t *testing.T) {
	var hits atomic.Int32
	drip := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("e"))
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
				w.Write([]byte("y"))
			}
		}
	}
	for _, tc := range []struct {
		name  string
		tls   bool                                         // an HTTPS server, trusted through TLSConfig
		allow bool                                         // AllowHTTP and AllowPrivateAddresses
		h     func(w http.ResponseWriter, r *http.Request) // nil: never reached
		url   func(base string) string                     // nil: base + "/lists/1"
		entry func(e *Entry)                               // nil: a revocation entry
		cfg   func(c *CheckConfig)                         // nil: as is
		want  []error
	}{
		// Addresses, checked when connecting.
		{name: "https to loopback", tls: true, want: []error{ErrStatusRetrieval, fetch.ErrForbiddenAddress}},
		{name: "http to loopback, only http allowed", cfg: func(c *CheckConfig) { c.AllowHTTP = true }, want: []error{ErrStatusRetrieval, fetch.ErrForbiddenAddress}},
		{name: "localhost name", tls: true, url: func(b string) string { return strings.Replace(b, "127.0.0.1", "localhost", 1) + "/lists/1" }, want: []error{ErrStatusRetrieval, fetch.ErrForbiddenAddress}},
		// Redirects: none to another scheme or host, whatever its address.
		{name: "redirect to link-local metadata", allow: true, h: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		}, want: []error{ErrStatusRetrieval, fetch.ErrRedirect}},
		{name: "redirect to another host", allow: true, h: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://localhost:"+r.URL.Port()+"/lists/1", http.StatusFound)
		}, want: []error{ErrStatusRetrieval, fetch.ErrRedirect}},
		// The deadline covers the body; the size limit is read N+1.
		{name: "slow-drip body", allow: true, h: drip, cfg: func(c *CheckConfig) { c.Timeout = 200 * time.Millisecond },
			want: []error{ErrStatusRetrieval, fetch.ErrFetch, context.DeadlineExceeded}},
		{name: "oversize body", allow: true, h: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("e", 1001)))
		}, cfg: func(c *CheckConfig) { c.MaxBytes = 1000 }, want: []error{ErrStatusRetrieval, fetch.ErrTooLarge}},
		// Refused before any request.
		{name: "plain http", want: []error{ErrStatusRetrieval, fetch.ErrInvalidURL}},
		{name: "file URL", allow: true, url: func(string) string { return "file:///etc/passwd" }, want: []error{ErrStatusRetrieval, fetch.ErrInvalidURL}},
		{name: "user information", tls: true, url: func(b string) string { return strings.Replace(b, "https://", "https://user:pw@", 1) + "/lists/1" }, want: []error{ErrStatusRetrieval, fetch.ErrInvalidURL}},
		{name: "relative URL", allow: true, url: func(string) string { return "/lists/1" }, want: []error{ErrStatusRetrieval, fetch.ErrInvalidURL}},
		{name: "fragment", allow: true, url: func(b string) string { return b + "/lists/1#x" }, want: []error{ErrStatusRetrieval}},
		{name: "unknown purpose", allow: true, entry: func(e *Entry) { e.StatusPurpose = "message" }, want: []error{ErrMalformedList}},
		{name: "entry id is the list", allow: true, entry: func(e *Entry) { e.ID = e.StatusListCredential }, want: []error{ErrMalformedList}},
		{name: "issuer not a DID", allow: true, cfg: func(c *CheckConfig) { c.Issuer = "https://issuer.example" }, want: []error{ErrConfig}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tc.h != nil {
					tc.h(w, r)
				}
			})
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(h)
			} else {
				srv = httptest.NewServer(h)
			}
			defer srv.Close()
			cfg := CheckConfig{Resolver: testResolver(t), Issuer: testIssuer, AllowHTTP: tc.allow, AllowPrivateAddresses: tc.allow}
			if tc.tls {
				cfg.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			e := Entry{StatusPurpose: PurposeRevocation, StatusListIndex: "5", StatusListCredential: srv.URL + "/lists/1"}
			if tc.url != nil {
				e.StatusListCredential = tc.url(srv.URL)
			}
			if tc.entry != nil {
				tc.entry(&e)
			}
			start := time.Now()
			res, err := CheckStatus(context.Background(), cfg, e)
			for _, w := range tc.want {
				if !errors.Is(err, w) || res != nil {
					t.Fatalf("got %v, want %v", err, w)
				}
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
			if tc.h == nil && hits.Load() != 0 {
				t.Fatalf("server reached %d times", hits.Load())
			}
		})
	}
}

// TestCheckConfigTakesNoTransport: besides the DID resolver and the JWT
// verification options, the caller hands CheckStatus TLS settings only.
// An *http.Client (with DialTLS, DialTLSContext, Proxy or any
// RoundTripper) was a way around any address policy; CheckConfig.Client
// was such a field.
func TestCheckConfigTakesNoTransport(t *testing.T) {
	typ := reflect.TypeFor[CheckConfig]()
	for f := range typ.Fields() {
		switch ft := f.Type; {
		case f.Name == "Resolver" || f.Name == "Verify":
		case ft == reflect.TypeFor[*tls.Config]():
		case ft.Kind() == reflect.Func || ft.Kind() == reflect.Interface || ft.Kind() == reflect.Chan || ft.Kind() == reflect.Pointer:
			t.Errorf("CheckConfig.%s (%s) can carry a dialer or transport", f.Name, ft)
		}
	}
}
