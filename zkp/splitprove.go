package zkp

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"runtime"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
)

// Split proving: a Groth16 proof made on two threads of a runtime that
// gives a Go program only one (WebAssembly in a browser, where each Web
// Worker runs its own instance of the module). Three of the prover's
// multi-scalar multiplications need nothing but the witness and fixed
// points of the proving key: Σ aᵢ·[Aᵢ]₁, Σ bᵢ·[Bᵢ]₁ and Σ bᵢ·[Bᵢ]₂ (the
// one in G2, the costliest per point). A second worker holding only those
// points (a [SplitHelper]) computes them, about half of the prover's work,
// while [ProveSplit] solves the circuit and computes H, Σ kᵢ·Kᵢ and
// Σ hᵢ·Zᵢ. The helper learns the witness's values (it is the same wallet,
// on the same device) and never the proof's randomness: [ProveSplit] adds
// α, β, r·δ and s·δ itself. Formats, versioned (zkp/FORMAT.md, "Split
// proving"):
//
//	helper key: "zkcred-sphelp-v1" ‖ key fingerprint (32) ‖ nA ‖ nB ‖ nA × [Aᵢ]₁ ‖ nB × [Bᵢ]₁ ‖ nB × [Bᵢ]₂
//	request:    "zkcred-spreq-v1\n" ‖ key fingerprint (32) ‖ nA ‖ nB ‖ nA × aᵢ ‖ nB × bᵢ
//	answer:     "zkcred-spans-v1\n" ‖ key fingerprint (32) ‖ SHA-256(request) ‖ ΣA ‖ ΣB₁ ‖ ΣB₂
//
// where nA and nB are uint32 big-endian, a G1 point is x ‖ y and a G2
// point x.A1 ‖ x.A0 ‖ y.A1 ‖ y.A0, each coordinate 32 bytes big-endian
// below the field modulus, the point at infinity being all zero bytes (it
// is on neither curve, so the encoding is unambiguous), and a scalar is 32
// bytes big-endian below the scalar field's modulus.

const (
	splitKeyMagic = "zkcred-sphelp-v1"
	splitReqMagic = "zkcred-spreq-v1\n"
	splitAnsMagic = "zkcred-spans-v1\n"
	splitHead     = 16 + 32 + 4 + 4
	splitAnsSize  = 16 + 32 + 32 + 2*g1Size + g2Size
	g1Size        = 2 * fp.Bytes
	g2Size        = 4 * fp.Bytes
	// maxSplitPoints bounds nA and nB in every split format: no shape has
	// that many wires. Every allocation is also bounded by the input's
	// length.
	maxSplitPoints = 1 << 22
)

// ErrSplitHelper is wrapped by the errors of [ProveSplit] when its helper
// failed or answered something other than the answer to its request; the
// caller can prove with [Prove] instead.
var ErrSplitHelper = errors.New("zkp: split proving helper")

// ErrSplitFormat is wrapped by the errors of [ParseSplitHelper] and
// [SplitHelper.Answer] for bytes that are not a helper key or request of
// this version.
var ErrSplitFormat = errors.New("zkp: malformed split proving data")

// SplitHelperKey returns what a [SplitHelper] needs: the proving key's
// [Aᵢ]₁, [Bᵢ]₁ and [Bᵢ]₂ points, about 4.3 MB for the default shape. It
// is an error wrapping [ErrInvalidKey] for keys that are not Groth16.
func (k *Keys) SplitHelperKey() ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	if k.g16 == nil {
		return nil, fmt.Errorf("%w: split proving needs Groth16 keys, not %s", ErrInvalidKey, k.VerifyingKey.backend)
	}
	pk := k.g16
	if len(pk.G1.B) != len(pk.G2.B) {
		return nil, fmt.Errorf("%w: %d [B]₁ points and %d [B]₂", ErrInvalidKey, len(pk.G1.B), len(pk.G2.B))
	}
	nA, nB := len(pk.G1.A), len(pk.G1.B)
	out := make([]byte, splitHead, splitHead+nA*g1Size+nB*(g1Size+g2Size))
	copy(out, splitKeyMagic)
	copy(out[16:], k.VerifyingKey.fp[:])
	binary.BigEndian.PutUint32(out[48:], uint32(nA))
	binary.BigEndian.PutUint32(out[52:], uint32(nB))
	for i := range pk.G1.A {
		out = appendG1(out, &pk.G1.A[i])
	}
	for i := range pk.G1.B {
		out = appendG1(out, &pk.G1.B[i])
	}
	for i := range pk.G2.B {
		out = appendG2(out, &pk.G2.B[i])
	}
	return out, nil
}

// SplitHelper computes the helper's part of split proofs for one key. Its
// methods are safe for concurrent use.
type SplitHelper struct {
	fp    [32]byte
	a, b1 []bn254.G1Affine
	b2    []bn254.G2Affine
}

// ParseSplitHelper reads a helper key made by [Keys.SplitHelperKey], to
// its exact layout. Every point must be a canonical encoding of a point on
// its curve; G2 subgroup membership is not checked (the expensive part of
// a key load): a helper key is made by the wallet from keys it checked,
// and a wrong point can only give a proof that does not verify, which
// [ProveSplit] never releases. Errors wrap [ErrSplitFormat].
func ParseSplitHelper(b []byte) (*SplitHelper, error) {
	nA, nB, rest, err := splitHeader(b, splitKeyMagic, g1Size, g1Size+g2Size)
	if err != nil {
		return nil, err
	}
	h := &SplitHelper{a: make([]bn254.G1Affine, nA), b1: make([]bn254.G1Affine, nB), b2: make([]bn254.G2Affine, nB)}
	copy(h.fp[:], b[16:48])
	for i := range h.a {
		if err := readG1(&h.a[i], rest[i*g1Size:]); err != nil {
			return nil, fmt.Errorf("%w: [A]₁ point %d: %v", ErrSplitFormat, i, err)
		}
	}
	rest = rest[nA*g1Size:]
	for i := range h.b1 {
		if err := readG1(&h.b1[i], rest[i*g1Size:]); err != nil {
			return nil, fmt.Errorf("%w: [B]₁ point %d: %v", ErrSplitFormat, i, err)
		}
	}
	rest = rest[nB*g1Size:]
	for i := range h.b2 {
		if err := readG2(&h.b2[i], rest[i*g2Size:]); err != nil {
			return nil, fmt.Errorf("%w: [B]₂ point %d: %v", ErrSplitFormat, i, err)
		}
	}
	return h, nil
}

// Fingerprint is the key fingerprint the helper serves.
func (h *SplitHelper) Fingerprint() [32]byte { return h.fp }

// Answer computes the answer to a request made by [ProveSplit]: the
// request must name this helper's key and carry exactly one scalar per
// point. Errors wrap [ErrSplitFormat].
func (h *SplitHelper) Answer(req []byte) ([]byte, error) {
	nA, nB, rest, err := splitHeader(req, splitReqMagic, fr.Bytes, fr.Bytes)
	if err != nil {
		return nil, err
	}
	if [32]byte(req[16:48]) != h.fp {
		return nil, fmt.Errorf("%w: the request is for another key", ErrSplitFormat)
	}
	if nA != len(h.a) || nB != len(h.b1) {
		return nil, fmt.Errorf("%w: %d and %d scalars for %d and %d points", ErrSplitFormat, nA, nB, len(h.a), len(h.b1))
	}
	scalars := make([]fr.Element, nA+nB)
	for i := range scalars {
		if err := scalars[i].SetBytesCanonical(rest[i*fr.Bytes : (i+1)*fr.Bytes]); err != nil {
			return nil, fmt.Errorf("%w: scalar %d: %v", ErrSplitFormat, i, err)
		}
	}
	cfg := ecc.MultiExpConfig{NbTasks: runtime.NumCPU()}
	var a, b1 bn254.G1Jac
	var b2 bn254.G2Jac
	if _, err := a.MultiExp(h.a, scalars[:nA], cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSplitFormat, err)
	}
	if _, err := b1.MultiExp(h.b1, scalars[nA:], cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSplitFormat, err)
	}
	if _, err := b2.MultiExp(h.b2, scalars[nA:], cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSplitFormat, err)
	}
	var pa, pb1 bn254.G1Affine
	var pb2 bn254.G2Affine
	pa.FromJacobian(&a)
	pb1.FromJacobian(&b1)
	pb2.FromJacobian(&b2)
	ans := make([]byte, 0, splitAnsSize)
	ans = append(ans, splitAnsMagic...)
	ans = append(ans, h.fp[:]...)
	d := sha256.Sum256(req)
	ans = append(ans, d[:]...)
	ans = appendG1(ans, &pa)
	ans = appendG1(ans, &pb1)
	return appendG2(ans, &pb2), nil
}

// A SplitStart hands a request to a helper and returns at once; the
// function it returns waits for the helper's answer. [ProveSplit] calls it
// before its own work begins, so that both run together: it must not
// compute the answer itself (in WebAssembly no other goroutine runs until
// the prover waits), but send the request to another thread.
type SplitStart func(request []byte) (wait func() ([]byte, error))

// ProveSplit is [Prove] for Groth16 keys, with three of the proof's
// multi-scalar multiplications computed by a helper that start reaches
// (see [SplitHelper]). The result is the proof [Prove] would make, with
// the same checks and the same distribution; like Prove it verifies the
// proof before returning it. If the helper fails or its answer is not the
// answer to this request, the error wraps [ErrSplitHelper] and nothing is
// released; a proof that does not verify is an error wrapping both
// ErrSplitHelper and [ErrInvalidKey] (the helper's answer or the proving
// key is wrong: [Prove] on this thread tells which). Keys for PLONK, or a
// circuit with commitments, are proved as by [Prove], and start is not
// called.
func ProveSplit(keys *Keys, st *Statement, w *Witness, start SplitStart) (*Presentation, error) {
	full, out, p, err := prepare(keys, st, w)
	if err != nil {
		return nil, err
	}
	if start == nil || !splittable(keys) {
		return proveOne(keys, st, full, out, p)
	}
	return proveSplit(keys, st, full, out, p, start)
}

// WithSplit returns a copy of k whose proofs [Prove] makes with
// [ProveSplit] and start, and on this thread alone if the helper fails
// (an error wrapping [ErrSplitHelper]: a worker that crashed or was never
// started, or an answer with which the proof does not verify), so that a
// wallet's citizen never sees the helper's failure; a proving key that is
// not the verifying key's is still refused (ErrInvalidKey), by the proof
// made on this thread. Keys for PLONK, or a nil start, are returned
// unchanged.
func (k *Keys) WithSplit(start SplitStart) *Keys {
	if k == nil || k.g16 == nil || start == nil {
		return k
	}
	c := *k
	c.split = start
	return &c
}

// splittable reports whether keys are Groth16 keys of a circuit without
// commitments (the built-in circuit has none), which split proving covers.
func splittable(keys *Keys) bool {
	r1cs, ok := keys.ccs.(*csbn254.R1CS)
	return keys.g16 != nil && ok && len(r1cs.CommitmentInfo.(constraint.Groth16Commitments)) == 0
}

func proveSplit(keys *Keys, st *Statement, full witness.Witness, out *output, p *Presentation, start SplitStart) (*Presentation, error) {
	r1cs := keys.ccs.(*csbn254.R1CS)
	pk := keys.g16
	sol, err := r1cs.Solve(full)
	if err != nil {
		return nil, fmt.Errorf("zkp: prove: %w", err)
	}
	solution := sol.(*csbn254.R1CSSolution)
	wires := []fr.Element(solution.W)
	if len(wires) != len(pk.InfinityA) || len(wires) != len(pk.InfinityB) {
		return nil, fmt.Errorf("zkp: internal error: %d wires for a key of %d", len(wires), len(pk.InfinityA))
	}
	wiresA := filterWires(wires, pk.InfinityA, len(pk.G1.A))
	wiresB := filterWires(wires, pk.InfinityB, len(pk.G1.B))
	if len(wiresA) != len(pk.G1.A) || len(wiresB) != len(pk.G1.B) || len(wiresB) != len(pk.G2.B) {
		return nil, fmt.Errorf("zkp: internal error: %d A and %d B wires for a key of %d and %d", len(wiresA), len(wiresB), len(pk.G1.A), len(pk.G1.B))
	}

	// The request goes out first.
	req := make([]byte, splitHead, splitHead+(len(wiresA)+len(wiresB))*fr.Bytes)
	copy(req, splitReqMagic)
	copy(req[16:], keys.VerifyingKey.fp[:])
	binary.BigEndian.PutUint32(req[48:], uint32(len(wiresA)))
	binary.BigEndian.PutUint32(req[52:], uint32(len(wiresB)))
	for _, v := range [][]fr.Element{wiresA, wiresB} {
		for i := range v {
			b := v[i].Bytes()
			req = append(req, b[:]...)
		}
	}
	wait := start(req)

	// The rest of gnark's Groth16 prover (backend/groth16/bn254), the same
	// values: A = α + Σ aᵢAᵢ + r·δ, B = β + Σ bᵢBᵢ + s·δ (in G2, and in G1
	// for C), C = Σ kᵢKᵢ + Σ hᵢZᵢ + s·A + r·B₁ − rs·δ.
	var r, s, rs fr.Element
	if _, err := r.SetRandom(); err != nil {
		return nil, err
	}
	if _, err := s.SetRandom(); err != nil {
		return nil, err
	}
	rs.Mul(&r, &s).Neg(&rs)
	var rBig, sBig big.Int
	r.BigInt(&rBig)
	s.BigInt(&sBig)
	deltas := bn254.BatchScalarMultiplicationG1(&pk.G1.Delta, []fr.Element{r, s, rs})
	cfg := ecc.MultiExpConfig{NbTasks: runtime.NumCPU()}

	h := computeH(solution.A, solution.B, solution.C, &pk.Domain)
	solution.A, solution.B, solution.C = nil, nil, nil
	var krs, z bn254.G1Jac
	if _, err := krs.MultiExp(pk.G1.K, wires[r1cs.GetNbPublicVariables():], cfg); err != nil {
		return nil, fmt.Errorf("zkp: prove: %w", err)
	}
	if _, err := z.MultiExp(pk.G1.Z, h[:int(pk.Domain.Cardinality-1)], cfg); err != nil {
		return nil, fmt.Errorf("zkp: prove: %w", err)
	}
	krs.AddAssign(&z)
	krs.AddMixed(&deltas[2])

	ans, err := wait()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSplitHelper, err)
	}
	var sumA, sumB1 bn254.G1Affine
	var sumB2 bn254.G2Affine
	if err := readAnswer(&sumA, &sumB1, &sumB2, ans, keys.VerifyingKey.fp, req); err != nil {
		return nil, err
	}
	var ar, bs1, t bn254.G1Jac
	ar.FromAffine(&sumA)
	ar.AddMixed(&pk.G1.Alpha)
	ar.AddMixed(&deltas[0])
	bs1.FromAffine(&sumB1)
	bs1.AddMixed(&pk.G1.Beta)
	bs1.AddMixed(&deltas[1])
	t.ScalarMultiplication(&ar, &sBig)
	krs.AddAssign(&t)
	t.ScalarMultiplication(&bs1, &rBig)
	krs.AddAssign(&t)
	var bs, deltaS bn254.G2Jac
	bs.FromAffine(&sumB2)
	deltaS.FromAffine(&pk.G2.Delta)
	deltaS.ScalarMultiplication(&deltaS, &sBig)
	bs.AddAssign(&deltaS)
	bs.AddMixed(&pk.G2.Beta)

	var proof groth16bn254.Proof
	proof.Ar.FromJacobian(&ar)
	proof.Krs.FromJacobian(&krs)
	proof.Bs.FromJacobian(&bs)
	// The self-check cannot tell a wrong answer from the helper (a helper
	// still holding another key of the same fingerprint, a fault in the
	// other worker) from a proving key that is not the verifying key's:
	// the error wraps both, so that Prove (WithSplit) proves again on this
	// thread, where a bad key is refused with ErrInvalidKey alone. finish
	// fills in a copy, leaving p as it was for that proof.
	q := *p
	q.Proof = encodeGroth16Proof(&proof)
	pres, err := finish(keys, st, &q, out)
	if err != nil {
		return nil, fmt.Errorf("%w: the proof made with its answer does not verify: %w", ErrSplitHelper, err)
	}
	return pres, nil
}

// filterWires returns the wire values whose column of the key is not all
// zero (the key holds no point for the others), n of them.
func filterWires(wires []fr.Element, infinity []bool, n int) []fr.Element {
	out := make([]fr.Element, 0, n)
	for i := range wires {
		if !infinity[i] {
			out = append(out, wires[i])
		}
	}
	return out
}

// computeH is H = (A·B − C)/(Xⁿ − 1) in evaluation form on the coset, as
// gnark's prover computes it.
func computeH(a, b, c []fr.Element, domain *fft.Domain) []fr.Element {
	n := int(domain.Cardinality)
	pad := func(v []fr.Element) []fr.Element {
		out := make([]fr.Element, n)
		copy(out, v)
		return out
	}
	a, b, c = pad(a), pad(b), pad(c)
	domain.FFTInverse(a, fft.DIF)
	domain.FFTInverse(b, fft.DIF)
	domain.FFTInverse(c, fft.DIF)
	domain.FFT(a, fft.DIT, fft.OnCoset())
	domain.FFT(b, fft.DIT, fft.OnCoset())
	domain.FFT(c, fft.DIT, fft.OnCoset())
	var den, one fr.Element
	one.SetOne()
	den.Exp(domain.FrMultiplicativeGen, big.NewInt(int64(domain.Cardinality)))
	den.Sub(&den, &one).Inverse(&den)
	for i := range a {
		a[i].Mul(&a[i], &b[i]).Sub(&a[i], &c[i]).Mul(&a[i], &den)
	}
	domain.FFTInverse(a, fft.DIF, fft.OnCoset())
	return a
}

// splitHeader checks a split format's magic and counts against b's exact
// length (nA items of sizeA bytes, then nB of sizeB) and returns the
// counts and the items.
func splitHeader(b []byte, magic string, sizeA, sizeB int) (int, int, []byte, error) {
	if len(b) < splitHead || string(b[:16]) != magic {
		return 0, 0, nil, fmt.Errorf("%w: not a %q value", ErrSplitFormat, magic)
	}
	nA, nB := binary.BigEndian.Uint32(b[48:]), binary.BigEndian.Uint32(b[52:])
	if nA > maxSplitPoints || nB > maxSplitPoints {
		return 0, 0, nil, fmt.Errorf("%w: %d and %d items, at most %d", ErrSplitFormat, nA, nB, maxSplitPoints)
	}
	if uint64(len(b)-splitHead) != uint64(nA)*uint64(sizeA)+uint64(nB)*uint64(sizeB) {
		return 0, 0, nil, fmt.Errorf("%w: %d bytes for %d and %d items", ErrSplitFormat, len(b), nA, nB)
	}
	return int(nA), int(nB), b[splitHead:], nil
}

// readAnswer checks that ans answers req for the key fp and reads its
// points, which must be on their curves and in the prime-order subgroups.
func readAnswer(a, b1 *bn254.G1Affine, b2 *bn254.G2Affine, ans []byte, fp [32]byte, req []byte) error {
	if len(ans) != splitAnsSize || string(ans[:16]) != splitAnsMagic {
		return fmt.Errorf("%w: not an answer (%d bytes)", ErrSplitHelper, len(ans))
	}
	if [32]byte(ans[16:48]) != fp {
		return fmt.Errorf("%w: the answer is for another key", ErrSplitHelper)
	}
	if [32]byte(ans[48:80]) != sha256.Sum256(req) {
		return fmt.Errorf("%w: the answer is to another request", ErrSplitHelper)
	}
	pts := ans[80:]
	if err := readG1(a, pts); err != nil {
		return fmt.Errorf("%w: ΣA: %v", ErrSplitHelper, err)
	}
	if err := readG1(b1, pts[g1Size:]); err != nil {
		return fmt.Errorf("%w: ΣB₁: %v", ErrSplitHelper, err)
	}
	if err := readG2(b2, pts[2*g1Size:]); err != nil {
		return fmt.Errorf("%w: ΣB₂: %v", ErrSplitHelper, err)
	}
	if !a.IsInSubGroup() || !b1.IsInSubGroup() || !b2.IsInSubGroup() {
		return fmt.Errorf("%w: a point of the answer is not in the subgroup", ErrSplitHelper)
	}
	return nil
}

func appendG1(out []byte, p *bn254.G1Affine) []byte {
	if p.IsInfinity() {
		return append(out, make([]byte, g1Size)...)
	}
	for _, e := range []*fp.Element{&p.X, &p.Y} {
		b := e.Bytes()
		out = append(out, b[:]...)
	}
	return out
}

func appendG2(out []byte, p *bn254.G2Affine) []byte {
	if p.IsInfinity() {
		return append(out, make([]byte, g2Size)...)
	}
	for _, e := range []*fp.Element{&p.X.A1, &p.X.A0, &p.Y.A1, &p.Y.A0} {
		b := e.Bytes()
		out = append(out, b[:]...)
	}
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readG1 reads 64 bytes: canonical coordinates of a point on the curve, or
// all zero for the point at infinity.
func readG1(p *bn254.G1Affine, b []byte) error {
	if allZero(b[:g1Size]) {
		p.X.SetZero()
		p.Y.SetZero()
		return nil
	}
	if err := p.X.SetBytesCanonical(b[:fp.Bytes]); err != nil {
		return err
	}
	if err := p.Y.SetBytesCanonical(b[fp.Bytes:g1Size]); err != nil {
		return err
	}
	if !p.IsOnCurve() {
		return errors.New("not on the curve")
	}
	return nil
}

// readG2 reads 128 bytes: canonical coordinates of a point on the twist,
// or all zero for the point at infinity.
func readG2(p *bn254.G2Affine, b []byte) error {
	if allZero(b[:g2Size]) {
		p.X.SetZero()
		p.Y.SetZero()
		return nil
	}
	for i, e := range []*fp.Element{&p.X.A1, &p.X.A0, &p.Y.A1, &p.Y.A0} {
		if err := e.SetBytesCanonical(b[i*fp.Bytes : (i+1)*fp.Bytes]); err != nil {
			return err
		}
	}
	if !p.IsOnCurve() {
		return errors.New("not on the curve")
	}
	return nil
}
