package main

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/did/fetch"
)

// TestHTTPRootsPolicy: the revocation root is fetched under did/fetch's
// policy: without -insecure-local no plain http and no loopback; with it,
// no redirect to another host.
func TestHTTPRootsPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer tls.Close()
	const issuer = "did:web:agency.example"
	for _, tc := range []struct {
		insecureLocal bool
		url           string
		want          error
	}{
		{false, srv.URL, fetch.ErrInvalidURL},
		{false, tls.URL, fetch.ErrForbiddenAddress},
		{true, srv.URL, fetch.ErrRedirect},
	} {
		h, err := newHTTPRoots(tc.insecureLocal, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		h.urls[issuer] = tc.url
		if _, err := h.SignedRoot(t.Context(), issuer); !errors.Is(err, tc.want) {
			t.Errorf("insecureLocal=%v %s: %v, want %v", tc.insecureLocal, tc.url, err, tc.want)
		}
	}
	if n := hits.Load(); n != 1 { // only the redirecting server, once
		t.Errorf("servers reached %d times", n)
	}
}
