package status

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/zkcred/zkcred/did"
)

const (
	testIssuer = "did:example:issuer"
	testKID    = testIssuer + "#key-1"
)

var testEdKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// hiddenSigner hides the concrete key type, as an HSM or KMS signer would,
// so signing goes through the opaque-signer path.
type hiddenSigner struct{ s crypto.Signer }

func (h hiddenSigner) Public() crypto.PublicKey { return h.s.Public() }
func (h hiddenSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.s.Sign(r, d, o)
}

var testP256Key = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

// testResolver resolves testIssuer with key-1 (Ed25519, assertionMethod),
// key-2 (P-256, assertionMethod) and auth (Ed25519, authentication only).
func testResolver(t testing.TB) did.Resolver {
	t.Helper()
	doc := &did.Document{ID: testIssuer}
	add := func(frag string, pub crypto.PublicKey, rel did.Relationship) {
		vm, err := did.NewMultikeyMethod(testIssuer+"#"+frag, testIssuer, pub)
		if err != nil {
			t.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, rel); err != nil {
			t.Fatal(err)
		}
	}
	add("key-1", testEdKey.Public(), did.AssertionMethod)
	add("key-2", testP256Key.Public(), did.AssertionMethod)
	add("auth", testAuthKey.Public(), did.Authentication)
	r, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var testAuthKey = ed25519.NewKeyFromSeed([]byte("an authentication-only test key."))

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testClaims() *RootClaims {
	return &RootClaims{Issuer: testIssuer, Root: u(12345), Depth: 24, Count: 7, Sequence: 9, IssuedAt: testNow.Add(-time.Hour)}
}

func TestSignedRootRoundTrip(t *testing.T) {
	res := testResolver(t)
	for name, tc := range map[string]struct {
		key crypto.Signer
		kid string
	}{
		"Ed25519":        {testEdKey, testIssuer + "#key-1"},
		"P-256":          {testP256Key, testIssuer + "#key-2"},
		"opaque Ed25519": {hiddenSigner{testEdKey}, testIssuer + "#key-1"},
		"opaque P-256":   {hiddenSigner{testP256Key}, testIssuer + "#key-2"},
	} {
		t.Run(name, func(t *testing.T) {
			jws, err := SignRoot(testClaims(), tc.key, tc.kid)
			if err != nil {
				t.Fatal(err)
			}
			c, err := VerifySignedRoot(context.Background(), res, jws, VerifyRootOptions{Issuer: testIssuer, Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			want := testClaims()
			if c.Issuer != want.Issuer || c.Root != want.Root || c.Depth != 24 || c.Count != 7 || c.Sequence != 9 || !c.IssuedAt.Equal(want.IssuedAt) {
				t.Fatalf("claims %+v", c)
			}
			if c.Age(testNow) != time.Hour {
				t.Fatalf("age %s", c.Age(testNow))
			}
		})
	}
}

func TestSignedRootStale(t *testing.T) {
	jws, err := SignRoot(testClaims(), testEdKey, testKID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifySignedRoot(context.Background(), testResolver(t), jws, VerifyRootOptions{MaxAge: 30 * time.Minute, Now: func() time.Time { return testNow }})
	var se *StaleRootError
	if !errors.As(err, &se) || !errors.Is(err, ErrStaleRoot) {
		t.Fatalf("got %v, want *StaleRootError", err)
	}
	if se.Age != time.Hour || se.MaxAge != 30*time.Minute {
		t.Fatalf("stale error %+v", se)
	}
	// The default maximum age is a day.
	_, err = VerifySignedRoot(context.Background(), testResolver(t), jws, VerifyRootOptions{Now: func() time.Time { return testNow.Add(24 * time.Hour) }})
	if !errors.Is(err, ErrStaleRoot) {
		t.Fatalf("default max age: got %v", err)
	}
}

// resign builds a JWS with an arbitrary header and payload, validly signed
// by key, to test what the verifier checks beyond the signature.
func resign(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, hdr map[jose.HeaderKey]any, payload []byte) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range hdr {
		opts.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignedRootTampering(t *testing.T) {
	res := testResolver(t)
	good, err := SignRoot(testClaims(), testEdKey, testKID)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	withClaim := func(k string, v any) []byte {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		return b
	}
	hdr := func(kid string) map[jose.HeaderKey]any {
		return map[jose.HeaderKey]any{"kid": kid, jose.HeaderType: RootType}
	}
	otherRoot := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	rBytes := fieldMax.Bytes() // r-1; +1 gives r, not canonical
	rBytes[31]++
	cases := map[string]struct {
		jws  string
		want error
	}{
		// Signature.
		"payload swapped, old signature": {parts[0] + "." + base64.RawURLEncoding.EncodeToString(withClaim("root", otherRoot)) + "." + parts[2], ErrInvalidRoot},
		"count changed, old signature":   {parts[0] + "." + base64.RawURLEncoding.EncodeToString(withClaim("count", 6)) + "." + parts[2], ErrInvalidRoot},
		"signature bit flipped":          {parts[0] + "." + parts[1] + "." + flip(parts[2]), ErrInvalidRoot},
		"signed by another key":          {resign(t, testAuthKey, jose.EdDSA, hdr(testKID), payload), ErrInvalidRoot},
		// Key and relationship.
		"authentication key":    {resign(t, testAuthKey, jose.EdDSA, hdr(testIssuer+"#auth"), payload), did.ErrNotInRelationship},
		"unknown key":           {resign(t, testEdKey, jose.EdDSA, hdr(testIssuer+"#nope"), payload), did.ErrNotFound},
		"kid without fragment":  {resign(t, testEdKey, jose.EdDSA, hdr(testIssuer), payload), ErrInvalidRoot},
		"kid not a DID":         {resign(t, testEdKey, jose.EdDSA, hdr("key-1"), payload), ErrInvalidRoot},
		"alg mismatch for key":  {resign(t, testP256Key, jose.ES256, hdr(testKID), payload), ErrInvalidRoot},
		"iss of another issuer": {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("iss", "did:example:other")), ErrInvalidRoot},
		// Header and claims.
		"wrong typ":              {resign(t, testEdKey, jose.EdDSA, map[jose.HeaderKey]any{"kid": testKID, jose.HeaderType: "JWT"}, payload), ErrInvalidRoot},
		"unknown claim":          {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("extra", 1)), ErrInvalidRoot},
		"claim name in capitals": {resign(t, testEdKey, jose.EdDSA, hdr(testKID), []byte(strings.Replace(string(payload), `"count"`, `"COUNT"`, 1))), ErrInvalidRoot},
		"missing seq":            {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("seq", nil)), ErrInvalidRoot},
		"future version":         {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("v", 2)), ErrInvalidRoot},
		"non-canonical root":     {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("root", base64.RawURLEncoding.EncodeToString(rBytes[:]))), ErrInvalidRoot},
		"31-byte root":           {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("root", base64.RawURLEncoding.EncodeToString(make([]byte, 31)))), ErrInvalidRoot},
		"count beyond depth":     {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("count", 1<<24)), ErrInvalidRoot},
		"iat in the future":      {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("iat", testNow.Add(time.Hour).Unix())), ErrInvalidRoot},
		// json v2 semantics: duplicates after unescaping, case variants,
		// lone surrogates and non-integers are refused.
		"escaped duplicate count": {resign(t, testEdKey, jose.EdDSA, hdr(testKID), []byte(strings.Replace(string(payload), `"count":`, `"\u0063ount":9,"count":`, 1))), ErrInvalidRoot},
		"duplicate count":         {resign(t, testEdKey, jose.EdDSA, hdr(testKID), []byte(strings.Replace(string(payload), `"count":`, `"count":9,"count":`, 1))), ErrInvalidRoot},
		"case variant Count":      {resign(t, testEdKey, jose.EdDSA, hdr(testKID), []byte(strings.Replace(string(payload), `"count":`, `"Count":9,"count":`, 1))), ErrInvalidRoot},
		"lone surrogate in iss":   {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("iss", json.RawMessage(`"did:example:\ud800"`))), ErrInvalidRoot},
		"count 5.0":               {resign(t, testEdKey, jose.EdDSA, hdr(testKID), withClaim("count", json.RawMessage(`5.0`))), ErrInvalidRoot},
		"trailing data":           {resign(t, testEdKey, jose.EdDSA, hdr(testKID), append(payload, " {}"...)), ErrInvalidRoot},
		// Non-canonical base64url: only the unused low bits differ.
		"signature padding bits":       {parts[0] + "." + parts[1] + "." + flipUnusedBits(t, parts[2]), ErrInvalidRoot},
		"payload padding bits":         {parts[0] + "." + flipUnusedBits(t, parts[1]) + "." + parts[2], ErrInvalidRoot},
		"header escaped duplicate typ": {rawSigned(`{"alg":"EdDSA","kid":"`+testKID+`","typ":"JWT","t\u0079p":"`+RootType+`"}`, payload), ErrInvalidRoot},
		"not a JWS":                    {"a.b", ErrInvalidRoot},
		"alg none":                     {"eyJhbGciOiJub25lIn0." + parts[1] + ".", ErrInvalidRoot},
		"rollback (old seq)":           {good, ErrInvalidRoot},
		"oversize token":               {strings.Repeat("a", 9000), ErrInvalidRoot},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			opts := VerifyRootOptions{Now: func() time.Time { return testNow }}
			if name == "rollback (old seq)" {
				opts.MinSequence = 10
			}
			c, err := VerifySignedRoot(context.Background(), res, tc.jws, opts)
			if !errors.Is(err, tc.want) || c != nil {
				t.Fatalf("got %v, %v; want %v", c, err, tc.want)
			}
		})
	}
	// Expected issuer differs.
	if _, err := VerifySignedRoot(context.Background(), res, good, VerifyRootOptions{Issuer: "did:example:other", Now: func() time.Time { return testNow }}); !errors.Is(err, ErrInvalidRoot) {
		t.Fatalf("issuer pin: %v", err)
	}
}

// flipUnusedBits changes only the unused low bits of s's last base64url
// character: a lenient decoder reads the same bytes.
func flipUnusedBits(t *testing.T, s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		t.Fatalf("segment of %d characters has no unused bits", len(s))
	}
	out := s[:len(s)-1] + string(alphabet[strings.IndexByte(alphabet, s[len(s)-1])^1])
	if a, b := mustLenient(s), mustLenient(out); !bytes.Equal(a, b) {
		t.Fatal("flipUnusedBits changed the bytes")
	}
	return out
}

// rawSigned signs header and payload bytes as they are with testEdKey.
func rawSigned(header string, payload []byte) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	return in + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(testEdKey, []byte(in)))
}

func mustLenient(s string) []byte { b, _ := base64.RawURLEncoding.DecodeString(s); return b }

func flip(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	b[0] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}
