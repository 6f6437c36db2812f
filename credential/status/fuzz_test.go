package status

import (
	"bytes"
	"errors"
	"runtime/metrics"
	"testing"
)

// FuzzParseSnapshot: the snapshot parser never panics, and whatever parses
// re-marshals to exactly the input (no malleability).
func FuzzParseSnapshot(f *testing.F) {
	for _, ids := range [][]uint64{nil, {1}, {5, 9, 7}, {^uint64(0) - 1, 2}} {
		b, err := snapshotOf(f, 8, 3, ids).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			s, err := ParseSnapshot(b)
			if err != nil {
				if !errors.Is(err, ErrInvalidSnapshot) || s != nil {
					t.Fatalf("error %v with snapshot %v", err, s)
				}
				return
			}
			out, err := s.MarshalBinary()
			if err != nil {
				t.Fatalf("parsed snapshot does not marshal: %v", err)
			}
			if !bytes.Equal(out, b) {
				t.Fatal("re-marshalled snapshot differs from input")
			}
			if _, err := s.Tree(); err != nil && !errors.Is(err, ErrInvalidSnapshot) {
				t.Fatalf("tree: %v", err)
			}
		})
	})
}

// FuzzDecodeList: the encodedList decoder never panics, returns either a
// list of at least MinStatusListBits bits or a sentinel error, and what it
// accepts re-encodes to a list that decodes to the same bits.
func FuzzDecodeList(f *testing.F) {
	f.Add(loadSpecExample(f).StatusListCredential.CredentialSubject.EncodedList)
	f.Add("u")
	f.Add("uH4sIAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		allocCeiling(t, func() {
			bits, err := DecodeList(s)
			if err != nil {
				if bits != nil || !(errors.Is(err, ErrMalformedList) || errors.Is(err, ErrListLength)) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(bits)*8 < MinStatusListBits || len(bits)*8 > MaxStatusListBits {
				t.Fatalf("accepted %d bits", len(bits)*8)
			}
			enc, err := EncodeList(bits)
			if err != nil {
				t.Fatal(err)
			}
			again, err := DecodeList(enc)
			if err != nil || !bytes.Equal(again, bits) {
				t.Fatal("re-encoding changed the list")
			}
		})
	})
}

// FuzzParseRootClaims: the signed-root payload parser never panics, and
// what it accepts re-marshals to claims that parse identically.
func FuzzParseRootClaims(f *testing.F) {
	b, err := testClaims().marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"v":1,"iss":"did:example:a","root":"AA","depth":1,"count":0,"seq":0,"iat":0}`))
	// Strict decoding: duplicates after unescaping, case variants, 2^53+1,
	// lone surrogates, non-integers.
	f.Add([]byte(`{"v":1,"iss":"did:example:\ud800","root":"AA","depth":1,"count":0,"\u0063ount":1,"seq":0,"iat":0}`))
	f.Add([]byte(`{"v":1,"iss":"did:example:a","root":"AA","depth":1,"Count":0,"seq":9007199254740993,"iat":1.0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			c, err := parseRootClaims(b)
			if err != nil {
				if !errors.Is(err, ErrInvalidRoot) || c != nil {
					t.Fatalf("error %v with claims %v", err, c)
				}
				return
			}
			out, err := c.marshal()
			if err != nil {
				t.Fatal(err)
			}
			c2, err := parseRootClaims(out)
			if err != nil || *c2 != *c {
				t.Fatalf("re-parse: %v", err)
			}
		})
	})
}

// allocCeiling fails t when f, the call on one fuzz input, allocates over
// 128 MiB (runtime/metrics, delta). Inputs are small (a snapshot of a few
// KiB, a signed-root payload under 8 KiB); only a decompressed status list
// is big, 16 MiB at most (MaxStatusListBits), and FuzzDecodeList decodes,
// re-encodes and decodes it again: 128 MiB is twice those three passes
// with buffer growth, and far below what a decompression bomb would take.
func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 128<<20 {
		t.Fatalf("status: one input allocated %d bytes (ceiling 128 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}
