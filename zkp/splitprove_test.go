package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// goHelper is a SplitStart that answers on another goroutine, as a second
// Web Worker does in the browser; answer may rewrite the answer.
func goHelper(t testing.TB, keys *Keys, calls *atomic.Int32, answer func(req, ans []byte) ([]byte, error)) SplitStart {
	t.Helper()
	hk, err := keys.SplitHelperKey()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseSplitHelper(hk)
	if err != nil {
		t.Fatal(err)
	}
	return func(req []byte) func() ([]byte, error) {
		calls.Add(1)
		type result struct {
			b   []byte
			err error
		}
		ch := make(chan result, 1)
		req = bytes.Clone(req)
		go func() {
			b, err := h.Answer(req)
			if err == nil && answer != nil {
				b, err = answer(req, b)
			}
			ch <- result{b, err}
		}()
		return func() ([]byte, error) { r := <-ch; return r.b, r.err }
	}
}

// TestProveSplit: a split proof verifies like one from Prove, with the
// same public outputs, and is randomized like it.
func TestProveSplit(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	var calls atomic.Int32
	start := goHelper(t, keys, &calls, nil)
	p1, err := ProveSplit(keys, &f.st, &f.w, start)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ProveSplit(keys, &f.st, &f.w, start)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("helper called %d times, want 2", calls.Load())
	}
	ref, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Presentation{p1, p2} {
		if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
			t.Fatal(err)
		}
		if p.Nullifier != ref.Nullifier || len(p.Disclosed) != len(ref.Disclosed) || p.Backend != ref.Backend || p.Key != ref.Key {
			t.Fatal("a split proof's public outputs differ from Prove's")
		}
	}
	if bytes.Equal(p1.Proof, p2.Proof) {
		t.Fatal("two split proofs are equal: no randomness")
	}
	// Another statement: the proof does not transfer.
	other := f.st
	other.Now++
	if err := Verify(keys.VerifyingKey, &other, p1); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("split proof verified for another statement: %v", err)
	}
}

// TestProveSplitHelperFaults: whatever the helper answers, ProveSplit
// releases a proof only if it verifies; every fault is ErrSplitHelper (so
// that Prove with WithSplit proves again on its own thread), and a wrong
// point in a well-formed answer ErrInvalidKey too (the self-check).
func TestProveSplitHelperFaults(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	var calls atomic.Int32
	// A stale answer: the answer to a request made earlier, for another
	// holder (the same witness makes the same request).
	var stale []byte
	{
		other := newFixture(t, testShape)
		start := goHelper(t, keys, &calls, func(_, ans []byte) ([]byte, error) { stale = ans; return ans, nil })
		if _, err := ProveSplit(keys, &other.st, &other.w, start); err != nil {
			t.Fatal(err)
		}
	}
	gen1, gen2 := g1Gen(), g2Gen()
	for name, tc := range map[string]struct {
		answer func(req, ans []byte) ([]byte, error)
		want   error
	}{
		"helper error":     {func(_, _ []byte) ([]byte, error) { return nil, errors.New("worker gone") }, ErrSplitHelper},
		"empty":            {func(_, _ []byte) ([]byte, error) { return nil, nil }, ErrSplitHelper},
		"truncated":        {func(_, a []byte) ([]byte, error) { return a[:len(a)-1], nil }, ErrSplitHelper},
		"longer":           {func(_, a []byte) ([]byte, error) { return append(a, 0), nil }, ErrSplitHelper},
		"stale answer":     {func(_, _ []byte) ([]byte, error) { return stale, nil }, ErrSplitHelper},
		"other key":        {func(_, a []byte) ([]byte, error) { a[20] ^= 1; return a, nil }, ErrSplitHelper},
		"bad magic":        {func(_, a []byte) ([]byte, error) { a[0] = 'Z'; return a, nil }, ErrSplitHelper},
		"B₂ off the curve": {func(_, a []byte) ([]byte, error) { a[len(a)-1] ^= 1; return a, nil }, ErrSplitHelper},
		"A off the curve":  {func(_, a []byte) ([]byte, error) { a[80+63] ^= 1; return a, nil }, ErrSplitHelper},
		"B₁ off the curve": {func(_, a []byte) ([]byte, error) { a[80+127] ^= 1; return a, nil }, ErrSplitHelper},
		"non-canonical":    {func(_, a []byte) ([]byte, error) { copy(a[80:112], bytes.Repeat([]byte{0xff}, 32)); return a, nil }, ErrSplitHelper},
		"B₂ off subgroup":  {func(_, a []byte) ([]byte, error) { p := offSubgroupG2(t); return appendG2(a[:80+128], &p), nil }, ErrSplitHelper},
		"wrong B₂":         {func(_, a []byte) ([]byte, error) { return appendG2(a[:80+128], &gen2), nil }, ErrInvalidKey},
		"B₂ infinity":      {func(_, a []byte) ([]byte, error) { return append(a[:80+128], make([]byte, 128)...), nil }, ErrInvalidKey},
		"wrong A":          {func(_, a []byte) ([]byte, error) { copy(a[80:], appendG1(nil, &gen1)); return a, nil }, ErrInvalidKey},
		"wrong B₁":         {func(_, a []byte) ([]byte, error) { copy(a[80+64:], appendG1(nil, &gen1)); return a, nil }, ErrInvalidKey},
		"A infinity":       {func(_, a []byte) ([]byte, error) { copy(a[80:], make([]byte, 64)); return a, nil }, ErrInvalidKey},
		"swapped A, B₁": {func(_, a []byte) ([]byte, error) {
			x := bytes.Clone(a[80:144])
			copy(a[80:], a[144:208])
			copy(a[144:], x)
			return a, nil
		}, ErrInvalidKey},
		"hostile string": {func(_, a []byte) ([]byte, error) { return []byte(strings.Repeat("x", 1<<20)), nil }, ErrSplitHelper},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := ProveSplit(keys, &f.st, &f.w, goHelper(t, keys, &calls, tc.answer))
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrSplitHelper) || p != nil {
				t.Fatalf("got %v (presentation %v), want %v", err, p != nil, tc.want)
			}
		})
	}
}

// TestProveSplitPLONK: PLONK keys are proved by Prove; the helper is not
// called, and a PLONK key has no helper key.
func TestProveSplitPLONK(t *testing.T) {
	keys := keysFor(t, PLONK)
	f := newFixture(t, testShape)
	var calls atomic.Int32
	p, err := ProveSplit(keys, &f.st, &f.w, func([]byte) func() ([]byte, error) {
		calls.Add(1)
		return func() ([]byte, error) { return nil, errors.New("unused") }
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Fatal("helper called for PLONK keys")
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.SplitHelperKey(); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("SplitHelperKey for PLONK: %v", err)
	}
	// Unsatisfied witness: refused before any helper call, as in Prove.
	g := keysFor(t, Groth16)
	bad := f.w
	bad.Credential.Slots[slotBirth] = el(testCut + 1000)
	if _, err := ProveSplit(g, &f.st, &bad, goHelper(t, g, &calls, nil)); !errors.Is(err, ErrUnsatisfied) || calls.Load() != 0 {
		t.Fatalf("unsatisfied witness: %v (helper calls %d)", err, calls.Load())
	}
}

// TestSplitFormats: the helper key and the request are read to their
// exact layout; everything else is ErrSplitFormat.
func TestSplitFormats(t *testing.T) {
	keys := keysFor(t, Groth16)
	hk, err := keys.SplitHelperKey()
	if err != nil {
		t.Fatal(err)
	}
	nA, n := int(binary.BigEndian.Uint32(hk[48:])), int(binary.BigEndian.Uint32(hk[52:]))
	if len(hk) != splitHead+nA*g1Size+n*(g1Size+g2Size) || n == 0 || nA == 0 {
		t.Fatalf("helper key of %d bytes for %d and %d points", len(hk), nA, n)
	}
	pointB2 := splitHead + nA*g1Size + n*g1Size // the first [B]₂ point
	h, err := ParseSplitHelper(hk)
	if err != nil {
		t.Fatal(err)
	}
	if h.Fingerprint() != keys.VerifyingKey.Fingerprint() {
		t.Fatal("helper fingerprint")
	}
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(hk)) }
	p := fp.Modulus().Bytes()
	for name, b := range map[string][]byte{
		"empty":      nil,
		"magic":      mut(func(b []byte) []byte { b[3] ^= 1; return b }),
		"truncated":  hk[:len(hk)-1],
		"longer":     append(bytes.Clone(hk), 0),
		"count high": mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[52:], uint32(n+1)); return b }),
		"counts moved": mut(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[48:], uint32(nA+3))
			binary.BigEndian.PutUint32(b[52:], uint32(n-1))
			return b
		}),
		"count huge":     mut(func(b []byte) []byte { binary.BigEndian.PutUint32(b[48:], 0xffffffff); return b }),
		"modulus coord":  mut(func(b []byte) []byte { copy(b[splitHead+32-len(p):], p); return b }),
		"A off curve":    mut(func(b []byte) []byte { b[splitHead+63] ^= 1; return b }),
		"B₁ off curve":   mut(func(b []byte) []byte { b[splitHead+nA*g1Size+63] ^= 1; return b }),
		"B₂ off curve":   mut(func(b []byte) []byte { b[pointB2+127] ^= 1; return b }),
		"B₂ modulus":     mut(func(b []byte) []byte { copy(b[pointB2+32-len(p):], p); return b }),
		"request as key": append([]byte(splitReqMagic), hk[16:]...),
	} {
		t.Run("key/"+name, func(t *testing.T) {
			if _, err := ParseSplitHelper(b); !errors.Is(err, ErrSplitFormat) {
				t.Fatalf("%v, want ErrSplitFormat", err)
			}
		})
	}

	req := make([]byte, splitHead, splitHead+(nA+n)*fr.Bytes)
	copy(req, splitReqMagic)
	copy(req[16:], hk[16:48])
	binary.BigEndian.PutUint32(req[48:], uint32(nA))
	binary.BigEndian.PutUint32(req[52:], uint32(n))
	for i := range nA + n {
		e := el(uint64(i + 1))
		b := e.Bytes()
		req = append(req, b[:]...)
	}
	if _, err := h.Answer(req); err != nil {
		t.Fatal(err)
	}
	r := fr.Modulus().Bytes()
	mreq := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(req)) }
	for name, b := range map[string][]byte{
		"empty":       nil,
		"other key":   mreq(func(b []byte) []byte { b[40] ^= 1; return b }),
		"short count": mreq(func(b []byte) []byte { binary.BigEndian.PutUint32(b[52:], uint32(n-1)); return b[:len(b)-fr.Bytes] }),
		"counts moved": mreq(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[48:], uint32(nA+1))
			binary.BigEndian.PutUint32(b[52:], uint32(n-1))
			return b
		}),
		"length":    req[:len(req)-1],
		"modulus":   mreq(func(b []byte) []byte { copy(b[splitHead+fr.Bytes-len(r):], r); return b }),
		"key magic": mreq(func(b []byte) []byte { copy(b, splitKeyMagic); return b }),
	} {
		t.Run("request/"+name, func(t *testing.T) {
			if _, err := h.Answer(b); !errors.Is(err, ErrSplitFormat) {
				t.Fatalf("%v, want ErrSplitFormat", err)
			}
		})
	}
}

// FuzzSplitFormats: neither parser panics or allocates beyond the ceiling,
// errors wrap ErrSplitFormat, and an accepted helper key re-encodes to the
// same bytes.
func FuzzSplitFormats(f *testing.F) {
	keys := keysFor(f, Groth16)
	hk, err := keys.SplitHelperKey()
	if err != nil {
		f.Fatal(err)
	}
	h, err := ParseSplitHelper(hk)
	if err != nil {
		f.Fatal(err)
	}
	small := bytes.Clone(hk[:splitHead])
	binary.BigEndian.PutUint32(small[48:], 1)
	binary.BigEndian.PutUint32(small[52:], 1)
	nA := int(binary.BigEndian.Uint32(hk[48:]))
	small = append(small, hk[splitHead:splitHead+g1Size]...)
	small = append(small, hk[splitHead+nA*g1Size:splitHead+nA*g1Size+g1Size]...)
	f.Add(append(small, hk[len(hk)-g2Size:]...))
	f.Add(append([]byte(splitReqMagic), hk[16:splitHead]...))
	f.Add([]byte(splitKeyMagic + strings.Repeat("\xff", 40)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var (
			got *SplitHelper
			err error
		)
		withinCeiling(t, "ParseSplitHelper", func() { got, err = ParseSplitHelper(b) })
		if err != nil && !errors.Is(err, ErrSplitFormat) {
			t.Fatalf("error %v does not wrap ErrSplitFormat", err)
		}
		if err == nil {
			again := make([]byte, splitHead)
			copy(again, b[:splitHead])
			for i := range got.a {
				again = appendG1(again, &got.a[i])
			}
			for i := range got.b1 {
				again = appendG1(again, &got.b1[i])
			}
			for i := range got.b2 {
				again = appendG2(again, &got.b2[i])
			}
			if !bytes.Equal(again, b) {
				t.Fatal("an accepted helper key does not re-encode to its bytes")
			}
		}
		withinCeiling(t, "Answer", func() { _, err = h.Answer(b) })
		if err != nil && !errors.Is(err, ErrSplitFormat) {
			t.Fatalf("error %v does not wrap ErrSplitFormat", err)
		}
	})
}

func g1Gen() bn254.G1Affine {
	_, _, g1, _ := bn254.Generators()
	return g1
}

func g2Gen() bn254.G2Affine {
	_, _, _, g2 := bn254.Generators()
	return g2
}

// offSubgroupG2 returns a point on the twist that is not in the
// prime-order subgroup (the twist's cofactor is large, so almost every
// point is such a one).
func offSubgroupG2(t testing.TB) bn254.G2Affine {
	t.Helper()
	g := g2Gen()
	var b, y2 bn254.E2
	b.Square(&g.Y)
	y2.Square(&g.X).Mul(&y2, &g.X)
	b.Sub(&b, &y2) // the twist's b
	var p bn254.G2Affine
	for i := uint64(1); i < 100; i++ {
		p.X.A0.SetUint64(i)
		p.X.A1.SetOne()
		y2.Square(&p.X).Mul(&y2, &p.X).Add(&y2, &b)
		if y2.Legendre() != 1 {
			continue
		}
		p.Y.Sqrt(&y2)
		if p.IsOnCurve() && !p.IsInSubGroup() {
			return p
		}
	}
	t.Fatal("no point off the subgroup found")
	return p
}

// TestWithSplit: keys with a split helper prove through it with Prove;
// a helper that fails falls back to proving on this thread (the citizen
// still gets a proof), and so does a helper whose well-formed answer is
// wrong (TestSplitAttackWrongAnswerDropsKeys).
func TestWithSplit(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	var calls atomic.Int32
	p, err := Prove(keys.WithSplit(goHelper(t, keys, &calls, nil)), &f.st, &f.w)
	if err != nil || calls.Load() != 1 {
		t.Fatalf("Prove with a helper: %v, %d calls", err, calls.Load())
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatal(err)
	}
	gone := keys.WithSplit(goHelper(t, keys, &calls, func(_, _ []byte) ([]byte, error) { return nil, errors.New("worker terminated") }))
	if p, err = Prove(gone, &f.st, &f.w); err != nil || calls.Load() != 2 {
		t.Fatalf("Prove with a failed helper: %v, %d calls", err, calls.Load())
	}
	if err := Verify(keys.VerifyingKey, &f.st, p); err != nil {
		t.Fatal(err)
	}
	gen := g1Gen()
	wrong := keys.WithSplit(goHelper(t, keys, &calls, func(_, a []byte) ([]byte, error) { copy(a[80:], appendG1(nil, &gen)); return a, nil }))
	if p, err := Prove(wrong, &f.st, &f.w); err != nil || Verify(keys.VerifyingKey, &f.st, p) != nil {
		t.Fatalf("Prove with a wrong answer: %v", err)
	}
	if keys.WithSplit(nil) != keys {
		t.Fatal("WithSplit(nil) made a copy")
	}
	pl := keysFor(t, PLONK)
	if pl.WithSplit(goHelper(t, keys, &calls, nil)) != pl {
		t.Fatal("WithSplit on PLONK keys made a copy")
	}
}
