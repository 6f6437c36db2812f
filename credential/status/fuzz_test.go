package status

import (
	"bytes"
	"errors"
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
}

// FuzzDecodeList: the encodedList decoder never panics, returns either a
// list of at least MinStatusListBits bits or a sentinel error, and what it
// accepts re-encodes to a list that decodes to the same bits.
func FuzzDecodeList(f *testing.F) {
	f.Add(loadSpecExample(f).StatusListCredential.CredentialSubject.EncodedList)
	f.Add("u")
	f.Add("uH4sIAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
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
	f.Fuzz(func(t *testing.T, b []byte) {
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
}
