package tlog_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did/fetch"
)

const testIssuer = "did:web:agency.example"

// seedKey returns a deterministic Ed25519 key.
func seedKey(b byte) ed25519.PrivateKey {
	var seed [32]byte
	for i := range seed {
		seed[i] = b
	}
	return ed25519.NewKeyFromSeed(seed[:])
}

// memStore is an in-memory witness.Store for tests.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStore) Load(origin string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[origin], nil
}

func (s *memStore) Swap(origin string, old, next []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(s.m[origin]) != string(old) || (s.m[origin] == nil) != (old == nil) {
		return witness.ErrConflict
	}
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[origin] = next
	return nil
}

// dirGetter serves a log directory from disk, like a static web server,
// without the network (benchmarks and fuzzing).
type dirGetter struct {
	dir  string
	base string
}

func (g *dirGetter) Get(_ context.Context, rawURL, _ string) (*fetch.Response, error) {
	rel, ok := strings.CutPrefix(rawURL, g.base)
	if !ok || strings.Contains(rel, "..") {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	b, err := os.ReadFile(filepath.Join(g.dir, filepath.FromSlash(rel)))
	if err != nil {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	return &fetch.Response{StatusCode: 200, Status: "200 OK", Body: b}, nil
}

// fixture is an agency with a revocation log, n witnesses served over
// httptest, the log served over httptest, and the tree the registry
// would keep.
type fixture struct {
	t         testing.TB
	dir       string
	key       ed25519.PrivateKey
	origin    string
	writer    *tlog.Writer
	witnesses []*witness.Witness
	wkeys     []*tlog.WitnessKey
	stores    []*memStore
	eps       []tlog.WitnessEndpoint
	http      *fetch.Client
	logURL    string
	tree      *status.Tree
	seq       uint64
	ids       []uint64
	now       time.Time
}

const testDepth = 16

func newFixture(t testing.TB, nWitnesses int) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), key: seedKey(1), now: time.Unix(1_800_000_000, 0)}
	var err error
	if f.origin, err = tlog.RevocationOrigin(testIssuer); err != nil {
		t.Fatal(err)
	}
	if f.http, err = fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true, MaxBytes: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	logKey, err := tlog.NewLogKey(f.origin, f.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	for i := range nWitnesses {
		st := &memStore{}
		w, err := witness.New(witness.Config{Name: "witness" + string(rune('a'+i)) + ".example", Key: seedKey(byte(10 + i)), Logs: []*tlog.LogKey{logKey}, Store: st, Now: f.clock})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w.Handler())
		t.Cleanup(srv.Close)
		f.witnesses = append(f.witnesses, w)
		f.wkeys = append(f.wkeys, w.Key())
		f.stores = append(f.stores, st)
		f.eps = append(f.eps, tlog.WitnessEndpoint{Key: w.Key(), URL: srv.URL + "/add-checkpoint"})
	}
	logSrv := httptest.NewServer(http.FileServer(http.Dir(f.dir)))
	t.Cleanup(logSrv.Close)
	f.logURL = logSrv.URL
	if f.tree, err = status.NewTree(testDepth, status.RevocationMax()); err != nil {
		t.Fatal(err)
	}
	f.writer = f.open()
	return f
}

func (f *fixture) clock() time.Time { return f.now }

func (f *fixture) config() tlog.WriterConfig {
	return tlog.WriterConfig{Dir: f.dir, Origin: f.origin, Kind: tlog.KindRevocation, Key: f.key, Depth: testDepth, Witnesses: f.eps, HTTP: f.http, Now: f.clock}
}

func (f *fixture) open() *tlog.Writer {
	f.t.Helper()
	w, err := tlog.OpenWriter(context.Background(), f.config())
	if err != nil {
		f.t.Fatal(err)
	}
	return w
}

func insert(t testing.TB, f *fixture, id uint64) {
	var e fr.Element
	e.SetUint64(id)
	if err := f.tree.Insert(e); err != nil {
		t.Fatal(err)
	}
	f.ids = append(f.ids, id)
}

// revoke inserts ids into the tree and appends them to the log.
func (f *fixture) revoke(ids ...uint64) *tlog.Checkpoint {
	f.t.Helper()
	for _, id := range ids {
		var e fr.Element
		e.SetUint64(id)
		if err := f.tree.Insert(e); err != nil {
			f.t.Fatal(err)
		}
	}
	f.seq++
	f.ids = append(f.ids, ids...)
	f.now = f.now.Add(time.Minute)
	cp, err := f.writer.AppendRevocations(context.Background(), ids, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq})
	if err != nil {
		f.t.Fatal(err)
	}
	return cp
}

func (f *fixture) policy(quorum int) *tlog.Policy {
	f.t.Helper()
	p, err := tlog.NewPolicy(f.writer.LogKey(), f.wkeys, quorum)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) client(quorum int) *tlog.Client {
	f.t.Helper()
	c, err := tlog.NewClient(f.logURL, f.http, f.policy(quorum), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// seqIDs returns n distinct ids starting at from.
func seqIDs(from uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = from + uint64(i)*7919
	}
	return out
}

func mustIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}
