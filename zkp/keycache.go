package zkp

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/go-json-experiment/json"
)

// The key cache form (FORMAT.md, "Key cache") is what a wallet keeps
// after it has checked a key bundle once: the proving key's points as
// their Montgomery limbs, so that loading is a copy rather than a
// decompression (a square root) and a subgroup check per point, which
// take seconds in WebAssembly for the default shape:
//
//	"zkcred-keys-cache-v2" 0x00 | u16 meta length | meta JSON |
//	u32 vk length | verifying key (gnark, compressed; fully checked on load) |
//	u32 ccs length | constraint system (gnark WriteTo; only for a shape with
//	a pinned digest, else empty) | u8 domain precompute flag | α₁ β₁ δ₁ | u32 n | n G1 (A) | u32 n | n G1 (B) |
//	u32 n | n G1 (Z) | u32 n | n G1 (K) | β₂ δ₂ | u32 n | n G2 (B₂) |
//	u64 infA | u64 infB | wires bytes (infinity A) | wires bytes (infinity B)
//
// A G1 point is X ‖ Y, a G2 point X.A0 ‖ X.A1 ‖ Y.A0 ‖ Y.A1, each
// coordinate four little-endian u64 Montgomery limbs (32 bytes), each
// below the field modulus. Groth16 only. Version 1 had no constraint
// system section.
const (
	cacheMagic       = "zkcred-keys-cache-v2\x00"
	cacheMagicPrefix = "zkcred-keys-cache-v"
)

// ErrStaleKeyCache is returned (wrapped with [ErrInvalidKey]) by
// [DangerousParseKeyCache] for a key cache made by another version of
// zkcred (an older cache form, or another circuit of the shape): it is
// not damaged, but cannot be used. Read the key bundle again with
// [ReadKeys] and make a new cache with [Keys.MarshalCache].
var ErrStaleKeyCache = errors.New("zkp: key cache made by another version of zkcred; make it again from the key bundle")

// ccsPin is the length and SHA-256 (hex) of the gnark encoding of a
// shape's Groth16 constraint system.
type ccsPin struct {
	size   int
	sha256 string
}

// builtinCCSPin returns the pinned constraint system digest of the
// built-in shapes (keycache_pins.go); other shapes have none, and their
// caches hold no constraint system.
func builtinCCSPin(s Shape) (ccsPin, bool) {
	switch s {
	case DefaultShape():
		return ccsPin{defaultShapeCCSSize, defaultShapeCCSSHA256}, true
	case ReferenceShape():
		return ccsPin{referenceShapeCCSSize, referenceShapeCCSSHA256}, true
	}
	return ccsPin{}, false
}

// matches reports whether b is the pinned encoding.
func (p ccsPin) matches(b []byte) bool {
	if len(b) != p.size {
		return false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) == p.sha256
}

// MarshalCache encodes Groth16 keys in the key cache form, for
// [DangerousParseKeyCache]. Call it only on keys that were fully checked
// ([ReadKeys], [LoadKeys]) or made by a setup, and keep the SHA-256 of the
// result with it. PLONK keys, nil or zero Keys are an error wrapping
// [ErrInvalidKey].
//
// For a built-in shape ([DefaultShape], [ReferenceShape]) the cache also
// holds the compiled circuit, so that loading it does not compile the
// circuit again.
func (k *Keys) MarshalCache() ([]byte, error) { return k.marshalCache(builtinCCSPin) }

func (k *Keys) marshalCache(pins func(Shape) (ccsPin, bool)) ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	if k.g16 == nil {
		return nil, fmt.Errorf("%w: the key cache form holds Groth16 keys only", ErrInvalidKey)
	}
	vk, pk := k.VerifyingKey, k.g16
	meta, err := json.Marshal(keyMeta{Format: 1, Circuit: CircuitVersion, Shape: vk.shape, Backend: vk.backend})
	if err != nil {
		return nil, err
	}
	var domain bytes.Buffer
	if _, err := pk.Domain.WriteTo(&domain); err != nil {
		return nil, err
	}
	var ccs bytes.Buffer
	if pin, ok := pins(vk.shape); ok {
		if _, err := k.ccs.WriteTo(&ccs); err != nil {
			return nil, err
		}
		if !pin.matches(ccs.Bytes()) {
			return nil, fmt.Errorf("zkp: internal error: the circuit of %s does not match its pinned digest (after a deliberate circuit change, run go test ./zkp -run TestCCSPins -update)", vk.shape)
		}
	}
	size := len(cacheMagic) + 2 + len(meta) + 4 + len(vk.raw) + 4 + ccs.Len() + 1 + 3*64 + 4*4 +
		64*(len(pk.G1.A)+len(pk.G1.B)+len(pk.G1.Z)+len(pk.G1.K)) + 2*128 + 4 + 128*len(pk.G2.B) + 16 + 2*len(pk.InfinityA)
	b := make([]byte, 0, size)
	b = append(b, cacheMagic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(meta)))
	b = append(b, meta...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vk.raw)))
	b = append(b, vk.raw...)
	b = binary.BigEndian.AppendUint32(b, uint32(ccs.Len()))
	b = append(b, ccs.Bytes()...)
	b = append(b, domain.Bytes()[domain.Len()-1])
	g1 := func(p *bn254.G1Affine) { b = appendFp(appendFp(b, &p.X), &p.Y) }
	g1s := func(ps []bn254.G1Affine) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(ps)))
		for i := range ps {
			g1(&ps[i])
		}
	}
	g2 := func(p *bn254.G2Affine) {
		b = appendFp(appendFp(appendFp(appendFp(b, &p.X.A0), &p.X.A1), &p.Y.A0), &p.Y.A1)
	}
	g1(&pk.G1.Alpha)
	g1(&pk.G1.Beta)
	g1(&pk.G1.Delta)
	g1s(pk.G1.A)
	g1s(pk.G1.B)
	g1s(pk.G1.Z)
	g1s(pk.G1.K)
	g2(&pk.G2.Beta)
	g2(&pk.G2.Delta)
	b = binary.BigEndian.AppendUint32(b, uint32(len(pk.G2.B)))
	for i := range pk.G2.B {
		g2(&pk.G2.B[i])
	}
	b = binary.BigEndian.AppendUint64(b, pk.NbInfinityA)
	b = binary.BigEndian.AppendUint64(b, pk.NbInfinityB)
	for _, inf := range [][]bool{pk.InfinityA, pk.InfinityB} {
		for _, x := range inf {
			if x {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	if len(b) != size {
		return nil, fmt.Errorf("zkp: internal error: key cache of %d bytes, computed %d", len(b), size)
	}
	return b, nil
}

func appendFp(b []byte, e *fp.Element) []byte {
	for _, l := range e {
		b = binary.LittleEndian.AppendUint64(b, l)
	}
	return b
}

// fpModulus is the base field modulus as four little-endian u64 limbs.
var fpModulus = func() (q [4]uint64) {
	m := fp.Modulus()
	for i := range q {
		q[i] = new(big.Int).Rsh(m, uint(64*i)).Uint64()
	}
	return q
}()

// DangerousParseKeyCache decodes keys in the key cache form
// ([Keys.MarshalCache]) WITHOUT checking that the proving key's points
// are on the curve or in the subgroup: it trusts that the bytes are the
// cache of keys that were fully checked. It checks that SHA-256(b) is
// sum, in constant time, before it decodes anything: sum must be the
// digest the caller computed when it made the cache from checked keys
// and kept apart from it (FORMAT.md, "Key cache", says when this is
// sound). If want is non-nil the verifying key's fingerprint must equal
// it ([ErrKeyMismatch]).
//
// The verifying key is still fully checked (it is small). The circuit is
// decoded from the cache only when its bytes have the SHA-256 pinned in
// this package for the shape (a built-in shape), so gnark's decoder only
// ever reads what gnark wrote for this build's circuit; else it is
// recompiled from the shape. Every count is bounded by that circuit
// before anything is allocated, every coordinate must be below the field
// modulus, and the layout must be exact: whatever b holds, decoding
// returns an error wrapping [ErrInvalidKey] rather than panicking, and
// allocates at most a small multiple of what the shape needs. A cache of
// another version is refused with an error wrapping both [ErrInvalidKey]
// and [ErrStaleKeyCache].
func DangerousParseKeyCache(b []byte, sum [32]byte, want *Fingerprint) (*Keys, error) {
	return parseKeyCache(b, sum, want, builtinCCSPin)
}

func parseKeyCache(b []byte, sum [32]byte, want *Fingerprint, pins func(Shape) (ccsPin, bool)) (*Keys, error) {
	got := sha256.Sum256(b)
	if subtle.ConstantTimeCompare(got[:], sum[:]) != 1 {
		return nil, fmt.Errorf("%w: the key cache does not match its digest", ErrInvalidKey)
	}
	c := cacheReader{b: b}
	if magic := string(c.take(len(cacheMagic))); magic != cacheMagic {
		if strings.HasPrefix(magic, cacheMagicPrefix) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidKey, ErrStaleKeyCache)
		}
		return nil, fmt.Errorf("%w: not a key cache (bad magic)", ErrInvalidKey)
	}
	metaB := c.take(int(c.u16()))
	if c.bad {
		return nil, fmt.Errorf("%w: key cache truncated", ErrInvalidKey)
	}
	m, err := parseMeta(metaB)
	if err != nil {
		return nil, err
	}
	if m.Backend != Groth16 {
		return nil, fmt.Errorf("%w: the key cache form holds Groth16 keys only", ErrInvalidKey)
	}
	n := int(c.u32())
	if c.bad || n != vkSize(m.Shape, m.Backend) {
		return nil, fmt.Errorf("%w: key cache verifying key length", ErrInvalidKey)
	}
	vk, err := decodeVK(m.Shape, m.Backend, c.take(n))
	if err != nil {
		return nil, err
	}
	if want != nil && vk.fp != *want {
		return nil, fmt.Errorf("%w: fingerprint %s, want %s", ErrKeyMismatch, vk.fp, want)
	}
	ccsB := c.take(int(c.u32()))
	if c.bad {
		return nil, fmt.Errorf("%w: key cache truncated", ErrInvalidKey)
	}
	var ccs constraint.ConstraintSystem
	if pin, ok := pins(m.Shape); ok {
		// Only the exact bytes gnark wrote for this build's circuit reach
		// gnark's decoder, which trusts its length headers.
		if !pin.matches(ccsB) {
			return nil, fmt.Errorf("%w: %w (its circuit of %s is not this build's)", ErrInvalidKey, ErrStaleKeyCache, m.Shape)
		}
		ccs = groth16.NewCS(ecc.BN254)
		if _, err := ccs.ReadFrom(bytes.NewReader(ccsB)); err != nil {
			return nil, fmt.Errorf("zkp: internal error: pinned circuit of %s: %v", m.Shape, err)
		}
	} else {
		if len(ccsB) != 0 {
			return nil, fmt.Errorf("%w: key cache holds a circuit for %s, which has no pinned digest", ErrInvalidKey, m.Shape)
		}
		if ccs, err = compile(m.Shape, m.Backend); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
	}
	wires, private, card, _ := groth16PKBounds(ccs)
	pk := new(groth16bn254.ProvingKey)
	var domain bytes.Buffer
	if _, err := fft.NewDomain(uint64(ccs.GetNbConstraints()), fft.WithoutPrecompute()).WriteTo(&domain); err != nil {
		return nil, err
	}
	flag := c.take(1)
	if c.bad || flag[0] > 1 {
		return nil, fmt.Errorf("%w: key cache domain flag", ErrInvalidKey)
	}
	db := domain.Bytes()
	db[len(db)-1] = flag[0]
	if _, err := pk.Domain.ReadFrom(bytes.NewReader(db)); err != nil {
		return nil, fmt.Errorf("zkp: internal error: domain: %v", err)
	}
	c.g1(&pk.G1.Alpha)
	c.g1(&pk.G1.Beta)
	c.g1(&pk.G1.Delta)
	pk.G1.A = c.g1s(wires)
	pk.G1.B = c.g1s(wires)
	pk.G1.Z = c.g1s(int(card))
	pk.G1.K = c.g1s(private)
	c.g2(&pk.G2.Beta)
	c.g2(&pk.G2.Delta)
	if nb := int(c.u32()); !c.bad && nb <= wires && c.need(nb*128) {
		pk.G2.B = make([]bn254.G2Affine, nb)
		for i := range pk.G2.B {
			c.g2(&pk.G2.B[i])
		}
	} else {
		c.bad = true
	}
	pk.NbInfinityA, pk.NbInfinityB = c.u64(), c.u64()
	infA, infB := c.take(wires), c.take(wires)
	if c.bad || len(c.b) != 0 {
		return nil, fmt.Errorf("%w: key cache layout does not match the circuit of %s", ErrInvalidKey, m.Shape)
	}
	pk.InfinityA, pk.InfinityB = make([]bool, wires), make([]bool, wires)
	var setA, setB uint64
	for i := range wires {
		if infA[i] > 1 || infB[i] > 1 {
			return nil, fmt.Errorf("%w: key cache infinity flag", ErrInvalidKey)
		}
		pk.InfinityA[i], pk.InfinityB[i] = infA[i] == 1, infB[i] == 1
		setA += uint64(infA[i])
		setB += uint64(infB[i])
	}
	if setA != pk.NbInfinityA || setB != pk.NbInfinityB || len(pk.G1.A) != wires-int(setA) ||
		len(pk.G1.B) != wires-int(setB) || len(pk.G2.B) != len(pk.G1.B) ||
		(uint64(len(pk.G1.Z)) != card && uint64(len(pk.G1.Z)) != card-1) || len(pk.G1.K) != private {
		return nil, fmt.Errorf("%w: key cache counts do not match the circuit of %s", ErrInvalidKey, m.Shape)
	}
	if err := checkGroth16PKMatchesVK(pk, vk); err != nil {
		return nil, err
	}
	pk.CommitmentKeys = nil
	return &Keys{VerifyingKey: vk, ccs: ccs, g16: pk}, nil
}

// cacheReader reads the key cache form; the first short read or
// out-of-range value sets bad, after which every read returns zeros.
type cacheReader struct {
	b   []byte
	bad bool
}

func (c *cacheReader) need(n int) bool {
	if c.bad || n < 0 || n > len(c.b) {
		c.bad = true
		return false
	}
	return true
}

func (c *cacheReader) take(n int) []byte {
	if !c.need(n) {
		return nil // callers check bad
	}
	out := c.b[:n:n]
	c.b = c.b[n:]
	return out
}

func (c *cacheReader) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	return binary.BigEndian.Uint16(c.take(2))
}

func (c *cacheReader) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	return binary.BigEndian.Uint32(c.take(4))
}

func (c *cacheReader) u64() uint64 {
	if !c.need(8) {
		return 0
	}
	return binary.BigEndian.Uint64(c.take(8))
}

// fp reads one coordinate: four limbs, below the modulus.
func (c *cacheReader) fp(e *fp.Element) {
	if !c.need(32) {
		return
	}
	b := c.take(32)
	for i := range e {
		e[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	for i := 3; i >= 0; i-- {
		if e[i] != fpModulus[i] {
			if e[i] > fpModulus[i] {
				c.bad = true
			}
			return
		}
	}
	c.bad = true // equal to the modulus
}

func (c *cacheReader) g1(p *bn254.G1Affine) { c.fp(&p.X); c.fp(&p.Y) }

func (c *cacheReader) g2(p *bn254.G2Affine) {
	c.fp(&p.X.A0)
	c.fp(&p.X.A1)
	c.fp(&p.Y.A0)
	c.fp(&p.Y.A1)
}

// g1s reads a u32 count, at most limit, and that many G1 points.
func (c *cacheReader) g1s(limit int) []bn254.G1Affine {
	n := int(c.u32())
	if c.bad || n > limit || !c.need(n*64) {
		c.bad = true
		return nil
	}
	ps := make([]bn254.G1Affine, n)
	for i := range ps {
		c.g1(&ps[i])
	}
	return ps
}
