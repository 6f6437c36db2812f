package dcql

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"testing"
)

// TestInterop validates the query vectors with the OpenWallet Foundation's
// dcql library (npm dcql 3.0.0, testdata/interop; `npm ci` there, as
// .ci/run does) and checks what PROFILE.md records ("Interoperability"):
//
//   - as we write them, the library refuses our queries at "format" only:
//     it closes format to mso_mdoc, dc+sd-jwt, vc+sd-jwt, jwt_vc_json and
//     ldp_vc, where OpenID4VP 1.0 lets formats be defined elsewhere;
//   - with format replaced, at trusted_authorities[].type only: it closes
//     type to aki, etsi_tl and openid_federation;
//   - with both replaced, it accepts every query and returns exactly its
//     standard members (ids, paths, values, claim_sets, credential_sets,
//     with the spec's defaults filled in), having dropped meta's members it
//     does not know and zkcred_predicate.
//
// It skips without node or testdata/interop/node_modules.
func TestInterop(t *testing.T) {
	if _, err := os.Stat("testdata/interop/node_modules/dcql"); err != nil {
		t.Skip("testdata/interop/node_modules missing: run npm ci in testdata/interop")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	cmd := exec.Command(node, "validate.mjs")
	cmd.Dir = "testdata/interop"
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node validate.mjs: %v", err)
	}
	type issue struct{ Path []any }
	type result struct {
		OK     bool
		Error  string
		Issues []issue
		Output any
	}
	var report map[string]struct{ AsIs, FormatOnly, Substituted result }
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatal(err)
	}
	if len(report) == 0 {
		t.Fatal("empty report")
	}
	onlyAt := func(r result, last ...any) bool {
		if r.OK || len(r.Issues) == 0 {
			return false
		}
		for _, is := range r.Issues {
			if len(is.Path) < len(last)+2 || is.Path[0] != "credentials" || !slices.Equal(is.Path[len(is.Path)-len(last):], last) {
				return false
			}
		}
		return true
	}
	for name, r := range report {
		t.Run(name, func(t *testing.T) {
			if !onlyAt(r.AsIs, "format") {
				t.Errorf("as is: want issues at format only, got ok=%v %v %v", r.AsIs.OK, r.AsIs.Error, r.AsIs.Issues)
			}
			if !onlyAt(r.FormatOnly, "type") {
				t.Errorf("format replaced: want issues at trusted_authorities type only, got ok=%v %v %v", r.FormatOnly.OK, r.FormatOnly.Error, r.FormatOnly.Issues)
			}
			if !r.Substituted.OK {
				t.Fatalf("substituted query refused: %s %v", r.Substituted.Error, r.Substituted.Issues)
			}
			b, err := os.ReadFile("testdata/queries/" + name)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			standardOnly(want)
			if !reflect.DeepEqual(want, r.Substituted.Output) {
				got, _ := json.Marshal(r.Substituted.Output)
				exp, _ := json.Marshal(want)
				t.Errorf("library's reading differs from the standard part:\n got %s\nwant %s", got, exp)
			}
		})
	}
}

// standardOnly turns a query (generic JSON) into what the dcql library
// should return for its substituted form: format dc+sd-jwt, no zkcred_did
// trusted authorities, meta without our members, no zkcred_predicate, the
// spec's defaults filled in.
func standardOnly(q map[string]any) {
	for _, c := range q["credentials"].([]any) {
		c := c.(map[string]any)
		c["format"] = "dc+sd-jwt"
		c["meta"] = map[string]any{}
		delete(c, "trusted_authorities")
		if _, ok := c["multiple"]; !ok {
			c["multiple"] = false
		}
		if _, ok := c["require_cryptographic_holder_binding"]; !ok {
			c["require_cryptographic_holder_binding"] = true
		}
		claims, _ := c["claims"].([]any)
		for _, cl := range claims {
			delete(cl.(map[string]any), "zkcred_predicate")
		}
	}
	sets, _ := q["credential_sets"].([]any)
	for _, s := range sets {
		s := s.(map[string]any)
		if _, ok := s["required"]; !ok {
			s["required"] = true
		}
	}
}
