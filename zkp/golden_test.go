package zkp

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/did"
)

var update = flag.Bool("update", false, "regenerate the golden files in ../testdata/zkp")

// goldenDir holds a verifying key, a statement and a presentation made for
// them (Groth16 and PLONK, on goldenShape). They pin the key encoding, the
// circuit (a changed circuit changes the key and its fingerprint), the
// public-input layout and the presentation format: a presentation made by
// an earlier build must still verify, byte for byte. Regenerate with
// `go test ./zkp -run TestGolden -update` only for a deliberate, versioned
// format change.
const goldenDir = "../testdata/zkp"

var goldenShape = Shape{Slots: 4, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 5, Disclosure: true, Nullifier: true}

// goldenStatement is the statement's JSON form for the golden files.
type goldenStatement struct {
	Issuer         string            `json:"issuer"` // compressed point, hex
	SchemaID       string            `json:"schemaId"`
	Now            uint64            `json:"now"`
	RevocationRoot string            `json:"revocationRoot"`
	RequestHash    string            `json:"requestHash"`
	Scope          string            `json:"scope"`
	Predicates     []goldenPredicate `json:"predicates"`
	Disclose       []int             `json:"disclose"`
}

type goldenPredicate struct {
	Slot int    `json:"slot"`
	Op   Op     `json:"op"`
	A    string `json:"a"`
	B    string `json:"b"`
}

func hexEl(e fr.Element) string { b := e.Bytes(); return hex.EncodeToString(b[:]) }

func elHex(t *testing.T, s string) fr.Element {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	var e fr.Element
	if err := e.SetBytesCanonical(b); err != nil {
		t.Fatal(err)
	}
	return e
}

func toGolden(st *Statement) goldenStatement {
	g := goldenStatement{
		Issuer: hex.EncodeToString(st.Issuer.Bytes()), SchemaID: hexEl(st.SchemaID), Now: st.Now,
		RevocationRoot: hexEl(st.RevocationRoot), RequestHash: hexEl(st.RequestHash), Scope: hexEl(st.Scope),
		Disclose: st.Disclose,
	}
	for _, p := range st.Predicates {
		g.Predicates = append(g.Predicates, goldenPredicate{Slot: p.Slot, Op: p.Op, A: hexEl(p.A), B: hexEl(p.B)})
	}
	return g
}

func fromGolden(t *testing.T, g goldenStatement) *Statement {
	t.Helper()
	kb, err := hex.DecodeString(g.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := did.ParseZKPublicKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	st := &Statement{
		Issuer: ik, SchemaID: elHex(t, g.SchemaID), Now: g.Now,
		RevocationRoot: elHex(t, g.RevocationRoot), RequestHash: elHex(t, g.RequestHash), Scope: elHex(t, g.Scope),
		Disclose: g.Disclose,
	}
	for _, p := range g.Predicates {
		st.Predicates = append(st.Predicates, Predicate{Slot: p.Slot, Op: p.Op, A: elHex(t, p.A), B: elHex(t, p.B)})
	}
	return st
}

func TestGolden(t *testing.T) {
	for _, b := range []Backend{Groth16, PLONK} {
		t.Run(string(b), func(t *testing.T) {
			dir := filepath.Join(goldenDir, string(b))
			if *update {
				writeGolden(t, dir, b)
			}
			vkb, err := os.ReadFile(filepath.Join(dir, "vk.bin"))
			if err != nil {
				t.Fatal(err)
			}
			vk, err := ParseVerifyingKey(vkb)
			if err != nil {
				t.Fatal(err)
			}
			if vk.Shape() != goldenShape || vk.Backend() != b {
				t.Fatalf("golden key is %v/%s", vk.Shape(), vk.Backend())
			}
			sb, err := os.ReadFile(filepath.Join(dir, "statement.json"))
			if err != nil {
				t.Fatal(err)
			}
			var g goldenStatement
			if err := json.Unmarshal(sb, &g); err != nil {
				t.Fatal(err)
			}
			st := fromGolden(t, g)
			pb, err := os.ReadFile(filepath.Join(dir, "presentation.json"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := DecodePresentation(pb)
			if err != nil {
				t.Fatal(err)
			}
			again, err := p.Encode()
			if err != nil || string(again) != string(pb) {
				t.Fatalf("golden presentation does not re-encode to the same bytes (%v)", err)
			}
			// The fingerprint is recomputed from the key: a changed circuit
			// version or shape encoding breaks it.
			if p.Key != vk.Fingerprint() {
				t.Fatalf("presentation names key %s, golden key is %s", p.Key, vk.Fingerprint())
			}
			if err := Verify(vk, st, p); err != nil {
				t.Fatalf("golden presentation rejected: %v", err)
			}
			other := *st
			other.RequestHash.SetUint64(1)
			if err := Verify(vk, &other, p); !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("golden presentation accepted for another request: %v", err)
			}
		})
	}
}

func writeGolden(t *testing.T, dir string, b Backend) {
	t.Helper()
	keys, err := UnsafeSetup(goldenShape, b)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, goldenShape)
	p, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	vkb, err := keys.VerifyingKey.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := json.MarshalIndent(toGolden(&f.st), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"vk.bin": vkb, "statement.json": append(sb, '\n'), "presentation.json": pb} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
