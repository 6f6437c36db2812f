package credential

import (
	"crypto"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
)

// Revocation ids are in [MinRevocationID, MaxRevocationID]: 0 and 2^64-1
// are the bounds of the revocation tree's sentinel leaf.
const (
	MinRevocationID uint64 = 1
	MaxRevocationID uint64 = math.MaxUint64 - 1
)

// SchemaCredentialType is the credentialSchema type naming the zkcred
// schema whose id is in the credentialSchema id ("urn:zkcred:schema:<hex>").
const SchemaCredentialType = "ZkcredSchema"

// schemaURN is the credentialSchema id of a schema: urn:zkcred:schema:
// followed by the 64 lowercase hex digits of its id.
func schemaURN(s *Schema) string {
	id := s.ID()
	b := id.Bytes()
	return "urn:zkcred:schema:" + hex.EncodeToString(b[:])
}

// RandomRevocationID draws a uniform revocation id in
// [MinRevocationID, MaxRevocationID] from rand. Callers must still make
// ids unique per issuer (the status registry records them).
func RandomRevocationID(rand io.Reader) (uint64, error) {
	for {
		var b [8]byte
		if _, err := io.ReadFull(rand, b[:]); err != nil {
			return 0, fmt.Errorf("credential: revocation id: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v >= MinRevocationID && v <= MaxRevocationID {
			return v, nil
		}
	}
}

// Issuer issues credentials for one issuer DID. Its keys must be listed in
// the DID document's assertionMethod under the given ids. Printing an
// Issuer (String, %v, %+v, %#v) shows its DID and key ids, never its keys.
type Issuer struct {
	// DID is the issuer's DID, the credential's issuer.
	DID string
	// JOSEKey signs the VC-JWT (Ed25519 or P-256); JOSEKeyID is its
	// verification method, an absolute DID URL of DID.
	JOSEKey   crypto.Signer
	JOSEKeyID string
	// ZKKey signs the attributes; ZKKeyID is its verification method.
	ZKKey   *ZKPrivateKey
	ZKKeyID string
	// Rand is the source of credential ids; nil means crypto/rand.
	Rand io.Reader
	// Clock gives the issuance time; nil means time.Now.
	Clock func() time.Time
}

// String describes the issuer without its keys.
func (is Issuer) String() string {
	return fmt.Sprintf("credential.Issuer{DID: %q, JOSEKeyID: %q, ZKKeyID: %q, keys: %s}", is.DID, is.JOSEKeyID, is.ZKKeyID, redacted)
}

// GoString is [Issuer.String].
func (is Issuer) GoString() string { return is.String() }

// Format prints [Issuer.String] for every verb.
func (is Issuer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, is.String()) }

// IssueRequest is one credential to issue.
type IssueRequest struct {
	// Schema and Values: one value per attribute (see [Attribute.Encode]).
	Schema *Schema
	Values map[string]any
	// HolderCommitment is [HolderSecret.Commitment] of the holder's secret:
	// the credential is bound to it. It must not be zero.
	HolderCommitment fr.Element
	// SubjectID is the optional credentialSubject id (a URL, e.g. a DID).
	// Leave it empty for credentials that must not be linkable.
	SubjectID string
	// ValidFrom is the start of validity; zero means the issuance time.
	// ValidUntil is required: it is also the expiry the ZK signature covers
	// (Unix seconds) and the JWT's exp.
	ValidFrom, ValidUntil time.Time
	// Status holds the credentialStatus entries (e.g. a
	// BitstringStatusListEntry from credential/status); may be empty.
	Status []Object
	// RevocationID is the credential's id in the issuer's revocation tree,
	// unique per issuer, in [MinRevocationID, MaxRevocationID].
	RevocationID uint64
	// Types are added after "VerifiableCredential".
	Types []string
	// ID is the credential id; empty means a random urn:uuid.
	ID string
}

// Issue issues one credential: it encodes the values under the schema,
// signs [zkhash.Message](schema id, holder commitment, revocation id,
// ValidUntil, slots) with the ZK key, builds the VC 2.0 credential
// (credentialSubject = the values in canonical form, credentialSchema =
// urn:zkcred:schema:<id>, credentialStatus = req.Status) and secures it
// as a VC-JWT. It returns what the holder stores.
func (is *Issuer) Issue(req IssueRequest) (*Stored, error) {
	if is.ZKKey == nil || is.JOSEKey == nil {
		return nil, fmt.Errorf("%w: issuer has no ZK or JOSE key", ErrInvalidKey)
	}
	if err := checkMethodOf(is.DID, is.ZKKeyID); err != nil {
		return nil, err
	}
	if req.Schema == nil {
		return nil, fmt.Errorf("%w: no schema", ErrInvalidSchema)
	}
	slots, canon, err := req.Schema.encode(req.Values)
	if err != nil {
		return nil, err
	}
	if req.HolderCommitment.IsZero() {
		return nil, fmt.Errorf("%w: zero holder commitment", ErrInvalidCredential)
	}
	if req.RevocationID < MinRevocationID || req.RevocationID > MaxRevocationID {
		return nil, fmt.Errorf("%w: revocation id %d outside [1, 2^64-2]", ErrInvalidCredential, req.RevocationID)
	}
	now := time.Now()
	if is.Clock != nil {
		now = is.Clock()
	}
	from := req.ValidFrom
	if from.IsZero() {
		from = now
	}
	from = from.UTC().Truncate(time.Second)
	until := req.ValidUntil.UTC().Truncate(time.Second)
	if until.IsZero() || until.Unix() <= 0 || !until.After(from) || !until.After(now) {
		return nil, fmt.Errorf("%w: validUntil must be set, after validFrom and in the future", ErrInvalidCredential)
	}
	id := req.ID
	if id == "" {
		if id, err = newUUIDURN(is.Rand); err != nil {
			return nil, err
		}
	}
	c := &Credential{
		Context:           []any{ContextV2},
		ID:                id,
		Type:              append([]string{TypeVerifiableCredential}, req.Types...),
		Issuer:            IssuerRef{ID: is.DID},
		ValidFrom:         from,
		ValidUntil:        until,
		CredentialSubject: []Subject{{ID: req.SubjectID, Claims: canon}},
		CredentialSchema:  []Object{{ID: schemaURN(req.Schema), Type: []string{SchemaCredentialType}}},
		CredentialStatus:  req.Status,
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	expiry := uint64(until.Unix())
	sig, err := is.ZKKey.Sign(zkhash.Message(req.Schema.ID(), req.HolderCommitment, req.RevocationID, expiry, slots))
	if err != nil {
		return nil, err
	}
	tok, err := IssueJWT(c, is.JOSEKey, is.JOSEKeyID, now)
	if err != nil {
		return nil, err
	}
	sc, _ := NewSchema(req.Schema.Name, req.Schema.Version, req.Schema.Slots, req.Schema.Attributes...)
	return &Stored{
		JWT:              tok,
		Schema:           sc,
		Values:           canon,
		Slots:            slots,
		HolderCommitment: req.HolderCommitment,
		RevocationID:     req.RevocationID,
		Expiry:           expiry,
		Signature:        sig,
		Issuer:           is.DID,
		JOSEKeyID:        is.JOSEKeyID,
		ZKKeyID:          is.ZKKeyID,
	}, nil
}

// checkMethodOf checks that kid is an absolute DID URL with a fragment
// whose DID is issuer.
func checkMethodOf(issuer, kid string) error {
	u, err := did.ParseURL(kid)
	if err != nil {
		return fmt.Errorf("%w: key id: %w", ErrUntrustedKey, err)
	}
	if u.Fragment == "" || u.DID.String() != issuer {
		return fmt.Errorf("%w: key id %q is not a verification method of %q", ErrUntrustedKey, truncate(kid, 128), truncate(issuer, 128))
	}
	return nil
}

// newUUIDURN returns a random (version 4) urn:uuid.
func newUUIDURN(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("credential: credential id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
