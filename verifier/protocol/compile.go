package protocol

import (
	"fmt"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/zkp"
)

// Compiled is a request translated for one schema and circuit shape: what
// both the wallet (to prove) and the verifier (to check) derive from the
// request, so that they build the same [zkp.Statement].
type Compiled struct {
	Request *Request
	Schema  *credential.Schema
	Shape   zkp.Shape
	// Predicates are in circuit order: set predicates first (the shape
	// accepts set operators only at its first positions), then the others,
	// each group in request order.
	Predicates []zkp.Predicate
	// Order maps a circuit position to its index in Request.Predicates.
	Order []int
	// Sets holds, per circuit position, the set tree of an in/notIn
	// predicate (nil elsewhere); the wallet computes its witness from it.
	Sets []*status.Tree
	// Disclose lists the disclosed slots in increasing order.
	Disclose    []int
	RequestHash fr.Element
	Scope       fr.Element

	schemaID fr.Element // Schema.ID(), hashed once by Compile
}

// Compile checks r against schema and shape and computes the statement's
// parts that do not depend on the issuer: predicates with encoded operands
// (age cutoffs from r.Date by [AgeCutoff]), set trees, disclosed slots, the
// scope element and the request hash. Errors wrap [ErrInvalidRequest].
func (r *Request) Compile(schema *credential.Schema, shape zkp.Shape) (*Compiled, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	if err := schema.Validate(); err != nil {
		return nil, bad("schema: %v", err)
	}
	if err := shape.Validate(); err != nil {
		return nil, bad("shape: %v", err)
	}
	schemaID := schema.ID()
	if schema.Name != r.Schema.Name || schema.Version != r.Schema.Version || FieldHex(schemaID) != r.Schema.ID {
		return nil, bad("schema %s v%d (%s) is not the request's", schema.Name, schema.Version, FieldHex(schemaID))
	}
	if schema.Slots != shape.Slots {
		return nil, bad("schema has %d slots, circuit shape %d", schema.Slots, shape.Slots)
	}
	if len(r.Predicates) > shape.Predicates {
		return nil, bad("%d predicates, circuit shape allows %d", len(r.Predicates), shape.Predicates)
	}
	c := &Compiled{Request: r, Schema: schema, Shape: shape, schemaID: schemaID}
	var setIdx, otherIdx []int
	for i, p := range r.Predicates {
		if p.Op == OpIn || p.Op == OpNotIn {
			setIdx = append(setIdx, i)
		} else {
			otherIdx = append(otherIdx, i)
		}
	}
	if len(setIdx) > shape.SetPredicates {
		return nil, bad("%d set predicates, circuit shape allows %d", len(setIdx), shape.SetPredicates)
	}
	c.Order = append(setIdx, otherIdx...)
	date, err := time.Parse(time.DateOnly, r.Date)
	if err != nil {
		return nil, bad("date: %v", err)
	}
	for _, i := range c.Order {
		zp, set, err := compilePredicate(schema, shape, &r.Predicates[i], date)
		if err != nil {
			return nil, fmt.Errorf("predicate %d (%s %s): %w", i, r.Predicates[i].Attribute, r.Predicates[i].Op, err)
		}
		c.Predicates = append(c.Predicates, zp)
		c.Sets = append(c.Sets, set)
	}
	if len(r.Disclose) > 0 && !shape.Disclosure {
		return nil, bad("circuit shape has no selective disclosure")
	}
	for _, name := range r.Disclose {
		slot, attr, err := schema.Slot(name)
		if err != nil {
			return nil, bad("disclosed attribute %q: %v", name, err)
		}
		if attr.Type == credential.TypeString {
			// Only the hash of a string is in its slot.
			return nil, bad("string attribute %q cannot be disclosed; compare it with eq or in", name)
		}
		c.Disclose = append(c.Disclose, slot)
	}
	slices.Sort(c.Disclose)
	if r.Scope != "" {
		if !shape.Nullifier {
			return nil, bad("circuit shape has no nullifier")
		}
		c.Scope = credential.ScopeFor(r.Audience, r.Scope)
	}
	if c.RequestHash, err = r.Hash(); err != nil {
		return nil, err
	}
	return c, nil
}

// Statement returns the public statement for an issuer key and revocation
// root: what the verifier checks the proof against and the wallet proves.
func (c *Compiled) Statement(issuer *did.ZKPublicKey, revocationRoot fr.Element) *zkp.Statement {
	return &zkp.Statement{
		Issuer:         issuer,
		SchemaID:       c.schemaIDOnce(),
		Now:            uint64(c.Request.ExpiresAt), // valid for the request's whole life
		RevocationRoot: revocationRoot,
		RequestHash:    c.RequestHash,
		Scope:          c.Scope,
		Predicates:     slices.Clone(c.Predicates),
		Disclose:       slices.Clone(c.Disclose),
	}
}

// schemaIDOnce returns the schema id Compile hashed, or hashes it for a
// Compiled not made by Compile.
func (c *Compiled) schemaIDOnce() fr.Element {
	if c.schemaID.IsZero() {
		return c.Schema.ID()
	}
	return c.schemaID
}

// opAllowed lists the operators per attribute type (DESIGN.md decision 2:
// strings, booleans and enum codes have no order).
func opAllowed(t credential.AttrType, op Op) bool {
	switch op {
	case OpEq, OpNe, OpIn, OpNotIn:
		return true
	case OpLt, OpLe, OpGt, OpGe, OpBetween:
		return t == credential.TypeUint || t == credential.TypeDate || t == credential.TypeTimestamp
	case OpAgeAtLeast, OpAgeUnder:
		return t == credential.TypeDate
	}
	return false
}

var zkpOps = map[Op]zkp.Op{
	OpEq: zkp.OpEq, OpNe: zkp.OpNe, OpLt: zkp.OpLt, OpLe: zkp.OpLe, OpGt: zkp.OpGt, OpGe: zkp.OpGe,
	OpBetween: zkp.OpBetween, OpIn: zkp.OpInSet, OpNotIn: zkp.OpNotInSet,
	OpAgeAtLeast: zkp.OpLe, OpAgeUnder: zkp.OpGt,
}

func compilePredicate(schema *credential.Schema, shape zkp.Shape, p *Predicate, date time.Time) (zkp.Predicate, *status.Tree, error) {
	slot, attr, err := schema.Slot(p.Attribute)
	if err != nil {
		return zkp.Predicate{}, nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if !opAllowed(attr.Type, p.Op) {
		return zkp.Predicate{}, nil, fmt.Errorf("%w: operator %s does not apply to %s attributes", ErrInvalidRequest, p.Op, attr.Type)
	}
	zp := zkp.Predicate{Slot: slot, Op: zkpOps[p.Op]}
	encode := func(v Value) (fr.Element, error) {
		e, err := attr.Encode(v.goValue())
		if err != nil {
			return e, fmt.Errorf("%w: value %s: %v", ErrInvalidRequest, v, err)
		}
		return e, nil
	}
	switch p.Op {
	case OpEq, OpNe, OpLt, OpLe, OpGt, OpGe:
		zp.A, err = encode(*p.Value)
	case OpBetween:
		if zp.A, err = encode(*p.Min); err == nil {
			zp.B, err = encode(*p.Max)
		}
		if err == nil && zp.A.Cmp(&zp.B) > 0 {
			err = fmt.Errorf("%w: between with min > max", ErrInvalidRequest)
		}
	case OpAgeAtLeast, OpAgeUnder:
		var cutoff time.Time
		if cutoff, err = AgeCutoff(date, *p.Years); err == nil {
			var n uint64
			if n, err = credential.EncodeDate(cutoff); err != nil {
				err = fmt.Errorf("%w: age cutoff: %v", ErrInvalidRequest, err)
			}
			zp.A.SetUint64(n)
		}
	case OpIn, OpNotIn:
		members := make([]fr.Element, len(p.Values))
		for i, v := range p.Values {
			if members[i], err = encode(v); err != nil {
				return zp, nil, err
			}
		}
		// Distinct literals may encode alike (a date written two ways is
		// refused by the decoder, but be sure): the tree refuses repeats.
		set, err := status.NewSetTree(shape.SetDepth, members)
		if err != nil {
			return zp, nil, fmt.Errorf("%w: set of %d values: %v", ErrInvalidRequest, len(members), err)
		}
		zp.A = set.Root()
		return zp, set, nil
	}
	if err != nil {
		return zp, nil, err
	}
	return zp, nil, nil
}

// goValue converts a literal to the Go value credential's encoders take.
func (v Value) goValue() any {
	switch v.kind {
	case valueString:
		return v.s
	case valueUint:
		return v.n
	case valueBool:
		return v.b
	}
	return nil
}
