package zkp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The committed fixtures (testdata/ptau/README.md): snarkjs 0.7.6,
// `powersoftau new bn128 3`, two `contribute -e`, and `prepare phase2`.
const (
	ptauDir          = "testdata/ptau"
	ptauFixture      = "pot3_0002.ptau"
	ptauFixtureFinal = "pot3_final.ptau"
	// b2sum of the fixtures.
	ptauFixtureB2      = "492a5ecba21acb0049d9e11f6e9a803c2579e10a33348e7796c258ab2cfa588cf8ddccd7fee273b919150c93cc89862be3b8dec7b861cd62362f609a4d1bce7c"
	ptauFixtureFinalB2 = "cc381ad286e57b022c8edeec7af6739fcadcd380be3bf937e386a0dd375637014063e4b38938852b42e3ad112652478139fd16c0ea5098fa4606d5f8a5d96035"
	ptauFixtureSHA256  = "f314ba225e1196ff990df813c969b599f342872613eb83b0ced5bfd2e7c05df8"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ptauDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPtauFixture(t *testing.T) {
	for _, c := range []struct {
		name     string
		b2       string
		prepared bool
	}{{ptauFixture, ptauFixtureB2, false}, {ptauFixtureFinal, ptauFixtureFinalB2, true}} {
		t.Run(c.name, func(t *testing.T) {
			b := readFixture(t, c.name)
			pin, _ := hex.DecodeString(c.b2)
			p, err := ReadPtau(bytes.NewReader(b), &PtauOptions{BLAKE2b: pin})
			if err != nil {
				t.Fatal(err)
			}
			if fp, cp := p.FilePower(); p.Power() != 3 || fp != 3 || cp != 3 || p.Contributions() != 2 || p.Prepared() != c.prepared {
				t.Fatalf("power %d, file %d/%d, %d contributions, prepared %v", p.Power(), fp, cp, p.Contributions(), p.Prepared())
			}
			if h := p.Hash(); hex.EncodeToString(h[:]) != c.b2 {
				t.Fatalf("hash %x", h)
			}
			if h := p.SHA256(); !c.prepared && hex.EncodeToString(h[:]) != ptauFixtureSHA256 {
				t.Fatalf("sha256 %x", h)
			}
			// A pinned hash of another file is refused.
			pin[0] ^= 1
			if _, err := ReadPtau(bytes.NewReader(b), &PtauOptions{BLAKE2b: pin}); !errors.Is(err, ErrInvalidPtau) {
				t.Fatalf("wrong pin: %v", err)
			}
			// The SRS of up to 2^4 − 1 powers passes zkcred's own SRS
			// check and its file round trip.
			srs, err := p.SRS(15)
			if err != nil {
				t.Fatal(err)
			}
			var file bytes.Buffer
			if _, err := srs.WriteTo(&file); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadSRS(&file); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 16, MaxSRSPoints + 1} {
				if _, err := p.SRS(n); !errors.Is(err, ErrInvalidSRS) {
					t.Errorf("SRS(%d): %v", n, err)
				}
			}
			// Truncated to power 2, as snarkjs truncate would.
			q, err := ReadPtau(bytes.NewReader(b), &PtauOptions{Power: 2})
			if err != nil {
				t.Fatal(err)
			}
			if q.Power() != 2 || len(q.tauG1) != 7 || len(q.tauG2) != 4 || q.Hash() != p.Hash() {
				t.Fatalf("truncated: power %d, %d/%d points", q.Power(), len(q.tauG1), len(q.tauG2))
			}
			for _, k := range []int{-1, 4, MaxPtauPower + 1} {
				if _, err := ReadPtau(bytes.NewReader(b), &PtauOptions{Power: k}); !errors.Is(err, ErrInvalidPtau) {
					t.Errorf("power %d: %v", k, err)
				}
			}
		})
	}
}

// ptauOffsets returns the offset of each section's data in a ptau file.
func ptauOffsets(t testing.TB, b []byte) map[int]int {
	t.Helper()
	off := map[int]int{}
	pos := 12
	for range binary.LittleEndian.Uint32(b[8:]) {
		id := int(binary.LittleEndian.Uint32(b[pos:]))
		size := int(binary.LittleEndian.Uint64(b[pos+4:]))
		off[id] = pos + 12
		pos += 12 + size
	}
	if pos != len(b) {
		t.Fatal("ptauOffsets: bad fixture")
	}
	return off
}

// nonSubgroupG2 returns a point on BN254's twist that is not in G2 (the
// twist's cofactor is not 1), in LEM form.
func nonSubgroupG2(t testing.TB) []byte {
	t.Helper()
	var b, xi bn254.E2
	b.A0.SetUint64(3)
	xi.A0.SetUint64(9)
	xi.A1.SetUint64(1)
	xi.Inverse(&xi)
	b.Mul(&b, &xi) // b' = 3/(9+u)
	for i := uint64(1); i < 100; i++ {
		var p bn254.G2Affine
		p.X.A0.SetUint64(i)
		var y2 bn254.E2
		y2.Square(&p.X).Mul(&y2, &p.X).Add(&y2, &b)
		if y2.Legendre() != 1 {
			continue
		}
		p.Y.Sqrt(&y2)
		if p.IsOnCurve() && !p.IsInSubGroup() {
			return lemG2(&p)
		}
	}
	t.Fatal("no point found")
	return nil
}

func lemFp(out []byte, e *fp.Element) {
	for i := range e {
		binary.LittleEndian.PutUint64(out[8*i:], e[i])
	}
}

func lemG1(p *bn254.G1Affine) []byte {
	b := make([]byte, 64)
	lemFp(b, &p.X)
	lemFp(b[32:], &p.Y)
	return b
}

func lemG2(p *bn254.G2Affine) []byte {
	b := make([]byte, 128)
	lemFp(b, &p.X.A0)
	lemFp(b[32:], &p.X.A1)
	lemFp(b[64:], &p.Y.A0)
	lemFp(b[96:], &p.Y.A1)
	return b
}

// TestPtauRejects alters the committed fixture one way per case; each
// must be refused with ErrInvalidPtau.
func TestPtauRejects(t *testing.T) {
	honest := readFixture(t, ptauFixture)
	off := ptauOffsets(t, honest)
	const g1, g2 = 64, 128
	tauG1 := func(i int) int { return off[2] + g1*i }
	tauG2 := func(i int) int { return off[3] + g2*i }
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(honest)) }
	put := func(at int, v []byte) []byte { return with(func(b []byte) []byte { copy(b[at:], v); return b }) }
	u32 := func(at int, v uint32) []byte { return put(at, binary.LittleEndian.AppendUint32(nil, v)) }
	u64 := func(at int, v uint64) []byte { return put(at, binary.LittleEndian.AppendUint64(nil, v)) }
	_, _, gen1, _ := bn254.Generators()
	var five bn254.G1Affine
	five.ScalarMultiplication(&gen1, bigFive)
	var qBytes [64]byte
	copy(qBytes[:], ptauModulus[:]) // x = q: not canonical

	cases := []struct {
		name string
		b    []byte
	}{
		// Layout.
		{"empty", nil},
		{"wrong magic", put(0, []byte("ptaU"))},
		{"version 2", u32(4, 2)},
		{"8 sections", u32(8, 8)},
		{"trailing byte", append(bytes.Clone(honest), 0)},
		{"sections out of order", u32(off[2]-12, 3)},
		{"header size", u64(off[1]-8, 45)},
		{"section 2 size 2^40", u64(off[2]-8, 1<<40)},
		{"section 7 size huge", u64(off[7]-8, 1<<40)},
		// Header.
		{"n8 48", u32(off[1], 48)},
		{"another curve's q", put(off[1]+4, []byte{1})},
		{"power 0", u32(off[1]+36, 0)},
		{"power 29", u32(off[1]+36, 29)},
		{"power 4 with the sizes of power 3", u32(off[1]+36, 4)},
		{"ceremony power below power", u32(off[1]+40, 2)},
		// Points.
		{"tauG1 point altered (another point on the curve)", put(tauG1(5), lemG1(&five))},
		{"tauG1 byte flipped (off the curve)", with(func(b []byte) []byte { b[tauG1(6)+3] ^= 1; return b })},
		{"tauG1 identity", put(tauG1(7), make([]byte, g1))},
		{"tauG1 x = q", put(tauG1(7), qBytes[:])},
		{"tauG1[0] not the generator", put(tauG1(0), lemG1(&five))},
		{"tauG2 powers swapped", with(func(b []byte) []byte {
			copy(b[tauG2(2):], honest[tauG2(3):tauG2(4)])
			copy(b[tauG2(3):], honest[tauG2(2):tauG2(3)])
			return b
		})},
		{"tauG2 point outside the subgroup", put(tauG2(5), nonSubgroupG2(t))},
		{"tauG2 identity", put(tauG2(5), make([]byte, g2))},
		{"alphaTauG1 powers swapped", with(func(b []byte) []byte {
			copy(b[off[4]+g1:], honest[off[4]+2*g1:off[4]+3*g1])
			copy(b[off[4]+2*g1:], honest[off[4]+g1:off[4]+2*g1])
			return b
		})},
		{"betaTauG1 last point altered", put(off[5]+7*g1, lemG1(&five))},
		{"betaG2 another G2 power (in the history too)", with(func(b []byte) []byte {
			copy(b[off[6]:], honest[tauG2(2):tauG2(3)])
			last := len(b) - (ptauContributionFixed + 2 + len("zkcred test two"))
			copy(b[last+3*g1+g2:], honest[tauG2(2):tauG2(3)])
			return b
		})},
		// Contributions.
		{"no contributions", u32(off[7], 0)},
		{"three contributions claimed", u32(off[7], 3)},
		{"last contribution's τ not the file's", with(func(b []byte) []byte {
			last := len(b) - (ptauContributionFixed + 2 + len("zkcred test two"))
			b[last+5] ^= 1
			return b
		})},
		{"unknown parameter type", with(func(b []byte) []byte {
			b[len(b)-2-len("zkcred test two")] = 9
			return b
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadPtau(bytes.NewReader(c.b), nil)
			if !errors.Is(err, ErrInvalidPtau) || p != nil {
				t.Fatalf("err = %v, want ErrInvalidPtau", err)
			}
			t.Log(err)
		})
	}
	// Every truncation.
	for n := range len(honest) {
		if _, err := ReadPtau(bytes.NewReader(honest[:n]), nil); !errors.Is(err, ErrInvalidPtau) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := ReadPtau(nil, nil); !errors.Is(err, ErrInvalidPtau) {
		t.Fatalf("nil reader: %v", err)
	}
	var nilP *Ptau
	if _, err := nilP.SRS(4); !errors.Is(err, ErrInvalidPtau) {
		t.Fatalf("nil Ptau: %v", err)
	}
	if nilP.Power() != 0 || nilP.Contributions() != 0 || nilP.Prepared() || nilP.Hash() != [64]byte{} {
		t.Fatal("nil Ptau accessors")
	}
}

// ptauShape is a small shape newFixture serves (without its predicates):
// 16,387 PLONK powers and a Groth16 domain of 2^13, so a ptau file of
// power 14.
var ptauShape = Shape{Slots: 4, Predicates: 0, RevocationDepth: 3}

const ptauInteropPower = 14

// snarkjsPtau returns a ptau file of power 14 with two contributions made
// by the snarkjs pinned in testdata/ptau (npm ci there), cached in
// testdata/ptau/out (git-ignored): making it takes about 35 s on 2 cores.
func snarkjsPtau(t *testing.T) []byte {
	t.Helper()
	name := filepath.Join(ptauDir, "out", "pot14_0002.ptau")
	if b, err := os.ReadFile(name); err == nil {
		return b
	}
	if _, err := os.Stat(filepath.Join(ptauDir, "node_modules", ".bin", "snarkjs")); err != nil {
		t.Skip("snarkjs not installed: run `npm ci` in zkp/testdata/ptau to run the interoperability test")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: the snarkjs interoperability test needs Node.js")
	}
	tmp := t.TempDir()
	cmd := exec.Command("./gen.sh", "14", tmp)
	cmd.Dir = ptauDir
	cmd.Env = append(os.Environ(), "PTAU_PREPARE=0")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	t.Logf("snarkjs: power %d, two contributions in %v", ptauInteropPower, time.Since(start))
	b, err := os.ReadFile(filepath.Join(tmp, "pot14_0002.ptau"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
		_ = os.WriteFile(name, b, 0o644)
	}
	return b
}

// TestPtauSnarkjsKeys is the interoperability test: a ptau file made by
// snarkjs (two contributions) is read and checked, and gives PLONK keys
// (through the SRS) and Groth16 keys (phase 2 from the ptau, one
// contribution; with ZKCRED_CEREMONY=1) whose proofs verify; the same file
// with one point altered is refused.
func TestPtauSnarkjsKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("key setup and proving")
	}
	b := snarkjsPtau(t)
	start := time.Now()
	p, err := ReadPtau(bytes.NewReader(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ReadPtau power %d (%d bytes): %v, %d contributions", p.Power(), len(b), time.Since(start), p.Contributions())
	if p.Power() != ptauInteropPower || p.Contributions() != 2 {
		t.Fatalf("power %d, %d contributions", p.Power(), p.Contributions())
	}
	altered := bytes.Clone(b)
	off := ptauOffsets(t, altered)
	copy(altered[off[2]+64*1000:], b[off[2]+64*1001:off[2]+64*1002])
	if _, err := ReadPtau(bytes.NewReader(altered), nil); !errors.Is(err, ErrInvalidPtau) {
		t.Fatalf("altered point: %v", err)
	}

	f := newFixture(t, ptauShape)
	f.st.Predicates, f.w.Sets = nil, nil
	t.Run("PLONK", func(t *testing.T) {
		n, err := SRSSizeFor(ptauShape)
		if err != nil {
			t.Fatal(err)
		}
		srs, err := p.SRS(n)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := SetupPLONK(ptauShape, srs)
		if err != nil {
			t.Fatal(err)
		}
		proveVerify(t, keys, f)
	})
	t.Run("Groth16", func(t *testing.T) {
		// Phase 2 at domain 2^13 (initialize, one contribution, verify)
		// took 57 to 62 s on 2 shared cores: opt in, as for TestCeremony.
		if os.Getenv("ZKCRED_CEREMONY") == "" {
			t.Skip("set ZKCRED_CEREMONY=1 to run phase 2 from the snarkjs ptau")
		}
		c, err := NewCeremony(ptauShape)
		if err != nil {
			t.Fatal(err)
		}
		phase1, err := c.Phase1FromPtau(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := c.InitialPhase2(phase1)
		if err != nil {
			t.Fatal(err)
		}
		if q, err = c.ContributePhase2(q); err != nil {
			t.Fatal(err)
		}
		keys, err := c.Finish(phase1, []byte("beacon"), q)
		if err != nil {
			t.Fatal(err)
		}
		proveVerify(t, keys, f)
		// A ptau too small for the domain.
		small, err := ReadPtau(bytes.NewReader(b), &PtauOptions{Power: 12})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Phase1FromPtau(small); !errors.Is(err, ErrInvalidPtau) {
			t.Fatalf("small ptau: %v", err)
		}
	})
}

func proveVerify(t *testing.T, keys *Keys, f *fixture) {
	t.Helper()
	pres, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(keys.VerifyingKey, &f.st, pres); err != nil {
		t.Fatal(err)
	}
}

var bigFive = fr.Modulus().SetUint64(5)
