package zkp

import "github.com/zkcred/zkcred/zkp/internal/circuit"

// The presentation circuit itself, its gadgets and its in-circuit hash are
// in zkp/internal/circuit; this file sizes it from a [Shape].

// params are the circuit sizes of s.
func (s Shape) params() circuit.Params {
	return circuit.Params{
		Slots:           s.Slots,
		Predicates:      s.Predicates,
		SetPredicates:   s.SetPredicates,
		SetDepth:        s.SetDepth,
		RevocationDepth: s.RevocationDepth,
		Disclosure:      s.Disclosure,
		Nullifier:       s.Nullifier,
	}
}

// newCircuit returns an empty circuit of shape s, which must have passed
// [Shape.Validate] (every key, statement and compile path checks it
// first).
func newCircuit(s Shape) *circuit.Circuit {
	c, err := circuit.New(s.params())
	if err != nil {
		panic("zkp: internal error: " + err.Error())
	}
	return c
}
