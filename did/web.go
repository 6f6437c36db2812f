package did

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of [WebConfig].
const (
	DefaultWebTimeout      = 10 * time.Second
	DefaultWebMaxBodyBytes = 256 << 10
	maxWebRedirects        = 3
)

// WebConfig configures a [WebResolver]. The zero value is the safe
// production setting: HTTPS only, DNS names only, public addresses only,
// 10 s timeout, 256 KiB documents.
type WebConfig struct {
	// Client is the HTTP client to use. Nil means a new client. The
	// resolver works on a copy: it installs its own CheckRedirect (same
	// host and scheme only, at most 3 redirects, then the client's own
	// CheckRedirect) and, on a clone of the client's *http.Transport, a
	// dial hook that refuses forbidden addresses after DNS resolution.
	// Proxies are disabled, since they would hide the address connected
	// to. A Transport that is not an *http.Transport cannot be checked and
	// is refused unless AllowPrivateAddresses is set.
	Client *http.Client
	// Timeout bounds one resolution (connection, TLS, redirects, body).
	// Zero means DefaultWebTimeout.
	Timeout time.Duration
	// MaxBodyBytes bounds the document size. Zero means
	// DefaultWebMaxBodyBytes.
	MaxBodyBytes int64
	// AllowHTTP fetches over plain http:// instead of https://. For local
	// development only: the document is then unauthenticated.
	AllowHTTP bool
	// AllowLocalHosts accepts DIDs whose host is an IP literal, localhost
	// or a single-label name, which did:web forbids.
	AllowLocalHosts bool
	// AllowPrivateAddresses allows connections to loopback, private,
	// link-local, unspecified, multicast and other special-purpose
	// addresses. Without it such connections fail with
	// [ErrForbiddenAddress], whatever name led to them.
	AllowPrivateAddresses bool
}

// WebResolver resolves did:web DIDs (did:web method,
// https://w3c-ccg.github.io/did-method-web/) over HTTPS. It is safe for
// concurrent use.
type WebResolver struct {
	cfg    WebConfig
	client *http.Client
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
	client := &http.Client{}
	if c.Client != nil {
		*client = *c.Client
	}
	var tr *http.Transport
	switch t := client.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = nil // use checkedDial's own dialer, which checks before connecting
	case *http.Transport:
		tr = t.Clone()
	default:
		if !c.AllowPrivateAddresses {
			return nil, fmt.Errorf("did: web resolver: transport %T cannot be checked for forbidden addresses; use an *http.Transport or set AllowPrivateAddresses", t)
		}
	}
	if tr != nil {
		tr.Proxy = nil
		if !c.AllowPrivateAddresses {
			tr.DialContext = checkedDial(tr.DialContext)
			if tr.DialTLSContext != nil {
				tr.DialTLSContext = checkedDial(tr.DialTLSContext)
			}
		}
		client.Transport = tr
	}
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxWebRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrFetch, maxWebRedirects)
		}
		if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || req.URL.Scheme != via[0].URL.Scheme {
			return fmt.Errorf("%w: redirect from %s to another origin %s://%s", ErrFetch, via[0].URL.Host, req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &WebResolver{cfg: c, client: client}, nil
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// checkedDial wraps dial so that forbidden addresses are refused: before
// connecting (net.Dialer.Control, on the address DNS returned) when dial
// is the default, and in every case on the connected peer address.
func checkedDial(dial dialFunc) dialFunc {
	if dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
			Control: func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return fmt.Errorf("%w: unparsable address %q", ErrForbiddenAddress, address)
				}
				return checkAddr(ap.Addr())
			}}
		dial = d.DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		ap, perr := netip.ParseAddrPort(conn.RemoteAddr().String())
		if perr != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: peer address %q", ErrForbiddenAddress, conn.RemoteAddr())
		}
		if err := checkAddr(ap.Addr()); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

var forbiddenPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
		"::/96", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// checkAddr refuses special-purpose addresses (loopback, private,
// link-local, shared, documentation, multicast, reserved, and the
// deprecated IPv4-compatible ::/96). IPv4-mapped, NAT64 (64:ff9b::/96) and
// 6to4 (2002::/16) addresses are checked as the IPv4 address they carry.
func checkAddr(a netip.Addr) error {
	a = a.Unmap()
	switch b := a.As16(); {
	case a.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(a):
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	case a.Is6() && netip.MustParsePrefix("2002::/16").Contains(a):
		a = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, a)
		}
	}
	return nil
}

// webTarget is a parsed did:web DID.
type webTarget struct {
	host string // host[:port], decoded
	path string // "/.well-known/did.json" or "/a/b/did.json"
}

// parseWebDID maps a did:web DID to its host and document path (did:web
// "Read": ':' → '/', %3A → port colon, /.well-known when there is no path,
// then /did.json). Only the port colon may be percent-encoded in the
// host; path segments must not be empty, "." or "..".
func parseWebDID(did string) (webTarget, error) {
	d, err := Parse(did)
	if err != nil {
		return webTarget{}, err
	}
	if d.Method != "web" {
		return webTarget{}, fmt.Errorf("%w: not a did:web DID", ErrInvalidDID)
	}
	segs := strings.Split(d.ID, ":")
	host := segs[0]
	if i := strings.Index(strings.ToUpper(host), "%3A"); i >= 0 {
		port := host[i+3:]
		host = host[:i]
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' || port != strconv.Itoa(n) {
			return webTarget{}, fmt.Errorf("%w: did:web port %q", ErrInvalidDID, truncate(port, 16))
		}
		host = host + ":" + port
	}
	name, _, _ := strings.Cut(host, ":")
	if strings.Contains(host, "%") || !validDNSName(name) {
		return webTarget{}, fmt.Errorf("%w: did:web host %q is not a domain name", ErrInvalidDID, truncate(host, 64))
	}
	path := "/.well-known"
	if len(segs) > 1 {
		path = ""
		for _, s := range segs[1:] {
			if s == "" || s == "." || s == ".." {
				return webTarget{}, fmt.Errorf("%w: did:web path segment %q", ErrInvalidDID, s)
			}
			path += "/" + s
		}
	}
	return webTarget{host: host, path: path + "/did.json"}, nil
}

// validDNSName checks LDH labels of 1-63 characters, 253 in all.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlpha(l[i]) && !isDigit(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	return true
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

// NewWeb returns the did:web DID for a document served at host (a domain
// name with an optional ":port") under the given path segments, e.g.
// NewWeb("example.com:3000", "user", "alice") =
// "did:web:example.com%3A3000:user:alice". Characters outside the DID
// idchar set are percent-encoded in the path segments.
func NewWeb(host string, path ...string) (string, error) {
	var b strings.Builder
	b.WriteString("did:web:")
	name, port, hasPort := strings.Cut(host, ":")
	b.WriteString(strings.ToLower(name))
	if hasPort {
		b.WriteString("%3A" + port)
	}
	for _, p := range path {
		b.WriteByte(':')
		for i := 0; i < len(p); i++ {
			c := p[i]
			if isAlpha(c) || isDigit(c) || c == '.' || c == '-' || c == '_' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
	}
	did := b.String()
	if _, err := parseWebDID(did); err != nil {
		return "", err
	}
	return did, nil
}

// Resolve implements [Resolver]: it maps the DID to its URL, refuses
// local hosts and forbidden addresses (see [WebConfig]), GETs the
// document, requires status 200, a JSON media type (application/did+json,
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
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+t.host+t.path, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDID, err)
	}
	req.Header.Set("Accept", "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8")
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrFetch) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("%w: %s returned %s", ErrNotFound, req.URL, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %s returned %s", ErrFetch, req.URL, resp.Status)
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
	if resp.ContentLength > w.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrDocumentTooLarge, resp.ContentLength, w.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, w.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", ErrFetch, err)
	}
	if int64(len(body)) > w.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("%w: limit %d bytes", ErrDocumentTooLarge, w.cfg.MaxBodyBytes)
	}
	doc, err := ParseDocument(body)
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
	for _, rel := range Relationships {
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
		rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			rw.Write(body)
		}
	}), nil
}
