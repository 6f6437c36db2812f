package did

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const issuerDID = "did:example:issuer"

// issuerDocJSON uses every feature: a string controller, alsoKnownAs,
// referenced and embedded relationship entries, a relative id, a JWK
// method, a service and an unknown property.
const issuerDocJSON = `{
  "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
  "id": "did:example:issuer",
  "controller": "did:example:issuer",
  "alsoKnownAs": ["https://issuer.example"],
  "verificationMethod": [
    {"id": "did:example:issuer#key-1", "type": "Multikey", "controller": "did:example:issuer",
     "publicKeyMultibase": "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"},
    {"id": "#key-2", "type": "JsonWebKey2020", "controller": "did:example:issuer",
     "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}}
  ],
  "authentication": ["#key-2"],
  "assertionMethod": [
    "did:example:issuer#key-1",
    {"id": "did:example:issuer#key-3", "type": "Multikey", "controller": "did:example:issuer",
     "publicKeyMultibase": "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"}
  ],
  "service": [{"id": "#status", "type": "RevocationRoot", "serviceEndpoint": "https://issuer.example/root"}],
  "x-custom": {"kept": true}
}`

func TestDocumentRoundTrip(t *testing.T) {
	doc, err := ParseDocument([]byte(issuerDocJSON))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Controller) != 1 || len(doc.AssertionMethod) != 2 || doc.AssertionMethod[1].Method == nil || doc.Extra["x-custom"] == nil {
		t.Fatalf("decoded %+v", doc)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc2, err := ParseDocument(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(doc2); string(b2) != string(b) {
		t.Fatalf("second round trip differs:\n%s\n%s", b, b2)
	}
	var a, c any
	json.Unmarshal([]byte(issuerDocJSON), &a)
	json.Unmarshal(b, &c)
	// controller is written back as a set; everything else is identical.
	a.(map[string]any)["controller"] = []any{issuerDID}
	a.(map[string]any)["service"].([]any)[0].(map[string]any)["type"] = []any{"RevocationRoot"}
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("JSON differs:\n%s", b)
	}

	for _, id := range []string{"#key-2", issuerDID + "#key-2", issuerDID + "#key-3"} {
		vm, err := doc.FindVerificationMethod(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		pub, err := vm.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := pub.(ed25519.PublicKey); !ok {
			t.Fatalf("%T", pub)
		}
	}
	if !doc.HasRelationship(Authentication, issuerDID+"#key-2") || doc.HasRelationship(AssertionMethod, "#key-2") {
		t.Fatal("HasRelationship")
	}
	if _, err := doc.FindVerificationMethod("#nope"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

// mutate parses issuerDocJSON into a generic map, applies f and returns
// the JSON.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(issuerDocJSON), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vms(m map[string]any) []any { return m["verificationMethod"].([]any) }
func vm0(m map[string]any) map[string]any {
	return vms(m)[0].(map[string]any)
}

func TestDocumentValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(m map[string]any)
		want error
	}{
		// Identifiers
		{"id missing", func(m map[string]any) { delete(m, "id") }, ErrInvalidDID},
		{"id not a DID", func(m map[string]any) { m["id"] = "https://example.com" }, ErrInvalidDID},
		{"id with other case key", func(m map[string]any) { m["ID"] = m["id"]; delete(m, "id") }, ErrInvalidDocument},
		{"controller not a DID", func(m map[string]any) { m["controller"] = []any{issuerDID, "bob"} }, ErrInvalidDID},
		{"alsoKnownAs not a URI", func(m map[string]any) { m["alsoKnownAs"] = []any{"not a uri"} }, ErrInvalidDocument},
		{"bad @context", func(m map[string]any) { m["@context"] = []any{"https://example.com"} }, ErrInvalidDocument},
		// Verification methods
		{"duplicate method id", func(m map[string]any) { m["verificationMethod"] = append(vms(m), vm0(m)) }, ErrDuplicateID},
		{"duplicate relative/absolute id", func(m map[string]any) { vm0(m)["id"] = "#key-2" }, ErrDuplicateID},
		{"duplicate embedded id", func(m map[string]any) {
			m["assertionMethod"].([]any)[1].(map[string]any)["id"] = "did:example:issuer#key-1"
		}, ErrDuplicateID},
		{"no key material", func(m map[string]any) { delete(vm0(m), "publicKeyMultibase") }, ErrInvalidDocument},
		{"two key materials", func(m map[string]any) {
			vm0(m)["publicKeyJwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"}
		}, ErrInvalidDocument},
		{"multibase and base58", func(m map[string]any) { vm0(m)["publicKeyBase58"] = "abc" }, ErrInvalidDocument},
		{"private jwk member", func(m map[string]any) {
			vms(m)[1].(map[string]any)["publicKeyJwk"].(map[string]any)["d"] = "secret"
		}, ErrPrivateKeyMaterial},
		{"jwk without kty", func(m map[string]any) {
			delete(vms(m)[1].(map[string]any)["publicKeyJwk"].(map[string]any), "kty")
		}, ErrInvalidDocument},
		{"method without type", func(m map[string]any) { delete(vm0(m), "type") }, ErrInvalidDocument},
		{"method controller not a DID", func(m map[string]any) { vm0(m)["controller"] = "x" }, ErrInvalidDID},
		{"method id without fragment", func(m map[string]any) { vm0(m)["id"] = issuerDID }, ErrInvalidDocument},
		{"method id not a DID URL", func(m map[string]any) { vm0(m)["id"] = "https://x#y" }, ErrInvalidDocument},
		{"Multikey with JWK", func(m map[string]any) { vms(m)[1].(map[string]any)["type"] = "Multikey" }, ErrInvalidDocument},
		{"JsonWebKey2020 with multibase", func(m map[string]any) { vm0(m)["type"] = "JsonWebKey2020" }, ErrInvalidDocument},
		// Relationships
		{"reference not a DID URL", func(m map[string]any) { m["authentication"] = []any{"key-2"} }, ErrInvalidDocument},
		{"empty reference", func(m map[string]any) { m["authentication"] = []any{""} }, ErrInvalidDocument},
		{"embedded method invalid", func(m map[string]any) {
			delete(m["assertionMethod"].([]any)[1].(map[string]any), "publicKeyMultibase")
		}, ErrInvalidDocument},
		// Services
		{"duplicate service id", func(m map[string]any) {
			s := m["service"].([]any)
			m["service"] = append(s, map[string]any{"id": issuerDID + "#status", "type": "X", "serviceEndpoint": "https://a"})
		}, ErrDuplicateID},
		{"service without type", func(m map[string]any) { delete(m["service"].([]any)[0].(map[string]any), "type") }, ErrInvalidDocument},
		{"service without endpoint", func(m map[string]any) {
			delete(m["service"].([]any)[0].(map[string]any), "serviceEndpoint")
		}, ErrInvalidDocument},
		{"service id not a URI", func(m map[string]any) { m["service"].([]any)[0].(map[string]any)["id"] = "status" }, ErrInvalidDocument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := ParseDocument(mutate(t, tc.f))
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidDocument) || doc != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseDocumentStrictJSON(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"duplicate member", `{"id":"did:example:a","id":"did:example:b"}`},
		{"duplicate nested member", `{"id":"did:example:a","verificationMethod":[{"id":"#a","id":"#b"}]}`},
		{"trailing data", `{"id":"did:example:a"} {}`},
		{"trailing garbage", `{"id":"did:example:a"}x`},
		{"not an object", `["did:example:a"]`},
		{"null", `null`},
		{"truncated", `{"id":"did:example:a"`},
		{"too deep for json v2", `{"id":"did:example:a","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`},
		// json v2 semantics: duplicates after unescaping, case variants of
		// DID Core names (a case-insensitive reader's id), lone surrogates,
		// numbers a float64 reader would change.
		{"escaped duplicate id", `{"id":"did:example:a","\u0069d":"did:example:b"}`},
		{"escaped duplicate nested", `{"id":"did:example:a","verificationMethod":[{"id":"#a","\u0069d":"#b"}]}`},
		{"escaped duplicate in extension", `{"id":"did:example:a","x":{"k":1,"\u006b":2}}`},
		{"case variant ID", `{"id":"did:example:a","ID":"did:example:b"}`},
		{"case variant AssertionMethod", `{"id":"did:example:a","AssertionMethod":["did:example:b#k"]}`},
		{"case variant method Controller", `{"id":"did:example:a","verificationMethod":[{"id":"#a","Controller":"did:example:b"}]}`},
		{"case variant publicKeyJWK", `{"id":"did:example:a","verificationMethod":[{"id":"#a","publicKeyJWK":{}}]}`},
		{"case variant service Type", `{"id":"did:example:a","service":[{"id":"#s","Type":"X","type":"Y","serviceEndpoint":"https://a"}]}`},
		{"lone surrogate", `{"id":"did:example:a\ud800"}`},
		{"@context 2^53+1", `{"@context":["https://www.w3.org/ns/did/v1",{"@version":9007199254740993}],"id":"did:example:a"}`},
		{"too large", `{"id":"did:example:a","x":"` + strings.Repeat("a", MaxDocumentSize) + `"}`},
		{"wrong type", `{"id":5}`},
		{"controller wrong type", `{"id":"did:example:a","controller":5}`},
		{"relationship wrong type", `{"id":"did:example:a","authentication":[5]}`},
	} {
		if _, err := ParseDocument([]byte(tc.in)); !errors.Is(err, ErrInvalidDocument) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
}

func TestNewMethods(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	mk, err := NewMultikeyMethod(issuerDID+"#k", issuerDID, pub)
	if err != nil || mk.PublicKeyMultibase != "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp" {
		t.Fatalf("%+v %v", mk, err)
	}
	jm, err := NewJWKMethod(issuerDID+"#j", issuerDID, pub)
	if err != nil || jm.PublicKeyJwk.X != "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik" || jm.Type != TypeJsonWebKey2020 {
		t.Fatalf("%+v %v", jm, err)
	}
	if _, err := NewJWKMethod(issuerDID+"#z", issuerDID, testZKKey(t, 3)); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("ZK key as JWK: %v", err)
	}
	if _, err := NewMultikeyMethod(issuerDID+"#k", issuerDID, "not a key"); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatal(err)
	}
	if _, err := NewMultikeyMethod("nope", issuerDID, pub); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
	doc := &Document{ID: issuerDID}
	if err := doc.AddVerificationMethod(mk, "nonsense"); !errors.Is(err, ErrInvalidDocument) {
		t.Fatal(err)
	}
}

func TestPublicKeyTypeMismatch(t *testing.T) {
	x := "z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F" // an X25519 key
	vm := VerificationMethod{ID: issuerDID + "#k", Type: "Ed25519VerificationKey2020", Controller: issuerDID, PublicKeyMultibase: x}
	if _, err := vm.PublicKey(); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("X25519 key in an Ed25519VerificationKey2020: %v", err)
	}
	vm.Type = "EcdsaSecp256k1VerificationKey2019"
	vm.PublicKeyMultibase = ""
	vm.Extra = map[string]json.RawMessage{"publicKeyBase58": json.RawMessage(`"abc"`)}
	if _, err := vm.PublicKey(); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("publicKeyBase58 of an unknown type: %v", err)
	}
}
