package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVCDM2SchemaExamples runs the conformance examples of the official
// VC 2.0 JSON Schema (testdata/vcdm2, see its README): each one is valid
// by the schema, so each must parse and survive a JSON round trip.
func TestVCDM2SchemaExamples(t *testing.T) {
	files, err := filepath.Glob("../testdata/vcdm2/schema-example-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseCredential(b)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			out, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			// Semantically equal: compare as generic JSON.
			var a, z any
			_ = json.Unmarshal(b, &a)
			_ = json.Unmarshal(out, &z)
			if !jsonEqualModuloForms(a, z) {
				t.Errorf("round trip changed the credential:\n%s\n%s", b, out)
			}
		})
	}
}

// jsonEqualModuloForms compares two JSON values, treating a one-element
// array and its element as equal (a "type" or "credentialSubject" may be
// written either way).
func jsonEqualModuloForms(a, b any) bool {
	if x, ok := a.([]any); ok && len(x) == 1 {
		if _, isArr := b.([]any); !isArr {
			return jsonEqualModuloForms(x[0], b)
		}
	}
	if y, ok := b.([]any); ok && len(y) == 1 {
		if _, isArr := a.([]any); !isArr {
			return jsonEqualModuloForms(a, y[0])
		}
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !jsonEqualModuloForms(x[k], y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqualModuloForms(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		xa, _ := json.Marshal(a)
		yb, _ := json.Marshal(b)
		return bytes.Equal(xa, yb)
	}
}

// TestVCDM2Rejects mutates schema-example-4 (derived negatives): each
// mutation breaks a rule of the official JSON Schema or a MUST of the
// VC 2.0 text, so each must be rejected with ErrInvalidCredential.
func TestVCDM2Rejects(t *testing.T) {
	base, err := os.ReadFile("../testdata/vcdm2/schema-example-4.json")
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := map[string][]byte{
		// @context (schema: array, prefixItems[0] = v2, uniqueItems, minLength/minProperties)
		"context a string":       mutate(func(m map[string]any) { m["@context"] = ContextV2 }),
		"context missing":        mutate(func(m map[string]any) { delete(m, "@context") }),
		"context v2 not first":   mutate(func(m map[string]any) { m["@context"] = []any{"https://example.org/x", ContextV2} }),
		"context v1":             mutate(func(m map[string]any) { m["@context"] = []any{"https://www.w3.org/2018/credentials/v1"} }),
		"context duplicate item": mutate(func(m map[string]any) { m["@context"] = []any{ContextV2, ContextV2} }),
		"context empty string":   mutate(func(m map[string]any) { m["@context"] = []any{ContextV2, ""} }),
		"context empty object":   mutate(func(m map[string]any) { m["@context"] = []any{ContextV2, map[string]any{}} }),
		"context number item":    mutate(func(m map[string]any) { m["@context"] = []any{ContextV2, 1} }),
		"context empty array":    mutate(func(m map[string]any) { m["@context"] = []any{} }),
		// type
		"type missing":      mutate(func(m map[string]any) { delete(m, "type") }),
		"type without VC":   mutate(func(m map[string]any) { m["type"] = []any{"UniversityDegreeCredential"} }),
		"type other string": mutate(func(m map[string]any) { m["type"] = "UniversityDegreeCredential" }),
		"type empty array":  mutate(func(m map[string]any) { m["type"] = []any{} }),
		"type number":       mutate(func(m map[string]any) { m["type"] = 7 }),
		// issuer
		"issuer missing":           mutate(func(m map[string]any) { delete(m, "issuer") }),
		"issuer not a URL":         mutate(func(m map[string]any) { m["issuer"] = "example university" }),
		"issuer object without id": mutate(func(m map[string]any) { m["issuer"] = map[string]any{"name": "x"} }),
		"issuer number":            mutate(func(m map[string]any) { m["issuer"] = 5 }),
		"issuer null":              mutate(func(m map[string]any) { m["issuer"] = nil }),
		// id
		"id not a URL": mutate(func(m map[string]any) { m["id"] = "credential 1" }),
		"id number":    mutate(func(m map[string]any) { m["id"] = 1 }),
		// credentialSubject (schema: object with minProperties 1, or non-empty array)
		"subject missing":      mutate(func(m map[string]any) { delete(m, "credentialSubject") }),
		"subject empty object": mutate(func(m map[string]any) { m["credentialSubject"] = map[string]any{} }),
		"subject empty array":  mutate(func(m map[string]any) { m["credentialSubject"] = []any{} }),
		"subject string":       mutate(func(m map[string]any) { m["credentialSubject"] = "did:example:1" }),
		"subject id number":    mutate(func(m map[string]any) { m["credentialSubject"] = map[string]any{"id": 1} }),
		// validity (xsd:dateTimeStamp, validFrom ≤ validUntil)
		"validFrom without zone": mutate(func(m map[string]any) { m["validFrom"] = "2010-01-01T00:00:00" }),
		"validFrom date only":    mutate(func(m map[string]any) { m["validFrom"] = "2010-01-01" }),
		"validFrom number":       mutate(func(m map[string]any) { m["validFrom"] = 1262304000 }),
		"validUntil before From": mutate(func(m map[string]any) { m["validUntil"] = "2009-01-01T00:00:00Z" }),
		"validUntil bad month":   mutate(func(m map[string]any) { m["validUntil"] = "2020-13-01T00:00:00Z" }),
		// typed objects
		"status without type":     mutate(func(m map[string]any) { m["credentialStatus"] = map[string]any{"id": "https://example.edu/status/24"} }),
		"status empty array":      mutate(func(m map[string]any) { m["credentialStatus"] = []any{} }),
		"schema without id":       mutate(func(m map[string]any) { m["credentialSchema"] = map[string]any{"type": "JsonSchema"} }),
		"schema without type":     mutate(func(m map[string]any) { m["credentialSchema"] = map[string]any{"id": "https://example.org/s.json"} }),
		"refresh without id":      mutate(func(m map[string]any) { m["refreshService"] = map[string]any{"type": "X"} }),
		"evidence without type":   mutate(func(m map[string]any) { m["evidence"] = []any{map[string]any{"id": "https://x.example/e"}} }),
		"termsOfUse without type": mutate(func(m map[string]any) { m["termsOfUse"] = map[string]any{"id": "https://x.example/t"} }),
		"proof without purpose": mutate(func(m map[string]any) {
			m["proof"] = map[string]any{"type": "X", "verificationMethod": "https://x.example#k"}
		}),
		"proof bad vm": mutate(func(m map[string]any) {
			m["proof"] = map[string]any{"type": "X", "proofPurpose": "a", "verificationMethod": map[string]any{}}
		}),
		// not JSON objects / strictness
		"array":            []byte(`[]`),
		"duplicate member": bytes.Replace(base, []byte(`"issuer":`), []byte(`"issuer": "https://evil.example", "issuer":`), 1),
		"trailing data":    append(append([]byte(nil), base...), []byte(` {}`)...),
		"invalid UTF-8":    bytes.Replace(base, []byte("Bachelor"), []byte("Bach\xffelor"), 1),
		"too large":        append(bytes.Repeat([]byte(" "), MaxCredentialSize), base...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCredential(b); !errors.Is(err, ErrInvalidCredential) {
				t.Errorf("err = %v, want ErrInvalidCredential", err)
			}
		})
	}
}

func TestCredentialRoundTrip(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &Credential{
		Context:   []any{ContextV2, map[string]any{"zk": "https://zkcred.example/ns#"}},
		ID:        "urn:uuid:0b1b8f0e-5f9e-4c1c-9c55-1f0a3f2f3a10",
		Type:      []string{TypeVerifiableCredential, "PersonCredential"},
		Issuer:    IssuerRef{ID: "did:example:issuer", Extra: map[string]json.RawMessage{"name": json.RawMessage(`"Agency"`)}},
		ValidFrom: from, ValidUntil: from.AddDate(1, 0, 0),
		CredentialSubject: []Subject{{ID: "did:example:holder", Claims: map[string]any{"birthDate": "1990-05-17", "n": json.Number("12")}}},
		CredentialStatus: []Object{{ID: "https://status.example/1#5", Type: []string{"BitstringStatusListEntry"},
			Props: map[string]any{"statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://status.example/1"}}},
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"issuer":{"id":"did:example:issuer","name":"Agency"}`)) ||
		!bytes.Contains(b, []byte(`"type":"BitstringStatusListEntry"`)) ||
		!bytes.Contains(b, []byte(`"validFrom":"2026-01-02T03:04:05Z"`)) {
		t.Errorf("unexpected encoding %s", b)
	}
	c2, err := ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(c2)
	if !bytes.Equal(b, b2) {
		t.Errorf("not stable:\n%s\n%s", b, b2)
	}
	if !c2.ValidUntil.Equal(c.ValidUntil) {
		t.Error("validUntil")
	}
	// Extra may not shadow a field.
	c.Extra = map[string]json.RawMessage{"issuer": json.RawMessage(`"x"`)}
	if _, err := json.Marshal(c); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("shadowing Extra accepted: %v", err)
	}
}
