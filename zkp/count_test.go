package zkp

import "testing"

// TestConstraintCounts logs the circuit sizes and checks they stay within
// the power-of-two domains the targets name (2^14 R1CS and 2^15 PLONK for
// the reference shape, 2^15 R1CS for the default shape).
func TestConstraintCounts(t *testing.T) {
	for _, c := range []struct {
		shape     Shape
		b         Backend
		maxDomain int
	}{
		{ReferenceShape, Groth16, 16300},
		{ReferenceShape, PLONK, 1<<15 - nbPublic(ReferenceShape)},
		{DefaultShape, Groth16, 1 << 15},
	} {
		ccs, err := Compile(c.shape, c.b)
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
