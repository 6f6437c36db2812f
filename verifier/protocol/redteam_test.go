package protocol

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/credential/display"
)

// TestRequestAttackBidi: what a wallet shows its holder of a request (the
// audience, schema, attribute names, scope, string values) reads as its
// characters: with U+202E or a control character a verifier could show
// text that reads otherwise than what the proof binds. Each is refused
// with ErrInvalidRequest and display.ErrNotDisplayable.
func TestRequestAttackBidi(t *testing.T) {
	for name, mod := range map[string]func(r *Request){
		"audience with RLO":        func(r *Request) { r.Audience = "https://\u202eelpmaxe.pohs" },
		"schema name with LRM":     func(r *Request) { r.Policy.Schema.Name = "pid\u200e" },
		"scope with isolate":       func(r *Request) { r.Policy.Scope = "election\u2067-2027" },
		"scope with ZWSP":          func(r *Request) { r.Policy.Scope = "election-2027-municipal\u200b" },
		"disclosed with escape":    func(r *Request) { r.Policy.Disclose = []string{"givenName\x1b[8m"} },
		"attribute with RLO":       func(r *Request) { r.Policy.Predicates[0].Attribute = "birth\u202eDate" },
		"in value with RLO":        func(r *Request) { r.Policy.Predicates[1].Values[1] = StringValue("\u202e80") },
		"eq value with CR":         func(r *Request) { r.Policy.Predicates[2].Value = val(StringValue("B\rC")) },
		"between min with C1":      func(r *Request) { r.Policy.Predicates[3].Min = val(StringValue("a\u0085")) },
		"between max with BOM":     func(r *Request) { r.Policy.Predicates[3].Max = val(StringValue("\ufeffz")) },
		"eq value with line break": func(r *Request) { r.Policy.Predicates[2].Value = val(StringValue("B\nC")) },
	} {
		r := sampleRequest()
		mod(r)
		if err := r.check(); !errors.Is(err, ErrInvalidRequest) || !errors.Is(err, display.ErrNotDisplayable) {
			t.Errorf("%s: %v, want ErrInvalidRequest and display.ErrNotDisplayable", name, err)
		}
	}
	if err := sampleRequest().check(); err != nil {
		t.Errorf("baseline: %v", err)
	}
}
