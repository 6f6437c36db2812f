package zkp

import "testing"

// BenchmarkVerifyGroth16 measures Verify alone (statement checks, public
// inputs, pairing check) on the test shape.
func BenchmarkVerifyGroth16(b *testing.B) {
	keys := keysFor(b, Groth16)
	f := newFixture(b, testShape)
	p, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
			b.Fatal(err)
		}
	}
}
