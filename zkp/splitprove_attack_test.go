package zkp

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// TestSplitAttackWrongAnswerDropsKeys: a helper whose answer is well
// formed, names the request and the key, and is wrong (a helper worker
// still holding the points of another key of the same fingerprint, a
// fault in the other worker) made Prove with WithSplit fail with
// ErrInvalidKey alone, the error of a proving key that is not the
// verifying key's: the browser wallet then dropped its good keys and
// downloaded them again, and the citizen's proof failed, where a failed
// helper is documented to cost time, never the proof. The self-check
// cannot tell the two apart, so Prove proves again on its own thread (the
// presentation made once, not with the disclosed values twice), and a
// proving key that is really wrong is still refused there.
func TestSplitAttackWrongAnswerDropsKeys(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	if len(f.st.Disclose) == 0 {
		f.st.Disclose = []int{slotLevel}
	}
	gen := g1Gen()
	var calls atomic.Int32
	wrongA := func(_, a []byte) ([]byte, error) { copy(a[80:], appendG1(nil, &gen)); return a, nil }

	p, err := ProveSplit(keys, &f.st, &f.w, goHelper(t, keys, &calls, wrongA))
	if p != nil || !errors.Is(err, ErrSplitHelper) || !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("ProveSplit with a wrong answer: %v (presentation %v), want ErrSplitHelper and ErrInvalidKey", err, p != nil)
	}

	calls.Store(0)
	p, err = Prove(keys.WithSplit(goHelper(t, keys, &calls, wrongA)), &f.st, &f.w)
	if err != nil {
		t.Fatalf("Prove with a wrong helper answer: %v, want a proof made on this thread", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("helper called %d times, want 1", calls.Load())
	}
	if len(p.Disclosed) != len(f.st.Disclose) {
		t.Fatalf("%d disclosed values for %d asked", len(p.Disclosed), len(f.st.Disclose))
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatal(err)
	}

	// A proving key that is not the verifying key's, with an honest helper
	// of that key: refused, ErrInvalidKey, no presentation.
	pk := *keys.g16
	pk.G1.K = append([]bn254.G1Affine(nil), pk.G1.K...)
	pk.G1.K[0].Add(&pk.G1.K[0], &gen)
	forged := &Keys{VerifyingKey: keys.VerifyingKey, ccs: keys.ccs, g16: &pk}
	calls.Store(0)
	p, err = Prove(forged.WithSplit(goHelper(t, forged, &calls, nil)), &f.st, &f.w)
	if p != nil || !errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrSplitHelper) || calls.Load() != 1 {
		t.Fatalf("Prove with a forged proving key and a helper: %v (presentation %v, %d helper calls), want ErrInvalidKey from the proof on this thread", err, p != nil, calls.Load())
	}
}
