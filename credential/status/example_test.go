package status_test

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
)

// A holder rebuilds the revocation tree from the issuer's snapshot and
// computes its own non-membership witness; revoked ids have none.
func ExampleSnapshot() {
	issuer, _ := status.NewTree(status.DefaultDepth, status.RevocationMax())
	var ids []uint64
	for _, id := range []uint64{1001, 42, 7} {
		var v fr.Element
		v.SetUint64(id)
		if err := issuer.Insert(v); err != nil {
			panic(err)
		}
		ids = append(ids, id)
	}
	snap := &status.Snapshot{Depth: status.DefaultDepth, Sequence: 3, Root: issuer.Root(), IDs: ids}
	wire, _ := snap.MarshalBinary()

	// Holder side.
	parsed, err := status.ParseSnapshot(wire)
	if err != nil {
		panic(err)
	}
	tree, err := parsed.Tree()
	if err != nil {
		panic(err)
	}
	w, err := status.NonRevocationWitness(tree, 100)
	if err != nil {
		panic(err)
	}
	var v fr.Element
	v.SetUint64(100)
	fmt.Println("snapshot bytes:", len(wire))
	fmt.Println("low leaf index:", w.Index, "verifies:", w.VerifyNonMembership(issuer.Root(), status.DefaultDepth, v) == nil)
	_, err = status.NonRevocationWitness(tree, 42)
	fmt.Println(err)
	// Output:
	// snapshot bytes: 81
	// low leaf index: 2 verifies: true
	// status: credential revoked: id 42 has no non-membership witness
}
