package credential

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/zkcred/zkcred/did"
)

func TestIssueVerifyJWT(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		signer any
		kid    string
		alg    string
	}{
		"EdDSA": {f.ed, agencyDID + "#jose-ed", "EdDSA"},
		"ES256": {f.p256, agencyDID + "#jose-p256", "ES256"},
	} {
		t.Run(name, func(t *testing.T) {
			c := testCredential()
			var tok string
			var err error
			switch k := tc.signer.(type) {
			case ed25519.PrivateKey:
				tok, err = IssueJWT(c, k, tc.kid, testNow)
			case *ecdsa.PrivateKey:
				tok, err = IssueJWT(c, k, tc.kid, testNow)
			}
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
			var h map[string]any
			_ = json.Unmarshal(hb, &h)
			if h["typ"] != "vc+jwt" || h["cty"] != "vc" || h["kid"] != tc.kid || h["alg"] != tc.alg || len(h) != 4 {
				t.Errorf("header %s", hb)
			}
			pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
			var p map[string]json.RawMessage
			_ = json.Unmarshal(pb, &p)
			if _, ok := p["vc"]; ok {
				t.Error("payload has a vc claim")
			}
			if string(p["iss"]) != `"`+agencyDID+`"` || string(p["iat"]) != "1780315200" || string(p["exp"]) != "1796126400" {
				t.Errorf("claims iss=%s iat=%s exp=%s", p["iss"], p["iat"], p["exp"])
			}
			// Cross-check with go-jose's own JWT parser and claim validation.
			jt, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.alg)})
			if err != nil {
				t.Fatal(err)
			}
			var std jwt.Claims
			var pubKey any = f.ed.Public()
			if tc.alg == "ES256" {
				pubKey = &f.p256.PublicKey
			}
			if err := jt.Claims(pubKey, &std); err != nil {
				t.Fatalf("go-jose rejects the token: %v", err)
			}
			if err := std.Validate(jwt.Expected{Issuer: agencyDID, Time: testNow}); err != nil {
				t.Errorf("go-jose claim validation: %v", err)
			}
			got, err := VerifyJWT(context.Background(), f.resolver, tok, clockAt(testNow))
			if err != nil {
				t.Fatalf("VerifyJWT: %v", err)
			}
			if got.Issuer.ID != agencyDID || got.CredentialSubject[0].Claims["district"] != "07" || !got.ValidUntil.Equal(c.ValidUntil) {
				t.Errorf("credential %+v", got)
			}
			// Leeway covers a small skew past exp/validUntil, not more.
			late := clockAt(c.ValidUntil.Add(30 * time.Second))
			if _, err := VerifyJWT(context.Background(), f.resolver, tok, late); !errors.Is(err, ErrExpired) {
				t.Errorf("30 s late: %v", err)
			}
			late.Leeway = time.Minute
			if _, err := VerifyJWT(context.Background(), f.resolver, tok, late); err != nil {
				t.Errorf("30 s late with 1 min leeway: %v", err)
			}
		})
	}
}

func TestIssueJWTRejects(t *testing.T) {
	f := newFixture(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	withExtra := func(k, v string) *Credential {
		c := testCredential()
		c.Extra = map[string]json.RawMessage{k: json.RawMessage(v)}
		return c
	}
	invalid := testCredential()
	invalid.Context = []any{"https://www.w3.org/2018/credentials/v1"}
	for _, tc := range []struct {
		name string
		c    *Credential
		key  any
		kid  string
		want error
	}{
		{"invalid credential", invalid, f.ed, agencyDID + "#jose-ed", ErrInvalidCredential},
		{"kid of another DID", testCredential(), f.ed, otherDID + "#key", ErrUntrustedKey},
		{"kid not a DID URL", testCredential(), f.ed, "https://agency.example/keys/1", ErrUntrustedKey},
		{"kid without fragment", testCredential(), f.ed, agencyDID, ErrUntrustedKey},
		{"kid relative", testCredential(), f.ed, "#jose-ed", ErrUntrustedKey},
		{"P-384 key", testCredential(), p384, agencyDID + "#x", ErrUnsupportedAlgorithm},
		{"vc claim", withExtra("vc", `{}`), f.ed, agencyDID + "#jose-ed", ErrInvalidCredential},
		{"iat already set", withExtra("iat", `1`), f.ed, agencyDID + "#jose-ed", ErrInvalidCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch k := tc.key.(type) {
			case ed25519.PrivateKey:
				_, err = IssueJWT(tc.c, k, tc.kid, testNow)
			case *ecdsa.PrivateKey:
				_, err = IssueJWT(tc.c, k, tc.kid, testNow)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyJWTRejects is the table of negative rules: each token breaks
// exactly one rule and must fail with its sentinel.
func TestVerifyJWTRejects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good, err := IssueJWT(testCredential(), f.ed, agencyDID+"#jose-ed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding
	hdr := func(kid string) string {
		return `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"` + kid + `"}`
	}
	edHdr := hdr(agencyDID + "#jose-ed")
	payload := func(set map[string]any) string { return payloadOf(t, testCredential(), set) }
	basePayload := payload(map[string]any{"iss": agencyDID, "iat": testNow.Unix()})
	signed := func(h, p string) string { return rawJWS(h, p, edSigner(f.ed)) }
	pub := f.ed.Public().(ed25519.PublicKey)

	// Tampered payload: same header and signature, another district.
	pb, _ := enc.DecodeString(parts[1])
	tampered := parts[0] + "." + enc.EncodeToString([]byte(strings.Replace(string(pb), `"07"`, `"08"`, 1))) + "." + parts[2]
	// Tampered signature: one bit flipped.
	sb, _ := enc.DecodeString(parts[2])
	sb[5] ^= 1
	badSig := parts[0] + "." + parts[1] + "." + enc.EncodeToString(sb)
	// HS256 with the issuer's public key as the HMAC secret (key confusion).
	hsInput := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed"}`)) + "." + enc.EncodeToString([]byte(basePayload))
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + enc.EncodeToString(mac.Sum(nil))
	// JSON (flattened) serialization of a valid signature.
	flat := `{"protected":"` + parts[0] + `","payload":"` + parts[1] + `","signature":"` + parts[2] + `"}`

	cases := []struct {
		name  string
		token string
		opts  VerifyOptions
		want  error
		also  error
	}{
		// Signature
		{"tampered payload", tampered, clockAt(testNow), ErrBadSignature, nil},
		{"tampered signature", badSig, clockAt(testNow), ErrBadSignature, nil},
		{"signed by another key", rawJWS(edHdr, basePayload, edSigner(f.auth)), clockAt(testNow), ErrBadSignature, nil},
		// Key discovery
		{"wrong kid (no such method)", signed(hdr(agencyDID+"#nope"), basePayload), clockAt(testNow), ErrUntrustedKey, did.ErrNotFound},
		{"kid not in assertionMethod", rawJWS(hdr(agencyDID+"#auth"), basePayload, edSigner(f.auth)), clockAt(testNow), ErrUntrustedKey, did.ErrNotInRelationship},
		{"kid controlled by another DID", rawJWS(hdr(agencyDID+"#foreign"), basePayload, edSigner(f.foreign)), clockAt(testNow), ErrUntrustedKey, did.ErrWrongController},
		{"kid of a DID that is not the issuer", rawJWS(hdr(otherDID+"#key"), basePayload, edSigner(f.other)), clockAt(testNow), ErrUntrustedKey, nil},
		{"kid relative", signed(hdr("#jose-ed"), basePayload), clockAt(testNow), ErrUntrustedKey, nil},
		{"kid an https URL", signed(hdr("https://agency.example/k#1"), basePayload), clockAt(testNow), ErrUntrustedKey, nil},
		{"kid missing", signed(`{"alg":"EdDSA","typ":"vc+jwt"}`, basePayload), clockAt(testNow), ErrUntrustedKey, nil},
		{"kid a number", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":5}`, basePayload), clockAt(testNow), ErrMalformedJWT, nil},
		{"unknown DID", signed(hdr("did:example:nobody#k"), basePayload), clockAt(testNow), ErrUntrustedKey, did.ErrNotFound},
		{"alg EdDSA with the P-256 method", signed(hdr(agencyDID+"#jose-p256"), basePayload), clockAt(testNow), ErrUntrustedKey, nil},
		{"alg ES256 with the Ed25519 method", signed(`{"alg":"ES256","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrUntrustedKey, nil},
		// Algorithms
		{"alg none, no signature", rawJWS(`{"alg":"none","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload, nil), clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"alg none, with signature", signed(`{"alg":"none","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"alg None (case)", signed(`{"alg":"None","typ":"vc+jwt"}`, basePayload), clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"HS256 with the public key as secret", hs256, clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"RS256", signed(`{"alg":"RS256","typ":"vc+jwt"}`, basePayload), clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"ES384 not enabled", signed(`{"alg":"ES384","typ":"vc+jwt"}`, basePayload), clockAt(testNow), ErrUnsupportedAlgorithm, nil},
		{"HS256 cannot be enabled", good, VerifyOptions{Algorithms: []string{"HS256"}}, ErrUnsupportedAlgorithm, nil},
		{"alg missing", signed(`{"typ":"vc+jwt"}`, basePayload), clockAt(testNow), ErrMalformedJWT, nil},
		// Header parameters
		{"crit", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","crit":["exp"],"exp":1}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"b64 false", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","b64":false,"crit":["b64"]}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"embedded jwk", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","jwk":{"kty":"OKP","crv":"Ed25519","x":"`+enc.EncodeToString(pub)+`"}}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"jku", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","jku":"https://evil.example/jwks"}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"x5u", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","x5u":"https://evil.example/cert"}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"x5c", signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","x5c":["AAAA"]}`, basePayload), clockAt(testNow), ErrUnsupportedHeader, nil},
		{"typ missing", signed(`{"alg":"EdDSA","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrMediaType, nil},
		{"typ JWT", signed(`{"alg":"EdDSA","typ":"JWT","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrMediaType, nil},
		{"typ vp+jwt", signed(`{"alg":"EdDSA","typ":"vp+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrMediaType, nil},
		{"cty vp", signed(`{"alg":"EdDSA","typ":"vc+jwt","cty":"vp","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrMediaType, nil},
		{"duplicate alg member", signed(`{"alg":"EdDSA","alg":"none","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload), clockAt(testNow), ErrMalformedJWT, nil},
		{"header not an object", signed(`["EdDSA"]`, basePayload), clockAt(testNow), ErrMalformedJWT, nil},
		// Serialization
		{"JSON serialization", flat, clockAt(testNow), ErrMalformedJWT, nil},
		{"two parts", parts[0] + "." + parts[1], clockAt(testNow), ErrMalformedJWT, nil},
		{"four parts", good + ".x", clockAt(testNow), ErrMalformedJWT, nil},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], clockAt(testNow), ErrMalformedJWT, nil},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+", clockAt(testNow), ErrMalformedJWT, nil},
		{"white space", " " + good, clockAt(testNow), ErrMalformedJWT, nil},
		{"empty", "", clockAt(testNow), ErrMalformedJWT, nil},
		{"too large", good + strings.Repeat("A", DefaultMaxTokenSize), clockAt(testNow), ErrTooLarge, nil},
		{"over a custom limit", good, VerifyOptions{Clock: clockAt(testNow).Clock, MaxTokenSize: 100}, ErrTooLarge, nil},
		// Claims and time
		{"expired (validUntil)", good, clockAt(testNow.AddDate(1, 0, 0)), ErrExpired, nil},
		{"not yet valid (validFrom)", good, clockAt(testNow.AddDate(-1, 0, 0)), ErrNotYetValid, nil},
		{"exp in the past", signed(edHdr, payload(map[string]any{"exp": testNow.Unix() - 1, "validUntil": nil})), clockAt(testNow), ErrExpired, nil},
		{"exp hugely negative", signed(edHdr, payload(map[string]any{"exp": json.RawMessage("-1e19"), "validUntil": nil})), clockAt(testNow), ErrExpired, nil},
		{"nbf 1e19 does not wrap", signed(edHdr, payload(map[string]any{"nbf": json.RawMessage("1e19")})), clockAt(testNow), ErrNotYetValid, nil},
		{"nbf 2^63 does not wrap", signed(edHdr, payload(map[string]any{"nbf": json.RawMessage("9223372036854775808")})), clockAt(testNow), ErrNotYetValid, nil},
		{"nbf in an hour", signed(edHdr, payload(map[string]any{"nbf": testNow.Unix() + 3600})), clockAt(testNow), ErrNotYetValid, nil},
		{"iat in the future", signed(edHdr, payload(map[string]any{"iat": testNow.Unix() + 3600})), clockAt(testNow), ErrNotYetValid, nil},
		{"exp overflowing float", signed(edHdr, payload(map[string]any{"exp": json.RawMessage("1e400")})), clockAt(testNow), ErrMalformedJWT, nil},
		{"exp a string", signed(edHdr, payload(map[string]any{"exp": "2030-01-01T00:00:00Z"})), clockAt(testNow), ErrMalformedJWT, nil},
		{"iat a string", signed(edHdr, payload(map[string]any{"iat": "2026-01-01T00:00:00Z"})), clockAt(testNow), ErrMalformedJWT, nil},
		{"nbf null", signed(edHdr, payload(map[string]any{"nbf": json.RawMessage("null")})), clockAt(testNow), ErrMalformedJWT, nil},
		{"vc claim", signed(edHdr, payload(map[string]any{"vc": map[string]any{}})), clockAt(testNow), ErrInvalidCredential, nil},
		{"vp claim", signed(edHdr, payload(map[string]any{"vp": "x"})), clockAt(testNow), ErrInvalidCredential, nil},
		{"iss not the issuer", signed(edHdr, payload(map[string]any{"iss": otherDID})), clockAt(testNow), ErrInvalidCredential, nil},
		{"jti not the id", signed(edHdr, payload(map[string]any{"jti": "urn:uuid:other"})), clockAt(testNow), ErrInvalidCredential, nil},
		{"issuer is another DID", signed(edHdr, payload(map[string]any{"issuer": otherDID})), clockAt(testNow), ErrUntrustedKey, nil},
		{"payload not a VC 2.0 credential", signed(edHdr, payload(map[string]any{"@context": ContextV2})), clockAt(testNow), ErrInvalidCredential, nil},
		{"payload duplicate member", signed(edHdr, strings.Replace(basePayload, `"issuer":`, `"issuer":"`+otherDID+`","issuer":`, 1)), clockAt(testNow), ErrMalformedJWT, nil},
		{"payload not an object", signed(edHdr, `"x"`), clockAt(testNow), ErrMalformedJWT, nil},
		{"leeway over the maximum", good, VerifyOptions{Leeway: time.Hour}, ErrInvalidOptions, nil},
		{"negative leeway", good, VerifyOptions{Leeway: -time.Second}, ErrInvalidOptions, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := VerifyJWT(ctx, f.resolver, tc.token, tc.opts)
			if err == nil || c != nil {
				t.Fatalf("accepted (err = %v)", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Errorf("err = %v, want also %v", err, tc.also)
			}
		})
	}
	// Controls: the crafted-token helpers produce accepted tokens when no
	// rule is broken, so the rejections above are due to the rule.
	for name, tok := range map[string]string{
		"crafted":                signed(edHdr, basePayload),
		"exp 1e19 (far future)":  signed(edHdr, payload(map[string]any{"exp": json.RawMessage("1e19"), "validUntil": nil})),
		"nbf in the past":        signed(edHdr, payload(map[string]any{"nbf": testNow.Unix() - 10})),
		"typ application/vc+jwt": signed(`{"alg":"EdDSA","typ":"application/vc+jwt","kid":"`+agencyDID+`#jose-ed"}`, basePayload),
		"unknown header ignored": signed(`{"alg":"EdDSA","typ":"vc+jwt","kid":"`+agencyDID+`#jose-ed","x-ext":1}`, basePayload),
	} {
		if _, err := VerifyJWT(ctx, f.resolver, tok, clockAt(testNow)); err != nil {
			t.Errorf("control %s: %v", name, err)
		}
	}
	if _, err := VerifyJWT(ctx, nil, good, clockAt(testNow)); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("nil resolver: %v", err)
	}
}

// TestSmallOrderEd25519 checks that a small-order Ed25519 key, with which
// the all-identity signature verifies under a cofactorless check for every
// message, is refused.
func TestSmallOrderEd25519(t *testing.T) {
	identity := make([]byte, 32)
	identity[0] = 1 // y = 1: the neutral element
	sig := append(append([]byte(nil), identity...), make([]byte, 32)...)
	c := testCredential()
	p := payloadOf(t, c, nil)
	tok := rawJWS(`{"alg":"EdDSA","typ":"vc+jwt"}`, p, func([]byte) []byte { return sig })
	if !ed25519.Verify(identity, []byte("any"), sig) {
		t.Skip("this ed25519 implementation already rejects the identity key")
	}
	_, err := VerifyJWTWithKey(tok, ed25519.PublicKey(identity), clockAt(testNow))
	if !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("small-order key: err = %v", err)
	}
	order2 := []byte{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f} // y = p-1
	if _, err := VerifyJWTWithKey(tok, ed25519.PublicKey(order2), clockAt(testNow)); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("order-2 key: err = %v", err)
	}
	if _, err := VerifyJWTWithKey(tok, "not a key", clockAt(testNow)); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("string key: err = %v", err)
	}
}

// TestW3CVCJOSEVectors runs the JOSE inputs of the W3C vc-jose-cose test
// suite (testdata/vc-jose-cose, see its README). Their issuer is an https
// URL and their kid a JWK thumbprint, so the key comes from vm-*.json
// through VerifyJWTWithKey; their iat is an RFC 3339 string, accepted only
// with AllowStringIssuedAt; ES512 must be enabled for one of them.
func TestW3CVCJOSEVectors(t *testing.T) {
	keys := map[string]any{}
	vms, _ := filepath.Glob("../testdata/vc-jose-cose/vm-*.json")
	for _, f := range vms {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var vm struct {
			PublicKeyJwk json.RawMessage `json:"publicKeyJwk"`
		}
		if err := json.Unmarshal(b, &vm); err != nil {
			t.Fatal(err)
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(vm.PublicKeyJwk); err != nil {
			t.Fatal(err)
		}
		keys[k.KeyID] = k.Key
	}
	opts := VerifyOptions{
		Clock:               func() time.Time { return testNow },
		Algorithms:          []string{"EdDSA", "ES256", "ES384", "ES512"},
		AllowStringIssuedAt: true,
	}
	for file, want := range map[string]error{
		"credential-jose-minimal.txt":            nil,
		"credential-jose-unknown-extensions.txt": nil,
		"credential-issuer-match-signed.txt":     nil,
		"credential-jose-bad-signature.txt":      ErrBadSignature,
		"credential-jose-bad-media-type.txt":     ErrMediaType,
		"credential-jose-vc-vp-claims.txt":       ErrInvalidCredential,
	} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("../testdata/vc-jose-cose", file))
			if err != nil {
				t.Fatal(err)
			}
			tok := strings.TrimSpace(string(b))
			hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			var h struct{ Kid string }
			_ = json.Unmarshal(hb, &h)
			key := keys[h.Kid]
			if key == nil {
				t.Fatalf("no key %q", h.Kid)
			}
			c, err := VerifyJWTWithKey(tok, key, opts)
			if want == nil {
				if err != nil {
					t.Fatalf("positive vector rejected: %v", err)
				}
				if c.Issuer.ID != "https://example.issuer/vc-jose-cose" {
					t.Errorf("issuer %q", c.Issuer.ID)
				}
				// Strict defaults: the string iat is not a NumericDate.
				strict := opts
				strict.AllowStringIssuedAt = false
				if _, err := VerifyJWTWithKey(tok, key, strict); !errors.Is(err, ErrMalformedJWT) {
					t.Errorf("string iat accepted by default: %v", err)
				}
				return
			}
			if !errors.Is(err, want) {
				t.Errorf("err = %v, want %v", err, want)
			}
			// Never accepted through DID resolution either (kid is no DID URL).
			if _, err := VerifyJWT(context.Background(), newFixture(t).resolver, tok, opts); err == nil {
				t.Error("accepted by VerifyJWT")
			}
		})
	}
}

// TestLargePayload: payloads over MaxCredentialSize (a big status list)
// need a raised MaxTokenSize on the verifying side.
func TestLargePayload(t *testing.T) {
	f := newFixture(t)
	c := testCredential()
	c.CredentialSubject[0].Claims["encodedList"] = "u" + strings.Repeat("A", 100<<10)
	tok, err := IssueJWT(c, f.ed, agencyDID+"#jose-ed", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyJWT(context.Background(), f.resolver, tok, clockAt(testNow)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("default limits: %v", err)
	}
	opts := clockAt(testNow)
	opts.MaxTokenSize = 256 << 10
	if _, err := VerifyJWT(context.Background(), f.resolver, tok, opts); err != nil {
		t.Errorf("raised limit: %v", err)
	}
	c.CredentialSubject[0].Claims["encodedList"] = strings.Repeat("A", MaxIssuePayload)
	if _, err := IssueJWT(c, f.ed, agencyDID+"#jose-ed", testNow); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxIssuePayload: %v", err)
	}
}
