package issuer

import (
	"crypto/ed25519"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/openid4vci"
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

// FuzzTokenRequest: the token request parser never panics and stays under
// the allocation ceiling. Seeds: testdata/fuzz/FuzzTokenRequest.
func FuzzTokenRequest(f *testing.F) {
	f.Add([]byte("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc&tx_code=123456"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r *tokenRequest
		var err error
		if n := heapAllocs(func() { r, err = parseTokenRequest("application/x-www-form-urlencoded", body) }); n > allocCeiling(len(body)) {
			t.Fatalf("%d bytes allocated for a %d-byte token request", n, len(body))
		}
		if err == nil && (r.Code == "" || len(r.Code) > 512 || len(r.TxCode) > 64) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzCredentialRequest: the credential request parser and the proof
// verifier never panic and stay under the allocation ceiling. Seeds:
// testdata/fuzz/FuzzCredentialRequest.
func FuzzCredentialRequest(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	var c fr.Element
	c.SetUint64(7)
	now := time.Unix(1_800_000_000, 0)
	p, err := openid4vci.NewProof(key, "https://agency.example", "bm9uY2U", c, now)
	if err != nil {
		f.Fatal(err)
	}
	seed := []byte(`{"credential_configuration_id":"zkcred_person","proofs":{"jwt":["` + p + `"]}}`)
	f.Add(seed)
	check := func(body []byte) {
		r, err := parseCredentialRequest("application/json", body)
		if err == nil {
			_, _ = openid4vci.VerifyProof(r.Proofs.JWT[0], "https://agency.example", now, 5*time.Minute, 30*time.Second)
		}
	}
	// The first verification initialises go-jose's and the curve's lazy
	// tables (about 0.3 MB, once per process, not per input): do it before
	// measuring, so the ceiling measures the input.
	check(seed)
	f.Fuzz(func(t *testing.T, body []byte) {
		if n := heapAllocs(func() { check(body) }); n > allocCeiling(len(body)) {
			t.Fatalf("%d bytes allocated for a %d-byte credential request", n, len(body))
		}
	})
}
