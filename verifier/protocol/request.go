package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did/strictjson"
)

// RequestVersion names the presentation request format and its canonical
// hash, described in request.md.
const RequestVersion = "zkcred-request-v1"

// Limits on a request's contents.
const (
	NonceSize          = 16 // bytes of fresh randomness in a nonce (128 bits)
	MaxRequestSize     = 64 << 10
	MaxPredicates      = 16
	MaxSetValues       = 256
	MaxIssuers         = 16
	MaxDisclosed       = 16
	MaxNameLen         = 256 // bytes in an audience, schema, attribute or scope name
	MaxRequestLifetime = 24 * time.Hour
	maxStringValueLen  = 1024
	maxAgeYears        = 150
)

// Op is a predicate operator, written in requests by name.
type Op string

// Predicate operators. Strings, booleans and enum codes take only Eq, Ne,
// In and NotIn; integers and dates take all except the age operators, which
// are for dates only.
const (
	OpEq         Op = "eq"         // attribute = value
	OpNe         Op = "ne"         // attribute ≠ value
	OpLt         Op = "lt"         // attribute < value
	OpLe         Op = "le"         // attribute ≤ value
	OpGt         Op = "gt"         // attribute > value
	OpGe         Op = "ge"         // attribute ≥ value
	OpBetween    Op = "between"    // min ≤ attribute ≤ max
	OpIn         Op = "in"         // attribute ∈ values
	OpNotIn      Op = "notIn"      // attribute ∉ values
	OpAgeAtLeast Op = "ageAtLeast" // date attribute at least years before the request's date (calendar rules)
	OpAgeUnder   Op = "ageUnder"   // date attribute less than years before the request's date
)

// Request is a presentation request: the verifier's policy plus a fresh
// nonce, an audience and a validity window. Its canonical hash ([Request.Hash])
// is the public input a proof is bound to. A verifier creates requests
// (verifier.Verifier.NewRequest); a wallet reads them with [ParseRequest].
type Request struct {
	Version string `json:"version"` // RequestVersion
	ID      string `json:"id"`      // base64url (no padding) of Nonce
	Nonce   Bytes  `json:"nonce"`   // NonceSize random bytes, single use
	// Audience identifies the verifier (e.g. its origin).
	Audience string `json:"audience"`
	Policy
	// Date is the verifier's calendar date (YYYY-MM-DD) on which age
	// predicates are evaluated.
	Date string `json:"date"`
	// IssuedAt is the request's creation time in Unix seconds.
	IssuedAt int64 `json:"issuedAt"`
	// ExpiresAt is the Unix second from which presentations are refused.
	// It is also the "now" against which the credential's expiry is
	// proven, so a credential expiring during the request's life is refused.
	ExpiresAt int64 `json:"expiresAt"`
}

// Policy is what a service asks for: the part of a [Request] it chooses.
type Policy struct {
	// Issuers are the DIDs whose credentials are accepted.
	Issuers []string `json:"issuers"`
	// Schema names the credential schema the predicates refer to.
	Schema SchemaRef `json:"schema"`
	// Predicates are proven about the credential's attributes, by name.
	Predicates []Predicate `json:"predicates"`
	// Disclose lists attributes whose values the holder reveals.
	Disclose []string `json:"disclose,omitempty"`
	// Scope, if not empty, asks for a nullifier in that scope: one
	// accepted presentation per holder and scope (e.g. a ballot).
	Scope string `json:"scope,omitempty"`
	// MaxRootAge is the oldest the issuer's signed revocation root may be,
	// in seconds.
	MaxRootAge int64 `json:"maxRootAge"`
}

// SchemaRef identifies a credential schema by name, version and id (the
// 32-byte big-endian hex of the schema's field element id).
type SchemaRef struct {
	Name    string `json:"name"`
	Version uint32 `json:"version"`
	ID      string `json:"id,omitempty"`
}

// Predicate is one condition on an attribute, by name. Which operand
// fields are set depends on Op: Value for eq/ne/lt/le/gt/ge, Min and Max
// for between, Values for in/notIn, Years for the age operators.
type Predicate struct {
	Attribute string  `json:"attribute"`
	Op        Op      `json:"op"`
	Value     *Value  `json:"value,omitempty"`
	Min       *Value  `json:"min,omitempty"`
	Max       *Value  `json:"max,omitempty"`
	Values    []Value `json:"values,omitempty"`
	Years     *int    `json:"years,omitempty"`
}

// Value is a literal operand: a JSON string, a non-negative integer below
// 2^64 (decimal, no sign, fraction or exponent) or a boolean. Dates are
// strings "YYYY-MM-DD".
type Value struct {
	kind valueKind
	s    string
	n    uint64
	b    bool
}

type valueKind uint8

const (
	valueNone valueKind = iota
	valueString
	valueUint
	valueBool
)

// StringValue, UintValue and BoolValue make literal operands.
func StringValue(s string) Value { return Value{kind: valueString, s: s} }

// UintValue returns an integer operand.
func UintValue(n uint64) Value { return Value{kind: valueUint, n: n} }

// BoolValue returns a boolean operand.
func BoolValue(b bool) Value { return Value{kind: valueBool, b: b} }

// DateValue returns a date operand (its calendar date in UTC).
func DateValue(t time.Time) Value { return StringValue(t.UTC().Format(time.DateOnly)) }

// String returns the value as it would appear in JSON.
func (v Value) String() string {
	b, _ := v.MarshalJSON()
	return string(b)
}

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case valueString:
		return json.Marshal(v.s)
	case valueUint:
		return strconv.AppendUint(nil, v.n, 10), nil
	case valueBool:
		return strconv.AppendBool(nil, v.b), nil
	}
	return nil, fmt.Errorf("%w: empty value", ErrInvalidRequest)
}

// UnmarshalJSON implements json.Unmarshaler, strictly.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("%w: empty value", ErrInvalidRequest)
	case b[0] == '"':
		var s string
		if err := strictjson.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
		}
		if len(s) > maxStringValueLen {
			return fmt.Errorf("%w: string value too long", ErrInvalidRequest)
		}
		*v = StringValue(s)
	case string(b) == "true" || string(b) == "false":
		*v = BoolValue(string(b) == "true")
	default:
		// Decimal digits only, no leading zero: one spelling per number.
		if len(b) > 1 && b[0] == '0' {
			return fmt.Errorf("%w: number %q has a leading zero", ErrInvalidRequest, b)
		}
		n, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: value %.40q is not a string, boolean or integer in [0, 2^64)", ErrInvalidRequest, b)
		}
		*v = UintValue(n)
	}
	return nil
}

// Bytes is a byte string that JSON encodes as unpadded base64url.
type Bytes []byte

// MarshalJSON implements json.Marshaler.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawURLEncoding.EncodeToString(b))
}

// UnmarshalJSON implements json.Unmarshaler (strict base64url, no padding).
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := strictjson.Unmarshal(data, &s); err != nil {
		return err
	}
	d, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("invalid base64url: %v", err)
	}
	*b = d
	return nil
}

// ParseRequest decodes a request strictly (json v2 semantics, see
// request.md: duplicate or case-variant member names, unknown members,
// invalid UTF-8 and lone surrogates are refused); it must be in canonical form
// (exactly the bytes [Request.JSON] produces: no white space, reordering,
// case-folded or duplicate keys), with no unknown fields, within limits, and
// well formed on its own;
// whether its schema and attributes exist is checked when it is compiled
// against a schema. Errors wrap [ErrInvalidRequest].
func ParseRequest(b []byte) (*Request, error) {
	if len(b) > MaxRequestSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidRequest, MaxRequestSize)
	}
	var r Request
	if err := strictjson.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	// One spelling per request: case-folded or duplicate keys, reordering
	// and white space are refused, so every reader sees the same request.
	if c, err := r.JSON(); err != nil || !bytes.Equal(c, b) {
		return nil, fmt.Errorf("%w: not in canonical form (see request.md)", ErrInvalidRequest)
	}
	return &r, nil
}

// check validates what a request says on its own.
func (r *Request) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if r.Version != RequestVersion {
		return bad("unsupported version %.40q", r.Version)
	}
	if len(r.Nonce) != NonceSize {
		return bad("nonce must be %d bytes", NonceSize)
	}
	if r.ID != base64.RawURLEncoding.EncodeToString(r.Nonce) {
		return bad("id does not match nonce")
	}
	if r.Audience == "" || len(r.Audience) > MaxNameLen {
		return bad("audience must be 1 to %d bytes", MaxNameLen)
	}
	if err := shown("audience", r.Audience); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
		return bad("date %.40q is not YYYY-MM-DD", r.Date)
	}
	if r.IssuedAt <= 0 || r.ExpiresAt <= r.IssuedAt || r.ExpiresAt-r.IssuedAt > int64(MaxRequestLifetime/time.Second) {
		return bad("validity window [%d, %d) must be non-empty and at most %v", r.IssuedAt, r.ExpiresAt, MaxRequestLifetime)
	}
	return r.Policy.Validate()
}

// Validate checks what a policy says on its own, as [ParseRequest] does;
// whether its schema and attributes exist is checked by [Request.Compile].
// Errors wrap [ErrInvalidRequest].
func (p *Policy) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if len(p.Issuers) == 0 || len(p.Issuers) > MaxIssuers {
		return bad("1 to %d trusted issuers required", MaxIssuers)
	}
	for _, iss := range p.Issuers {
		if err := checkDID(iss); err != nil {
			return bad("issuer %.80q: %v", iss, err)
		}
	}
	if p.Schema.Name == "" || p.Schema.Version == 0 || len(p.Schema.Name) > MaxNameLen {
		return bad("schema name and version required")
	}
	if err := shown("schema name", p.Schema.Name); err != nil {
		return err
	}
	if _, err := parseFieldHex(p.Schema.ID); err != nil {
		return bad("schema id: %v", err)
	}
	if len(p.Predicates) > MaxPredicates {
		return bad("at most %d predicates", MaxPredicates)
	}
	for i := range p.Predicates {
		if err := p.Predicates[i].check(); err != nil {
			return fmt.Errorf("predicate %d: %w", i, err)
		}
	}
	if len(p.Disclose) > MaxDisclosed {
		return bad("at most %d disclosed attributes", MaxDisclosed)
	}
	seen := map[string]bool{}
	for _, a := range p.Disclose {
		if a == "" || len(a) > MaxNameLen || seen[a] {
			return bad("disclosed attribute %.80q empty, too long or repeated", a)
		}
		if err := shown("disclosed attribute", a); err != nil {
			return err
		}
		seen[a] = true
	}
	if len(p.Scope) > MaxNameLen {
		return bad("scope longer than %d bytes", MaxNameLen)
	}
	if err := shown("scope", p.Scope); err != nil {
		return err
	}
	if p.MaxRootAge <= 0 {
		return bad("maxRootAge must be positive (seconds)")
	}
	return nil
}

func (p *Predicate) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if p.Attribute == "" || len(p.Attribute) > MaxNameLen {
		return bad("attribute name required")
	}
	if err := shown("attribute", p.Attribute); err != nil {
		return err
	}
	for _, v := range append([]Value{deref(p.Value), deref(p.Min), deref(p.Max)}, p.Values...) {
		if v.kind == valueString {
			if err := shown("value", v.s); err != nil {
				return err
			}
		}
	}
	has := [4]bool{p.Value != nil, p.Min != nil || p.Max != nil, p.Values != nil, p.Years != nil}
	var want int // which operand field the op uses
	switch p.Op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		want = 0
	case OpBetween:
		want = 1
		if p.Min == nil || p.Max == nil {
			return bad("between needs min and max")
		}
	case OpIn, OpNotIn:
		want = 2
		if len(p.Values) == 0 || len(p.Values) > MaxSetValues {
			return bad("%s needs 1 to %d values", p.Op, MaxSetValues)
		}
		seen := map[Value]bool{}
		for _, v := range p.Values {
			if seen[v] {
				return bad("value %s repeated", v)
			}
			seen[v] = true
		}
	case OpAgeAtLeast, OpAgeUnder:
		want = 3
		if p.Years == nil {
			return bad("%s needs years", p.Op)
		}
		if *p.Years < 0 || *p.Years > maxAgeYears {
			return bad("years must be in [0, %d]", maxAgeYears)
		}
	default:
		return bad("unknown operator %.40q", p.Op)
	}
	for i, h := range has {
		if h != (i == want) {
			return bad("operator %s takes exactly its own operand fields", p.Op)
		}
	}
	return nil
}

// shown checks a name or value a wallet shows its holder with the rule of
// credential/display (no control, bidirectional formatting or invisible
// characters); its error wraps ErrInvalidRequest and
// display.ErrNotDisplayable.
func shown(what, s string) error {
	if err := display.Check(s, false); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidRequest, what, err)
	}
	return nil
}

func deref(v *Value) Value {
	if v == nil {
		return Value{}
	}
	return *v
}

// checkDID checks the generic DID syntax did:method:id closely enough to
// refuse junk; resolution checks the rest.
func checkDID(s string) error {
	parts := strings.SplitN(s, ":", 3)
	if len(s) > 2048 || len(parts) != 3 || parts[0] != "did" || parts[1] == "" || parts[2] == "" {
		return fmt.Errorf("not a DID")
	}
	return nil
}

// parseFieldHex parses 64 hex digits as a canonical field element.
func parseFieldHex(s string) (fr.Element, error) {
	var e fr.Element
	if len(s) != 64 {
		return e, fmt.Errorf("want 64 hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return e, fmt.Errorf("want 64 lowercase hex digits")
	}
	if err := e.SetBytesCanonical(b); err != nil {
		return e, fmt.Errorf("not a canonical field element")
	}
	return e, nil
}

// FieldHex is the 64-hex-digit form of a field element used in requests.
func FieldHex(e fr.Element) string {
	b := e.Bytes()
	return hex.EncodeToString(b[:])
}

// CanonicalBytes returns the bytes a request's hash covers: RequestVersion,
// a newline, then the request's JSON as this package encodes it (fields in
// declaration order, no insignificant whitespace, base64url without
// padding, integers in minimal decimal). Decoding and re-encoding a request
// gives the same bytes, so a wallet computes the same hash as the verifier.
func (r *Request) CanonicalBytes() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(RequestVersion + "\n")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Hash returns the request's hash as a field element:
// zkhash.Bytes(zkhash.TagRequest, CanonicalBytes()). It is the
// public input that binds a proof to this one request.
func (r *Request) Hash() (fr.Element, error) {
	b, err := r.CanonicalBytes()
	if err != nil {
		return fr.Element{}, err
	}
	return zkhash.Bytes(zkhash.TagRequest, b), nil
}

// JSON returns the request's canonical JSON (without the version line).
func (r *Request) JSON() ([]byte, error) {
	b, err := r.CanonicalBytes()
	if err != nil {
		return nil, err
	}
	return b[len(RequestVersion)+1:], nil
}
