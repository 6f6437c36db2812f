package verifier

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/internal/testenv"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// End-to-end fixture: the smallest shape that exercises every feature
// (a set predicate, disclosure, nullifier), its keys set up once per test
// binary, issuers with DID documents, a revocation tree and signed roots,
// and holders that prove with zkp.Prove.

var testShape = testenv.Shape

// keys returns testShape's Groth16 keys, set up once per test binary.
func keys(t testing.TB) *zkp.Keys {
	t.Helper()
	return testenv.Keys(t)
}

func years(n int) *int                     { return &n }
func val(v protocol.Value) *protocol.Value { return &v }

var testSchema = sync.OnceValue(func() *credential.Schema {
	s, err := credential.PersonSchema().WithSlots(testShape.Slots)
	if err != nil {
		panic(err)
	}
	return s
})

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock       { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time         { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Add(d time.Duration)    { c.ns.Add(int64(d)) }
func (c *clock) Set(t time.Time)        { c.ns.Store(t.UnixNano()) }
func (c *clock) Func() func() time.Time { return c.Now }

var testEpoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type testIssuer struct {
	did, zkKeyID, joseKeyID string
	zk                      *credential.ZKPrivateKey
	jose                    ed25519.PrivateKey
	doc                     *did.Document

	mu       sync.Mutex
	tree     *status.Tree
	seq      uint64
	rootTime time.Time // iat of the current signed root
	nextRev  uint64
}

func newTestIssuer(t testing.TB, name string) *testIssuer {
	t.Helper()
	return newTestIssuerFrom(t, name, rand.Reader)
}

// newTestIssuerFrom is newTestIssuer with its keys drawn from r (a fixed
// stream gives fixed keys).
func newTestIssuerFrom(t testing.TB, name string, r io.Reader) *testIssuer {
	t.Helper()
	i := &testIssuer{did: "did:web:" + name, nextRev: 100}
	i.zkKeyID, i.joseKeyID = i.did+"#zk-1", i.did+"#jose-1"
	var err error
	if i.zk, err = credential.GenerateZKKey(r); err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		t.Fatal(err)
	}
	i.jose = ed25519.NewKeyFromSeed(seed)
	pub := i.jose.Public().(ed25519.PublicKey)
	i.doc = &did.Document{ID: i.did}
	zkm, err := did.NewMultikeyMethod(i.zkKeyID, i.did, i.zk.Public())
	if err != nil {
		t.Fatal(err)
	}
	jm, err := did.NewMultikeyMethod(i.joseKeyID, i.did, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := i.doc.AddVerificationMethod(zkm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if err := i.doc.AddVerificationMethod(jm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	if i.tree, err = status.NewTree(testShape.RevocationDepth, status.RevocationMax()); err != nil {
		t.Fatal(err)
	}
	i.rootTime = testEpoch
	return i
}

// signedRoot signs the current root (as an issuer publishes it after each
// change, with the time of that change).
func (i *testIssuer) signedRoot(t testing.TB) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	tok, err := status.SignRoot(&status.RootClaims{
		Issuer: i.did, Root: i.tree.Root(), Depth: i.tree.Depth(), Count: uint64(i.tree.Len()),
		Sequence: i.seq, IssuedAt: i.rootTime,
	}, i.jose, i.joseKeyID)
	if err != nil {
		t.Error(err)
	}
	return tok
}

func (i *testIssuer) revoke(t testing.TB, id uint64, at time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	var e fr.Element
	e.SetUint64(id)
	if err := i.tree.Insert(e); err != nil {
		t.Fatal(err)
	}
	i.seq++
	i.rootTime = at
}

// republish re-signs the unchanged root at a later time.
func (i *testIssuer) republish(at time.Time) {
	i.mu.Lock()
	i.rootTime = at
	i.mu.Unlock()
}

// testHolder holds one credential.
type testHolder struct {
	issuer *testIssuer
	secret *credential.HolderSecret
	cred   zkp.Credential
}

func (i *testIssuer) issue(t testing.TB, values map[string]any) *testHolder {
	t.Helper()
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	slots, err := testSchema().Encode(values)
	if err != nil {
		t.Fatal(err)
	}
	i.mu.Lock()
	i.nextRev++
	rev := i.nextRev
	i.mu.Unlock()
	c := zkp.Credential{SchemaID: testSchema().ID(), Slots: slots, RevocationID: rev,
		Expiry: uint64(testEpoch.AddDate(5, 0, 0).Unix())}
	sig, err := i.zk.Sign(zkhash.Message(c.SchemaID, secret.Commitment(), c.RevocationID, c.Expiry, c.Slots))
	if err != nil {
		t.Fatal(err)
	}
	c.Signature = sig
	return &testHolder{issuer: i, secret: secret, cred: c}
}

var aliceData = map[string]any{
	"birthDate": "2008-02-29", "district": "07", "nationality": "DE", "vehicleCategory": "B",
	"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01",
}

// prove answers req with a submission, proving against the issuer's
// current revocation tree.
func (h *testHolder) prove(t testing.TB, req *protocol.Request) []byte {
	t.Helper()
	c, err := req.Compile(testSchema(), testShape)
	if err != nil {
		t.Fatal(err)
	}
	ik := h.issuer.zk.Public()
	h.issuer.mu.Lock()
	root := h.issuer.tree.Root()
	rw, err := status.NonRevocationWitness(h.issuer.tree, h.cred.RevocationID)
	h.issuer.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	w := &zkp.Witness{Credential: h.cred, Secret: h.secret.Element(), Revocation: rw, Sets: make([]*status.Witness, testShape.Predicates)}
	for i, p := range c.Predicates {
		if c.Sets[i] == nil {
			continue
		}
		v := h.cred.Slots[p.Slot]
		if p.Op == zkp.OpInSet {
			w.Sets[i], err = c.Sets[i].Membership(v)
		} else {
			w.Sets[i], err = c.Sets[i].NonMembership(v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pres, err := zkp.Prove(keys(t), c.Statement(ik, root), w)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := protocol.NewSubmission(h.issuer.zkKeyID, pres)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// votePolicy: adult, resident of 07 or 08, disclose voter eligibility,
// one vote per scope.
func votePolicy(issuers ...string) protocol.Policy {
	return protocol.Policy{
		Issuers: issuers,
		Schema:  protocol.SchemaRef{Name: credential.PersonSchemaName, Version: 1},
		Predicates: []protocol.Predicate{
			{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: years(18)},
			{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}},
			{Attribute: "vehicleCategory", Op: protocol.OpEq, Value: val(protocol.StringValue("B"))},
		},
		Disclose:   []string{"voterEligible"},
		Scope:      "election-2027-municipal",
		MaxRootAge: 3600,
	}
}

// env is a verifier with its world.
type env struct {
	logs     *syncBuffer // everything the verifiers log, at debug level
	clock    *clock
	issuers  []*testIssuer
	resolver *did.StaticResolver
	v        *Verifier
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// detRand is a deterministic nonce source: two verifiers seeded alike
// issue identical requests, so one proof answers both (used to run the
// same presentations against two stores without proving twice).
type detRand struct {
	mu sync.Mutex
	n  uint64
}

func (r *detRand) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range b {
		if i%8 == 0 {
			r.n++
		}
		var w [8]byte
		binary.BigEndian.PutUint64(w[:], r.n)
		b[i] = w[i%8]
	}
	return len(b), nil
}

func newEnv(t testing.TB, store Store, issuers ...*testIssuer) *env {
	t.Helper()
	e := &env{clock: newClock(testEpoch), issuers: issuers, logs: &syncBuffer{}}
	var docs []*did.Document
	for _, i := range issuers {
		docs = append(docs, i.doc)
	}
	var err error
	if e.resolver, err = did.NewStaticResolver(docs...); err != nil {
		t.Fatal(err)
	}
	e.v = e.newVerifier(t, store, nil)
	return e
}

func (e *env) newVerifier(t testing.TB, store Store, rnd *detRand) *Verifier {
	t.Helper()
	roots := RootSourceFunc(func(ctx context.Context, issuer string) (string, error) {
		for _, i := range e.issuers {
			if i.did == issuer {
				return i.signedRoot(t), nil
			}
		}
		return "", fmt.Errorf("no root for %s", issuer)
	})
	return e.newVerifierWith(t, store, rnd, roots, nil)
}

// newVerifierWith is newVerifier with a root source and issuer key pins.
func (e *env) newVerifierWith(t testing.TB, store Store, rnd *detRand, roots RootSource, pins map[string][]string) *Verifier {
	t.Helper()
	cfg := Config{Store: store, IssuerKeys: pins, Audience: "https://vote.example", Resolver: e.resolver, Roots: roots,
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func(),
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if rnd != nil {
		cfg.Rand = rnd
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
