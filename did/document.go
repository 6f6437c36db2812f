package did

import (
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mr-tron/base58"

	"github.com/zkcred/zkcred/did/strictjson"
)

// Context URLs.
const (
	ContextDIDv1    = "https://www.w3.org/ns/did/v1"
	ContextMultikey = "https://w3id.org/security/multikey/v1"
	ContextJWS2020  = "https://w3id.org/security/suites/jws-2020/v1"
)

// Verification method types produced by this package.
const (
	TypeMultikey       = "Multikey"
	TypeJsonWebKey2020 = "JsonWebKey2020"
)

// MaxDocumentSize bounds the JSON accepted by [ParseDocument].
const MaxDocumentSize = 1 << 20

// Relationship is a verification relationship (DID Core §5.3).
type Relationship string

// The five verification relationships of DID Core §5.3.
const (
	Authentication       Relationship = "authentication"
	AssertionMethod      Relationship = "assertionMethod"
	KeyAgreement         Relationship = "keyAgreement"
	CapabilityInvocation Relationship = "capabilityInvocation"
	CapabilityDelegation Relationship = "capabilityDelegation"
)

// relationships lists the five verification relationships.
var relationships = []Relationship{Authentication, AssertionMethod, KeyAgreement, CapabilityInvocation, CapabilityDelegation}

// Document is a DID document (DID Core §5) in its JSON representation.
// Properties this type does not name are kept in Extra, so a document
// survives a JSON round trip. Verification method and service ids may be
// absolute DID URLs or relative references ("#key-1") to ID.
type Document struct {
	// Context is the JSON-LD @context: a string or an array, always
	// marshalled as an array. Optional for application/did+json.
	Context              []any                   `json:"@context,omitempty"`
	ID                   string                  `json:"id"`
	Controller           []string                `json:"controller,omitempty"`
	AlsoKnownAs          []string                `json:"alsoKnownAs,omitempty"`
	VerificationMethod   []VerificationMethod    `json:"verificationMethod,omitempty"`
	Authentication       []VerificationReference `json:"authentication,omitempty"`
	AssertionMethod      []VerificationReference `json:"assertionMethod,omitempty"`
	KeyAgreement         []VerificationReference `json:"keyAgreement,omitempty"`
	CapabilityInvocation []VerificationReference `json:"capabilityInvocation,omitempty"`
	CapabilityDelegation []VerificationReference `json:"capabilityDelegation,omitempty"`
	Service              []Service               `json:"service,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// VerificationMethod is a verification method (DID Core §5.2). Exactly one
// of PublicKeyMultibase and PublicKeyJwk is normally set; other key
// material properties (publicKeyBase58, ...) are kept in Extra.
type VerificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase,omitempty"`
	PublicKeyJwk       *JWK   `json:"publicKeyJwk,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// VerificationReference is an entry of a verification relationship: either
// a reference (ID, a DID URL, possibly relative) or an embedded method.
type VerificationReference struct {
	ID     string
	Method *VerificationMethod
}

// Service is a service endpoint (DID Core §5.4). ServiceEndpoint is kept as
// raw JSON: a URI string, a map or a set of them.
type Service struct {
	ID              string          `json:"id"`
	Type            []string        `json:"type"`
	ServiceEndpoint json.RawMessage `json:"serviceEndpoint"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ParseDocument decodes and validates a DID document in JSON. Besides
// [Document.Validate] it reads JSON strictly ([strictjson.Unmarshal], with
// extension members allowed), rejecting duplicate member names (also after
// unescaping), case variants of the DID Core names ("ID"), invalid UTF-8 and
// lone surrogates, @context numbers that are not exactly a float64 of
// magnitude below 2^53, @context values nested [strictjson.MaxDepth] deep,
// nesting beyond json v2's limit (10000), trailing data and input over
// [MaxDocumentSize]. Errors
// wrap [ErrInvalidDocument].
func ParseDocument(b []byte) (*Document, error) {
	if len(b) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidDocument, MaxDocumentSize)
	}
	var d Document
	if err := strictjson.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// The *Fields types are the plain structs, without the custom JSON
// methods. Sets (controller, service type) are written as arrays.
type (
	documentFields Document
	vmFields       VerificationMethod
	serviceFields  Service
)

// documentMembers are the DID Core properties with a field in [Document].
var documentMembers = []string{"@context", "id", "controller", "alsoKnownAs", "verificationMethod", "authentication",
	"assertionMethod", "keyAgreement", "capabilityInvocation", "capabilityDelegation", "service"}

// MarshalJSON implements json.Marshaler.
func (d Document) MarshalJSON() ([]byte, error) {
	return putMembers(documentFields(d), d.Extra)
}

// UnmarshalJSON implements json.Unmarshaler with exact (case-sensitive)
// member names. It does not validate; see [ParseDocument].
func (d *Document) UnmarshalJSON(b []byte) error {
	m, err := strictjson.Members(b, documentMembers...)
	if err != nil {
		return err
	}
	var out Document
	if raw, ok := m["@context"]; ok {
		delete(m, "@context")
		var one string
		if strictjson.Unmarshal(raw, &one) == nil && string(raw) != "null" {
			out.Context = []any{one}
		} else if err := strictjson.Unmarshal(raw, &out.Context); err != nil || out.Context == nil {
			return fmt.Errorf("@context: expected a string or an array")
		}
	}
	var ctl stringOrSet
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"id", &out.ID}, {"controller", &ctl}, {"alsoKnownAs", &out.AlsoKnownAs},
		{"verificationMethod", &out.VerificationMethod},
		{"authentication", &out.Authentication}, {"assertionMethod", &out.AssertionMethod},
		{"keyAgreement", &out.KeyAgreement}, {"capabilityInvocation", &out.CapabilityInvocation},
		{"capabilityDelegation", &out.CapabilityDelegation}, {"service", &out.Service},
	} {
		if err := take(m, f.name, f.dst); err != nil {
			return err
		}
	}
	out.Controller = ctl
	if len(m) > 0 {
		out.Extra = m
	}
	*d = out
	return nil
}

// MarshalJSON implements json.Marshaler.
func (vm VerificationMethod) MarshalJSON() ([]byte, error) {
	return putMembers(vmFields(vm), vm.Extra)
}

// UnmarshalJSON implements json.Unmarshaler with exact member names.
func (vm *VerificationMethod) UnmarshalJSON(b []byte) error {
	m, err := strictjson.Members(b, append([]string{"id", "type", "controller", "publicKeyMultibase", "publicKeyJwk"}, keyMaterialProperties...)...)
	if err != nil {
		return fmt.Errorf("verificationMethod: %v", err)
	}
	var out VerificationMethod
	for name, dst := range map[string]any{"id": &out.ID, "type": &out.Type, "controller": &out.Controller,
		"publicKeyMultibase": &out.PublicKeyMultibase, "publicKeyJwk": &out.PublicKeyJwk} {
		if err := take(m, name, dst); err != nil {
			return fmt.Errorf("verificationMethod: %v", err)
		}
	}
	if len(m) > 0 {
		out.Extra = m
	}
	*vm = out
	return nil
}

// MarshalJSON implements json.Marshaler.
func (r VerificationReference) MarshalJSON() ([]byte, error) {
	if r.Method != nil {
		return json.Marshal(r.Method)
	}
	return json.Marshal(r.ID)
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *VerificationReference) UnmarshalJSON(b []byte) error {
	var id string
	if err := strictjson.Unmarshal(b, &id); err == nil && string(b) != "null" {
		*r = VerificationReference{ID: id}
		return nil
	}
	var vm VerificationMethod
	if err := strictjson.Unmarshal(b, &vm); err != nil {
		return fmt.Errorf("relationship entry: expected a DID URL or a verification method")
	}
	*r = VerificationReference{Method: &vm}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (s Service) MarshalJSON() ([]byte, error) {
	return putMembers(serviceFields(s), s.Extra)
}

// UnmarshalJSON implements json.Unmarshaler with exact member names.
func (s *Service) UnmarshalJSON(b []byte) error {
	m, err := strictjson.Members(b, "id", "type", "serviceEndpoint")
	if err != nil {
		return fmt.Errorf("service: %v", err)
	}
	var out Service
	var typ stringOrSet
	for name, dst := range map[string]any{"id": &out.ID, "type": &typ, "serviceEndpoint": &out.ServiceEndpoint} {
		if err := take(m, name, dst); err != nil {
			return fmt.Errorf("service: %v", err)
		}
	}
	out.Type = typ
	if len(m) > 0 {
		out.Extra = m
	}
	*s = out
	return nil
}

// References returns the entries of relationship rel (nil for an unknown
// relationship).
func (d *Document) References(rel Relationship) []VerificationReference {
	if p := d.refs(rel); p != nil {
		return *p
	}
	return nil
}

func (d *Document) refs(rel Relationship) *[]VerificationReference {
	switch rel {
	case Authentication:
		return &d.Authentication
	case AssertionMethod:
		return &d.AssertionMethod
	case KeyAgreement:
		return &d.KeyAgreement
	case CapabilityInvocation:
		return &d.CapabilityInvocation
	case CapabilityDelegation:
		return &d.CapabilityDelegation
	}
	return nil
}

// AddVerificationMethod appends vm to verificationMethod and references it
// from each relationship in rels.
func (d *Document) AddVerificationMethod(vm VerificationMethod, rels ...Relationship) error {
	for _, rel := range rels {
		if d.refs(rel) == nil {
			return fmt.Errorf("%w: unknown relationship %q", ErrInvalidDocument, rel)
		}
	}
	d.VerificationMethod = append(d.VerificationMethod, vm)
	for _, rel := range rels {
		p := d.refs(rel)
		*p = append(*p, VerificationReference{ID: vm.ID})
	}
	return nil
}

// FindVerificationMethod returns the verification method with the given
// id (an absolute DID URL, or a reference relative to the document id),
// whether listed in verificationMethod or embedded in a relationship.
// Errors wrap [ErrNotFound].
func (d *Document) FindVerificationMethod(id string) (*VerificationMethod, error) {
	want := resolveRef(d.ID, id)
	for i := range d.VerificationMethod {
		if resolveRef(d.ID, d.VerificationMethod[i].ID) == want {
			return &d.VerificationMethod[i], nil
		}
	}
	for _, rel := range relationships {
		for _, r := range d.References(rel) {
			if r.Method != nil && resolveRef(d.ID, r.Method.ID) == want {
				return r.Method, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: verification method %q", ErrNotFound, truncate(want, 256))
}

// HasRelationship reports whether the verification method id (absolute or
// relative) is in relationship rel, referenced or embedded.
func (d *Document) HasRelationship(rel Relationship, id string) bool {
	want := resolveRef(d.ID, id)
	for _, r := range d.References(rel) {
		ref := r.ID
		if r.Method != nil {
			ref = r.Method.ID
		}
		if resolveRef(d.ID, ref) == want {
			return true
		}
	}
	return false
}

// Validate checks the DID Core rules: id is a DID; @context, when present,
// starts with the DID v1 context; controllers are DIDs; alsoKnownAs are
// absolute URIs; every verification method is valid (see
// [VerificationMethod.Validate]) and has a unique id, embedded ones
// included; relationship references are DID URLs; services have an id,
// type and endpoint, and unique ids. Errors wrap [ErrInvalidDocument]
// (plus [ErrDuplicateID], [ErrPrivateKeyMaterial], [ErrInvalidDID] or
// [ErrInvalidKey] where they apply).
func (d *Document) Validate() error {
	if _, err := Parse(d.ID); err != nil {
		return fmt.Errorf("%w: id: %w", ErrInvalidDocument, err)
	}
	if len(d.Context) > 0 {
		if s, ok := d.Context[0].(string); !ok || s != ContextDIDv1 {
			return fmt.Errorf("%w: first @context entry must be %q", ErrInvalidDocument, ContextDIDv1)
		}
	}
	for _, c := range d.Controller {
		if _, err := Parse(c); err != nil {
			return fmt.Errorf("%w: controller: %w", ErrInvalidDocument, err)
		}
	}
	for _, a := range d.AlsoKnownAs {
		if u, err := url.Parse(a); err != nil || u.Scheme == "" {
			return fmt.Errorf("%w: alsoKnownAs %q is not an absolute URI", ErrInvalidDocument, truncate(a, 128))
		}
	}
	ids := map[string]bool{}
	addVM := func(vm *VerificationMethod) error {
		if err := vm.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidDocument, err)
		}
		id := resolveRef(d.ID, vm.ID)
		if ids[id] {
			return fmt.Errorf("%w: %w: verification method %q", ErrInvalidDocument, ErrDuplicateID, truncate(id, 256))
		}
		ids[id] = true
		return nil
	}
	for i := range d.VerificationMethod {
		if err := addVM(&d.VerificationMethod[i]); err != nil {
			return err
		}
	}
	for _, rel := range relationships {
		for _, r := range d.References(rel) {
			if r.Method != nil {
				if err := addVM(r.Method); err != nil {
					return err
				}
				continue
			}
			if _, err := ParseURL(resolveRef(d.ID, r.ID)); err != nil || r.ID == "" {
				return fmt.Errorf("%w: %s entry %q is not a DID URL", ErrInvalidDocument, rel, truncate(r.ID, 256))
			}
		}
	}
	sids := map[string]bool{}
	for _, s := range d.Service {
		id := resolveRef(d.ID, s.ID)
		if u, err := url.Parse(id); err != nil || u.Scheme == "" {
			return fmt.Errorf("%w: service id %q is not a URI", ErrInvalidDocument, truncate(s.ID, 256))
		}
		if sids[id] {
			return fmt.Errorf("%w: %w: service %q", ErrInvalidDocument, ErrDuplicateID, truncate(id, 256))
		}
		sids[id] = true
		if len(s.Type) == 0 || s.Type[0] == "" {
			return fmt.Errorf("%w: service %q has no type", ErrInvalidDocument, truncate(id, 256))
		}
		if ep := strings.TrimSpace(string(s.ServiceEndpoint)); ep == "" || ep == "null" {
			return fmt.Errorf("%w: service %q has no serviceEndpoint", ErrInvalidDocument, truncate(id, 256))
		}
	}
	return nil
}

// keyMaterialProperties are the verification material properties of DID
// Core §5.2.1 and the DID Specification Registries.
var keyMaterialProperties = []string{"publicKeyBase58", "publicKeyHex", "publicKeyBase64", "publicKeyPem", "blockchainAccountId", "ethereumAddress"}

// Validate checks a verification method on its own: id is a DID URL with a
// fragment or a relative "#fragment" reference, type and controller (a
// DID) are set, exactly one verification material property is present, a
// JWK has no private members, and Multikey/JsonWebKey types carry the
// matching material. Errors wrap [ErrInvalidDocument] or
// [ErrPrivateKeyMaterial].
func (vm *VerificationMethod) Validate() error {
	if strings.HasPrefix(vm.ID, "#") {
		if err := checkURIChars(vm.ID[1:], "/?"); err != nil || len(vm.ID) == 1 {
			return fmt.Errorf("%w: verification method id %q", ErrInvalidDocument, truncate(vm.ID, 256))
		}
	} else if u, err := ParseURL(vm.ID); err != nil || u.Fragment == "" {
		return fmt.Errorf("%w: verification method id %q is not a DID URL with a fragment", ErrInvalidDocument, truncate(vm.ID, 256))
	}
	if vm.Type == "" {
		return fmt.Errorf("%w: verification method %q has no type", ErrInvalidDocument, truncate(vm.ID, 256))
	}
	if _, err := Parse(vm.Controller); err != nil {
		return fmt.Errorf("%w: verification method %q controller: %w", ErrInvalidDocument, truncate(vm.ID, 256), err)
	}
	n := 0
	if vm.PublicKeyMultibase != "" {
		n++
	}
	if vm.PublicKeyJwk != nil {
		n++
		if err := vm.PublicKeyJwk.Check(); err != nil {
			return fmt.Errorf("%w: verification method %q: %w", ErrInvalidDocument, truncate(vm.ID, 256), err)
		}
	}
	for _, p := range keyMaterialProperties {
		if _, ok := vm.Extra[p]; ok {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: verification method %q has %d verification material properties, want exactly 1", ErrInvalidDocument, truncate(vm.ID, 256), n)
	}
	switch vm.Type {
	case TypeMultikey, "Ed25519VerificationKey2020", "X25519KeyAgreementKey2020":
		if vm.PublicKeyMultibase == "" {
			return fmt.Errorf("%w: %s verification method without publicKeyMultibase", ErrInvalidDocument, vm.Type)
		}
	case TypeJsonWebKey2020, "JsonWebKey":
		if vm.PublicKeyJwk == nil {
			return fmt.Errorf("%w: %s verification method without publicKeyJwk", ErrInvalidDocument, vm.Type)
		}
	}
	return nil
}

// PublicKey decodes the method's public key: ed25519.PublicKey,
// *ecdsa.PublicKey, *ecdh.PublicKey (X25519), *Secp256k1PublicKey or
// *ZKPublicKey. It reads publicKeyMultibase (see [DecodeMultikey]),
// publicKeyJwk (see [JWK.PublicKey]) and, for the legacy types
// Ed25519VerificationKey2018 and X25519KeyAgreementKey2019,
// publicKeyBase58. Ed25519VerificationKey2020 and X25519KeyAgreementKey2020
// must hold a key of their curve. Errors wrap [ErrInvalidKey] or
// [ErrUnsupportedKey].
func (vm *VerificationMethod) PublicKey() (crypto.PublicKey, error) {
	if err := vm.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	var pub crypto.PublicKey
	var codec uint64
	var err error
	switch {
	case vm.PublicKeyMultibase != "":
		codec, pub, err = decodeMultikey(vm.PublicKeyMultibase)
	case vm.PublicKeyJwk != nil:
		pub, err = vm.PublicKeyJwk.PublicKey()
	default:
		raw, ok := vm.Extra["publicKeyBase58"]
		var s string
		if !ok || strictjson.Unmarshal(raw, &s) != nil {
			return nil, fmt.Errorf("%w: verification material of %q", ErrUnsupportedKey, truncate(vm.ID, 256))
		}
		b, derr := base58.Decode(s)
		if derr != nil {
			return nil, fmt.Errorf("%w: publicKeyBase58: %v", ErrInvalidKey, derr)
		}
		switch vm.Type {
		case "Ed25519VerificationKey2018":
			codec = CodecEd25519
			pub, err = parseEd25519(b)
		case "X25519KeyAgreementKey2019":
			codec = CodecX25519
			pub, err = parseX25519(b)
		default:
			return nil, fmt.Errorf("%w: publicKeyBase58 with type %q", ErrUnsupportedKey, truncate(vm.Type, 64))
		}
	}
	if err != nil {
		return nil, err
	}
	switch vm.Type {
	case "Ed25519VerificationKey2020":
		if codec != CodecEd25519 {
			return nil, fmt.Errorf("%w: %s holds another key type", ErrInvalidKey, vm.Type)
		}
	case "X25519KeyAgreementKey2020":
		if codec != CodecX25519 {
			return nil, fmt.Errorf("%w: %s holds another key type", ErrInvalidKey, vm.Type)
		}
	}
	return pub, nil
}

// NewMultikeyMethod returns a Multikey verification method for pub
// (publicKeyMultibase as [EncodeMultikey]).
func NewMultikeyMethod(id, controller string, pub crypto.PublicKey) (VerificationMethod, error) {
	mb, err := EncodeMultikey(pub)
	if err != nil {
		return VerificationMethod{}, err
	}
	vm := VerificationMethod{ID: id, Type: TypeMultikey, Controller: controller, PublicKeyMultibase: mb}
	return vm, vm.Validate()
}

// NewJWKMethod returns a JsonWebKey2020 verification method for pub
// (publicKeyJwk as [NewPublicJWK]; a [ZKPublicKey] is not supported).
func NewJWKMethod(id, controller string, pub crypto.PublicKey) (VerificationMethod, error) {
	jwk, err := NewPublicJWK(pub)
	if err != nil {
		return VerificationMethod{}, err
	}
	vm := VerificationMethod{ID: id, Type: TypeJsonWebKey2020, Controller: controller, PublicKeyJwk: jwk}
	return vm, vm.Validate()
}

var _ crypto.PublicKey = ed25519.PublicKey(nil)
