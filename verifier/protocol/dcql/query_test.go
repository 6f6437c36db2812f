package dcql

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/verifier/protocol"
)

var update = flag.Bool("update", false, "update golden files (testdata/compiled)")

// testNonce is the OpenID4VP nonce the goldens are compiled with.
const testNonce = "n-0S6_WzA2Mj"

// TestVectors parses every query of testdata/queries, checks that it
// re-encodes to an equal query, and compares its compilation (with
// testNonce) with testdata/compiled/<name>.json.
func TestVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/queries/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			j, err := q.JSON()
			if err != nil {
				t.Fatal(err)
			}
			q2, err := Parse(j)
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if j2, _ := q2.JSON(); !bytes.Equal(j, j2) {
				t.Fatalf("round trip:\n%s\n%s", j, j2)
			}
			// The re-encoding is the input, compacted.
			var compact bytes.Buffer
			if err := json.Compact(&compact, b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(j, compact.Bytes()) {
				t.Errorf("JSON differs from the compacted vector:\n%s\n%s", j, compact.Bytes())
			}
			c, err := q.Compile(testNonce)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "compiled", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("compiled query differs from %s (run with -update if intended):\n%s", golden, got)
			}
		})
	}
}

func mustParseFile(t *testing.T, name string) *Query {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "queries", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestLinking(t *testing.T) {
	and, err := mustParseFile(t, "same-holder").Compile(testNonce)
	if err != nil {
		t.Fatal(err)
	}
	if and.Linked != HolderScope(testNonce) || !IsHolderScope(and.Linked) {
		t.Fatalf("linked scope %q", and.Linked)
	}
	for _, cc := range and.Credentials {
		if !cc.Linked || cc.Alternatives[0].Scope != and.Linked {
			t.Errorf("%s not linked: %+v", cc.ID, cc)
		}
	}
	// The scope changes with the nonce: nothing links across requests.
	if HolderScope(testNonce) == HolderScope(testNonce+"x") {
		t.Error("holder scope does not depend on the nonce")
	}
	var a, b fr.Element
	a.SetUint64(1)
	b.SetUint64(2)
	if err := and.CheckSameHolder(map[string][]fr.Element{"pid": {a}, "student": {a}}); err != nil {
		t.Errorf("same holder refused: %v", err)
	}
	if err := and.CheckSameHolder(map[string][]fr.Element{"pid": {a}, "student": {b}}); !errors.Is(err, ErrDifferentHolders) {
		t.Errorf("two holders: %v", err)
	}
	if err := and.Satisfied(map[string]int{"pid": 1, "student": 1}); err != nil {
		t.Error(err)
	}
	for _, answered := range []map[string]int{
		{"pid": 1},                       // half of the only option of a required set
		{"pid": 1, "student": 2},         // student is not multiple
		{"pid": 1, "student": 1, "x": 1}, // not asked for
	} {
		if err := and.Satisfied(answered); !errors.Is(err, ErrNotSatisfied) {
			t.Errorf("Satisfied(%v) = %v", answered, err)
		}
	}

	or, err := mustParseFile(t, "either-credential").Compile(testNonce)
	if err != nil {
		t.Fatal(err)
	}
	if or.Linked != "" || or.Credentials[0].Linked || or.Credentials[0].Alternatives[0].Scope != "" {
		t.Errorf("alternatives linked: %+v", or)
	}
	for _, answered := range []map[string]int{{"pid": 1}, {"student": 1}} {
		if err := or.Satisfied(answered); err != nil {
			t.Errorf("Satisfied(%v) = %v", answered, err)
		}
	}
	if err := or.Satisfied(map[string]int{}); !errors.Is(err, ErrNotSatisfied) {
		t.Errorf("empty answer: %v", err)
	}
}

const (
	sid  = `"0c4f1d5e7a9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"`
	meta = `{"zkcred_profile":"zkcred-dcql-predicates-v1","zkcred_schema":{"name":"zkcred/person","version":1,"id":` + sid + `},"zkcred_max_root_age":86400}`
	ta   = `[{"type":"zkcred_did","values":["did:web:agency.example"]}]`
)

// zq returns a query with one zkcred credential query whose claims are the
// given JSON array (omitted if empty) and extra members appended.
func zq(claims, extra string) string {
	s := `{"credentials":[{"id":"p","format":"zkcred_zkp","meta":` + meta + `,"trusted_authorities":` + ta
	if claims != "" {
		s += `,"claims":` + claims
	}
	return s + extra + `}]}`
}

// invalidQueries are refused by Parse, grouped by reason.
var invalidQueries = []struct{ name, q string }{
	// Not JSON, or not strict JSON.
	{"empty", ``},
	{"array", `[]`},
	{"trailing data", zq("", "") + `{}`},
	{"duplicate member", `{"credentials":[],"credentials":[]}`},
	{"case variant", `{"Credentials":[{"id":"p","format":"x","meta":{}}]}`},
	{"unknown top-level member", `{"credentials":[{"id":"p","format":"x","meta":{}}],"presentation_definition":{}}`},
	{"unknown credential query member", zq("", `,"zkcred_issuers":[]`)},
	{"unknown claims member", zq(`[{"path":["credentialSubject","a"],"zkcred_predicates":[]}]`, "")},
	{"invalid UTF-8", "{\"credentials\":[{\"id\":\"p\xff\",\"format\":\"x\",\"meta\":{}}]}"},
	{"lone surrogate", `{"credentials":[{"id":"\ud800","format":"x","meta":{}}]}`},

	// DCQL: credentials.
	{"no credentials", `{}`},
	{"empty credentials", `{"credentials":[]}`},
	{"empty id", `{"credentials":[{"id":"","format":"x","meta":{}}]}`},
	{"id with dot", `{"credentials":[{"id":"a.b","format":"x","meta":{}}]}`},
	{"id with space", `{"credentials":[{"id":"a b","format":"x","meta":{}}]}`},
	{"id too long", `{"credentials":[{"id":"` + strings.Repeat("a", MaxIDLen+1) + `","format":"x","meta":{}}]}`},
	{"repeated id", `{"credentials":[{"id":"a","format":"x","meta":{}},{"id":"a","format":"x","meta":{}}]}`},
	{"no format", `{"credentials":[{"id":"a","meta":{}}]}`},
	{"no meta", `{"credentials":[{"id":"a","format":"x"}]}`},
	{"meta not an object", `{"credentials":[{"id":"a","format":"x","meta":[]}]}`},
	{"meta null", `{"credentials":[{"id":"a","format":"x","meta":null}]}`},
	{"multiple not boolean", `{"credentials":[{"id":"a","format":"x","meta":{},"multiple":"yes"}]}`},
	{"too many credential queries", `{"credentials":[` + strings.Repeat(`{"id":"a","format":"x","meta":{}},`, MaxCredentialQueries) + `{"id":"b","format":"x","meta":{}}]}`},

	// DCQL: trusted_authorities.
	{"empty trusted_authorities", `{"credentials":[{"id":"a","format":"x","meta":{},"trusted_authorities":[]}]}`},
	{"trusted authority without values", `{"credentials":[{"id":"a","format":"x","meta":{},"trusted_authorities":[{"type":"aki","values":[]}]}]}`},
	{"trusted authority without type", `{"credentials":[{"id":"a","format":"x","meta":{},"trusted_authorities":[{"type":"","values":["x"]}]}]}`},

	// DCQL: claims and claim_sets.
	{"empty claims", zq(`[]`, "")},
	{"empty path", zq(`[{"path":[]}]`, "")},
	{"path with object", zq(`[{"path":[{}]}]`, "")},
	{"path with negative index", zq(`[{"path":["credentialSubject",-1]}]`, "")},
	{"path with fraction", zq(`[{"path":["credentialSubject",1.5]}]`, "")},
	{"path index leading zero", `{"credentials":[{"id":"a","format":"x","meta":{},"claims":[{"path":["a",01]}]}]}`},
	{"path too long", `{"credentials":[{"id":"a","format":"x","meta":{},"claims":[{"path":[` + strings.Repeat(`"a",`, MaxPathLen) + `"a"]}]}]}`},
	{"empty values", zq(`[{"path":["credentialSubject","a"],"values":[]}]`, "")},
	{"value object", zq(`[{"path":["credentialSubject","a"],"values":[{}]}]`, "")},
	{"value null", zq(`[{"path":["credentialSubject","a"],"values":[null]}]`, "")},
	{"value fraction", zq(`[{"path":["credentialSubject","a"],"values":[1.5]}]`, "")},
	{"value negative", zq(`[{"path":["credentialSubject","a"],"values":[-1]}]`, "")},
	{"repeated claim id", zq(`[{"id":"x","path":["credentialSubject","a"]},{"id":"x","path":["credentialSubject","b"]}]`, "")},
	{"bad claim id", zq(`[{"id":"x!","path":["credentialSubject","a"]}]`, "")},
	{"claim_sets without claims", zq("", `,"claim_sets":[["x"]]`)},
	{"claim_sets with claim lacking id", zq(`[{"id":"x","path":["credentialSubject","a"]},{"path":["credentialSubject","b"]}]`, `,"claim_sets":[["x"]]`)},
	{"claim_sets unknown id", zq(`[{"id":"x","path":["credentialSubject","a"]}]`, `,"claim_sets":[["y"]]`)},
	{"claim_sets empty", zq(`[{"id":"x","path":["credentialSubject","a"]}]`, `,"claim_sets":[]`)},
	{"claim_sets empty set", zq(`[{"id":"x","path":["credentialSubject","a"]}]`, `,"claim_sets":[[]]`)},

	// DCQL: credential_sets.
	{"empty credential_sets", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[]}`},
	{"credential set without options", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[{"options":[]}]}`},
	{"credential set empty option", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[{"options":[[]]}]}`},
	{"credential set unknown id", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[{"options":[["b"]]}]}`},
	{"credential set repeated id", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[{"options":[["a","a"]]}]}`},
	{"credential set required not boolean", `{"credentials":[{"id":"a","format":"x","meta":{}}],"credential_sets":[{"options":[["a"]],"required":1}]}`},

	// zkcred profile: meta.
	{"meta empty", `{"credentials":[{"id":"p","format":"zkcred_zkp","meta":{},"trusted_authorities":` + ta + `}]}`},
	{"meta unknown profile", strings.Replace(zq("", ""), "predicates-v1", "predicates-v2", 1)},
	{"meta unknown zkcred member", strings.Replace(zq("", ""), `"zkcred_max_root_age"`, `"zkcred_issuer":"x","zkcred_max_root_age"`, 1)},
	{"meta unknown member", strings.Replace(zq("", ""), `"zkcred_max_root_age"`, `"vct_values":["x"],"zkcred_max_root_age"`, 1)},
	{"meta schema id short", strings.Replace(zq("", ""), sid, `"0c4f"`, 1)},
	{"meta schema version 0", strings.Replace(zq("", ""), `"version":1`, `"version":0`, 1)},
	{"meta root age 0", strings.Replace(zq("", ""), `86400`, `0`, 1)},
	{"meta reserved scope", strings.Replace(zq("", ""), `"zkcred_max_root_age"`, `"zkcred_nullifier_scope":"zkcred-holder-v1:x","zkcred_max_root_age"`, 1)},

	// zkcred profile: trusted_authorities.
	{"no trusted authorities", `{"credentials":[{"id":"p","format":"zkcred_zkp","meta":` + meta + `}]}`},
	{"foreign authority type", strings.Replace(zq("", ""), `"zkcred_did"`, `"aki"`, 1)},
	{"issuer not a DID", strings.Replace(zq("", ""), `did:web:agency.example`, `https://agency.example`, 1)},
	{"issuer DID URL", strings.Replace(zq("", ""), `did:web:agency.example`, `did:web:agency.example#key-1`, 1)},

	// zkcred profile: claims.
	{"path not credentialSubject", zq(`[{"path":["vc","a"]}]`, "")},
	{"path too short", zq(`[{"path":["credentialSubject"]}]`, "")},
	{"path with index", zq(`[{"path":["credentialSubject",0]}]`, "")},
	{"path with null", zq(`[{"path":["credentialSubject",null]}]`, "")},
	{"values and predicate", zq(`[{"path":["credentialSubject","a"],"values":[1],"zkcred_predicate":{"op":"gt","value":1}}]`, "")},
	{"predicate eq", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"eq","value":1}}]`, "")},
	{"predicate in", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"in","values":[1,2]}}]`, "")},
	{"predicate unknown member", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"gt","value":1,"strict":true}}]`, "")},
	{"predicate in foreign format", `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{},"claims":[{"path":["a"],"zkcred_predicate":{"op":"gt","value":1}}]}]}`},
	{"predicate value fraction", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"gt","value":1.5}}]`, "")},

	// Limits.
	{"too large", `{"credentials":[{"id":"a","format":"x","meta":{"x":"` + strings.Repeat("a", MaxQuerySize) + `"}}]}`},
}

// invalidPolicies are refused by Parse because a credential query does not
// make a valid zkcred policy (protocol.Policy.Validate): their errors wrap
// protocol.ErrInvalidRequest too.
var invalidPolicies = []struct{ name, q string }{
	{"predicate without operand", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"gt"}}]`, "")},
	{"between without max", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"between","min":1}}]`, "")},
	{"unknown operator", zq(`[{"path":["credentialSubject","a"],"zkcred_predicate":{"op":"like","value":"x"}}]`, "")},
	{"age years too large", zq(`[{"path":["credentialSubject","b"],"zkcred_predicate":{"op":"ageAtLeast","years":151}}]`, "")},
	{"repeated set value", zq(`[{"path":["credentialSubject","a"],"values":["x","x"]}]`, "")},
	{"disclosed twice", zq(`[{"path":["credentialSubject","a"]},{"path":["credentialSubject","a"]}]`, "")},
	{"schema id not canonical", strings.Replace(zq("", ""), sid, `"`+strings.Repeat("f", 64)+`"`, 1)},
	{"too many predicates", zq(`[`+strings.Repeat(`{"path":["credentialSubject","a"],"values":[1]},`, protocol.MaxPredicates)+`{"path":["credentialSubject","a"],"values":[1]}]`, "")},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidPolicies {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.q))
			if !errors.Is(err, ErrInvalidQuery) || !errors.Is(err, protocol.ErrInvalidRequest) {
				t.Errorf("error does not wrap ErrInvalidQuery and protocol.ErrInvalidRequest: %v", err)
			}
		})
	}
	for _, tc := range invalidQueries {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse([]byte(tc.q))
			if err == nil {
				t.Fatalf("accepted: %s", tc.q)
			}
			if q != nil {
				t.Error("non-nil query with an error")
			}
			if !errors.Is(err, ErrInvalidQuery) {
				t.Errorf("error does not wrap ErrInvalidQuery: %v", err)
			}
		})
	}
}

// invalidForCompile parse but do not compile, grouped by reason.
var invalidForCompile = []struct {
	name, q string
	want    error
}{
	// Formats zkcred does not answer.
	{"foreign format", `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["x"]}}]}`, ErrUnsupportedFormat},

	// Linking: a proof outputs one nullifier.
	{"linked queries with different scopes", `{"credentials":[` +
		`{"id":"a","format":"zkcred_zkp","meta":` + strings.Replace(meta, `"zkcred_max_root_age"`, `"zkcred_nullifier_scope":"s1","zkcred_max_root_age"`, 1) + `,"trusted_authorities":` + ta + `},` +
		`{"id":"b","format":"zkcred_zkp","meta":` + meta + `,"trusted_authorities":` + ta + `}]}`, ErrInvalidQuery},
}

func TestCompileInvalid(t *testing.T) {
	for _, tc := range invalidForCompile {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse([]byte(tc.q))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			c, err := q.Compile(testNonce)
			if err == nil {
				t.Fatalf("compiled: %+v", c)
			}
			if !errors.Is(err, tc.want) || (tc.want != ErrUnsupportedFormat && !errors.Is(err, ErrInvalidQuery)) {
				t.Errorf("error does not wrap %v: %v", tc.want, err)
			}
		})
	}
	q, err := Parse([]byte(zq("", "")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Compile(""); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("empty nonce: %v", err)
	}
}

// TestLinkedSameScope: linked queries that all name one nullifier scope
// are linked by it (a proof outputs one nullifier).
func TestLinkedSameScope(t *testing.T) {
	m := strings.Replace(meta, `"zkcred_max_root_age"`, `"zkcred_nullifier_scope":"s1","zkcred_max_root_age"`, 1)
	q, err := Parse([]byte(`{"credentials":[{"id":"a","format":"zkcred_zkp","meta":` + m + `,"trusted_authorities":` + ta + `},` +
		`{"id":"b","format":"zkcred_zkp","meta":` + m + `,"trusted_authorities":` + ta + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Compile(testNonce)
	if err != nil {
		t.Fatal(err)
	}
	if c.Linked != "s1" || c.Credentials[1].Alternatives[0].Scope != "s1" {
		t.Errorf("linked by %q", c.Linked)
	}
}

// TestForeignFormat: a query may hold credential queries of other formats
// (their meta is theirs, kept raw); Compile refuses them only when the
// answer may use them.
func TestForeignFormat(t *testing.T) {
	q, err := Parse([]byte(`{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["https://example.com/pid"],"x":{"y":[1]}},` +
		`"trusted_authorities":[{"type":"aki","values":["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],"claims":[{"path":["address",null,0]}]},` +
		`{"id":"p","format":"zkcred_zkp","meta":` + meta + `,"trusted_authorities":` + ta + `}],` +
		`"credential_sets":[{"options":[["a"]],"required":false},{"options":[["p"]]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Compile(testNonce); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("optional foreign query compiled: %v", err)
	}
	if _, err := q.Credentials[0].ZKMeta(); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("ZKMeta of a foreign query: %v", err)
	}
	m, err := q.Credentials[1].ZKMeta()
	if err != nil || m.Schema.Name != "zkcred/person" {
		t.Errorf("ZKMeta = %+v, %v", m, err)
	}
	q.CredentialSets = q.CredentialSets[1:]
	if _, err := q.Compile(testNonce); err != nil {
		t.Errorf("foreign query not used, still refused: %v", err)
	}
}
