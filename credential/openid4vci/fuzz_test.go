package openid4vci

import (
	"runtime/metrics"
	"testing"
)

// heapAllocs returns the bytes f allocated on the heap (runtime/metrics:
// counted per span refill, so precise to a few KiB), the least of three
// runs: the counter is process-wide, and a goroutine of an earlier test
// still winding down (an HTTP server closing its connections) can add to
// one run; a parser that really allocates too much does so every time.
func heapAllocs(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	least := ^uint64(0)
	for range 3 {
		metrics.Read(s)
		before := s[0].Value.Uint64()
		f()
		metrics.Read(s)
		least = min(least, s[0].Value.Uint64()-before)
	}
	return least
}

// allocCeiling is the most a parser may allocate for an n-byte input.
func allocCeiling(n int) uint64 { return 256<<10 + 64*uint64(n) }

// FuzzParseOffer: the offer parser never panics, stays under the
// allocation ceiling, and what parses by value re-encodes to an offer that
// parses to the same value. Seeds: testdata/fuzz/FuzzParseOffer.
func FuzzParseOffer(f *testing.F) {
	f.Add(`{"credential_issuer":"https://agency.example","credential_configuration_ids":["zkcred_person"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"abc","tx_code":{"input_mode":"numeric","length":6}}}}`)
	f.Add(`openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fagency.example%2Foffers%2Fx`)
	f.Add("{\"credential_issuer\":\"https://agency.example\",\"credential_configuration_ids\":[\"zkcred_person\"],\"grants\":{\"urn:ietf:params:oauth:grant-type:pre-authorized_code\":{\"pre-authorized_code\":\"abc\",\"tx_code\":{\"description\":\"PIN \u202e\\u2066\\n\"}}}}")
	f.Fuzz(func(t *testing.T, s string) {
		var o *CredentialOffer
		var err error
		if n := heapAllocs(func() { o, _, err = ParseOffer(s) }); n > allocCeiling(len(s)) {
			t.Fatalf("%d bytes allocated for a %d-byte offer", n, len(s))
		}
		if err != nil || o == nil {
			return
		}
		b, err := marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		o2, _, err := ParseOffer(string(b))
		if err != nil {
			t.Fatalf("re-encoded offer does not parse: %v", err)
		}
		b2, _ := marshal(o2)
		if string(b) != string(b2) {
			t.Fatalf("offer changed on re-encoding:\n%s\n%s", b, b2)
		}
	})
}
