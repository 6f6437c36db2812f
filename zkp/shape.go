package zkp

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// CircuitVersion names the presentation circuit's construction. It enters
// every key fingerprint, so changing the circuit invalidates every key.
const CircuitVersion = "zkcred-presentation-v3"

// Shape fixes the size of a presentation circuit. One key pair per shape
// serves every verifier policy of that shape.
type Shape struct {
	// Slots is the number of attribute slots of the credential.
	Slots int `json:"slots"`
	// Predicates is the number of predicate positions per proof; unused
	// positions carry the explicit no-op [OpNone].
	Predicates int `json:"predicates"`
	// SetPredicates is how many of the predicate positions (the first ones)
	// accept the set operators [OpInSet] and [OpNotInSet]; each costs a Merkle
	// path of SetDepth levels and two full-field comparisons.
	SetPredicates int `json:"set_predicates"`
	// SetDepth is the depth of predicate set trees (0 when SetPredicates is 0).
	SetDepth int `json:"set_depth"`
	// RevocationDepth is the depth of the issuer's revocation tree.
	RevocationDepth int `json:"revocation_depth"`
	// Disclosure enables selective disclosure: a public mask and value per slot.
	Disclosure bool `json:"disclosure"`
	// Nullifier enables the scoped nullifier output.
	Nullifier bool `json:"nullifier"`
}

// DefaultShape returns the shape that covers the age (birthdate ≤ cutoff),
// residency (district in set), vehicle (registration class in set /
// equality) and vote (nullifier) use cases: 16 slots, 4 predicates of
// which 2 accept set operators (sets up to 2^16 members), revocation depth
// 24 (16.7M leaves), selective disclosure and nullifiers.
func DefaultShape() Shape {
	return Shape{
		Slots:           16,
		Predicates:      4,
		SetPredicates:   2,
		SetDepth:        16,
		RevocationDepth: 24,
		Disclosure:      true,
		Nullifier:       true,
	}
}

// ReferenceShape returns the reference statement of the benchmarks: 8
// slots, 2 predicates (birthdate ≤ cutoff, region =), revocation depth 32,
// no sets, no disclosure, no nullifier.
func ReferenceShape() Shape { return Shape{Slots: 8, Predicates: 2, RevocationDepth: 32} }

// Limits on shapes.
const (
	MaxSlots      = 64
	MaxPredicates = 16
	MaxTreeDepth  = 64
)

// ErrInvalidShape is returned for a shape outside the supported limits.
var ErrInvalidShape = errors.New("zkp: invalid shape")

// Validate checks the shape's limits.
func (s Shape) Validate() error {
	switch {
	case s.Slots < 1 || s.Slots > MaxSlots:
		return fmt.Errorf("%w: slots %d not in [1, %d]", ErrInvalidShape, s.Slots, MaxSlots)
	case s.Predicates < 0 || s.Predicates > MaxPredicates:
		return fmt.Errorf("%w: predicates %d not in [0, %d]", ErrInvalidShape, s.Predicates, MaxPredicates)
	case s.SetPredicates < 0 || s.SetPredicates > s.Predicates:
		return fmt.Errorf("%w: set predicates %d not in [0, %d]", ErrInvalidShape, s.SetPredicates, s.Predicates)
	case s.SetPredicates > 0 && (s.SetDepth < 1 || s.SetDepth > MaxTreeDepth):
		return fmt.Errorf("%w: set depth %d not in [1, %d]", ErrInvalidShape, s.SetDepth, MaxTreeDepth)
	case s.SetPredicates == 0 && s.SetDepth != 0:
		return fmt.Errorf("%w: set depth without set predicates", ErrInvalidShape)
	case s.RevocationDepth < 1 || s.RevocationDepth > MaxTreeDepth:
		return fmt.Errorf("%w: revocation depth %d not in [1, %d]", ErrInvalidShape, s.RevocationDepth, MaxTreeDepth)
	}
	return nil
}

// String is the canonical text of the shape, used in fingerprints and file names.
func (s Shape) String() string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return "s" + strconv.Itoa(s.Slots) + "-p" + strconv.Itoa(s.Predicates) + "-sp" + strconv.Itoa(s.SetPredicates) +
		"-sd" + strconv.Itoa(s.SetDepth) + "-rd" + strconv.Itoa(s.RevocationDepth) + "-d" + b(s.Disclosure) + "-n" + b(s.Nullifier)
}

// Op is a predicate operator. Its numeric code is a public input.
type Op uint8

// Operators. Comparisons (<, ≤, >, ≥, between) are on 64-bit unsigned
// values; = and ≠ on any field element (strings are hashed); set operators
// on any field element, against a set tree root (credential/status
// NewSetTree, members stored as m+1).
const (
	OpNone     Op = 0 // explicit no-op: slot, A and B must be 0
	OpEq       Op = 1 // slot == A
	OpNe       Op = 2 // slot != A
	OpLt       Op = 3 // slot < A
	OpLe       Op = 4 // slot ≤ A
	OpGt       Op = 5 // slot > A
	OpGe       Op = 6 // slot ≥ A
	OpBetween  Op = 7 // A ≤ slot ≤ B
	OpInSet    Op = 8 // slot ∈ set with root A
	OpNotInSet Op = 9 // slot ∉ set with root A
	numOps        = 10
)

var opNames = [numOps]string{"none", "=", "≠", "<", "≤", ">", "≥", "between", "in set", "not in set"}

func (o Op) String() string {
	if int(o) < numOps {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

func (o Op) isRange() bool { return o >= OpLt && o <= OpBetween }
func (o Op) isSet() bool   { return o == OpInSet || o == OpNotInSet }

// Predicate is one public predicate: Op applied to slot Slot with operands
// A and B. B is used by OpBetween only and must be zero otherwise; for set
// operators A is the set tree's root. For comparisons A and B must be below
// 2^64.
type Predicate struct {
	Slot int
	Op   Op
	A, B fr.Element
}

func (p Predicate) String() string {
	switch {
	case p.Op == OpNone:
		return "no-op"
	case p.Op == OpBetween:
		return fmt.Sprintf("slot %d between %s and %s", p.Slot, p.A.String(), p.B.String())
	case p.Op.isSet():
		return fmt.Sprintf("slot %d %s (root %s)", p.Slot, p.Op, p.A.String())
	}
	return fmt.Sprintf("slot %d %s %s", p.Slot, p.Op, p.A.String())
}

// Statement is the public part of a presentation. The verifier builds it
// from its own request, the issuer's DID and the current revocation root;
// the public inputs of the proof are computed from it, never read from a
// presentation.
type Statement struct {
	// Issuer is the issuer's ZK public key (BN254 twisted-Edwards point),
	// as did.ResolveZKKey returns it from the issuer's DID document.
	Issuer *did.ZKPublicKey
	// SchemaID is the credential schema's id.
	SchemaID fr.Element
	// Now is the verifier's time, Unix seconds: the credential's expiry must be ≥ Now.
	Now uint64
	// RevocationRoot is the root of the issuer's revocation tree.
	RevocationRoot fr.Element
	// RequestHash binds the proof to the request (nonce, audience, predicates).
	RequestHash fr.Element
	// Scope is the nullifier scope (credential.ScopeElement); zero for none.
	// Only for shapes with nullifiers.
	Scope fr.Element
	// Predicates lists at most Shape.Predicates predicates; missing positions are no-ops.
	Predicates []Predicate
	// Disclose lists the slots whose values the presentation discloses
	// (shapes with disclosure only).
	Disclose []int
}

// ErrInvalidStatement is returned for a statement that does not fit the
// shape or has out-of-range values.
var ErrInvalidStatement = errors.New("zkp: invalid statement")

func checkIssuerKey(k *did.ZKPublicKey) error {
	if k == nil {
		return errors.New("no issuer key")
	}
	p := k.Point()
	switch {
	case !p.IsOnCurve():
		return errors.New("issuer key not on the curve (zero value)")
	case p.IsZero():
		return errors.New("issuer key is the identity")
	case !p.IsInSubGroup():
		return errors.New("issuer key not in the prime-order subgroup")
	}
	return nil
}

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

func below64(e *fr.Element) bool {
	var b big.Int
	return e.BigInt(&b).Cmp(two64) < 0
}

// check validates st against shape. It checks the issuer key again where
// it enters the circuit (small-order points and the identity would let
// anyone forge the issuer's signature, and the circuit leaves subgroup
// membership to this check): did.NewZKPublicKey and did.ParseZKPublicKey
// only return valid keys, but the zero did.ZKPublicKey is not one.
func (st *Statement) check(s Shape) error {
	if err := checkIssuerKey(st.Issuer); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidStatement, err)
	}
	if len(st.Predicates) > s.Predicates {
		return fmt.Errorf("%w: %d predicates, shape allows %d", ErrInvalidStatement, len(st.Predicates), s.Predicates)
	}
	for i, p := range st.Predicates {
		if err := p.check(s, i); err != nil {
			return fmt.Errorf("%w: predicate %d: %v", ErrInvalidStatement, i, err)
		}
	}
	if !s.Nullifier && !st.Scope.IsZero() {
		return fmt.Errorf("%w: shape has no nullifier", ErrInvalidStatement)
	}
	if len(st.Disclose) > 0 && !s.Disclosure {
		return fmt.Errorf("%w: shape has no disclosure", ErrInvalidStatement)
	}
	seen := make(map[int]bool)
	for _, d := range st.Disclose {
		if d < 0 || d >= s.Slots || seen[d] {
			return fmt.Errorf("%w: disclosed slot %d out of range or repeated", ErrInvalidStatement, d)
		}
		seen[d] = true
	}
	return nil
}

func (p Predicate) check(s Shape, pos int) error {
	if int(p.Op) >= numOps {
		return fmt.Errorf("unknown operator %d", p.Op)
	}
	if p.Op == OpNone {
		if p.Slot != 0 || !p.A.IsZero() || !p.B.IsZero() {
			return errors.New("no-op with slot or operands")
		}
		return nil
	}
	if p.Slot < 0 || p.Slot >= s.Slots {
		return fmt.Errorf("slot %d out of range", p.Slot)
	}
	if p.Op.isSet() && pos >= s.SetPredicates {
		return fmt.Errorf("set operator at position %d, shape allows them at the first %d", pos, s.SetPredicates)
	}
	if p.Op != OpBetween && !p.B.IsZero() {
		return errors.New("operand B must be zero")
	}
	if p.Op.isRange() && (!below64(&p.A) || !below64(&p.B)) {
		return errors.New("comparison operand not below 2^64")
	}
	return nil
}

// predicateAt returns the predicate at position i (a no-op past the list).
func (st *Statement) predicateAt(i int) Predicate {
	if i < len(st.Predicates) {
		return st.Predicates[i]
	}
	return Predicate{}
}

func (st *Statement) discloses(slot int) bool {
	for _, d := range st.Disclose {
		if d == slot {
			return true
		}
	}
	return false
}

// ParseShape reads a shape as programs take it on the command line:
// "default" (or ""), "reference", or a Shape as JSON
// ({"slots":8,"predicates":2,...}). Unknown JSON fields and invalid
// shapes are errors wrapping [ErrInvalidShape].
func ParseShape(s string) (Shape, error) {
	switch s {
	case "", "default":
		return DefaultShape(), nil
	case "reference":
		return ReferenceShape(), nil
	}
	var shape Shape
	if err := strictjson.Unmarshal([]byte(s), &shape); err != nil {
		return Shape{}, fmt.Errorf("%w: %v", ErrInvalidShape, err)
	}
	if err := shape.Validate(); err != nil {
		return Shape{}, err
	}
	return shape, nil
}
