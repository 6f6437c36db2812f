package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
)

func key(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, 32))
}

// agency is a revocation log without witnesses; its checkpoints are fed
// to the witness under test by hand.
type agency struct {
	t    testing.TB
	w    *tlog.Writer
	tree *status.Tree
	seq  uint64
	now  time.Time
	cps  []*tlog.Checkpoint
}

func newAgency(t testing.TB, dir string) *agency {
	a := &agency{t: t, now: time.Unix(1_800_000_000, 0)}
	var err error
	if a.tree, err = status.NewTree(8, status.RevocationMax()); err != nil {
		t.Fatal(err)
	}
	a.w, err = tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: dir, Origin: "did:web:agency.example/revocation", Kind: tlog.KindRevocation, Key: key(1), Depth: 8, Now: func() time.Time { return a.now }})
	if err != nil {
		t.Fatal(err)
	}
	a.cps = append(a.cps, a.w.Checkpoint())
	return a
}

func (a *agency) revoke(ids ...uint64) *tlog.Checkpoint {
	for _, id := range ids {
		var e fr.Element
		e.SetUint64(id)
		if err := a.tree.Insert(e); err != nil {
			a.t.Fatal(err)
		}
	}
	a.seq++
	a.now = a.now.Add(time.Minute)
	cp, err := a.w.AppendRevocations(context.Background(), ids, tlog.IndexedRoot{Depth: 8, Root: a.tree.Root(), Sequence: a.seq})
	if err != nil {
		a.t.Fatal(err)
	}
	a.cps = append(a.cps, cp)
	return cp
}

func request(old int64, proof [][32]byte, note []byte) []byte {
	b := []byte("old " + strconv.FormatInt(old, 10) + "\n")
	for _, h := range proof {
		b = append(b, base64.StdEncoding.EncodeToString(h[:])+"\n"...)
	}
	return append(append(b, '\n'), note...)
}

func newWitness(t testing.TB, st witness.Store, a *agency) *witness.Witness {
	w, err := witness.New(witness.Config{Name: "witness.example", Key: key(9), Logs: []*tlog.LogKey{a.w.LogKey()}, Store: st, Now: func() time.Time { return a.now }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestHandler: every tlog-witness status code, over HTTP, and the state
// surviving a reopened bbolt store.
func TestHandler(t *testing.T) {
	dir := t.TempDir()
	a := newAgency(t, filepath.Join(dir, "log"))
	a.revoke(1, 2, 3)
	st, err := witness.OpenStore(filepath.Join(dir, "witness.db"))
	if err != nil {
		t.Fatal(err)
	}
	w := newWitness(t, st, a)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()
	post := func(body []byte) (int, string) {
		resp, err := http.Post(srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	cp1 := a.cps[1]
	code, body := post(request(0, nil, cp1.Note))
	if code != 200 {
		t.Fatalf("first checkpoint: %d %s", code, body)
	}
	p, _ := tlog.NewPolicy(a.w.LogKey(), []*tlog.WitnessKey{w.Key()}, 1)
	if _, err := p.Verify(append(bytes.Clone(cp1.Note), body...)); err != nil {
		t.Fatalf("cosignature does not verify: %v", err)
	}
	// Same again: same size, same state: cosigned again.
	if code, body := post(request(3, nil, cp1.Note)); code != 200 {
		t.Fatalf("same checkpoint again: %d %s", code, body)
	}
	// Stale old size: 409 with the witness's size.
	a.revoke(4, 5)
	cp2 := a.cps[2]
	if code, body := post(request(0, nil, cp2.Note)); code != 409 || body != "3\n" {
		t.Fatalf("wrong old size: %d %q", code, body)
	}
	// Bad proof: 422.
	if code, _ := post(request(3, [][32]byte{{1}}, cp2.Note)); code != 422 {
		t.Fatalf("bad proof: %d", code)
	}
	// Unknown log: 404.
	other := newAgencyKey(t, filepath.Join(dir, "other"))
	if code, _ := post(request(0, nil, other.cps[0].Note)); code != 404 {
		t.Fatalf("unknown log: %d", code)
	}
	// Bad signature: 403.
	i := bytes.LastIndexByte(cp2.Note[:len(cp2.Note)-1], ' ')
	sig, _ := base64.StdEncoding.DecodeString(string(cp2.Note[i+1 : len(cp2.Note)-1]))
	sig[20] ^= 1
	bad := append(bytes.Clone(cp2.Note[:i+1]), base64.StdEncoding.EncodeToString(sig)+"\n"...)
	if code, _ := post(request(3, nil, bad)); code != 403 {
		t.Fatalf("bad signature: %d", code)
	}
	// Garbage: 400; GET: 405.
	if code, _ := post([]byte("old 1\n")); code != 400 {
		t.Fatalf("garbage: %d", code)
	}
	if resp, err := http.Get(srv.URL); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET: %v", err)
	}
	// The state survives a reopen: the witness still refuses size 3's
	// old size for cp2 with 409 "3", and accepts the right proof.
	st.Close()
	st, err = witness.OpenStore(filepath.Join(dir, "witness.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w = newWitness(t, st, a)
	_, err = w.AddCheckpoint(context.Background(), request(0, nil, cp2.Note))
	var ce *witness.ConflictError
	if !errors.As(err, &ce) || ce.Size != 3 || ce.SplitView {
		t.Fatalf("after reopen: %v", err)
	}
	proof := consistency(t, filepath.Join(dir, "log"), a, cp1, cp2)
	if _, err := w.AddCheckpoint(context.Background(), request(3, proof, cp2.Note)); err != nil {
		t.Fatal(err)
	}
	// Smaller: 400.
	if _, err := w.AddCheckpoint(context.Background(), request(5, nil, cp1.Note)); !errors.Is(err, witness.ErrBadRequest) {
		t.Fatalf("smaller checkpoint: %v", err)
	}
}

func newAgencyKey(t *testing.T, dir string) *agency {
	a := &agency{t: t, now: time.Unix(1_800_000_000, 0)}
	w, err := tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: dir, Origin: "did:web:other.example/keys", Kind: tlog.KindKeys, Key: key(1)})
	if err != nil {
		t.Fatal(err)
	}
	a.w = w
	a.cps = []*tlog.Checkpoint{w.Checkpoint()}
	return a
}

// consistency fetches a proof from the log directory with a Client.
func consistency(t testing.TB, dir string, a *agency, old, next *tlog.Checkpoint) [][32]byte {
	p, _ := tlog.NewPolicy(a.w.LogKey(), nil, 0)
	c, err := tlog.NewClient("http://log.example", dirGetter(dir), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := c.ConsistencyProof(context.Background(), old, next)
	if err != nil {
		t.Fatal(err)
	}
	return proof
}

// FuzzAddCheckpoint: the request parser and the witness's checks never
// panic, answer with one of the sentinels, and cosign only a checkpoint
// signed by the log that extends the stored one.
func FuzzAddCheckpoint(f *testing.F) {
	a := newAgency(f, f.TempDir())
	a.revoke(1, 2, 3)
	a.revoke(4)
	f.Add(request(0, nil, a.cps[1].Note))
	f.Add(request(0, nil, a.cps[0].Note))
	f.Add(request(3, [][32]byte{{1}, {2}}, a.cps[2].Note))
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			st := &memStore{}
			w := newWitness(t, st, a)
			line, err := w.AddCheckpoint(context.Background(), b)
			if err != nil {
				for _, s := range []error{witness.ErrBadRequest, witness.ErrUnknownLog, witness.ErrConflict, witness.ErrBadProof, tlog.ErrBadSignature} {
					if errors.Is(err, s) {
						return
					}
				}
				t.Fatalf("unexpected error %v", err)
			}
			p, _ := tlog.NewPolicy(a.w.LogKey(), []*tlog.WitnessKey{w.Key()}, 1)
			note, _ := st.Load("did:web:agency.example/revocation")
			if _, err := p.Verify(append(bytes.Clone(note), line...)); err != nil || !strings.HasPrefix(string(line), "\u2014 witness.example ") {
				t.Fatalf("cosigned something that does not verify: %v", err)
			}
		})
	})
}

func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 64<<20 {
		t.Fatalf("witness: one input allocated %d bytes (ceiling 64 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}

// swapCounter is a Store that counts its writes.
type swapCounter struct {
	memStore
	swaps int
}

func (s *swapCounter) Swap(origin string, old, next []byte) error {
	s.swaps++
	return s.memStore.Swap(origin, old, next)
}

// TestWitnessAttackReplayNoDiskWrite: replaying the stored checkpoint
// (byte-identical, or with extra signature lines) is cosigned again but
// writes nothing: a public checkpoint replayed in a loop costs the
// witness no synced disk write. A re-signed later checkpoint of the same
// state is stored.
func TestWitnessAttackReplayNoDiskWrite(t *testing.T) {
	dir := t.TempDir()
	a := newAgency(t, filepath.Join(dir, "log"))
	cp := a.revoke(1, 2, 3)
	st := &swapCounter{}
	w := newWitness(t, st, a)
	if _, err := w.AddCheckpoint(context.Background(), request(0, nil, cp.Note)); err != nil {
		t.Fatal(err)
	}
	if st.swaps != 1 {
		t.Fatalf("first checkpoint: %d writes", st.swaps)
	}
	// Another witness's cosignature line appended: same signed body.
	other, err := witness.New(witness.Config{Name: "other.example", Key: key(8), Logs: []*tlog.LogKey{a.w.LogKey()}, Store: &memStore{}, Now: func() time.Time { return a.now }})
	if err != nil {
		t.Fatal(err)
	}
	line, err := other.AddCheckpoint(context.Background(), request(0, nil, cp.Note))
	if err != nil {
		t.Fatal(err)
	}
	withLine := append(bytes.Clone(cp.Note), line...)
	for i := range 10 {
		note := cp.Note
		if i%2 == 1 {
			note = withLine
		}
		line, err := w.AddCheckpoint(context.Background(), request(3, nil, note))
		if err != nil {
			t.Fatalf("replay %d: %v", i, err)
		}
		p, _ := tlog.NewPolicy(a.w.LogKey(), []*tlog.WitnessKey{w.Key()}, 1)
		if _, err := p.Verify(append(bytes.Clone(cp.Note), line...)); err != nil {
			t.Fatalf("replay %d: cosignature: %v", i, err)
		}
	}
	if st.swaps != 1 {
		t.Fatalf("10 replays of the stored checkpoint made %d writes", st.swaps-1)
	}
	// The same state re-signed later is new: stored.
	a.now = a.now.Add(time.Minute)
	again, err := a.w.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(context.Background(), request(3, nil, again.Note)); err != nil {
		t.Fatal(err)
	}
	if st.swaps != 2 {
		t.Fatalf("a later re-signed checkpoint: %d writes, want 2", st.swaps)
	}
}
