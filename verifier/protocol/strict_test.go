package protocol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zkcred/zkcred/verifier/internal/testenv"
)

// Strict JSON: every decoder in this package refuses what another JSON
// decoder could read differently (encoding/json matched names
// case-insensitively and let the last duplicate win).

// realSubmission is a well-formed submission (the FuzzParseSubmission seed
// "real") re-made for the test verifying key, so it passes the key check.
func realSubmission(t *testing.T) []byte {
	t.Helper()
	sub, err := NewSubmission(testenv.RealPresentation(t))
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestParseSubmissionStrictJSON(t *testing.T) {
	vk := testenv.Keys(t).VerifyingKey
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
