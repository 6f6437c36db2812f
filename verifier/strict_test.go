package verifier

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/internal/testenv"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// Strict JSON: every decoder in this package refuses what another JSON
// decoder could read differently (encoding/json matched names
// case-insensitively and let the last duplicate win).

// realSubmission is a well-formed submission (the FuzzParseSubmission seed
// "real") re-made for the test verifying key, so it passes the key check.
func realSubmission(t *testing.T) []byte {
	t.Helper()
	sub, err := protocol.NewSubmission(testenv.RealPresentation(t))
	if err != nil {
		t.Fatal(err)
	}
	return sub
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
