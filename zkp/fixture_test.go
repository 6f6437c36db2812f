package zkp

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards/eddsa"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/zkp/internal/circuit"
)

// testShape is small enough for the test engine: 4 slots, 3 predicates of
// which one accepts set operators, shallow trees.
var testShape = Shape{Slots: 4, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 5, Disclosure: true, Nullifier: true}

// Slots of the test credential.
const (
	slotBirth   = 0 // date: days since 1800-01-01 + 1
	slotRegion  = 1 // string hash
	slotVehicle = 2 // enum code
	slotLevel   = 3 // disclosed integer
)

var (
	testNow   = uint64(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).Unix())
	testBirth = uint64(75000) // days
	testCut   = uint64(75100) // birth ≤ cutoff
)

type fixture struct {
	shape   Shape
	st      Statement
	w       Witness
	sk      *eddsa.PrivateKey
	revTree *status.Tree
	setTree *status.Tree
}

func el(v uint64) fr.Element { var e fr.Element; e.SetUint64(v); return e }

func newIssuer(t testing.TB) (*eddsa.PrivateKey, *did.ZKPublicKey) {
	t.Helper()
	sk, err := eddsa.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := did.NewZKPublicKey(sk.PublicKey.A)
	if err != nil {
		t.Fatal(err)
	}
	return sk, ik
}

func sign(t testing.TB, sk *eddsa.PrivateKey, c *Credential, secret fr.Element) {
	t.Helper()
	msg := zkhash.Message(c.SchemaID, credential.HolderCommitment(secret), c.RevocationID, c.Expiry, c.Slots)
	mb := msg.Bytes()
	sig, err := sk.Sign(mb[:], zkhash.NewEdDSA())
	if err != nil {
		t.Fatal(err)
	}
	if c.Signature, err = credential.ParseZKSignature(sig); err != nil {
		t.Fatal(err)
	}
}

// newFixture returns a valid statement and witness for shape s (s.Slots ≥ 4).
func newFixture(t testing.TB, s Shape) *fixture {
	t.Helper()
	f := &fixture{shape: s}
	var ik *did.ZKPublicKey
	f.sk, ik = newIssuer(t)
	var secret fr.Element
	if _, err := secret.SetRandom(); err != nil {
		t.Fatal(err)
	}
	slots := make([]fr.Element, s.Slots)
	slots[slotBirth] = el(testBirth)
	slots[slotRegion] = zkhash.String("district-07")
	slots[slotVehicle] = el(5)
	slots[slotLevel] = el(42)
	c := Credential{SchemaID: zkhash.String("schema:citizen/1"), Slots: slots, RevocationID: 1000, Expiry: testNow + 86400}
	sign(t, f.sk, &c, secret)

	var err error
	f.revTree, err = status.NewTree(s.RevocationDepth, status.RevocationMax())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint64{7, 999, 1001, 5000} {
		if err := f.revTree.Insert(el(v)); err != nil {
			t.Fatal(err)
		}
	}
	rw, err := f.revTree.NonMembership(el(c.RevocationID))
	if err != nil {
		t.Fatal(err)
	}
	f.w = Witness{Credential: c, Secret: secret, Revocation: rw, Sets: make([]*status.Witness, s.Predicates)}
	f.st = Statement{
		Issuer:         ik,
		SchemaID:       c.SchemaID,
		Now:            testNow,
		RevocationRoot: f.revTree.Root(),
		RequestHash:    zkhash.Hash(zkhash.TagRequest, el(123456789)),
		Predicates: []Predicate{
			{Slot: slotBirth, Op: OpLe, A: el(testCut)},
			{Slot: slotRegion, Op: OpEq, A: zkhash.String("district-07")},
		},
	}
	if s.SetPredicates > 0 {
		f.setTree, err = status.NewSetTree(s.SetDepth, []fr.Element{el(3), el(5), el(7)})
		if err != nil {
			t.Fatal(err)
		}
		f.st.Predicates = append([]Predicate{{Slot: slotVehicle, Op: OpInSet, A: f.setTree.Root()}}, f.st.Predicates...)
		f.setWitness(t, 0)
	}
	if s.Nullifier {
		f.st.Scope = credential.ScopeElement("election-2027")
	}
	if s.Disclosure {
		f.st.Disclose = []int{slotLevel}
	}
	return f
}

// setWitness recomputes the set witness of predicate i for its operator.
func (f *fixture) setWitness(t testing.TB, i int) {
	t.Helper()
	p := f.st.Predicates[i]
	x := f.w.Credential.Slots[p.Slot] // the tree maps members to m+1 itself
	var w *status.Witness
	var err error
	if p.Op == OpInSet {
		w, err = f.setTree.Membership(x)
	} else {
		w, err = f.setTree.NonMembership(x)
	}
	if err != nil {
		t.Fatalf("set witness: %v", err)
	}
	f.w.Sets[i] = w
}

// resign signs the credential again after a legitimate change (the
// issuer's doing, not an attack).
func (f *fixture) resign(t testing.TB) {
	t.Helper()
	sign(t, f.sk, &f.w.Credential, f.w.Secret)
}

// full returns the circuit assignment for the fixture as it stands,
// without the native check (attacks build assignments the holder's Prove
// would refuse).
func (f *fixture) full() *circuit.Circuit {
	return assignment(f.shape, &f.st, &f.w, outputs(f.shape, &f.st, &f.w))
}
