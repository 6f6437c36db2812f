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
		// A wallet syncing a revocation log asks one host for many tiles
		// at once (credential/status/tlog): over HTTP/1.1, keep up to 16
		// connections to it for reuse (the default, 2, opened a new one
		// for most requests) and never more than 32 at a time; over
		// HTTP/2 they share one connection.
		MaxIdleConnsPerHost: 16,
		MaxConnsPerHost:     32,
		IdleConnTimeout:     90 * time.Second,
		// HTTP/2 flow control bounds what a server can push ahead of our
		// reads: Go's defaults (4 MiB a stream, 1 GiB a connection) let a
		// hostile host fill a wallet's memory across the streams of a
		// log sync before the size limit refuses any body. Here at most
		// 2 MiB a connection and min(MaxBytes, 1 MiB) a stream (HTTP/2's
		// 64 KiB initial window at least) wait unread.
		HTTP2: &http.HTTP2Config{
			MaxReceiveBufferPerConnection: h2ConnWindow,
			MaxReceiveBufferPerStream:     h2StreamWindow(c.MaxBytes),
		},
	}, nil
}

// h2ConnWindow is the HTTP/2 receive window of a connection.
const h2ConnWindow = 2 << 20

// h2StreamWindow is the HTTP/2 receive window of a stream for bodies of
// at most maxBytes: no more than the body may be, within [64 KiB, 1 MiB].
func h2StreamWindow(maxBytes int64) int {
	const lo, hi = 64 << 10, 1 << 20
	switch {
	case maxBytes+1 < lo:
		return lo
	case maxBytes+1 > hi:
		return hi
	}
	return int(maxBytes + 1)
}
