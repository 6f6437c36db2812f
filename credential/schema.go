package credential

import (
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did/strictjson"

	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// AttrType is the type of a schema attribute; it fixes how a value is
// encoded into its slot.
type AttrType string

// Attribute types. Every encoding is an integer far below the field modulus
// r, so no value ever wraps around the field.
const (
	// TypeUint is an unsigned integer of Attribute.Bits bits (1 to 64),
	// encoded as itself.
	TypeUint AttrType = "uint"
	// TypeDate is a calendar date, encoded by [EncodeDate] as days since
	// 1800-01-01 plus one (1800-01-01 is 1; earlier dates are refused).
	// Its JSON form is "YYYY-MM-DD".
	TypeDate AttrType = "date"
	// TypeTimestamp is an instant, encoded as Unix seconds (0 to 2^63-1).
	TypeTimestamp AttrType = "timestamp"
	// TypeBool is a boolean, encoded as 0 or 1.
	TypeBool AttrType = "bool"
	// TypeEnum is one of Attribute.Enum, encoded as its position plus one.
	TypeEnum AttrType = "enum"
	// TypeString is a UTF-8 string of at most [MaxStringLen] bytes, encoded
	// as [zkhash.String]: only =, ≠, in set and not in set apply to it.
	TypeString AttrType = "string"
)

// Limits on schemas and values.
const (
	MaxSlots      = 64   // most slots in one schema
	MaxEnumValues = 1024 // most values of one enum
	MaxStringLen  = 1024 // longest string attribute value, in bytes
	maxNameLen    = 64   // longest attribute name
	maxSchemaName = 128  // longest schema name
)

// SchemaFormat names the canonical JSON form of a schema, version 1 (see
// [Schema.MarshalJSON]). It is part of what the schema id hashes.
const SchemaFormat = "zkcred-schema-v1"

// Attribute is one named, typed attribute of a [Schema].
type Attribute struct {
	Name string   `json:"name"`
	Type AttrType `json:"type"`
	// Bits is the width of a TypeUint attribute (1..64); zero otherwise.
	Bits int `json:"bits,omitempty"`
	// Enum lists the values of a TypeEnum attribute (1..MaxEnumValues
	// distinct non-empty strings); nil otherwise.
	Enum []string `json:"enum,omitempty"`
}

// Schema maps named, typed attributes to the slots the issuer's ZK
// signature covers: attribute i is slot i, and slots past the last
// attribute are padding, always zero. A schema is identified by
// [Schema.ID], a hash of its canonical form, which the issuer signs with the
// slots, so a value can never be read under another schema or in another
// slot.
type Schema struct {
	Name       string      // e.g. "zkcred/person"
	Version    uint32      // starts at 1
	Slots      int         // total slots, attributes included (1..MaxSlots)
	Attributes []Attribute // at most Slots
}

// NewSchema returns a validated schema.
func NewSchema(name string, version uint32, slots int, attrs ...Attribute) (*Schema, error) {
	s := &Schema{Name: name, Version: version, Slots: slots, Attributes: cloneAttrs(attrs)}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func cloneAttrs(attrs []Attribute) []Attribute {
	out := make([]Attribute, len(attrs))
	for i, a := range attrs {
		out[i] = a
		if a.Enum != nil {
			out[i].Enum = append([]string(nil), a.Enum...)
		}
	}
	return out
}

// PersonSchemaName is the name of [PersonSchema].
const PersonSchemaName = "zkcred/person"

// PersonSchema returns the schema of the demo use cases, "zkcred/person"
// version 1, with 16 slots (zkp.DefaultShape()); use [Schema.WithSlots] for
// another circuit shape. Each call returns a fresh copy. Slots:
//
//	0 birthDate          date    (age: birthDate ≤ cutoff)
//	1 district           string  (residency: district in set)
//	2 nationality        string
//	3 vehicleCategory    string  (driving licence class, e.g. "B")
//	4 vehicleRegistered  bool    (owns a registered vehicle)
//	5 voterEligible      bool
//	6 residentSince      date
func PersonSchema() *Schema {
	s, err := NewSchema(PersonSchemaName, 1, 16,
		Attribute{Name: "birthDate", Type: TypeDate},
		Attribute{Name: "district", Type: TypeString},
		Attribute{Name: "nationality", Type: TypeString},
		Attribute{Name: "vehicleCategory", Type: TypeString},
		Attribute{Name: "vehicleRegistered", Type: TypeBool},
		Attribute{Name: "voterEligible", Type: TypeBool},
		Attribute{Name: "residentSince", Type: TypeDate},
	)
	if err != nil {
		panic("credential: internal error: " + err.Error())
	}
	return s
}

// WithSlots returns a copy of s with n slots. The copy has another id.
func (s *Schema) WithSlots(n int) (*Schema, error) {
	return NewSchema(s.Name, s.Version, n, s.Attributes...)
}

var (
	attrNameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	schemaNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:-]*$`)
)

// Validate checks the schema: a name of letters, digits and ._/:- (at most
// 128 bytes), version ≥ 1, 1 ≤ len(Attributes) ≤ Slots ≤ [MaxSlots],
// attribute names unique identifiers (at most 64 bytes, not "id"), uint
// widths 1..64, enums of distinct non-empty values, and no Bits or Enum on
// other types. Errors wrap [ErrInvalidSchema].
func (s *Schema) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil schema", ErrInvalidSchema)
	}
	if len(s.Name) > maxSchemaName || !schemaNameRE.MatchString(s.Name) {
		return fmt.Errorf("%w: bad name %q", ErrInvalidSchema, truncate(s.Name, 64))
	}
	if s.Version == 0 {
		return fmt.Errorf("%w: version must be at least 1", ErrInvalidSchema)
	}
	if s.Slots < 1 || s.Slots > MaxSlots {
		return fmt.Errorf("%w: %d slots, want 1..%d", ErrInvalidSchema, s.Slots, MaxSlots)
	}
	if len(s.Attributes) == 0 || len(s.Attributes) > s.Slots {
		return fmt.Errorf("%w: %d attributes for %d slots", ErrInvalidSchema, len(s.Attributes), s.Slots)
	}
	seen := make(map[string]bool, len(s.Attributes))
	for _, a := range s.Attributes {
		if len(a.Name) > maxNameLen || !attrNameRE.MatchString(a.Name) || a.Name == "id" {
			return fmt.Errorf("%w: bad attribute name %q", ErrInvalidSchema, truncate(a.Name, 64))
		}
		if seen[a.Name] {
			return fmt.Errorf("%w: duplicate attribute %q", ErrInvalidSchema, a.Name)
		}
		seen[a.Name] = true
		if err := a.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (a Attribute) validate() error {
	switch a.Type {
	case TypeUint:
		if a.Bits < 1 || a.Bits > 64 {
			return fmt.Errorf("%w: attribute %q: uint width %d, want 1..64", ErrInvalidSchema, a.Name, a.Bits)
		}
	case TypeDate, TypeTimestamp, TypeBool, TypeString:
		if a.Bits != 0 {
			return fmt.Errorf("%w: attribute %q: bits only apply to uint", ErrInvalidSchema, a.Name)
		}
	case TypeEnum:
		if a.Bits != 0 {
			return fmt.Errorf("%w: attribute %q: bits only apply to uint", ErrInvalidSchema, a.Name)
		}
		if len(a.Enum) == 0 || len(a.Enum) > MaxEnumValues {
			return fmt.Errorf("%w: attribute %q: %d enum values, want 1..%d", ErrInvalidSchema, a.Name, len(a.Enum), MaxEnumValues)
		}
		seen := make(map[string]bool, len(a.Enum))
		for _, v := range a.Enum {
			if v == "" || len(v) > MaxStringLen || !utf8.ValidString(v) || seen[v] {
				return fmt.Errorf("%w: attribute %q: empty, invalid or duplicate enum value", ErrInvalidSchema, a.Name)
			}
			seen[v] = true
		}
		return nil
	default:
		return fmt.Errorf("%w: attribute %q: unknown type %q", ErrInvalidSchema, a.Name, truncate(string(a.Type), 32))
	}
	if a.Enum != nil {
		return fmt.Errorf("%w: attribute %q: enum values only apply to enum", ErrInvalidSchema, a.Name)
	}
	return nil
}

// schemaJSON is the canonical form: field order fixed, no white space.
type schemaJSON struct {
	Format     string      `json:"format"`
	Name       string      `json:"name"`
	Version    uint32      `json:"version"`
	Slots      int         `json:"slots"`
	Attributes []Attribute `json:"attributes"`
}

// MarshalJSON returns the canonical form of s, version [SchemaFormat]:
//
//	{"format":"zkcred-schema-v1","name":…,"version":…,"slots":…,
//	 "attributes":[{"name":…,"type":…[,"bits":…][,"enum":[…]]},…]}
//
// with members in this order and no white space (encoding/json escaping).
// It fails for an invalid schema.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s.canonical(), nil
}

func (s *Schema) canonical() []byte {
	b, err := json.Marshal(schemaJSON{SchemaFormat, s.Name, s.Version, s.Slots, s.Attributes})
	if err != nil {
		panic("credential: internal error: " + err.Error())
	}
	return b
}

// UnmarshalJSON decodes a schema strictly (json v2 semantics): unknown or
// case-variant members, duplicate members (also after unescaping), invalid
// UTF-8, non-integer numbers, another format and an invalid schema are errors
// (wrapping [ErrInvalidSchema]).
func (s *Schema) UnmarshalJSON(b []byte) error {
	var j schemaJSON
	if err := strictjson.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	if j.Format != SchemaFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrInvalidSchema, truncate(j.Format, 32), SchemaFormat)
	}
	ns := Schema{Name: j.Name, Version: j.Version, Slots: j.Slots, Attributes: j.Attributes}
	if err := ns.Validate(); err != nil {
		return err
	}
	*s = ns
	return nil
}

// ID is the schema's identifier: [zkhash.Bytes]([zkhash.TagSchema], canonical JSON).
// Callers should validate s first; ID hashes whatever s holds.
func (s *Schema) ID() fr.Element {
	return zkhash.Bytes(zkhash.TagSchema, s.canonical())
}

// Slot returns the slot index and declaration of the named attribute.
func (s *Schema) Slot(name string) (int, Attribute, error) {
	for i, a := range s.Attributes {
		if a.Name == name {
			return i, a, nil
		}
	}
	return 0, Attribute{}, fmt.Errorf("%w: schema %s has no attribute %q", ErrSchemaMismatch, s.Name, truncate(name, 64))
}

// Encode encodes one value per attribute into s.Slots field elements
// (padding slots are zero). values must hold exactly the schema's
// attributes; see [Attribute.Encode] for the accepted Go types.
func (s *Schema) Encode(values map[string]any) ([]fr.Element, error) {
	slots, _, err := s.encode(values)
	return slots, err
}

// Canonical returns the canonical JSON form of values (as used in the
// credentialSubject of the JWT and in the stored credential): dates as
// "YYYY-MM-DD", uints and timestamps as json.Number, bools, strings.
func (s *Schema) Canonical(values map[string]any) (map[string]any, error) {
	_, c, err := s.encode(values)
	return c, err
}

func (s *Schema) encode(values map[string]any) ([]fr.Element, map[string]any, error) {
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	if len(values) != len(s.Attributes) {
		for k := range values {
			if _, _, err := s.Slot(k); err != nil {
				return nil, nil, err
			}
		}
	}
	slots := make([]fr.Element, s.Slots)
	canon := make(map[string]any, len(s.Attributes))
	for i, a := range s.Attributes {
		v, ok := values[a.Name]
		if !ok {
			return nil, nil, fmt.Errorf("%w: missing attribute %q", ErrSchemaMismatch, a.Name)
		}
		e, c, err := a.encode(v)
		if err != nil {
			return nil, nil, err
		}
		slots[i], canon[a.Name] = e, c
	}
	return slots, canon, nil
}

// EncodeAttribute encodes one value of the named attribute, as
// [Schema.Encode] would: verifiers use it to compute predicate operands.
func (s *Schema) EncodeAttribute(name string, v any) (fr.Element, error) {
	_, a, err := s.Slot(name)
	if err != nil {
		return fr.Element{}, err
	}
	return a.Encode(v)
}

// Encode encodes v as this attribute's slot value. Accepted values:
//
//   - uint: any Go integer type, json.Number or float64 holding an integer
//     in [0, 2^Bits);
//   - date: time.Time (its calendar date in its own location) or a
//     "YYYY-MM-DD" string, from 1800-01-01 to 9999-12-31;
//   - timestamp: time.Time, a Go integer or json.Number of Unix seconds ≥ 0;
//   - bool: bool;
//   - enum: one of the declared strings (encoded as its position plus one);
//   - string: a valid UTF-8 string of at most [MaxStringLen] bytes.
//
// Anything else, or a value out of range, is an error wrapping
// [ErrSchemaMismatch]; nothing is reduced modulo the field.
func (a Attribute) Encode(v any) (fr.Element, error) {
	e, _, err := a.encode(v)
	return e, err
}

func (a Attribute) encode(v any) (fr.Element, any, error) {
	var e fr.Element
	bad := func(why string) (fr.Element, any, error) {
		return fr.Element{}, nil, fmt.Errorf("%w: attribute %q (%s): %s", ErrSchemaMismatch, a.Name, a.Type, why)
	}
	switch a.Type {
	case TypeUint:
		n, ok := toUint64(v)
		if !ok {
			return bad(fmt.Sprintf("want a non-negative integer, got %T", v))
		}
		if a.Bits < 64 && n>>uint(a.Bits) != 0 {
			return bad(fmt.Sprintf("%d does not fit in %d bits", n, a.Bits))
		}
		e.SetUint64(n)
		return e, json.Number(strconv.FormatUint(n, 10)), nil
	case TypeDate:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			p, err := time.Parse(time.DateOnly, x)
			if err != nil || p.Format(time.DateOnly) != x {
				return bad("want a YYYY-MM-DD date")
			}
			t = p
		default:
			return bad(fmt.Sprintf("want time.Time or YYYY-MM-DD, got %T", v))
		}
		n, err := EncodeDate(t)
		if err != nil {
			return bad(err.Error())
		}
		e.SetUint64(n)
		y, m, d := t.Date()
		return e, time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), nil
	case TypeTimestamp:
		var n uint64
		if t, ok := v.(time.Time); ok {
			if t.Unix() < 0 {
				return bad("before 1970")
			}
			n = uint64(t.Unix())
		} else if u, ok := toUint64(v); ok && u <= math.MaxInt64 {
			n = u
		} else {
			return bad(fmt.Sprintf("want time.Time or Unix seconds, got %T", v))
		}
		e.SetUint64(n)
		return e, json.Number(strconv.FormatUint(n, 10)), nil
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return bad(fmt.Sprintf("want bool, got %T", v))
		}
		if b {
			e.SetOne()
		}
		return e, b, nil
	case TypeEnum:
		s, ok := v.(string)
		if !ok {
			return bad(fmt.Sprintf("want string, got %T", v))
		}
		for i, x := range a.Enum {
			if x == s {
				e.SetUint64(uint64(i) + 1)
				return e, s, nil
			}
		}
		return bad(fmt.Sprintf("unknown value %q", truncate(s, 64)))
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return bad(fmt.Sprintf("want string, got %T", v))
		}
		if len(s) > MaxStringLen {
			return fr.Element{}, nil, fmt.Errorf("%w: %w: attribute %q: %d bytes, limit %d", ErrSchemaMismatch, ErrTooLarge, a.Name, len(s), MaxStringLen)
		}
		if !utf8.ValidString(s) {
			return bad("invalid UTF-8")
		}
		return zkhash.String(s), s, nil
	default:
		return bad("unknown type")
	}
}

// toUint64 converts non-negative integers of any Go integer type,
// json.Number (plain decimal digits) and integral float64 below 2^53.
func toUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case uint:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	case int:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int8:
		return uint64(x), x >= 0
	case json.Number:
		s := string(x)
		if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
			return 0, false
		}
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil
	case float64:
		// Below 2^53 only: the float64 2^53 is also what 2^53+1 rounds to.
		if x >= 0 && x < 1<<53 && x == math.Trunc(x) {
			return uint64(x), true
		}
	case *big.Int:
		if x != nil && x.Sign() >= 0 && x.IsUint64() {
			return x.Uint64(), true
		}
	}
	return 0, false
}

// dateOrigin is 1800-01-01T00:00:00Z in Unix seconds.
var dateOrigin = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// EncodeDate returns the date attribute encoding of t's calendar date (in
// t's location): the number of days since 1800-01-01, plus one. So
// 1800-01-01 is 1 and every real birthdate is positive. Dates before
// 1800-01-01 or after 9999-12-31 are an error (wrapping [ErrSchemaMismatch]).
func EncodeDate(t time.Time) (uint64, error) {
	y, m, d := t.Date()
	if y < 1800 || y > 9999 {
		return 0, fmt.Errorf("%w: date %04d-%02d-%02d outside 1800-01-01..9999-12-31", ErrSchemaMismatch, y, m, d)
	}
	days := (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - dateOrigin) / 86400
	return uint64(days) + 1, nil
}

// DecodeDate is the inverse of [EncodeDate]: midnight UTC of the encoded day.
func DecodeDate(n uint64) (time.Time, error) {
	max, _ := EncodeDate(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
	if n < 1 || n > max {
		return time.Time{}, fmt.Errorf("%w: date code %d outside 1..%d", ErrSchemaMismatch, n, max)
	}
	return time.Unix(dateOrigin+int64(n-1)*86400, 0).UTC(), nil
}
