package did

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/zkcred/zkcred/did/strictjson"
)

// JWKDID returns the did:jwk DID of pub: "did:jwk:" followed by the
// base64url (no padding) of the public JWK (members in lexicographic
// order). use is "", "sig" or "enc" and is written into the JWK; it
// selects the verification relationships (see [JWKResolver]).
func JWKDID(pub crypto.PublicKey, use string) (string, error) {
	if use != "" && use != "sig" && use != "enc" {
		return "", fmt.Errorf("%w: jwk use %q (want \"\", \"sig\" or \"enc\")", ErrInvalidKey, truncate(use, 16))
	}
	j, err := NewPublicJWK(pub)
	if err != nil {
		return "", err
	}
	j.Use = use
	b, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	return "did:jwk:" + base64.RawURLEncoding.EncodeToString(b), nil
}

// JWKResolver resolves did:jwk DIDs (https://github.com/quartzjer/did-jwk)
// without any I/O. The zero value is ready to use.
type JWKResolver struct{}

var _ Resolver = (*JWKResolver)(nil)

// Resolve implements [Resolver].
func (j *JWKResolver) Resolve(_ context.Context, did string) (*Resolution, error) {
	doc, err := j.Document(did)
	if err != nil {
		return resolutionError(did, err)
	}
	return &Resolution{Document: doc}, nil
}

// ParseJWKDID decodes the JWK of a did:jwk DID: strict unpadded base64url,
// UTF-8 JSON with json v2 semantics (no duplicate members, also after
// unescaping; no case variants of JWK member names), a public key only (a JWK with
// private members is rejected with [ErrPrivateKeyMaterial]), a supported
// and valid key. Errors wrap [ErrInvalidDID] or the key error.
func ParseJWKDID(did string) (*JWK, crypto.PublicKey, error) {
	d, err := Parse(did)
	if err != nil {
		return nil, nil, err
	}
	if d.Method != "jwk" {
		return nil, nil, fmt.Errorf("%w: not a did:jwk DID", ErrInvalidDID)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(d.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: did:jwk value is not base64url without padding", ErrInvalidDID)
	}
	if !utf8.Valid(b) {
		return nil, nil, fmt.Errorf("%w: did:jwk value is not UTF-8", ErrInvalidDID)
	}
	var jwk JWK
	if err := strictjson.Unmarshal(b, &jwk); err != nil {
		return nil, nil, fmt.Errorf("%w: did:jwk JSON: %v", ErrInvalidDID, err)
	}
	if err := jwk.Check(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if jwk.Use != "" && jwk.Use != "sig" && jwk.Use != "enc" {
		return nil, nil, fmt.Errorf("%w: jwk use %q", ErrInvalidKey, truncate(jwk.Use, 16))
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		return nil, nil, err
	}
	return &jwk, pub, nil
}

// Document expands a did:jwk DID into its DID document: one
// JsonWebKey2020 verification method with id did#0 and controller did,
// holding the decoded JWK. It is in all five relationships, except that
// "use": "sig" drops keyAgreement and "use": "enc" keeps keyAgreement only.
func (j *JWKResolver) Document(did string) (*Document, error) {
	jwk, _, err := ParseJWKDID(did)
	if err != nil {
		return nil, err
	}
	vm := VerificationMethod{ID: did + "#0", Type: TypeJsonWebKey2020, Controller: did, PublicKeyJwk: jwk}
	doc := &Document{Context: []any{ContextDIDv1, ContextJWS2020}, ID: did}
	rels := relationships
	switch jwk.Use {
	case "sig":
		rels = []Relationship{Authentication, AssertionMethod, CapabilityInvocation, CapabilityDelegation}
	case "enc":
		rels = []Relationship{KeyAgreement}
	}
	if err := doc.AddVerificationMethod(vm, rels...); err != nil {
		return nil, err
	}
	return doc, nil
}
