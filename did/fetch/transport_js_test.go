//go:build js

package fetch

import (
	"errors"
	"testing"
)

// TestBrowserPolicy checks the URL rules of the browser transport (run
// under Node.js: GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./did/fetch).
func TestBrowserPolicy(t *testing.T) {
	for _, c := range []struct {
		scheme, host string
		allowHTTP    bool
		ok           bool
	}{
		{"https", "agency.example", false, true},
		{"http", "agency.example", false, false},
		{"http", "agency.example", true, false}, // http only to this machine
		{"http", "127.0.0.1", false, false},
		{"http", "127.0.0.1", true, true},
		{"http", "127.8.9.10", true, true},
		{"http", "::1", true, true},
		{"http", "localhost", true, true},
		{"http", "10.0.0.1", true, false},
		{"ftp", "127.0.0.1", true, false},
	} {
		err := checkBrowserURL(c.scheme, c.host, c.allowHTTP)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalidURL)) {
			t.Errorf("%s://%s allowHTTP=%v: %v", c.scheme, c.host, c.allowHTTP, err)
		}
	}
	if _, err := New(&Config{DialAddrs: map[string]string{"a.example:443": "127.0.0.1:443"}}); !errors.Is(err, ErrInvalidURL) {
		t.Errorf("DialAddrs in a browser: %v", err)
	}
}
