package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"

	"github.com/zkcred/zkcred/credential/internal/jws"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// VC-JOSE (W3C "Securing Verifiable Credentials using JOSE and COSE",
// application/vc+jwt).
//
// A credential is secured as a JWS in compact serialization whose payload
// is the credential itself (no "vc" claim), with the protected header
// {"alg", "kid", "typ":"vc+jwt", "cty":"vc"} and the claims "iss" (the
// issuer id), "iat" and, when the credential has validUntil, "exp", as
// NumericDate integers.

// Media types and header values.
const (
	MediaTypeVCJWT = "vc+jwt" // the "typ" of a VC-JWT
	ContentTypeVC  = "vc"     // the "cty" of a VC-JWT
)

// Size limits of [VerifyJWT].
const (
	// DefaultMaxTokenSize is the default limit on a token's length, enough
	// for a [MaxCredentialSize] payload in base64url.
	DefaultMaxTokenSize = 96 << 10
	maxHeaderSize       = 4 << 10
	// MaxIssuePayload bounds the payload [IssueJWT] signs. Payloads over
	// [MaxCredentialSize] verify only with a raised
	// [VerifyOptions.MaxTokenSize].
	MaxIssuePayload = 1 << 20
	// MaxLeeway is the largest clock skew [VerifyOptions.Leeway] may allow.
	MaxLeeway = 5 * time.Minute
)

// defaultAlgorithms is the JWS algorithm allow-list of [VerifyJWT] when
// [VerifyOptions.Algorithms] is nil.
var defaultAlgorithms = []string{string(jose.EdDSA), string(jose.ES256)}

// optionalAlgorithms are the only algorithms VerifyOptions.Algorithms may
// add: asymmetric, with keys this package can validate. "none", HMAC, RSA
// and everything else are never accepted.
var optionalAlgorithms = []string{string(jose.EdDSA), string(jose.ES256), string(jose.ES384), string(jose.ES512)}

// VerifyOptions configures [VerifyJWT]. The zero value is ready to use.
type VerifyOptions struct {
	// Clock returns the verification time; nil means time.Now.
	Clock func() time.Time
	// Leeway tolerates clock skew in the exp, nbf, iat, validFrom and
	// validUntil checks; at most [MaxLeeway].
	Leeway time.Duration
	// Algorithms is the JWS "alg" allow-list; nil means EdDSA and ES256.
	// Only EdDSA, ES256, ES384 and ES512 may be listed.
	Algorithms []string
	// MaxTokenSize bounds the token length; 0 means [DefaultMaxTokenSize].
	// A larger value also lets the payload exceed [MaxCredentialSize] up
	// to MaxTokenSize bytes (large status list credentials).
	MaxTokenSize int
	// AllowStringIssuedAt accepts an "iat" written as an RFC 3339 string
	// instead of an RFC 7519 NumericDate, as the W3C vc-jose-cose
	// test-suite vectors do. It is still checked not to be in the future.
	AllowStringIssuedAt bool
}

func (o *VerifyOptions) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

func (o *VerifyOptions) algorithms() ([]string, error) {
	if o.Algorithms == nil {
		return defaultAlgorithms, nil
	}
	for _, a := range o.Algorithms {
		if !slices.Contains(optionalAlgorithms, a) {
			return nil, fmt.Errorf("%w: %q cannot be enabled", ErrUnsupportedAlgorithm, truncate(a, 16))
		}
	}
	return o.Algorithms, nil
}

// IssueJWT secures c as a VC-JOSE JWT signed by key (an Ed25519 key gives
// EdDSA, a P-256 ECDSA key ES256; any crypto.Signer holding one works, such
// as an HSM handle). kid is the absolute DID URL of the key's verification
// method, which must be in the issuer's assertionMethod; its DID must be
// c's issuer. The payload is c plus "iss" (= issuer), "iat" (= now) and,
// when c has validUntil, "exp" (= validUntil); c must not already carry
// these claims, nor "nbf", "vc" or "vp". A "sub" in c.Extra must be the id
// of c's only subject ([ErrSubjectMismatch]), and the payload must be what
// [VerifyJWT] accepts (no claim number of magnitude 2^53 or more, for
// instance), or IssueJWT fails.
func IssueJWT(c *Credential, key crypto.Signer, kid string, now time.Time) (string, error) {
	if c == nil || key == nil {
		return "", fmt.Errorf("%w: nil credential or key", ErrInvalidCredential)
	}
	if err := c.Validate(); err != nil {
		return "", err
	}
	u, err := did.ParseURL(kid)
	if err != nil {
		return "", fmt.Errorf("%w: kid: %w", ErrUntrustedKey, err)
	}
	if u.Fragment == "" || u.DID.String() != c.Issuer.ID {
		return "", fmt.Errorf("%w: kid %q is not a verification method of issuer %q", ErrUntrustedKey, truncate(kid, 128), truncate(c.Issuer.ID, 128))
	}
	for _, k := range []string{"iss", "iat", "exp", "nbf", "vc", "vp"} {
		if _, ok := c.Extra[k]; ok {
			return "", fmt.Errorf("%w: credential already has JWT claim %q", ErrInvalidCredential, k)
		}
	}
	var alg jose.SignatureAlgorithm
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		alg = jose.EdDSA
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA key on %s, want P-256", ErrUnsupportedAlgorithm, pub.Curve.Params().Name)
		}
		alg = jose.ES256
	default:
		return "", fmt.Errorf("%w: signing key %T", ErrUnsupportedAlgorithm, pub)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if err := checkSubject(c); err != nil {
		return "", err
	}
	var payload map[string]json.RawMessage
	if err := strictjson.Unmarshal(b, &payload); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidCredential, err)
	}
	payload["iss"], _ = json.Marshal(c.Issuer.ID)
	payload["iat"] = json.RawMessage(strconv.FormatInt(now.Unix(), 10))
	if !c.ValidUntil.IsZero() {
		payload["exp"] = json.RawMessage(strconv.FormatInt(c.ValidUntil.Unix(), 10))
	}
	pb, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	if len(pb) > MaxIssuePayload {
		return "", fmt.Errorf("%w: %w: payload is %d bytes, limit %d", ErrInvalidCredential, ErrTooLarge, len(pb), MaxIssuePayload)
	}
	// Sign only what VerifyJWT will read back: for instance a claim number
	// of magnitude 2^53 or more, which it refuses, fails here.
	if _, err := parseCredential(pb, MaxIssuePayload); err != nil {
		return "", err
	}
	opts := (&jose.SignerOptions{}).WithType(MediaTypeVCJWT).WithContentType(ContentTypeVC).WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: cryptosigner.Opaque(key)}, opts)
	if err != nil {
		return "", fmt.Errorf("credential: JWT signer: %w", err)
	}
	obj, err := signer.Sign(pb)
	if err != nil {
		return "", fmt.Errorf("credential: JWT sign: %w", err)
	}
	return obj.CompactSerialize()
}

// VerifyJWT verifies a VC-JOSE JWT and returns its credential. It
//
//   - accepts only the compact serialization within [VerifyOptions.MaxTokenSize],
//     all three segments in canonical base64url (no padding, no white
//     space, unused bits zero), with a JSON header and payload read with
//     json v2 semantics: no duplicate members (also after unescaping), no
//     case variants of the header parameters and claims below, valid UTF-8
//     without lone surrogates ([ErrMalformedJWT], [ErrTooLarge]);
//   - requires "alg" in the allow-list ([ErrUnsupportedAlgorithm]: never
//     "none", HMAC or RSA), "typ" vc+jwt and "cty", if present, vc
//     ([ErrMediaType]), and refuses "crit", "b64" and the key-carrying
//     parameters "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"
//     ([ErrUnsupportedHeader]);
//   - resolves "kid", an absolute DID URL, through r with
//     [did.ResolveVerificationMethod]: the method must be in the DID's
//     assertionMethod and controlled by it, its key must match "alg" and
//     not be weak, and the DID must be the credential's issuer
//     ([ErrUntrustedKey]);
//   - checks the signature ([ErrBadSignature]);
//   - refuses the "vc" and "vp" claims, an "iss" other than the issuer and
//     a "sub" other than the id of the only credentialSubject
//     ([ErrSubjectMismatch]), validates the credential
//     ([ErrInvalidCredential]);
//   - checks "exp", "nbf", "iat", validFrom and validUntil against the
//     clock of opts ([ErrExpired], [ErrNotYetValid]), comparing the
//     NumericDates as numbers so that huge values cannot wrap around.
func VerifyJWT(ctx context.Context, r did.Resolver, token string, opts VerifyOptions) (*Credential, error) {
	p, err := parseJWT(token, &opts)
	if err != nil {
		return nil, err
	}
	if p.kid == "" {
		return nil, fmt.Errorf("%w: no kid", ErrUntrustedKey)
	}
	if r == nil {
		return nil, fmt.Errorf("%w: no resolver", ErrUntrustedKey)
	}
	u, err := did.ParseURL(p.kid)
	if err != nil {
		return nil, fmt.Errorf("%w: kid is not an absolute DID URL: %w", ErrUntrustedKey, err)
	}
	pub, err := resolveAssertionKey(ctx, r, p.kid)
	if err != nil {
		return nil, err
	}
	// vm.PublicKey already refused invalid and small-order keys.
	return p.verify(pub, false, u.DID.String(), &opts)
}

// resolveAssertionKey resolves the verification method kid through r and
// returns its key; the method must be in the DID's assertionMethod and
// controlled by the DID. Errors wrap [ErrUntrustedKey] and the did error.
func resolveAssertionKey(ctx context.Context, r did.Resolver, kid string) (crypto.PublicKey, error) {
	vm, _, err := did.ResolveVerificationMethod(ctx, r, kid, did.AssertionMethod)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedKey, err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedKey, err)
	}
	return pub, nil
}

// VerifyJWTWithKey verifies a VC-JOSE JWT like [VerifyJWT], but with a
// public key the caller already trusts for the issuer instead of resolving
// "kid" (which may then be absent or any string): for issuers that are not
// DIDs, such as the W3C test-suite's https issuer. The key
// (ed25519.PublicKey or *ecdsa.PublicKey) is validated as a DID document
// key would be: small-order Ed25519 keys are refused.
func VerifyJWTWithKey(token string, pub crypto.PublicKey, opts VerifyOptions) (*Credential, error) {
	p, err := parseJWT(token, &opts)
	if err != nil {
		return nil, err
	}
	return p.verify(pub, true, "", &opts)
}

// headerNames are the JOSE header parameters [VerifyJWT] reads: the four it
// uses, then those it refuses. A case variant of any of them ("Kid") is
// refused too.
var headerNames = []string{"alg", "typ", "cty", "kid", "crit", "b64", "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "zip", "enc"}

// claimNames are the JWT claims (RFC 7519 §4.1, and "vc"/"vp" of VC-JWT
// 1.1) whose case variants a payload may not carry, with the credential's
// own members.
var claimNames = append([]string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "vc", "vp"}, knownMembers...)

// parsedJWT is a token whose header passed the checks; the payload is not
// yet verified.
type parsedJWT struct {
	token string
	alg   string
	kid   string
}

var b64 = base64.RawURLEncoding.Strict()

func parseJWT(token string, opts *VerifyOptions) (*parsedJWT, error) {
	max := opts.MaxTokenSize
	if max <= 0 {
		max = DefaultMaxTokenSize
	}
	if len(token) > max {
		return nil, fmt.Errorf("%w: %w: token is %d bytes, limit %d", ErrMalformedJWT, ErrTooLarge, len(token), max)
	}
	if opts.Leeway < 0 || opts.Leeway > MaxLeeway {
		return nil, fmt.Errorf("%w: leeway %v outside 0..%v", ErrInvalidOptions, opts.Leeway, MaxLeeway)
	}
	algs, err := opts.algorithms()
	if err != nil {
		return nil, err
	}
	hb, _, sig, err := jws.Split(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedJWT, err)
	}
	if len(hb) > maxHeaderSize {
		return nil, fmt.Errorf("%w: %w: header is %d bytes", ErrMalformedJWT, ErrTooLarge, len(hb))
	}
	h, err := strictjson.Members(hb, headerNames...)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformedJWT, err)
	}
	p := &parsedJWT{token: token}
	str := func(name string) (string, bool, error) {
		raw, ok := h[name]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := strictjson.Unmarshal(raw, &s); err != nil || isNull(raw) {
			return "", true, fmt.Errorf("%w: header %q must be a string", ErrMalformedJWT, name)
		}
		return s, true, nil
	}
	alg, ok, err := str("alg")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no alg", ErrMalformedJWT)
	}
	if !slices.Contains(algs, alg) {
		return nil, fmt.Errorf("%w: alg %q", ErrUnsupportedAlgorithm, truncate(alg, 16))
	}
	p.alg = alg
	if len(sig) == 0 {
		return nil, fmt.Errorf("%w: empty signature", ErrMalformedJWT)
	}
	for _, name := range headerNames[4:] {
		if _, ok := h[name]; ok {
			return nil, fmt.Errorf("%w: %q", ErrUnsupportedHeader, name)
		}
	}
	typ, ok, err := str("typ")
	if err != nil {
		return nil, err
	}
	if !ok || !mediaTypeIs(typ, MediaTypeVCJWT) {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrMediaType, truncate(typ, 32), MediaTypeVCJWT)
	}
	cty, ok, err := str("cty")
	if err != nil {
		return nil, err
	}
	if ok && !mediaTypeIs(cty, ContentTypeVC) {
		return nil, fmt.Errorf("%w: cty %q, want %q", ErrMediaType, truncate(cty, 32), ContentTypeVC)
	}
	if p.kid, _, err = str("kid"); err != nil {
		return nil, err
	}
	return p, nil
}

// checkSubject refuses a "sub" claim (kept in c.Extra) that is not a
// string equal to the id of the credential's only subject: a JWT reader
// would take sub for the subject, a VC reader credentialSubject.id
// (VC-JOSE-COSE §3.1.1 maps one to the other). Errors wrap
// [ErrInvalidCredential] and [ErrSubjectMismatch].
func checkSubject(c *Credential) error {
	raw, ok := c.Extra["sub"]
	if !ok {
		return nil
	}
	var sub string
	if err := strictjson.Unmarshal(raw, &sub); err != nil || isNull(raw) {
		return fmt.Errorf("%w: %w: sub must be a string", ErrInvalidCredential, ErrSubjectMismatch)
	}
	if len(c.CredentialSubject) != 1 || c.CredentialSubject[0].ID != sub {
		return fmt.Errorf("%w: %w: sub %q is not the id of the only credentialSubject", ErrInvalidCredential, ErrSubjectMismatch, truncate(sub, 128))
	}
	return nil
}

// mediaTypeIs compares a typ/cty value with a media type, ignoring case
// and an "application/" prefix (RFC 7515 §4.1.9).
func mediaTypeIs(v, want string) bool {
	v = strings.ToLower(v)
	return v == want || v == "application/"+want
}

// verify checks the signature with pub (first validating the key when
// validate is set), then the claims and the credential. issuerDID, when not
// empty, must be the credential's issuer.
func (p *parsedJWT) verify(pub crypto.PublicKey, validate bool, issuerDID string, opts *VerifyOptions) (*Credential, error) {
	pub, err := checkJOSEKey(pub, p.alg, validate)
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseSignedCompact(p.token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(p.alg)})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedJWT, err)
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	limit := max(MaxCredentialSize, opts.MaxTokenSize)
	if len(payload) > limit {
		return nil, fmt.Errorf("%w: %w: payload is %d bytes", ErrMalformedJWT, ErrTooLarge, len(payload))
	}
	claims, err := strictjson.Members(payload, claimNames...)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformedJWT, err)
	}
	for _, k := range []string{"vc", "vp"} {
		if _, ok := claims[k]; ok {
			return nil, fmt.Errorf("%w: JWT claim %q is not allowed (VC-JOSE-COSE §3.1.1)", ErrInvalidCredential, k)
		}
	}
	now := opts.now()
	if err := checkTimes(claims, now, opts); err != nil {
		return nil, err
	}
	c, err := parseCredential(payload, limit)
	if err != nil {
		return nil, err
	}
	if raw, ok := claims["iss"]; ok {
		var iss string
		if strictjson.Unmarshal(raw, &iss) != nil || iss != c.Issuer.ID {
			return nil, fmt.Errorf("%w: iss %s is not the issuer %q", ErrInvalidCredential, truncate(string(raw), 128), truncate(c.Issuer.ID, 128))
		}
	}
	if raw, ok := claims["jti"]; ok && c.ID != "" {
		var jti string
		if strictjson.Unmarshal(raw, &jti) != nil || jti != c.ID {
			return nil, fmt.Errorf("%w: jti differs from id", ErrInvalidCredential)
		}
	}
	if err := checkSubject(c); err != nil {
		return nil, err
	}
	if issuerDID != "" && c.Issuer.ID != issuerDID {
		return nil, fmt.Errorf("%w: signed by %q, issuer is %q", ErrUntrustedKey, truncate(issuerDID, 128), truncate(c.Issuer.ID, 128))
	}
	leeway := opts.Leeway
	if !c.ValidFrom.IsZero() && now.Add(leeway).Before(c.ValidFrom) {
		return nil, fmt.Errorf("%w: validFrom %s", ErrNotYetValid, formatDateTimeStamp(c.ValidFrom))
	}
	if !c.ValidUntil.IsZero() && !now.Add(-leeway).Before(c.ValidUntil) {
		return nil, fmt.Errorf("%w: validUntil %s", ErrExpired, formatDateTimeStamp(c.ValidUntil))
	}
	return c, nil
}

// checkJOSEKey checks that pub fits alg: Ed25519 for EdDSA; P-256, P-384,
// P-521 for ES256, ES384, ES512. With validate, the key is also re-parsed
// through its Multikey encoding, which refuses off-curve points and
// small-order Ed25519 keys (keys from did.VerificationMethod.PublicKey
// already were).
func checkJOSEKey(pub crypto.PublicKey, alg string, validate bool) (crypto.PublicKey, error) {
	var want elliptic.Curve
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if alg != string(jose.EdDSA) {
			return nil, fmt.Errorf("%w: Ed25519 key for alg %s", ErrUntrustedKey, alg)
		}
	case *ecdsa.PublicKey:
		switch alg {
		case string(jose.ES256):
			want = elliptic.P256()
		case string(jose.ES384):
			want = elliptic.P384()
		case string(jose.ES512):
			want = elliptic.P521()
		default:
			return nil, fmt.Errorf("%w: ECDSA key for alg %s", ErrUntrustedKey, alg)
		}
		if k == nil || k.Curve != want {
			return nil, fmt.Errorf("%w: ECDSA key on the wrong curve for %s", ErrUntrustedKey, alg)
		}
	default:
		return nil, fmt.Errorf("%w: %T key cannot verify a JWS", ErrUntrustedKey, pub)
	}
	if !validate {
		return pub, nil
	}
	mk, err := did.EncodeMultikey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedKey, err)
	}
	checked, err := did.DecodeMultikey(mk)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedKey, err)
	}
	return checked, nil
}

// numericDate reads an RFC 7519 NumericDate: a JSON number (possibly
// fractional), compared as float64 so that no value wraps around.
func numericDate(raw json.RawMessage) (float64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return 0, errors.New("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("number out of range")
	}
	return f, nil
}

func checkTimes(claims map[string]json.RawMessage, now time.Time, opts *VerifyOptions) error {
	nowS := float64(now.Unix()) + float64(now.Nanosecond())/1e9
	lee := opts.Leeway.Seconds()
	get := func(name string) (float64, bool, error) {
		raw, ok := claims[name]
		if !ok {
			return 0, false, nil
		}
		if name == "iat" && opts.AllowStringIssuedAt && strings.HasPrefix(strings.TrimSpace(string(raw)), `"`) {
			var s string
			if err := strictjson.Unmarshal(raw, &s); err != nil {
				return 0, true, fmt.Errorf("%w: iat: %v", ErrMalformedJWT, err)
			}
			t, err := parseDateTimeStamp(s)
			if err != nil {
				return 0, true, fmt.Errorf("%w: iat: %v", ErrMalformedJWT, err)
			}
			return float64(t.Unix()), true, nil
		}
		f, err := numericDate(raw)
		if err != nil {
			return 0, true, fmt.Errorf("%w: %s is not a NumericDate: %v", ErrMalformedJWT, name, err)
		}
		return f, true, nil
	}
	if exp, ok, err := get("exp"); err != nil {
		return err
	} else if ok && nowS >= exp+lee {
		return fmt.Errorf("%w: exp %s", ErrExpired, truncate(string(claims["exp"]), 32))
	}
	if nbf, ok, err := get("nbf"); err != nil {
		return err
	} else if ok && nowS+lee < nbf {
		return fmt.Errorf("%w: nbf %s", ErrNotYetValid, truncate(string(claims["nbf"]), 32))
	}
	if iat, ok, err := get("iat"); err != nil {
		return err
	} else if ok && nowS+lee < iat {
		return fmt.Errorf("%w: iat %s is in the future", ErrNotYetValid, truncate(string(claims["iat"]), 32))
	}
	return nil
}
