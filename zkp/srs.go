package zkp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"

	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
)

// ErrInvalidSRS is returned for an SRS file that does not decode or is too
// small for the circuit, and for a nil or empty [SRS] or nil reader.
var ErrInvalidSRS = errors.New("zkp: invalid SRS")

// MaxSRSPoints bounds the G1 powers an SRS file may hold (2^20 + 3).
const MaxSRSPoints = 1<<20 + 3

// SRS is a universal KZG structured reference string on BN254 in canonical
// (monomial) form: [τ^i]G1 for i < n, and [1]G2, [τ]G2. Its file format is
// gnark-crypto's kzg.SRS WriteTo (compressed points):
//
//	u32 n | n × G1 (32 B) | G2 [1], [τ] (64 B each) | G1 [1] (32 B) | precomputed pairing lines (33792 B)
//
// as produced by gnark-crypto's kzg.SRS.WriteTo, e.g. from a powers-of-tau
// ceremony (see FORMAT.md).
type SRS struct {
	srs kzg.SRS
}

// Size returns the number of G1 powers (0 for a nil or zero SRS).
func (s *SRS) Size() int {
	if s == nil {
		return 0
	}
	return len(s.srs.Pk.G1)
}

// WriteTo writes the SRS file. A nil or zero SRS (fewer than two powers,
// which [ReadSRS] would refuse) is an error wrapping [ErrInvalidSRS].
func (s *SRS) WriteTo(w io.Writer) (int64, error) {
	if s.Size() < 2 {
		return 0, fmt.Errorf("%w: %d powers", ErrInvalidSRS, s.Size())
	}
	return s.srs.WriteTo(w)
}

// srsVKSize is the size of the encoded KZG verifying key that ends an SRS
// file: [1]G2, [τ]G2 (64 B each), [1]G1 (32 B) and the pairing lines.
const srsVKSize = 2*64 + 32 + plonkLinesSize

// ReadSRS reads an SRS file of at most [MaxSRSPoints] powers. It parses
// the layout itself before any gnark-crypto decoder runs: the length
// header against the file's exact length, every point's flag (compressed
// only, so no point can move the offsets), then decodes the powers with
// subgroup checks. The pairing lines stored in the file are not trusted:
// they are recomputed from the two G2 points and must equal the stored
// ones (gnark-crypto's KZG verifier uses only the lines). Finally the
// powers are checked to be powers of one τ against the G2 points. Errors
// wrap [ErrInvalidSRS] (a nil r too).
func ReadSRS(r io.Reader) (*SRS, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrInvalidSRS)
	}
	data, err := io.ReadAll(io.LimitReader(r, 4+32*MaxSRSPoints+srsVKSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSRS, err)
	}
	rd := gnarkwire.NewReader(data, ErrInvalidSRS)
	n, err := rd.U32("length header")
	if err != nil {
		return nil, err
	}
	if n < 2 || n > MaxSRSPoints || uint64(len(data)) != 4+32*uint64(n)+srsVKSize {
		return nil, fmt.Errorf("%w: %d powers in %d bytes", ErrInvalidSRS, n, len(data))
	}
	if err := rd.SkipG1s(int(n), "powers"); err != nil {
		return nil, err
	}
	s := new(SRS)
	vk := &s.srs.Vk
	if err := errors.Join(rd.G2(&vk.G2[0], "[1]G2"), rd.G2(&vk.G2[1], "[τ]G2"), rd.G1(&vk.G1, "[1]G1")); err != nil {
		return nil, err
	}
	if vk.G1.IsInfinity() || vk.G2[0].IsInfinity() || vk.G2[1].IsInfinity() {
		// [τ]G2 = 0 means τ = 0, known to all; the generators cannot be 0.
		return nil, fmt.Errorf("%w: identity as a generator or [τ]G2", ErrInvalidSRS)
	}
	if _, err := rd.Take(plonkLinesSize, "pairing lines"); err != nil {
		return nil, err
	}
	if err := rd.End("srs"); err != nil {
		return nil, err
	}
	// Every flag and the header checked: gnark-crypto decodes exactly n
	// compressed points (in parallel, with subgroup checks).
	pk := bytes.NewReader(data[:4+32*int(n)])
	if _, err := s.srs.Pk.ReadFrom(pk); err != nil || pk.Len() != 0 {
		return nil, fmt.Errorf("%w: powers: %v", ErrInvalidSRS, err)
	}
	vk.Lines[0] = bn254.PrecomputeLines(vk.G2[0])
	vk.Lines[1] = bn254.PrecomputeLines(vk.G2[1])
	var again bytes.Buffer
	if _, err := vk.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), data[4+32*int(n):]) {
		return nil, fmt.Errorf("%w: verifying key does not re-encode identically (pairing lines not those of its G2 points)", ErrInvalidSRS)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// check verifies the SRS is a sequence of powers of one τ, with a random
// linear combination: e(Σ ρ^i·G1[i], [τ]G2) = e(Σ ρ^i·G1[i+1], [1]G2).
func (s *SRS) check() error {
	g1 := s.srs.Pk.G1
	if len(g1) < 2 || !g1[0].Equal(&s.srs.Vk.G1) {
		return fmt.Errorf("%w: first power is not the generator of the key", ErrInvalidSRS)
	}
	rho := make([]fr.Element, len(g1)-1)
	var r fr.Element
	if _, err := r.SetRandom(); err != nil {
		return err
	}
	rho[0].SetOne()
	for i := 1; i < len(rho); i++ {
		rho[i].Mul(&rho[i-1], &r)
	}
	var a, b kzgG1
	if _, err := a.MultiExp(g1[:len(g1)-1], rho, ecc.MultiExpConfig{}); err != nil {
		return err
	}
	if _, err := b.MultiExp(g1[1:], rho, ecc.MultiExpConfig{}); err != nil {
		return err
	}
	ok, err := pairingCheck(a, b, s.srs.Vk.G2[1], s.srs.Vk.G2[0])
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: not a powers-of-tau sequence", ErrInvalidSRS)
	}
	return nil
}

// UnsafeGenerateSRS generates an SRS of n powers from a random τ held in
// this process, for development and tests only: whoever knows τ can forge
// PLONK proofs.
func UnsafeGenerateSRS(n int) (*SRS, error) {
	if n < 2 || n > MaxSRSPoints {
		return nil, fmt.Errorf("%w: size %d", ErrInvalidSRS, n)
	}
	tau, err := rand.Int(rand.Reader, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	k, err := kzg.NewSRS(uint64(n), tau)
	if err != nil {
		return nil, fmt.Errorf("zkp: generate srs: %w", err)
	}
	return &SRS{srs: *k}, nil
}

func plonkSRSSize(ccs constraint.ConstraintSystem) int {
	c, _ := plonk.SRSSize(ccs)
	return c
}

// SRSSizeFor returns the number of SRS powers PLONK keys for shape s need.
func SRSSizeFor(s Shape) (int, error) {
	ccs, err := compile(s, PLONK)
	if err != nil {
		return 0, err
	}
	return plonkSRSSize(ccs), nil
}

// SetupPLONK derives PLONK keys for shape s from a universal SRS (for
// production, one from a powers-of-tau ceremony read with [ReadSRS]). A
// nil SRS, or one too small for the circuit, is an error wrapping
// [ErrInvalidSRS].
func SetupPLONK(s Shape, srs *SRS) (*Keys, error) {
	if srs == nil {
		return nil, fmt.Errorf("%w: nil SRS", ErrInvalidSRS)
	}
	ccs, err := compile(s, PLONK)
	if err != nil {
		return nil, err
	}
	return setupPLONK(s, ccs, srs)
}

func setupPLONK(s Shape, ccs constraint.ConstraintSystem, srs *SRS) (*Keys, error) {
	nc, nl := plonk.SRSSize(ccs)
	if srs.Size() < nc {
		return nil, fmt.Errorf("%w: %d powers, circuit needs %d", ErrInvalidSRS, srs.Size(), nc)
	}
	canon := kzg.SRS{Vk: srs.srs.Vk}
	canon.Pk.G1 = srs.srs.Pk.G1[:nc]
	lag := kzg.SRS{Vk: srs.srs.Vk}
	var err error
	lag.Pk.G1, err = kzg.ToLagrangeG1(srs.srs.Pk.G1[:nl])
	if err != nil {
		return nil, fmt.Errorf("zkp: lagrange srs: %w", err)
	}
	pk, vk, err := plonk.Setup(ccs, &canon, &lag)
	if err != nil {
		return nil, fmt.Errorf("zkp: plonk setup: %w", err)
	}
	v, err := newVerifyingKey(s, PLONK, vk)
	if err != nil {
		return nil, err
	}
	return &Keys{VerifyingKey: v, ccs: ccs, pl: pk.(*plonkbn254.ProvingKey)}, nil
}

type kzgG1 = bn254.G1Affine

// pairingCheck reports e(a, x) == e(b, y).
func pairingCheck(a, b kzgG1, x, y bn254.G2Affine) (bool, error) {
	var nb kzgG1
	nb.Neg(&b)
	return bn254.PairingCheck([]bn254.G1Affine{a, nb}, []bn254.G2Affine{x, y})
}
