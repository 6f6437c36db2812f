package openid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/zkcred/zkcred/did"
)

func testResponse() *Response {
	return &Response{VPToken: map[string][]json.RawMessage{"pid": {json.RawMessage(`"eyJ0eXAiOiJ6a2NyZWQifQ"`)}}, State: "state-1"}
}

func TestEncryptDecryptResponse(t *testing.T) {
	key := encKey(t)
	for _, enc := range []string{EncA128GCM, EncA256GCM} {
		t.Run(enc, func(t *testing.T) {
			md := testRequestObject(t).ClientMetadata
			md.EncryptedResponseEncValuesSupported = []string{enc}
			jwe, err := EncryptResponse(testResponse(), md)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecryptResponse(jwe, key, encKid, []string{enc})
			if err != nil {
				t.Fatal(err)
			}
			if got.State != "state-1" || string(got.VPToken["pid"][0]) != `"eyJ0eXAiOiJ6a2NyZWQifQ"` {
				t.Fatalf("got %+v", got)
			}
			// An enc the verifier did not advertise is refused.
			other := EncA128GCM
			if enc == EncA128GCM {
				other = EncA256GCM
			}
			if _, err := DecryptResponse(jwe, key, encKid, []string{other}); !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("unadvertised enc: %v", err)
			}
		})
	}
}

// encryptWith builds a JWE with go-jose under arbitrary settings, to forge
// what a hostile wallet could send.
func encryptWith(t *testing.T, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, kid string, opts *jose.EncrypterOptions, payload string) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key, KeyID: kid}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRejectResponse lists refused encrypted responses grouped by reason.
func TestRejectResponse(t *testing.T) {
	key := encKey(t)
	pub := &key.PublicKey
	good := encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":["x"]}}`)
	if _, err := DecryptResponse(good, key, encKid, nil); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	segs := strings.Split(good, ".")
	tests := map[string]string{
		// Algorithms outside the allow-list.
		"ECDH-ES+A128KW": encryptWith(t, jose.ECDH_ES_A128KW, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":["x"]}}`),
		"A128CBC-HS256":  encryptWith(t, jose.ECDH_ES, jose.A128CBC_HS256, pub, encKid, nil, `{"vp_token":{"pid":["x"]}}`),
		"dir":            encryptWith(t, jose.DIRECT, jose.A128GCM, make([]byte, 16), encKid, nil, `{"vp_token":{"pid":["x"]}}`),
		// Headers this profile does not allow.
		"zip (decompression bomb vector)": encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, &jose.EncrypterOptions{Compression: jose.DEFLATE}, `{"vp_token":{"pid":["x"]}}`),
		"crit":                            encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, (&jose.EncrypterOptions{}).WithHeader("crit", []string{"x"}).WithHeader("x", 1), `{"vp_token":{"pid":["x"]}}`),
		"another kid":                     encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, "enc-2", nil, `{"vp_token":{"pid":["x"]}}`),
		// Encrypted to another key.
		"another recipient": encryptWith(t, jose.ECDH_ES, jose.A128GCM, &other.PublicKey, encKid, nil, `{"vp_token":{"pid":["x"]}}`),
		// Not five canonical segments.
		"four segments":       strings.Join(segs[:4], "."),
		"six segments":        good + ".AA",
		"tag with pad bits":   segs[0] + "." + segs[1] + "." + segs[2] + "." + segs[3] + "." + flipLowBit(segs[4]),
		"iv with padding":     segs[0] + "." + segs[1] + "." + segs[2] + "==." + segs[3] + "." + segs[4],
		"header with a space": " " + good,
		"empty ciphertext":    segs[0] + "." + segs[1] + "." + segs[2] + ".." + segs[4],
		"JSON serialization":  `{"protected":"` + segs[0] + `"}`,
		"too large":           strings.Repeat("A", MaxResponseSize+1),
		"tampered ciphertext": segs[0] + "." + segs[1] + "." + segs[2] + "." + flipFirst(segs[3]) + "." + segs[4],
		// Payloads that are not a strict response.
		"unknown member":      encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":["x"]},"extra":1}`),
		"duplicate vp_token":  encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":["x"]},"vp_token":{"pid":["y"]}}`),
		"empty vp_token":      encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{}}`),
		"empty presentations": encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":[]}}`),
		"number presentation": encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"vp_token":{"pid":[1]}}`),
		"case-variant member": encryptWith(t, jose.ECDH_ES, jose.A128GCM, pub, encKid, nil, `{"VP_TOKEN":{"pid":["x"]}}`),
	}
	if len(segs[4])%4 == 0 {
		t.Fatal("the tag must have unused bits (16 bytes: 22 characters)")
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := DecryptResponse(tok, key, encKid, nil)
			if !errors.Is(err, ErrInvalidResponse) || r != nil {
				t.Fatalf("err = %v, want ErrInvalidResponse", err)
			}
		})
	}
}

func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestEncryptResponseRejects(t *testing.T) {
	md := testRequestObject(t).ClientMetadata
	sig := md.JWKS.Keys[0]
	sig.Use = "sig"
	for name, m := range map[string]*ClientMetadata{
		"no jwks":         {VPFormatsSupported: md.VPFormatsSupported},
		"only a sig key":  {JWKS: &JWKS{Keys: []did.JWK{sig}}, VPFormatsSupported: md.VPFormatsSupported},
		"unsupported enc": {JWKS: md.JWKS, EncryptedResponseEncValuesSupported: []string{"A128CBC-HS256"}, VPFormatsSupported: md.VPFormatsSupported},
	} {
		if _, err := EncryptResponse(testResponse(), m); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := EncryptResponse(&Response{}, md); !errors.Is(err, ErrInvalidResponse) {
		t.Errorf("empty response: %v", err)
	}
}
