package zkp

import (
	"testing"

	cs "github.com/consensys/gnark/constraint/bn254"
)

// TestConstraintCounts logs the circuit sizes and checks they stay within
// the power-of-two domains the targets name (2^14 R1CS and 2^15 PLONK for
// the reference shape, 2^15 R1CS for the default shape).
func TestConstraintCounts(t *testing.T) {
	for _, c := range []struct {
		shape     Shape
		b         Backend
		maxDomain int
	}{
		{ReferenceShape(), Groth16, 16300},
		{ReferenceShape(), PLONK, 1<<15 - nbPublic(ReferenceShape())},
		{DefaultShape(), Groth16, 1 << 15},
	} {
		ccs, err := compile(c.shape, c.b)
		if err != nil {
			t.Fatal(err)
		}
		n := ccs.GetNbConstraints()
		t.Logf("%s %s: %d constraints", c.shape, c.b, n)
		if n > c.maxDomain {
			t.Errorf("%s %s: %d constraints, budget %d", c.shape, c.b, n, c.maxDomain)
		}
	}
}

// TestGroth16BSideWires guards the Poseidon2 S-box order (internal/circuit/hash.go): the
// wires on the B side of the R1CS each cost a point in Groth16's G2 MSM,
// the prover's most costly per point. gnark's std permutation puts about
// 2,700 more there on the reference shape.
func TestGroth16BSideWires(t *testing.T) {
	ccs, err := compile(ReferenceShape(), Groth16)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		t.Fatalf("compiled %T, want an R1CS", ccs)
	}
	inB := map[int]bool{}
	for _, c := range r.GetR1Cs() {
		for _, term := range c.R {
			inB[term.WireID()] = true
		}
	}
	internal, secret, public := r.GetNbVariables()
	t.Logf("%d of %d wires on the B side", len(inB), internal+secret+public)
	if len(inB) > 8400 {
		t.Errorf("%d wires on the B side, budget 8,400", len(inB))
	}
}
