package did

import (
	"encoding/json"
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
}

// FuzzDocument checks that ParseDocument never panics and that a document
// it accepts marshals to JSON that it accepts again, unchanged.
func FuzzDocument(f *testing.F) {
	f.Add([]byte(issuerDocJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
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
		for _, rel := range Relationships {
			for _, r := range doc.References(rel) {
				if r.Method != nil {
					r.Method.PublicKey()
				}
			}
		}
	})
}

// FuzzKey checks that did:key decoding never panics, and that an accepted
// key re-encodes to the same DID (so no two DIDs name one key) and
// expands to a valid document.
func FuzzKey(f *testing.F) {
	f.Add("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := ParseKey(s)
		if err != nil {
			if pub != nil {
				t.Fatal("key returned with an error")
			}
			return
		}
		did, err := NewKey(pub)
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
}
