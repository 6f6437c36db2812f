package dcql

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// Errors of checking a response against a [Compiled] query.
var (
	// ErrNotSatisfied is returned by [Compiled.Satisfied] when the answered
	// credential queries do not satisfy the query's credential sets, or
	// name a query that was not asked or answer one several times that
	// does not allow multiple.
	ErrNotSatisfied = errors.New("dcql: response does not satisfy the query")
	// ErrDifferentHolders is returned by [Compiled.CheckSameHolder] when
	// the nullifiers of linked presentations differ: they were made with
	// the secrets of different holders.
	ErrDifferentHolders = errors.New("dcql: presentations of different holders")
)

// holderScopePrefix starts every scope [HolderScope] derives; a query may
// not name such a scope itself.
const holderScopePrefix = "zkcred-holder-v1:"

// HolderScope returns the request-scoped nullifier scope that links the
// presentations of one response to one holder:
//
//	"zkcred-holder-v1:" || base64url(SHA-256("zkcred-dcql-holder-v1" || 0x00 || nonce))
//
// with nonce the OpenID4VP request's nonce. Every linked proof outputs its
// nullifier for this scope (in the circuit, nullifier = H(holder secret,
// credential.ScopeFor(audience, scope))), so the proofs of one holder give
// equal nullifiers and those of two holders differ; the scope changes with
// every nonce, so these nullifiers link nothing across requests. They
// serve only [Compiled.CheckSameHolder]: a verifier must not record them
// as "one per person" nullifiers.
func HolderScope(nonce string) string {
	h := sha256.Sum256([]byte("zkcred-dcql-holder-v1\x00" + nonce))
	return holderScopePrefix + base64.RawURLEncoding.EncodeToString(h[:])
}

// IsHolderScope reports whether scope is one [HolderScope] derives.
func IsHolderScope(scope string) bool { return strings.HasPrefix(scope, holderScopePrefix) }

// Compiled is a DCQL query translated into zkcred policies and the
// structure a verifier checks a response against.
type Compiled struct {
	// Credentials are the credential queries the answer may use, in query
	// order: those named by credential_sets, or all without them.
	Credentials []CompiledCredential `json:"credentials"`
	// Sets are the credential sets; without credential_sets in the query,
	// one required set whose only option names every credential query.
	Sets []Requirement `json:"sets"`
	// Linked, if not empty, is the nullifier scope shared by the linked
	// credential queries: HolderScope(nonce), or the nullifier scope they
	// all name.
	Linked string `json:"linked,omitempty"`
}

// CompiledCredential is one credential query as zkcred policies.
type CompiledCredential struct {
	ID       string `json:"id"`
	Multiple bool   `json:"multiple,omitempty"`
	// Alternatives holds one policy per claim set, in the query's order
	// (the verifier's preference), or one without claim_sets. A
	// presentation answers the query if it satisfies one of them.
	Alternatives []protocol.Policy `json:"alternatives"`
	// Linked: the presentation's nullifier (scope Compiled.Linked) must
	// equal those of the other linked presentations of the response.
	Linked bool `json:"linked,omitempty"`
}

// Requirement is a credential set: one option (a list of credential query
// ids, all answered) must be answered if Required.
type Requirement struct {
	Required bool       `json:"required"`
	Options  [][]string `json:"options"`
}

// Compile maps each credential query that the answer may use to zkcred
// policies (checked by [protocol.Policy.Validate]) and the credential sets
// to a [Requirement] list; nonce is the OpenID4VP request's nonce, from
// which [HolderScope] derives the linking scope.
//
// Presentations are linked (same holder) when a response may hold two or
// more: a credential query with multiple, or credential sets whose largest
// options together name two or more queries (all of them, without
// credential_sets). Linked queries get the nullifier scope HolderScope(nonce),
// unless they all name one zkcred_nullifier_scope, which then links them
// (a proof outputs one nullifier); any other mix is refused.
//
// Errors wrap [ErrInvalidQuery], and [ErrUnsupportedFormat] for a query of
// another format than FormatZKP that the answer may use.
func (q *Query) Compile(nonce string) (*Compiled, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if nonce == "" || len(nonce) > 1024 {
		return nil, invalid("nonce must be 1 to 1024 bytes")
	}
	c := &Compiled{}
	used := map[string]bool{}
	maxAnswered := 0
	if q.CredentialSets == nil {
		all := make([]string, len(q.Credentials))
		for i, cq := range q.Credentials {
			all[i] = cq.ID
			used[cq.ID] = true
		}
		c.Sets = []Requirement{{Required: true, Options: [][]string{all}}}
		maxAnswered = len(all)
	}
	for _, s := range q.CredentialSets {
		r := Requirement{Required: s.IsRequired()}
		largest := 0
		for _, o := range s.Options {
			r.Options = append(r.Options, slices.Clone(o))
			largest = max(largest, len(o))
			for _, id := range o {
				used[id] = true
			}
		}
		maxAnswered += largest
		c.Sets = append(c.Sets, r)
	}
	link := maxAnswered >= 2
	for i := range q.Credentials {
		link = link || used[q.Credentials[i].ID] && q.Credentials[i].Multiple
	}
	var scopes []string // explicit nullifier scopes of the used queries
	for i := range q.Credentials {
		cq := &q.Credentials[i]
		if !used[cq.ID] {
			continue
		}
		if cq.Format != FormatZKP {
			return nil, fmt.Errorf("%w: credential query %q: format %.80q (zkcred answers %q)", ErrUnsupportedFormat, cq.ID, cq.Format, FormatZKP)
		}
		cc, scope, err := cq.compile()
		if err != nil {
			return nil, err
		}
		cc.Linked = link
		scopes = append(scopes, scope)
		c.Credentials = append(c.Credentials, cc)
	}
	if link {
		switch first := scopes[0]; {
		case slices.ContainsFunc(scopes, func(s string) bool { return s != first }):
			return nil, invalid("linked credential queries name different nullifier scopes (a proof has one nullifier)")
		case first == "":
			c.Linked = HolderScope(nonce)
		default:
			c.Linked = first
		}
		for i := range c.Credentials {
			for j := range c.Credentials[i].Alternatives {
				c.Credentials[i].Alternatives[j].Scope = c.Linked
			}
		}
	}
	return c, nil
}

// compile maps a FormatZKP query, whose structure validate checked, to its
// policies, and returns its own nullifier scope. Errors wrap
// ErrInvalidQuery.
func (cq *CredentialQuery) compile() (CompiledCredential, string, error) {
	bad := func(err error) error {
		return fmt.Errorf("%w: credential query %q: %w", ErrInvalidQuery, cq.ID, err)
	}
	m, err := cq.zkMeta()
	if err != nil {
		return CompiledCredential{}, "", bad(err)
	}
	var issuers []string
	for _, ta := range cq.TrustedAuthorities {
		for _, v := range ta.Values {
			if !slices.Contains(issuers, v) {
				issuers = append(issuers, v)
			}
		}
	}
	sets := cq.ClaimSets
	if sets == nil {
		sets = [][]string{nil} // one alternative: every claim
	}
	cc := CompiledCredential{ID: cq.ID, Multiple: cq.Multiple}
	for _, set := range sets {
		p := protocol.Policy{
			Issuers:    slices.Clone(issuers),
			Schema:     m.Schema,
			Predicates: []protocol.Predicate{},
			Scope:      m.NullifierScope,
			MaxRootAge: m.MaxRootAge,
		}
		for i := range cq.Claims {
			cl := &cq.Claims[i]
			if set != nil && !slices.Contains(set, cl.ID) {
				continue
			}
			attr, err := cl.Attribute()
			if err != nil {
				return CompiledCredential{}, "", bad(err)
			}
			switch {
			case len(cl.Values) == 1:
				v := cl.Values[0]
				p.Predicates = append(p.Predicates, protocol.Predicate{Attribute: attr, Op: protocol.OpEq, Value: &v})
			case len(cl.Values) > 1:
				p.Predicates = append(p.Predicates, protocol.Predicate{Attribute: attr, Op: protocol.OpIn, Values: slices.Clone(cl.Values)})
			case cl.Predicate != nil:
				pr := cl.Predicate
				p.Predicates = append(p.Predicates, protocol.Predicate{
					Attribute: attr, Op: pr.Op, Value: clonePtr(pr.Value), Min: clonePtr(pr.Min),
					Max: clonePtr(pr.Max), Values: slices.Clone(pr.Values), Years: clonePtr(pr.Years),
				})
			default:
				p.Disclose = append(p.Disclose, attr)
			}
		}
		if err := p.Validate(); err != nil {
			return CompiledCredential{}, "", bad(err)
		}
		cc.Alternatives = append(cc.Alternatives, p)
	}
	return cc, m.NullifierScope, nil
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Satisfied checks which credential queries a response answered (query id
// → number of verified presentations) against the credential sets: every
// required set has an option whose ids are all answered, no id is outside
// [Compiled.Credentials], and only a query with multiple has more than one
// presentation. Errors wrap [ErrNotSatisfied].
func (c *Compiled) Satisfied(answered map[string]int) error {
	for id, n := range answered {
		i := slices.IndexFunc(c.Credentials, func(cc CompiledCredential) bool { return cc.ID == id })
		switch {
		case i < 0:
			return fmt.Errorf("%w: %.80q was not asked for", ErrNotSatisfied, id)
		case n < 0 || n > 1 && !c.Credentials[i].Multiple:
			return fmt.Errorf("%w: %d presentations for %q", ErrNotSatisfied, n, id)
		}
	}
	for i, s := range c.Sets {
		if !s.Required {
			continue
		}
		if !slices.ContainsFunc(s.Options, func(o []string) bool {
			return !slices.ContainsFunc(o, func(id string) bool { return answered[id] < 1 })
		}) {
			return fmt.Errorf("%w: credential set %d has no answered option", ErrNotSatisfied, i)
		}
	}
	return nil
}

// CheckSameHolder checks that the verified presentations of the linked
// credential queries (query id → the nullifier of each presentation, for
// the scope Compiled.Linked) were made by one holder: all nullifiers are
// equal. Unlinked queries are not checked. Errors wrap
// [ErrDifferentHolders].
func (c *Compiled) CheckSameHolder(nullifiers map[string][]fr.Element) error {
	var first *fr.Element
	for _, cc := range c.Credentials {
		if !cc.Linked {
			continue
		}
		for i := range nullifiers[cc.ID] {
			n := &nullifiers[cc.ID][i]
			if first == nil {
				first = n
			} else if !first.Equal(n) {
				return fmt.Errorf("%w: nullifier of %q differs", ErrDifferentHolders, cc.ID)
			}
		}
	}
	return nil
}
