package did

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

// TestJWKSpecExamples resolves the two did:jwk spec examples
// (../testdata/did/did-jwk-spec-examples.json) and compares the whole
// document.
func TestJWKSpecExamples(t *testing.T) {
	b, err := os.ReadFile("../testdata/did/did-jwk-spec-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Examples []struct {
			DID         string          `json:"did"`
			DIDURL      string          `json:"didUrl"`
			DecodedJWK  json.RawMessage `json:"decodedJwk"`
			DIDDocument json.RawMessage `json:"didDocument"`
		} `json:"examples"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Examples) != 2 {
		t.Fatal(err)
	}
	for _, ex := range v.Examples {
		res, err := (&JWKResolver{}).Resolve(context.Background(), ex.DID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(res.Document)
		var g, w any
		json.Unmarshal(got, &g)
		json.Unmarshal(ex.DIDDocument, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\ngot  %s\nwant %s", ex.DID, got, ex.DIDDocument)
		}
		jwk, _, err := ParseJWKDID(ex.DID)
		if err != nil {
			t.Fatal(err)
		}
		jb, _ := json.Marshal(jwk)
		json.Unmarshal(jb, &g)
		json.Unmarshal(ex.DecodedJWK, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("decoded JWK %s", jb)
		}
		rel := AssertionMethod
		if jwk.Use == "enc" {
			rel = KeyAgreement
		}
		if _, _, err := ResolveVerificationMethod(context.Background(), &JWKResolver{}, ex.DIDURL, rel); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJWKRoundTrip(t *testing.T) {
	ed := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), zeroReader{})
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), zeroReader{})
	x, _ := ecdh.X25519().GenerateKey(zeroReader{})
	k1, _ := ParseSecp256k1PublicKey(mustHex("02b97c30de767f084ce3080168ee293053ba33b235d7116a3263d29f1450936b71"))
	for _, pub := range []any{ed, &p256.PublicKey, &p521.PublicKey, x.PublicKey(), k1} {
		for _, use := range []string{"", "sig", "enc"} {
			did, err := JWKDID(pub, use)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := (&JWKResolver{}).Document(did)
			if err != nil {
				t.Fatalf("%T %q: %v", pub, use, err)
			}
			want := map[string]int{"": 5, "sig": 4, "enc": 1}[use]
			n := 0
			for _, rel := range relationships {
				if doc.HasRelationship(rel, "#0") {
					n++
				}
			}
			if n != want || doc.HasRelationship(KeyAgreement, "#0") != (use != "sig") {
				t.Fatalf("%T %q: in %d relationships", pub, use, n)
			}
			got, err := doc.VerificationMethod[0].PublicKey()
			if err != nil || string(rawOf(t, got)) != string(rawOf(t, pub)) {
				t.Fatalf("%T: %v", pub, err)
			}
		}
	}
	if _, err := JWKDID(ed, "both"); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
}

func jwkDID(s string) string { return "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestJWKRejects(t *testing.T) {
	const x = `"x":"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"`
	good := jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `}`)
	if _, _, err := ParseJWKDID(good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, did string
		want      error
	}{
		// Private key material
		{"private d", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `,"d":"AAAA"}`), ErrPrivateKeyMaterial},
		{"symmetric k", jwkDID(`{"kty":"oct","k":"AAAA"}`), ErrPrivateKeyMaterial},
		// Encoding
		{"padding", good + "=", ErrInvalidDID},
		{"std base64 chars", "did:jwk:eyJ+/", ErrInvalidDID},
		{"not JSON", jwkDID(`hello`), ErrInvalidDID},
		{"JSON array", jwkDID(`[1]`), ErrInvalidDID},
		{"duplicate member", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `,` + x + `}`), ErrInvalidDID},
		{"trailing data", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `}{}`), ErrInvalidDID},
		// json v2 semantics: duplicates after unescaping, case variants
		// (a case-insensitive reader's kty or d), lone surrogates.
		{"escaped duplicate crv", jwkDID(`{"crv":"Ed25519","\u0063rv":"X25519","kty":"OKP",` + x + `}`), ErrInvalidDID},
		{"case variant KTY", jwkDID(`{"crv":"Ed25519","kty":"OKP","KTY":"EC",` + x + `}`), ErrInvalidDID},
		{"case variant D hides private key", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `,"D":"AAAA"}`), ErrInvalidDID},
		{"lone surrogate", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `,"kid":"\ud800"}`), ErrInvalidDID},
		{"invalid UTF-8", "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte{'{', 0xff, '}'}), ErrInvalidDID},
		{"other method", "did:key:" + good[8:], ErrInvalidDID},
		// Key
		{"no kty", jwkDID(`{"crv":"Ed25519",` + x + `}`), ErrInvalidKey},
		{"RSA", jwkDID(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`), ErrUnsupportedKey},
		{"unknown curve", jwkDID(`{"crv":"Ed448","kty":"OKP",` + x + `}`), ErrUnsupportedKey},
		{"bad use", jwkDID(`{"crv":"Ed25519","kty":"OKP","use":"both",` + x + `}`), ErrInvalidKey},
		{"OKP with y", jwkDID(`{"crv":"Ed25519","kty":"OKP",` + x + `,"y":"AA"}`), ErrInvalidKey},
		{"short x", jwkDID(`{"crv":"Ed25519","kty":"OKP","x":"AAAA"}`), ErrInvalidKeyLength},
		{"x not base64url", jwkDID(`{"crv":"Ed25519","kty":"OKP","x":"A+A/"}`), ErrInvalidKey},
		{"small order Ed25519", jwkDID(`{"crv":"Ed25519","kty":"OKP","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`), ErrInvalidKey},
		{"small order X25519", jwkDID(`{"crv":"X25519","kty":"OKP","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`), ErrInvalidKey},
		{"P-256 off curve", jwkDID(`{"crv":"P-256","kty":"EC","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`), ErrInvalidKey},
		{"P-256 short coordinate", jwkDID(`{"crv":"P-256","kty":"EC","x":"AQ","y":"AQ"}`), ErrInvalidKeyLength},
		{"secp256k1 off curve", jwkDID(`{"crv":"secp256k1","kty":"EC","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`), ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := (&JWKResolver{}).Resolve(context.Background(), tc.did)
			if !errors.Is(err, tc.want) || res.Document != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
