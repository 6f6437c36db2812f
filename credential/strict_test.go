package credential

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Strict-JSON attacks: each input is a valid document with one change that
// encoding/json (case-insensitive names, last duplicate wins, lone
// surrogates to U+FFFD, numbers into float64) reads one way and another
// reader another way.

// credentialJSON is a valid credential; edit replaces old with new in it.
const credentialJSON = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],` +
	`"issuer":"did:example:issuer","credentialSubject":{"id":"did:example:holder","district":"07"}}`

func TestParseCredentialStrictJSON(t *testing.T) {
	if _, err := ParseCredential([]byte(credentialJSON)); err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte { return []byte(strings.Replace(credentialJSON, old, new, 1)) }
	for name, b := range map[string][]byte{
		// Duplicates, also after unescaping, at every level.
		"duplicate issuer":          edit(`"issuer":`, `"issuer":"did:example:evil","issuer":`),
		"escaped duplicate issuer":  edit(`"issuer":`, `"\u0069ssuer":"did:example:evil","issuer":`),
		"escaped duplicate claim":   edit(`"district":"07"`, `"district":"07","distric\u0074":"08"`),
		"duplicate subject id":      edit(`"id":"did:example:holder"`, `"id":"did:example:holder","\u0069d":"did:example:other"`),
		"duplicate in nested claim": edit(`"district":"07"`, `"district":{"a":1,"\u0061":2}`),
		// Case variants of known members (a case-insensitive reader's issuer).
		"case variant Issuer":            edit(`"issuer":`, `"Issuer":"did:example:evil","issuer":`),
		"case variant CREDENTIALSUBJECT": edit(`"type":`, `"CREDENTIALSUBJECT":{"id":"did:example:evil"},"type":`),
		"case variant subject ID":        edit(`"district"`, `"ID":"did:example:evil","district"`),
		"case variant @Context":          edit(`"type":`, `"@Context":["x"],"type":`),
		"case variant issuer Id":         edit(`"issuer":"did:example:issuer"`, `"issuer":{"id":"did:example:issuer","Id":"did:example:evil"}`),
		// Numbers a float64 reader would change.
		"claim 2^53+1":           edit(`"07"`, `9007199254740993`),
		"claim -2^53-1":          edit(`"07"`, `-9007199254740993`),
		"claim 2^53 as 9.007e15": edit(`"07"`, `9.007199254740993e15`),
		"claim 1e400":            edit(`"07"`, `1e400`),
		"nested claim 2^64":      edit(`"07"`, `[{"n":18446744073709551616}]`),
		// Strings: lone surrogates would become U+FFFD.
		"lone high surrogate":    edit(`"07"`, `"\ud800"`),
		"lone low surrogate":     edit(`"07"`, `"0\udc007"`),
		"lone surrogate in name": edit(`"district"`, `"d\ud800"`),
		"invalid UTF-8":          edit(`"07"`, "\"\xff\""),
		"trailing data":          append([]byte(credentialJSON), " {}"...),
		"deep nesting":           edit(`"07"`, strings.Repeat("[", 40)+strings.Repeat("]", 40)),
	} {
		if _, err := ParseCredential(b); !errors.Is(err, ErrInvalidCredential) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	c, err := ParseCredential(edit(`"07"`, `9007199254740991`))
	if err != nil {
		t.Fatalf("2^53-1: %v", err)
	}
	if v := c.CredentialSubject[0].Claims["district"]; v != json.Number("9007199254740991") {
		t.Errorf("2^53-1 decoded as %#v", v)
	}
}

func TestParseStoredStrictJSON(t *testing.T) {
	fx := newFixture(t)
	b, err := json.Marshal(issueTest(t, fx))
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	if _, err := ParseStored(b); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"case variant JWT":        strings.Replace(good, `"jwt":`, `"JWT":"x","jwt":`, 1),
		"case variant Version":    strings.Replace(good, `"version":`, `"Version":"x","version":`, 1),
		"escaped duplicate jwt":   strings.Replace(good, `"jwt":`, `"\u006Awt":"x","jwt":`, 1),
		"escaped duplicate value": strings.Replace(good, `"district":`, `"d\u0069strict":"08","district":`, 1),
		"schema case variant":     strings.Replace(good, `"attributes":`, `"Attributes":[],"attributes":`, 1),
		"lone surrogate value":    strings.Replace(good, `"district":"07"`, `"district":"\ud800"`, 1),
	} {
		if s == good {
			t.Fatalf("%s: edit did not apply", name)
		}
		if _, err := ParseStored([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSchemaStrictJSON(t *testing.T) {
	b, _ := json.Marshal(PersonSchema())
	good := string(b)
	for name, s := range map[string]string{
		"case variant Name":      strings.Replace(good, `"name":`, `"Name":"x","name":`, 1),
		"escaped duplicate name": strings.Replace(good, `"name":`, `"n\u0061me":"x","name":`, 1),
		"attribute Type":         strings.Replace(good, `"type":"date"`, `"Type":"uint","type":"date"`, 1),
		"version 1.0":            strings.Replace(good, `"version":1`, `"version":1.0`, 1),
	} {
		if s == good {
			t.Fatalf("%s: edit did not apply", name)
		}
		var sc Schema
		if err := sc.UnmarshalJSON([]byte(s)); !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// A float64 of 2^53 may be 2^53+1 rounded: refused as a uint value.
func TestEncodeFloat53(t *testing.T) {
	a := Attribute{Name: "n", Type: TypeUint, Bits: 64}
	if _, err := a.Encode(float64(1 << 53)); !errors.Is(err, ErrSchemaMismatch) {
		t.Errorf("float64 2^53: %v", err)
	}
	if _, err := a.Encode(float64(1<<53 - 1)); err != nil {
		t.Errorf("float64 2^53-1: %v", err)
	}
}

func TestVerifyJWTStrict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	kid := agencyDID + "#jose-ed"
	hdr := `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"` + kid + `"}`
	base := payloadOf(t, testCredential(), map[string]any{"iss": agencyDID, "iat": testNow.Unix()})
	signed := func(h, p string) string { return rawJWS(h, p, edSigner(f.ed)) }
	if _, err := VerifyJWT(ctx, f.resolver, signed(hdr, base), clockAt(testNow)); err != nil {
		t.Fatal(err)
	}
	// A token whose payload and signature both end with unused bits.
	var good string
	var parts []string
	for pad := ""; len(parts) == 0 || len(parts[1])%4 == 0; pad += "x" {
		c := testCredential()
		c.CredentialSubject[0].Claims["pad"] = pad
		tok, err := IssueJWT(c, f.ed, kid, testNow)
		if err != nil {
			t.Fatal(err)
		}
		good, parts = tok, strings.Split(tok, ".")
	}
	// flipLastBits changes the unused low bits of a segment's last
	// character: the same bytes for a lenient decoder.
	flipLastBits := func(s string) string {
		enc := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		i := strings.IndexByte(enc, s[len(s)-1])
		return s[:len(s)-1] + string(enc[i^1])
	}
	if len(parts[2])%4 == 0 || len(parts[1])%4 == 0 {
		t.Fatal("segments have no unused bits")
	}
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		// Header.
		"header case variant Kid":      {signed(`{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"`+kid+`","Kid":"x"}`, base), ErrMalformedJWT},
		"header case variant ALG":      {signed(`{"ALG":"none","alg":"EdDSA","typ":"vc+jwt","kid":"`+kid+`"}`, base), ErrMalformedJWT},
		"header escaped duplicate alg": {signed(`{"alg":"EdDSA","\u0061lg":"ES256","typ":"vc+jwt","kid":"`+kid+`"}`, base), ErrMalformedJWT},
		// Payload.
		"payload case variant ISS":      {signed(hdr, strings.Replace(base, `"iss":`, `"ISS":"did:example:evil","iss":`, 1)), ErrMalformedJWT},
		"payload case variant Exp":      {signed(hdr, strings.Replace(base, `"iss":`, `"Exp":1,"iss":`, 1)), ErrMalformedJWT},
		"payload escaped duplicate iss": {signed(hdr, strings.Replace(base, `"iss":`, `"\u0069ss":"did:example:evil","iss":`, 1)), ErrMalformedJWT},
		"payload lone surrogate":        {signed(hdr, strings.Replace(base, `"07"`, `"\udfff"`, 1)), ErrMalformedJWT},
		"payload claim 2^53+1":          {signed(hdr, strings.Replace(base, `"07"`, `9007199254740993`, 1)), ErrInvalidCredential},
		// Non-canonical base64url: unused low bits set.
		"payload padding bits":   {parts[0] + "." + flipLastBits(parts[1]) + "." + parts[2], ErrMalformedJWT},
		"signature padding bits": {parts[0] + "." + parts[1] + "." + flipLastBits(parts[2]), ErrMalformedJWT},
		"signature padded":       {good + "==", ErrMalformedJWT},
		"signature with newline": {good[:len(good)-4] + "\n" + good[len(good)-4:], ErrMalformedJWT},
	} {
		if _, err := VerifyJWT(ctx, f.resolver, tc.tok, clockAt(testNow)); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	// The lenient decoding really is the same bytes (else the test proves
	// nothing).
	a, _ := base64.RawURLEncoding.DecodeString(parts[2])
	b, _ := base64.RawURLEncoding.DecodeString(flipLastBits(parts[2]))
	if string(a) != string(b) {
		t.Fatal("flipLastBits changed the signature bytes")
	}
}

func TestJWTSubjectMismatch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	kid := agencyDID + "#jose-ed"
	hdr := `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"` + kid + `"}`
	for name, tc := range map[string]struct {
		sub  any
		want error
	}{
		"sub is the subject id": {"did:example:holder", nil},
		"sub differs":           {"did:example:someone-else", ErrSubjectMismatch},
		"sub not a string":      {42, ErrSubjectMismatch},
	} {
		p := payloadOf(t, testCredential(), map[string]any{"iss": agencyDID, "iat": testNow.Unix(), "sub": tc.sub})
		_, err := VerifyJWT(ctx, f.resolver, rawJWS(hdr, p, edSigner(f.ed)), clockAt(testNow))
		if !errors.Is(err, tc.want) || (tc.want != nil && !errors.Is(err, ErrInvalidCredential)) {
			t.Errorf("verify, %s: err = %v, want %v", name, err, tc.want)
		}
		c := testCredential()
		c.Extra = map[string]json.RawMessage{}
		c.Extra["sub"], _ = json.Marshal(tc.sub)
		if _, err := IssueJWT(c, f.ed, kid, testNow); !errors.Is(err, tc.want) {
			t.Errorf("issue, %s: err = %v, want %v", name, err, tc.want)
		}
	}
	// Two subjects: sub names neither unambiguously.
	c := testCredential()
	c.CredentialSubject = append(c.CredentialSubject, Subject{ID: "did:example:other", Claims: map[string]any{"a": "b"}})
	c.Extra = map[string]json.RawMessage{"sub": json.RawMessage(`"did:example:holder"`)}
	if _, err := IssueJWT(c, f.ed, kid, testNow); !errors.Is(err, ErrSubjectMismatch) {
		t.Errorf("issue, two subjects: %v", err)
	}
}

// Issuing a claim a verifier would refuse fails at issue.
func TestIssueJWTRefusesInexactNumber(t *testing.T) {
	f := newFixture(t)
	c := testCredential()
	c.CredentialSubject[0].Claims["big"] = json.Number("9007199254740993")
	if _, err := IssueJWT(c, f.ed, agencyDID+"#jose-ed", testNow); !errors.Is(err, ErrInvalidCredential) {
		t.Errorf("err = %v", err)
	}
}
