package tlog_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// A wallet follows an agency's revocation log with a HolderSync and
// computes its credential's non-revocation witness from the published
// subtree chunks, without the whole tree; a later sync fetches only what
// changed. (No witness here, quorum 0: development only.)
func ExampleHolderSync() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "tlog-holder-example")
	defer os.RemoveAll(dir)
	agencyKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	origin, _ := tlog.RevocationOrigin("did:web:agency.example")
	logKey, _ := tlog.NewLogKey(origin, agencyKey.Public().(ed25519.PublicKey))
	const depth, level = 16, 4

	// The agency: subtree chunks first, then the checkpoint.
	w, _ := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindRevocation, Key: agencyKey, Depth: depth})
	tree, _ := status.NewTree(depth, status.RevocationMax())
	revoke := func(ids ...uint64) {
		for _, id := range ids {
			tree.Insert(fr.NewElement(id))
		}
		tlog.WriteSubtrees(dir, tree, level)
		w.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: depth, Root: tree.Root(), Sequence: w.Checkpoint().Indexed.Sequence + 1})
	}
	revoke(1001, 1002, 1003)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	// The wallet (development fetch options: http to 127.0.0.1).
	hc, _ := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	policy, _ := tlog.NewPolicy(logKey, nil, 0)
	hs, err := tlog.NewHolderSync(srv.URL, hc, policy, depth, level, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cp, err := hs.Sync(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	const mine = 5000 // the credential's revocation id
	wit, _ := hs.Witness(mine)
	fmt.Println(cp.Size, wit.VerifyNonMembership(cp.Indexed.Root, depth, fr.NewElement(mine)) == nil)

	revoke(1004)
	before := hs.BytesDownloaded()
	cp, _ = hs.Sync(ctx)
	_, err = hs.Witness(1004)
	fmt.Println(cp.Size, hs.BytesDownloaded()-before < 1024, err != nil)
	// Output:
	// 3 true
	// 4 true true
}
