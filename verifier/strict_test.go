package verifier

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/zkp"
)

// Strict JSON: every decoder in this package refuses what another JSON
// decoder could read differently (encoding/json matched names
// case-insensitively and let the last duplicate win).

// realSubmission is a well-formed submission (the FuzzParseSubmission seed
// "real") re-made for the test verifying key, so it passes the key check.
func realSubmission(t *testing.T) []byte {
	t.Helper()
	seed, err := os.ReadFile("testdata/fuzz/FuzzParseSubmission/real")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(strings.TrimPrefix(string(seed), "go test fuzz v1\n[]byte("), ")\n")
	var b string
	if err := unmarshalStrict([]byte(s), &b); err != nil {
		t.Fatal(err)
	}
	var env Submission
	if err := unmarshalStrict([]byte(b), &env); err != nil {
		t.Fatal(err)
	}
	pres, err := zkp.DecodePresentation(env.Presentation)
	if err != nil {
		t.Fatal(err)
	}
	pres.Key = keys(t).VerifyingKey.Fingerprint()
	sub, err := NewSubmission(env.Issuer, pres)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestParseSubmissionStrictJSON(t *testing.T) {
	vk := keys(t).VerifyingKey
	good := realSubmission(t)
	if _, _, err := ParseSubmission(good, vk); err != nil {
		t.Fatalf("good submission: %v", err)
	}
	repl := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("%q not in the submission", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	for name, b := range map[string][]byte{
		// Duplicate members: encoding/json kept the last.
		"duplicate issuer":              repl(`"issuer":`, `"issuer":"did:web:rogue.example#zk-1","issuer":`),
		"duplicate presentation":        repl(`"presentation":`, `"presentation":{},"presentation":`),
		"duplicate version":             repl(`"version":"zkcred-submission-v1"`, `"version":"zkcred-submission-v1","version":"zkcred-submission-v1"`),
		"escaped duplicate issuer":      repl(`"issuer":`, `"\u0069ssuer":"did:web:rogue.example#zk-1","issuer":`),
		"escaped duplicate, all escape": repl(`"issuer":`, `"issuer":"did:web:rogue.example#zk-1","\u0069\u0073\u0073\u0075\u0065\u0072":`),
		"duplicate in presentation":     repl(`"backend":"groth16"`, `"backend":"plonk","backend":"groth16"`),
		"escaped dup in presentation":   repl(`"backend":"groth16"`, `"backend":"groth16","\u0062ackend":"groth16"`),
		// Case variants: encoding/json matched them to the field.
		"case variant Issuer":       repl(`"issuer":`, `"Issuer":`),
		"case variant PRESENTATION": repl(`"presentation":`, `"PRESENTATION":`),
		"case variant Version":      repl(`"version":"zkcred-submission-v1"`, `"Version":"zkcred-submission-v1"`),
		"case variant Backend":      repl(`"backend":`, `"Backend":`),
		"case variant + original":   repl(`"issuer":`, `"Issuer":"did:web:rogue.example#zk-1","issuer":`),
		"kelvin sign folding":       repl(`"key":`, `"\u212aey":`),
		// Unknown members.
		"unknown member":                 repl(`"issuer":`, `"extra":1,"issuer":`),
		"unknown member in presentation": repl(`"backend":`, `"extra":1,"backend":`),
		// Strings: lone surrogates and invalid UTF-8.
		"lone high surrogate":     repl(`#zk-1"`, `#zk-1\ud800"`),
		"lone low surrogate":      repl(`#zk-1"`, `#zk-1\udc00"`),
		"reversed surrogate pair": repl(`#zk-1"`, `#zk-1\udc00\ud800"`),
		"invalid UTF-8":           repl(`#zk-1"`, "#zk-1\xff\""),
		"surrogate in name":       repl(`"issuer":`, `"issuer\ud800":"x","issuer":`),
		// Numbers: presentation version 2^53+1 is not 1, nor is 1.0.
		"version 2^53+1": repl(`"version":1,`, `"version":9007199254740993,`),
		"version 1.0":    repl(`"version":1,`, `"version":1.0,`),
		"version 1e0":    repl(`"version":1,`, `"version":1e0,`),
		// Trailing data.
		"trailing data": append(bytes.Clone(good), `{}`...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParseSubmission(b, vk); !errors.Is(err, ErrMalformedPresentation) {
				t.Errorf("accepted or wrong error: %v", err)
			}
		})
	}
}

func TestPolicyStrictJSON(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	h := e.v.Handler()
	good := `{"issuers":["did:web:agency.example"],"schema":{"name":"` + credential.PersonSchemaName + `","version":1},"predicates":[],"maxRootAge":3600}`
	if res := do(t, h, "POST", "/requests", "application/json", []byte(good)); res.status != http.StatusCreated {
		t.Fatalf("good policy: %d %s", res.status, res.body)
	}
	for name, b := range map[string]string{
		"duplicate issuers":         strings.Replace(good, `"issuers":`, `"issuers":["did:web:rogue.example"],"issuers":`, 1),
		"escaped duplicate issuers": strings.Replace(good, `"issuers":`, `"\u0069ssuers":["did:web:rogue.example"],"issuers":`, 1),
		"case variant Issuers":      strings.Replace(good, `"issuers":`, `"Issuers":`, 1),
		"case variant MAXROOTAGE":   strings.Replace(good, `"maxRootAge":`, `"MAXROOTAGE":`, 1),
		"duplicate maxRootAge":      strings.Replace(good, `"maxRootAge":3600`, `"maxRootAge":1,"maxRootAge":3600`, 1),
		"unknown member":            strings.Replace(good, `"predicates":`, `"unknown":1,"predicates":`, 1),
		"lone surrogate":            strings.Replace(good, `"`+credential.PersonSchemaName+`"`, `"`+credential.PersonSchemaName+`\ud800"`, 1),
		"maxRootAge 3.6e3":          strings.Replace(good, `3600`, `3.6e3`, 1),
		"maxRootAge 2^63":           strings.Replace(good, `3600`, `9223372036854775808`, 1),
		"years 18.0":                strings.Replace(good, `"predicates":[]`, `"predicates":[{"attribute":"birthDate","op":"ageAtLeast","years":18.0}]`, 1),
		"value 2^64":                strings.Replace(good, `"predicates":[]`, `"predicates":[{"attribute":"residentSince","op":"eq","value":18446744073709551616}]`, 1),
		"value 1.5":                 strings.Replace(good, `"predicates":[]`, `"predicates":[{"attribute":"residentSince","op":"eq","value":1.5}]`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, do(t, h, "POST", "/requests", "application/json", []byte(b)), http.StatusBadRequest, CodeInvalidRequest)
		})
	}
}

func TestParseRequestStrictJSON(t *testing.T) {
	b, err := sampleRequest().JSON()
	if err != nil {
		t.Fatal(err)
	}
	for name, nc := range map[string][]byte{
		"escaped duplicate": bytes.Replace(b, []byte(`"audience"`), []byte(`"audience":"https://evil.example","\u0061udience"`), 1),
		"case variant":      bytes.Replace(b, []byte(`"issuers"`), []byte(`"ISSUERS"`), 1),
		"lone surrogate":    bytes.Replace(b, []byte(`"pid"`), []byte(`"pid\udfff"`), 1),
		"invalid UTF-8":     bytes.Replace(b, []byte(`"pid"`), []byte("\"pid\xc3\""), 1),
		"2^53+1 years":      bytes.Replace(b, []byte(`"years":18`), []byte(`"years":9007199254740993`), 1),
	} {
		if _, err := ParseRequest(nc); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Integers beyond 2^53 are exact, never rounded through a float64.
	r := sampleRequest()
	r.Predicates[3].Max = val(UintValue(1<<53 + 1))
	b, err = r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Predicates[3].Max.n; got != 1<<53+1 {
		t.Fatalf("2^53+1 read as %d", got)
	}
}

// TestStrictFloat: a float64 destination (none is in this package's formats
// today) refuses numbers it cannot hold exactly, including ones whose
// exactness would be costly to establish.
func TestStrictFloat(t *testing.T) {
	var v struct {
		F float64 `json:"f"`
	}
	for _, ok := range []string{"0", "-0", "1", "9007199254740992", "0.5", "-2.5", "1e2", "0.125e3", "1180591620717411303424"} {
		if err := unmarshalStrict([]byte(`{"f":`+ok+`}`), &v); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"9007199254740993", "0.1", "1e400", "1e-400", "1e-999999999", "1e999999999", "1e300", "2.5e-324", "1180591620717411303425", `"1"`, "null"} {
		if err := unmarshalStrict([]byte(`{"f":`+bad+`}`), &v); err == nil {
			t.Errorf("%s accepted as %v", bad, v.F)
		}
	}
}
