package status_test

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
)

// A wallet keeps its view's subtree roots beside the revoked ids; when it
// restarts it restores both and needs no chunk until new revocations
// change a subtree.
func ExampleHolderView_RestoreSubtreeRoots() {
	const depth, level = 16, 2
	registry, _ := status.NewTree(depth, status.RevocationMax())
	ids := []uint64{9, 700, 31, 12}
	for _, id := range ids {
		var v fr.Element
		v.SetUint64(id)
		registry.Insert(v)
	}
	view, _ := status.NewHolderView(depth, level)
	view.Append(ids...)
	for _, j := range view.StaleChunks() {
		b, _ := registry.SubtreeChunk(level, j)
		view.ApplySubtreeChunk(b)
	}
	kept := view.SubtreeRoots() // stored with the ids

	// After a restart.
	restored, _ := status.NewHolderView(depth, level)
	restored.Append(ids...)
	if err := restored.RestoreSubtreeRoots(kept); err != nil {
		panic(err)
	}
	w, err := restored.NonRevocationWitness(500, registry.Root())
	fmt.Println(len(kept), "bytes of roots; chunks needed:", len(restored.StaleChunks()), "; witness:", err == nil && w != nil)
	// Output:
	// 64 bytes of roots; chunks needed: 0 ; witness: true
}
