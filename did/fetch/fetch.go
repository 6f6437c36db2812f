// Package fetch is zkcred's one policy for outbound HTTP: every document
// the library fetches on the strength of untrusted input (did:web DID
// documents, Bitstring Status List credentials, later OpenID4VCI/VP
// metadata) goes through a [Client].
//
// A [Client] built by [New] with the zero [Config]:
//
//   - fetches https:// URLs only, with no user information in the URL;
//   - connects to public addresses only. The check runs in the dialer's
//     Control hook on the socket address actually dialled, after DNS, on
//     every connection (redirects and DNS rebinding included). Refused:
//     unspecified, loopback, private (RFC 1918, fc00::/7), link-local
//     (169.254.0.0/16 with its cloud metadata services, fe80::/10), shared
//     CGNAT (100.64.0.0/10), multicast, documentation, benchmarking and
//     reserved ranges, and IPv4-mapped, IPv4-compatible (::/96),
//     IPv4-translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96,
//     64:ff9b:1::/48) and 6to4 (2002::/16) forms of them (see [CheckAddr]);
//   - uses no proxy (a proxy would hide the address connected to);
//   - follows at most 3 redirects, and only to the same scheme and host
//     (port included): a redirect to another host is refused with
//     [ErrRedirect], whatever its address;
//   - bounds the whole fetch (connection, TLS, redirects, headers and the
//     body, however slowly it drips) by one deadline, [DefaultTimeout];
//   - reads at most MaxBytes+1 bytes of body and refuses more with
//     [ErrTooLarge] ([DefaultMaxBytes]).
//
// The transport is built here, never taken from the caller: of the
// caller's settings only a [*tls.Config] (cloned) is used, so no dial
// hook, proxy or RoundTripper of the caller can route around the policy.
//
// For development on one machine, [Config.InsecureAllowHTTP] and
// [Config.InsecureAllowPrivateAddresses] lift the scheme and address rules;
// nothing fetched that way is authenticated or safe from request forgery.
//
// # In a browser
//
// Compiled with GOOS=js (a wallet in WebAssembly), a Client sends requests
// through the page's Fetch API, and the policy differs where a page cannot
// enforce it: https only (InsecureAllowHTTP permits http:// to a loopback
// host only), no redirect followed at all (the Fetch API hides where a
// redirect leads: it is refused with [ErrRedirect]), no cookies sent
// (credentials "omit"), CORS mode. A host that is a loopback or private
// address (in any form the browser reads as one) or a localhost name is
// refused with [ErrForbiddenAddress] unless InsecureAllowPrivateAddresses;
// the address a name resolves to cannot be checked, since the browser
// resolves and connects itself: the browser's own rules (CORS, mixed
// content, Private Network Access) apply there. TLSConfig is ignored (the
// browser's roots) and DialAddrs is refused. The deadline (aborting the
// fetch) and the size limit apply as natively.
package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of [Config].
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20
	maxRedirects    = 3
)

// Sentinel errors. Every error of [Client.Get] and [Client.Post] wraps one
// of them; test with [errors.Is].
var (
	// ErrInvalidURL is returned for a URL that does not parse, is not
	// absolute, is not https (http only with InsecureAllowHTTP), or carries
	// user information. Nothing is fetched.
	ErrInvalidURL = errors.New("fetch: invalid or insecure URL")
	// ErrForbiddenAddress is returned when a connection would go to an
	// address that is not public (see the package documentation).
	ErrForbiddenAddress = errors.New("fetch: forbidden address")
	// ErrRedirect is returned for a redirect to another scheme or host, or
	// for more than 3 redirects.
	ErrRedirect = errors.New("fetch: redirect refused")
	// ErrTooLarge is returned when the body exceeds the size limit.
	ErrTooLarge = errors.New("fetch: response too large")
	// ErrFetch is returned for transport failures, TLS failures and
	// timeouts (then also wrapping context.DeadlineExceeded).
	ErrFetch = errors.New("fetch: request failed")
)

// Config configures a [Client]. The zero value is the production policy.
type Config struct {
	// TLSConfig is cloned and used for TLS (root CAs, client
	// certificates). Nil means the system roots. It is the only setting
	// taken from the caller's HTTP stack.
	TLSConfig *tls.Config
	// Timeout bounds a whole [Client.Get] or [Client.Post], body
	// included. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds the body. Zero means DefaultMaxBytes.
	MaxBytes int64
	// DialAddrs maps a "host:port" of a URL to the "ip:port" to connect
	// to instead of looking the host up, like curl's --resolve (TLS still
	// verifies the certificate for host). The address policy applies to
	// the mapped address. For tests and in-process demos.
	DialAddrs map[string]string
	// InsecureAllowHTTP permits plain http:// URLs. Development only: the
	// response is then unauthenticated.
	InsecureAllowHTTP bool
	// InsecureAllowPrivateAddresses permits connections to loopback,
	// private, link-local and the other special-purpose addresses.
	// Development only: it re-opens server-side request forgery.
	InsecureAllowPrivateAddresses bool
}

// Client fetches under the policy of its [Config]. It is safe for
// concurrent use.
type Client struct {
	cfg    Config
	client *http.Client
}

// Response is a fetched response. [Client.Get] reads Body only for status
// 200 (OK), leaving it nil otherwise; [Client.Post] reads it for every
// status.
type Response struct {
	StatusCode int
	Status     string
	Header     http.Header
	URL        string // the final URL, after redirects
	Body       []byte
}

// New returns a client with the policy of cfg; nil cfg is the zero
// config. Errors wrap [ErrInvalidURL] for a malformed DialAddrs entry.
func New(cfg *Config) (*Client, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	addrs := make(map[string]string, len(c.DialAddrs))
	for k, v := range c.DialAddrs {
		if _, err := netip.ParseAddrPort(v); err != nil {
			return nil, fmt.Errorf("%w: DialAddrs[%q] = %q is not ip:port", ErrInvalidURL, k, v)
		}
		addrs[strings.ToLower(k)] = v
	}
	c.DialAddrs = addrs
	var tlsConf *tls.Config
	if c.TLSConfig != nil {
		tlsConf = c.TLSConfig.Clone()
	} else {
		tlsConf = &tls.Config{}
	}
	if tlsConf.MinVersion == 0 {
		tlsConf.MinVersion = tls.VersionTLS12
	}
	tr, err := newTransport(&c, tlsConf)
	if err != nil {
		return nil, err
	}
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRedirect, maxRedirects)
			}
			if req.URL.Scheme != via[0].URL.Scheme || !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
				return fmt.Errorf("%w: from %s://%s to %s://%s", ErrRedirect, via[0].URL.Scheme, via[0].URL.Host, req.URL.Scheme, req.URL.Host)
			}
			return checkURL(req.URL, c.InsecureAllowHTTP)
		},
	}
	return &Client{cfg: c, client: client}, nil
}

// control is the dialer's Control hook: it sees the socket address that
// is about to be connected, after name resolution.
func control(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q", ErrForbiddenAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrForbiddenAddress, address)
	}
	return CheckAddr(ap.Addr())
}

// checkURL applies the URL rules: absolute http(s) URL with a host, https
// unless allowHTTP, no user information.
func checkURL(u *url.URL, allowHTTP bool) error {
	switch {
	case u.Scheme != "https" && !(allowHTTP && u.Scheme == "http"):
		return fmt.Errorf("%w: scheme %q (https required)", ErrInvalidURL, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%w: no host", ErrInvalidURL)
	case u.User != nil:
		return fmt.Errorf("%w: user information in URL", ErrInvalidURL)
	case u.Opaque != "":
		return fmt.Errorf("%w: opaque URL", ErrInvalidURL)
	}
	return nil
}

// CheckURL reports whether rawURL may be fetched by a client with the
// given scheme policy (https only unless allowHTTP), without fetching it:
// an absolute http(s) URL with a host and no user information. Errors
// wrap [ErrInvalidURL].
func CheckURL(rawURL string, allowHTTP bool) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	return checkURL(u, allowHTTP)
}

// Get fetches rawURL with a GET request, sending accept as the Accept
// header when it is not empty. It returns the response for any status;
// the body is read (at most MaxBytes) only for 200 OK. The deadline of
// the Config's Timeout, or ctx's if earlier, covers the whole call.
func (c *Client) Get(ctx context.Context, rawURL, accept string) (*Response, error) {
	return c.do(ctx, http.MethodGet, rawURL, "", nil, accept, "", c.cfg.MaxBytes)
}

// GetLimited is [Client.Get] with the body bounded by maxBytes for this
// call, a limit that can only lower the Config's MaxBytes (zero, a
// negative value or one above MaxBytes means MaxBytes). A caller that
// knows the largest honest answer (a log tile of 8 KiB) reads no more of
// a hostile server's body than that, however large the client's limit;
// a longer body is refused with [ErrTooLarge].
func (c *Client) GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*Response, error) {
	if maxBytes <= 0 || maxBytes > c.cfg.MaxBytes {
		maxBytes = c.cfg.MaxBytes
	}
	return c.do(ctx, http.MethodGet, rawURL, "", nil, accept, "", maxBytes)
}

// Post sends body to rawURL with a POST request under the same policy and
// limits as [Client.Get] (URL and address rules, redirects, deadline,
// MaxBytes), with contentType as the Content-Type header and accept, when
// not empty, as the Accept header. Bounding body is the caller's job. It
// returns the response for any status, and unlike Get reads its body (at
// most MaxBytes) for every status: the answer to a POST, success or
// refusal, is the caller's to read. A redirect is followed as [http.Client]
// does (a 307 or 308 re-sends body, 301, 302 and 303 become a GET), to the
// same scheme and host only.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body []byte, accept string) (*Response, error) {
	return c.do(ctx, http.MethodPost, rawURL, contentType, body, accept, "", c.cfg.MaxBytes)
}

// PostAuthorized is [Client.Post] with authorization as the Authorization
// header (an OAuth 2.0 access token, "Bearer ...", for an OpenID4VCI
// credential request). Like the body it goes to rawURL's host only: a
// redirect to another host is refused.
func (c *Client) PostAuthorized(ctx context.Context, rawURL, contentType string, body []byte, accept, authorization string) (*Response, error) {
	return c.do(ctx, http.MethodPost, rawURL, contentType, body, accept, authorization, c.cfg.MaxBytes)
}

// do sends the request and reads at most maxBytes (at most the Config's
// MaxBytes) of the response's body.
func (c *Client) do(ctx context.Context, method, rawURL, contentType string, body []byte, accept, authorization string, maxBytes int64) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if method != http.MethodGet {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	// The URL rules of CheckURL, on the URL the request parsed (parsing
	// it once: a log sync sends tens of thousands of requests).
	if err := checkURL(req.URL, c.cfg.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	defer resp.Body.Close()
	// Past the deadline the transport cuts the connection, and what was
	// read may end cleanly (the server's handler sees the cut and ends its
	// response): nothing that finishes after the deadline is trusted.
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	r := &Response{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, URL: resp.Request.URL.String()}
	if method == http.MethodGet && resp.StatusCode != http.StatusOK {
		return r, nil
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, resp.ContentLength, maxBytes)
	}
	b, err := readBody(resp.Body, resp.ContentLength, maxBytes)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%w: limit %d bytes", ErrTooLarge, maxBytes)
	}
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, err)
	}
	r.Body = b
	return r, nil
}

// presizeMax bounds the buffer a declared Content-Length allocates before
// any byte of the body has arrived: a server that declares a large body
// and sends nothing holds at most this much per response (a log's tiles
// are at most 8 KiB). A longer body grows the buffer as it arrives.
const presizeMax = 64 << 10

// readBody reads body to its end or to maxBytes+1 bytes, whichever comes
// first (the caller refuses more than maxBytes). A declared length
// (contentLength >= 0, already checked to be at most maxBytes) sizes the
// buffer, up to presizeMax, and caps its growth, so a body that matches
// it costs one allocation of its own size (io.ReadAll starts at 512 bytes
// and doubles, allocating about twice the body); past the declared length
// the buffer grows as for an undeclared one, from 512 bytes by doubling.
// Nothing of the limit's size is allocated up front, and the buffer never
// exceeds maxBytes+1 bytes.
func readBody(body io.Reader, contentLength, maxBytes int64) ([]byte, error) {
	limit := maxBytes + 1
	if limit <= 0 { // maxBytes is math.MaxInt64
		limit = maxBytes
	}
	declared := contentLength >= 0 && contentLength < limit
	size := int64(512)
	if declared {
		size = min(contentLength, presizeMax)
	}
	b := make([]byte, 0, min(size, limit))
	for {
		if len(b) == cap(b) {
			switch {
			case int64(len(b)) >= limit:
				return b, nil
			case declared && int64(len(b)) == contentLength:
				// At the declared end: a read of one more byte must
				// report the end of the body. Anything else grows the
				// buffer as for an undeclared length.
				var probe [1]byte
				n, err := body.Read(probe[:])
				if n > 0 {
					declared = false
					b = append(growBody(b, limit), probe[0])
				}
				if err == io.EOF {
					return b, nil
				}
				if err != nil {
					return b, err
				}
				continue
			case declared:
				b = growBody(b, contentLength)
			default:
				b = growBody(b, limit)
			}
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// growBody returns b, its contents kept, with its capacity doubled (at
// least 512 bytes) but at most limit, which must exceed cap(b).
func growBody(b []byte, limit int64) []byte {
	nb := make([]byte, len(b), min(max(2*int64(cap(b)), 512), limit))
	copy(nb, b)
	return nb
}

// wrap makes err wrap ErrFetch, unless it already wraps a sentinel of
// this package, and ctx's error when the deadline has passed.
func wrap(ctx context.Context, err error) error {
	for _, s := range []error{ErrForbiddenAddress, ErrRedirect, ErrInvalidURL, ErrTooLarge} {
		if errors.Is(err, s) {
			return err
		}
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w: %v", ErrFetch, cerr, err)
	}
	return fmt.Errorf("%w: %w", ErrFetch, err)
}

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.client.CloseIdleConnections() }

var forbiddenPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3",
		"::/96", "::1/128", "::ffff:0:0:0/96", "64:ff9b:1::/48", "3fff::/20", "5f00::/16", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// CheckAddr returns an error wrapping [ErrForbiddenAddress] for a
// special-purpose address: unspecified, loopback, private, link-local,
// shared (CGNAT), documentation, benchmarking, multicast, reserved, the
// deprecated IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96,
// site-local fec0::/10, documentation 3fff::/20 and SRv6 5f00::/16. IPv4-mapped,
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are checked as the
// IPv4 address they carry; an IPv6 zone is ignored.
func CheckAddr(a netip.Addr) error {
	a = a.WithZone("").Unmap()
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbiddenAddress)
	}
	switch b := a.As16(); {
	case a.Is6() && nat64.Contains(a):
		a = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	case a.Is6() && sixToFour.Contains(a):
		a = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, a)
		}
	}
	return nil
}
