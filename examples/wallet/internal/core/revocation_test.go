package core

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

const testDepth = 10

// testAgency publishes a revocation log (tlog.Writer, no witness) and its
// DID document over loopback HTTP, as examples/issuer does.
type testAgency struct {
	t      *testing.T
	srv    *httptest.Server
	did    string
	key    ed25519.PrivateKey
	tree   *status.Tree
	writer *tlog.Writer
	seq    uint64
	dir    atomic.Pointer[string] // the log directory served
	mu     sync.Mutex
	paths  []string // log files fetched
}

func newTestAgency(t *testing.T) *testAgency {
	a := &testAgency{t: t, key: ed25519.NewKeyFromSeed(make([]byte, 32))}
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	u, _ := url.Parse(a.srv.URL)
	a.did = "did:web:" + strings.ReplaceAll(u.Host, ":", "%3A")
	doc := &did.Document{ID: a.did}
	vm, err := did.NewMultikeyMethod(a.did+"#log", a.did, a.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	ep, _ := json.Marshal(a.srv.URL + "/log")
	doc.Service = append(doc.Service, did.Service{ID: a.did + "#revocation-log", Type: []string{tlog.RevocationLogService}, ServiceEndpoint: ep})
	docJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET /.well-known/did.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/did+json")
		w.Write(docJSON)
	})
	mux.HandleFunc("GET /log/", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.paths = append(a.paths, strings.TrimPrefix(r.URL.Path, "/log/"))
		a.mu.Unlock()
		http.StripPrefix("/log/", http.FileServer(http.Dir(*a.dir.Load()))).ServeHTTP(w, r)
	})
	a.open(t.TempDir())
	return a
}

// open starts a new log in dir (the same key and origin) and serves it.
func (a *testAgency) open(dir string) {
	origin, _ := tlog.RevocationOrigin(a.did)
	var err error
	a.writer, err = tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindRevocation, Key: a.key, Depth: testDepth})
	if err != nil {
		a.t.Fatal(err)
	}
	if a.tree, err = status.NewTree(testDepth, status.RevocationMax()); err != nil {
		a.t.Fatal(err)
	}
	a.seq = 0
	a.dir.Store(&dir)
}

func (a *testAgency) revoke(ids ...uint64) {
	for _, id := range ids {
		var e fr.Element
		e.SetUint64(id)
		if err := a.tree.Insert(e); err != nil {
			a.t.Fatal(err)
		}
	}
	dir := *a.dir.Load()
	if err := tlog.WriteSubtrees(dir, a.tree, testDepth); err != nil { // level min(12, depth), as the wallet reads them
		a.t.Fatal(err)
	}
	a.seq++
	if _, err := a.writer.AppendRevocations(context.Background(), ids, tlog.IndexedRoot{Depth: testDepth, Root: a.tree.Root(), Sequence: a.seq}); err != nil {
		a.t.Fatal(err)
	}
}

func (a *testAgency) fetched() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.paths
	a.paths = nil
	return p
}

func (a *testAgency) wallet(t *testing.T) *Wallet {
	w, err := New(Config{InsecureLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	w.entries = append(w.entries,
		&Entry{Version: EntryVersion, IssuerURL: a.srv.URL, ID: "urn:mine", Stored: &credential.Stored{Issuer: a.did, RevocationID: 5, Expiry: uint64(time.Now().Add(1000 * time.Hour).Unix())}},
		&Entry{Version: EntryVersion, IssuerURL: a.srv.URL, ID: "urn:other", Stored: &credential.Stored{Issuer: a.did, RevocationID: 7, Expiry: uint64(time.Now().Add(1000 * time.Hour).Unix())}})
	return w
}

func syncOne(t *testing.T, w *Wallet) (Synced, error) {
	t.Helper()
	s, err := w.Sync(context.Background())
	if len(s) != 1 {
		t.Fatalf("sync: %d issuers (%v)", len(s), err)
	}
	return s[0], err
}

// TestSyncRestoreAndSplitView: the wallet syncs the agency's revocation
// log (checkpoint, ids, each credential's witness or its revocation);
// restored from what it stored (data, ids, hash tiles, subtree roots) it
// downloads no file it downloaded before but the checkpoint; when the agency then shows it a different log of the
// same size (a split view) it keeps its checkpoint, marks the issuer, and
// lists and uses the credentials no more.
func TestSyncRestoreAndSplitView(t *testing.T) {
	a := newTestAgency(t)
	var first []uint64 // 300 ids: a full tile and a partial one
	for id := uint64(1); len(first) < 300; id++ {
		if id != 5 && id != 7 {
			first = append(first, id)
		}
	}
	a.revoke(first...)
	w := a.wallet(t)
	s, err := syncOne(t, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.IDs) != 300*8 || len(s.Tiles) == 0 || len(s.Roots) != 32 { // depth 10: one subtree
		t.Fatalf("first sync handed out %d bytes of ids (want 2400), %d of tiles, %d of roots", len(s.IDs), len(s.Tiles), len(s.Roots))
	}
	list := w.List(context.Background())
	if len(list) != 2 || !strings.Contains(list[0].Status, "not revoked") {
		t.Fatalf("after the first sync: %+v", list)
	}
	before := map[string]bool{}
	for _, p := range a.fetched() {
		before[p] = true
	}

	// A wallet that requires a witness's cosignature refuses the
	// agency's checkpoint alone, and stores nothing.
	wk, err := tlog.NewWitnessKey("witness.example", ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	strict, err := New(Config{InsecureLocal: true, Witnesses: []string{wk.String()}, Quorum: 1})
	if err != nil {
		t.Fatal(err)
	}
	strict.entries = w.entries
	if out, err := strict.Sync(context.Background()); !errors.Is(err, tlog.ErrNoQuorum) || len(out) != 0 {
		t.Fatalf("uncosigned checkpoint: %d stored, %v", len(out), err)
	}

	// A restart: a new wallet from the stored data and ids.
	w2 := a.wallet(t)
	if err := w2.AddIssuerData(context.Background(), s.Data, s.IDs, s.Tiles, s.Roots); err != nil {
		t.Fatal(err)
	}
	a.revoke(7, 1000)
	s2, err := syncOne(t, w2)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.IDs) != 302*8 {
		t.Fatalf("second sync handed out %d bytes of ids, want 2416", len(s2.IDs))
	}
	fetched := a.fetched()
	for _, p := range fetched {
		if p != "checkpoint" && before[p] {
			t.Errorf("a restored wallet fetched %s again", p)
		}
	}
	if len(fetched) == 0 {
		t.Fatal("nothing fetched")
	}
	var d IssuerData
	if err := json.Unmarshal(s2.Data, &d); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Witnesses["urn:mine"]; !ok || len(d.Revoked) != 1 || d.Revoked[0] != "urn:other" {
		t.Fatalf("after revoking 7: witnesses %v, revoked %v", d.Witnesses, d.Revoked)
	}
	// An unchanged log hands out no ids again.
	if s3, err := syncOne(t, w2); err != nil || s3.IDs != nil || s3.Roots != nil || s3.Tiles != nil {
		t.Fatalf("unchanged sync: %d bytes of ids, %d of roots, %d of tiles, %v", len(s3.IDs), len(s3.Roots), len(s3.Tiles), err)
	}
	// A day later, without a sync, the checkpoint is too old for a
	// request (its default maxRootAge): the citizen is told so.
	w2.cfg.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if o := w2.unmet(context.Background(), "openid4vp://?not=a-request", nil); !strings.Contains(o.Message, "too old") || o.Sent {
		t.Errorf("stale checkpoint: %+v", o)
	}
	w2.cfg.Now = time.Now
	// Syncs the page's schedule overlaps run one after the other.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := w2.Sync(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// Stored ids that do not match the checkpoint are dropped, the
	// checkpoint kept: the next sync downloads the log again (proven
	// consistent with the kept checkpoint) and hands out the right ids.
	repaired := a.wallet(t)
	if err := repaired.AddIssuerData(context.Background(), s2.Data, s.IDs, nil, nil); err != nil {
		t.Fatalf("ids of another size: %v", err)
	}
	if s3, err := syncOne(t, repaired); err != nil || !bytes.Equal(s3.IDs, s2.IDs) {
		t.Fatalf("after ids of another size: %v, %d bytes of ids handed out, want %d", err, len(s3.IDs), len(s2.IDs))
	}
	// Kept with ids of another size, the checkpoint still catches the
	// fork below.
	keptOnly := a.wallet(t)
	if err := keptOnly.AddIssuerData(context.Background(), s2.Data, s.IDs[:8], nil, nil); err != nil {
		t.Fatal(err)
	}

	// The agency forks: a log of the same size with other ids.
	a.open(filepath.Join(t.TempDir(), "fork"))
	a.revoke(append(first, 7, 1001)...)
	s4, err := syncOne(t, w2)
	if !IsSplitView(err) || !errors.Is(err, tlog.ErrSplitView) {
		t.Fatalf("split view: %v", err)
	}
	if _, err := syncOne(t, keptOnly); !IsSplitView(err) {
		t.Fatalf("split view, for a wallet whose stored ids were dropped: %v", err)
	}
	var d4 IssuerData
	if err := json.Unmarshal(s4.Data, &d4); err != nil {
		t.Fatal(err)
	}
	if d4.SplitView == "" || d4.Checkpoint != d.Checkpoint || s4.IDs != nil {
		t.Fatalf("after the split view: %q, checkpoint kept %v", d4.SplitView, d4.Checkpoint == d.Checkpoint)
	}
	for _, c := range w2.List(context.Background()) {
		if c.Status != SplitViewMessage || !c.Warning {
			t.Errorf("listed after a split view: %+v", c)
		}
	}
	secret, _ := NewSecret()
	if err := w2.SetSecret(secret); err != nil {
		t.Fatal(err)
	}
	if held, _, err := w2.held(context.Background()); err != nil || len(held) != 0 {
		t.Fatalf("after a split view the wallet holds %d credentials (%v)", len(held), err)
	}
	// Restored, the mark stays.
	w3 := a.wallet(t)
	if err := w3.AddIssuerData(context.Background(), s4.Data, s2.IDs, s.Tiles, s2.Roots); err != nil {
		t.Fatal(err)
	}
	if c := w3.List(context.Background()); c[0].Status != SplitViewMessage {
		t.Errorf("restored after a split view: %+v", c[0])
	}
}

// TestHashTileSize: the tile cache keeps hash tiles only, by their exact
// tlog-tiles paths.
func TestHashTileSize(t *testing.T) {
	for p, want := range map[string]int{
		"tile/0/000": 8192, "tile/1/x001/234": 8192, "tile/0/001.p/44": 44 * 32, "tile/2/000.p/1": 32,
		"tile/entries/000": 0, "tile/0/000.p/0": 0, "tile/0/000.p/256": 0, "tile/0/000.p/044": 0, "tile/0/1": 0,
		"tile/0/x001": 0, "tile/123/000": 0, "checkpoint": 0, "subtrees/4/0": 0, "tile/0/001/000": 0,
	} {
		if got := hashTileSize(p); got != want {
			t.Errorf("%s: %d, want %d", p, got, want)
		}
	}
}

// FuzzTileCacheUnmarshal: stored tiles are parsed to their exact layout,
// bounded, never panicking; what parses marshals back to the same bytes.
func FuzzTileCacheUnmarshal(f *testing.F) {
	c := newTileCache()
	c.tiles["tile/0/000.p/2"] = make([]byte, 64)
	c.order = []string{"tile/0/000.p/2"}
	f.Add(c.marshal())
	f.Add([]byte{})
	f.Add([]byte{10, 't'})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := newTileCache()
		if err := c.unmarshal(b); err != nil {
			return
		}
		if got := c.marshal(); string(got) != string(b) {
			t.Fatalf("round trip: %x -> %x", b, got)
		}
	})
}

// fixedGetter answers every GET with body.
type fixedGetter struct{ body []byte }

func (g fixedGetter) Get(_ context.Context, u, _ string) (*fetch.Response, error) {
	return &fetch.Response{StatusCode: 200, Status: "200 OK", URL: u, Body: g.body}, nil
}

// TestLogTooLarge: a checkpoint of more entries than the wallet keeps is
// refused before any entry is downloaded.
func TestLogTooLarge(t *testing.T) {
	a := newTestAgency(t)
	a.revoke(1, 2)
	s, err := syncOne(t, a.wallet(t))
	if err != nil {
		t.Fatal(err)
	}
	var d IssuerData
	if err := json.Unmarshal(s.Data, &d); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(d.Checkpoint, "\n", 3)
	big := lines[0] + "\n" + fmt.Sprint(MaxLogIDs+1) + "\n" +
		strings.Replace(lines[2], fmt.Sprintf("zkcred-revocation/v1 %d ", testDepth), "zkcred-revocation/v1 32 ", 1)
	if cp, err := tlog.ParseCheckpoint([]byte(big)); err != nil || cp.Size != MaxLogIDs+1 {
		t.Fatalf("edited checkpoint: %v", err)
	}
	c := newTileCache()
	c.next, c.base = fixedGetter{[]byte(big)}, "https://agency.example/log/"
	if _, err := c.Get(context.Background(), c.base+"checkpoint", ""); !errors.Is(err, errLogTooLarge) {
		t.Fatalf("a log of %d entries: %v", MaxLogIDs+1, err)
	}
	c.next = fixedGetter{[]byte(d.Checkpoint)}
	if _, err := c.Get(context.Background(), c.base+"checkpoint", ""); err != nil {
		t.Fatal(err)
	}
}
