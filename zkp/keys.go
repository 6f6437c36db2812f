package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
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

// Compile compiles the circuit of shape s for backend b (R1CS for Groth16,
// PLONKish for PLONK).
func Compile(s Shape, b Backend) (constraint.ConstraintSystem, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	var ccs constraint.ConstraintSystem
	var err error
	if b == PLONK {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, NewCircuit(s))
	} else {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, NewCircuit(s))
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
	g16fast *g16Verifier // nil: use gnark's verifier
	pl      *plonkbn254.VerifyingKey
	raw     []byte // gnark encoding
	fp      Fingerprint
}

// Shape returns the key's shape.
func (vk *VerifyingKey) Shape() Shape { return vk.shape }

// Backend returns the key's backend.
func (vk *VerifyingKey) Backend() Backend { return vk.backend }

// Fingerprint returns the key's fingerprint.
func (vk *VerifyingKey) Fingerprint() Fingerprint { return vk.fp }

func newVerifyingKey(s Shape, b Backend, vk any) (*VerifyingKey, error) {
	var buf bytes.Buffer
	out := &VerifyingKey{shape: s, backend: b}
	switch k := vk.(type) {
	case *groth16bn254.VerifyingKey:
		out.g16 = k
		if _, err := k.WriteTo(&buf); err != nil {
			return nil, err
		}
		fast, err := newG16Verifier(k)
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
}

// Constraints returns the number of constraints (R1CS) or gates (PLONK).
func (k *Keys) Constraints() int { return k.ccs.GetNbConstraints() }

// UnsafeSetup generates keys with a single-party setup whose toxic waste
// lives in this process: for development and tests only. Anyone who learns
// it can forge proofs. Use [Ceremony] (Groth16) or [SetupPLONK] with a
// ceremony SRS in production.
func UnsafeSetup(s Shape, b Backend) (*Keys, error) {
	ccs, err := Compile(s, b)
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
func (vk *VerifyingKey) MarshalBinary() ([]byte, error) {
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
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: metadata: %v", ErrInvalidKey, err)
	}
	if dec.More() {
		return m, fmt.Errorf("%w: metadata: trailing data", ErrInvalidKey)
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

// ParseVerifyingKey decodes [VerifyingKey.MarshalBinary] output. The gnark
// encoding is decoded with subgroup checks, after its length headers were
// checked against the shape (gnark's decoders trust them).
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

func decodeVK(s Shape, b Backend, raw []byte) (*VerifyingKey, error) {
	var vk any
	switch b {
	case Groth16:
		if err := checkGroth16VKLayout(s, raw); err != nil {
			return nil, err
		}
		k := new(groth16bn254.VerifyingKey)
		if _, err := k.ReadFrom(bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		vk = k
	case PLONK:
		if err := checkPLONKVKLayout(raw); err != nil {
			return nil, err
		}
		k := new(plonkbn254.VerifyingKey)
		if _, err := k.ReadFrom(bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
		if k.NbPublicVariables != uint64(nbPublic(s)) {
			return nil, fmt.Errorf("%w: %d public inputs, shape has %d", ErrInvalidKey, k.NbPublicVariables, nbPublic(s))
		}
		vk = k
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

// checkGroth16VKLayout checks the exact length and the length headers of a
// compressed BN254 Groth16 verifying key without commitments:
// α1 β1 β2 γ2 δ1 δ2 (288 bytes) | u32 len(K) | K | u32 0 | u32 0.
func checkGroth16VKLayout(s Shape, raw []byte) error {
	k := nbPublic(s) + 1
	want := 288 + 4 + 32*k + 4 + 4
	if len(raw) != want {
		return fmt.Errorf("%w: groth16 key length %d, want %d", ErrInvalidKey, len(raw), want)
	}
	if binary.BigEndian.Uint32(raw[288:]) != uint32(k) ||
		binary.BigEndian.Uint32(raw[292+32*k:]) != 0 || binary.BigEndian.Uint32(raw[296+32*k:]) != 0 {
		return fmt.Errorf("%w: groth16 key headers", ErrInvalidKey)
	}
	return nil
}

// plonkVKLayout is the length of a compressed BN254 PLONK verifying key with
// no commitments, and the offsets of its two slice headers (Qcp and the
// commitment constraint indexes), found from an empty template.
var plonkVKLayout = sync.OnceValues(func() (int, [2]int) {
	var t plonkbn254.VerifyingKey
	var buf bytes.Buffer
	if _, err := t.WriteTo(&buf); err != nil {
		panic("zkp: internal error: " + err.Error())
	}
	// Fields before Qcp: marker, version, size (3×u64), SizeInv, Generator,
	// NbPublicVariables (u64), CosetShift, S[3], Ql, Qr, Qm, Qo, Qk.
	qcp := 3*8 + 2*32 + 8 + 32 + 3*32 + 5*32
	return buf.Len(), [2]int{qcp, buf.Len() - 4}
})

func checkPLONKVKLayout(raw []byte) error {
	n, hdr := plonkVKLayout()
	if len(raw) != n {
		return fmt.Errorf("%w: plonk key length %d, want %d", ErrInvalidKey, len(raw), n)
	}
	for _, o := range hdr {
		if binary.BigEndian.Uint32(raw[o:]) != 0 {
			return fmt.Errorf("%w: plonk key headers", ErrInvalidKey)
		}
	}
	return nil
}

// Key directory layout (see FORMAT.md): meta.json, vk.bin (gnark), pk.bin
// (gnark), ccs.bin (gnark constraint system).

// Save writes the keys into dir (created if needed).
func (k *Keys) Save(dir string) error {
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
	d, err := json.MarshalIndent(digests, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, digestsName), d); err != nil {
		return fmt.Errorf("zkp: save keys: %w", err)
	}
	return nil
}

// digestsName is the key directory's manifest: the SHA-256 of each other
// file, checked by LoadKeys before any decoder reads it.
const digestsName = "sha256.json"

// checkDigests verifies the files of a key directory against its
// manifest, so that a truncated or corrupted file is an error, not input
// for gnark's decoders (which trust the lengths they read).
func checkDigests(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, digestsName))
	if err != nil {
		return fmt.Errorf("zkp: load keys: %w", err)
	}
	var digests map[string]string
	if err := json.Unmarshal(b, &digests); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidKey, digestsName, err)
	}
	for _, name := range []string{"meta.json", "vk.bin", "pk.bin", "ccs.bin"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("zkp: load keys: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("zkp: load keys: %w", err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != digests[name] {
			return fmt.Errorf("%w: %s does not match its digest in %s", ErrInvalidKey, name, digestsName)
		}
	}
	return nil
}

func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// LoadKeys reads keys written by [Keys.Save] without recompiling the
// circuit. Every file is first checked against the directory's SHA-256
// manifest (sha256.json), so a truncated or corrupted file is an error
// wrapping [ErrInvalidKey]. Beyond that, the proving key and constraint
// system are trusted local files (gnark's checked readers verify points,
// not sizes); the verifying key's layout is checked as in
// [ParseVerifyingKey]. If want is non-nil, the loaded key's fingerprint
// must equal it.
func LoadKeys(dir string, want *Fingerprint) (*Keys, error) {
	if err := checkDigests(dir); err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("zkp: load keys: %w", err)
		}
		return b, nil
	}
	metaB, err := read("meta.json")
	if err != nil {
		return nil, err
	}
	m, err := parseMeta(metaB)
	if err != nil {
		return nil, err
	}
	vkB, err := read("vk.bin")
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
	k := &Keys{VerifyingKey: vk}
	pkF, err := os.Open(filepath.Join(dir, "pk.bin"))
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	defer pkF.Close()
	ccsF, err := os.Open(filepath.Join(dir, "ccs.bin"))
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	defer ccsF.Close()
	var pkReader io.ReaderFrom
	if m.Backend == Groth16 {
		k.g16 = new(groth16bn254.ProvingKey)
		pkReader = k.g16
		k.ccs = groth16.NewCS(ecc.BN254)
	} else {
		k.pl = new(plonkbn254.ProvingKey)
		pkReader = k.pl
		k.ccs = plonk.NewCS(ecc.BN254)
	}
	if _, err := pkReader.ReadFrom(pkF); err != nil {
		return nil, fmt.Errorf("%w: proving key: %v", ErrInvalidKey, err)
	}
	if _, err := k.ccs.ReadFrom(ccsF); err != nil {
		return nil, fmt.Errorf("%w: constraint system: %v", ErrInvalidKey, err)
	}
	wantPub := nbPublic(m.Shape)
	if m.Backend == Groth16 {
		wantPub++ // R1CS counts the constant-one wire
	}
	if k.ccs.GetNbPublicVariables() != wantPub {
		return nil, fmt.Errorf("%w: constraint system does not match the shape", ErrInvalidKey)
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
