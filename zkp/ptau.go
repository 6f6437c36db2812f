package zkp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"runtime"
	"slices"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"golang.org/x/crypto/blake2b"
)

// ErrInvalidPtau is returned by [ReadPtau] for a file that is not a
// well-formed snarkjs "ptau" file of powers of τ on BN254, that is
// truncated, oversize, inconsistent (points off the curve or out of the
// subgroup, identity points, powers not of one τ, a last contribution that
// is not the file's state, a file with no contribution) or that does not
// match the pinned hash; and by the methods of a nil [Ptau].
var ErrInvalidPtau = errors.New("zkp: invalid ptau file")

// MaxPtauPower is the largest power of τ [ReadPtau] decodes: 2^22 G2
// powers, 2^23 − 1 G1 powers, 1.5 GiB of decoded points. zkcred needs at
// most power 20 for PLONK ([MaxSRSPoints]) and the circuit's domain for
// Groth16. A file of a higher power (up to 28, the Perpetual Powers of
// Tau's) is read with [PtauOptions.Power] set: only the powers up to
// 2^Power are decoded, the rest is hashed and skipped.
const MaxPtauPower = 22

// ptauMaxFilePower is the largest power a ptau file may declare: BN254's
// scalar field has 2-adicity 28, and snarkjs refuses more.
const ptauMaxFilePower = 28

// ptauMaxContributionsSize bounds section 7 (the contribution history):
// a contribution takes 1,504 bytes and at most 771 of parameters, so 4 MiB
// holds over 1,800 contributions (the Perpetual Powers of Tau has 54 and a
// beacon).
const ptauMaxContributionsSize = 4 << 20

// PtauOptions configures [ReadPtau]. The zero value (or nil) reads the
// whole file, pinning no hash.
type PtauOptions struct {
	// Power, if not 0, decodes and checks only the powers up to 2^Power
	// (2^(Power+1) − 1 in G1), as `snarkjs powersoftau truncate` would
	// keep; the rest of the file is hashed but not decoded. It must be at
	// least 1, at most the file's power and at most [MaxPtauPower]. If 0,
	// the file's own power is used, and must be at most [MaxPtauPower].
	Power int

	// BLAKE2b, if not nil, is the BLAKE2b-512 hash the file must have (as
	// `b2sum FILE` prints it and the snarkjs README publishes it for the
	// Perpetual Powers of Tau files). A file with another hash is refused
	// before its points are checked.
	BLAKE2b []byte
}

// Ptau holds the powers of τ of a snarkjs "ptau" file on BN254 (a
// Powers of Tau ceremony's result), checked by [ReadPtau]:
//
//	[τ^i]₁ for i < 2^(k+1) − 1, [τ^i]₂, [ατ^i]₁, [βτ^i]₁ for i < 2^k, [β]₂
//
// where k is [Ptau.Power]. From it, [Ptau.SRS] gives zkcred's PLONK SRS
// and [Ceremony.Phase1FromPtau] starts a Groth16 phase 2.
type Ptau struct {
	power, filePower, ceremonyPower int
	contributions                   int
	prepared                        bool
	b2                              [64]byte
	sha                             [32]byte

	tauG1             []bn254.G1Affine
	tauG2             []bn254.G2Affine
	alphaTau, betaTau []bn254.G1Affine
	betaG2            bn254.G2Affine
}

// Power returns k: the powers of τ read are [τ^i]₂ for i < 2^k (the
// file's own power unless [PtauOptions.Power] truncated it), or 0 for a
// nil Ptau.
func (p *Ptau) Power() int {
	if p == nil {
		return 0
	}
	return p.power
}

// FilePower returns the power the file declares and its ceremony's power
// (28 for the Perpetual Powers of Tau files, whatever their own power).
func (p *Ptau) FilePower() (power, ceremony int) {
	if p == nil {
		return 0, 0
	}
	return p.filePower, p.ceremonyPower
}

// Contributions returns the number of contributions in the file's history
// (section 7), a beacon counted as one. ReadPtau refuses a file with none.
// The contributions themselves are not re-verified: pin the file's hash.
func (p *Ptau) Contributions() int {
	if p == nil {
		return 0
	}
	return p.contributions
}

// Prepared reports whether the file holds the Lagrange sections that
// `snarkjs powersoftau prepare phase2` adds (12 to 15). zkcred does not use
// them (it computes its own): they are hashed, not decoded.
func (p *Ptau) Prepared() bool { return p != nil && p.prepared }

// Hash returns the BLAKE2b-512 hash of the whole file: the hash the snarkjs
// README publishes for the Perpetual Powers of Tau files and `b2sum`
// prints. Pin it with [PtauOptions.BLAKE2b].
func (p *Ptau) Hash() [64]byte {
	if p == nil {
		return [64]byte{}
	}
	return p.b2
}

// SHA256 returns the SHA-256 hash of the whole file, for deployments that
// pin artifacts by SHA-256.
func (p *Ptau) SHA256() [32]byte {
	if p == nil {
		return [32]byte{}
	}
	return p.sha
}

// SRS returns zkcred's PLONK SRS of the first n powers [τ^i]₁ with [1]₂ and
// [τ]₂ (n from [SRSSizeFor]). An n below 2, above [MaxSRSPoints] or above
// the 2^(k+1) − 1 G1 powers read is an error wrapping [ErrInvalidSRS]; a nil
// Ptau, one wrapping [ErrInvalidPtau].
func (p *Ptau) SRS(n int) (*SRS, error) {
	if p == nil || len(p.tauG2) < 2 {
		return nil, fmt.Errorf("%w: nil Ptau", ErrInvalidPtau)
	}
	if n < 2 || n > MaxSRSPoints || n > len(p.tauG1) {
		return nil, fmt.Errorf("%w: %d powers asked of a ptau of power %d (%d G1 powers)", ErrInvalidSRS, n, p.power, len(p.tauG1))
	}
	s := &SRS{srs: kzg.SRS{}}
	s.srs.Pk.G1 = slices.Clone(p.tauG1[:n])
	vk := &s.srs.Vk
	vk.G1 = p.tauG1[0]
	vk.G2 = [2]bn254.G2Affine{p.tauG2[0], p.tauG2[1]}
	vk.Lines[0] = bn254.PrecomputeLines(vk.G2[0])
	vk.Lines[1] = bn254.PrecomputeLines(vk.G2[1])
	return s, nil
}

// ptau file layout (snarkjs src/powersoftau_new.js, @iden3/binfileutils):
// all integers little-endian, points in "LEM" form (affine x ‖ y, each
// coordinate in Montgomery form, 32 little-endian bytes; G2 coordinates
// c0 ‖ c1), G1 64 bytes, G2 128:
//
//	"ptau" ‖ u32 version 1 ‖ u32 nSections (7, or 11 when prepared)
//	nSections × (u32 id ‖ u64 size ‖ size bytes), ids 1..7 then 12..15:
//	1 header:     u32 n8 = 32 ‖ q (32 B) ‖ u32 power ‖ u32 ceremonyPower
//	2 tauG1:      2^(p+1) − 1 G1     3 tauG2:      2^p G2
//	4 alphaTauG1: 2^p G1             5 betaTauG1:  2^p G1
//	6 betaG2:     1 G2               7 contributions: u32 n ‖ n × contribution
//	12..15 (prepared): Lagrange forms, 2^(p+2) − 1 G1, then 2^(p+1) − 1 G2, G1, G1
//
// snarkjs writes the sections in this order; ReadPtau requires it (it
// reads a stream).
const (
	ptauG1Size = 64
	ptauG2Size = 128
	// a contribution: 5 points (G1 τ, G2 τ, G1 α, G1 β, G2 β), a public
	// key (6 G1, 3 G2), a 216-byte partial hash, a 64-byte challenge hash,
	// u32 type, u32 parameters length, then the parameters.
	ptauContributionFixed = 3*ptauG1Size + 2*ptauG2Size + 6*ptauG1Size + 3*ptauG2Size + 216 + 64 + 4 + 4
)

type ptauReader struct {
	r    *bufio.Reader
	off  int64
	sect int
}

func (r *ptauReader) fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPtau}, args...)...)
}

func (r *ptauReader) read(b []byte, what string) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.fail("%s: truncated at byte %d", what, r.off)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidPtau, what, err)
	}
	return nil
}

func (r *ptauReader) u32(what string) (uint32, error) {
	var b [4]byte
	if err := r.read(b[:], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

func (r *ptauReader) u64(what string) (uint64, error) {
	var b [8]byte
	if err := r.read(b[:], what); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// skip discards n bytes (they are still hashed).
func (r *ptauReader) skip(n int64, what string) error {
	m, err := io.CopyN(io.Discard, r.r, n)
	r.off += m
	if err == io.EOF {
		return r.fail("%s: truncated at byte %d", what, r.off)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidPtau, what, err)
	}
	return nil
}

// section reads a section header, which must be id with exactly size
// bytes (or, for size < 0, at most −size bytes), and returns its size.
func (r *ptauReader) section(id int, size int64) (int64, error) {
	got, err := r.u32("section id")
	if err != nil {
		return 0, err
	}
	if got != uint32(id) {
		return 0, r.fail("section %d where section %d is expected (snarkjs's order)", got, id)
	}
	n, err := r.u64(fmt.Sprintf("section %d size", id))
	if err != nil {
		return 0, err
	}
	if size >= 0 && n != uint64(size) {
		return 0, r.fail("section %d of %d bytes, want %d", id, n, size)
	}
	if size < 0 && n > uint64(-size) {
		return 0, r.fail("section %d of %d bytes, at most %d", id, n, -size)
	}
	return int64(n), nil
}

// ptauModulus is q, the base field modulus, in 32 little-endian bytes.
var ptauModulus = func() [32]byte {
	var b [32]byte
	q := fp.Modulus().Bytes()
	for i := range q {
		b[i] = q[len(q)-1-i]
	}
	return b
}()

// qLimbs is q as four little-endian 64-bit limbs.
var qLimbs = func() [4]uint64 {
	var l [4]uint64
	for i := range l {
		l[i] = binary.LittleEndian.Uint64(ptauModulus[8*i:])
	}
	return l
}()

// setLEM sets e from a coordinate in Montgomery form, 32 little-endian
// bytes (ffjavascript's in-memory form, which gnark-crypto's fp.Element
// shares: four little-endian limbs, R = 2^256). Only canonical values (below
// q) are accepted.
func setLEM(e *fp.Element, b []byte) bool {
	for i := range e {
		e[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	for i := 3; i >= 0; i-- {
		if e[i] != qLimbs[i] {
			return e[i] < qLimbs[i]
		}
	}
	return false // e == q
}

// decodeLEMG1 decodes a G1 point in LEM form: canonical coordinates, on the
// curve (BN254's G1 has prime order: on the curve is in the group), not
// the identity (which snarkjs writes as zeros, and no power of τ can be).
func decodeLEMG1(p *bn254.G1Affine, b []byte) error {
	if !setLEM(&p.X, b[:32]) || !setLEM(&p.Y, b[32:64]) {
		return errors.New("coordinate not below q")
	}
	if p.IsInfinity() {
		return errors.New("identity point")
	}
	if !p.IsOnCurve() {
		return errors.New("point not on the curve")
	}
	return nil
}

// decodeLEMG2 decodes a G2 point in LEM form like decodeLEMG1; the subgroup check
// is left to the caller (checkG2Subgroup runs it in parallel).
func decodeLEMG2(p *bn254.G2Affine, b []byte) error {
	if !setLEM(&p.X.A0, b[0:32]) || !setLEM(&p.X.A1, b[32:64]) || !setLEM(&p.Y.A0, b[64:96]) || !setLEM(&p.Y.A1, b[96:128]) {
		return errors.New("coordinate not below q")
	}
	if p.IsInfinity() {
		return errors.New("identity point")
	}
	if !p.IsOnCurve() {
		return errors.New("point not on the curve")
	}
	return nil
}

// readPoints reads a section of total points of size bytes each, decodes the
// first keep with dec and skips the rest. The slice grows with what is
// actually read (never more than the bytes present ask for), and raw
// receives the encodings of the first len(raw) points, for comparison with
// the contribution history.
func readPoints[T any](r *ptauReader, what string, total, keep int64, size int, dec func(*T, []byte) error, raw [][]byte) ([]T, error) {
	out := make([]T, 0, min(keep, 4096))
	buf := make([]byte, size)
	for i := int64(0); i < keep; i++ {
		if err := r.read(buf, what); err != nil {
			return nil, err
		}
		var p T
		if err := dec(&p, buf); err != nil {
			return nil, r.fail("%s: point %d: %v", what, i, err)
		}
		if i < int64(len(raw)) {
			raw[i] = bytes.Clone(buf)
		}
		out = append(out, p)
	}
	if err := r.skip((total-keep)*int64(size), what); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadPtau reads a snarkjs "ptau" file of powers of τ on BN254 (format
// "ptau" version 1, as `snarkjs powersoftau new/contribute/beacon/prepare
// phase2` and the Perpetual Powers of Tau write it), checking what zkcred
// uses the way `snarkjs powersoftau verify` does:
//
//   - the layout: magic, version, the sections in snarkjs's order, the
//     header (BN254's q, 1 ≤ power ≤ ceremony power ≤ 28), every section's
//     size exactly what the power implies, checked before anything is
//     allocated for it; point slices grow only with the bytes read, and
//     the decoded power is at most [MaxPtauPower] ([PtauOptions.Power]
//     for bigger files); no trailing data;
//   - every point decoded (of the first 2^k powers): canonical coordinates,
//     on the curve, in the prime-order subgroup (G2 checked explicitly),
//     not the identity; [τ^0] the generators and [τ]₁ not the generator
//     (τ ≠ 1, the value of a file with no contribution);
//   - the contribution history (section 7): at least one contribution,
//     each well-formed, the last one's τ, α, β points equal to the file's;
//     the contributions' proofs are not re-verified (pin the hash);
//   - the pinned hash, if any ([PtauOptions.BLAKE2b]);
//   - pairing consistency, with random linear combinations: consecutive
//     [τ^i]₁, [ατ^i]₁, [βτ^i]₁ have ratio τ against [τ]₂, consecutive
//     [τ^i]₂ ratio τ against [τ]₁, and [β]₂ matches [β]₁.
//
// Errors wrap [ErrInvalidPtau] (a nil r too). Reading a file of power 20
// (1.1 GiB when prepared) decodes 384 MiB of points and checks 2^20 G2
// subgroups: seconds to a minute.
func ReadPtau(r io.Reader, opts *PtauOptions) (*Ptau, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrInvalidPtau)
	}
	var o PtauOptions
	if opts != nil {
		o = *opts
	}
	if o.BLAKE2b != nil && len(o.BLAKE2b) != blake2b.Size {
		return nil, fmt.Errorf("%w: pinned BLAKE2b hash of %d bytes, want %d", ErrInvalidPtau, len(o.BLAKE2b), blake2b.Size)
	}
	if o.Power < 0 || o.Power > MaxPtauPower {
		return nil, fmt.Errorf("%w: power %d asked, at most %d", ErrInvalidPtau, o.Power, MaxPtauPower)
	}
	b2, _ := blake2b.New512(nil)
	sha := sha256.New()
	pr := &ptauReader{r: bufio.NewReaderSize(io.TeeReader(r, io.MultiWriter(b2, sha)), 1<<16)}
	p, raw, err := pr.readLayout(&o)
	if err != nil {
		return nil, err
	}
	finish := func(h hash.Hash, out []byte) { copy(out, h.Sum(nil)) }
	finish(b2, p.b2[:])
	finish(sha, p.sha[:])
	if o.BLAKE2b != nil && !bytes.Equal(o.BLAKE2b, p.b2[:]) {
		return nil, fmt.Errorf("%w: BLAKE2b hash %x, pinned %x", ErrInvalidPtau, p.b2[:], o.BLAKE2b)
	}
	if err := p.check(raw); err != nil {
		return nil, err
	}
	return p, nil
}

// ptauRaw holds the encodings of the points the last contribution must
// repeat: [τ]₁, [τ]₂, [α]₁, [β]₁, [β]₂, and that contribution's.
type ptauRaw struct {
	tauG1, tauG2, alpha, beta [][]byte
	betaG2                    []byte
	last                      []byte // the last contribution's 5 points
}

func (pr *ptauReader) readLayout(o *PtauOptions) (*Ptau, *ptauRaw, error) {
	var magic [4]byte
	if err := pr.read(magic[:], "magic"); err != nil {
		return nil, nil, err
	}
	if string(magic[:]) != "ptau" {
		return nil, nil, pr.fail("not a ptau file (magic %q)", magic[:])
	}
	version, err := pr.u32("version")
	if err != nil {
		return nil, nil, err
	}
	if version != 1 {
		return nil, nil, pr.fail("version %d, want 1", version)
	}
	nSections, err := pr.u32("section count")
	if err != nil {
		return nil, nil, err
	}
	if nSections != 7 && nSections != 11 {
		return nil, nil, pr.fail("%d sections, want 7 (or 11 when prepared for phase 2)", nSections)
	}
	p := &Ptau{prepared: nSections == 11}

	// 1: header.
	if _, err := pr.section(1, 4+32+4+4); err != nil {
		return nil, nil, err
	}
	n8, err := pr.u32("header n8")
	if err != nil {
		return nil, nil, err
	}
	if n8 != 32 {
		return nil, nil, pr.fail("field element of %d bytes, want 32", n8)
	}
	var q [32]byte
	if err := pr.read(q[:], "header q"); err != nil {
		return nil, nil, err
	}
	if q != ptauModulus {
		return nil, nil, pr.fail("not a BN254 (bn128) file: q = %x", q)
	}
	power, err := pr.u32("header power")
	if err != nil {
		return nil, nil, err
	}
	ceremony, err := pr.u32("header ceremony power")
	if err != nil {
		return nil, nil, err
	}
	if power < 1 || power > ptauMaxFilePower || ceremony < power || ceremony > ptauMaxFilePower {
		return nil, nil, pr.fail("power %d, ceremony power %d: want 1 ≤ power ≤ ceremony power ≤ %d", power, ceremony, ptauMaxFilePower)
	}
	p.filePower, p.ceremonyPower = int(power), int(ceremony)
	k := o.Power
	if k == 0 {
		k = p.filePower
	}
	if k > p.filePower {
		return nil, nil, pr.fail("power %d asked of a file of power %d", k, p.filePower)
	}
	if k > MaxPtauPower {
		return nil, nil, pr.fail("a file of power %d: at most %d is decoded (set PtauOptions.Power)", k, MaxPtauPower)
	}
	p.power = k

	n := int64(1) << power // 2^p
	keep := int64(1) << k
	raw := &ptauRaw{tauG1: make([][]byte, 2), tauG2: make([][]byte, 2), alpha: make([][]byte, 1), beta: make([][]byte, 1)}
	// 2..6: the powers.
	if _, err := pr.section(2, (2*n-1)*ptauG1Size); err != nil {
		return nil, nil, err
	}
	if p.tauG1, err = readPoints(pr, "tauG1", 2*n-1, 2*keep-1, ptauG1Size, decodeLEMG1, raw.tauG1); err != nil {
		return nil, nil, err
	}
	if _, err := pr.section(3, n*ptauG2Size); err != nil {
		return nil, nil, err
	}
	if p.tauG2, err = readPoints(pr, "tauG2", n, keep, ptauG2Size, decodeLEMG2, raw.tauG2); err != nil {
		return nil, nil, err
	}
	if _, err := pr.section(4, n*ptauG1Size); err != nil {
		return nil, nil, err
	}
	if p.alphaTau, err = readPoints(pr, "alphaTauG1", n, keep, ptauG1Size, decodeLEMG1, raw.alpha); err != nil {
		return nil, nil, err
	}
	if _, err := pr.section(5, n*ptauG1Size); err != nil {
		return nil, nil, err
	}
	if p.betaTau, err = readPoints(pr, "betaTauG1", n, keep, ptauG1Size, decodeLEMG1, raw.beta); err != nil {
		return nil, nil, err
	}
	if _, err := pr.section(6, ptauG2Size); err != nil {
		return nil, nil, err
	}
	b := make([]byte, ptauG2Size)
	if err := pr.read(b, "betaG2"); err != nil {
		return nil, nil, err
	}
	if err := decodeLEMG2(&p.betaG2, b); err != nil {
		return nil, nil, pr.fail("betaG2: %v", err)
	}
	raw.betaG2 = b

	// 7: the contribution history.
	size, err := pr.section(7, -ptauMaxContributionsSize)
	if err != nil {
		return nil, nil, err
	}
	hist := make([]byte, 0, min(size, 1<<16))
	hist, err = readSome(pr, hist, size, "contributions")
	if err != nil {
		return nil, nil, err
	}
	if p.contributions, raw.last, err = parseContributions(hist); err != nil {
		return nil, nil, err
	}

	// 12..15: Lagrange forms (prepare phase2), hashed and skipped.
	if p.prepared {
		for _, s := range []struct {
			id    int
			count int64
			size  int64
		}{{12, 4*n - 1, ptauG1Size}, {13, 2*n - 1, ptauG2Size}, {14, 2*n - 1, ptauG1Size}, {15, 2*n - 1, ptauG1Size}} {
			if _, err := pr.section(s.id, s.count*s.size); err != nil {
				return nil, nil, err
			}
			if err := pr.skip(s.count*s.size, fmt.Sprintf("section %d", s.id)); err != nil {
				return nil, nil, err
			}
		}
	}
	if _, err := pr.r.ReadByte(); err != io.EOF {
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalidPtau, err)
		}
		return nil, nil, pr.fail("trailing data after byte %d", pr.off)
	}
	return p, raw, nil
}

// readSome appends n bytes read to b, growing it with what is read.
func readSome(pr *ptauReader, b []byte, n int64, what string) ([]byte, error) {
	var chunk [4096]byte
	for n > 0 {
		c := chunk[:min(n, int64(len(chunk)))]
		if err := pr.read(c, what); err != nil {
			return nil, err
		}
		b = append(b, c...)
		n -= int64(len(c))
	}
	return b, nil
}

// parseContributions walks section 7 (snarkjs src/powersoftau_utils.js
// readContribution): u32 count, then each contribution's fixed part and its
// parameters, sorted by type: 1 name (u8 length, bytes), 2 iterations
// exponent (u8), 3 beacon hash (u8 length, bytes). It returns the count and
// the last contribution's 5 points.
func parseContributions(b []byte) (int, []byte, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: contributions: "+format, append([]any{ErrInvalidPtau}, args...)...)
	}
	if len(b) < 4 {
		return 0, nil, fail("truncated")
	}
	count := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if count == 0 {
		return 0, nil, fail("none: τ = 1, a file straight from `powersoftau new`")
	}
	if count > len(b)/ptauContributionFixed {
		return 0, nil, fail("%d contributions do not fit in %d bytes", count, len(b))
	}
	var last []byte
	for i := 0; i < count; i++ {
		if len(b) < ptauContributionFixed {
			return 0, nil, fail("contribution %d truncated", i+1)
		}
		last = b[:3*ptauG1Size+2*ptauG2Size]
		plen := int(binary.LittleEndian.Uint32(b[ptauContributionFixed-4:]))
		b = b[ptauContributionFixed:]
		if plen > len(b) {
			return 0, nil, fail("contribution %d: parameters of %d bytes, %d left", i+1, plen, len(b))
		}
		params := b[:plen]
		b = b[plen:]
		lastType := byte(0)
		for len(params) > 0 {
			t := params[0]
			if t <= lastType || t > 3 {
				return 0, nil, fail("contribution %d: parameter type %d (unknown, or not sorted)", i+1, t)
			}
			lastType = t
			if len(params) < 2 {
				return 0, nil, fail("contribution %d: parameter %d truncated", i+1, t)
			}
			l := 1
			if t != 2 {
				l += int(params[1])
			}
			if len(params) < 1+l {
				return 0, nil, fail("contribution %d: parameter %d truncated", i+1, t)
			}
			params = params[1+l:]
		}
	}
	if len(b) != 0 {
		return 0, nil, fail("%d bytes after the last contribution", len(b))
	}
	return count, last, nil
}

// check runs the group and pairing checks ReadPtau documents on a Ptau
// whose layout was read.
func (p *Ptau) check(raw *ptauRaw) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPtau}, args...)...)
	}
	_, _, g1, g2 := bn254.Generators()
	if !p.tauG1[0].Equal(&g1) || !p.tauG2[0].Equal(&g2) {
		return fail("[τ⁰] is not the generator")
	}
	if p.tauG1[1].Equal(&g1) {
		return fail("τ = 1")
	}
	// The last contribution's points are the file's state (snarkjs verify
	// checks the same): τ, α, β as the sections hold them.
	want := bytes.Join([][]byte{raw.tauG1[1], raw.tauG2[1], raw.alpha[0], raw.beta[0], raw.betaG2}, nil)
	if !bytes.Equal(want, raw.last) {
		return fail("the last contribution's points are not the file's")
	}
	if i := checkG2Subgroup(append(slices.Clip(p.tauG2), p.betaG2)); i >= 0 {
		return fail("tauG2/betaG2: point %d not in the subgroup", i)
	}
	tau1, tau2 := p.tauG1[1], p.tauG2[1]
	// Consecutive powers in G1: e(Σρ^i·P[i], [τ]₂) = e(Σρ^i·P[i+1], [1]₂).
	for _, s := range []struct {
		name string
		pts  []bn254.G1Affine
	}{{"tauG1", p.tauG1}, {"alphaTauG1", p.alphaTau}, {"betaTauG1", p.betaTau}} {
		a, b, err := ratioPair(s.pts)
		if err != nil {
			return err
		}
		ok, err := pairingCheck(a, b, tau2, g2)
		if err != nil {
			return err
		}
		if !ok {
			return fail("%s: not consecutive powers of τ", s.name)
		}
	}
	// Consecutive powers in G2: e([τ]₁, Σρ^i·Q[i]) = e([1]₁, Σρ^i·Q[i+1]).
	rho, err := randomPowers(len(p.tauG2) - 1)
	if err != nil {
		return err
	}
	var c, d bn254.G2Affine
	if _, err := c.MultiExp(p.tauG2[:len(p.tauG2)-1], rho, ecc.MultiExpConfig{}); err != nil {
		return err
	}
	if _, err := d.MultiExp(p.tauG2[1:], rho, ecc.MultiExpConfig{}); err != nil {
		return err
	}
	ok, err := bn254.PairingCheck([]bn254.G1Affine{tau1, *new(bn254.G1Affine).Neg(&g1)}, []bn254.G2Affine{c, d})
	if err != nil {
		return err
	}
	if !ok {
		return fail("tauG2: not consecutive powers of τ")
	}
	// [β]₂ against [β]₁.
	if ok, err = pairingCheck(p.betaTau[0], g1, g2, p.betaG2); err != nil {
		return err
	}
	if !ok {
		return fail("betaG2 does not match betaTauG1")
	}
	return nil
}

// randomPowers returns 1, ρ, ρ², … (n elements) for a random ρ.
func randomPowers(n int) ([]fr.Element, error) {
	rho := make([]fr.Element, n)
	var r fr.Element
	if _, err := r.SetRandom(); err != nil {
		return nil, err
	}
	rho[0].SetOne()
	for i := 1; i < n; i++ {
		rho[i].Mul(&rho[i-1], &r)
	}
	return rho, nil
}

// ratioPair returns Σρ^i·P[i] and Σρ^i·P[i+1] for a random ρ.
func ratioPair(pts []bn254.G1Affine) (a, b bn254.G1Affine, err error) {
	rho, err := randomPowers(len(pts) - 1)
	if err != nil {
		return a, b, err
	}
	if _, err = a.MultiExp(pts[:len(pts)-1], rho, ecc.MultiExpConfig{}); err != nil {
		return a, b, err
	}
	_, err = b.MultiExp(pts[1:], rho, ecc.MultiExpConfig{})
	return a, b, err
}

// checkG2Subgroup checks every point is in G2's prime-order subgroup, in
// parallel; it returns the index of one that is not, or −1.
func checkG2Subgroup(pts []bn254.G2Affine) int {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(pts)/64))
	bad := make([]int, workers)
	var wg sync.WaitGroup
	chunk := (len(pts) + workers - 1) / workers
	for w := range workers {
		bad[w] = -1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * chunk; i < min(len(pts), (w+1)*chunk); i++ {
				if !pts[i].IsInSubGroup() {
					bad[w] = i
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, i := range bad {
		if i >= 0 {
			return i
		}
	}
	return -1
}

// Phase1FromPtau returns the phase-1 result (gnark's SrsCommons encoding,
// what [Ceremony.VerifyPhase1] returns) for this ceremony's domain, taken
// from a public Powers of Tau ceremony read with [ReadPtau] instead of a
// phase 1 of zkcred's own: [τ^i]₁ for i ≤ 2N − 2, [τ^i]₂, [ατ^i]₁, [βτ^i]₁
// for i < N, and [β]₂ (ptau sections 2 to 6). Give it to
// [Ceremony.InitialPhase2] and [Ceremony.Finish]: the agency then runs
// only phase 2, and the keys are sound if one phase-2 contributor and one
// contributor of the public ceremony were honest. A Ptau whose power is
// below the domain's (log₂ [Ceremony.DomainSize]) is an error wrapping
// [ErrInvalidPtau].
func (c *Ceremony) Phase1FromPtau(p *Ptau) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if p == nil || len(p.tauG2) < 2 {
		return nil, fmt.Errorf("%w: nil Ptau", ErrInvalidPtau)
	}
	if uint64(len(p.tauG2)) < c.n {
		return nil, fmt.Errorf("%w: power %d, the circuit's domain needs %d", ErrInvalidPtau, p.power, new(big.Int).SetUint64(c.n).BitLen()-1)
	}
	n := int(c.n)
	var commons mpcsetup.SrsCommons
	commons.G1.Tau = p.tauG1[:2*n-1]
	commons.G1.AlphaTau = p.alphaTau[:n]
	commons.G1.BetaTau = p.betaTau[:n]
	commons.G2.Tau = p.tauG2[:n]
	commons.G2.Beta = p.betaG2
	return encode(&commons)
}
