package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/go-json-experiment/json"
)

// heapAllocs returns the bytes allocated on the heap so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// decodeCeiling bounds what decoding one input may allocate. The largest
// honest input the fuzz targets and bomb tests decode is a verifying key
// (~40 KB; PLONK's KZG lines) or a small SRS; gnark's parallel point
// decoding and Groth16's Precompute add a few MiB at most. 64 MiB is far
// above that and far below what a forged header asks for (4 GiB to
// 256 GiB).
const decodeCeiling = 64 << 20

// withinCeiling runs f and fails t if it allocated more than
// decodeCeiling bytes.
func withinCeiling(t testing.TB, what string, f func()) {
	t.Helper()
	before := heapAllocs()
	f()
	if d := heapAllocs() - before; d > decodeCeiling {
		t.Fatalf("%s allocated %d bytes, ceiling %d", what, d, decodeCeiling)
	}
}

// golden reads a file of the golden PLONK or Groth16 set (real keys and
// proofs made by an earlier build, see golden_test.go).
func golden(t testing.TB, b Backend, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, string(b), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// g1WithPrefix returns the uncompressed encoding of a G1 point whose
// first four bytes are 00 00 00 p (gnark-crypto reads it as uncompressed,
// and an old fixed-offset check reads p there).
func g1WithPrefix(t testing.TB, p byte) []byte {
	t.Helper()
	for i := int64(1); i < 1000; i++ {
		x := new(big.Int).Lsh(big.NewInt(int64(p)), 224)
		x.Add(x, big.NewInt(i))
		var pt bn254.G1Affine
		pt.X.SetBigInt(x)
		var y2, three fp.Element
		three.SetUint64(3)
		y2.Square(&pt.X).Mul(&y2, &pt.X).Add(&y2, &three)
		if pt.Y.Sqrt(&y2) == nil {
			continue
		}
		b := pt.RawBytes()
		return b[:]
	}
	t.Fatal("no point found")
	return nil
}

// plonkProofBomb turns an honest 520-byte PLONK proof into the 4 GiB
// bomb: the first point re-encoded uncompressed (64 bytes) moves every
// later field by 32 bytes; the eighth point, now at byte 256 where the old
// fixed-offset check wanted the header 00 00 00 06, is an uncompressed
// point starting with those bytes; and the claimed-values header gnark
// then reads at byte 320 says 2^32−1 (fr.Vector caps it at 4 GiB).
func plonkProofBomb(t testing.TB, honest []byte) []byte {
	t.Helper()
	var p0 bn254.G1Affine
	if _, err := p0.SetBytes(honest[:32]); err != nil {
		t.Fatal(err)
	}
	raw := p0.RawBytes()
	b := append([]byte{}, raw[:]...)
	b = append(b, honest[32:224]...) // points 1..6, compressed
	b = append(b, g1WithPrefix(t, plonkClaimedValues)...)
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)
	b = append(b, make([]byte, plonkProofSize-len(b))...)
	if len(b) != plonkProofSize || binary.BigEndian.Uint32(b[256:]) != plonkClaimedValues {
		t.Fatal("bomb does not pass the old checks")
	}
	return b
}

// plonkPresentationBomb is a golden PLONK presentation carrying the bomb
// (about 800 bytes).
func plonkPresentationBomb(t testing.TB) []byte {
	t.Helper()
	p, err := DecodePresentation(golden(t, PLONK, "presentation.json"))
	if err != nil {
		t.Fatal(err)
	}
	p.Proof = plonkProofBomb(t, p.Proof)
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// groth16VKBomb shifts a Groth16 verifying key so that the K header gnark
// reads asks for 2^32−1 points (256 GiB with the flags), while the header
// the old check read at byte 288 still says len(K): α and β₂ uncompressed
// (+96 bytes) put δ₁ at byte 288, an uncompressed point whose first bytes
// are 00 00 00 len(K).
func groth16VKBomb(t testing.TB, vkFile []byte) []byte {
	t.Helper()
	head, raw := splitVKFile(t, vkFile)
	k := int(binary.BigEndian.Uint32(raw[288:]))
	var a bn254.G1Affine
	var b2 bn254.G2Affine
	if _, err := a.SetBytes(raw[:32]); err != nil {
		t.Fatal(err)
	}
	if _, err := b2.SetBytes(raw[64:128]); err != nil {
		t.Fatal(err)
	}
	ar, br := a.RawBytes(), b2.RawBytes()
	out := append([]byte{}, ar[:]...)
	out = append(out, raw[32:64]...)   // β₁
	out = append(out, br[:]...)        // β₂
	out = append(out, raw[128:192]...) // γ₂
	out = append(out, g1WithPrefix(t, byte(k))...)
	out = append(out, raw[224:288]...) // δ₂
	out = binary.BigEndian.AppendUint32(out, 0xffffffff)
	out = append(out, make([]byte, len(raw)-len(out))...)
	if len(out) != len(raw) || binary.BigEndian.Uint32(out[288:]) != uint32(k) {
		t.Fatal("bomb does not pass the old checks")
	}
	return append(head, out...)
}

// plonkVKBomb shifts a PLONK verifying key: S[0] uncompressed, and Qk, now
// at byte 384 where the old check wanted the Qcp header 0, the
// uncompressed generator (1, 2) (first bytes 00 00 00 00); gnark then
// reads the Qcp header at byte 448: 2^32−1 points.
func plonkVKBomb(t testing.TB, vkFile []byte) []byte {
	t.Helper()
	head, raw := splitVKFile(t, vkFile)
	const s0 = 3*8 + 2*32 + 8 + 32
	var p bn254.G1Affine
	if _, err := p.SetBytes(raw[s0 : s0+32]); err != nil {
		t.Fatal(err)
	}
	_, _, g1, _ := bn254.Generators()
	pr, gr := p.RawBytes(), g1.RawBytes()
	out := append([]byte{}, raw[:s0]...)
	out = append(out, pr[:]...)
	out = append(out, raw[s0+32:s0+7*32]...) // S[1], S[2], Ql..Qo
	out = append(out, gr[:]...)              // Qk
	out = binary.BigEndian.AppendUint32(out, 0xffffffff)
	out = append(out, raw[len(out):]...)
	if len(out) != len(raw) || binary.BigEndian.Uint32(out[384:]) != 0 || binary.BigEndian.Uint32(out[len(out)-4:]) != 0 {
		t.Fatal("bomb does not pass the old checks")
	}
	return append(head, out...)
}

// splitVKFile splits a verifying key file into its zkcred header (magic,
// meta) and the gnark encoding.
func splitVKFile(t testing.TB, b []byte) (head, raw []byte) {
	t.Helper()
	n := len(vkMagic) + 2 + int(binary.BigEndian.Uint16(b[len(vkMagic):]))
	return bytes.Clone(b[:n]), bytes.Clone(b[n:])
}

// TestDecoderBombs feeds each decoder the inputs that made gnark's
// decoders allocate gigabytes (the old code died with "fatal error: out
// of memory" on each): every one must be an error, within the ceiling.
func TestDecoderBombs(t *testing.T) {
	bomb := plonkPresentationBomb(t)
	if len(bomb) > 1000 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	withinCeiling(t, "DecodePresentation(plonk bomb)", func() {
		if _, err := DecodePresentation(bomb); !errors.Is(err, ErrInvalidPresentation) {
			t.Errorf("plonk bomb: %v", err)
		}
	})
	for _, c := range []struct {
		b    Backend
		bomb func(testing.TB, []byte) []byte
	}{{Groth16, groth16VKBomb}, {PLONK, plonkVKBomb}} {
		vkb := c.bomb(t, golden(t, c.b, "vk.bin"))
		withinCeiling(t, "ParseVerifyingKey("+string(c.b)+" bomb)", func() {
			if _, err := ParseVerifyingKey(vkb); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s verifying key bomb: %v", c.b, err)
			}
		})
	}
}

// TestDecodePLONKProofFlags switches each point of an honest PLONK proof
// to uncompressed (flag bits 00) in place: always an error.
func TestDecodePLONKProofFlags(t *testing.T) {
	p, err := DecodePresentation(golden(t, PLONK, "presentation.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, 32, 224, 260 + plonkClaimedValues*32} {
		b := bytes.Clone(p.Proof)
		b[off] &^= 0b11 << 6
		if _, err := decodePLONKProof(b); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("point at byte %d uncompressed: %v", off, err)
		}
	}
}

// resave rewrites name in a key directory and its digest in the manifest,
// as whoever supplies the directory can.
func resave(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(dir, digestsName))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	m[name] = hex.EncodeToString(sum[:])
	if mb, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, digestsName), mb, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadKeysUntrustedDirectory supplies a whole key directory, manifest
// included: crafted files must be refused within the ceiling. (The old
// LoadKeys trusted the manifest and handed pk.bin and ccs.bin to gnark:
// the shifted headers below allocated without bound.)
func TestLoadKeysUntrustedDirectory(t *testing.T) {
	keys := keysFor(t, Groth16)
	pk, err := keyFile(t, keys, "pk.bin")
	if err != nil {
		t.Fatal(err)
	}
	vkb, err := keys.VerifyingKey.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	_, vkRaw := splitVKFile(t, vkb)
	const domain = 8 + 5*32 + 1
	aHdr := domain + 3*32
	withU32 := func(b []byte, off int, v uint32) []byte {
		b = bytes.Clone(b)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	flag := func(b []byte, off int) []byte {
		b = bytes.Clone(b)
		b[off] &^= 0b11 << 6
		return b
	}
	nA := int(binary.BigEndian.Uint32(pk[aHdr:]))
	bHdr := aHdr + 4 + 32*nA
	cases := map[string]struct{ name, data string }{
		"pk A header 2^32-1":          {"pk.bin", string(withU32(pk, aHdr, 0xffffffff))},
		"pk B header 2^31":            {"pk.bin", string(withU32(pk, bHdr, 1<<31))},
		"pk α uncompressed":           {"pk.bin", string(flag(pk, domain))},
		"pk A[0] uncompressed":        {"pk.bin", string(flag(pk, aHdr+4))},
		"pk domain 2^40":              {"pk.bin", string(binary.BigEndian.AppendUint64(nil, 1<<40)) + string(pk[8:])},
		"pk wire count 2^60":          {"pk.bin", string(pk[:len(pk)-4-2*testWires(keys)-24]) + string(binary.BigEndian.AppendUint64(nil, 1<<60)) + string(pk[len(pk)-4-2*testWires(keys)-16:])},
		"pk trailing byte":            {"pk.bin", string(pk) + "\x00"},
		"pk truncated":                {"pk.bin", string(pk[:len(pk)-1])},
		"ccs altered":                 {"ccs.bin", "\x00"},
		"vk shifted":                  {"vk.bin", string(groth16VKBomb(t, vkb)[len(vkb)-len(vkRaw):])},
		"meta case-variant duplicate": {"meta.json", `{"format":1,"Format":1,"circuit":"` + CircuitVersion + `","shape":{}}`},
	}
	// LoadKeys recompiles the circuit and reads pk.bin: its ceiling is
	// what loading the honest directory allocates, twice over.
	honestDir := keyDirOf(t, keys)
	copyDir := func(t *testing.T) string {
		dir := t.TempDir()
		for _, name := range append([]string{digestsName}, keyFiles...) {
			b, err := os.ReadFile(filepath.Join(honestDir, name))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	before := heapAllocs()
	if _, err := LoadKeys(honestDir, nil); err != nil {
		t.Fatal(err)
	}
	ceiling := 2 * (heapAllocs() - before)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t)
			resave(t, dir, c.name, []byte(c.data))
			before := heapAllocs()
			if _, err := LoadKeys(dir, nil); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s: %v", name, err)
			}
			if d := heapAllocs() - before; d > ceiling {
				t.Errorf("LoadKeys allocated %d bytes, ceiling %d", d, ceiling)
			}
		})
	}
	// A manifest naming a file twice (json v2 refuses duplicate names,
	// also after unescaping) or one more file.
	dir := copyDir(t)
	mb, err := os.ReadFile(filepath.Join(dir, digestsName))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{
		strings.Replace(string(mb), `"pk.bin"`, `"pk.bin": "00", "pk\u002ebin"`, 1),
		strings.Replace(string(mb), `{`, `{"extra.bin": "00",`, 1),
	} {
		if err := os.WriteFile(filepath.Join(dir, digestsName), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeys(dir, nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("manifest %s: %v", m, err)
		}
	}
}

// keyFile returns a file of the saved keys.
func keyFile(t *testing.T, keys *Keys, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(keyDirOf(t, keys), name))
}

// testWires is the number of wires of the keys' circuit.
func testWires(k *Keys) int {
	a, b, c := k.ccs.GetNbVariables()
	return a + b + c
}

// TestKZGLinesChecked replaces the pairing lines alone, in an SRS file and
// in a PLONK verifying key, with those of another τ: gnark-crypto's KZG
// verifier uses only the lines, so such a file lets its maker forge
// proofs. The old ReadSRS and ParseVerifyingKey accepted both.
func TestKZGLinesChecked(t *testing.T) {
	srs, err := UnsafeGenerateSRS(16)
	if err != nil {
		t.Fatal(err)
	}
	other, err := UnsafeGenerateSRS(16)
	if err != nil {
		t.Fatal(err)
	}
	var honest bytes.Buffer
	if _, err := srs.WriteTo(&honest); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSRS(bytes.NewReader(honest.Bytes())); err != nil {
		t.Fatalf("honest SRS: %v", err)
	}
	forged := &SRS{srs: srs.srs}
	forged.srs.Vk.Lines[1] = other.srs.Vk.Lines[1]
	var file bytes.Buffer
	if _, err := forged.WriteTo(&file); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(file.Bytes(), honest.Bytes()) {
		t.Fatal("lines not replaced")
	}
	if _, err := ReadSRS(bytes.NewReader(file.Bytes())); !errors.Is(err, ErrInvalidSRS) {
		t.Errorf("SRS with another τ's lines: %v", err)
	}
	// An uncompressed power moves the verifying key: refused too.
	b := bytes.Clone(honest.Bytes())
	b[4+32] &^= 0b11 << 6
	if _, err := ReadSRS(bytes.NewReader(b)); !errors.Is(err, ErrInvalidSRS) {
		t.Errorf("SRS with an uncompressed power: %v", err)
	}

	vkFile := golden(t, PLONK, "vk.bin")
	if _, err := ParseVerifyingKey(vkFile); err != nil {
		t.Fatal(err)
	}
	head, raw := splitVKFile(t, vkFile)
	vk, err := decodePLONKVK(goldenShape, raw)
	if err != nil {
		t.Fatal(err)
	}
	var one fr.Element
	one.SetOne()
	for name, edit := range map[string]func(){
		"lines of another τ": func() { vk.Kzg.Lines[1] = other.srs.Vk.Lines[1] },
		"SizeInv":            func() { vk.SizeInv.Add(&vk.SizeInv, &one) },
		"Generator":          func() { vk.Generator.Add(&vk.Generator, &one) },
		"CosetShift":         func() { vk.CosetShift.Add(&vk.CosetShift, &one) },
		"Size":               func() { vk.Size *= 2 },
	} {
		k, err := decodePLONKVK(goldenShape, raw)
		if err != nil {
			t.Fatal(err)
		}
		vk = k
		edit()
		var enc bytes.Buffer
		if _, err := vk.WriteTo(&enc); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseVerifyingKey(append(bytes.Clone(head), enc.Bytes()...)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("PLONK key with %s altered: %v", name, err)
		}
	}
}

// TestDecodePresentationFor checks that a presentation for another key or
// backend is refused before its proof is decoded (the bomb proof is
// never looked at), wrapping both sentinels.
func TestDecodePresentationFor(t *testing.T) {
	pb := golden(t, PLONK, "presentation.json")
	vk, err := ParseVerifyingKey(golden(t, PLONK, "vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodePresentationFor(vk, pb); err != nil {
		t.Fatalf("own presentation: %v", err)
	}
	g16, err := ParseVerifyingKey(golden(t, Groth16, "vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	bomb := plonkPresentationBomb(t)
	p, err := DecodePresentation(pb)
	if err != nil {
		t.Fatal(err)
	}
	p.Key[0] ^= 1
	otherKey, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		vk       *VerifyingKey
		b        []byte
		mismatch bool
	}{
		"other backend":         {g16, pb, true},
		"other key, bomb proof": {g16, bomb, true},
		"other fingerprint":     {vk, otherKey, true},
		"own key, bomb proof":   {vk, bomb, false},
	} {
		withinCeiling(t, name, func() {
			_, err := DecodePresentationFor(c.vk, c.b)
			if !errors.Is(err, ErrInvalidPresentation) || errors.Is(err, ErrKeyMismatch) != c.mismatch {
				t.Errorf("%s: %v (want ErrKeyMismatch: %v)", name, err, c.mismatch)
			}
		})
	}
}

// TestStrictJSON checks json v2 semantics where the old decoders (encoding/json)
// were lenient and no canonical re-encoding caught it: shapes and key
// metadata with case-variant or escaped duplicate names, invalid UTF-8.
func TestStrictJSON(t *testing.T) {
	for _, s := range []string{
		`{"slots":4,"Slots":16}`,
		`{"slots":4,"\u0073lots":16}`,
		`{"slots":4,"predicates":1,"set_predicates":0,"set_depth":0,"revocation_depth":5,"disclosure":false,"nullifier":false,"x":1}`,
		"{\"slots\":4,\"predicates\":1,\"revocation_depth\":5,\"schema\":\"\xff\"}",
	} {
		if _, err := ParseShape(s); !errors.Is(err, ErrInvalidShape) {
			t.Errorf("ParseShape(%q): %v", s, err)
		}
	}
	vkFile := golden(t, Groth16, "vk.bin")
	head, raw := splitVKFile(t, vkFile)
	meta := string(head[len(vkMagic)+2:])
	for _, m := range []string{
		strings.Replace(meta, `"format":1`, `"format":1,"Format":1`, 1),
		strings.Replace(meta, `"format":1`, `"format":1,"form\u0061t":1`, 1),
		strings.Replace(meta, `"format":1`, `"format": 1`, 1),
	} {
		b := append([]byte(vkMagic), 0, 0)
		binary.BigEndian.PutUint16(b[len(vkMagic):], uint16(len(m)))
		b = append(append(b, m...), raw...)
		if _, err := ParseVerifyingKey(b); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("meta %s: %v", m, err)
		}
	}
}

// TestIdentityPointsRefused puts the identity (compressed infinity) where
// a setup value must not be zero: Groth16 α, β, γ, δ; the PLONK key's and
// the SRS's KZG generators and [τ]G2 (τ = 0 is known to everyone). gnark
// decodes all of them; the old ParseVerifyingKey and ReadSRS accepted
// them.
func TestIdentityPointsRefused(t *testing.T) {
	infinity := func(b []byte, off, size int) []byte {
		b = bytes.Clone(b)
		b[off] = 0x40
		clear(b[off+1 : off+size])
		return b
	}
	head, g16 := splitVKFile(t, golden(t, Groth16, "vk.bin"))
	for _, p := range []struct{ off, size int }{{0, 32}, {32, 32}, {64, 64}, {128, 64}, {192, 32}, {224, 64}} {
		if _, err := ParseVerifyingKey(append(bytes.Clone(head), infinity(g16, p.off, p.size)...)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("groth16 key with the identity at byte %d: %v", p.off, err)
		}
	}
	head, pl := splitVKFile(t, golden(t, PLONK, "vk.bin"))
	kzg := 3*8 + 2*32 + 8 + 32 + 8*32 + 4
	for _, p := range []struct{ off, size int }{{kzg, 32}, {kzg + 32, 64}, {kzg + 96, 64}} {
		if _, err := ParseVerifyingKey(append(bytes.Clone(head), infinity(pl, p.off, p.size)...)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("plonk key with the identity at byte %d: %v", p.off, err)
		}
	}
	// An SRS of τ = 0: every power but the first is the identity, and so
	// is [τ]G2; the lines match its points.
	srs, err := UnsafeGenerateSRS(4)
	if err != nil {
		t.Fatal(err)
	}
	zero := &SRS{srs: srs.srs}
	zero.srs.Pk.G1 = []bn254.G1Affine{srs.srs.Pk.G1[0], {}, {}, {}}
	zero.srs.Vk.G2[1] = bn254.G2Affine{}
	zero.srs.Vk.Lines[1] = bn254.PrecomputeLines(zero.srs.Vk.G2[1])
	var file bytes.Buffer
	if _, err := zero.WriteTo(&file); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSRS(bytes.NewReader(file.Bytes())); !errors.Is(err, ErrInvalidSRS) {
		t.Errorf("SRS of τ = 0: %v", err)
	}
}
