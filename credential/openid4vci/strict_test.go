package openid4vci

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

const testAud = "https://agency.example"

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// rawProof signs header and payload JSON with key.
func rawProof(key ed25519.PrivateKey, header, payload string) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	return in + "." + b64.EncodeToString(ed25519.Sign(key, []byte(in)))
}

func TestVerifyProof(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	x := b64.EncodeToString(key.Public().(ed25519.PublicKey))
	now := time.Unix(1_800_000_000, 0)
	var c fr.Element
	c.SetUint64(42)
	cb := c.Bytes()
	com := b64.EncodeToString(cb[:])
	hdr := `{"alg":"EdDSA","typ":"openid4vci-proof+jwt","jwk":{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}}`
	pl := `{"aud":"` + testAud + `","iat":1800000000,"nonce":"n","zkcred_holder_commitment":"` + com + `"}`
	if p, err := VerifyProof(rawProof(key, hdr, pl), testAud, now, 5*time.Minute, 30*time.Second); err != nil || !p.Commitment.Equal(&c) || p.Nonce != "n" {
		t.Fatalf("valid proof: %v", err)
	}
	// ES256 proofs verify too.
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if p, err := NewProof(ek, testAud, "n", c, now); err != nil {
		t.Fatal(err)
	} else if _, err := VerifyProof(p, testAud, now, 5*time.Minute, 30*time.Second); err != nil {
		t.Fatalf("ES256 proof: %v", err)
	}
	// So do proofs signed by keys held elsewhere (only a crypto.Signer).
	for _, k := range []crypto.Signer{ek, key} {
		if p, err := NewProof(opaqueSigner{k}, testAud, "n", c, now); err != nil {
			t.Fatal(err)
		} else if _, err := VerifyProof(p, testAud, now, 5*time.Minute, 30*time.Second); err != nil {
			t.Fatalf("proof by an opaque %T signer: %v", k, err)
		}
	}
	rs := b64.EncodeToString(fr.Modulus().Bytes()) // r itself: not canonical
	var zeroE fr.Element
	zero := zeroE.Bytes()
	cases := []struct {
		name, header, payload string
	}{
		// Header: closed member set, typ, alg/key agreement.
		{"other typ", strings.Replace(hdr, "openid4vci-proof+jwt", "JWT", 1), pl},
		{"no typ", strings.Replace(hdr, `"typ":"openid4vci-proof+jwt",`, "", 1), pl},
		{"kid instead of jwk", `{"alg":"EdDSA","typ":"openid4vci-proof+jwt","kid":"did:example:w#1"}`, pl},
		{"kid and jwk", strings.Replace(hdr, `"jwk"`, `"kid":"x","jwk"`, 1), pl},
		{"crit", strings.Replace(hdr, `"jwk"`, `"crit":["b64"],"jwk"`, 1), pl},
		{"alg none", strings.Replace(hdr, "EdDSA", "none", 1), pl},
		{"alg ES256 with an Ed25519 key", strings.Replace(hdr, "EdDSA", "ES256", 1), pl},
		{"private key in jwk", strings.Replace(hdr, `"x":`, `"d":"AAAA","x":`, 1), pl},
		// An OKP key is exactly {kty, crv, x} (PROFILE.md): a "y" member
		// is refused whatever its value, "" and null included.
		{"OKP jwk with empty y", strings.Replace(hdr, `"x":`, `"y":"","x":`, 1), pl},
		{"OKP jwk with null y", strings.Replace(hdr, `"x":`, `"y":null,"x":`, 1), pl},
		{"OKP jwk with a y", strings.Replace(hdr, `"x":`, `"y":"`+x+`","x":`, 1), pl},
		{"duplicate typ", strings.Replace(hdr, `"jwk"`, `"typ":"openid4vci-proof+jwt","jwk"`, 1), pl},
		{"case-variant member", strings.Replace(hdr, `"typ"`, `"Typ"`, 1), pl},
		// Payload: closed member set, aud, iat window, commitment.
		{"other aud", hdr, strings.Replace(pl, testAud, "https://other.example", 1)},
		{"aud array", hdr, strings.Replace(pl, `"`+testAud+`"`, `["`+testAud+`"]`, 1)},
		{"iss present", hdr, strings.Replace(pl, `"aud"`, `"iss":"wallet","aud"`, 1)},
		{"stale iat", hdr, strings.Replace(pl, "1800000000", "1799999000", 1)},
		{"future iat", hdr, strings.Replace(pl, "1800000000", "1800000100", 1)},
		{"fractional iat", hdr, strings.Replace(pl, "1800000000", "1800000000.5", 1)},
		{"no nonce", hdr, strings.Replace(pl, `"nonce":"n",`, "", 1)},
		{"no commitment", hdr, strings.Replace(pl, `,"zkcred_holder_commitment":"`+com+`"`, "", 1)},
		{"commitment not below r", hdr, strings.Replace(pl, com, rs, 1)},
		{"zero commitment", hdr, strings.Replace(pl, com, b64.EncodeToString(zero[:]), 1)},
		{"short commitment", hdr, strings.Replace(pl, com, com[:20], 1)},
		{"padded commitment", hdr, strings.Replace(pl, com, com+"=", 1)},
		{"unknown claim", hdr, strings.Replace(pl, `"aud"`, `"exp":1,"aud"`, 1)},
		{"trailing data", hdr, pl + "{}"},
		// did/strictjson: 2^53+1 (a float64 reader sees 2^53), a case
		// variant of a claim, a duplicate claim.
		{"iat 2^53+1", hdr, strings.Replace(pl, "1800000000", "9007199254740993", 1)},
		{"case-variant claim", hdr, strings.Replace(pl, `"nonce"`, `"Nonce"`, 1)},
		{"duplicate aud", hdr, strings.Replace(pl, `"iat"`, `"aud":"`+testAud+`","iat"`, 1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyProof(rawProof(key, tc.header, tc.payload), testAud, now, 5*time.Minute, 30*time.Second); !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
	t.Run("bad signature", func(t *testing.T) {
		p := rawProof(key, hdr, pl)
		p = p[:len(p)-2] + "AA"
		if _, err := VerifyProof(p, testAud, now, 5*time.Minute, 30*time.Second); !errors.Is(err, ErrInvalidProof) {
			t.Fatal(err)
		}
	})
	t.Run("non-canonical base64url", func(t *testing.T) {
		// A 64-byte signature is 86 characters: the last one has 4 unused
		// low bits, which go-jose would ignore.
		p := rawProof(key, hdr, pl)
		last := strings.IndexByte(b64Alphabet, p[len(p)-1])
		p = p[:len(p)-1] + string(b64Alphabet[last|1])
		if last&1 == 1 {
			p = p[:len(p)-1] + string(b64Alphabet[last&^1+2])
		}
		if _, err := VerifyProof(p, testAud, now, 5*time.Minute, 30*time.Second); !errors.Is(err, ErrInvalidProof) {
			t.Fatal(err)
		}
	})
}

func TestParseOffer(t *testing.T) {
	o := CredentialOffer{CredentialIssuer: testAud, CredentialConfigurationIDs: []string{"zkcred_person"},
		Grants: Grants{PreAuthorizedCode: &PreAuthorizedCodeGrant{Code: "c", TxCode: &TxCode{InputMode: "numeric", Length: 6}}}}
	b, _ := json.Marshal(o)
	for _, s := range []string{string(b), "openid-credential-offer://?credential_offer=" + strings.ReplaceAll(string(b), "&", "%26")} {
		got, uri, err := ParseOffer(s)
		if err != nil || uri != "" || got.Grants.PreAuthorizedCode.Code != "c" {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if got, uri, err := ParseOffer("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fagency.example%2Foffers%2Fx"); err != nil || got != nil || uri != "https://agency.example/offers/x" {
		t.Fatalf("by reference: %v %q", err, uri)
	}
	for name, s := range map[string]string{
		"other scheme":       "https://agency.example/?credential_offer_uri=https%3A%2F%2Fa.example",
		"both parameters":    "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa.example",
		"repeated parameter": "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example",
		"javascript uri":     "openid-credential-offer://?credential_offer_uri=javascript%3Aalert(1)",
		"duplicate member":   strings.Replace(string(b), `{"credential_issuer"`, `{"credential_issuer":"https://evil.example","credential_issuer"`, 1),
		"no grant":           `{"credential_issuer":"https://a.example","credential_configuration_ids":["x"],"grants":{}}`,
		"issuer with query":  strings.Replace(string(b), testAud, testAud+"?x", 1),
		"repeated id":        strings.Replace(string(b), `["zkcred_person"]`, `["a","a"]`, 1),
		"too large":          `{"credential_issuer":"` + strings.Repeat("a", MaxOfferSize) + `"}`,
		// Case variants of known members, which a case-insensitive reader
		// would take for them (did/strictjson.Members), at every level.
		"case-variant issuer":  strings.Replace(string(b), `{"credential_issuer"`, `{"Credential_Issuer":"https://evil.example","credential_issuer"`, 1),
		"case-variant grants":  strings.Replace(string(b), `"grants"`, `"GRANTS":{},"grants"`, 1),
		"case-variant code":    strings.Replace(string(b), `"pre-authorized_code"`, `"Pre-Authorized_Code":"x","pre-authorized_code"`, 1),
		"case-variant tx_code": strings.Replace(string(b), `"input_mode"`, `"Input_Mode":"text","input_mode"`, 1),
		"escaped duplicate id": strings.Replace(string(b), `"credential_configuration_ids"`, `"credential_configuration_ids":["x"],"credential_configuration_\u0069ds"`, 1),
		"duplicate in tx_code": strings.Replace(string(b), `"length":6`, `"length":6,"length":4`, 1),
	} {
		if _, _, err := ParseOffer(s); !errors.Is(err, ErrInvalidOffer) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// opaqueSigner hides a key's concrete type, as a secure element's or an
// HSM's handle would.
type opaqueSigner struct{ k crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.k.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.k.Sign(r, d, opts)
}
