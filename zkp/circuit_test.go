package zkp

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/zkp/internal/circuit"
)

// TestOpCodesMatchCircuit pins the public operator codes to the ones the
// circuit decodes.
func TestOpCodesMatchCircuit(t *testing.T) {
	for op, want := range map[Op]int{
		OpNone: circuit.OpNone, OpEq: circuit.OpEq, OpNe: circuit.OpNe,
		OpLt: circuit.OpLt, OpLe: circuit.OpLe, OpGt: circuit.OpGt, OpGe: circuit.OpGe,
		OpBetween: circuit.OpBetween, OpInSet: circuit.OpInSet, OpNotInSet: circuit.OpNotInSet,
	} {
		if int(op) != want {
			t.Errorf("%v: zkp code %d, circuit code %d", op, op, want)
		}
	}
	if numOps != circuit.NumOps {
		t.Errorf("zkp has %d operators, the circuit %d", numOps, circuit.NumOps)
	}
}

// TestCircuitRejectsNegativeShape: building a circuit for a negative
// shape is an error, not a panic in make.
func TestCircuitRejectsNegativeShape(t *testing.T) {
	for _, s := range []Shape{
		{Slots: -1, RevocationDepth: 4},
		{Slots: 2, Predicates: -1, RevocationDepth: 4},
		{Slots: 2, Predicates: 1, SetPredicates: -1, RevocationDepth: 4},
		{Slots: 2, Predicates: 1, SetPredicates: 1, SetDepth: -1, RevocationDepth: 4},
		{Slots: 2, RevocationDepth: -1},
		{Slots: 2, Predicates: 1, SetPredicates: 2, SetDepth: 4, RevocationDepth: 4},
	} {
		if _, err := circuit.New(s.params()); !errors.Is(err, circuit.ErrParams) {
			t.Errorf("%+v: err = %v, want ErrParams", s, err)
		}
		if _, err := compile(s, Groth16); !errors.Is(err, ErrInvalidShape) {
			t.Errorf("compile(%+v): err = %v, want ErrInvalidShape", s, err)
		}
	}
}
