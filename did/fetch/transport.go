//go:build !js

package fetch

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"time"
)

// newTransport builds the transport of a native client: its own dialer,
// whose Control hook checks every socket address actually dialled
// (see [CheckAddr]), no proxy, and the DialAddrs overrides.
func newTransport(c *Config, tlsConf *tls.Config) (http.RoundTripper, error) {
	d := &net.Dialer{Timeout: c.Timeout, KeepAlive: 30 * time.Second}
	if !c.InsecureAllowPrivateAddresses {
		d.ControlContext = control
	}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if a, ok := c.DialAddrs[strings.ToLower(addr)]; ok {
				addr = a
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        tlsConf,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    c.Timeout,
		ResponseHeaderTimeout:  c.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
	}, nil
}
