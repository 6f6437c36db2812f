package credential

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/zkcred/zkcred/did"
)

// Test fixtures: an issuer DID with fixed keys, resolved by a
// did.StaticResolver.
const (
	agencyDID = "did:example:agency"
	otherDID  = "did:example:other"
)

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	ed       ed25519.PrivateKey // #jose-ed, assertionMethod
	p256     *ecdsa.PrivateKey  // #jose-p256, assertionMethod
	auth     ed25519.PrivateKey // #auth, authentication only
	foreign  ed25519.PrivateKey // #foreign, listed by agency, controlled by other
	other    ed25519.PrivateKey // did:example:other#key, assertionMethod of other
	zk       *ZKPrivateKey      // #zk, assertionMethod
	resolver *did.StaticResolver
}

func seeded(b byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32)) }

// fixedP256 derives a P-256 key from a fixed scalar.
func fixedP256(t testing.TB) *ecdsa.PrivateKey {
	d := new(big.Int).SetBytes(bytes.Repeat([]byte{7}, 32))
	k := &ecdsa.PrivateKey{D: d}
	k.Curve = elliptic.P256()
	k.X, k.Y = elliptic.P256().ScalarBaseMult(d.Bytes())
	return k
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{ed: seeded(1), p256: fixedP256(t), auth: seeded(2), foreign: seeded(3), other: seeded(4), zk: fixedKey(t)}
	method := func(id, controller string, pub any) did.VerificationMethod {
		vm, err := did.NewMultikeyMethod(id, controller, pub)
		if err != nil {
			t.Fatal(err)
		}
		return vm
	}
	doc := &did.Document{ID: agencyDID}
	add := func(vm did.VerificationMethod, rels ...did.Relationship) {
		if err := doc.AddVerificationMethod(vm, rels...); err != nil {
			t.Fatal(err)
		}
	}
	add(method(agencyDID+"#jose-ed", agencyDID, f.ed.Public()), did.AssertionMethod)
	add(method(agencyDID+"#jose-p256", agencyDID, &f.p256.PublicKey), did.AssertionMethod)
	add(method(agencyDID+"#auth", agencyDID, f.auth.Public()), did.Authentication)
	add(method(agencyDID+"#foreign", otherDID, f.foreign.Public()), did.AssertionMethod)
	add(method(agencyDID+"#zk", agencyDID, f.zk.Public()), did.AssertionMethod)
	odoc := &did.Document{ID: otherDID}
	if err := odoc.AddVerificationMethod(method(otherDID+"#key", otherDID, f.other.Public()), did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	r, err := did.NewStaticResolver(doc, odoc)
	if err != nil {
		t.Fatal(err)
	}
	f.resolver = r
	return f
}

// testCredential is a valid credential of the agency, valid for a year
// around testNow.
func testCredential() *Credential {
	return &Credential{
		Context:    []any{ContextV2},
		ID:         "urn:uuid:7d4b8a52-6c1e-4f0e-9d0b-3b1a2c9e8f10",
		Type:       []string{TypeVerifiableCredential, "PersonCredential"},
		Issuer:     IssuerRef{ID: agencyDID},
		ValidFrom:  testNow.AddDate(0, -6, 0),
		ValidUntil: testNow.AddDate(0, 6, 0),
		CredentialSubject: []Subject{{ID: "did:example:holder", Claims: map[string]any{
			"district": "07", "birthDate": "1990-05-17",
		}}},
	}
}

// rawJWS builds a compact JWS from arbitrary header and payload JSON,
// signed with Ed25519 (sign = nil leaves the signature to the caller).
func rawJWS(header, payload string, sign func(input []byte) []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}

func edSigner(k ed25519.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte { return ed25519.Sign(k, in) }
}

// payloadOf returns c's JSON with extra members set (nil deletes).
func payloadOf(t testing.TB, c *Credential, set map[string]any) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func clockAt(t time.Time) VerifyOptions { return VerifyOptions{Clock: func() time.Time { return t }} }
