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

// TestBrowserAttackPrivateHosts: a request_uri or response_uri naming this
// machine or a private network by address (in any form the browser's URL
// parser reads as an IPv4 address) is not fetched from the browser unless
// InsecureAllowPrivateAddresses; public names and addresses are.
func TestBrowserAttackPrivateHosts(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "::1", "::ffff:127.0.0.1",
		"localhost", "LOCALHOST", "printer.localhost", "127.1", "0x7f.1", "0x7F000001", "2130706433", "127.0.0.1.", "017700000001", "router.home.0"} {
		if err := checkBrowserHost(h); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", h, err)
		}
	}
	for _, h := range []string{"agency.example", "8.8.8.8", "2001:4860:4860::8888", "a1.example", "x.0xfoo"} {
		if err := checkBrowserHost(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}
