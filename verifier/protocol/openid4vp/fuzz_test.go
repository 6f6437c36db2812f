package openid4vp

import (
	"context"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
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

// allocCeiling bounds what one input may allocate: a fixed budget for the
// DID resolution, key decoding and go-jose (the golden request object
// verifies in about 96 KB, a response decrypts in 16 KB), plus a multiple
// of the input.
// An input near the size limits stays far below it; the PLONK decoder bug
// (800 bytes, 4 GiB) would not.
func allocCeiling(n int) uint64 { return 1<<20 + 64*uint64(n) }

// FuzzVerifyRequestObject: any token is refused or verified without
// panicking and within the allocation ceiling; seeded from the golden
// vector and forged variants.
func FuzzVerifyRequestObject(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "request_object.jwt"))
	if err != nil {
		f.Fatal(err)
	}
	good := strings.TrimSpace(string(b))
	segs := strings.Split(good, ".")
	f.Add(good)
	f.Add(segs[0] + "." + segs[1] + ".")
	f.Add(b64e(`{"alg":"none","typ":"oauth-authz-req+jwt"}`) + "." + segs[1] + ".")
	f.Add(b64e(`{"alg":"EdDSA","typ":"oauth-authz-req+jwt","kid":"`+kid+`","crit":["b64"],"b64":false}`) + "." + segs[1] + "." + segs[2])
	f.Add(b64e(`{"alg":"EdDSA","typ":"oauth-authz-req+jwt","kid":"`+kid+`"}`) + "." + b64e(`{"dcql_query":{"credentials":[{"id":"a","format":"zkcred_zkp","meta":{},"claims":[{"path":[0,null,"a"]}]}]}}`) + "." + segs[2])
	r := resolver(f)
	f.Fuzz(func(t *testing.T, token string) {
		ar := testAR()
		var ro *RequestObject
		n := heapAllocs(func() {
			ro, err = VerifyRequestObject(context.Background(), ar, token, r, testOpts())
		})
		if err == nil && ro == nil {
			t.Fatal("nil request object without error")
		}
		if n > allocCeiling(len(token)) {
			t.Fatalf("%d-byte input allocated %d bytes", len(token), n)
		}
	})
}

// FuzzDecryptResponse: any response is refused or decrypted without
// panicking and within the allocation ceiling.
func FuzzDecryptResponse(f *testing.F) {
	key := encKey(f)
	md := testRequestObject(f).ClientMetadata
	good, err := EncryptResponse(testResponse(), md)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	e, err := jose.NewEncrypter(jose.A128GCM, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &key.PublicKey, KeyID: encKid},
		&jose.EncrypterOptions{Compression: jose.DEFLATE})
	if err != nil {
		f.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(strings.Repeat(" ", 1<<16) + `{"vp_token":{"pid":["x"]}}`))
	if err != nil {
		f.Fatal(err)
	}
	zipped, _ := obj.CompactSerialize()
	f.Add(zipped)
	f.Add(strings.Repeat(".", 4))
	f.Fuzz(func(t *testing.T, token string) {
		var r *Response
		n := heapAllocs(func() { r, err = DecryptResponse(token, key, encKid, []string{EncA128GCM, EncA256GCM}) })
		if err == nil && r == nil {
			t.Fatal("nil response without error")
		}
		if n > allocCeiling(len(token)) {
			t.Fatalf("%d-byte input allocated %d bytes", len(token), n)
		}
	})
}

// FuzzParseTransactionData: anything that parses re-encodes to the same
// string (one spelling per item, so one hash per item).
func FuzzParseTransactionData(f *testing.F) {
	f.Add(ballot(f, "yes"))
	f.Add(consent(f, "I consent."))
	f.Add(b64e(`{"type":"zkcred_ballot","choice":"yes","credential_ids":["pid"],"ballot_id":"b"}`))
	f.Fuzz(func(t *testing.T, s string) {
		td, err := ParseTransactionData(s)
		if err != nil {
			return
		}
		if _, err := td.Encode(); err != nil {
			t.Fatalf("parsed item does not re-encode: %v", err)
		}
	})
}
