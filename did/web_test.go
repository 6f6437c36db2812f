package did

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"reflect"
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
	if _, err := webResolverFor(t, nil).Resolve(context.Background(), "did:web:127.0.0.1"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("IP literal: %v", err)
	}
}

// invalidWebDIDs are refused by Parse, WebDocumentURL and NewWebResolver
// with ErrInvalidDID (did:web §3.1, §3.2.1 "Read").
var invalidWebDIDs = []struct{ reason, did string }{
	// Bad ports.
	{"port 0", "did:web:example.com%3A0"},
	{"port out of range", "did:web:example.com%3A65536"},
	{"port with a leading zero", "did:web:example.com%3A080"},
	{"port not a number", "did:web:example.com%3Aabc"},
	{"empty port", "did:web:example.com%3A"},
	{"lower-case port colon", "did:web:example.com%3a8443"},
	{"two port colons", "did:web:example.com%3A80%3A81"},
	{"signed port", "did:web:example.com%3A+443"},
	// Percent-encoding in the host other than the port colon.
	{"encoded letter in host", "did:web:exa%41mple.com"},
	{"encoded dot in host", "did:web:example%2Ecom"},
	{"encoded slash in host", "did:web:example.com%2Fevil"},
	{"encoded at in host", "did:web:user%40example.com"},
	{"encoded NUL in host", "did:web:example.com%00.evil"},
	// Not a domain name.
	{"leading hyphen", "did:web:-example.com"},
	{"empty label", "did:web:example..com"},
	{"trailing dot", "did:web:example.com."},
	{"underscore in host", "did:web:exa_mple.com"},
	{"label too long", "did:web:" + strings.Repeat("a", 64) + ".com"},
	{"name too long", "did:web:" + strings.Repeat("a.", 127) + "com"},
	// Empty and dot path segments.
	{"empty path segment", "did:web:example.com::alice"},
	{"traversal", "did:web:example.com:..:alice"},
	{"dot segment", "did:web:example.com:."},
	{"dot-dot at end", "did:web:example.com:alice:.."},
	// Percent-encoded dots, separators and controls in the path.
	{"encoded dot-dot", "did:web:example.com:users:%2e%2e:admin"},
	{"encoded dot-dot, upper case", "did:web:example.com:users:%2E%2E:admin"},
	{"encoded dot", "did:web:example.com:%2E"},
	{"mixed dot-dot", "did:web:example.com:users:.%2e:admin"},
	{"encoded slash", "did:web:example.com:users%2F..%2Fadmin"},
	{"encoded backslash", "did:web:example.com:users%5C..%5Cadmin"},
	{"encoded question mark", "did:web:example.com:alice%3Fx"},
	{"encoded hash", "did:web:example.com:alice%23x"},
	{"encoded NUL", "did:web:example.com:alice%00"},
	{"encoded space", "did:web:example.com:a%20b"},
	{"encoded colon in path", "did:web:example.com:a%3Ab"},
	{"encoded percent", "did:web:example.com:a%252e%252e"},
	{"encoded CR LF", "did:web:example.com:a%0D%0AHost:evil"},
	{"encoded UTF-8", "did:web:example.com:caf%C3%A9"},
	// Not did:web.
	{"other method", "did:key:example.com"},
}

func TestWebInvalidDIDs(t *testing.T) {
	for _, tc := range invalidWebDIDs {
		t.Run(tc.reason, func(t *testing.T) {
			if _, err := WebDocumentURL(tc.did); !errors.Is(err, ErrInvalidDID) {
				t.Errorf("WebDocumentURL(%s): %v", tc.did, err)
			}
			if strings.HasPrefix(tc.did, "did:web:") {
				if _, err := Parse(tc.did); !errors.Is(err, ErrInvalidDID) {
					t.Errorf("Parse(%s): %v", tc.did, err)
				}
			}
			res, err := webResolverFor(t, nil).Resolve(context.Background(), tc.did)
			var re *ResolutionError
			if !errors.As(err, &re) || re.Code != CodeInvalidDID || res.Document != nil {
				t.Errorf("Resolve(%s): %v", tc.did, err)
			}
		})
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
		{"example.com", []string{"v1.0", "a_b-c"}, "did:web:example.com:v1.0:a_b-c", "/v1.0/a_b-c/did.json"},
	} {
		did, err := WebDID(tc.host, tc.path...)
		if err != nil || did != tc.did {
			t.Errorf("WebDID(%q, %q) = %q, %v", tc.host, tc.path, did, err)
			continue
		}
		if p, err := WebDocumentPath(did); err != nil || p != tc.path2 {
			t.Errorf("WebDocumentPath(%s) = %q, %v", did, p, err)
		}
	}
	for _, host := range []string{"", "exa_mple.com", "example.com:0", "example.com:x"} {
		if _, err := WebDID(host); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("WebDID(%q): %v", host, err)
		}
	}
	for _, seg := range []string{"..", ".", "", "a b", "a/b", "a%2Fb", "a:b", "caf\u00e9"} {
		if _, err := WebDID("example.com", seg); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("WebDID segment %q: %v", seg, err)
		}
	}
}

func TestIsLocalHost(t *testing.T) {
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

// srvTLS returns the TLS settings that trust srv's certificate.
func srvTLS(srv *httptest.Server) *tls.Config {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig
}

// pinned returns cfg with srv's TLS roots and example.com:443 mapped to
// srv's address, as a DNS answer pointing at the server would.
func pinned(srv *httptest.Server, cfg WebConfig) *WebConfig {
	cfg.TLSConfig = srvTLS(srv)
	cfg.DialAddrs = map[string]string{"example.com:443": srv.Listener.Addr().String()}
	return &cfg
}

func webResolverFor(t *testing.T, cfg *WebConfig) *WebResolver {
	t.Helper()
	r, err := NewWebResolver(cfg)
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
	r := webResolverFor(t, pinned(srv, WebConfig{AllowPrivateAddresses: true}))
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
	_, err := webResolverFor(t, pinned(srv, WebConfig{})).Resolve(context.Background(), webDID)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v", err)
	}
	// With the default dialer the check runs before connecting
	// (localhost allowed by name, not by address).
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	did := fmt.Sprintf("did:web:localhost%%3A%d:issuers:agency", port)
	_, err = webResolverFor(t, &WebConfig{AllowLocalHosts: true, TLSConfig: srvTLS(srv)}).Resolve(context.Background(), did)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v", err)
	}
	// Names are refused before any lookup.
	for _, d := range []string{"did:web:localhost", "did:web:127.0.0.1%3A8443", "did:web:intranet"} {
		if _, err := webResolverFor(t, nil).Resolve(context.Background(), d); !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("%s: got %v", d, err)
		}
	}
	if hits != 0 {
		t.Fatalf("server reached %d times", hits)
	}
	// Explicitly allowed: it works.
	did = fmt.Sprintf("did:web:127.0.0.1%%3A%d:issuers:agency", port)
	srv.Config.Handler = serveDoc(t, webDoc(t, did))
	if _, err := webResolverFor(t, &WebConfig{AllowLocalHosts: true, AllowPrivateAddresses: true, TLSConfig: srvTLS(srv)}).Resolve(context.Background(), did); err != nil {
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
			res, err := webResolverFor(t, pinned(srv, tc.cfg)).Resolve(context.Background(), webDID)
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
	if _, err := webResolverFor(t, pinned(srv, WebConfig{AllowPrivateAddresses: true})).Resolve(context.Background(), webDID); err != nil {
		t.Fatal(err)
	}
}

func TestWebHTTPOnlyWhenAllowed(t *testing.T) {
	srv := httptest.NewServer(serveDoc(t, webDoc(t, webDID)))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	cfg := WebConfig{AllowPrivateAddresses: true, DialAddrs: map[string]string{"example.com:443": addr, "example.com:80": addr}}
	if _, err := webResolverFor(t, &cfg).Resolve(context.Background(), webDID); !errors.Is(err, ErrFetch) {
		t.Fatalf("https against a plain server: %v", err)
	}
	cfg.AllowHTTP = true
	if _, err := webResolverFor(t, &cfg).Resolve(context.Background(), webDID); err != nil {
		t.Fatal(err)
	}
}

// TestWebConfigTakesNoTransport: the caller can hand the resolver TLS
// settings only. An *http.Client (whose Transport may carry DialTLS,
// DialTLSContext, Proxy or be any RoundTripper) or any other hook would
// be a way around the address policy of package fetch. Before the fetch
// policy, WebConfig.Client was such a way.
func TestWebConfigTakesNoTransport(t *testing.T) {
	checkNoHooks(t, reflect.TypeFor[WebConfig]())
}

// checkNoHooks fails if a config struct has a field through which a
// caller could supply code or a transport: a func, an interface, a
// channel, or a pointer to anything but a tls.Config.
func checkNoHooks(t *testing.T, typ reflect.Type) {
	t.Helper()
	for f := range typ.Fields() {
		switch ft := f.Type; {
		case ft == reflect.TypeFor[*tls.Config]():
		case ft.Kind() == reflect.Func || ft.Kind() == reflect.Interface || ft.Kind() == reflect.Chan || ft.Kind() == reflect.Pointer:
			t.Errorf("%s.%s (%s) can carry a dialer or transport", typ, f.Name, ft)
		}
	}
}

// TestWebFetchPolicy runs the fetch policy's attacks against did:web:
// every one fails, and none reaches a forbidden address.
func TestWebFetchPolicy(t *testing.T) {
	doc := serveDoc(t, webDoc(t, webDID))
	for _, tc := range []struct {
		name string
		cfg  WebConfig
		h    http.HandlerFunc
		want error
	}{
		// The server is on loopback: reached only by explicit permission.
		{"loopback", WebConfig{}, doc, ErrForbiddenAddress},
		{"redirect to link-local metadata", WebConfig{AllowPrivateAddresses: true}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
		}, ErrFetch},
		{"redirect to another host", WebConfig{AllowPrivateAddresses: true}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://other.example/issuers/agency/did.json", http.StatusTemporaryRedirect)
		}, ErrFetch},
		{"redirect to another port", WebConfig{AllowPrivateAddresses: true}, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://example.com:8443/issuers/agency/did.json", http.StatusTemporaryRedirect)
		}, ErrFetch},
		// Headers at once, then a byte every 10 ms: no idle timeout fires,
		// the deadline for the whole fetch does.
		{"slow-drip body", WebConfig{AllowPrivateAddresses: true, Timeout: 200 * time.Millisecond}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			w.Write([]byte("{"))
			for {
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
					w.Write([]byte(" "))
				}
			}
		}, ErrFetch},
		{"oversize body", WebConfig{AllowPrivateAddresses: true, MaxBodyBytes: 1000}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			w.Write([]byte(strings.Repeat(" ", 1001)))
		}, ErrDocumentTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := webServer(t, tc.h)
			start := time.Now()
			res, err := webResolverFor(t, pinned(srv, tc.cfg)).Resolve(context.Background(), webDID)
			if !errors.Is(err, tc.want) || res.Document != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

// TestWebEncodedPathAttack: a server that percent-decodes and cleans
// request paths (path.Clean) serves /users/mallory/did.json for
// /users/alice/%2e%2e/mallory/did.json. Mallory publishes a document whose
// id is did:web:example.com:users:alice:%2e%2e:mallory, a DID that names
// alice; before did:web ids were checked, it resolved. Now the DID is
// refused before any request.
func TestWebEncodedPathAttack(t *testing.T) {
	const forged = "did:web:example.com:users:alice:%2e%2e:mallory"
	// Mallory's document, with the forged id (built by hand: the library
	// no longer builds documents for such a DID).
	body, err := json.Marshal(webDoc(t, "did:web:example.com:users:mallory"))
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.ReplaceAll(body, []byte("did:web:example.com:users:mallory"), []byte(forged))
	var hits int
	srv := webServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		p, err := url.PathUnescape(r.URL.EscapedPath())
		if err != nil || path.Clean(p) != "/users/mallory/did.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/did+json")
		w.Write(body)
	})
	res, err := webResolverFor(t, pinned(srv, WebConfig{AllowPrivateAddresses: true})).Resolve(context.Background(), forged)
	var re *ResolutionError
	if !errors.Is(err, ErrInvalidDID) || !errors.As(err, &re) || re.Code != CodeInvalidDID || res.Document != nil {
		t.Fatalf("forged DID resolved: %v", err)
	}
	if hits != 0 {
		t.Fatalf("server reached %d times", hits)
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
