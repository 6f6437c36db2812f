package credential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/zkcred/zkcred/did/strictjson"
)

// W3C Verifiable Credentials Data Model 2.0 constants.
const (
	// ContextV2 is the base context; it is always the first @context item.
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
	// TypeVerifiableCredential is the type every credential has.
	TypeVerifiableCredential = "VerifiableCredential"
	// MaxCredentialSize bounds a credential's JSON (and a VC-JWT payload).
	MaxCredentialSize = 64 << 10
)

// Credential is a VC Data Model 2.0 verifiable credential (the unsecured
// document: the payload of a VC-JOSE JWT). Properties without a field
// (name, description, proof, the JWT claims iss/iat/exp when it came from a
// JWT, ...) are kept verbatim in Extra, so a credential survives a JSON
// round trip. JSON numbers inside claims and objects decode as json.Number.
type Credential struct {
	// Context is @context: ContextV2 first, then URLs (string) or
	// objects (map[string]any). Always marshalled as an array.
	Context []any
	// ID is the optional credential id, a URL (e.g. urn:uuid:...).
	ID string
	// Type includes "VerifiableCredential"; always marshalled as an array.
	Type   []string
	Issuer IssuerRef
	// ValidFrom and ValidUntil are optional (zero = absent);
	// xsd:dateTimeStamp, so the time zone is always written.
	ValidFrom, ValidUntil time.Time
	// CredentialSubject has at least one subject.
	CredentialSubject []Subject
	CredentialStatus  []Object
	CredentialSchema  []Object
	Evidence          []Object
	TermsOfUse        []Object
	RefreshService    []Object
	// Extra holds every other top-level property as raw JSON.
	Extra map[string]json.RawMessage
}

// IssuerRef is the credential's issuer: a URL (normally a DID), written as
// a string, or as an object with "id" when Extra has other properties.
type IssuerRef struct {
	ID    string
	Extra map[string]json.RawMessage
}

// Subject is one credentialSubject: an optional id and the claims.
type Subject struct {
	ID     string
	Claims map[string]any
}

// Object is a typed object such as a credentialStatus entry or a
// credentialSchema: optional id, type (one or more), other properties.
type Object struct {
	ID    string
	Type  []string
	Props map[string]any
}

var knownMembers = []string{"@context", "id", "type", "issuer", "validFrom", "validUntil",
	"credentialSubject", "credentialStatus", "credentialSchema", "evidence", "termsOfUse", "refreshService"}

// ParseCredential decodes and validates a credential: input over
// [MaxCredentialSize], invalid UTF-8 or a lone surrogate escape, duplicate
// member names (also after unescaping), a member whose name is a case
// variant of a VC Data Model name ("Issuer"), a number of magnitude 2^53
// or more in a claim, @context or object property (numbers there decode
// as json.Number), such values nested deeper than 32, trailing data,
// members of the wrong JSON type and any rule of [Credential.Validate] are
// errors wrapping [ErrInvalidCredential] (or [ErrTooLarge]). Other extension
// members are kept in Extra.
func ParseCredential(b []byte) (*Credential, error) {
	return parseCredential(b, MaxCredentialSize)
}

func parseCredential(b []byte, limit int) (*Credential, error) {
	if len(b) > limit {
		return nil, fmt.Errorf("%w: %w: credential is %d bytes, limit %d", ErrInvalidCredential, ErrTooLarge, len(b), limit)
	}
	c := new(Credential)
	if err := c.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidCredential}, args...)...)
}

// UnmarshalJSON decodes the structure of a credential with the strict
// JSON rules of [ParseCredential], which also validates it.
func (c *Credential) UnmarshalJSON(b []byte) error {
	m, err := strictjson.Members(b, knownMembers...)
	if err != nil {
		return invalid("%v", err)
	}
	var n Credential
	if raw, ok := m["@context"]; ok {
		var ctx []any
		if err := strictjson.Unmarshal(raw, &ctx); err != nil {
			return invalid("@context must be an array")
		}
		n.Context = ctx
	}
	if err := takeString(m, "id", &n.ID); err != nil {
		return err
	}
	if raw, ok := m["type"]; ok {
		if n.Type, err = stringOrArray(raw); err != nil {
			return invalid("type: %v", err)
		}
	}
	if raw, ok := m["issuer"]; ok {
		if err := n.Issuer.UnmarshalJSON(raw); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"validFrom", &n.ValidFrom}, {"validUntil", &n.ValidUntil}} {
		var s string
		if err := takeString(m, f.name, &s); err != nil {
			return err
		}
		if _, ok := m[f.name]; ok {
			if *f.t, err = parseDateTimeStamp(s); err != nil {
				return invalid("%s: %v", f.name, err)
			}
		}
	}
	if raw, ok := m["credentialSubject"]; ok {
		objs, err := objectOrArray(raw)
		if err != nil {
			return invalid("credentialSubject: %v", err)
		}
		for _, o := range objs {
			var s Subject
			if err := s.UnmarshalJSON(o); err != nil {
				return err
			}
			n.CredentialSubject = append(n.CredentialSubject, s)
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]Object
	}{{"credentialStatus", &n.CredentialStatus}, {"credentialSchema", &n.CredentialSchema},
		{"evidence", &n.Evidence}, {"termsOfUse", &n.TermsOfUse}, {"refreshService", &n.RefreshService}} {
		raw, ok := m[f.name]
		if !ok {
			continue
		}
		objs, err := objectOrArray(raw)
		if err != nil {
			return invalid("%s: %v", f.name, err)
		}
		for _, o := range objs {
			var x Object
			if err := x.UnmarshalJSON(o); err != nil {
				return invalid("%s: %v", f.name, err)
			}
			*f.dst = append(*f.dst, x)
		}
	}
	for _, k := range knownMembers {
		delete(m, k)
	}
	if len(m) > 0 {
		n.Extra = m
	}
	*c = n
	return nil
}

// MarshalJSON encodes the credential with members in lexical order. It
// fails if Extra (or a subject's or object's properties) repeats a member
// that has its own field.
func (c Credential) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for k, v := range c.Extra {
		if slices.Contains(knownMembers, k) {
			return nil, invalid("Extra repeats member %q", k)
		}
		m[k] = v
	}
	ctx := c.Context
	if ctx == nil {
		ctx = []any{}
	}
	m["@context"] = ctx
	if c.ID != "" {
		m["id"] = c.ID
	}
	typ := c.Type
	if typ == nil {
		typ = []string{}
	}
	m["type"] = typ
	m["issuer"] = c.Issuer
	if !c.ValidFrom.IsZero() {
		m["validFrom"] = formatDateTimeStamp(c.ValidFrom)
	}
	if !c.ValidUntil.IsZero() {
		m["validUntil"] = formatDateTimeStamp(c.ValidUntil)
	}
	switch len(c.CredentialSubject) {
	case 0:
	case 1:
		m["credentialSubject"] = c.CredentialSubject[0]
	default:
		m["credentialSubject"] = c.CredentialSubject
	}
	for name, objs := range map[string][]Object{"credentialStatus": c.CredentialStatus, "credentialSchema": c.CredentialSchema,
		"evidence": c.Evidence, "termsOfUse": c.TermsOfUse, "refreshService": c.RefreshService} {
		switch len(objs) {
		case 0:
		case 1:
			m[name] = objs[0]
		default:
			m[name] = objs
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON accepts a URL string or an object with a string "id".
func (r *IssuerRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := strictjson.Unmarshal(b, &s); err == nil && !isNull(b) {
		*r = IssuerRef{ID: s}
		return nil
	}
	m, err := strictjson.Members(b, "id")
	if err != nil {
		return invalid("issuer must be a string or an object")
	}
	var n IssuerRef
	if _, ok := m["id"]; !ok {
		return invalid("issuer object has no id")
	}
	if err := takeString(m, "id", &n.ID); err != nil {
		return err
	}
	delete(m, "id")
	if len(m) > 0 {
		n.Extra = m
	}
	*r = n
	return nil
}

// MarshalJSON writes the id as a string, or an object when Extra is set.
func (r IssuerRef) MarshalJSON() ([]byte, error) {
	if len(r.Extra) == 0 {
		return json.Marshal(r.ID)
	}
	if _, ok := r.Extra["id"]; ok {
		return nil, invalid("issuer Extra repeats id")
	}
	m := map[string]any{"id": r.ID}
	for k, v := range r.Extra {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON decodes a subject object.
func (s *Subject) UnmarshalJSON(b []byte) error {
	var n Subject
	m, err := strictjson.Members(b, "id")
	if err != nil {
		return invalid("credentialSubject: %v", err)
	}
	if err := takeString(m, "id", &n.ID); err != nil {
		return err
	}
	delete(m, "id")
	n.Claims = map[string]any{}
	for k, raw := range m {
		var v any
		if err := strictjson.Unmarshal(raw, &v); err != nil {
			return invalid("credentialSubject.%s: %v", truncate(k, 64), err)
		}
		n.Claims[k] = v
	}
	*s = n
	return nil
}

// MarshalJSON encodes the subject as one object.
func (s Subject) MarshalJSON() ([]byte, error) {
	if _, ok := s.Claims["id"]; ok {
		return nil, invalid("subject claims repeat id")
	}
	m := make(map[string]any, len(s.Claims)+1)
	for k, v := range s.Claims {
		m[k] = v
	}
	if s.ID != "" {
		m["id"] = s.ID
	}
	return json.Marshal(m)
}

// UnmarshalJSON decodes a typed object.
func (o *Object) UnmarshalJSON(b []byte) error {
	var n Object
	m, err := strictjson.Members(b, "id", "type")
	if err != nil {
		return err
	}
	if err := takeString(m, "id", &n.ID); err != nil {
		return err
	}
	if raw, ok := m["type"]; ok {
		if n.Type, err = stringOrArray(raw); err != nil {
			return fmt.Errorf("type: %v", err)
		}
	}
	delete(m, "id")
	delete(m, "type")
	for k, raw := range m {
		var v any
		if err := strictjson.Unmarshal(raw, &v); err != nil {
			return err
		}
		if n.Props == nil {
			n.Props = map[string]any{}
		}
		n.Props[k] = v
	}
	*o = n
	return nil
}

// MarshalJSON encodes the object; a single type is written as a string.
func (o Object) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(o.Props)+2)
	for k, v := range o.Props {
		if k == "id" || k == "type" {
			return nil, invalid("object properties repeat %q", k)
		}
		m[k] = v
	}
	if o.ID != "" {
		m["id"] = o.ID
	}
	switch len(o.Type) {
	case 0:
	case 1:
		m["type"] = o.Type[0]
	default:
		m["type"] = o.Type
	}
	return json.Marshal(m)
}

// Validate checks the MUSTs of VC Data Model 2.0 (and the official JSON
// Schema): @context an array whose first item is [ContextV2], items
// non-empty strings or non-empty objects, all distinct; type contains
// "VerifiableCredential"; id, if present, a URL; issuer a URL;
// at least one credentialSubject, each with at least one property and an
// optional URL id; validFrom ≤ validUntil; every credentialStatus,
// evidence and termsOfUse with a type; every credentialSchema and
// refreshService with a URL id and a type; a proof, if present, an object
// (or non-empty array of objects) with type, proofPurpose and
// verificationMethod. Errors wrap [ErrInvalidCredential].
func (c *Credential) Validate() error {
	if len(c.Context) == 0 || c.Context[0] != ContextV2 {
		return invalid("@context must be an array starting with %q", ContextV2)
	}
	seen := map[string]bool{}
	for _, x := range c.Context {
		switch v := x.(type) {
		case string:
			if v == "" {
				return invalid("empty @context item")
			}
		case map[string]any:
			if len(v) == 0 {
				return invalid("empty @context object")
			}
			for k := range v {
				if k == "" {
					return invalid("empty member name in @context object")
				}
			}
		default:
			return invalid("@context items must be strings or objects, got %T", x)
		}
		key, err := json.Marshal(x)
		if err != nil {
			return invalid("@context: %v", err)
		}
		if seen[string(key)] {
			return invalid("duplicate @context item")
		}
		seen[string(key)] = true
	}
	if !slices.Contains(c.Type, TypeVerifiableCredential) {
		return invalid("type must include %q", TypeVerifiableCredential)
	}
	if slices.Contains(c.Type, "") {
		return invalid("empty type")
	}
	if c.ID != "" && !isURL(c.ID) {
		return invalid("id %q is not a URL", truncate(c.ID, 64))
	}
	if !isURL(c.Issuer.ID) {
		return invalid("issuer %q is not a URL", truncate(c.Issuer.ID, 64))
	}
	if len(c.CredentialSubject) == 0 {
		return invalid("no credentialSubject")
	}
	for _, s := range c.CredentialSubject {
		if s.ID == "" && len(s.Claims) == 0 {
			return invalid("empty credentialSubject")
		}
		if s.ID != "" && !isURL(s.ID) {
			return invalid("credentialSubject id %q is not a URL", truncate(s.ID, 64))
		}
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom) {
		return invalid("validUntil before validFrom")
	}
	for _, f := range []struct {
		name   string
		objs   []Object
		needID bool
	}{{"credentialStatus", c.CredentialStatus, false}, {"credentialSchema", c.CredentialSchema, true},
		{"evidence", c.Evidence, false}, {"termsOfUse", c.TermsOfUse, false}, {"refreshService", c.RefreshService, true}} {
		for _, o := range f.objs {
			if len(o.Type) == 0 || slices.Contains(o.Type, "") {
				return invalid("%s without type", f.name)
			}
			if (f.needID || o.ID != "") && !isURL(o.ID) {
				return invalid("%s id %q is not a URL", f.name, truncate(o.ID, 64))
			}
		}
	}
	if raw, ok := c.Extra["proof"]; ok {
		if err := validateProof(raw); err != nil {
			return err
		}
	}
	return nil
}

func validateProof(raw json.RawMessage) error {
	objs, err := objectOrArray(raw)
	if err != nil {
		return invalid("proof: %v", err)
	}
	for _, o := range objs {
		var p struct {
			Type               json.RawMessage `json:"type"`
			ProofPurpose       *string         `json:"proofPurpose"`
			VerificationMethod json.RawMessage `json:"verificationMethod"`
		}
		if err := strictjson.UnmarshalOpen(o, &p); err != nil {
			return invalid("proof: %v", err)
		}
		if t, err := stringOrArray(p.Type); err != nil || len(t) == 0 {
			return invalid("proof without type")
		}
		if p.ProofPurpose == nil {
			return invalid("proof without proofPurpose")
		}
		if err := validateVerificationMethod(p.VerificationMethod); err != nil {
			return err
		}
	}
	return nil
}

// validateVerificationMethod accepts a string or a non-empty array of
// objects with string id, type and controller, as the official schema does.
func validateVerificationMethod(raw json.RawMessage) error {
	var vm string
	if strictjson.Unmarshal(raw, &vm) == nil && !isNull(raw) {
		return nil
	}
	var vms []struct {
		ID         *string `json:"id"`
		Type       *string `json:"type"`
		Controller *string `json:"controller"`
	}
	if err := strictjson.UnmarshalOpen(raw, &vms); err != nil || len(vms) == 0 {
		return invalid("proof verificationMethod must be a string or a non-empty array of objects")
	}
	for _, m := range vms {
		if m.ID == nil || m.Type == nil || m.Controller == nil {
			return invalid("proof verificationMethod object needs id, type and controller")
		}
	}
	return nil
}

// isURL reports whether s is an absolute URL (a scheme, then anything
// url.Parse accepts), which includes DIDs and urn:uuid: names.
func isURL(s string) bool {
	if s == "" || len(s) > 4096 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && schemeRE.MatchString(u.Scheme)
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// dateTimeStampRE is xsd:dateTimeStamp restricted to four-digit years and
// no 24:00:00 (both allowed by the official schema's pattern, and both
// refused here).
var dateTimeStampRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$`)

func parseDateTimeStamp(s string) (time.Time, error) {
	if !dateTimeStampRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not an xsd:dateTimeStamp (time zone required)", truncate(s, 64))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %v", truncate(s, 64), err)
	}
	if _, off := t.Zone(); off > 14*3600 || off < -14*3600 {
		return time.Time{}, fmt.Errorf("%q: time zone offset out of range", truncate(s, 64))
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("%q: the zero time is not allowed", s)
	}
	return t, nil
}

func formatDateTimeStamp(t time.Time) string { return t.Format(time.RFC3339Nano) }

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

func takeString(m map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := m[name]
	if !ok {
		return nil
	}
	if err := strictjson.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return invalid("%s must be a string", name)
	}
	return nil
}

// stringOrArray decodes a string or a non-empty array of strings.
func stringOrArray(b []byte) ([]string, error) {
	var one string
	if err := strictjson.Unmarshal(b, &one); err == nil && !isNull(b) {
		return []string{one}, nil
	}
	var many []string
	if err := strictjson.Unmarshal(b, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("expected a string or a non-empty array of strings")
	}
	return many, nil
}

// objectOrArray decodes an object or a non-empty array of objects into the
// raw objects.
func objectOrArray(b []byte) ([]json.RawMessage, error) {
	t := bytes.TrimLeft(b, " \t\r\n")
	if bytes.HasPrefix(t, []byte("{")) {
		return []json.RawMessage{b}, nil
	}
	var many []json.RawMessage
	if !bytes.HasPrefix(t, []byte("[")) || strictjson.Unmarshal(b, &many) != nil || len(many) == 0 {
		return nil, fmt.Errorf("expected an object or a non-empty array of objects")
	}
	for _, o := range many {
		if !bytes.HasPrefix(bytes.TrimLeft(o, " \t\r\n"), []byte("{")) {
			return nil, fmt.Errorf("expected an object or a non-empty array of objects")
		}
	}
	return many, nil
}
