package zkp

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards/eddsa"
	"github.com/consensys/gnark/frontend"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/zkp/internal/circuit"
)

// ErrUnsatisfied is returned by [Prove] when the holder's credential does
// not satisfy the statement (bad signature, expired, revoked, a predicate
// false), before any proving work. The message names what failed.
var ErrUnsatisfied = errors.New("zkp: statement not satisfied")

// ErrInvalidWitness is returned when the holder inputs do not fit the shape
// (slot count, missing or mis-sized tree paths, bad signature encoding).
var ErrInvalidWitness = errors.New("zkp: invalid holder inputs")

// Credential is the part of a stored credential the circuit proves about.
type Credential struct {
	SchemaID     fr.Element
	Slots        []fr.Element // exactly Shape.Slots encoded slots
	RevocationID uint64
	Expiry       uint64 // Unix seconds
	// Signature is the issuer's ZK signature over
	// zkhash.Message(SchemaID, HolderCommitment(secret), RevocationID, Expiry, Slots).
	Signature credential.ZKSignature
}

// Witness is the holder's secret input to [Prove].
type Witness struct {
	Credential Credential
	// Secret is the holder secret the credential is bound to. It must be
	// kept secret.
	Secret fr.Element
	// Revocation proves the credential's RevocationID is not in the issuer's
	// revocation tree (status.Tree.NonMembership).
	Revocation *status.Witness
	// Sets holds, per predicate position, the set witness for set operators:
	// Membership(SetValue(v)) for in set, NonMembership(SetValue(v)) for not
	// in set (credential/status NewSetTree); nil elsewhere.
	Sets []*status.Witness
}

func unsatisfied(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsatisfied, fmt.Sprintf(format, args...))
}

// output holds the values a presentation carries that the prover computes.
type output struct {
	nullifier fr.Element
	disclosed []fr.Element // per slot, zero unless disclosed
}

// check verifies natively that w satisfies st for shape s, and computes
// the nullifier and disclosed values. It never touches the circuit.
func check(s Shape, st *Statement, w *Witness) (*output, error) {
	c := &w.Credential
	if len(c.Slots) != s.Slots {
		return nil, fmt.Errorf("%w: %d slots, shape has %d", ErrInvalidWitness, len(c.Slots), s.Slots)
	}
	if w.Revocation == nil || len(w.Revocation.Siblings) != s.RevocationDepth {
		return nil, fmt.Errorf("%w: revocation path missing or not of depth %d", ErrInvalidWitness, s.RevocationDepth)
	}
	if len(w.Sets) > s.Predicates {
		return nil, fmt.Errorf("%w: %d set witnesses for %d predicates", ErrInvalidWitness, len(w.Sets), s.Predicates)
	}
	if c.Signature.IsZero() {
		return nil, fmt.Errorf("%w: no signature", ErrInvalidWitness)
	}
	var sig eddsa.Signature
	if _, err := sig.SetBytes(c.Signature.Bytes()); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrInvalidWitness, err)
	}

	// 1-2. Signature over the message with the recomputed holder commitment.
	if !c.SchemaID.Equal(&st.SchemaID) {
		return nil, unsatisfied("credential schema differs from the requested schema")
	}
	msg := zkhash.Message(c.SchemaID, credential.HolderCommitment(w.Secret), c.RevocationID, c.Expiry, c.Slots)
	mb := msg.Bytes()
	pub := eddsa.PublicKey{A: st.Issuer.Point()}
	if ok, err := pub.Verify(c.Signature.Bytes(), mb[:], zkhash.NewEdDSA()); err != nil || !ok {
		return nil, unsatisfied("issuer signature does not verify (other issuer, altered attributes or wrong holder secret)")
	}

	// 4. Expiry and revocation.
	if c.Expiry < st.Now {
		return nil, unsatisfied("credential expired at %d, now %d", c.Expiry, st.Now)
	}
	var id fr.Element
	id.SetUint64(c.RevocationID)
	if err := w.Revocation.VerifyNonMembership(st.RevocationRoot, s.RevocationDepth, id); err != nil {
		return nil, unsatisfied("revocation: credential revoked or witness not for this root: %v", err)
	}
	if !below64(&w.Revocation.LowValue) || !below64(&w.Revocation.LowNext) {
		return nil, unsatisfied("revocation: low leaf not 64-bit")
	}

	// 3. Predicates.
	for i := range s.Predicates {
		p := st.predicateAt(i)
		var sw *status.Witness
		if i < len(w.Sets) {
			sw = w.Sets[i]
		}
		if err := checkPredicate(s, p, c.Slots, sw); err != nil {
			return nil, unsatisfied("predicate %d (%s): %v", i, p, err)
		}
	}

	return outputs(s, st, w), nil
}

// outputs computes the nullifier and disclosed values.
func outputs(s Shape, st *Statement, w *Witness) *output {
	out := &output{disclosed: make([]fr.Element, s.Slots)}
	for _, d := range st.Disclose {
		out.disclosed[d] = w.Credential.Slots[d]
	}
	if !st.Scope.IsZero() {
		out.nullifier = credential.Nullifier(w.Secret, st.Scope)
	}
	return out
}

func checkPredicate(s Shape, p Predicate, slots []fr.Element, sw *status.Witness) error {
	if p.Op == OpNone {
		return nil
	}
	v := slots[p.Slot]
	if p.Op.isRange() && !below64(&v) {
		return errors.New("slot value not 64-bit")
	}
	var vb, a, b big.Int
	v.BigInt(&vb)
	p.A.BigInt(&a)
	p.B.BigInt(&b)
	ok := true
	switch p.Op {
	case OpEq:
		ok = v.Equal(&p.A)
	case OpNe:
		ok = !v.Equal(&p.A)
	case OpLt:
		ok = vb.Cmp(&a) < 0
	case OpLe:
		ok = vb.Cmp(&a) <= 0
	case OpGt:
		ok = vb.Cmp(&a) > 0
	case OpGe:
		ok = vb.Cmp(&a) >= 0
	case OpBetween:
		ok = vb.Cmp(&a) >= 0 && vb.Cmp(&b) <= 0
	case OpInSet, OpNotInSet:
		if sw == nil || len(sw.Siblings) != s.SetDepth {
			return fmt.Errorf("set witness missing or not of depth %d", s.SetDepth)
		}
		x, err := status.SetValue(v)
		if err != nil {
			return err
		}
		if p.Op == OpInSet {
			if err := sw.VerifyMembership(p.A, s.SetDepth, x); err != nil {
				return fmt.Errorf("not a member: %w", err)
			}
		} else if err := sw.VerifyNonMembership(p.A, s.SetDepth, x); err != nil {
			return fmt.Errorf("a member: %w", err)
		}
	}
	if !ok {
		return errors.New("false")
	}
	return nil
}

// assignment builds the full circuit assignment. check must have passed.
func assignment(s Shape, st *Statement, w *Witness, out *output) *circuit.Circuit {
	a := publicAssignment(s, st, out)
	c := &w.Credential
	for i := range c.Slots {
		a.Slots[i] = c.Slots[i]
	}
	a.Secret = w.Secret
	a.RevocationID = c.RevocationID
	a.Expiry = c.Expiry
	var sig eddsa.Signature
	_, _ = sig.SetBytes(c.Signature.Bytes()) // checked by check
	a.SigR.X, a.SigR.Y = sig.R.X, sig.R.Y
	a.SigS = new(big.Int).SetBytes(sig.S[:])
	assignTree(&a.Revocation, w.Revocation, s.RevocationDepth)
	for i := range a.Sets {
		var sw *status.Witness
		if i < len(w.Sets) && st.predicateAt(i).Op.isSet() {
			sw = w.Sets[i]
		}
		assignTree(&a.Sets[i], sw, s.SetDepth)
	}
	return a
}

func assignTree(t *circuit.Tree, w *status.Witness, depth int) {
	if w == nil { // unused set position: any values satisfy it
		t.LowValue, t.LowNext, t.Index = 0, 0, 0
		for i := range t.Siblings {
			t.Siblings[i] = 0
		}
		return
	}
	t.LowValue, t.LowNext, t.Index = w.LowValue, w.LowNext, w.Index
	for i := 0; i < depth; i++ {
		t.Siblings[i] = w.Siblings[i]
	}
}

// publicAssignment computes the public inputs from the statement and the
// prover's outputs (nullifier, disclosed values).
func publicAssignment(s Shape, st *Statement, out *output) *circuit.Circuit {
	a := newCircuit(s)
	ik := st.Issuer.Point()
	a.IssuerX, a.IssuerY = ik.X, ik.Y
	a.SchemaID = st.SchemaID
	a.Now = st.Now
	a.RevocationRoot = st.RevocationRoot
	a.RequestHash = st.RequestHash
	if s.Nullifier {
		a.Scope[0] = st.Scope
		a.Nullifier[0] = out.nullifier
	}
	for i := range a.Predicates {
		p := st.predicateAt(i)
		a.Predicates[i] = circuit.Predicate{Slot: p.Slot, Op: int(p.Op), A: p.A, B: p.B}
	}
	if s.Disclosure {
		for i := range a.DiscloseMask {
			m := 0
			if st.discloses(i) {
				m = 1
			}
			a.DiscloseMask[i] = m
			a.Disclosed[i] = out.disclosed[i]
		}
	}
	return a
}

var _ frontend.Circuit = (*circuit.Circuit)(nil)

// publicVector returns the public inputs of publicAssignment(s, st, out)
// as the field-element vector gnark's witness holds, in the order gnark
// assigns public variables (the Circuit's public fields in declaration
// order, nested fields in order), without reflection. It must stay in step
// with Circuit: TestPublicVectorMatchesWitness compares it with
// frontend.NewWitness for several shapes.
func publicVector(s Shape, st *Statement, out *output) fr.Vector {
	v := make(fr.Vector, 0, 6+2+4*s.Predicates+2*s.Slots)
	el := func(x uint64) fr.Element { var e fr.Element; e.SetUint64(x); return e }
	ik := st.Issuer.Point()
	v = append(v, ik.X, ik.Y, st.SchemaID, el(st.Now), st.RevocationRoot, st.RequestHash)
	if s.Nullifier {
		v = append(v, st.Scope, out.nullifier)
	}
	for i := 0; i < s.Predicates; i++ {
		p := st.predicateAt(i)
		v = append(v, el(uint64(p.Slot)), el(uint64(p.Op)), p.A, p.B)
	}
	if s.Disclosure {
		for i := 0; i < s.Slots; i++ {
			var m uint64
			if st.discloses(i) {
				m = 1
			}
			v = append(v, el(m))
		}
		v = append(v, out.disclosed...)
	}
	return v
}
