package did

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/zkcred/zkcred/did/fetch"
)

// Defaults of [WebConfig].
const (
	DefaultWebTimeout      = 10 * time.Second
	DefaultWebMaxBodyBytes = 256 << 10
)

// WebConfig configures a [WebResolver]. The zero value is the safe
// production setting: HTTPS only, DNS names only, public addresses only,
// no redirect to another host, 10 s for the whole fetch, 256 KiB
// documents. Fetches go through package [fetch], whose transport is built
// there: no dialer, proxy or RoundTripper of the caller is used.
type WebConfig struct {
	// TLSConfig is cloned and used for TLS (root CAs). Nil means the
	// system roots.
	TLSConfig *tls.Config
	// Timeout bounds one resolution (connection, TLS, redirects, body).
	// Zero means DefaultWebTimeout.
	Timeout time.Duration
	// MaxBodyBytes bounds the document size. Zero means
	// DefaultWebMaxBodyBytes.
	MaxBodyBytes int64
	// DialAddrs maps a "host:port" to the "ip:port" connected to instead
	// of looking host up (see [fetch.Config]); the address rules still
	// apply. For tests and in-process demos.
	DialAddrs map[string]string
	// AllowHTTP fetches over plain http:// instead of https://. For local
	// development only: the document is then unauthenticated.
	AllowHTTP bool
	// AllowLocalHosts accepts DIDs whose host is an IP literal, localhost
	// or a single-label name, which did:web forbids.
	AllowLocalHosts bool
	// AllowPrivateAddresses allows connections to loopback, private,
	// link-local, unspecified, multicast and other special-purpose
	// addresses. Without it such connections fail with
	// [ErrForbiddenAddress], whatever name led to them. For local
	// development only: it re-opens server-side request forgery.
	AllowPrivateAddresses bool
}

// WebResolver resolves did:web DIDs (did:web method,
// https://w3c-ccg.github.io/did-method-web/) over HTTPS. It is safe for
// concurrent use.
type WebResolver struct {
	cfg    WebConfig
	client *fetch.Client
}

var _ Resolver = (*WebResolver)(nil)

// NewWebResolver returns a did:web resolver; nil cfg is the zero config.
func NewWebResolver(cfg *WebConfig) (*WebResolver, error) {
	var c WebConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultWebTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultWebMaxBodyBytes
	}
	client, err := fetch.New(&fetch.Config{
		TLSConfig:                     c.TLSConfig,
		Timeout:                       c.Timeout,
		MaxBytes:                      c.MaxBodyBytes,
		DialAddrs:                     c.DialAddrs,
		InsecureAllowHTTP:             c.AllowHTTP,
		InsecureAllowPrivateAddresses: c.AllowPrivateAddresses,
	})
	if err != nil {
		return nil, fmt.Errorf("did: web resolver: %w", err)
	}
	return &WebResolver{cfg: c, client: client}, nil
}

// webTarget is a parsed did:web DID.
type webTarget struct {
	host string // host[:port], decoded
	path string // "/.well-known/did.json" or "/a/b/did.json"
}

// parseWebDID maps a did:web DID to its host and document path (did:web
// "Read": ':' → '/', %3A → port colon, /.well-known when there is no path,
// then /did.json), after [Parse] has applied the did:web syntax rules
// (see splitWebID).
func parseWebDID(did string) (webTarget, error) {
	d, err := Parse(did)
	if err != nil {
		return webTarget{}, err
	}
	if d.Method != "web" {
		return webTarget{}, fmt.Errorf("%w: not a did:web DID", ErrInvalidDID)
	}
	host, segs, err := splitWebID(d.ID)
	if err != nil {
		return webTarget{}, err
	}
	path := "/.well-known"
	if len(segs) > 0 {
		path = "/" + strings.Join(segs, "/")
	}
	return webTarget{host: host, path: path + "/did.json"}, nil
}

// isLocalHost reports whether name is an IP literal, localhost, a
// single-label name or has an all-numeric last label (which resolvers may
// read as an IPv4 address).
func isLocalHost(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || !strings.Contains(name, ".") {
		return true
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	return strings.Trim(last, "0123456789") == ""
}

// WebDocumentURL returns the HTTPS URL of the DID document of a did:web
// DID, e.g. did:web:example.com%3A3000:user:alice →
// https://example.com:3000/user/alice/did.json. Errors wrap [ErrInvalidDID].
func WebDocumentURL(did string) (string, error) {
	t, err := parseWebDID(did)
	if err != nil {
		return "", err
	}
	return "https://" + t.host + t.path, nil
}

// WebDocumentPath returns the URL path at which a did:web DID's document
// is served ("/.well-known/did.json" or "/<path>/did.json"), for an
// issuer's HTTP mux.
func WebDocumentPath(did string) (string, error) {
	t, err := parseWebDID(did)
	if err != nil {
		return "", err
	}
	return t.path, nil
}

// WebDID returns the did:web DID for a document served at host (a domain
// name with an optional ":port") under the given path segments, e.g.
// WebDID("example.com:3000", "user", "alice") =
// "did:web:example.com%3A3000:user:alice". Path segments may hold only
// ALPHA, DIGIT, '.', '-' and '_' (did:web allows no other
// percent-encoding than the port colon's); errors wrap [ErrInvalidDID].
func WebDID(host string, path ...string) (string, error) {
	var b strings.Builder
	b.WriteString("did:web:")
	name, port, hasPort := strings.Cut(host, ":")
	b.WriteString(strings.ToLower(name))
	if hasPort {
		b.WriteString("%3A" + port)
	}
	for _, p := range path {
		if strings.IndexByte(p, ':') >= 0 {
			return "", fmt.Errorf("%w: did:web path segment %q contains ':'", ErrInvalidDID, truncate(p, 64))
		}
		b.WriteByte(':')
		b.WriteString(p)
	}
	did := b.String()
	if _, err := parseWebDID(did); err != nil {
		return "", err
	}
	return did, nil
}

// Resolve implements [Resolver]: it maps the DID to its URL, refuses
// local hosts, and GETs the document under the [fetch] policy (forbidden
// addresses, other-host redirects, the deadline and the size limit: see
// [WebConfig]); it requires status 200, a JSON media type (application/did+json,
// application/did+ld+json, application/json or application/ld+json) and
// at most MaxBodyBytes, then parses it with [ParseDocument] and checks
// that its id is the DID and that every verification method id and
// relationship reference is an absolute DID URL (did:web §"Read").
// JSON-LD @context entries are not processed.
func (w *WebResolver) Resolve(ctx context.Context, did string) (*Resolution, error) {
	doc, err := w.fetch(ctx, did)
	if err != nil {
		return resolutionError(did, err)
	}
	return &Resolution{Document: doc}, nil
}

func (w *WebResolver) fetch(ctx context.Context, did string) (*Document, error) {
	t, err := parseWebDID(did)
	if err != nil {
		return nil, err
	}
	name, _, _ := strings.Cut(t.host, ":")
	if !w.cfg.AllowLocalHosts && isLocalHost(name) {
		return nil, fmt.Errorf("%w: did:web host %q is an IP address or a local name", ErrForbiddenAddress, name)
	}
	scheme := "https://"
	if w.cfg.AllowHTTP {
		scheme = "http://"
	}
	u := scheme + t.host + t.path
	resp, err := w.client.Get(ctx, u, "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8")
	switch {
	case errors.Is(err, fetch.ErrForbiddenAddress):
		return nil, fmt.Errorf("%w: %w", ErrForbiddenAddress, err)
	case errors.Is(err, fetch.ErrTooLarge):
		return nil, fmt.Errorf("%w: %w", ErrDocumentTooLarge, err)
	case errors.Is(err, fetch.ErrInvalidURL):
		return nil, fmt.Errorf("%w: %w", ErrInvalidDID, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("%w: %s returned %s", ErrNotFound, u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %s returned %s", ErrFetch, u, resp.Status)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("%w: missing or bad Content-Type", ErrRepresentationNotSupported)
	}
	switch mt {
	case "application/did+json", "application/did+ld+json", "application/json", "application/ld+json":
	default:
		return nil, fmt.Errorf("%w: Content-Type %q", ErrRepresentationNotSupported, truncate(mt, 64))
	}
	doc, err := ParseDocument(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := checkResolved(did, doc); err != nil {
		return nil, err
	}
	if err := requireAbsoluteIDs(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// requireAbsoluteIDs enforces did:web's rule that DID URLs in the document
// are absolute.
func requireAbsoluteIDs(doc *Document) error {
	abs := func(id string) error {
		if !strings.HasPrefix(id, "did:") {
			return fmt.Errorf("%w: relative DID URL %q (did:web requires absolute ones)", ErrInvalidDocument, truncate(id, 256))
		}
		return nil
	}
	for _, vm := range doc.VerificationMethod {
		if err := abs(vm.ID); err != nil {
			return err
		}
	}
	for _, rel := range relationships {
		for _, r := range doc.References(rel) {
			id := r.ID
			if r.Method != nil {
				id = r.Method.ID
			}
			if err := abs(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// DocumentHandler returns an http.Handler that serves doc as
// application/did+json, for an issuer publishing its did:web document at
// [WebDocumentPath]. doc is validated and copied once.
func DocumentHandler(doc *Document) (http.Handler, error) {
	if doc == nil {
		return nil, fmt.Errorf("%w: nil document", ErrInvalidDocument)
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	body, err := doc.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			rw.Header().Set("Allow", "GET, HEAD")
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rw.Header().Set("Content-Type", "application/did+json")
		// A DID document is public: resolvers in web pages (browser
		// wallets) of any origin may read it; no cookies are involved.
		rw.Header().Set("Access-Control-Allow-Origin", "*")
		rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			rw.Write(body)
		}
	}), nil
}
