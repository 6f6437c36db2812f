package did

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

func TestWebURLMapping(t *testing.T) {
	b, err := os.ReadFile("../testdata/did/did-web-url-mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Mappings []struct{ DID, URL string } `json:"mappings"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Mappings) == 0 {
		t.Fatal(err)
	}
	for _, m := range v.Mappings {
		got, err := WebDocumentURL(m.DID)
		if err != nil || got != m.URL {
			t.Errorf("WebDocumentURL(%s) = %q, %v; want %q", m.DID, got, err, m.URL)
		}
	}
	// "did:web:example.com:3000": the unencoded colon is a path, not a port.
	if got, _ := WebDocumentURL("did:web:example.com:3000"); got != "https://example.com/3000/did.json" {
		t.Errorf("got %s", got)
	}
	// "did:web:127.0.0.1": IP addresses MUST NOT be used.
	if _, err := webResolverFor(t, nil, nil).Resolve(context.Background(), "did:web:127.0.0.1"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("IP literal: %v", err)
	}
}

func TestWebInvalidDIDs(t *testing.T) {
	for _, did := range []string{
		"did:web:example.com%3A0",                     // port 0
		"did:web:example.com%3A65536",                 // port out of range
		"did:web:example.com%3A080",                   // leading zero
		"did:web:example.com%3Aabc",                   // not a number
		"did:web:example.com%3A",                      // empty port
		"did:web:exa%41mple.com",                      // other percent-encoding in the host
		"did:web:-example.com",                        // bad label
		"did:web:example..com",                        // empty label
		"did:web:example.com::alice",                  // empty path segment
		"did:web:example.com:..:alice",                // traversal
		"did:web:example.com:.",                       // dot segment
		"did:key:example.com",                         // other method
		"did:web:" + strings.Repeat("a", 64) + ".com", // label too long
	} {
		if _, err := WebDocumentURL(did); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("%s: %v", did, err)
		}
	}
}

func TestNewWeb(t *testing.T) {
	for _, tc := range []struct {
		host  string
		path  []string
		did   string
		path2 string
	}{
		{"example.com", nil, "did:web:example.com", "/.well-known/did.json"},
		{"Example.com:3000", []string{"user", "alice"}, "did:web:example.com%3A3000:user:alice", "/user/alice/did.json"},
		{"example.com", []string{"a b"}, "did:web:example.com:a%20b", "/a%20b/did.json"},
	} {
		did, err := NewWeb(tc.host, tc.path...)
		if err != nil || did != tc.did {
			t.Errorf("NewWeb(%q, %q) = %q, %v", tc.host, tc.path, did, err)
			continue
		}
		if p, err := WebDocumentPath(did); err != nil || p != tc.path2 {
			t.Errorf("WebDocumentPath(%s) = %q, %v", did, p, err)
		}
	}
	for _, host := range []string{"", "exa_mple.com", "example.com:0", "example.com:x"} {
		if _, err := NewWeb(host); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("NewWeb(%q): %v", host, err)
		}
	}
	if _, err := NewWeb("example.com", ".."); !errors.Is(err, ErrInvalidDID) {
		t.Error("..")
	}
}

func TestCheckAddr(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "255.255.255.255", "224.0.0.1", "::1", "::", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "2001:db8::1",
		"::7f00:1", "::a00:1", // IPv4-compatible (deprecated) 127.0.0.1, 10.0.0.1
		"2002:7f00:1::1", "2002:c0a8:101::1", // 6to4 carrying 127.0.0.1, 192.168.1.1
	} {
		if err := checkAddr(netip.MustParseAddr(s)); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "93.184.216.34", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"} {
		if err := checkAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	for _, s := range []string{"localhost", "a.localhost", "intranet", "127.0.0.1", "1.2.3.4", "example.123", "LOCALHOST."} {
		if !isLocalHost(s) {
			t.Errorf("%s not local", s)
		}
	}
	if isLocalHost("example.com") || isLocalHost("1x.example") {
		t.Error("public name taken as local")
	}
}

// webDoc returns a valid document for did.
func webDoc(t *testing.T, did string) *Document {
	t.Helper()
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	vm, err := NewMultikeyMethod(did+"#key-1", did, pub)
	if err != nil {
		t.Fatal(err)
	}
	doc := &Document{Context: []any{ContextDIDv1, ContextMultikey}, ID: did}
	doc.AddVerificationMethod(vm, AssertionMethod, Authentication)
	return doc
}

// webServer starts a TLS server; the handler gets each request.
func webServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// pinnedClient returns srv's client with a dialer that connects every
// name to srv, as a DNS answer pointing at the server would.
func pinnedClient(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	tr := c.Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	c.Transport = tr
	return &c
}

func webResolverFor(t *testing.T, cfg *WebConfig, client *http.Client) *WebResolver {
	t.Helper()
	var c WebConfig
	if cfg != nil {
		c = *cfg
	}
	if client != nil {
		c.Client = client
	}
	r, err := NewWebResolver(&c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The httptest certificate is valid for example.com.
const webDID = "did:web:example.com:issuers:agency"

func serveDoc(t *testing.T, doc *Document) http.HandlerFunc {
	h, err := DocumentHandler(doc)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/issuers/agency/did.json" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}
}

func TestWebResolve(t *testing.T) {
	srv := webServer(t, serveDoc(t, webDoc(t, webDID)))
	r := webResolverFor(t, &WebConfig{AllowPrivateAddresses: true}, pinnedClient(srv))
	res, err := r.Resolve(context.Background(), webDID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Document.ID != webDID {
		t.Fatal(res.Document.ID)
	}
	vm, _, err := ResolveVerificationMethod(context.Background(), r, webDID+"#key-1", AssertionMethod)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vm.PublicKey(); err != nil {
		t.Fatal(err)
	}
	// Unknown path: notFound.
	_, err = r.Resolve(context.Background(), "did:web:example.com:nobody")
	var re *ResolutionError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &re) || re.Code != CodeNotFound {
		t.Fatalf("got %v", err)
	}
}

// A DNS name that leads to a loopback address is refused when connecting,
// whatever dialer the caller's transport uses.
func TestWebRefusesPrivateAddressAtConnect(t *testing.T) {
	var hits int
	srv := webServer(t, func(w http.ResponseWriter, r *http.Request) { hits++; serveDoc(t, webDoc(t, webDID))(w, r) })
	_, err := webResolverFor(t, nil, pinnedClient(srv)).Resolve(context.Background(), webDID)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v", err)
	}
	// With the default dialer the check runs before connecting
	// (localhost allowed by name, not by address).
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	did := fmt.Sprintf("did:web:localhost%%3A%d:issuers:agency", port)
	_, err = webResolverFor(t, &WebConfig{AllowLocalHosts: true}, srv.Client()).Resolve(context.Background(), did)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v", err)
	}
	// Names are refused before any lookup.
	for _, d := range []string{"did:web:localhost", "did:web:127.0.0.1%3A8443", "did:web:intranet"} {
		if _, err := webResolverFor(t, nil, nil).Resolve(context.Background(), d); !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("%s: got %v", d, err)
		}
	}
	if hits != 0 {
		t.Fatalf("server reached %d times", hits)
	}
	// Explicitly allowed: it works.
	did = fmt.Sprintf("did:web:127.0.0.1%%3A%d:issuers:agency", port)
	srv.Config.Handler = serveDoc(t, webDoc(t, did))
	if _, err := webResolverFor(t, &WebConfig{AllowLocalHosts: true, AllowPrivateAddresses: true}, srv.Client()).Resolve(context.Background(), did); err != nil {
		t.Fatal(err)
	}
}

func TestWebRejects(t *testing.T) {
	ok := serveDoc(t, webDoc(t, webDID))
	for _, tc := range []struct {
		name string
		cfg  WebConfig
		h    http.HandlerFunc
		want error
	}{
		{"id mismatch", WebConfig{}, serveDoc(t, webDoc(t, "did:web:example.com:issuers:other")), ErrInvalidDocument},
		{"relative method id", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			d := webDoc(t, webDID)
			d.VerificationMethod[0].ID = "#key-1"
			d.AssertionMethod[0].ID = "#key-1"
			d.Authentication = nil
			serveDoc(t, d)(w, r)
		}, ErrInvalidDocument},
		{"invalid document", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			fmt.Fprintf(w, `{"id":%q,"id":%q}`, webDID, webDID)
		}, ErrInvalidDocument},
		{"server error", WebConfig{}, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", 500) }, ErrFetch},
		{"gone", WebConfig{}, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusGone) }, ErrNotFound},
		{"html", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>"))
		}, ErrRepresentationNotSupported},
		{"too large (Content-Length)", WebConfig{MaxBodyBytes: 100}, ok, ErrDocumentTooLarge},
		{"too large (chunked)", WebConfig{MaxBodyBytes: 100}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			for range 20 {
				w.Write([]byte("          "))
				w.(http.Flusher).Flush()
			}
		}, ErrDocumentTooLarge},
		{"timeout", WebConfig{Timeout: 50 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, ErrFetch},
		{"redirect to another host", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example/issuers/agency/did.json", http.StatusFound)
		}, ErrFetch},
		{"redirect to http", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.com/issuers/agency/did.json", http.StatusFound)
		}, ErrFetch},
		{"redirect loop", WebConfig{}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, ErrFetch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := webServer(t, tc.h)
			tc.cfg.AllowPrivateAddresses = true
			res, err := webResolverFor(t, &tc.cfg, pinnedClient(srv)).Resolve(context.Background(), webDID)
			if !errors.Is(err, tc.want) || res.Document != nil || res.ResolutionMetadata.Error == "" {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWebRedirectSameHost(t *testing.T) {
	ok := serveDoc(t, webDoc(t, webDID))
	srv := webServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/issuers/agency/did.json" && r.URL.RawQuery == "" {
			http.Redirect(w, r, "/issuers/agency/did.json?v=2", http.StatusMovedPermanently)
			return
		}
		ok(w, r)
	})
	if _, err := webResolverFor(t, &WebConfig{AllowPrivateAddresses: true}, pinnedClient(srv)).Resolve(context.Background(), webDID); err != nil {
		t.Fatal(err)
	}
}

func TestWebHTTPOnlyWhenAllowed(t *testing.T) {
	srv := httptest.NewServer(serveDoc(t, webDoc(t, webDID)))
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}}}
	if _, err := webResolverFor(t, &WebConfig{AllowPrivateAddresses: true}, c).Resolve(context.Background(), webDID); !errors.Is(err, ErrFetch) {
		t.Fatalf("https against a plain server: %v", err)
	}
	if _, err := webResolverFor(t, &WebConfig{AllowPrivateAddresses: true, AllowHTTP: true}, c).Resolve(context.Background(), webDID); err != nil {
		t.Fatal(err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestWebCustomTransport(t *testing.T) {
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no") })
	if _, err := NewWebResolver(&WebConfig{Client: &http.Client{Transport: rt}}); err == nil {
		t.Fatal("unverifiable transport accepted")
	}
	if _, err := NewWebResolver(&WebConfig{Client: &http.Client{Transport: rt}, AllowPrivateAddresses: true}); err != nil {
		t.Fatal(err)
	}
}

func TestDocumentHandler(t *testing.T) {
	h, err := DocumentHandler(webDoc(t, webDID))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/.well-known/did.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatal(rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/did.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/did+json" {
		t.Fatal(rec.Code)
	}
	if _, err := ParseDocument(rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	if _, err := DocumentHandler(&Document{ID: "nope"}); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	if _, err := DocumentHandler(nil); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
}
