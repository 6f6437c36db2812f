package zkp

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
)

// keysFor caches test keys per backend (setup is the slow part).
var keysFor = func() func(t testing.TB, b Backend) *Keys {
	var mu sync.Mutex
	cache := map[Backend]*Keys{}
	return func(t testing.TB, b Backend) *Keys {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if k, ok := cache[b]; ok {
			return k
		}
		k, err := UnsafeSetup(testShape, b)
		if err != nil {
			t.Fatal(err)
		}
		cache[b] = k
		return k
	}
}()

// TestGroth16PublicInputsBound proves once, then changes each public input
// of the verifier's statement in turn (each field element of the public
// witness, and each semantic field of the statement): verification must
// fail every time.
func TestGroth16PublicInputsBound(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	p, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Proof) != 128 {
		t.Fatalf("proof is %d bytes", len(p.Proof))
	}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p2, err := DecodePresentation(enc)
	if err != nil {
		t.Fatal(err)
	}
	vk := keys.VerifyingKey
	if err := Verify(vk, &f.st, p2); err != nil {
		t.Fatalf("valid presentation rejected: %v", err)
	}

	// Every public input, one at a time, at the witness level.
	pub, err := frontend.NewWitness(publicAssignment(testShape, &f.st, outputs(testShape, &f.st, &f.w)), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := decodeGroth16Proof(p.Proof)
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk.g16, pub); err != nil {
		t.Fatal(err)
	}
	vec := pub.Vector().(fr.Vector)
	if len(vec) != nbPublic(testShape) {
		t.Fatalf("%d public inputs, nbPublic says %d", len(vec), nbPublic(testShape))
	}
	for i := range vec {
		mod, err := witness.New(ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		mv := append(fr.Vector(nil), vec...)
		var one fr.Element
		one.SetOne()
		mv[i].Add(&mv[i], &one)
		ch := make(chan any, len(mv))
		for _, e := range mv {
			ch <- e
		}
		close(ch)
		if err := mod.Fill(len(mv), 0, ch); err != nil {
			t.Fatal(err)
		}
		if err := groth16.Verify(proof, vk.g16, mod); err == nil {
			t.Errorf("public input %d changed, proof still verifies", i)
		}
	}

	// Semantic changes of the statement.
	_, otherKey := newIssuer(t)
	mutations := map[string]func(st *Statement){
		"issuer key":          func(st *Statement) { st.Issuer = otherKey },
		"schema id":           func(st *Statement) { st.SchemaID = zkhash.String("schema:x") },
		"date":                func(st *Statement) { st.Now++ },
		"revocation root":     func(st *Statement) { st.RevocationRoot = el(1) },
		"request hash replay": func(st *Statement) { st.RequestHash = zkhash.Hash(zkhash.TagRequest, el(987654321)) },
		"foreign scope":       func(st *Statement) { st.Scope = credential.ScopeElement("other") },
		"set root":            func(st *Statement) { st.Predicates[0].A = el(77) },
		"predicate slot":      func(st *Statement) { st.Predicates[1].Slot = slotLevel },
		"predicate op":        func(st *Statement) { st.Predicates[1].Op = OpLt },
		"predicate operand":   func(st *Statement) { st.Predicates[1].A = el(testCut + 1) },
		"predicate B":         func(st *Statement) { st.Predicates[1].Op, st.Predicates[1].B = OpBetween, el(testCut) },
		"no-op for a predicate": func(st *Statement) {
			st.Predicates = st.Predicates[:2]
			st.Predicates = append(st.Predicates, Predicate{Slot: slotLevel, Op: OpGe, A: el(1)})
		},
		"disclosure mask": func(st *Statement) { st.Disclose = []int{slotBirth} },
	}
	for name, m := range mutations {
		t.Run(name, func(t *testing.T) {
			st := f.st
			st.Predicates = append([]Predicate(nil), f.st.Predicates...)
			m(&st)
			err := Verify(vk, &st, p2)
			if err == nil {
				t.Fatal("verified")
			}
			if errors.Is(err, ErrInvalidStatement) {
				t.Fatalf("statement rejected before proof check: %v", err)
			}
		})
	}
	t.Run("disclosed value", func(t *testing.T) {
		q := *p2
		q.Disclosed = []Disclosed{{Slot: slotLevel, Value: el(43)}}
		if err := Verify(vk, &f.st, &q); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("nullifier", func(t *testing.T) {
		q := *p2
		q.Nullifier = el(5)
		if err := Verify(vk, &f.st, &q); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("fingerprint mismatch", func(t *testing.T) {
		q := *p2
		q.Key[0] ^= 1
		if err := Verify(vk, &f.st, &q); !errors.Is(err, ErrKeyMismatch) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("nullifier is deterministic per scope", func(t *testing.T) {
		if want := credential.Nullifier(f.w.Secret, f.st.Scope); !p2.Nullifier.Equal(&want) {
			t.Fatal("nullifier differs from credential.Nullifier")
		}
	})
}

func TestProveRejectsFalseStatement(t *testing.T) {
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	f.st.Predicates[1].A = el(testBirth - 1)
	_, err := Prove(keys, &f.st, &f.w)
	if !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
	f = newFixture(t, testShape)
	f.st.Now = f.w.Credential.Expiry + 1
	if _, err := Prove(keys, &f.st, &f.w); !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("expired: got %v", err)
	}
	f = newFixture(t, testShape)
	f.w.Secret.SetUint64(3)
	if _, err := Prove(keys, &f.st, &f.w); !errors.Is(err, ErrUnsatisfied) {
		t.Fatalf("wrong secret: got %v", err)
	}
}

func TestKeysSaveLoad(t *testing.T) {
	keys := keysFor(t, Groth16)
	loaded, vk, vkb := saveLoad(t, keys)
	fp := keys.VerifyingKey.Fingerprint()
	f := newFixture(t, testShape)
	p, err := Prove(loaded, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	if vk.Fingerprint() != fp {
		t.Fatal("fingerprint changed")
	}
	if err := Verify(vk, &f.st, p); err != nil {
		t.Fatal(err)
	}
	var other Fingerprint
	if _, err := LoadKeys(keyDirOf(t, keys), &other); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("got %v", err)
	}
	// Crafted verifying keys: bad length headers never reach gnark.
	for i := len(vkMagic) + 2; i < len(vkb); i += 97 {
		bad := bytes.Clone(vkb)
		bad[i] ^= 0xff
		_, _ = ParseVerifyingKey(bad) // must not panic or allocate wildly
	}
	if _, err := ParseVerifyingKey(vkb[:len(vkb)-1]); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestIssuerKeyValidation(t *testing.T) {
	var id twistededwards.PointAffine
	id.X.SetZero()
	id.Y.SetOne()
	if _, err := did.NewZKPublicKey(id); !errors.Is(err, did.ErrInvalidKey) {
		t.Fatalf("identity: %v", err)
	}
	// (0, -1) has order 2.
	var two twistededwards.PointAffine
	two.Y.SetOne()
	two.Y.Neg(&two.Y)
	if _, err := did.NewZKPublicKey(two); !errors.Is(err, did.ErrInvalidKey) {
		t.Fatalf("order 2: %v", err)
	}
	var off twistededwards.PointAffine
	off.X.SetUint64(1)
	off.Y.SetUint64(1)
	if _, err := did.NewZKPublicKey(off); !errors.Is(err, did.ErrInvalidKey) {
		t.Fatalf("off curve: %v", err)
	}
	// A statement with a zero-value or nil key is refused by Verify.
	keys := keysFor(t, Groth16)
	f := newFixture(t, testShape)
	st := f.st
	for _, ik := range []*did.ZKPublicKey{{}, nil} {
		st.Issuer = ik
		if err := Verify(keys.VerifyingKey, &st, &Presentation{Backend: Groth16, Key: keys.VerifyingKey.Fingerprint()}); !errors.Is(err, ErrInvalidStatement) {
			t.Fatalf("got %v", err)
		}
	}
}

// saveLoad saves keys to a temporary directory, loads them back (checking
// the fingerprint) and round-trips the verifying key through its binary
// encoding.
func saveLoad(t *testing.T, keys *Keys) (*Keys, *VerifyingKey, []byte) {
	t.Helper()
	fp := keys.VerifyingKey.Fingerprint()
	loaded, err := LoadKeys(keyDirOf(t, keys), &fp)
	if err != nil {
		t.Fatal(err)
	}
	vkb, err := loaded.VerifyingKey.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	vk, err := ParseVerifyingKey(vkb)
	if err != nil {
		t.Fatal(err)
	}
	return loaded, vk, vkb
}

// keyDirOf saves keys into a fresh temporary directory.
func keyDirOf(t *testing.T, keys *Keys) string {
	t.Helper()
	dir := t.TempDir()
	if err := keys.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUnsafeCachedSetup(t *testing.T) {
	dir := t.TempDir()
	k1, err := UnsafeCachedSetup(dir, testShape, Groth16)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := UnsafeCachedSetup(dir, testShape, Groth16) // from the cache
	if err != nil {
		t.Fatal(err)
	}
	if k1.VerifyingKey.Fingerprint() != k2.VerifyingKey.Fingerprint() {
		t.Fatal("cached keys differ: setup ran again")
	}
	if _, err := UnsafeCachedSetup(dir, testShape, Backend("stark")); !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("got %v", err)
	}
}
