package did

import (
	"encoding/json"
	"reflect"
	"runtime/metrics"
	"strings"
	"testing"
)

// The seed corpus is in testdata/fuzz/FuzzX/, built from the vectors in
// ../testdata/did (DIDs, DID URLs, documents, did:key values).

// FuzzParse checks that Parse and ParseURL never panic, that what parses
// prints back identically, and that every DID is also a DID URL.
func FuzzParse(f *testing.F) {
	f.Add("did:example:123#key-1")
	f.Fuzz(func(t *testing.T, s string) {
		allocCeiling(t, func() {
			d, err := Parse(s)
			if err == nil {
				if d.String() != s {
					t.Fatalf("Parse(%q).String() = %q", s, d.String())
				}
				if _, err := ParseURL(s); err != nil {
					t.Fatalf("DID %q is not a DID URL: %v", s, err)
				}
			}
			u, err := ParseURL(s)
			if err != nil {
				return
			}
			// An empty "?" or "#" is dropped by String; anything else prints back.
			if got := u.String(); got != s && got != strings.TrimSuffix(strings.TrimSuffix(s, "#"), "?") && !strings.Contains(s, "?#") {
				t.Fatalf("ParseURL(%q).String() = %q", s, got)
			}
			if _, err := Parse(u.DID.String()); err != nil {
				t.Fatalf("DID part of %q does not parse: %v", s, err)
			}
		})
	})
}

// FuzzDocument checks that ParseDocument never panics and that a document
// it accepts marshals to JSON that it accepts again, unchanged.
func FuzzDocument(f *testing.F) {
	f.Add([]byte(issuerDocJSON))
	// Strict decoding: duplicates after unescaping, case variants, 2^53+1,
	// lone surrogates.
	f.Add([]byte(`{"id":"did:example:a","\u0069d":"did:example:b","ID":"did:example:c"}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/did/v1",{"@version":9007199254740993}],"id":"did:example:a\ud800"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			doc, err := ParseDocument(b)
			if err != nil {
				return
			}
			out, err := json.Marshal(doc)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			doc2, err := ParseDocument(out)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", out, err)
			}
			out2, _ := json.Marshal(doc2)
			if string(out) != string(out2) {
				t.Fatalf("not stable:\n%s\n%s", out, out2)
			}
			for i := range doc.VerificationMethod {
				doc.VerificationMethod[i].PublicKey() // must not panic
			}
			for _, rel := range relationships {
				for _, r := range doc.References(rel) {
					if r.Method != nil {
						r.Method.PublicKey()
					}
				}
			}
		})
	})
}

// FuzzJWKDID checks that did:jwk decoding never panics and that an
// accepted key re-encodes to a DID that decodes to the same key.
func FuzzJWKDID(f *testing.F) {
	f.Add("did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6Ik8yb252TTYycEMxaW82alFLbThOYzJVeUZYY2Q0a09tT3NCSW9ZdFoyaWsifQ")
	f.Add("did:jwk:eyJjcnYiOiJFZDI1NTE5IiwiXHUwMDYzcnYiOiJYMjU1MTkiLCJLVFkiOiJFQyJ9")
	f.Fuzz(func(t *testing.T, s string) {
		allocCeiling(t, func() {
			_, pub, err := ParseJWKDID(s)
			if err != nil {
				return
			}
			again, err := JWKDID(pub, "")
			if err != nil {
				t.Fatalf("accepted key does not re-encode: %v", err)
			}
			if _, pub2, err := ParseJWKDID(again); err != nil || !reflect.DeepEqual(pub, pub2) {
				t.Fatalf("%q re-encodes as %q: %v", s, again, err)
			}
		})
	})
}

// FuzzKey checks that did:key decoding never panics, and that an accepted
// key re-encodes to the same DID (so no two DIDs name one key) and
// expands to a valid document.
func FuzzKey(f *testing.F) {
	f.Add("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Fuzz(func(t *testing.T, s string) {
		allocCeiling(t, func() {
			pub, err := ParseKey(s)
			if err != nil {
				if pub != nil {
					t.Fatal("key returned with an error")
				}
				return
			}
			did, err := KeyDID(pub)
			if err != nil {
				t.Fatalf("accepted key does not re-encode: %v", err)
			}
			if did != s && did != strings.Replace(s, "did:key:1:", "did:key:", 1) {
				t.Fatalf("%q re-encodes as %q", s, did)
			}
			for _, format := range []string{KeyFormatMultikey, KeyFormatJsonWebKey2020} {
				doc, err := (&KeyResolver{Format: format, EnableEncryptionKeyDerivation: true}).Document(s)
				if err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				if err := doc.Validate(); err != nil {
					t.Fatal(err)
				}
				for i := range doc.VerificationMethod {
					if _, err := doc.VerificationMethod[i].PublicKey(); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	})
}

// allocCeiling fails t when one fuzz input's call f allocates more than
// 64 MiB (runtime/metrics, delta): 64 times MaxDocumentSize (1 MiB), the
// largest input these parsers accept, so only an amplification trips it.
func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 64<<20 {
		t.Fatalf("did: one input allocated %d bytes (ceiling 64 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}
