package registry

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
)

const (
	testIssuer = "did:example:issuer"
	testKID    = testIssuer + "#key-1"
)

var testEdKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testResolver resolves testIssuer with key-1, the registry's Ed25519 key,
// as an assertionMethod.
func testResolver(t testing.TB) did.Resolver {
	t.Helper()
	vm, err := did.NewMultikeyMethod(testKID, testIssuer, testEdKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	doc := &did.Document{ID: testIssuer}
	if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	r, err := did.NewStaticResolver(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testConfig() Config {
	return Config{Depth: 20, Issuer: testIssuer, KeyID: testKID, Signer: testEdKey}
}

func openTestRegistry(t testing.TB, path string, cfg Config) (*Registry, *BoltStore) {
	t.Helper()
	st, err := OpenBoltStore(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(st, cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return r, st
}

func TestRegistryRevokeAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.db")
	r, st := openTestRegistry(t, path, testConfig())
	empty := r.Root()
	if empty.Sequence != 0 || empty.Count != 0 || r.SignedRoot() == "" {
		t.Fatalf("fresh registry: %+v", empty)
	}
	prev := empty.Root
	var revoked []uint64
	for i := range 5 {
		id, err := r.NewRevocationID()
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := r.Issued(id); !ok {
			t.Fatal("issued id not recorded")
		}
		c, err := r.Revoke(id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Sequence != uint64(i+1) || c.Count != uint64(i+1) || c.Root.Equal(&prev) {
			t.Fatalf("revoke %d: claims %+v", i, c)
		}
		prev = c.Root
		revoked = append(revoked, id)
	}
	// A batch is one change.
	c, err := r.Revoke(1001, 1002, 1003)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sequence != 6 || c.Count != 8 {
		t.Fatalf("batch claims %+v", c)
	}
	revoked = append(revoked, 1001, 1002, 1003)
	// Rejections change nothing.
	for name, ids := range map[string][]uint64{
		"already revoked":    {revoked[0]},
		"repeated in batch":  {7, 7},
		"batch with revoked": {8, 1002},
	} {
		if _, err := r.Revoke(ids...); !errors.Is(err, status.ErrRevoked) {
			t.Errorf("%s: got %v, want status.ErrRevoked", name, err)
		}
	}
	for _, id := range []uint64{0, ^uint64(0)} {
		if _, err := r.Revoke(id); !errors.Is(err, status.ErrOutOfRange) {
			t.Errorf("id %d: got %v", id, err)
		}
	}
	if got := r.Root(); got.Sequence != 6 || got.Count != 8 {
		t.Fatalf("rejected revocations changed the registry: %+v", got)
	}
	if _, err := r.Witness(revoked[2]); !errors.Is(err, status.ErrRevoked) {
		t.Fatalf("witness of revoked id: %v", err)
	}
	w, err := r.Witness(99)
	if err != nil {
		t.Fatal(err)
	}
	root := r.Root()
	if err := w.VerifyNonMembership(root.Root, 20, u64(99)); err != nil {
		t.Fatal(err)
	}
	jws := r.SignedRoot()
	st.Close()

	// Reopen: same state, rebuilt from the store.
	r2, st2 := openTestRegistry(t, path, Config{Issuer: testIssuer, KeyID: testKID, Signer: testEdKey})
	defer st2.Close()
	if got := r2.Root(); got.Root != root.Root || got.Sequence != 6 || got.Count != 8 || r2.SignedRoot() != jws {
		t.Fatalf("reopened registry differs: %+v", got)
	}
	for _, id := range revoked {
		if !r2.IsRevoked(id) {
			t.Fatalf("id %d lost on reopen", id)
		}
	}
	// Snapshot → holder tree has the same root.
	ht, err := r2.Snapshot().Tree()
	if err != nil {
		t.Fatal(err)
	}
	if hr := ht.Root(); hr != root.Root {
		t.Fatal("snapshot tree root differs")
	}
}

func TestConfigRejects(t *testing.T) {
	st, err := OpenBoltStore(filepath.Join(t.TempDir(), "reg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, cfg := range map[string]Config{
		"no issuer":          {KeyID: testKID, Signer: testEdKey},
		"kid of another did": {Issuer: testIssuer, KeyID: "did:example:other#k", Signer: testEdKey},
		"no signer":          {Issuer: testIssuer, KeyID: testKID},
		"bad depth":          {Depth: 65, Issuer: testIssuer, KeyID: testKID, Signer: testEdKey},
		"short status list":  {Issuer: testIssuer, KeyID: testKID, Signer: testEdKey, StatusListBits: 1024},
	} {
		if _, err := Open(st, cfg); !errors.Is(err, status.ErrConfig) {
			t.Errorf("%s: got %v, want status.ErrConfig", name, err)
		}
	}
	// Depth is fixed at creation.
	cfg := testConfig()
	if _, err := Open(st, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Depth = 24
	if _, err := Open(st, cfg); !errors.Is(err, status.ErrConfig) {
		t.Fatalf("depth change: got %v", err)
	}
}

func TestRegistryTwoOnOneStore(t *testing.T) {
	st, err := OpenBoltStore(filepath.Join(t.TempDir(), "reg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := Open(st, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(st, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke(1); err != nil {
		t.Fatal(err)
	}
	// b catches up before it changes anything: no fork.
	c, err := b.Revoke(2)
	if err != nil {
		t.Fatal(err)
	}
	if !b.IsRevoked(1) || c.Count != 2 || c.Sequence != 2 {
		t.Fatalf("second registry did not catch up: %+v", c)
	}
	// a serves its last state until it syncs.
	if a.IsRevoked(2) {
		t.Fatal("a changed without Sync")
	}
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if a.Root() != b.Root() || a.SignedRoot() != b.SignedRoot() || !a.IsRevoked(2) {
		t.Fatal("a after Sync differs from b")
	}
	// A refreshed root reaches the other registry too.
	jws, err := a.RefreshRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if b.SignedRoot() != jws {
		t.Fatal("b did not pick up the refreshed root")
	}
}

// TestRegistryTwoWritersRace revokes from two registries on one store at
// once (run under -race): the store's fence lets a stale one fail
// (ErrCorrupt) but never fork, and every acknowledged id stays.
func TestRegistryTwoWritersRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.db")
	st, err := OpenBoltStore(path)
	if err != nil {
		t.Fatal(err)
	}
	regs := make([]*Registry, 2)
	for i := range regs {
		if regs[i], err = Open(st, testConfig()); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu    sync.Mutex
		acked []uint64
		seqs  = map[uint64]bool{}
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := regs[w%2]
			for i := range 25 {
				id := uint64(w*1000 + i + 1)
				c, err := r.Revoke(id)
				if errors.Is(err, ErrCorrupt) {
					continue // lost the race: nothing written
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, id)
				if seqs[c.Sequence] {
					t.Errorf("sequence %d acknowledged twice", c.Sequence)
				}
				seqs[c.Sequence] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st.Close()
	r, st2 := openTestRegistry(t, path, testConfig())
	defer st2.Close()
	for _, id := range acked {
		if !r.IsRevoked(id) {
			t.Fatalf("acknowledged id %d lost", id)
		}
	}
	if c := r.Root(); c.Count != uint64(len(acked)) || c.Sequence != c.Count {
		t.Fatalf("claims %+v after %d acknowledged revocations", c, len(acked))
	}
}

func TestRegistryDetectsCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.db")
	r, st := openTestRegistry(t, path, testConfig())
	if _, err := r.Revoke(10, 20, 30); err != nil {
		t.Fatal(err)
	}
	// Swap a stored id behind the registry's back.
	if err := st.Update(func(tx Tx) error { return tx.Put(bucketRevoked, be64(2), be64(21)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(st, testConfig()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
	st.Close()
}

// TestRegistryConcurrentRevoke runs revocations from many goroutines, with
// readers alongside; run under -race.
func TestRegistryConcurrentRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reg.db")
	r, st := openTestRegistry(t, path, testConfig())
	defer st.Close()
	const workers, per = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*per)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				id := uint64(w*1000 + i + 1)
				if _, err := r.Revoke(id); err != nil {
					errs <- err
				}
				// Every worker also races on one shared id: exactly one wins.
				if i == 0 {
					if _, err := r.Revoke(999999); err != nil && !errors.Is(err, status.ErrRevoked) {
						errs <- err
					}
				}
				if _, err := r.Witness(uint64(500000 + w)); err != nil {
					errs <- err
				}
				_ = r.Snapshot()
				_ = r.SignedRoot()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := r.Root()
	if c.Count != workers*per+1 || c.Sequence != workers*per+1 {
		t.Fatalf("after concurrent revocations: %+v", c)
	}
	ht, err := r.Snapshot().Tree()
	if err != nil {
		t.Fatal(err)
	}
	if got := ht.Root(); got != c.Root {
		t.Fatal("snapshot root differs from registry root")
	}
}

const (
	crashEnv   = "ZKCRED_STATUS_CRASH_DB" // the bbolt file of the child
	crashPGEnv = "ZKCRED_STATUS_CRASH_PG" // the PostgreSQL DSN of the child
)

// TestRegistryCrashChild is the child of the crash tests: it revokes ids
// in a loop and prints each one after Revoke returns.
func TestRegistryCrashChild(t *testing.T) {
	path, dsn := os.Getenv(crashEnv), os.Getenv(crashPGEnv)
	if path == "" && dsn == "" {
		t.Skip("child process of TestRegistryCrashSafety and TestPostgresCrashSafety")
	}
	var (
		st  Store
		err error
	)
	if dsn != "" {
		st, err = OpenPostgresStore(context.Background(), dsn)
	} else {
		st, err = OpenBoltStore(path)
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	r, err := Open(st, testConfig())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	deadline := time.Now().Add(10 * time.Second)
	for {
		id := 1 + rng.Uint64N(1<<62)
		if _, err := r.Revoke(id); errors.Is(err, ErrNotWriter) && time.Now().Before(deadline) {
			// The previous writer's session is still ending.
			time.Sleep(10 * time.Millisecond)
			continue
		} else if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		// Written straight to the pipe: acknowledged only after Revoke returned.
		fmt.Printf("ack %d\n", id)
	}
}

// runCrashChild runs TestRegistryCrashChild with env, reads at least want
// acknowledgements, kills it with SIGKILL at a random point of its next
// revocation and returns every id it acknowledged, in order.
func runCrashChild(t *testing.T, env string, want int) []uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRegistryCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []uint64
	sc := bufio.NewScanner(out)
	for len(acked) < want && sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "ack "); ok {
			v, err := strconv.ParseUint(id, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, v)
		} else if strings.HasPrefix(line, "error") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %s", line)
		}
	}
	n := len(acked)
	// The child is in the middle of its next Revoke (or about to be).
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	// os.Kill is SIGKILL on Unix: no handler, no cleanup.
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	// Acks printed before the kill landed count too.
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			v, _ := strconv.ParseUint(id, 10, 64)
			acked = append(acked, v)
		}
	}
	_ = cmd.Wait()
	if n < want {
		t.Fatalf("child stopped after %d acks", n)
	}
	return acked
}

// checkCrashState checks r after rounds killed writers: it holds every
// acknowledged id in acknowledgement order, with at most one
// unacknowledged id (committed just before the kill) per round; its ids
// reproduce its root; the stored signed root is the state's.
func checkCrashState(t *testing.T, r *Registry, acked []uint64, rounds int) {
	t.Helper()
	stored, c := r.RevokedSince(0, 0)
	if uint64(len(stored)) != c.Count || len(stored) > len(acked)+rounds {
		t.Fatalf("%d ids stored, count %d, %d acknowledged in %d rounds", len(stored), c.Count, len(acked), rounds)
	}
	i := 0
	for _, id := range stored {
		if i < len(acked) && id == acked[i] {
			i++
		}
	}
	if i != len(acked) {
		t.Fatalf("acknowledged id %d (#%d) lost or out of order", acked[i], i)
	}
	ht, err := r.Snapshot().Tree()
	if err != nil {
		t.Fatal(err)
	}
	if got := ht.Root(); got != c.Root {
		t.Fatal("rebuilt tree root differs from the registry's")
	}
	// The stored signed root was committed with the ids it covers.
	sr, err := status.VerifySignedRoot(context.Background(), testResolver(t), r.SignedRoot(), status.VerifyRootOptions{Issuer: testIssuer})
	if err != nil {
		t.Fatalf("stored signed root: %v", err)
	}
	if *sr != c {
		t.Fatalf("signed root %+v, state %+v", sr, c)
	}
}

// TestRegistryCrashSafety kills a revoking child process with SIGKILL at
// random points, then reopens the store: it must open (the ids reproduce the
// stored root) and hold every acknowledged id, in order.
func TestRegistryCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []uint64
	for round := range 3 {
		acked = append(acked, runCrashChild(t, crashEnv+"="+path, 20+15*round)...)
		r, st := openTestRegistry(t, path, testConfig())
		checkCrashState(t, r, acked, round+1)
		if c := r.Root(); c.Sequence != c.Count {
			t.Fatalf("round %d: claims %+v", round, c)
		}
		st.Close()
		t.Logf("round %d: %d acknowledged, %d in store", round, len(acked), r.Root().Count)
	}
}

// constReader returns the same byte forever: every draw collides.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestRegistryAllocation(t *testing.T) {
	st, err := OpenBoltStore(filepath.Join(t.TempDir(), "reg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig()
	cfg.Rand = constReader(7)
	r, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The first draw succeeds, every later one collides: an error, not a loop.
	id, err := r.NewRevocationID()
	if err != nil || id != 0x0707070707070707 {
		t.Fatalf("first id %x, %v", id, err)
	}
	if _, err := r.NewRevocationID(); err == nil {
		t.Fatal("repeated id drawn twice")
	}
	if _, err := r.AllocateStatusIndex("l"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.AllocateStatusIndex("l"); !errors.Is(err, status.ErrOutOfRange) {
		t.Fatalf("repeated index: %v", err)
	}
	// A different list has its own indexes.
	if _, err := r.AllocateStatusIndex("m"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a b", "x\x00y", strings.Repeat("n", 257)} {
		if _, err := r.AllocateStatusIndex(name); !errors.Is(err, status.ErrConfig) {
			t.Errorf("list name %q: %v", name, err)
		}
	}
	// An all-ones draw is out of range and skipped, not returned.
	cfg.Rand = constReader(0xff)
	r2, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.NewRevocationID(); err == nil {
		t.Fatal("2^64-1 drawn as a revocation id")
	}
}

// TestRegistrySignedRootVerifies: the root a registry publishes after a
// revocation verifies and matches the registry's state.
func TestRegistrySignedRootVerifies(t *testing.T) {
	st, err := OpenBoltStore(t.TempDir() + "/reg.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig()
	cfg.Now = func() time.Time { return testNow }
	r, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Revoke(77); err != nil {
		t.Fatal(err)
	}
	c, err := status.VerifySignedRoot(context.Background(), testResolver(t), r.SignedRoot(), status.VerifyRootOptions{Issuer: testIssuer, MinSequence: 1, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if want := r.Root(); *c != want {
		t.Fatalf("verified %+v, registry %+v", c, want)
	}
}

// TestRegistryRefreshRoot: re-signing keeps sequence and root, moves iat,
// and makes a root that had gone stale acceptable again.
func TestRegistryRefreshRoot(t *testing.T) {
	st, err := OpenBoltStore(t.TempDir() + "/reg.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := testNow
	cfg := testConfig()
	cfg.Now = func() time.Time { return now }
	r, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Revoke(5); err != nil {
		t.Fatal(err)
	}
	before := r.Root()
	now = now.Add(48 * time.Hour)
	opts := status.VerifyRootOptions{Now: func() time.Time { return now }}
	if _, err := status.VerifySignedRoot(context.Background(), testResolver(t), r.SignedRoot(), opts); !errors.Is(err, status.ErrStaleRoot) {
		t.Fatalf("old root: %v", err)
	}
	jws, err := r.RefreshRoot()
	if err != nil {
		t.Fatal(err)
	}
	c, err := status.VerifySignedRoot(context.Background(), testResolver(t), jws, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sequence != before.Sequence || c.Root != before.Root || !c.IssuedAt.Equal(now) {
		t.Fatalf("refreshed claims %+v", c)
	}
	// Durable: a reopened registry serves the refreshed root.
	r2, err := Open(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r2.SignedRoot() != jws {
		t.Fatal("refreshed root not stored")
	}
}
