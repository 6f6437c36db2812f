package zkp

import (
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/zkp/internal/circuit"
)

// solved reports whether the assignment satisfies the circuit of shape s
// (gnark's test engine).
func solved(s Shape, a *circuit.Circuit) error {
	return test.IsSolved(newCircuit(s), a, ecc.BN254.ScalarField())
}

// An engine decides whether an assignment satisfies the circuit of
// testShape. The cheats run on three: gnark's test engine, which executes
// Define on big.Int values and calls hints directly, and the solvers of the
// two compiled constraint systems, the R1CS of Groth16 and the SCS of PLONK,
// which are what a prover actually solves. An under-constrained gadget can
// hide from one and not the others: the test engine calls oneHotHint
// directly while the compiled solvers look it up in the hint registry, and
// each of the three implements MustBeLessOrEqCst (verifyEdDSA's S < ℓ),
// ToBinary, IsZero and AssertIsBoolean its own way.
type engine struct {
	name  string
	solve func(a *circuit.Circuit) error
}

// compiledTestShape holds testShape compiled once per builder for the whole
// package run, the way compile compiles it (default compile options: no
// IgnoreUnconstrainedInputs, no debug info).
var compiledTestShape = sync.OnceValues(func() ([2]constraint.ConstraintSystem, error) {
	var out [2]constraint.ConstraintSystem
	var err error
	for i, nb := range []frontend.NewBuilder{r1cs.NewBuilder[constraint.U64], scs.NewBuilder[constraint.U64]} {
		if out[i], err = frontend.Compile(ecc.BN254.ScalarField(), nb, newCircuit(testShape)); err != nil {
			return out, err
		}
	}
	return out, nil
})

// engines returns the test engine and the R1CS and SCS solvers for
// testShape. The compiled solvers get no solver options, as in Prove:
// solver.NewConfig starts from a clone of gnark's global hint registry, which
// this package's init fills; engines checks that it holds every hint of
// circuit.Hints, so a solve cannot fail, or pass, for want of a hint.
func engines(t *testing.T) []engine {
	t.Helper()
	registered := map[solver.HintID]bool{}
	for _, h := range solver.GetRegisteredHints() {
		registered[solver.GetHintID(h)] = true
	}
	for _, h := range circuit.Hints() {
		if !registered[solver.GetHintID(h)] {
			t.Fatalf("hint %s is not registered with the solver", solver.GetHintName(h))
		}
	}
	ccs, err := compiledTestShape()
	if err != nil {
		t.Fatal(err)
	}
	compiled := func(ccs constraint.ConstraintSystem) func(*circuit.Circuit) error {
		return func(a *circuit.Circuit) error {
			w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
			if err != nil {
				return err
			}
			_, err = ccs.Solve(w)
			return err
		}
	}
	return []engine{
		{"test engine", func(a *circuit.Circuit) error { return solved(testShape, a) }},
		{"R1CS (Groth16) solver", compiled(ccs[0])},
		{"SCS (PLONK) solver", compiled(ccs[1])},
	}
}

// TestAttacks mutates one thing per case on a valid assignment and expects
// the circuit to reject it on every engine (see [engine]): the test engine
// and the solvers of the compiled R1CS and SCS. Each case is named after the
// cheat it models, and its control, the same fresh fixture without the
// cheat, must pass on every engine, so the cheat is what gets rejected.
func TestAttacks(t *testing.T) {
	engs := engines(t)
	base := newFixture(t, testShape)
	for _, e := range engs {
		if err := e.solve(base.full()); err != nil {
			t.Fatalf("%s: valid assignment rejected: %v", e.name, err)
		}
	}
	var order big.Int
	params := twistededwards.GetEdwardsCurve()
	order.Set(&params.Order)

	cases := []struct {
		name string
		// mutate changes a fresh fixture (statement and witness) and/or the
		// assignment built from it.
		fix    func(t *testing.T, f *fixture)
		assign func(a *circuit.Circuit)
	}{
		{name: "wrong holder secret", fix: func(t *testing.T, f *fixture) { f.w.Secret.SetUint64(1) }},
		{name: "attribute changed after signing", fix: func(t *testing.T, f *fixture) { f.w.Credential.Slots[slotLevel] = el(43) }},
		{name: "signature by another key", fix: func(t *testing.T, f *fixture) {
			other, _ := newIssuer(t)
			sign(t, other, &f.w.Credential, f.w.Secret)
		}},
		{name: "S plus group order", assign: func(a *circuit.Circuit) {
			s := new(big.Int).Set(a.SigS.(*big.Int))
			a.SigS = s.Add(s, &order)
		}},
		{name: "schema id swapped", assign: func(a *circuit.Circuit) { a.SchemaID = zkhash.String("schema:other/1") }},
		{name: "expired by one second", fix: func(t *testing.T, f *fixture) { f.st.Now = f.w.Credential.Expiry + 1 }},
		{name: "revoked id", fix: func(t *testing.T, f *fixture) {
			if err := f.revTree.Insert(el(f.w.Credential.RevocationID)); err != nil {
				t.Fatal(err)
			}
			f.st.RevocationRoot = f.revTree.Root() // stale witness for the new root
		}},
		{name: "revoked id with its own leaf as low leaf", fix: func(t *testing.T, f *fixture) {
			if err := f.revTree.Insert(el(f.w.Credential.RevocationID)); err != nil {
				t.Fatal(err)
			}
			f.st.RevocationRoot = f.revTree.Root()
			w, err := f.revTree.Membership(el(f.w.Credential.RevocationID))
			if err != nil {
				t.Fatal(err)
			}
			f.w.Revocation = w
		}},
		{name: "underage by one day (≤)", fix: setPred(1, OpLe, testBirth-1, 0)},
		{name: "< at the boundary", fix: setPred(1, OpLt, testBirth, 0)},
		{name: "> at the boundary", fix: setPred(1, OpGt, testBirth, 0)},
		{name: "≥ one past", fix: setPred(1, OpGe, testBirth+1, 0)},
		{name: "between below range", fix: setPred(1, OpBetween, testBirth+1, testBirth+100)},
		{name: "between above range", fix: setPred(1, OpBetween, testBirth-100, testBirth-1)},
		{name: "= off by one", fix: setPred(1, OpEq, testBirth+1, 0)},
		{name: "≠ on equal value", fix: setPred(1, OpNe, testBirth, 0)},
		{name: "< against zero", fix: setPred(1, OpLt, 0, 0)},
		{name: "> against 2^64-1", fix: setPred(1, OpGt, 1<<64-1, 0)},
		{name: "slot value wrapped past r (−1 ≤ cutoff)", fix: func(t *testing.T, f *fixture) {
			var m1 fr.Element
			m1.SetOne()
			m1.Neg(&m1)
			f.w.Credential.Slots[slotBirth] = m1
			f.resign(t)
		}},
		{name: "operand wrapped past r (≥ −1)", assign: func(a *circuit.Circuit) {
			a.Predicates[1].Op = int(OpGe)
			a.Predicates[1].A = new(big.Int).Sub(ecc.BN254.ScalarField(), big.NewInt(1))
		}},
		{name: "non-member for in set", fix: func(t *testing.T, f *fixture) {
			f.w.Credential.Slots[slotVehicle] = el(4)
			f.resign(t)
			f.st.Predicates[0].Op = OpNotInSet
			f.setWitness(t, 0) // best witness available: the low leaf
			f.st.Predicates[0].Op = OpInSet
		}},
		{name: "slot value r-1 in every set (sentinel leaf 0 = (r-1)+1)", fix: func(t *testing.T, f *fixture) {
			// An issuer-signed slot value of r-1 is stored as (r-1)+1 = 0,
			// the value of the sentinel leaf that every set tree has: its
			// path (the low leaf of non-member 0) proves "member".
			var minusOne fr.Element
			minusOne.SetOne().Neg(&minusOne)
			f.w.Credential.Slots[slotVehicle] = minusOne
			f.resign(t)
			sentinel, err := f.setTree.NonMembership(el(0))
			if err != nil {
				t.Fatal(err)
			}
			if !sentinel.LowValue.IsZero() {
				t.Fatalf("low leaf of 0 is not the sentinel: %v", sentinel.LowValue)
			}
			f.w.Sets[0] = sentinel
		}},
		{name: "member for not in set (low leaf)", fix: func(t *testing.T, f *fixture) {
			f.st.Predicates[0].Op = OpNotInSet
			// Member 5 is stored as 6; the closest cheat is the leaf (4, 6)
			// of member 3, the low leaf of non-member 4.
			low, err := f.setTree.NonMembership(el(4))
			if err != nil {
				t.Fatal(err)
			}
			f.w.Sets[0] = low
		}},
		{name: "member for not in set (own leaf)", fix: func(t *testing.T, f *fixture) {
			f.st.Predicates[0].Op = OpNotInSet // witness stays the membership one
		}},
		{name: "set root swapped", assign: func(a *circuit.Circuit) { a.Predicates[0].A = 12345 }},
		{name: "no-op hiding a predicate (op 0 with slot and operand)", assign: func(a *circuit.Circuit) { a.Predicates[1].Op = 0 }},
		{name: "no-op with operand B", assign: func(a *circuit.Circuit) {
			a.Predicates[2] = circuit.Predicate{Slot: 0, Op: 0, A: 0, B: 1}
		}},
		{name: "operator code out of range", assign: func(a *circuit.Circuit) { a.Predicates[1].Op = numOps }},
		{name: "set operator at a non-set position", assign: func(a *circuit.Circuit) { a.Predicates[2].Op = int(OpInSet) }},
		{name: "slot index out of range", assign: func(a *circuit.Circuit) { a.Predicates[1].Slot = testShape.Slots }},
		{name: "operand B on a non-between predicate", assign: func(a *circuit.Circuit) { a.Predicates[1].B = 1 }},
		{name: "foreign nullifier scope", fix: func(t *testing.T, f *fixture) {
			f.st.Scope = credential.ScopeElement("other-election")
		}, assign: func(a *circuit.Circuit) { a.Scope[0] = credential.ScopeElement("election-2027") }},
		{name: "zero nullifier for a scope", assign: func(a *circuit.Circuit) { a.Nullifier[0] = 0 }},
		{name: "nullifier without scope", assign: func(a *circuit.Circuit) { a.Scope[0] = 0 }},
		{name: "disclosed value altered", assign: func(a *circuit.Circuit) { a.Disclosed[slotLevel] = 43 }},
		{name: "undisclosed value leaked as zero mask", assign: func(a *circuit.Circuit) { a.Disclosed[slotBirth] = testBirth }},
		{name: "mask not boolean", assign: func(a *circuit.Circuit) {
			a.DiscloseMask[slotLevel] = 2
			a.Disclosed[slotLevel] = 84
		}},
		{name: "issuer key swapped", assign: func(a *circuit.Circuit) {
			_, other := newIssuer(t)
			p := other.Point()
			a.IssuerX, a.IssuerY = p.X, p.Y
		}},
	}
	var cheats []test.TestingOption
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testShape)
			control := f.full()
			if tc.fix != nil {
				tc.fix(t, f)
			}
			a := f.full()
			if tc.assign != nil {
				tc.assign(a)
			}
			for _, e := range engs {
				if err := e.solve(control); err != nil {
					t.Fatalf("%s: control without the cheat rejected: %v", e.name, err)
				}
				err := e.solve(a)
				if err == nil {
					t.Errorf("%s: cheating assignment accepted (soundness bug)", e.name)
					continue
				}
				t.Logf("%s rejected: %.120s", e.name, err)
			}
			cheats = append(cheats, test.WithInvalidAssignment(a))
		})
	}
	if len(cheats) != len(cases) {
		return // a case failed to build: the named subtests say which
	}

	// The same cheats once more through gnark's own harness. CheckCircuit
	// (gnark@v0.16.3 test/assert_checkcircuit.go) compiles the circuit twice
	// per backend, with r1cs.NewBuilder for GROTH16 and scs.NewBuilder for
	// PLONK, and fails unless both compilations are identical; then, with
	// checkProver false, it calls ccs.Solve on every witness: each invalid
	// one must fail and the valid one must pass. The options pin that path
	// whatever the flags:
	//   - WithBackends(GROTH16, PLONK) replaces the profile's backend list,
	//     which is empty under -short (test engine only), so both compiled
	//     solvers run under -short too;
	//   - NoProverChecks keeps the solver branch under -tags=prover_checks or
	//     release_checks, which would otherwise run setups and check invalid
	//     witnesses only through the prover;
	//   - WithCurves(BN254): the circuit's twisted Edwards curve lives in
	//     BN254's scalar field (the default list adds BLS12-381);
	//   - WithoutSmallfieldCheck: -tags=smallfield_checks would compile for
	//     koalabear, where the circuit cannot exist;
	//   - NoSerializationChecks, NoFuzzing: release_checks extras, not
	//     soundness (fuzzing is disabled in v0.16.3 anyway);
	//   - NoTestEngine: the subtests above ran every cheat on it by name.
	// No solver options: hints come from the global registry (see engines).
	// gnark names the subtests <curve>/<backend>/invalid_witness#NN, and
	// case NN (0-based, no #00 suffix) of the table above is witness NN.
	opts := append([]test.TestingOption{
		test.WithValidAssignment(base.full()),
		test.WithCurves(ecc.BN254),
		test.WithBackends(backend.GROTH16, backend.PLONK),
		test.NoProverChecks(),
		test.NoSerializationChecks(),
		test.NoFuzzing(),
		test.WithoutSmallfieldCheck(),
		test.NoTestEngine(),
	}, cheats...)
	test.NewAssert(t).CheckCircuit(newCircuit(testShape), opts...)
}

// setPred replaces predicate i with a comparison on the birthdate slot.
func setPred(i int, op Op, a, b uint64) func(*testing.T, *fixture) {
	return func(t *testing.T, f *fixture) {
		f.st.Predicates[i] = Predicate{Slot: slotBirth, Op: op, A: el(a), B: el(b)}
	}
}

// TestOperatorBoundaries checks that every operator holds exactly at its
// boundary (so the one-past cases in TestAttacks fail for the right reason)
// on every engine, and that Prove's native check agrees with the circuit.
func TestOperatorBoundaries(t *testing.T) {
	engs := engines(t)
	type pc struct {
		name string
		op   Op
		a, b uint64
		ok   bool
	}
	cases := []pc{
		{"≤ equal", OpLe, testBirth, 0, true},
		{"≤ one below", OpLe, testBirth - 1, 0, false},
		{"< one above", OpLt, testBirth + 1, 0, true},
		{"≥ equal", OpGe, testBirth, 0, true},
		{"> one below", OpGt, testBirth - 1, 0, true},
		{"between tight", OpBetween, testBirth, testBirth, true},
		{"= equal", OpEq, testBirth, 0, true},
		{"≠ other", OpNe, testBirth + 1, 0, true},
		{"≥ zero", OpGe, 0, 0, true},
		{"≤ 2^64-1", OpLe, 1<<64 - 1, 0, true},
		{"none", OpNone, 0, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, testShape)
			f.st.Predicates[1] = Predicate{Slot: slotBirth, Op: c.op, A: el(c.a), B: el(c.b)}
			if c.op == OpNone {
				f.st.Predicates[1].Slot = 0
			}
			_, nativeErr := check(f.shape, &f.st, &f.w)
			if (nativeErr == nil) != c.ok {
				t.Fatalf("native check: %v, want ok=%v", nativeErr, c.ok)
			}
			if c.ok && !errors.Is(nativeErr, nil) {
				t.Fatal(nativeErr)
			}
			if !c.ok && !errors.Is(nativeErr, ErrUnsatisfied) {
				t.Fatalf("native check error %v is not ErrUnsatisfied", nativeErr)
			}
			for _, e := range engs {
				if err := e.solve(f.full()); (err == nil) != c.ok {
					t.Errorf("%s: %v, want ok=%v", e.name, err, c.ok)
				}
			}
		})
	}
	t.Run("not in set, non-member", func(t *testing.T) {
		f := newFixture(t, testShape)
		f.w.Credential.Slots[slotVehicle] = el(4)
		f.resign(t)
		f.st.Predicates[0].Op = OpNotInSet
		f.setWitness(t, 0)
		if _, err := check(f.shape, &f.st, &f.w); err != nil {
			t.Fatal(err)
		}
		for _, e := range engs {
			if err := e.solve(f.full()); err != nil {
				t.Errorf("%s: %v", e.name, err)
			}
		}
	})
	t.Run("no scope: zero nullifier", func(t *testing.T) {
		f := newFixture(t, testShape)
		f.st.Scope = fr.Element{}
		for _, e := range engs {
			if err := e.solve(f.full()); err != nil {
				t.Errorf("%s: %v", e.name, err)
			}
		}
	})
}
