package status_test

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
)

// A registry publishes its subtree roots in chunks; a holder keeps a view
// of the revoked ids, fetches only the chunks it lacks and computes its
// witness without rebuilding the tree, then syncs again after new
// revocations.
func ExampleHolderView() {
	const level = status.DefaultSubtreeLevel
	registry, _ := status.NewTree(status.DefaultDepth, status.RevocationMax())
	revoke := func(ids ...uint64) {
		for _, id := range ids {
			var v fr.Element
			v.SetUint64(id)
			if err := registry.Insert(v); err != nil {
				panic(err)
			}
		}
	}
	// serve stands for fetching chunk j from the registry's static files.
	serve := func(j uint64) []byte {
		b, err := registry.SubtreeChunk(level, j)
		if err != nil {
			panic(err)
		}
		return b
	}

	view, err := status.NewHolderView(status.DefaultDepth, level)
	if err != nil {
		panic(err)
	}
	sync := func(newIDs ...uint64) {
		// The ids come from the log's tiles, the root from a verified
		// checkpoint.
		if err := view.Append(newIDs...); err != nil {
			panic(err)
		}
		stale := view.StaleChunks()
		for _, j := range stale {
			if err := view.ApplySubtreeChunk(serve(j)); err != nil {
				panic(err)
			}
		}
		const myID = 500
		w, err := view.NonRevocationWitness(myID, registry.Root())
		if err != nil {
			panic(err)
		}
		var v fr.Element
		v.SetUint64(myID)
		fmt.Printf("%d ids, fetched chunks %v, low leaf %d, verifies: %v\n",
			view.Len(), stale, w.Index, w.VerifyNonMembership(registry.Root(), status.DefaultDepth, v) == nil)
	}

	revoke(1001, 42, 7)
	sync(1001, 42, 7)
	revoke(499)
	sync(499)
	_, err = view.NonRevocationWitness(42, registry.Root())
	fmt.Println(err)
	// Output:
	// 3 ids, fetched chunks [0], low leaf 2, verifies: true
	// 4 ids, fetched chunks [0], low leaf 4, verifies: true
	// status: credential revoked: id 42 has no non-membership witness
}
