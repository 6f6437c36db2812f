package did

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
)

// KeyDID returns the did:key (v0.7) DID of pub: "did:key:" followed by
// the Multikey encoding of the key (see [EncodeMultikey]).
func KeyDID(pub crypto.PublicKey) (string, error) {
	mb, err := EncodeMultikey(pub)
	if err != nil {
		return "", err
	}
	return "did:key:" + mb, nil
}

// Key formats for [KeyResolver].
const (
	KeyFormatMultikey       = TypeMultikey
	KeyFormatJsonWebKey2020 = TypeJsonWebKey2020
	// KeyFormatEd25519VerificationKey2020 applies to Ed25519 keys (and
	// their derived X25519 keys, as X25519KeyAgreementKey2020) only.
	KeyFormatEd25519VerificationKey2020 = "Ed25519VerificationKey2020"
)

// KeyResolver resolves did:key DIDs (did:key method v0.7) by expanding the
// key, without any I/O. The zero value is ready to use.
type KeyResolver struct {
	// Format is the publicKeyFormat: KeyFormatMultikey (the default, ""),
	// KeyFormatJsonWebKey2020 or KeyFormatEd25519VerificationKey2020;
	// others give [ErrUnsupportedKey]. A ZK key has no JWK form and always
	// resolves to Multikey.
	Format string
	// EnableEncryptionKeyDerivation adds, for an Ed25519 key, the X25519
	// key derived from it (RFC 7748 birational map) as a second
	// verification method in keyAgreement, as did:key v0.7 allows.
	EnableEncryptionKeyDerivation bool
}

var _ Resolver = (*KeyResolver)(nil)

// Resolve implements [Resolver].
func (k *KeyResolver) Resolve(_ context.Context, did string) (*Resolution, error) {
	doc, err := k.Document(did)
	if err != nil {
		return resolutionError(did, err)
	}
	return &Resolution{Document: doc}, nil
}

// ParseKey returns the public key of a did:key DID, checked as by
// [DecodeMultikey]. Errors wrap [ErrInvalidDID] for a malformed DID, and
// [ErrInvalidKey], [ErrInvalidKeyLength] or [ErrUnsupportedKey] for bad
// key material.
func ParseKey(did string) (crypto.PublicKey, error) {
	_, _, pub, err := parseKeyDID(did)
	return pub, err
}

// parseKeyDID checks a did:key DID (did:key:<mb> or did:key:1:<mb>) and
// decodes its key.
func parseKeyDID(did string) (mb string, codec uint64, pub crypto.PublicKey, err error) {
	d, err := Parse(did)
	if err != nil {
		return "", 0, nil, err
	}
	if d.Method != "key" {
		return "", 0, nil, fmt.Errorf("%w: not a did:key DID", ErrInvalidDID)
	}
	mb = d.ID
	if v, rest, ok := strings.Cut(d.ID, ":"); ok {
		if v != "1" {
			return "", 0, nil, fmt.Errorf("%w: did:key version %q not supported", ErrInvalidDID, truncate(v, 16))
		}
		mb = rest
	}
	if !strings.HasPrefix(mb, "z") || strings.ContainsAny(mb, ":%") {
		return "", 0, nil, fmt.Errorf("%w: did:key value must be base58btc multibase ('z')", ErrInvalidDID)
	}
	codec, pub, err = decodeMultikey(mb)
	if err != nil {
		return "", 0, nil, err
	}
	return mb, codec, pub, nil
}

// Document expands a did:key DID into its DID document (did:key v0.7
// "Document Creation Algorithm"): one verification method with id
// did#<multibase value> and controller did; for signing keys it is
// referenced from authentication, assertionMethod, capabilityInvocation
// and capabilityDelegation, for an X25519 key from keyAgreement only.
func (k *KeyResolver) Document(did string) (*Document, error) {
	mb, codec, pub, err := parseKeyDID(did)
	if err != nil {
		return nil, err
	}
	doc := &Document{Context: []any{ContextDIDv1}, ID: did}
	rels := []Relationship{Authentication, AssertionMethod, CapabilityInvocation, CapabilityDelegation}
	if codec == CodecX25519 {
		rels = []Relationship{KeyAgreement}
	}
	if err := k.addMethod(doc, codec, mb, pub, rels); err != nil {
		return nil, err
	}
	if k.EnableEncryptionKeyDerivation && codec == CodecEd25519 {
		xpub, err := ed25519ToX25519(pub.(ed25519.PublicKey))
		if err != nil {
			return nil, err
		}
		xmb := encodeMultikey(CodecX25519, xpub.Bytes())
		if err := k.addMethod(doc, CodecX25519, xmb, xpub, []Relationship{KeyAgreement}); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// addMethod adds the verification method did#mb for pub in k.Format, and
// the JSON-LD context of its type.
func (k *KeyResolver) addMethod(doc *Document, codec uint64, mb string, pub crypto.PublicKey, rels []Relationship) error {
	id := doc.ID + "#" + mb
	vm := VerificationMethod{ID: id, Type: TypeMultikey, Controller: doc.ID, PublicKeyMultibase: mb}
	ctx := ContextMultikey
	switch k.Format {
	case "", KeyFormatMultikey:
	case KeyFormatJsonWebKey2020:
		if codec != CodecZKBN254 { // the ZK key has no JWK form and stays Multikey
			var err error
			if vm, err = NewJWKMethod(id, doc.ID, pub); err != nil {
				return err
			}
			ctx = ContextJWS2020
		}
	case KeyFormatEd25519VerificationKey2020:
		switch codec {
		case CodecEd25519:
			vm.Type, ctx = "Ed25519VerificationKey2020", "https://w3id.org/security/suites/ed25519-2020/v1"
		case CodecX25519:
			vm.Type, ctx = "X25519KeyAgreementKey2020", "https://w3id.org/security/suites/x25519-2020/v1"
		default:
			return fmt.Errorf("%w: publicKeyFormat %s holds Ed25519 and X25519 keys only", ErrUnsupportedKey, k.Format)
		}
	default:
		return fmt.Errorf("%w: publicKeyFormat %q", ErrUnsupportedKey, truncate(k.Format, 64))
	}
	if !slices.Contains(doc.Context, any(ctx)) {
		doc.Context = append(doc.Context, ctx)
	}
	return doc.AddVerificationMethod(vm, rels...)
}

// ed25519ToX25519 maps an Ed25519 public key to its X25519 counterpart,
// u = (1 + y) / (1 - y) mod p (RFC 7748 §4.1).
func ed25519ToX25519(pub ed25519.PublicKey) (*ecdh.PublicKey, error) {
	pt, err := edwardsPoint(pub)
	if err != nil {
		return nil, err
	}
	b := pt.BytesMontgomery()
	k, err := parseX25519(b)
	if err != nil {
		return nil, err
	}
	return k.(*ecdh.PublicKey), nil
}
