package protocol

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/verifier/internal/testenv"
)

func years(n int) *int   { return &n }
func val(v Value) *Value { return &v }

// sampleRequest is a well-formed request with one predicate of each kind.
func sampleRequest() *Request {
	nonce := bytes.Repeat([]byte{7}, NonceSize)
	var schemaID fr.Element
	schemaID.SetUint64(42)
	return &Request{
		Version:  RequestVersion,
		ID:       base64.RawURLEncoding.EncodeToString(nonce),
		Nonce:    nonce,
		Audience: "https://shop.example",
		Policy: Policy{
			Issuers: []string{"did:web:agency.example"},
			Schema:  SchemaRef{Name: "pid", Version: 1, ID: FieldHex(schemaID)},
			Predicates: []Predicate{
				{Attribute: "birthDate", Op: OpAgeAtLeast, Years: years(18)},
				{Attribute: "district", Op: OpIn, Values: []Value{StringValue("07"), StringValue("08")}},
				{Attribute: "vehicleCategory", Op: OpEq, Value: val(StringValue("B"))},
				{Attribute: "income", Op: OpBetween, Min: val(UintValue(0)), Max: val(UintValue(30000))},
			},
			Disclose:   []string{"givenName"},
			Scope:      "election-2027-municipal",
			MaxRootAge: 86400,
		},
		Date:      "2026-11-24",
		IssuedAt:  1795000000,
		ExpiresAt: 1795000300,
	}
}

func TestRequestRoundTrip(t *testing.T) {
	r := sampleRequest()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseRequest(b)
	if err != nil {
		t.Fatalf("ParseRequest(%s): %v", b, err)
	}
	b2, _ := r2.JSON()
	if !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs:\n%s\n%s", b, b2)
	}
	h1, _ := r.Hash()
	h2, _ := r2.Hash()
	if !h1.Equal(&h2) {
		t.Fatal("hash differs after round trip")
	}
	// Non-canonical spellings of the same request are refused.
	for name, nc := range map[string][]byte{
		"white space":  bytes.Replace(b, []byte(`,"audience"`), []byte(`, "audience"`), 1),
		"case folded":  bytes.Replace(b, []byte(`"audience"`), []byte(`"Audience"`), 1),
		"duplicate":    bytes.Replace(b, []byte(`"audience"`), []byte(`"audience":"x","audience"`), 1),
		"reordered":    bytes.Replace(bytes.Replace(b, []byte(`"issuedAt":1795000000,`), nil, 1), []byte(`{"version"`), []byte(`{"issuedAt":1795000000,"version"`), 1),
		"trailing nl":  append(bytes.Clone(b), '\n'),
		"escaped char": bytes.Replace(b, []byte(`"pid"`), []byte(`"\u0070id"`), 1),
	} {
		if _, err := ParseRequest(nc); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every field is covered by the hash.
	for name, mut := range map[string]func(r *Request){
		"nonce":    func(r *Request) { r.Nonce[0] ^= 1; r.ID = base64.RawURLEncoding.EncodeToString(r.Nonce) },
		"audience": func(r *Request) { r.Audience += "/" },
		"issuer":   func(r *Request) { r.Issuers[0] += "x" },
		"years":    func(r *Request) { r.Predicates[0].Years = years(21) },
		"set":      func(r *Request) { r.Predicates[1].Values[1] = StringValue("09") },
		"scope":    func(r *Request) { r.Scope = "" },
		"date":     func(r *Request) { r.Date = "2026-11-25" },
		"expiry":   func(r *Request) { r.ExpiresAt++ },
		"rootAge":  func(r *Request) { r.MaxRootAge-- },
		"disclose": func(r *Request) { r.Disclose = nil },
	} {
		m := sampleRequest()
		mut(m)
		h, err := m.Hash()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if h.Equal(&h1) {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

// TestRequestHashGolden pins the canonical form: changing it is a new
// RequestVersion.
func TestRequestHashGolden(t *testing.T) {
	b, err := sampleRequest().CanonicalBytes()
	if err != nil {
		t.Fatal(err)
	}
	const want = `zkcred-request-v1
{"version":"zkcred-request-v1","id":"BwcHBwcHBwcHBwcHBwcHBw","nonce":"BwcHBwcHBwcHBwcHBwcHBw","audience":"https://shop.example","issuers":["did:web:agency.example"],"schema":{"name":"pid","version":1,"id":"000000000000000000000000000000000000000000000000000000000000002a"},"predicates":[{"attribute":"birthDate","op":"ageAtLeast","years":18},{"attribute":"district","op":"in","values":["07","08"]},{"attribute":"vehicleCategory","op":"eq","value":"B"},{"attribute":"income","op":"between","min":0,"max":30000}],"disclose":["givenName"],"scope":"election-2027-municipal","maxRootAge":86400,"date":"2026-11-24","issuedAt":1795000000,"expiresAt":1795000300}`
	if string(b) != want {
		t.Fatalf("canonical bytes changed:\n got %s\nwant %s", b, want)
	}
}

func TestParseRequestRejects(t *testing.T) {
	good, _ := sampleRequest().JSON()
	edit := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("sample lacks %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	for name, b := range map[string][]byte{
		// Syntax and strictness.
		"empty":          {},
		"not an object":  []byte(`[]`),
		"trailing data":  append(append([]byte{}, good...), []byte(` {}`)...),
		"unknown field":  edit(`"audience"`, `"extra":1,"audience"`),
		"age no years":   edit(`"years":18`, `"yeers":18`),
		"age nil years":  edit(`"years":18`, `"years":null`),
		"oversize":       edit(`"audience":"`, `"audience":"`+strings.Repeat("a", MaxRequestSize)),
		"wrong version":  edit(`"version":"zkcred-request-v1"`, `"version":"zkcred-request-v2"`),
		"padded nonce":   edit(`"nonce":"BwcHBwcHBwcHBwcHBwcHBw"`, `"nonce":"BwcHBwcHBwcHBwcHBwcHBw=="`),
		"short nonce":    edit(`"nonce":"BwcHBwcHBwcHBwcHBwcHBw"`, `"nonce":"BwcHBwcHBwcHBwcHBwcH"`),
		"id not nonce":   edit(`"id":"BwcHBwcHBwcHBwcHBwcHBw"`, `"id":"AAcHBwcHBwcHBwcHBwcHBw"`),
		"no audience":    edit(`"audience":"https://shop.example"`, `"audience":""`),
		"bad date":       edit(`"date":"2026-11-24"`, `"date":"2026-02-30"`),
		"expiry<=issue":  edit(`"expiresAt":1795000300`, `"expiresAt":1795000000`),
		"too long lived": edit(`"expiresAt":1795000300`, `"expiresAt":1895000300`),
		"no root age":    edit(`"maxRootAge":86400`, `"maxRootAge":0`),
		// Policy.
		"no issuer":       edit(`"issuers":["did:web:agency.example"]`, `"issuers":[]`),
		"issuer not DID":  edit(`"did:web:agency.example"`, `"https://agency.example"`),
		"schema id long":  edit(`"id":"00000000`, `"id":"0000000000`),
		"schema id > r":   edit(`"id":"000000000000000000000000000000000000000000000000000000000000002a"`, `"id":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"`),
		"schema id upper": edit(`002a"`, `002A"`),
		"unknown op":      edit(`"op":"eq"`, `"op":"approx"`),
		"eq with values":  edit(`"op":"eq","value":"B"`, `"op":"eq","values":["B"]`),
		"eq and years":    edit(`"op":"eq","value":"B"`, `"op":"eq","value":"B","years":1`),
		"between no max":  edit(`"max":30000`, `"max":null`),
		"empty set":       edit(`"values":["07","08"]`, `"values":[]`),
		"repeated member": edit(`"values":["07","08"]`, `"values":["07","07"]`),
		"negative years":  edit(`"years":18`, `"years":-1`),
		"huge years":      edit(`"years":18`, `"years":151`),
		"float value":     edit(`"max":30000`, `"max":30000.5`),
		"exponent value":  edit(`"max":30000`, `"max":3e4`),
		"leading zero":    edit(`"max":30000`, `"max":030000`),
		"negative value":  edit(`"min":0`, `"min":-1`),
		"2^64 value":      edit(`"max":30000`, `"max":18446744073709551616`),
		"null value":      edit(`"value":"B"`, `"value":{}`),
		"repeat disclose": edit(`"disclose":["givenName"]`, `"disclose":["givenName","givenName"]`),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseRequest(b); !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %v, want ErrInvalidRequest", err)
			}
		})
	}
}

func FuzzParseRequest(f *testing.F) {
	good, _ := sampleRequest().JSON()
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":"zkcred-request-v1","predicates":[{"op":"in","values":[1,true,"x"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		testenv.AllocCeiling(t, testenv.MaxFuzzAlloc, func() {
			r, err := ParseRequest(b)
			if err != nil {
				if !errors.Is(err, ErrInvalidRequest) {
					t.Fatalf("error does not wrap ErrInvalidRequest: %v", err)
				}
				return
			}
			// Anything accepted is canonical: it re-encodes to itself.
			j, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(j, b) {
				t.Fatalf("accepted non-canonical input:\n%s\n%s", b, j)
			}
		})
	})
}
