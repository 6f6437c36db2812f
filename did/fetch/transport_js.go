//go:build js

package fetch

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// In a browser (GOOS=js) a Go program cannot open sockets: net/http's
// Transport sends requests through the page's Fetch API when it has no
// dial function. The policy then changes as follows, and [New] documents
// it:
//
//   - https only; [Config.InsecureAllowHTTP] permits plain http:// to a
//     loopback host only (127.0.0.0/8, [::1], localhost), for a wallet
//     developed against servers on the same machine;
//   - no redirect is followed: the Fetch API is asked for
//     redirect: "manual", so a redirect arrives as an opaque response
//     (the page is not told where it leads) and is refused with
//     [ErrRedirect];
//   - no cookies or HTTP authentication are sent or stored
//     (credentials: "omit"), and requests are CORS requests (mode
//     "cors"): the server must allow the wallet's origin;
//   - the address of a connection cannot be checked: the browser resolves
//     names and connects itself. A host that is an address (in any form
//     the browser reads as one: 127.1, 0x7f.0.0.1, 2130706433) must be a
//     public one, and localhost names are refused, unless
//     [Config.InsecureAllowPrivateAddresses]; a name that resolves to a
//     private address is left to the browser's own rules (mixed content,
//     CORS, Private Network Access where the browser enforces it);
//   - TLS is the browser's: [Config.TLSConfig] is ignored, and
//     [Config.DialAddrs] is refused with [ErrInvalidURL];
//   - the deadline and the size limit apply as natively: the context's
//     deadline aborts the fetch (AbortController), and at most MaxBytes+1
//     bytes of body are read.
//
// Request bodies are sent by the Fetch API from a copy; headers the Fetch
// API forbids (Host, Connection...) are never set by this package.

func newTransport(c *Config, _ *tls.Config) (http.RoundTripper, error) {
	if len(c.DialAddrs) != 0 {
		return nil, fmt.Errorf("%w: DialAddrs cannot apply in a browser", ErrInvalidURL)
	}
	return &browserTransport{allowHTTP: c.InsecureAllowHTTP, allowPrivate: c.InsecureAllowPrivateAddresses, next: &http.Transport{}}, nil
}

// browserTransport sets the Fetch API options of every request (the
// js.fetch:* pseudo-headers net/http's js transport reads) and refuses
// http:// to non-loopback hosts and redirects.
type browserTransport struct {
	allowHTTP    bool
	allowPrivate bool
	next         *http.Transport // no Dial hooks: uses the Fetch API
}

func (t *browserTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	err := checkBrowserURL(req.URL.Scheme, req.URL.Hostname(), t.allowHTTP)
	if err == nil && !t.allowPrivate {
		err = checkBrowserHost(req.URL.Hostname())
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("js.fetch:mode", "cors")
	r.Header.Set("js.fetch:credentials", "omit")
	r.Header.Set("js.fetch:redirect", "manual")
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	// An opaque redirect has status 0 and no headers or body the page may read.
	if resp.StatusCode == 0 || resp.StatusCode/100 == 3 {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: the server answered %s with a redirect; a browser wallet follows none", ErrRedirect, req.URL.Host)
	}
	return resp, nil
}

// checkBrowserURL allows https, and http to a loopback host only when
// allowHTTP is set.
func checkBrowserURL(scheme, host string, allowHTTP bool) error {
	switch {
	case scheme == "https":
		return nil
	case scheme == "http" && allowHTTP && isLoopbackHost(host):
		return nil
	}
	return fmt.Errorf("%w: %s://%s (a browser wallet fetches https, or http from this machine in development)", ErrInvalidURL, scheme, host)
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// checkBrowserHost refuses a host the browser would connect to on this
// machine or a private network without a name to resolve: localhost
// names, and addresses that are not public (CheckAddr), in any form the
// WHATWG URL parser the Fetch API uses reads as an IPv4 address (a host
// whose last label is a number: 127.1, 0x7f.1, 2130706433, 127.0.0.1.);
// those not in Go's dotted-quad form are refused outright.
func checkBrowserHost(host string) error {
	h := strings.ToLower(host)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "localhost." || strings.HasSuffix(h, ".localhost.") {
		return fmt.Errorf("%w: %s is this machine", ErrForbiddenAddress, host)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return CheckAddr(a)
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	last := labels[len(labels)-1]
	numeric := last != "" && strings.Trim(last, "0123456789") == ""
	if hex, ok := strings.CutPrefix(last, "0x"); ok && strings.Trim(hex, "0123456789abcdef") == "" {
		numeric = true
	}
	if numeric {
		return fmt.Errorf("%w: %s is an IPv4 address in a form the browser reads differently", ErrForbiddenAddress, host)
	}
	return nil
}
