package openid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Response encryption (OpenID4VP 1.0 §8.3): ECDH-ES (direct key agreement)
// on P-256, content encryption A128GCM (the default) or A256GCM.
const (
	KeyAlgECDHES     = "ECDH-ES"
	EncA128GCM       = "A128GCM"
	EncA256GCM       = "A256GCM"
	MaxResponseSize  = 1 << 20 // bytes of a compact JWE or a clear response
	maxPresentations = 16      // per credential query
)

func encAllowed(e string) bool { return e == EncA128GCM || e == EncA256GCM }

// Response is the Authorization Response of response_type vp_token: the
// vp_token object maps each DCQL credential query id to its presentations
// (a string or a JSON object each), and state is the request's.
type Response struct {
	VPToken map[string][]json.RawMessage `json:"vp_token"`
	State   string                       `json:"state,omitempty"`
}

func (r *Response) check() error {
	if len(r.VPToken) == 0 || len(r.VPToken) > MaxCredentialQueries {
		return fmt.Errorf("vp_token must answer 1 to %d credential queries", MaxCredentialQueries)
	}
	for id, ps := range r.VPToken {
		if !nonceOK(id, maxShortString) || len(ps) == 0 || len(ps) > maxPresentations {
			return fmt.Errorf("vp_token %.40q: bad id or not 1 to %d presentations", id, maxPresentations)
		}
		for _, p := range ps {
			if len(p) == 0 || (p[0] != '"' && p[0] != '{') {
				return fmt.Errorf("vp_token %.40q: a presentation is a string or an object", id)
			}
		}
	}
	if r.State != "" && !nonceOK(r.State, MaxStateLen) {
		return fmt.Errorf("bad state")
	}
	return nil
}

// ParseResponse decodes a clear (direct_post) response payload strictly:
// only vp_token and state, strict JSON, within limits. Errors wrap
// [ErrInvalidResponse].
func ParseResponse(b []byte) (*Response, error) {
	if len(b) > MaxResponseSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidResponse, MaxResponseSize)
	}
	var r Response
	if err := strictjson.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	return &r, nil
}

// EncryptionJWK returns the client_metadata JWK of a Verifier's response
// encryption key: P-256, alg ECDH-ES, use enc, with kid.
func EncryptionJWK(pub *ecdsa.PublicKey, kid string) (did.JWK, error) {
	if pub == nil || pub.Curve != elliptic.P256() {
		return did.JWK{}, fmt.Errorf("%w: encryption key must be P-256", ErrInvalidRequest)
	}
	if kid == "" {
		return did.JWK{}, fmt.Errorf("%w: encryption key needs a kid", ErrInvalidRequest)
	}
	j, err := did.NewPublicJWK(pub)
	if err != nil {
		return did.JWK{}, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	j.Alg, j.Use, j.Kid = KeyAlgECDHES, "enc", kid
	return *j, nil
}

// encryptionKey picks the Wallet's encryption key from client_metadata: the
// first key for encryption (use absent or "enc") with alg ECDH-ES on P-256;
// and the enc: the first of encrypted_response_enc_values_supported this
// profile supports, A128GCM when absent.
func (md *ClientMetadata) encryptionKey() (*did.JWK, string, error) {
	enc := EncA128GCM
	if len(md.EncryptedResponseEncValuesSupported) > 0 {
		enc = md.EncryptedResponseEncValuesSupported[0]
	}
	if md.JWKS != nil {
		for i := range md.JWKS.Keys {
			k := &md.JWKS.Keys[i]
			if (k.Use == "" || k.Use == "enc") && k.Alg == KeyAlgECDHES && k.Kty == "EC" && k.Crv == "P-256" && k.Kid != "" {
				return k, enc, nil
			}
		}
	}
	return nil, "", fmt.Errorf("%w: client_metadata: direct_post.jwt needs a P-256 ECDH-ES key with a kid in jwks", ErrInvalidRequest)
}

// EncryptResponse encrypts a response for direct_post.jwt to the Verifier's
// key from md (see [ClientMetadata] and OpenID4VP 1.0 §8.3): a compact JWE
// with alg ECDH-ES, enc from encrypted_response_enc_values_supported
// (A128GCM by default) and the key's kid. The form post body is
// response=<JWE>.
func EncryptResponse(resp *Response, md *ClientMetadata) (string, error) {
	if err := resp.check(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	if md == nil {
		return "", fmt.Errorf("%w: no client_metadata", ErrInvalidRequest)
	}
	k, enc, err := md.encryptionKey()
	if err != nil {
		return "", err
	}
	if !encAllowed(enc) {
		return "", fmt.Errorf("%w: client_metadata: unsupported enc %.20q", ErrInvalidRequest, enc)
	}
	pub, err := k.PublicKey()
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	e, err := jose.NewEncrypter(jose.ContentEncryption(enc),
		jose.Recipient{Algorithm: jose.ECDH_ES, Key: pub, KeyID: k.Kid}, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	payload, err := json.Marshal(resp)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	obj, err := e.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	return obj.CompactSerialize()
}

// jweHeader is the protected header of an encrypted response.
type jweHeader struct {
	Alg string          `json:"alg"`
	Enc string          `json:"enc"`
	Kid string          `json:"kid"`
	Epk json.RawMessage `json:"epk"`
	Apu string          `json:"apu,omitempty"`
	Apv string          `json:"apv,omitempty"`
	Typ string          `json:"typ,omitempty"`
	Cty string          `json:"cty,omitempty"`
}

// DecryptResponse decrypts a direct_post.jwt response with the Verifier's
// key (kid as in its client_metadata; encs the enc values it advertised,
// nil meaning A128GCM only). Before go-jose sees the token: at most
// [MaxResponseSize] bytes, five segments of canonical base64url with an
// empty encrypted key (ECDH-ES is direct), a strict JSON header of only
// alg ECDH-ES, an advertised enc, the key's kid, epk (apu, apv, typ, cty
// allowed; zip, crit and everything else refused). The payload is then
// read by [ParseResponse]. Errors wrap [ErrInvalidResponse].
func DecryptResponse(token string, key *ecdsa.PrivateKey, kid string, encs []string) (*Response, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidResponse}, a...)...)
	}
	if key == nil || key.Curve != elliptic.P256() {
		return nil, bad("decryption key must be P-256")
	}
	if len(token) > MaxResponseSize {
		return nil, bad("larger than %d bytes", MaxResponseSize)
	}
	seg, err := splitCompact(token, 5, 1)
	if err != nil {
		return nil, bad("%v", err)
	}
	if seg[1] != nil {
		return nil, bad("ECDH-ES has no encrypted key")
	}
	var h jweHeader
	if err := strictjson.Unmarshal(seg[0], &h); err != nil {
		return nil, bad("header: %v", err)
	}
	if encs == nil {
		encs = []string{EncA128GCM}
	}
	if h.Alg != KeyAlgECDHES || !encAllowed(h.Enc) || !slices.Contains(encs, h.Enc) {
		return nil, bad("alg %.20q / enc %.20q not allowed", h.Alg, h.Enc)
	}
	if h.Kid != kid || len(h.Epk) == 0 {
		return nil, bad("kid %.60q is not the verifier's, or no epk", h.Kid)
	}
	var epk did.JWK
	if err := strictjson.Unmarshal(h.Epk, &epk); err != nil {
		return nil, bad("epk: %v", err)
	}
	if err := epk.Check(); err != nil || epk.Kty != "EC" || epk.Crv != "P-256" {
		return nil, bad("epk must be a valid P-256 public key")
	}
	if _, err := epk.PublicKey(); err != nil {
		return nil, bad("epk: %v", err)
	}
	jwe, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.ECDH_ES},
		[]jose.ContentEncryption{jose.ContentEncryption(h.Enc)})
	if err != nil {
		return nil, bad("%v", err)
	}
	payload, err := jwe.Decrypt(key)
	if err != nil {
		return nil, bad("does not decrypt with the verifier's key")
	}
	return ParseResponse(payload)
}
