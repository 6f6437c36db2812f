package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// TestPolicyRejects: policies that do not fit the schema or the circuit
// shape are refused when the request is created, with ErrInvalidRequest.
func TestPolicyRejects(t *testing.T) {
	e := newEnv(t, newBolt(t), newTestIssuer(t, "agency.example"))
	base := votePolicy("did:web:agency.example")
	for name, mut := range map[string]func(p *protocol.Policy){
		"unknown schema": func(p *protocol.Policy) { p.Schema.Name = "zkcred/other" },
		"other version":  func(p *protocol.Policy) { p.Schema.Version = 2 },
		"wrong schema id": func(p *protocol.Policy) {
			id := []byte(protocol.FieldHex(testSchema().ID()))
			id[63] ^= 1
			p.Schema.ID = string(id)
		},
		"unknown attribute": func(p *protocol.Policy) { p.Predicates[0].Attribute = "height" },
		"order on a string": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "district", Op: protocol.OpLt, Value: val(protocol.StringValue("09"))}
		},
		"age on a bool": func(p *protocol.Policy) { p.Predicates[0].Attribute = "voterEligible" },
		"uint for a date": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "birthDate", Op: protocol.OpLe, Value: val(protocol.UintValue(5))}
		},
		"bad date literal": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "birthDate", Op: protocol.OpLe, Value: val(protocol.StringValue("1799-12-31"))}
		},
		"string for a bool": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "voterEligible", Op: protocol.OpEq, Value: val(protocol.StringValue("yes"))}
		},
		"between min > max": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "birthDate", Op: protocol.OpBetween, Min: val(protocol.StringValue("2001-01-01")), Max: val(protocol.StringValue("2000-01-01"))}
		},
		"too many predicates": func(p *protocol.Policy) { p.Predicates = append(p.Predicates, p.Predicates[2]) },
		"two set predicates": func(p *protocol.Policy) {
			p.Predicates[2] = protocol.Predicate{Attribute: "nationality", Op: protocol.OpNotIn, Values: []protocol.Value{protocol.StringValue("XX")}}
		},
		"set too large": func(p *protocol.Policy) {
			p.Predicates[1].Values = nil
			for i := range 1 << testShape.SetDepth {
				p.Predicates[1].Values = append(p.Predicates[1].Values, protocol.StringValue(fmt.Sprint(i)))
			}
		},
		"disclose a string":  func(p *protocol.Policy) { p.Disclose = []string{"district"} },
		"disclose unknown":   func(p *protocol.Policy) { p.Disclose = []string{"height"} },
		"no issuers":         func(p *protocol.Policy) { p.Issuers = nil },
		"zero max root age":  func(p *protocol.Policy) { p.MaxRootAge = 0 },
		"unknown operator":   func(p *protocol.Policy) { p.Predicates[0].Op = "older" },
		"scope too long":     func(p *protocol.Policy) { p.Scope = string(make([]byte, 300)) },
		"predicate no value": func(p *protocol.Policy) { p.Predicates[2].Value = nil },
	} {
		t.Run(name, func(t *testing.T) {
			p := base
			p.Predicates = append([]protocol.Predicate(nil), base.Predicates...)
			p.Predicates[1].Values = append([]protocol.Value(nil), base.Predicates[1].Values...)
			mut(&p)
			if _, err := e.v.NewRequest(context.Background(), p); !errors.Is(err, protocol.ErrInvalidRequest) {
				t.Errorf("got %v, want ErrInvalidRequest", err)
			}
		})
	}
	// Shapes without nullifiers or disclosure refuse what needs them.
	req, err := e.v.NewRequest(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []zkp.Shape{
		func() zkp.Shape { s := testShape; s.Nullifier = false; return s }(),
		func() zkp.Shape { s := testShape; s.Disclosure = false; return s }(),
		func() zkp.Shape { s := testShape; s.Slots = 9; return s }(),
	} {
		if _, err := req.Compile(testSchema(), s); !errors.Is(err, protocol.ErrInvalidRequest) {
			t.Errorf("shape %s: %v", s, err)
		}
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("x: %w", ErrReplay), http.StatusConflict, CodeReplay},
		{fmt.Errorf("x: %w", ErrDuplicateNullifier), http.StatusConflict, CodeDuplicateNullifier},
		{ErrUnknownRequest, http.StatusNotFound, CodeUnknownRequest},
		{ErrExpiredRequest, http.StatusGone, CodeExpiredRequest},
		{ErrUntrustedIssuer, http.StatusForbidden, CodeUntrustedIssuer},
		{ErrStaleRoot, http.StatusUnprocessableEntity, CodeStaleRoot},
		{ErrInvalidProof, http.StatusUnprocessableEntity, CodeInvalidProof},
		{protocol.ErrMalformedPresentation, http.StatusBadRequest, CodeMalformedPresentation},
		{protocol.ErrInvalidRequest, http.StatusBadRequest, CodeInvalidRequest},
		{ErrStore, http.StatusServiceUnavailable, CodeUnavailable},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{errors.New("surprise"), http.StatusInternalServerError, CodeInternal},
	} {
		if s, c := ErrorCode(tc.err); s != tc.status || c != tc.code {
			t.Errorf("ErrorCode(%v) = %d %s, want %d %s", tc.err, s, c, tc.status, tc.code)
		}
	}
}
