package dcql

import (
	"encoding/json"
	"fmt"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// FromPolicy returns the DCQL query that asks for p as one zkcred_zkp
// credential query named id: p's issuers as zkcred_did trusted
// authorities, eq and in as plain DCQL values, every other operator as a
// zkcred_predicate, each disclosed attribute as a claim without values, and
// p's schema (with its id), maximum root age and nullifier scope in meta. It is the
// inverse of [Query.Compile] for a single policy: compiling the result
// gives p back. The query is validated by [Parse]; errors wrap
// [protocol.ErrInvalidRequest].
func FromPolicy(id string, p protocol.Policy) (*Query, error) {
	meta, err := json.Marshal(Meta{Profile: ProfileVersion, Schema: p.Schema,
		MaxRootAge: p.MaxRootAge, NullifierScope: p.Scope})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", protocol.ErrInvalidRequest, err)
	}
	cq := CredentialQuery{ID: id, Format: FormatZKP, Meta: meta,
		TrustedAuthorities: []TrustedAuthoritiesQuery{{Type: TrustedAuthorityDID, Values: p.Issuers}}}
	path := func(attr string) ClaimPath { return ClaimPath{Key("credentialSubject"), Key(attr)} }
	for _, pr := range p.Predicates {
		c := ClaimsQuery{Path: path(pr.Attribute)}
		switch pr.Op {
		case protocol.OpEq:
			if pr.Value == nil {
				return nil, fmt.Errorf("%w: eq on %q without a value", protocol.ErrInvalidRequest, pr.Attribute)
			}
			c.Values = []protocol.Value{*pr.Value}
		case protocol.OpIn:
			c.Values = pr.Values
		default:
			c.Predicate = &Predicate{Op: pr.Op, Value: pr.Value, Min: pr.Min, Max: pr.Max, Values: pr.Values, Years: pr.Years}
		}
		cq.Claims = append(cq.Claims, c)
	}
	for _, a := range p.Disclose {
		cq.Claims = append(cq.Claims, ClaimsQuery{Path: path(a)})
	}
	b, err := (&Query{Credentials: []CredentialQuery{cq}}).JSON()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", protocol.ErrInvalidRequest, err)
	}
	q, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", protocol.ErrInvalidRequest, err)
	}
	return q, nil
}
