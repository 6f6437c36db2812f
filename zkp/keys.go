package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/zkp/internal/circuit"
	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
	"github.com/zkcred/zkcred/zkp/internal/groth16verify"
)

// Backend is a proof system on BN254.
type Backend string

// Backends.
const (
	Groth16 Backend = "groth16"
	PLONK   Backend = "plonk"
)

// Errors about keys.
var (
	ErrUnknownBackend = errors.New("zkp: unknown backend")
	ErrInvalidKey     = errors.New("zkp: invalid key")
	// ErrKeyMismatch is returned when a presentation names another key
	// fingerprint or backend than the verifying key.
	ErrKeyMismatch = errors.New("zkp: presentation made for another key")
)

func (b Backend) check() error {
	if b != Groth16 && b != PLONK {
		return fmt.Errorf("%w: %q", ErrUnknownBackend, string(b))
	}
	return nil
}

// compile compiles the circuit of shape s for backend b (R1CS for Groth16,
// PLONKish for PLONK).
func compile(s Shape, b Backend) (constraint.ConstraintSystem, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	c, err := circuit.New(s.params())
	if err != nil {
		return nil, err
	}
	var ccs constraint.ConstraintSystem
	if b == PLONK {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c)
	} else {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	}
	if err != nil {
		return nil, fmt.Errorf("zkp: compile %s: %w", s, err)
	}
	if _, ok := ccs.(interface{ GetCommitments() constraint.Commitments }); ok {
		if n := len(ccs.GetCommitments().CommitmentIndexes()); n != 0 {
			return nil, fmt.Errorf("zkp: internal error: circuit uses %d commitments", n)
		}
	}
	return ccs, nil
}

// Fingerprint names a verifying key: SHA-256 over the circuit version,
// shape, backend and the verifying key's gnark encoding.
type Fingerprint [32]byte

func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

func fingerprint(s Shape, b Backend, vkBytes []byte) Fingerprint {
	h := sha256.New()
	for _, part := range []string{"zkcred-key-fingerprint", CircuitVersion, s.String(), string(b)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(vkBytes)
	var f Fingerprint
	h.Sum(f[:0])
	return f
}

// VerifyingKey is a verifying key with its shape, backend and fingerprint.
type VerifyingKey struct {
	shape   Shape
	backend Backend
	g16     *groth16bn254.VerifyingKey
	g16fast *groth16verify.Verifier // nil: use gnark's verifier
	pl      *plonkbn254.VerifyingKey
	raw     []byte // gnark encoding
	fp      Fingerprint
}

// Shape returns the key's shape (the zero Shape for a nil key).
func (vk *VerifyingKey) Shape() Shape {
	if vk == nil {
		return Shape{}
	}
	return vk.shape
}

// Backend returns the key's backend ("" for a nil key).
func (vk *VerifyingKey) Backend() Backend {
	if vk == nil {
		return ""
	}
	return vk.backend
}

// Fingerprint returns the key's fingerprint (all zero for a nil key).
func (vk *VerifyingKey) Fingerprint() Fingerprint {
	if vk == nil {
		return Fingerprint{}
	}
	return vk.fp
}

// check refuses a nil key, or one not made by this package (the zero
// VerifyingKey), with an error wrapping [ErrInvalidKey].
func (vk *VerifyingKey) check() error {
	switch {
	case vk == nil:
		return fmt.Errorf("%w: nil verifying key", ErrInvalidKey)
	case vk.backend == Groth16 && vk.g16 != nil, vk.backend == PLONK && vk.pl != nil:
		return nil
	}
	return fmt.Errorf("%w: verifying key not made by ParseVerifyingKey, LoadKeys or a setup", ErrInvalidKey)
}

func newVerifyingKey(s Shape, b Backend, vk any) (*VerifyingKey, error) {
	var buf bytes.Buffer
	out := &VerifyingKey{shape: s, backend: b}
	switch k := vk.(type) {
	case *groth16bn254.VerifyingKey:
		out.g16 = k
		if _, err := k.WriteTo(&buf); err != nil {
			return nil, err
		}
		fast, err := groth16verify.New(k, ErrInvalidProof)
		if err != nil {
			return nil, err
		}
		out.g16fast = fast
	case *plonkbn254.VerifyingKey:
		out.pl = k
		if _, err := k.WriteTo(&buf); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("zkp: internal error: key type %T", vk)
	}
	out.raw = buf.Bytes()
	out.fp = fingerprint(s, b, out.raw)
	return out, nil
}

// Keys holds a compiled circuit with its proving and verifying keys.
type Keys struct {
	VerifyingKey *VerifyingKey
	ccs          constraint.ConstraintSystem
	g16          *groth16bn254.ProvingKey
	pl           *plonkbn254.ProvingKey
	split        SplitStart // WithSplit
}

// Constraints returns the number of constraints (R1CS) or gates (PLONK),
// or 0 for nil or zero Keys.
func (k *Keys) Constraints() int {
	if k == nil || k.ccs == nil {
		return 0
	}
	return k.ccs.GetNbConstraints()
}

// check refuses nil Keys, or Keys not made by this package (a zero Keys,
// or one whose VerifyingKey was replaced by another backend's or nil),
// with an error wrapping [ErrInvalidKey].
func (k *Keys) check() error {
	if k == nil {
		return fmt.Errorf("%w: nil keys", ErrInvalidKey)
	}
	if err := k.VerifyingKey.check(); err != nil {
		return err
	}
	if k.ccs == nil || (k.VerifyingKey.backend == Groth16) != (k.g16 != nil) || (k.VerifyingKey.backend == PLONK) != (k.pl != nil) {
		return fmt.Errorf("%w: keys not made by LoadKeys or a setup", ErrInvalidKey)
	}
	return nil
}

// UnsafeSetup generates keys with a single-party setup whose toxic waste
// lives in this process: for development and tests only. Anyone who learns
// it can forge proofs. Use [Ceremony] (Groth16) or [SetupPLONK] with a
// ceremony SRS in production.
func UnsafeSetup(s Shape, b Backend) (*Keys, error) {
	ccs, err := compile(s, b)
	if err != nil {
		return nil, err
	}
	if b == PLONK {
		srs, err := UnsafeGenerateSRS(plonkSRSSize(ccs))
		if err != nil {
			return nil, err
		}
		return setupPLONK(s, ccs, srs)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, fmt.Errorf("zkp: groth16 setup: %w", err)
	}
	return newGroth16Keys(s, ccs, pk, vk)
}

func newGroth16Keys(s Shape, ccs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey) (*Keys, error) {
	v, err := newVerifyingKey(s, Groth16, vk)
	if err != nil {
		return nil, err
	}
	return &Keys{VerifyingKey: v, ccs: ccs, g16: pk.(*groth16bn254.ProvingKey)}, nil
}

// MarshalBinary encodes the verifying key (format in FORMAT.md):
//
//	"zkcred-vk" 0x00 | u16 meta length | meta JSON | gnark verifying key (compressed)
//
// A nil or zero key is an error wrapping [ErrInvalidKey].
func (vk *VerifyingKey) MarshalBinary() ([]byte, error) {
	if err := vk.check(); err != nil {
		return nil, err
	}
	meta, err := json.Marshal(keyMeta{Format: 1, Circuit: CircuitVersion, Shape: vk.shape, Backend: vk.backend})
	if err != nil {
		return nil, err
	}
	out := append([]byte(vkMagic), 0, 0)
	binary.BigEndian.PutUint16(out[len(vkMagic):], uint16(len(meta)))
	out = append(out, meta...)
	return append(out, vk.raw...), nil
}

const vkMagic = "zkcred-vk\x00"

type keyMeta struct {
	Format  int     `json:"format"`
	Circuit string  `json:"circuit"`
	Shape   Shape   `json:"shape"`
	Backend Backend `json:"backend"`
}

func parseMeta(b []byte) (keyMeta, error) {
	var m keyMeta
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: metadata: %v", ErrInvalidKey, err)
	}
	if again, err := json.Marshal(m); err != nil || !bytes.Equal(again, b) {
		return m, fmt.Errorf("%w: metadata not in canonical form", ErrInvalidKey)
	}
	if m.Format != 1 || m.Circuit != CircuitVersion {
		return m, fmt.Errorf("%w: format %d circuit %q, want 1 %q", ErrInvalidKey, m.Format, m.Circuit, CircuitVersion)
	}
	if err := m.Shape.Validate(); err != nil {
		return m, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if err := m.Backend.check(); err != nil {
		return m, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return m, nil
}

// ParseVerifyingKey decodes [VerifyingKey.MarshalBinary] output: canonical
// metadata (json v2 semantics, no unknown members), then the gnark
// encoding, parsed by zkcred at fixed offsets for the shape (every point
// flagged compressed, on the curve, in the subgroup; every header exact;
// no gnark decoder reads it), with every derived value recomputed and the
// key re-encoding to the identical bytes (see FORMAT.md). Errors wrap
// [ErrInvalidKey]. Decoding allocates a small multiple of len(b).
func ParseVerifyingKey(b []byte) (*VerifyingKey, error) {
	if len(b) < len(vkMagic)+2 || string(b[:len(vkMagic)]) != vkMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrInvalidKey)
	}
	n := int(binary.BigEndian.Uint16(b[len(vkMagic):]))
	rest := b[len(vkMagic)+2:]
	if n > len(rest) {
		return nil, fmt.Errorf("%w: truncated", ErrInvalidKey)
	}
	m, err := parseMeta(rest[:n])
	if err != nil {
		return nil, err
	}
	return decodeVK(m.Shape, m.Backend, rest[n:])
}

// decodeVK decodes a gnark verifying key encoding for shape s, parsing
// every field itself at fixed offsets (see [reader]): no gnark decoder
// reads these bytes. It recomputes everything derived (Groth16: e(α, β),
// −γ, −δ and their lines, as gnark's ReadFrom would; PLONK: the KZG
// pairing lines, and SizeInv, Generator and CosetShift from Size), and
// requires the key to re-encode to exactly raw, so derived values stored
// in the file (PLONK's KZG lines) must be the ones recomputed.
func decodeVK(s Shape, b Backend, raw []byte) (*VerifyingKey, error) {
	var vk any
	var err error
	switch b {
	case Groth16:
		vk, err = decodeGroth16VK(s, raw)
	case PLONK:
		vk, err = decodePLONKVK(s, raw)
	default:
		err = fmt.Errorf("%w: %q", ErrUnknownBackend, string(b))
	}
	if err != nil {
		return nil, err
	}
	v, err := newVerifyingKey(s, b, vk)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(v.raw, raw) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrInvalidKey)
	}
	return v, nil
}

// decodeGroth16VK parses a compressed BN254 Groth16 verifying key without
// commitments:
//
//	α₁ β₁ β₂ γ₂ δ₁ δ₂ (288 bytes) | u32 len(K) | K (G1 each) | u32 0 | u32 0
//
// with len(K) = public inputs + 1.
func decodeGroth16VK(s Shape, raw []byte) (*groth16bn254.VerifyingKey, error) {
	k := nbPublic(s) + 1
	if want := vkSize(s, Groth16); len(raw) != want {
		return nil, fmt.Errorf("%w: groth16 key length %d, want %d", ErrInvalidKey, len(raw), want)
	}
	r := gnarkwire.NewReader(raw, ErrInvalidKey)
	vk := new(groth16bn254.VerifyingKey)
	if err := errors.Join(
		r.G1(&vk.G1.Alpha, "α"), r.G1(&vk.G1.Beta, "β₁"), r.G2(&vk.G2.Beta, "β₂"),
		r.G2(&vk.G2.Gamma, "γ"), r.G1(&vk.G1.Delta, "δ₁"), r.G2(&vk.G2.Delta, "δ₂"),
		r.Header(k, "K"),
	); err != nil {
		return nil, err
	}
	// The identity as α, β, γ or δ makes the verifying equation trivial
	// in that term (δ = 0: anyone can forge); gnark does not refuse it.
	if vk.G1.Alpha.IsInfinity() || vk.G1.Beta.IsInfinity() || vk.G2.Beta.IsInfinity() ||
		vk.G2.Gamma.IsInfinity() || vk.G1.Delta.IsInfinity() || vk.G2.Delta.IsInfinity() {
		return nil, fmt.Errorf("%w: groth16 key has the identity as α, β, γ or δ", ErrInvalidKey)
	}
	vk.G1.K = make([]bn254.G1Affine, k)
	for i := range vk.G1.K {
		if err := r.G1(&vk.G1.K[i], fmt.Sprintf("K[%d]", i)); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(r.Header(0, "committed public inputs"), r.Header(0, "commitment keys"), r.End("groth16 key")); err != nil {
		return nil, err
	}
	vk.PublicAndCommitmentCommitted = [][]int{}
	if err := vk.Precompute(); err != nil { // what gnark's ReadFrom does last
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return vk, nil
}

// plonkLinesSize is the size of the KZG pairing lines in gnark-crypto's
// kzg.VerifyingKey encoding: 2 G2 points × 2 × 66 lines × (R0, R1), each
// an E2 written as its raw Montgomery limbs (64 bytes).
const plonkLinesSize = 2 * 2 * 66 * 2 * 64

// maxPLONKDomain bounds a PLONK key's domain: the circuit needs an SRS of
// Size+3 powers, at most MaxSRSPoints.
const maxPLONKDomain = MaxSRSPoints - 3

// decodePLONKVK parses gnark's compressed BN254 PLONK verifying key
// (version 1, no commitments):
//
//	u64 0 (marker) | u64 1 (version) | u64 Size | SizeInv | Generator |
//	u64 NbPublicVariables | CosetShift | S[3] Ql Qr Qm Qo Qk (8 G1) |
//	u32 0 (Qcp) | KZG: [1]G1 | [1]G2 [τ]G2 | lines (33792 bytes) | u32 0
//
// Size must be a power of two at most maxPLONKDomain, and SizeInv,
// Generator and CosetShift the values gnark's setup derives from it. The
// lines are recomputed from the two G2 points (gnark-crypto's KZG
// verifier uses only the lines); the caller's re-encoding check then
// refuses a file whose lines differ.
func decodePLONKVK(s Shape, raw []byte) (*plonkbn254.VerifyingKey, error) {
	if want := vkSize(s, PLONK); len(raw) != want {
		return nil, fmt.Errorf("%w: plonk key length %d, want %d", ErrInvalidKey, len(raw), want)
	}
	r := gnarkwire.NewReader(raw, ErrInvalidKey)
	vk := new(plonkbn254.VerifyingKey)
	marker, err1 := r.U64("marker")
	version, err2 := r.U64("version")
	size, err3 := r.U64("size")
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	if marker != 0 || version != 1 {
		return nil, fmt.Errorf("%w: plonk key version %d/%d, want 0/1", ErrInvalidKey, marker, version)
	}
	if size < 2 || size > maxPLONKDomain || size&(size-1) != 0 {
		return nil, fmt.Errorf("%w: plonk domain size %d", ErrInvalidKey, size)
	}
	vk.Size = size
	if err := errors.Join(r.Fr(&vk.SizeInv, "SizeInv"), r.Fr(&vk.Generator, "Generator")); err != nil {
		return nil, err
	}
	nbPub, err := r.U64("public inputs")
	if err != nil {
		return nil, err
	}
	if nbPub != uint64(nbPublic(s)) || nbPub >= size {
		return nil, fmt.Errorf("%w: %d public inputs, shape has %d", ErrInvalidKey, nbPub, nbPublic(s))
	}
	vk.NbPublicVariables = nbPub
	if err := r.Fr(&vk.CosetShift, "CosetShift"); err != nil {
		return nil, err
	}
	var sizeInv fr.Element
	sizeInv.SetUint64(size).Inverse(&sizeInv)
	gen, err := fft.Generator(size)
	if err != nil {
		return nil, fmt.Errorf("%w: plonk domain size %d: %v", ErrInvalidKey, size, err)
	}
	shift := fft.GeneratorFullMultiplicativeGroup()
	if !vk.SizeInv.Equal(&sizeInv) || !vk.Generator.Equal(&gen) || !vk.CosetShift.Equal(&shift) {
		return nil, fmt.Errorf("%w: plonk domain constants do not match size %d", ErrInvalidKey, size)
	}
	for i, p := range []*bn254.G1Affine{&vk.S[0], &vk.S[1], &vk.S[2], &vk.Ql, &vk.Qr, &vk.Qm, &vk.Qo, &vk.Qk} {
		if err := r.G1(p, fmt.Sprintf("selector commitment %d", i)); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(r.Header(0, "Qcp"), r.G1(&vk.Kzg.G1, "KZG [1]G1"),
		r.G2(&vk.Kzg.G2[0], "KZG [1]G2"), r.G2(&vk.Kzg.G2[1], "KZG [τ]G2")); err != nil {
		return nil, err
	}
	if vk.Kzg.G1.IsInfinity() || vk.Kzg.G2[0].IsInfinity() || vk.Kzg.G2[1].IsInfinity() {
		return nil, fmt.Errorf("%w: plonk key has the identity as a KZG generator or [τ]G2", ErrInvalidKey)
	}
	if _, err := r.Take(plonkLinesSize, "KZG lines"); err != nil {
		return nil, err
	}
	if err := errors.Join(r.Header(0, "commitment constraints"), r.End("plonk key")); err != nil {
		return nil, err
	}
	vk.Kzg.Lines[0] = bn254.PrecomputeLines(vk.Kzg.G2[0])
	vk.Kzg.Lines[1] = bn254.PrecomputeLines(vk.Kzg.G2[1])
	vk.Qcp = []kzg.Digest{}
	vk.CommitmentConstraintIndexes = []uint64{}
	return vk, nil
}

// vkSize is the exact length of the gnark encoding of a verifying key for
// shape s and backend b (layouts above), or 0 for an unknown backend.
func vkSize(s Shape, b Backend) int {
	switch b {
	case Groth16:
		return 288 + 4 + 32*(nbPublic(s)+1) + 4 + 4
	case PLONK:
		return 3*8 + 2*32 + 8 + 32 + 8*32 + 4 + 32 + 2*64 + plonkLinesSize + 4
	}
	return 0
}

// nbPublic is the number of public inputs of shape s.
func nbPublic(s Shape) int {
	n := 6 + 4*s.Predicates
	if s.Nullifier {
		n += 2
	}
	if s.Disclosure {
		n += 2 * s.Slots
	}
	return n
}

// Key directory layout (see FORMAT.md): meta.json, vk.bin (gnark), pk.bin
// (gnark), ccs.bin (gnark constraint system).

// Save writes the keys into dir (created if needed). Nil or zero Keys
// are an error wrapping [ErrInvalidKey].
func (k *Keys) Save(dir string) error {
	if err := k.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("zkp: save keys: %w", err)
	}
	vk := k.VerifyingKey
	meta, err := json.Marshal(keyMeta{Format: 1, Circuit: CircuitVersion, Shape: vk.shape, Backend: vk.backend})
	if err != nil {
		return err
	}
	var pk, ccs bytes.Buffer
	if k.g16 != nil {
		_, err = k.g16.WriteTo(&pk)
	} else {
		_, err = k.pl.WriteTo(&pk)
	}
	if err != nil {
		return fmt.Errorf("zkp: save keys: %w", err)
	}
	if _, err := k.ccs.WriteTo(&ccs); err != nil {
		return fmt.Errorf("zkp: save keys: %w", err)
	}
	files := map[string][]byte{"meta.json": meta, "vk.bin": vk.raw, "pk.bin": pk.Bytes(), "ccs.bin": ccs.Bytes()}
	digests := make(map[string]string, len(files))
	for name, data := range files {
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("zkp: save keys: %w", err)
		}
		sum := sha256.Sum256(data)
		digests[name] = hex.EncodeToString(sum[:])
	}
	// The digests go last: a Save interrupted before this point leaves a
	// directory that LoadKeys refuses rather than half-decodes.
	d, err := json.Marshal(digests, json.Deterministic(true), jsontext.WithIndent("  "))
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, digestsName), d); err != nil {
		return fmt.Errorf("zkp: save keys: %w", err)
	}
	return nil
}

// digestsName is the key directory's manifest: the SHA-256 of each other
// file, checked by LoadKeys (on the bytes it then parses) before any
// decoder reads them.
const digestsName = "sha256.json"

// keyFiles are the files the manifest covers.
var keyFiles = []string{"meta.json", "vk.bin", "pk.bin", "ccs.bin"}

// Bounds on the small files of a key directory. Save writes a manifest of
// about 330 bytes and a meta.json of about 200.
const (
	maxManifestSize = 4 << 10
	maxMetaSize     = 4 << 10
)

// loadManifest reads and parses the key directory's manifest.
func loadManifest(dir string) (map[string]string, error) {
	b, err := readBounded(filepath.Join(dir, digestsName), maxManifestSize)
	if err != nil {
		return nil, err
	}
	var digests map[string]string
	if err := strictjson.Unmarshal(b, &digests); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKey, digestsName, err)
	}
	if len(digests) != len(keyFiles) {
		return nil, fmt.Errorf("%w: %s names %d files, want %d", ErrInvalidKey, digestsName, len(digests), len(keyFiles))
	}
	return digests, nil
}

// readChecked reads the key file name of dir (at most max bytes, see
// [readBounded]) and checks those bytes against their digest in the
// manifest. The caller parses the bytes returned: the file is read once,
// so what was hashed is what is decoded.
func readChecked(dir, name string, max int, digests map[string]string) ([]byte, error) {
	b, err := readBounded(filepath.Join(dir, name), max)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != digests[name] {
		return nil, fmt.Errorf("%w: %s does not match its digest in %s", ErrInvalidKey, name, digestsName)
	}
	return b, nil
}

func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// LoadKeys reads keys written by [Keys.Save]. Each file is read once, up
// to a size known before reading it (4 KiB for sha256.json and meta.json,
// the exact length for the shape and backend for vk.bin, the size the
// recompiled circuit allows for ccs.bin and pk.bin), and must be a regular
// file (a symbolic link is followed; a device, FIFO or directory is
// refused). Those bytes are checked against the directory's SHA-256
// manifest (sha256.json) before anything parses them, so a truncated or
// half-written directory is an error wrapping [ErrInvalidKey]. The
// manifest is no defence against whoever supplies the directory, so no
// file is trusted: the verifying key is parsed as in [ParseVerifyingKey];
// the circuit is recompiled from the shape and ccs.bin must be exactly
// its encoding (it is never decoded); pk.bin's whole layout is walked
// (every length header bounded by the circuit, every point flagged
// compressed) before gnark's checked decoder reads it. Every error about
// the contents wraps [ErrInvalidKey]; a missing file is an error wrapping
// [io/fs.ErrNotExist]. If want is non-nil, the loaded key's fingerprint must
// equal it.
func LoadKeys(dir string, want *Fingerprint) (*Keys, error) {
	digests, err := loadManifest(dir)
	if err != nil {
		return nil, err
	}
	metaB, err := readChecked(dir, "meta.json", maxMetaSize, digests)
	if err != nil {
		return nil, err
	}
	m, err := parseMeta(metaB)
	if err != nil {
		return nil, err
	}
	vkB, err := readChecked(dir, "vk.bin", vkSize(m.Shape, m.Backend), digests)
	if err != nil {
		return nil, err
	}
	vk, err := decodeVK(m.Shape, m.Backend, vkB)
	if err != nil {
		return nil, err
	}
	if want != nil && vk.fp != *want {
		return nil, fmt.Errorf("%w: fingerprint %s, want %s", ErrKeyMismatch, vk.fp, want)
	}
	// The constraint system is not decoded: the circuit is recompiled
	// from the shape (deterministic, ~0.1 s) and ccs.bin must be exactly
	// its encoding (so a directory from another circuit build is refused).
	ccs, err := compile(m.Shape, m.Backend)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	var ccsB bytes.Buffer
	if _, err := ccs.WriteTo(&ccsB); err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	got, err := readChecked(dir, "ccs.bin", ccsB.Len(), digests)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got, ccsB.Bytes()) {
		return nil, fmt.Errorf("%w: ccs.bin is not the constraint system of %s (another circuit build?)", ErrInvalidKey, m.Shape)
	}
	pkB, err := readChecked(dir, "pk.bin", maxProvingKeySize(vk, ccs), digests)
	if err != nil {
		return nil, err
	}
	k := &Keys{VerifyingKey: vk, ccs: ccs}
	if err := decodeProvingKey(pkB, vk, ccs, k); err != nil {
		return nil, err
	}
	return k, nil
}

// UnsafeCachedSetup returns keys for (s, b) from cacheDir, running
// [UnsafeSetup] and saving the result on a miss. The directory for a shape
// is cacheDir/<CircuitVersion>/<shape>-<backend>. Development only, like
// UnsafeSetup: whoever ran the setup knows its toxic waste.
func UnsafeCachedSetup(cacheDir string, s Shape, b Backend) (*Keys, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	dir := KeyDir(cacheDir, s, b)
	if k, err := LoadKeys(dir, nil); err == nil {
		return k, nil
	}
	k, err := UnsafeSetup(s, b)
	if err != nil {
		return nil, err
	}
	if err := k.Save(dir); err != nil {
		return nil, err
	}
	return k, nil
}

// KeyDir is the directory a key cache uses for (s, b) under cacheDir.
func KeyDir(cacheDir string, s Shape, b Backend) string {
	return filepath.Join(cacheDir, CircuitVersion, s.String()+"-"+string(b))
}
