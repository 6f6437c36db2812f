package dcql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// Identifiers of zkcred's DCQL profile (PROFILE.md).
const (
	// FormatZKP is the format identifier of a zkcred zero-knowledge
	// presentation: a proof over a credential of format FormatCredential,
	// not the credential itself.
	FormatZKP = "zkcred_zkp"
	// FormatCredential is the OpenID4VCI format identifier of the stored
	// credential a wallet proves with (credential/openid4vci PROFILE.md).
	FormatCredential = "zkcred_vc+jwt"
	// ProfileVersion names this version of the profile: the zkcred members
	// of meta and the zkcred_predicate member of claims queries. A query of
	// format FormatZKP carries it in meta.zkcred_profile.
	ProfileVersion = "zkcred-dcql-predicates-v1"
	// TrustedAuthorityDID is the trusted_authorities type whose values are
	// issuer DIDs (did.Parse syntax).
	TrustedAuthorityDID = "zkcred_did"
)

// Limits on a query's contents. A query within them compiles in
// milliseconds; the fuzz target checks allocations stay small.
const (
	MaxQuerySize          = 64 << 10 // bytes of JSON
	MaxCredentialQueries  = 16
	MaxClaims             = 32 // claims queries per credential query
	MaxClaimSets          = 16
	MaxCredentialSets     = 16
	MaxOptions            = 16 // options per credential set query
	MaxTrustedAuthorities = 16 // entries, and values per entry
	MaxPathLen            = 16
	MaxIDLen              = 64
	maxStringLen          = 2048
)

// ErrInvalidQuery is wrapped by every error of [Parse], [Query.Validate]
// and [Query.Compile] that is about the query (malformed JSON, a rule of
// DCQL or of zkcred's profile broken, a limit passed). Compile errors found
// by [protocol.Policy.Validate] also wrap [protocol.ErrInvalidRequest].
var ErrInvalidQuery = errors.New("dcql: invalid query")

// ErrUnsupportedFormat is wrapped by [Query.Compile] when a credential
// query that must be answered asks for a format other than [FormatZKP].
var ErrUnsupportedFormat = errors.New("dcql: unsupported credential format")

// Query is a DCQL query (OpenID4VP 1.0 §6.1).
type Query struct {
	// Credentials is REQUIRED and non-empty.
	Credentials []CredentialQuery `json:"credentials"`
	// CredentialSets is OPTIONAL; if present, non-empty.
	CredentialSets []CredentialSetQuery `json:"credential_sets,omitempty"`
}

// CredentialQuery is a Credential Query (OpenID4VP 1.0 §6.1).
type CredentialQuery struct {
	ID     string `json:"id"`
	Format string `json:"format"`
	// Multiple: more than one credential may answer (default false).
	Multiple bool `json:"multiple,omitempty"`
	// Meta is REQUIRED; its members are defined by the format. For
	// FormatZKP it is a [Meta] (see [CredentialQuery.ZKMeta]); for other
	// formats it is kept raw (a JSON object).
	Meta               json.RawMessage           `json:"meta"`
	TrustedAuthorities []TrustedAuthoritiesQuery `json:"trusted_authorities,omitempty"`
	// RequireCryptographicHolderBinding defaults to true when nil.
	RequireCryptographicHolderBinding *bool         `json:"require_cryptographic_holder_binding,omitempty"`
	Claims                            []ClaimsQuery `json:"claims,omitempty"`
	ClaimSets                         [][]string    `json:"claim_sets,omitempty"`
}

// Meta is the meta object of a FormatZKP credential query (PROFILE.md).
type Meta struct {
	// Profile is REQUIRED: ProfileVersion.
	Profile string `json:"zkcred_profile"`
	// Schema is REQUIRED: the credential schema (name, version, id).
	Schema protocol.SchemaRef `json:"zkcred_schema"`
	// MaxRootAge is REQUIRED: the oldest, in seconds, the issuer's signed
	// revocation root may be.
	MaxRootAge int64 `json:"zkcred_max_root_age"`
	// NullifierScope, if set, asks for a nullifier in that scope (one
	// accepted presentation per holder and scope).
	NullifierScope string `json:"zkcred_nullifier_scope,omitempty"`
}

// TrustedAuthoritiesQuery is a Trusted Authorities Query (OpenID4VP 1.0
// §6.1.1). zkcred defines Type [TrustedAuthorityDID].
type TrustedAuthoritiesQuery struct {
	Type   string   `json:"type"`
	Values []string `json:"values"`
}

// CredentialSetQuery is a Credential Set Query (OpenID4VP 1.0 §6.2): the
// wallet answers one option, and an option is a list of credential query
// ids all of which are answered.
type CredentialSetQuery struct {
	Options [][]string `json:"options"`
	// Required defaults to true when nil.
	Required *bool `json:"required,omitempty"`
}

// IsRequired reports whether the set must be answered (Required, default true).
func (s *CredentialSetQuery) IsRequired() bool { return s.Required == nil || *s.Required }

// ClaimsQuery is a Claims Query (OpenID4VP 1.0 §6.3), plus zkcred's
// Predicate member.
type ClaimsQuery struct {
	// ID is REQUIRED when the credential query has claim_sets.
	ID   string    `json:"id,omitempty"`
	Path ClaimPath `json:"path"`
	// Values: the claim must equal one of them. zkcred reads one value as
	// eq and several as in (set membership), without disclosure. Values
	// are strings, integers in [0, 2^64) or booleans.
	Values []protocol.Value `json:"values,omitempty"`
	// Predicate is zkcred's extension member "zkcred_predicate" (only in
	// FormatZKP queries).
	Predicate *Predicate `json:"zkcred_predicate,omitempty"`
}

// Predicate is the zkcred_predicate member of a claims query: a condition
// proven in zero knowledge about the claim, which stays undisclosed. Its
// operand members are those of [protocol.Predicate]. Op is any operator of
// protocol except eq and in, which are written as DCQL values.
type Predicate struct {
	Op     protocol.Op      `json:"op"`
	Value  *protocol.Value  `json:"value,omitempty"`
	Min    *protocol.Value  `json:"min,omitempty"`
	Max    *protocol.Value  `json:"max,omitempty"`
	Values []protocol.Value `json:"values,omitempty"`
	Years  *int             `json:"years,omitempty"`
}

// Parse decodes and validates a DCQL query ([Query.Validate]). Decoding is
// strict (did/strictjson: duplicate, case-variant and unknown members,
// invalid UTF-8 and trailing data are refused); the one place unknown
// members are kept is the meta object of a credential query of another
// format than FormatZKP, which that format defines. Errors wrap
// [ErrInvalidQuery].
func Parse(b []byte) (*Query, error) {
	if len(b) > MaxQuerySize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidQuery, MaxQuerySize)
	}
	var q Query
	if err := strictjson.Unmarshal(b, &q); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidQuery, err)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return &q, nil
}

// JSON returns the query's JSON encoding (members in declaration order, no
// white space). [Parse] reads it back to an equal query.
func (q *Query) JSON() ([]byte, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(q); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidQuery, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ZKMeta decodes the meta of a FormatZKP credential query (strictly, with
// the profile's rules). Errors wrap [ErrInvalidQuery]; for another format
// it returns an error wrapping [ErrUnsupportedFormat].
func (c *CredentialQuery) ZKMeta() (*Meta, error) {
	if c.Format != FormatZKP {
		return nil, fmt.Errorf("%w: %.80q", ErrUnsupportedFormat, c.Format)
	}
	m, err := c.zkMeta()
	if err != nil {
		return nil, invalid("credential query %q: %v", c.ID, err)
	}
	return m, nil
}

func (c *CredentialQuery) zkMeta() (*Meta, error) {
	var m Meta
	if err := strictjson.Unmarshal(c.Meta, &m); err != nil {
		return nil, fmt.Errorf("meta: %v", err)
	}
	if m.Profile != ProfileVersion {
		return nil, fmt.Errorf("meta: zkcred_profile %.80q is not %q", m.Profile, ProfileVersion)
	}
	if m.Schema.Name == "" || len(m.Schema.Name) > protocol.MaxNameLen || m.Schema.Version == 0 || len(m.Schema.ID) != 64 {
		return nil, errors.New("meta: zkcred_schema needs a name, a version and a 64-hex-digit id")
	}
	if m.MaxRootAge <= 0 {
		return nil, errors.New("meta: zkcred_max_root_age must be positive (seconds)")
	}
	if len(m.NullifierScope) > protocol.MaxNameLen || m.NullifierScope != "" && IsHolderScope(m.NullifierScope) {
		return nil, errors.New("meta: zkcred_nullifier_scope too long or reserved")
	}
	// The wallet shows the scope and the schema name to the holder.
	if err := display.Check(m.NullifierScope, false); err != nil {
		return nil, fmt.Errorf("meta: zkcred_nullifier_scope: %w", err)
	}
	if err := display.Check(m.Schema.Name, false); err != nil {
		return nil, fmt.Errorf("meta: zkcred_schema name: %w", err)
	}
	return &m, nil
}

// Validate checks the rules of DCQL (OpenID4VP 1.0 §6) and of zkcred's
// profile for FormatZKP queries (PROFILE.md), and the package's limits.
// Errors wrap [ErrInvalidQuery].
func (q *Query) Validate() error {
	if len(q.Credentials) == 0 || len(q.Credentials) > MaxCredentialQueries {
		return invalid("credentials: 1 to %d credential queries required", MaxCredentialQueries)
	}
	ids := map[string]bool{}
	for i := range q.Credentials {
		c := &q.Credentials[i]
		if err := checkID(c.ID); err != nil {
			return invalid("credentials[%d]: id: %v", i, err)
		}
		if ids[c.ID] {
			return invalid("credentials[%d]: id %q repeated", i, c.ID)
		}
		ids[c.ID] = true
		if err := c.validate(); err != nil {
			if errors.Is(err, ErrInvalidQuery) {
				return err
			}
			return invalid("credential query %q: %w", c.ID, err)
		}
	}
	if q.CredentialSets != nil && len(q.CredentialSets) == 0 {
		return invalid("credential_sets: empty (omit it instead)")
	}
	if len(q.CredentialSets) > MaxCredentialSets {
		return invalid("credential_sets: more than %d", MaxCredentialSets)
	}
	for i, s := range q.CredentialSets {
		if len(s.Options) == 0 || len(s.Options) > MaxOptions {
			return invalid("credential_sets[%d]: 1 to %d options required", i, MaxOptions)
		}
		for j, o := range s.Options {
			if len(o) == 0 || len(o) > MaxCredentialQueries {
				return invalid("credential_sets[%d].options[%d]: 1 to %d ids required", i, j, MaxCredentialQueries)
			}
			seen := map[string]bool{}
			for _, id := range o {
				if !ids[id] {
					return invalid("credential_sets[%d].options[%d]: %.80q is no credential query id", i, j, id)
				}
				if seen[id] {
					return invalid("credential_sets[%d].options[%d]: %q repeated", i, j, id)
				}
				seen[id] = true
			}
		}
	}
	return nil
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidQuery}, a...)...)
}

// checkID checks a DCQL identifier: non-empty, alphanumeric, underscore or
// hyphen (OpenID4VP 1.0 §6.1, §6.3), at most MaxIDLen bytes.
func checkID(s string) error {
	if s == "" || len(s) > MaxIDLen {
		return fmt.Errorf("must be 1 to %d characters", MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%.80q: only alphanumeric, '_' and '-' allowed", s)
		}
	}
	return nil
}

func (c *CredentialQuery) validate() error {
	if c.Format == "" || len(c.Format) > MaxIDLen {
		return fmt.Errorf("format must be 1 to %d bytes", MaxIDLen)
	}
	// meta is REQUIRED and an object (possibly empty).
	if !bytes.HasPrefix(bytes.TrimLeft(c.Meta, " \t\r\n"), []byte("{")) {
		return errors.New("meta: a JSON object required")
	}
	if c.TrustedAuthorities != nil && len(c.TrustedAuthorities) == 0 {
		return errors.New("trusted_authorities: empty (omit it instead)")
	}
	if len(c.TrustedAuthorities) > MaxTrustedAuthorities {
		return fmt.Errorf("trusted_authorities: more than %d", MaxTrustedAuthorities)
	}
	for i, ta := range c.TrustedAuthorities {
		if ta.Type == "" || len(ta.Type) > MaxIDLen {
			return fmt.Errorf("trusted_authorities[%d]: type must be 1 to %d bytes", i, MaxIDLen)
		}
		if len(ta.Values) == 0 || len(ta.Values) > MaxTrustedAuthorities {
			return fmt.Errorf("trusted_authorities[%d]: 1 to %d values required", i, MaxTrustedAuthorities)
		}
		for _, v := range ta.Values {
			if v == "" || len(v) > maxStringLen {
				return fmt.Errorf("trusted_authorities[%d]: value empty or longer than %d bytes", i, maxStringLen)
			}
			if ta.Type == TrustedAuthorityDID {
				if _, err := did.Parse(v); err != nil {
					return fmt.Errorf("trusted_authorities[%d]: %v", i, err)
				}
			}
		}
	}
	if c.Claims != nil && len(c.Claims) == 0 {
		return errors.New("claims: empty (omit it instead)")
	}
	if len(c.Claims) > MaxClaims {
		return fmt.Errorf("claims: more than %d", MaxClaims)
	}
	claimIDs := map[string]bool{}
	for i := range c.Claims {
		cl := &c.Claims[i]
		if cl.ID != "" || c.ClaimSets != nil {
			if err := checkID(cl.ID); err != nil {
				return fmt.Errorf("claims[%d]: id: %v", i, err)
			}
			if claimIDs[cl.ID] {
				return fmt.Errorf("claims[%d]: id %q repeated", i, cl.ID)
			}
			claimIDs[cl.ID] = true
		}
		if len(cl.Path) == 0 || len(cl.Path) > MaxPathLen {
			return fmt.Errorf("claims[%d]: path must have 1 to %d elements", i, MaxPathLen)
		}
		if cl.Values != nil && len(cl.Values) == 0 {
			return fmt.Errorf("claims[%d]: values empty (omit it instead)", i)
		}
		if len(cl.Values) > protocol.MaxSetValues {
			return fmt.Errorf("claims[%d]: more than %d values", i, protocol.MaxSetValues)
		}
		if cl.Predicate != nil && c.Format != FormatZKP {
			return fmt.Errorf("claims[%d]: zkcred_predicate in a query of format %.80q", i, c.Format)
		}
	}
	if c.ClaimSets != nil {
		if c.Claims == nil {
			return errors.New("claim_sets without claims")
		}
		if len(c.ClaimSets) == 0 || len(c.ClaimSets) > MaxClaimSets {
			return fmt.Errorf("claim_sets: 1 to %d sets required", MaxClaimSets)
		}
		for i, set := range c.ClaimSets {
			if len(set) == 0 || len(set) > MaxClaims {
				return fmt.Errorf("claim_sets[%d]: 1 to %d claim ids required", i, MaxClaims)
			}
			seen := map[string]bool{}
			for _, id := range set {
				if !claimIDs[id] {
					return fmt.Errorf("claim_sets[%d]: %.80q is no claim id", i, id)
				}
				if seen[id] {
					return fmt.Errorf("claim_sets[%d]: %q repeated", i, id)
				}
				seen[id] = true
			}
		}
	}
	if c.Format == FormatZKP {
		return c.validateZK()
	}
	return nil
}

// validateZK checks the profile's rules for a FormatZKP credential query.
func (c *CredentialQuery) validateZK() error {
	if _, err := c.zkMeta(); err != nil {
		return err
	}
	if len(c.TrustedAuthorities) == 0 {
		return fmt.Errorf("trusted_authorities: an entry of type %q (issuer DIDs) required", TrustedAuthorityDID)
	}
	for i, ta := range c.TrustedAuthorities {
		if ta.Type != TrustedAuthorityDID {
			return fmt.Errorf("trusted_authorities[%d]: type %.80q (zkcred checks only %q)", i, ta.Type, TrustedAuthorityDID)
		}
	}
	for i := range c.Claims {
		cl := &c.Claims[i]
		if _, err := cl.Attribute(); err != nil {
			return fmt.Errorf("claims[%d]: %v", i, err)
		}
		if cl.Predicate != nil {
			if cl.Values != nil {
				return fmt.Errorf("claims[%d]: values and zkcred_predicate together", i)
			}
			if cl.Predicate.Op == protocol.OpEq || cl.Predicate.Op == protocol.OpIn {
				return fmt.Errorf("claims[%d]: zkcred_predicate op %q: write it as DCQL values", i, cl.Predicate.Op)
			}
		}
	}
	// Every alternative must be a valid zkcred policy (operators, operand
	// fields, limits), so that a wallet refuses what a verifier could not
	// compile.
	_, _, err := c.compile()
	return err
}

// Attribute returns the credential attribute a FormatZKP claims query
// names: its path must be ["credentialSubject", attribute], the path of
// the claim in the VC 2.0 credential (as in the OpenID4VCI metadata).
func (cl *ClaimsQuery) Attribute() (string, error) {
	if len(cl.Path) != 2 || cl.Path[0].Key() != "credentialSubject" || cl.Path[1].Key() == "" || len(cl.Path[1].Key()) > protocol.MaxNameLen {
		return "", errors.New(`path must be ["credentialSubject", attribute]`)
	}
	return cl.Path[1].Key(), nil
}

// ClaimPath is a claims path pointer (OpenID4VP 1.0 §7): a non-empty array
// of strings (object keys), non-negative integers (array indexes) and null
// (every element of an array).
type ClaimPath []PathElement

// PathElement is one element of a [ClaimPath]: a key, an index or null.
type PathElement struct {
	kind  uint8 // 0 null, 1 key, 2 index
	key   string
	index int
}

// Key, Index and All make path elements: an object key, an array index
// and null (all elements of an array).
func Key(s string) PathElement { return PathElement{kind: 1, key: s} }

// Index returns an array index element; i must be non-negative.
func Index(i int) PathElement { return PathElement{kind: 2, index: i} }

// All returns the null element (every element of an array).
func All() PathElement { return PathElement{} }

// Key returns the element's key, or "" for an index or null.
func (e PathElement) Key() string { return e.key }

// Index returns the element's index and whether it is one.
func (e PathElement) Index() (int, bool) { return e.index, e.kind == 2 }

// IsAll reports whether the element is null (every element of an array).
func (e PathElement) IsAll() bool { return e.kind == 0 }

// MarshalJSON implements json.Marshaler.
func (e PathElement) MarshalJSON() ([]byte, error) {
	switch e.kind {
	case 1:
		return json.Marshal(e.key)
	case 2:
		if e.index < 0 {
			return nil, fmt.Errorf("%w: negative path index", ErrInvalidQuery)
		}
		return strconv.AppendInt(nil, int64(e.index), 10), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON implements json.Unmarshaler, strictly: a string of at most
// 2048 bytes, null, or a non-negative integer below 2^31 in minimal
// decimal.
func (e *PathElement) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*e = All()
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := strictjson.Unmarshal(b, &s); err != nil {
			return err
		}
		if len(s) > maxStringLen {
			return fmt.Errorf("path element longer than %d bytes", maxStringLen)
		}
		*e = Key(s)
	default:
		if len(b) > 1 && b[0] == '0' {
			return fmt.Errorf("path index %.20q has a leading zero", b)
		}
		n, err := strconv.ParseUint(string(b), 10, 31)
		if err != nil {
			return fmt.Errorf("path element %.20q is not a string, null or an index in [0, 2^31)", b)
		}
		*e = Index(int(n))
	}
	return nil
}
