package tlog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
)

var ctx = context.Background()

// TestEndToEnd: the agency appends, two witnesses cosign, a wallet with
// quorum 2 syncs everything, then only what is new, each step verified.
func TestEndToEnd(t *testing.T) {
	f := newFixture(t, 2)
	c := f.client(2)
	cp0, err := c.Update(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp0.Size != 0 || len(cp0.Cosignatures) != 2 || cp0.Indexed.Sequence != 0 {
		t.Fatalf("empty log: %+v", cp0)
	}
	f.revoke(seqIDs(1, 300)...)
	cp1, err := c.Update(ctx, cp0)
	if err != nil {
		t.Fatal(err)
	}
	if cp1.Size != 300 || !cp1.Indexed.Root.Equal(ptr(f.tree.Root())) || cp1.Indexed.Depth != testDepth || cp1.Indexed.Sequence != 1 {
		t.Fatalf("checkpoint %+v", cp1)
	}
	ids, err := c.RevokedIDs(ctx, cp1, 0)
	if err != nil || !slices.Equal(ids, f.ids) {
		t.Fatalf("ids: %v (%d, want %d)", err, len(ids), len(f.ids))
	}
	before := c.BytesDownloaded()
	f.revoke(seqIDs(1_000_000, 1000)...)
	cp2, err := c.Update(ctx, cp1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err = c.RevokedIDs(ctx, cp2, cp1.Size)
	if err != nil || !slices.Equal(ids, f.ids[300:]) {
		t.Fatalf("new ids: %v (%d)", err, len(ids))
	}
	// 1000 ids are 10 KB of entries; tiles and the checkpoint add a few KB.
	if got := c.BytesDownloaded() - before; got > 40_000 {
		t.Fatalf("incremental sync downloaded %d bytes", got)
	}
	// Same state again (a refresh): accepted; a wallet may sync from any size.
	f.now = f.now.Add(time.Hour)
	if _, err := f.writer.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	cp3, err := c.Update(ctx, cp2)
	if err != nil || !cp3.Same(cp2) || !cp3.Time.After(cp2.Time) {
		t.Fatalf("refresh: %v", err)
	}
	if ids, err := c.RevokedIDs(ctx, cp3, 17); err != nil || !slices.Equal(ids, f.ids[17:]) {
		t.Fatalf("ids from 17: %v", err)
	}
	// The writer reopens where it was.
	w2 := f.open()
	if w2.Size() != 1300 || !w2.Checkpoint().Same(cp3) {
		t.Fatalf("reopened writer at %d", w2.Size())
	}
	f.writer = w2
	cp4 := f.revoke(5, 6, 7)
	if _, err := c.Update(ctx, cp3); err != nil || cp4.Size != 1303 {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestSplitView: the agency signs two different checkpoints of the same
// size. The witness refuses the second; a client with a witness quorum
// refuses it; a wallet that stored the first detects the second.
func TestSplitView(t *testing.T) {
	f := newFixture(t, 1)
	first := f.revoke(seqIDs(1, 10)...)

	// The same agency key, a second directory holding other ids: a
	// different log of the same size (what a split view shows).
	g := newFixture(t, 0)
	g.key = f.key
	g.writer = g.open()
	g.now = f.now
	forged := g.revoke(seqIDs(99, 10)...)
	if forged.Size != first.Size || forged.Hash == first.Hash {
		t.Fatal("fixture: not a split view")
	}

	// The witness refuses it: 409, split view.
	_, err := f.witnesses[0].AddCheckpoint(ctx, addCheckpointBody(first.Size, forged.Note))
	var ce *witness.ConflictError
	if !errors.As(err, &ce) || !ce.SplitView || ce.Size != first.Size {
		t.Fatalf("witness accepted a split view: %v", err)
	}
	mustIs(t, err, tlog.ErrSplitView)

	// A verifier with quorum 1 refuses the forged checkpoint: no cosignature.
	p := f.policy(1)
	if _, err := p.Verify(first.Note); err != nil {
		t.Fatal(err)
	}
	_, err = p.Verify(forged.Note)
	mustIs(t, err, tlog.ErrNoQuorum)

	// A wallet (even one trusting the log's signature alone) that stored
	// the first detects the second.
	p0 := f.policy(0)
	a, err := p0.Verify(first.Note)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p0.Verify(forged.Note)
	if err != nil {
		t.Fatal(err)
	}
	err = p0.CheckUpdate(a, b, nil)
	mustIs(t, err, tlog.ErrSplitView)
	mustIs(t, err, tlog.ErrInconsistent)

	// Same SHA-256 tree, another indexed root: also a split view.
	c := *a
	c.Indexed.Sequence++
	if err := tlog.VerifyConsistency(a, &c, nil); !errors.Is(err, tlog.ErrSplitView) {
		t.Fatalf("indexed root split view: %v", err)
	}
}

func addCheckpointBody(old int64, note []byte) []byte {
	return append([]byte("old "+itoa(old)+"\n\n"), note...)
}

func itoa(n int64) string { return formatInt(n) }

func ptr(e fr.Element) *fr.Element { return &e }

func formatInt(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestTamperedTiles: a CDN that changes or truncates a tile or an entry
// bundle is caught.
func TestTamperedTiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
		edit func([]byte) []byte
	}{
		{"entry bundle byte", "tile/entries/000", func(b []byte) []byte { b[5] ^= 1; return b }},
		{"entry bundle truncated", "tile/entries/000", func(b []byte) []byte { return b[:len(b)-1] }},
		{"entry bundle extended", "tile/entries/000", func(b []byte) []byte { return append(b, 0, 0) }},
		{"partial bundle byte", "tile/entries/001.p/44", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"hash tile byte", "tile/0/001.p/44", func(b []byte) []byte { b[0] ^= 1; return b }},
		{"hash tile truncated", "tile/0/001.p/44", func(b []byte) []byte { return b[:len(b)-32] }},
		{"level 1 tile", "tile/1/000.p/1", func(b []byte) []byte { b[31] ^= 0x80; return b }},
		{"full hash tile", "tile/0/000", func(b []byte) []byte { b[100] ^= 1; return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.revoke(seqIDs(1, 300)...)
			c := f.client(1)
			cp, err := c.Latest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(f.dir, filepath.FromSlash(tc.path))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tc.edit(b), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = c.RevokedIDs(ctx, cp, 0)
			if strings.HasPrefix(tc.path, "tile/0/000") && err == nil {
				// The full level-0 tile is not needed to check full
				// bundles (their level-8 hash is): a proof needs it.
				_, err = c.ConsistencyProof(ctx, &tlog.Checkpoint{Size: 3}, cp)
			}
			mustIs(t, err, tlog.ErrMalformedTile)
		})
	}
}

// TestBadCheckpointSignature: a flipped signature bit, another key, an
// origin the key does not name.
func TestBadCheckpointSignature(t *testing.T) {
	f := newFixture(t, 0)
	cp := f.revoke(1, 2, 3)
	key := f.writer.LogKey()
	if _, err := tlog.Open(cp.Note, key); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(cp.Note)
	i := bytes.LastIndexByte(bad[:len(bad)-1], ' ')
	sig, _ := base64.StdEncoding.DecodeString(string(bad[i+1 : len(bad)-1]))
	sig[10] ^= 1
	bad = append(bad[:i+1], base64.StdEncoding.EncodeToString(sig)+"\n"...)
	_, err := tlog.Open(bad, key)
	mustIs(t, err, tlog.ErrBadSignature)

	other, _ := tlog.NewLogKey(f.origin, seedKey(2).Public().(ed25519.PublicKey))
	_, err = tlog.Open(cp.Note, other)
	mustIs(t, err, tlog.ErrBadSignature)

	otherOrigin, _ := tlog.NewLogKey("did:web:other.example/revocation", f.key.Public().(ed25519.PublicKey))
	_, err = tlog.Open(cp.Note, otherOrigin)
	mustIs(t, err, tlog.ErrBadSignature)

	// A witness refuses it with 403.
	w := newFixture(t, 1)
	_, err = w.witnesses[0].AddCheckpoint(ctx, addCheckpointBody(0, bad))
	mustIs(t, err, tlog.ErrBadSignature)
}

// TestShrankOrForked: a log that shrank, or forked, is refused by the
// client (consistency from the tiles) and by the witness.
func TestShrankOrForked(t *testing.T) {
	f := newFixture(t, 0)
	c := f.client(0)
	f.revoke(seqIDs(1, 300)...)
	big, err := c.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A fork: the same key, the first 200 ids then others, up to 350.
	g := newFixture(t, 0)
	g.key = f.key
	g.writer = g.open()
	g.now = f.now
	g.revoke(f.ids[:200]...)
	gc := g.client(0)
	small, err := gc.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Shrank: the server now shows 200 after 300.
	_, err = gc.Update(ctx, big)
	mustIs(t, err, tlog.ErrInconsistent)
	if errors.Is(err, tlog.ErrSplitView) {
		t.Fatal("a shrunk log is not a split view")
	}
	// Forked: 350 entries whose first 300 differ from the stored 300.
	g.revoke(seqIDs(5_000_000, 150)...)
	_, err = gc.Update(ctx, big)
	mustIs(t, err, tlog.ErrInconsistent)
	// The honest prefix verifies.
	if _, err := gc.Update(ctx, small); err != nil {
		t.Fatal(err)
	}

	// Witness side: it cosigned 300 of f; the fork's 350 has no valid proof.
	wf := newFixture(t, 1)
	wf.key = f.key
	wf.writer = wf.open()
	wf.now = f.now
	wf.revoke(f.ids...)
	forked, _ := gc.Latest(ctx)
	proof, err := gc.ConsistencyProof(ctx, &tlog.Checkpoint{Size: 300}, forked)
	if err != nil {
		t.Fatal(err)
	}
	req := appendProof(300, proof, forked.Note)
	_, err = wf.witnesses[0].AddCheckpoint(ctx, req)
	mustIs(t, err, witness.ErrBadProof)
	// Shrank, for the witness: old 300, checkpoint 200: 400 Bad Request.
	_, err = wf.witnesses[0].AddCheckpoint(ctx, addCheckpointBody(300, small.Note))
	mustIs(t, err, witness.ErrBadRequest)
}

func appendProof(old int64, proof [][32]byte, note []byte) []byte {
	b := []byte("old " + formatInt(old) + "\n")
	for _, h := range proof {
		b = append(b, base64.StdEncoding.EncodeToString(h[:])+"\n"...)
	}
	return append(append(b, '\n'), note...)
}
