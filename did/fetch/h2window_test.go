//go:build !js

package fetch

import (
	"net/http"
	"testing"
)

// TestHTTP2WindowsBounded: a hostile HTTP/2 server can push only bounded
// data ahead of the client's reads (Go's defaults are 4 MiB a stream and
// 1 GiB a connection).
func TestHTTP2WindowsBounded(t *testing.T) {
	for _, tc := range []struct {
		max  int64
		want int
	}{
		{0, 1 << 20}, // DefaultMaxBytes is 1 MiB: 1 MiB + 1 byte, capped
		{1 << 10, 64 << 10},
		{100 << 10, 100<<10 + 1},
		{64 << 20, 1 << 20},
	} {
		c, err := New(&Config{MaxBytes: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		tr, ok := c.client.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport is %T", c.client.Transport)
		}
		if tr.HTTP2 == nil || tr.HTTP2.MaxReceiveBufferPerStream != tc.want || tr.HTTP2.MaxReceiveBufferPerConnection != h2ConnWindow {
			t.Errorf("MaxBytes %d: HTTP2 %+v, want stream window %d, connection %d", tc.max, tr.HTTP2, tc.want, h2ConnWindow)
		}
	}
}
