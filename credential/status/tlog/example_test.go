//go:build !js

// The examples keep a witness's state in bbolt (witness.OpenStore), which
// does not build for js/wasm.

package tlog_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did/fetch"
)

// An agency publishes its revocations as a witnessed log; a wallet
// accepts the checkpoint only with the witness's cosignature and reads
// the revoked ids, each checked against the checkpoint.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tlog-example")
	defer os.RemoveAll(dir)
	agencyKey := ed25519.NewKeyFromSeed(make([]byte, 32)) // in its DID document
	origin, _ := tlog.RevocationOrigin("did:web:agency.example")
	logKey, _ := tlog.NewLogKey(origin, agencyKey.Public().(ed25519.PublicKey))

	// A witness, with its state in bbolt.
	store, _ := witness.OpenStore(filepath.Join(dir, "witness.db"))
	defer store.Close()
	witnessSeed := make([]byte, 32)
	witnessSeed[0] = 1
	wit, _ := witness.New(witness.Config{Name: "witness.example", Key: ed25519.NewKeyFromSeed(witnessSeed), Logs: []*tlog.LogKey{logKey}, Store: store})
	witnessSrv := httptest.NewServer(wit.Handler())
	defer witnessSrv.Close()
	// Development options: plain http to 127.0.0.1 (httptest).
	hc, _ := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})

	// The agency's writer; the registry computes the indexed root.
	tree, _ := status.NewTree(16, status.RevocationMax())
	w, err := tlog.OpenWriter(ctx, tlog.WriterConfig{
		Dir: filepath.Join(dir, "log"), Origin: origin, Kind: tlog.KindRevocation, Key: agencyKey, Depth: 16,
		Witnesses: []tlog.WitnessEndpoint{{Key: wit.Key(), URL: witnessSrv.URL + "/add-checkpoint"}}, HTTP: hc,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := []uint64{1001, 1002, 1003}
	for _, id := range ids {
		var e fr.Element
		e.SetUint64(id)
		tree.Insert(e)
	}
	if _, err := w.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: 16, Root: tree.Root(), Sequence: 1}); err != nil {
		fmt.Println(err)
		return
	}

	// A wallet: the log is static files behind any web server.
	logSrv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join(dir, "log"))))
	defer logSrv.Close()
	policy, _ := tlog.NewPolicy(logKey, []*tlog.WitnessKey{wit.Key()}, 1)
	client, _ := tlog.NewClient(logSrv.URL, hc, policy, nil)
	cp, err := client.Update(ctx, nil) // then Update(ctx, stored) on each sync
	if err != nil {
		fmt.Println(err)
		return
	}
	revoked, _ := client.RevokedIDs(ctx, cp, 0)
	root := tree.Root()
	fmt.Println(cp.Size, len(cp.Cosignatures), revoked, cp.Indexed.Root.Equal(&root))
	// Output: 3 1 [1001 1002 1003] true
}

// A verifier checks a checkpoint a holder carried, then that it extends
// the one it stored for the issuer (here with quorum 0, the log's
// signature alone: development only).
func ExamplePolicy_CheckUpdate() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tlog-example")
	defer os.RemoveAll(dir)
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	origin, _ := tlog.RevocationOrigin("did:web:agency.example")
	now := time.Unix(1_800_000_000, 0)
	w, _ := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindRevocation, Key: key, Depth: 16, Now: func() time.Time { return now }})
	root := func(seq uint64) tlog.IndexedRoot { // the registry's; any canonical value here
		var r fr.Element
		r.SetUint64(seq)
		return tlog.IndexedRoot{Depth: 16, Root: r, Sequence: seq}
	}
	stored, _ := w.AppendRevocations(ctx, []uint64{1, 2, 3}, root(1))
	carried, _ := w.AppendRevocations(ctx, []uint64{4}, root(2))

	policy, _ := tlog.NewPolicy(w.LogKey(), nil, 0)
	cp, err := policy.Verify(carried.Note)
	if err != nil {
		fmt.Println(err)
		return
	}
	old, _ := policy.Verify(stored.Note)
	hc, _ := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	client, _ := tlog.NewClient(srv.URL, hc, policy, nil)
	proof, _ := client.ConsistencyProof(ctx, old, cp)
	fmt.Println(cp.Size, policy.CheckUpdate(old, cp, proof))

	forged := *cp // the same size, another state
	forged.Hash[0] ^= 1
	fmt.Println(errors.Is(policy.CheckUpdate(cp, &forged, nil), tlog.ErrSplitView))
	// Output:
	// 4 <nil>
	// true
}
