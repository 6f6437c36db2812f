// Package circuit is zkcred's presentation circuit and its gadgets: the
// in-circuit Poseidon2 mirror of package zkhash (hash.go), the EdDSA check
// (eddsa.go), 64-bit range checks, indexed Merkle paths and one-hot
// selectors. Package zkp compiles it, assigns it and owns its public
// description (zkp.Shape, zkp.Statement, zkp/FORMAT.md); nothing here is
// API.
package circuit

import (
	"errors"
	"fmt"
	"math/big"

	tedwards "github.com/consensys/gnark-crypto/ecc/twistededwards"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"
	"github.com/consensys/gnark/std/math/bits"
	"github.com/consensys/gnark/std/math/cmp"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// Params sizes a circuit; zkp.Shape has the same fields and documents
// them (zkp validates its limits before it builds a circuit).
type Params struct {
	Slots, Predicates, SetPredicates, SetDepth, RevocationDepth int
	Disclosure, Nullifier                                       bool
}

// Operator codes, as zkp.Op numbers them (a test in zkp checks that the
// two agree).
const (
	OpNone = iota
	OpEq
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
	OpBetween
	OpInSet
	OpNotInSet
	NumOps
)

// Tree is an indexed Merkle tree path to the leaf (LowValue, LowNext).
type Tree struct {
	LowValue, LowNext frontend.Variable
	Index             frontend.Variable // leaf index, < 2^depth
	Siblings          []frontend.Variable
}

// Predicate is one public predicate (see zkp.Predicate).
type Predicate struct {
	Slot, Op, A, B frontend.Variable
}

// Circuit is the generic presentation circuit of one shape. Build it with
// [New]; the slices are sized by the shape.
type Circuit struct {
	params Params

	// SECRET INPUTS
	Slots        []frontend.Variable // the credential's encoded attribute slots
	Secret       frontend.Variable   // the holder secret
	RevocationID frontend.Variable   // the credential's id in the revocation tree (uint64)
	Expiry       frontend.Variable   // Unix seconds (uint64)
	SigR         twistededwards.Point
	SigS         frontend.Variable
	Revocation   Tree   // non-membership of RevocationID
	Sets         []Tree // one per set-capable predicate position

	// PUBLIC INPUTS
	IssuerX, IssuerY frontend.Variable   `gnark:",public"`
	SchemaID         frontend.Variable   `gnark:",public"`
	Now              frontend.Variable   `gnark:",public"` // Unix seconds
	RevocationRoot   frontend.Variable   `gnark:",public"`
	RequestHash      frontend.Variable   `gnark:",public"`
	Scope            []frontend.Variable `gnark:",public"` // 1 element iff Nullifier
	Nullifier        []frontend.Variable `gnark:",public"` // 1 element iff Nullifier
	Predicates       []Predicate         `gnark:",public"`
	DiscloseMask     []frontend.Variable `gnark:",public"` // Slots elements iff Disclosure
	Disclosed        []frontend.Variable `gnark:",public"` // mask[i]·slot[i]
}

// ErrParams is returned by [New] for parameters no circuit can have.
var ErrParams = errors.New("zkp: invalid shape")

// New returns an empty circuit sized by p, for compiling or assigning. It
// returns an error wrapping [ErrParams] for a negative size, a slot count
// below 1, more set positions than predicate positions, or a depth above
// 64 (leaf indexes are uint64); zkp's stricter limits are checked there.
func New(p Params) (*Circuit, error) {
	switch {
	case p.Slots < 1 || p.Predicates < 0 || p.SetPredicates < 0 || p.SetDepth < 0 || p.RevocationDepth < 0:
		return nil, fmt.Errorf("%w: negative size or no slots: %+v", ErrParams, p)
	case p.SetPredicates > p.Predicates:
		return nil, fmt.Errorf("%w: %d set predicates of %d", ErrParams, p.SetPredicates, p.Predicates)
	case p.SetDepth > 64 || p.RevocationDepth > 64:
		return nil, fmt.Errorf("%w: tree depth above 64", ErrParams)
	}
	c := &Circuit{params: p}
	c.Slots = make([]frontend.Variable, p.Slots)
	c.Revocation.Siblings = make([]frontend.Variable, p.RevocationDepth)
	c.Sets = make([]Tree, p.SetPredicates)
	for i := range c.Sets {
		c.Sets[i].Siblings = make([]frontend.Variable, p.SetDepth)
	}
	if p.Nullifier {
		c.Scope = make([]frontend.Variable, 1)
		c.Nullifier = make([]frontend.Variable, 1)
	}
	c.Predicates = make([]Predicate, p.Predicates)
	if p.Disclosure {
		c.DiscloseMask = make([]frontend.Variable, p.Slots)
		c.Disclosed = make([]frontend.Variable, p.Slots)
	}
	return c, nil
}

// maxUint64 is 2^64 − 1, the upper bound of ≥ and >.
var maxUint64 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1))

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	h, err := newHasher(api)
	if err != nil {
		return err
	}
	curve, err := twistededwards.NewEdCurve(api, tedwards.BN254)
	if err != nil {
		return err
	}

	// 1-2. The issuer signed (schema, H(secret), id, expiry, slots): the
	// holder commitment is recomputed from the secret, so only the holder
	// can prove. verifyEdDSA asserts S < order (no S+order malleability)
	// and [8]([S]B − [H(R,A,M)]A − R) = O. The issuer key's subgroup
	// membership is checked natively by the verifier (did.NewZKPublicKey).
	commitment := h.hash(zkhash.TagHolder, c.Secret)
	msgIn := append([]frontend.Variable{c.SchemaID, commitment, c.RevocationID, c.Expiry}, c.Slots...)
	msg := h.hash(zkhash.TagMessage, msgIn...)
	verifyEdDSA(api, curve, h, twistededwards.Point{X: c.IssuerX, Y: c.IssuerY}, c.SigR, c.SigS, msg)

	// 4a. Not expired: Expiry ≥ Now, both 64-bit, difference 64-bit.
	range64(api, c.Expiry)
	range64(api, c.Now)
	range64(api, api.Sub(c.Expiry, c.Now))

	// 4b. Not revoked: a leaf (lo, hi) of the revocation tree with
	// lo < id < hi, all 64-bit.
	root := merkleRoot(api, h, c.Revocation, c.params.RevocationDepth)
	api.AssertIsEqual(root, c.RevocationRoot)
	range64(api, c.RevocationID)
	range64(api, c.Revocation.LowValue)
	range64(api, c.Revocation.LowNext)
	range64(api, api.Sub(api.Sub(c.RevocationID, c.Revocation.LowValue), 1))
	range64(api, api.Sub(api.Sub(c.Revocation.LowNext, c.RevocationID), 1))

	// 3. Predicates.
	for i, p := range c.Predicates {
		var set *Tree
		if i < len(c.Sets) {
			set = &c.Sets[i]
		}
		c.predicate(api, h, p, set)
	}

	// 5. Selective disclosure: Disclosed[i] = mask[i]·slot[i], mask boolean.
	for i := range c.DiscloseMask {
		api.AssertIsBoolean(c.DiscloseMask[i])
		api.AssertIsEqual(c.Disclosed[i], api.Mul(c.DiscloseMask[i], c.Slots[i]))
	}

	// 6. Nullifier = (scope ≠ 0)·H(secret, scope): presentations without a
	// scope output 0 and stay unlinkable.
	if len(c.Scope) == 1 {
		nul := h.hash(zkhash.TagNullifier, c.Secret, c.Scope[0])
		hasScope := api.Sub(1, api.IsZero(c.Scope[0]))
		api.AssertIsEqual(c.Nullifier[0], api.Mul(hasScope, nul))
	}

	// 7. Request binding: a quadratic constraint on the request hash gives it
	// a non-zero Groth16 verification-key term, so a proof verifies for
	// this request hash only.
	_ = api.Mul(c.RequestHash, c.RequestHash)
	return nil
}

// predicate constrains one public predicate p. The operator and slot are
// decoded into one-hot selectors (so op must be a valid code and slot in
// range); a no-op requires slot, A and B to be zero, so it is fully
// determined by the public inputs and cannot stand in for a real
// predicate the verifier asked for.
func (c *Circuit) predicate(api frontend.API, h *hasher, p Predicate, set *Tree) {
	nOps := int(OpBetween) + 1
	if set != nil {
		nOps = NumOps
	}
	op := oneHot(api, p.Op, nOps)
	sel := oneHot(api, p.Slot, len(c.Slots))
	var v frontend.Variable = 0
	for j, s := range sel {
		v = api.Add(v, api.Mul(s, c.Slots[j]))
	}

	// No-op: slot = A = 0. B = 0 unless between.
	api.AssertIsEqual(api.Mul(op[OpNone], p.Slot), 0)
	api.AssertIsEqual(api.Mul(op[OpNone], p.A), 0)
	api.AssertIsEqual(api.Mul(api.Sub(1, op[OpBetween]), p.B), 0)

	// = and ≠ over the whole field.
	api.AssertIsEqual(api.Mul(op[OpEq], api.Sub(v, p.A)), 0)
	api.AssertIsEqual(api.Mul(op[OpNe], api.IsZero(api.Sub(v, p.A))), 0)

	// Comparisons as lo ≤ v ≤ hi with 64-bit bounds:
	//   <  A: [0, A−1]    ≤ A: [0, A]    > A: [A+1, 2^64−1]
	//   ≥ A: [A, 2^64−1]  between: [A, B]
	// A and B are range-checked to 64 bits, and so are v−lo and hi−v; then
	// v = lo + (v−lo) < 2^65 and v = hi − (hi−v) with no wrap-around, so
	// lo ≤ v ≤ hi < 2^64 as integers (v itself is 64-bit). For any other
	// operator lo = hi = 0 and the checked values are 0.
	inRange := api.Add(op[OpLt], op[OpLe], op[OpGt], op[OpGe], op[OpBetween])
	loA := api.Add(op[OpGt], op[OpGe], op[OpBetween])
	hiA := api.Add(op[OpLt], op[OpLe])
	hiMax := api.Add(op[OpGt], op[OpGe])
	aR := api.Mul(inRange, p.A)
	lo := api.Add(api.Mul(loA, p.A), op[OpGt])
	hi := api.Add(api.Mul(hiA, p.A), p.B, api.Neg(op[OpLt]), api.Mul(hiMax, maxUint64))
	vR := api.Mul(inRange, v)
	range64(api, aR)
	range64(api, p.B)
	range64(api, api.Sub(vR, lo))
	range64(api, api.Sub(hi, vR))

	if set == nil {
		return
	}
	// Set operators: members m are stored as m+1 in an indexed tree over the
	// whole field. In set: a leaf with value v+1. Not in set: a leaf (lo, hi)
	// with lo < v+1 < hi (canonical full-field comparisons).
	//
	// Every set tree holds the sentinel leaf (0, ·), so a value v with
	// v+1 = 0, i.e. v = r−1, would be "in" every set: in set also asserts
	// v+1 ≠ 0 (status.SetValue refuses such members natively; this makes
	// the circuit refuse them even for an issuer-signed r−1). Not in set
	// needs lo < v+1, impossible for v+1 = 0.
	x := api.Add(v, 1)
	isSet := api.Add(op[OpInSet], op[OpNotInSet])
	root := merkleRoot(api, h, *set, c.params.SetDepth)
	api.AssertIsEqual(api.Mul(isSet, api.Sub(root, p.A)), 0)
	api.AssertIsEqual(api.Mul(op[OpInSet], api.Sub(set.LowValue, x)), 0)
	api.AssertIsEqual(api.Mul(op[OpInSet], api.IsZero(x)), 0)
	between := api.Mul(cmp.IsLess(api, set.LowValue, x), cmp.IsLess(api, x, set.LowNext))
	api.AssertIsEqual(api.Mul(op[OpNotInSet], api.Sub(1, between)), 0)
}

// range64 asserts 0 ≤ v < 2^64 (65 R1CS constraints: 64 boolean bits and
// their recomposition; bits.ToBinary with fewer digits than the field has
// needs no modulus check).
func range64(api frontend.API, v frontend.Variable) {
	bits.ToBinary(api, v, bits.WithNbDigits(64))
}

// merkleRoot returns the root of the indexed Merkle tree path t of the given
// depth: leaf Hash(TagIndexedLeaf, value, next), inner nodes
// Compress(left, right), bit i of Index set when the node at level i is a
// right child (credential/status conventions).
func merkleRoot(api frontend.API, h *hasher, t Tree, depth int) frontend.Variable {
	cur := h.hash(zkhash.TagIndexedLeaf, t.LowValue, t.LowNext)
	path := bits.ToBinary(api, t.Index, bits.WithNbDigits(depth))
	for i := 0; i < depth; i++ {
		sib := t.Siblings[i]
		// right child: (sib, cur); left child: (cur, sib).
		l := api.Add(cur, api.Mul(path[i], api.Sub(sib, cur)))
		r := api.Sub(api.Add(cur, sib), l)
		cur = h.compress(l, r)
	}
	return cur
}

// oneHot returns n boolean selectors s with Σ s = 1 and Σ i·s_i = x: x must
// be in [0, n). The selectors come from a hint and are fully constrained.
func oneHot(api frontend.API, x frontend.Variable, n int) []frontend.Variable {
	s, err := api.Compiler().NewHint(oneHotHint, n, x)
	if err != nil {
		panic("zkp: internal error: " + err.Error())
	}
	var sum, idx frontend.Variable = 0, 0
	for i := range s {
		api.AssertIsBoolean(s[i])
		sum = api.Add(sum, s[i])
		idx = api.Add(idx, api.Mul(i, s[i]))
	}
	api.AssertIsEqual(sum, 1)
	api.AssertIsEqual(idx, x)
	return s
}

func oneHotHint(_ *big.Int, in, out []*big.Int) error {
	for i := range out {
		out[i].SetUint64(0)
		if in[0].IsUint64() && in[0].Uint64() == uint64(i) {
			out[i].SetUint64(1)
		}
	}
	return nil
}

func init() { solver.RegisterHint(oneHotHint) }

// Hints returns the hints the circuit uses, for solvers that do not use
// gnark's global registry.
func Hints() []solver.Hint { return []solver.Hint{oneHotHint} }
