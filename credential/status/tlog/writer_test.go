package tlog_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zkcred/zkcred/credential/status/tlog"
)

// TestKeysLog: DID document versions in the sibling log.
func TestKeysLog(t *testing.T) {
	dir := t.TempDir()
	origin, _ := tlog.KeysOrigin(testIssuer)
	w, err := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindKeys, Key: seedKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	docs := [][]byte{
		[]byte(`{"id":"did:web:agency.example"}`),
		[]byte(`{"id":"did:web:agency.example","alsoKnownAs":["https://agency.example"]}`),
	}
	for _, d := range docs {
		if _, err := w.AppendDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.AppendDocument(ctx, []byte(`{"id":1}`)); !errors.Is(err, tlog.ErrMalformedEntry) {
		t.Fatalf("invalid document: %v", err)
	}
	if _, err := w.AppendRevocations(ctx, []uint64{1}, tlog.IndexedRoot{}); !errors.Is(err, tlog.ErrWriter) {
		t.Fatalf("revocation in a keys log: %v", err)
	}
	p, _ := tlog.NewPolicy(w.LogKey(), nil, 0)
	c, _ := tlog.NewClient("https://log.example", &dirGetter{dir: dir, base: "https://log.example/"}, p, nil)
	cp, err := c.Latest(ctx)
	if err != nil || cp.Kind != tlog.KindKeys || cp.Size != 2 {
		t.Fatalf("%v %+v", err, cp)
	}
	es, err := c.Entries(ctx, cp, 0)
	if err != nil || len(es) != 2 || string(es[1]) != string(docs[1]) {
		t.Fatalf("entries: %v", err)
	}
	if d, err := tlog.ParseDocumentEntry(es[1]); err != nil || d.ID != testIssuer {
		t.Fatal(err)
	}
	if _, err := c.RevokedIDs(ctx, cp, 0); !errors.Is(err, tlog.ErrMalformedEntry) {
		t.Fatal(err)
	}
}

// TestWriterCrash: what a crash between the tiles and the checkpoint
// leaves (tiles beyond the checkpoint, temporary files) does not stop
// the writer; a tile that no longer matches the checkpoint does; a
// directory signed by another key is refused.
func TestWriterCrash(t *testing.T) {
	f := newFixture(t, 0)
	f.revoke(seqIDs(1, 300)...)
	for _, p := range []string{"tile/entries/001.p/60", "tile/0/001.p/60", "tile/entries/.tmp-123"} {
		if err := os.WriteFile(filepath.Join(f.dir, filepath.FromSlash(p)), []byte("half written"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.writer = f.open()
	f.revoke(seqIDs(10_000, 16)...) // 316 entries: overwrites the stray 001.p/60 files
	f.revoke(seqIDs(20_000, 44)...)
	c := f.client(0)
	cp, err := c.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := c.RevokedIDs(ctx, cp, 0); err != nil || !slices.Equal(ids, f.ids) {
		t.Fatalf("after crash: %v", err)
	}

	// A right-edge tile (the ones the tree hash reads) corrupted on
	// disk: refused on open.
	p := filepath.Join(f.dir, "tile", "1", "000.p", "1")
	b, _ := os.ReadFile(p)
	b[0] ^= 1
	os.WriteFile(p, b, 0o644)
	if _, err := tlog.OpenWriter(ctx, f.config()); !errors.Is(err, tlog.ErrWriter) {
		t.Fatalf("corrupt tile: %v", err)
	}
	b[0] ^= 1
	os.WriteFile(p, b, 0o644)

	// Another key: refused.
	cfg := f.config()
	cfg.Key = seedKey(3)
	if _, err := tlog.OpenWriter(ctx, cfg); !errors.Is(err, tlog.ErrBadSignature) {
		t.Fatalf("other key: %v", err)
	}
	// Another depth: refused.
	cfg = f.config()
	cfg.Depth = 20
	if _, err := tlog.OpenWriter(ctx, cfg); !errors.Is(err, tlog.ErrWriter) {
		t.Fatalf("other depth: %v", err)
	}
	// A P-256 or missing key: refused.
	cfg = f.config()
	cfg.Key = nil
	if _, err := tlog.OpenWriter(ctx, cfg); !errors.Is(err, tlog.ErrUnsupportedKey) {
		t.Fatalf("no key: %v", err)
	}
	// A sequence that does not advance, a root without entries: refused.
	if _, err := f.writer.AppendRevocations(ctx, []uint64{77}, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq}); !errors.Is(err, tlog.ErrWriter) {
		t.Fatalf("same sequence: %v", err)
	}
	if _, err := f.writer.AppendRevocations(ctx, nil, tlog.IndexedRoot{Depth: testDepth, Sequence: f.seq}); !errors.Is(err, tlog.ErrWriter) {
		t.Fatalf("new root without entries: %v", err)
	}
}

// TestWitnessDown: a witness that is down leaves the checkpoint
// published without its cosignature (ErrWitness; a quorum client refuses
// it); when it is back, the writer proves consistency from the last size
// it cosigned, also after a restart (409, then the right old size).
func TestWitnessDown(t *testing.T) {
	f := newFixture(t, 1)
	f.revoke(1, 2, 3)
	down := f.eps[0]
	f.eps[0].URL = "http://127.0.0.1:1/add-checkpoint"
	f.writer = f.open()
	f.seq++
	f.now = f.now.Add(60e9)
	for _, id := range []uint64{4, 5} {
		insert(t, f, id)
	}
	_, err := f.writer.AppendRevocations(ctx, []uint64{4, 5}, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq})
	mustIs(t, err, tlog.ErrWitness)
	c := f.client(1)
	_, err = c.Latest(ctx)
	mustIs(t, err, tlog.ErrNoQuorum)

	// Back, after a restart: the writer does not know the witness's size.
	f.eps[0] = down
	f.writer = f.open()
	cp := f.revoke(6)
	if len(cp.Cosignatures) != 1 {
		t.Fatal("no cosignature after the witness came back")
	}
	if _, err := c.Latest(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHugeCheckpoint: a checkpoint that claims an enormous log (signed, so
// past the policy) does not make the client allocate for it.
func TestHugeCheckpoint(t *testing.T) {
	f := newFixture(t, 0)
	f.revoke(1, 2, 3)
	c := f.client(0)
	cp, err := c.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	huge := *cp
	huge.Size = 1 << 40
	if _, err := c.RevokedIDs(ctx, &huge, 0); !errors.Is(err, tlog.ErrMalformedEntry) {
		t.Fatalf("huge range: %v", err)
	}
	if _, err := c.RevokedIDs(ctx, &huge, huge.Size-3); !errors.Is(err, tlog.ErrMalformedTile) && !errors.Is(err, tlog.ErrNotFound) {
		t.Fatalf("tiles of a log that does not exist: %v", err)
	}
}
