package did

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzWebDID checks that did:web parsing never panics, stays under the
// package's per-input allocation ceiling (allocCeiling), and that every DID it maps to a URL maps
// to a clean one: https, the DID's own host, a path without
// percent-encoding, empty or dot segments (path.Clean leaves it as is),
// and that WebDID rebuilds the DID from the URL's parts.
func FuzzWebDID(f *testing.F) {
	for _, s := range []string{"did:web:w3c-ccg.github.io", "did:web:w3c-ccg.github.io:user:alice",
		"did:web:example.com%3A3000:user:alice", "did:web:example.com%3A3000", "did:web:example.com:3000", "did:web:127.0.0.1"} {
		f.Add(s) // shared/vectors/did-web/url-mapping.json
	}
	for _, tc := range invalidWebDIDs {
		f.Add(tc.did)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var u string
		var err error
		allocCeiling(t, func() { u, err = WebDocumentURL(s) }) // did/fuzz_test.go
		if err != nil {
			return
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "https" || pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil {
			t.Fatalf("%q → bad URL %q (%v)", s, u, err)
		}
		if strings.Contains(u, "%") || strings.Contains(pu.Path, "//") || path.Clean(pu.Path) != pu.Path {
			t.Fatalf("%q → unclean path %q", s, pu.Path)
		}
		var segs []string
		if p := strings.TrimSuffix(pu.Path, "/did.json"); p != "/.well-known" {
			segs = strings.Split(strings.TrimPrefix(p, "/"), "/")
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(s, "did:web:"), "%3A")
		host, _, _ = strings.Cut(host, ":")
		if host == strings.ToLower(host) { // WebDID writes the host in lower case
			if d, err := WebDID(pu.Host, segs...); err != nil || d != s {
				t.Fatalf("%q → %q → WebDID %q, %v", s, u, d, err)
			}
		}
	})
}
