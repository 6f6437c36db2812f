package credential

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// StoredFormat is the version of the stored credential's JSON form; see
// FORMAT.md in this package's folder.
const StoredFormat = "zkcred-credential-v1"

// MaxStoredSize bounds a stored credential's JSON.
const MaxStoredSize = 256 << 10

// Stored is the credential as the holder stores it: the VC-JWT, for
// showing in full, and the ZK-signed attributes, for proving in zero
// knowledge. Its JSON form is versioned ([StoredFormat], FORMAT.md) and
// decoded strictly.
type Stored struct {
	JWT              string         // the VC-JOSE JWT
	Schema           *Schema        // the attribute schema
	Values           map[string]any // one value per attribute, canonical JSON form
	Slots            []fr.Element   // Schema.Encode(Values)
	HolderCommitment fr.Element     // HolderCommitment(holder secret)
	RevocationID     uint64         // id in the issuer's revocation tree
	Expiry           uint64         // Unix seconds: the credential's validUntil
	Signature        ZKSignature    // the issuer's ZK signature on Message()
	Issuer           string         // issuer DID
	JOSEKeyID        string         // kid of the JWT
	ZKKeyID          string         // verification method of the ZK key
}

// Message returns [zkhash.Message] of the stored credential: what the ZK
// signature signs and what the zkp circuit recomputes.
func (s *Stored) Message() fr.Element {
	return zkhash.Message(s.Schema.ID(), s.HolderCommitment, s.RevocationID, s.Expiry, s.Slots)
}

// Check verifies the stored credential's internal consistency without any
// key: a valid schema, Slots equal to the encoding of Values, a revocation
// id in range, a non-zero expiry and holder commitment, a parsed
// signature, an issuer DID and key ids that are verification methods of
// it. Errors wrap [ErrInvalidCredential] or [ErrSchemaMismatch].
func (s *Stored) Check() error {
	if s == nil || s.Schema == nil {
		return fmt.Errorf("%w: no schema", ErrInvalidCredential)
	}
	slots, canon, err := s.Schema.encode(s.Values)
	if err != nil {
		return err
	}
	if len(s.Slots) != len(slots) {
		return fmt.Errorf("%w: %d slots, schema has %d", ErrSchemaMismatch, len(s.Slots), len(slots))
	}
	for i := range slots {
		if !slots[i].Equal(&s.Slots[i]) {
			return fmt.Errorf("%w: slot %d is not the encoding of its value", ErrSchemaMismatch, i)
		}
	}
	for k, v := range canon {
		if !sameJSON(v, s.Values[k]) {
			return fmt.Errorf("%w: value of %q is not in canonical form", ErrSchemaMismatch, k)
		}
	}
	if s.RevocationID < MinRevocationID || s.RevocationID > MaxRevocationID {
		return fmt.Errorf("%w: revocation id out of range", ErrInvalidCredential)
	}
	if s.Expiry == 0 || s.Expiry > 253402300799 {
		return fmt.Errorf("%w: expiry %d out of range", ErrInvalidCredential, s.Expiry)
	}
	if s.HolderCommitment.IsZero() {
		return fmt.Errorf("%w: zero holder commitment", ErrInvalidCredential)
	}
	if s.Signature.IsZero() {
		return fmt.Errorf("%w: no ZK signature", ErrInvalidCredential)
	}
	if _, err := did.Parse(s.Issuer); err != nil {
		return fmt.Errorf("%w: issuer: %w", ErrInvalidCredential, err)
	}
	for _, kid := range []string{s.JOSEKeyID, s.ZKKeyID} {
		if err := checkMethodOf(s.Issuer, kid); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidCredential, err)
		}
	}
	if strings.Count(s.JWT, ".") != 2 {
		return fmt.Errorf("%w: JWT is not a compact JWS", ErrInvalidCredential)
	}
	return nil
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// VerifyZK is the native check of the ZK part: [Stored.Check], then the
// issuer's ZK signature on [Stored.Message] (which re-encodes nothing the
// holder could have changed: the slots were just checked against the
// values) under pub.
func (s *Stored) VerifyZK(pub *did.ZKPublicKey) error {
	if err := s.Check(); err != nil {
		return err
	}
	return VerifyZK(pub, s.Message(), s.Signature)
}

// CheckHolder reports whether the credential is bound to secret: its
// holder commitment is secret's commitment. Errors wrap
// [ErrInvalidCredential].
func (s *Stored) CheckHolder(secret *HolderSecret) error {
	c := secret.Commitment()
	if !c.Equal(&s.HolderCommitment) {
		return fmt.Errorf("%w: credential is bound to another holder secret", ErrInvalidCredential)
	}
	return nil
}

// Verify checks everything a holder (or anyone given the stored credential)
// can: the JWT with [VerifyJWT], that its kid is JOSEKeyID and its issuer
// Issuer, that its credentialSubject carries exactly Values, its
// credentialSchema names Schema and its validUntil is Expiry; then the ZK
// key ZKKeyID, resolved through r (in assertionMethod, controlled by the
// issuer), and [Stored.VerifyZK]. It returns the JWT's credential.
func (s *Stored) Verify(ctx context.Context, r did.Resolver, opts VerifyOptions) (*Credential, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	p, err := parseJWT(s.JWT, &opts)
	if err != nil {
		return nil, err
	}
	if p.kid != s.JOSEKeyID {
		return nil, fmt.Errorf("%w: JWT kid %q is not %q", ErrInvalidCredential, truncate(p.kid, 128), truncate(s.JOSEKeyID, 128))
	}
	c, err := VerifyJWT(ctx, r, s.JWT, opts)
	if err != nil {
		return nil, err
	}
	if c.Issuer.ID != s.Issuer {
		return nil, fmt.Errorf("%w: JWT issuer %q is not %q", ErrInvalidCredential, truncate(c.Issuer.ID, 128), truncate(s.Issuer, 128))
	}
	if c.ValidUntil.IsZero() || c.ValidUntil.Unix() != int64(s.Expiry) {
		return nil, fmt.Errorf("%w: JWT validUntil is not the expiry", ErrInvalidCredential)
	}
	if len(c.CredentialSchema) != 1 || c.CredentialSchema[0].ID != schemaURN(s.Schema) {
		return nil, fmt.Errorf("%w: JWT credentialSchema does not name the stored schema", ErrSchemaMismatch)
	}
	if len(c.CredentialSubject) != 1 || len(c.CredentialSubject[0].Claims) != len(s.Values) {
		return nil, fmt.Errorf("%w: JWT credentialSubject does not carry the stored values", ErrSchemaMismatch)
	}
	for k, v := range s.Values {
		if got, ok := c.CredentialSubject[0].Claims[k]; !ok || !sameJSON(got, v) {
			return nil, fmt.Errorf("%w: JWT value of %q differs from the stored one", ErrSchemaMismatch, k)
		}
	}
	zk, err := did.ResolveZKKey(ctx, r, s.ZKKeyID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedKey, err)
	}
	if err := VerifyZK(zk, s.Message(), s.Signature); err != nil {
		return nil, err
	}
	return c, nil
}

// storedJSON is the wire form, version StoredFormat.
type storedJSON struct {
	Version          string          `json:"version"`
	Issuer           string          `json:"issuer"`
	JOSEKeyID        string          `json:"joseKid"`
	ZKKeyID          string          `json:"zkKid"`
	JWT              string          `json:"jwt"`
	Schema           json.RawMessage `json:"schema"`
	Values           json.RawMessage `json:"values"`
	Slots            []string        `json:"slots"`
	HolderCommitment string          `json:"holderCommitment"`
	RevocationID     string          `json:"revocationId"`
	Expiry           json.RawMessage `json:"expiry"`
	Signature        string          `json:"zkSignature"`
}

var b64url = base64.RawURLEncoding.Strict()

// MarshalJSON writes the stored credential in format [StoredFormat]. It
// fails unless [Stored.Check] passes.
func (s *Stored) MarshalJSON() ([]byte, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	schema, err := s.Schema.MarshalJSON()
	if err != nil {
		return nil, err
	}
	values, err := json.Marshal(s.Values)
	if err != nil {
		return nil, err
	}
	j := storedJSON{
		Version: StoredFormat, Issuer: s.Issuer, JOSEKeyID: s.JOSEKeyID, ZKKeyID: s.ZKKeyID, JWT: s.JWT,
		Schema: schema, Values: values,
		HolderCommitment: encodeElement(s.HolderCommitment),
		RevocationID:     strconv.FormatUint(s.RevocationID, 10),
		Expiry:           json.RawMessage(strconv.FormatUint(s.Expiry, 10)),
		Signature:        b64url.EncodeToString(s.Signature.Bytes()),
	}
	for _, e := range s.Slots {
		j.Slots = append(j.Slots, encodeElement(e))
	}
	return json.Marshal(j)
}

// ParseStored decodes a stored credential strictly (see FORMAT.md): input
// over [MaxStoredSize], invalid UTF-8 or lone surrogates, duplicate (also
// after unescaping), case-variant or unknown members, values numbers of
// magnitude 2^53 or more, a
// missing member, another version ([ErrUnsupportedVersion]), non-minimal
// decimal numbers, padded or non-canonical base64url, field elements not
// below r, a non-canonical signature, and anything [Stored.Check] refuses
// are errors. Its output re-encodes to the same bytes as [Stored.MarshalJSON]
// would produce.
func ParseStored(b []byte) (*Stored, error) {
	s := new(Stored)
	if err := s.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return s, nil
}

// UnmarshalJSON is [ParseStored].
func (s *Stored) UnmarshalJSON(b []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: stored credential: "+format, append([]any{ErrInvalidCredential}, args...)...)
	}
	if len(b) > MaxStoredSize {
		return fmt.Errorf("%w: %w: stored credential is %d bytes", ErrInvalidCredential, ErrTooLarge, len(b))
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := strictjson.UnmarshalOpen(b, &v); err != nil {
		return bad("%v", err)
	}
	if v.Version != StoredFormat {
		return fmt.Errorf("%w: %q, want %q", ErrUnsupportedVersion, truncate(v.Version, 64), StoredFormat)
	}
	var j storedJSON
	if err := strictjson.Unmarshal(b, &j); err != nil {
		return bad("%v", err)
	}
	if j.Issuer == "" || j.JWT == "" || j.Schema == nil || j.Values == nil || j.Slots == nil ||
		j.HolderCommitment == "" || j.RevocationID == "" || j.Expiry == nil || j.Signature == "" {
		return bad("missing member")
	}
	var n Stored
	n.Issuer, n.JOSEKeyID, n.ZKKeyID, n.JWT = j.Issuer, j.JOSEKeyID, j.ZKKeyID, j.JWT
	n.Schema = new(Schema)
	if err := n.Schema.UnmarshalJSON(j.Schema); err != nil {
		return err
	}
	if !strings.HasPrefix(string(j.Values), "{") {
		return bad("values must be an object")
	}
	if err := strictjson.Unmarshal(j.Values, &n.Values); err != nil {
		return bad("values: %v", err)
	}
	var err error
	if len(j.Slots) > MaxSlots {
		return bad("too many slots")
	}
	n.Slots = make([]fr.Element, len(j.Slots))
	for i, e := range j.Slots {
		if n.Slots[i], err = decodeElement(e); err != nil {
			return bad("slot %d: %v", i, err)
		}
	}
	if n.HolderCommitment, err = decodeElement(j.HolderCommitment); err != nil {
		return bad("holderCommitment: %v", err)
	}
	if n.RevocationID, err = parseMinimalUint(j.RevocationID); err != nil {
		return bad("revocationId: %v", err)
	}
	if n.Expiry, err = parseMinimalUint(string(j.Expiry)); err != nil {
		return bad("expiry: %v", err)
	}
	sig, err := b64url.DecodeString(j.Signature)
	if err != nil {
		return bad("zkSignature: %v", err)
	}
	if n.Signature, err = ParseZKSignature(sig); err != nil {
		return err
	}
	if err := n.Check(); err != nil {
		return err
	}
	*s = n
	return nil
}

// encodeElement is base64url (no padding) of the 32-byte big-endian
// encoding.
func encodeElement(e fr.Element) string {
	b := e.Bytes()
	return b64url.EncodeToString(b[:])
}

func decodeElement(s string) (fr.Element, error) {
	b, err := b64url.DecodeString(s)
	if err != nil {
		return fr.Element{}, err
	}
	var e fr.Element
	if err := e.SetBytesCanonical(b); err != nil {
		return fr.Element{}, fmt.Errorf("not a canonical 32-byte field element")
	}
	return e, nil
}

// parseMinimalUint parses a minimal decimal uint64 (no sign, no leading
// zeros, no exponent).
func parseMinimalUint(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a minimal decimal integer", truncate(s, 32))
	}
	return strconv.ParseUint(s, 10, 64)
}
