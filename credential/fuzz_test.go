package credential

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"
)

// Fuzz targets. Seeds come from the vectors and golden files, and from the
// committed corpus under testdata/fuzz/FuzzX/.

func FuzzVerifyJWT(f *testing.F) {
	fx := newFixture(f)
	good, err := IssueJWT(testCredential(), fx.ed, agencyDID+"#jose-ed", testNow)
	if err != nil {
		f.Fatal(err)
	}
	es, err := IssueJWT(testCredential(), fx.p256, agencyDID+"#jose-p256", testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(es)
	f.Add(strings.Replace(good, ".", "..", 1))
	// Strict decoding: non-canonical base64url (unused bits set in the last
	// character of the signature), padding.
	f.Add(good[:len(good)-1] + string(good[len(good)-1]^1))
	f.Add(good + "==")
	toks, _ := filepath.Glob("../testdata/vc-jose-cose/*.txt")
	for _, p := range toks {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(strings.TrimSpace(string(b)))
		}
	}
	pub := fx.ed.Public()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		allocCeiling(t, func() {
			c, err := VerifyJWT(ctx, fx.resolver, token, clockAt(testNow))
			if err == nil {
				// Only the fixture issuer's assertion keys can make a token pass.
				p, perr := parseJWT(token, &VerifyOptions{})
				if perr != nil || (p.kid != agencyDID+"#jose-ed" && p.kid != agencyDID+"#jose-p256") {
					t.Fatalf("accepted a token with kid %v", p)
				}
				if c.Issuer.ID != agencyDID {
					t.Fatalf("accepted issuer %q", c.Issuer.ID)
				}
				if _, err := json.Marshal(c); err != nil {
					t.Fatalf("accepted credential does not marshal: %v", err)
				}
			}
			_, _ = VerifyJWTWithKey(token, pub, VerifyOptions{Clock: clockAt(testNow).Clock, AllowStringIssuedAt: true, Algorithms: optionalAlgorithms})
		})
	})
}

func FuzzCredentialJSON(f *testing.F) {
	files, _ := filepath.Glob("../testdata/vcdm2/schema-example-*.json")
	files = append(files, "../testdata/vc-jose-cose/credential-minimal.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","issuer":{"id":"did:x:y"},"credentialSubject":[{"a":1}]}`))
	// Strict decoding: duplicates after unescaping, case variants, numbers
	// beyond 2^53, lone surrogates.
	for _, edit := range [][2]string{{`"issuer":`, `"\u0069ssuer":"did:x:z","issuer":`}, {`"issuer":`, `"Issuer":"did:x:z","issuer":`},
		{`"district":"07"`, `"district":9007199254740993`}, {`"district":"07"`, `"district":"\ud800"`}, {`"district":"07"`, `"CredentialSubject":1`}} {
		f.Add([]byte(strings.Replace(credentialJSON, edit[0], edit[1], 1)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			c, err := ParseCredential(b)
			if err != nil {
				return
			}
			m1, err := json.Marshal(c)
			if err != nil {
				t.Fatalf("accepted credential does not marshal: %v", err)
			}
			c2, err := ParseCredential(m1)
			if err != nil {
				t.Fatalf("re-encoding rejected: %v\n%s", err, m1)
			}
			m2, err := json.Marshal(c2)
			if err != nil || !bytes.Equal(m1, m2) {
				t.Fatalf("re-encoding not stable:\n%s\n%s", m1, m2)
			}
		})
	})
}

func FuzzStoredJSON(f *testing.F) {
	fx := newFixture(f)
	s := issueTest(f, fx)
	b, err := json.Marshal(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(bytes.Replace(b, []byte(`"jwt":`), []byte(`"JWT":"x","jwt":`), 1))
	f.Add(bytes.Replace(b, []byte(`"jwt":`), []byte(`"\u006awt":"x","jwt":`), 1))
	f.Add(bytes.Replace(b, []byte(`"district":"07"`), []byte(`"district":9007199254740993`), 1))
	if g, err := os.ReadFile("testdata/golden/stored-person-v1.json"); err == nil {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			s, err := ParseStored(b)
			if err != nil {
				return
			}
			m1, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("accepted stored credential does not marshal: %v", err)
			}
			s2, err := ParseStored(m1)
			if err != nil {
				t.Fatalf("re-encoding rejected: %v", err)
			}
			m2, _ := json.Marshal(s2)
			if !bytes.Equal(m1, m2) {
				t.Fatalf("re-encoding not stable:\n%s\n%s", m1, m2)
			}
		})
	})
}

func FuzzSchemaJSON(f *testing.F) {
	b, _ := json.Marshal(PersonSchema())
	f.Add(b)
	f.Add([]byte(`{"format":"zkcred-schema-v1","name":"x","version":1,"slots":2,"attributes":[{"name":"a","type":"enum","enum":["p","q"]},{"name":"b","type":"uint","bits":64}]}`))
	f.Add([]byte(`{"format":"zkcred-schema-v1","Name":"y","name":"x","version":1,"slots":1,"attributes":[{"name":"a","type":"bool"}]}`))
	f.Add([]byte(`{"format":"zkcred-schema-v1","n\u0061me":"y","name":"x","version":9007199254740993,"slots":1,"attributes":[{"name":"\ud800","type":"bool"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			var s Schema
			if err := json.Unmarshal(b, &s); err != nil {
				return
			}
			m1, err := json.Marshal(&s)
			if err != nil {
				t.Fatalf("accepted schema does not marshal: %v", err)
			}
			var s2 Schema
			if err := json.Unmarshal(m1, &s2); err != nil {
				t.Fatalf("canonical form rejected: %v", err)
			}
			if id1, id2 := s.ID(), s2.ID(); !id1.Equal(&id2) {
				t.Fatal("id changed in round trip")
			}
		})
	})
}

func FuzzParseZKSignature(f *testing.F) {
	k := fixedKey(f)
	msg := testMessage(f)
	sig, _ := k.Sign(msg)
	f.Add(sig.Bytes())
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			s, err := ParseZKSignature(b)
			if err != nil {
				return
			}
			if !bytes.Equal(s.Bytes(), b) {
				t.Fatal("accepted a non-canonical encoding")
			}
			if VerifyZK(k.Public(), msg, s) == nil && !bytes.Equal(b, sig.Bytes()) {
				t.Fatal("a second valid signature on the message (malleability)")
			}
		})
	})
}

// allocCeiling runs one fuzz input's call, f, and fails if it allocated
// over 64 MiB (runtime/metrics, delta): these decoders take at most 256 KiB
// (MaxStoredSize; tokens 96 KiB, credentials 64 KiB), so 256 times the
// largest input means amplification, reported instead of an OOM kill.
func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 64<<20 {
		t.Fatalf("credential: one input allocated %d bytes (ceiling 64 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}
