package zkp_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/zkcred/zkcred/zkp"
)

// A wallet downloads the key bundle once, checks it completely, and keeps
// the cache form with its digest; later starts load the cache.
func ExampleReadKeys() {
	keys, err := zkp.UnsafeSetup(zkp.Shape{Slots: 4, Predicates: 1, RevocationDepth: 3}, zkp.Groth16) // dev only
	if err != nil {
		panic(err)
	}
	var bundle bytes.Buffer // what the wallet downloads (keys.bin)
	if _, err := keys.WriteTo(&bundle); err != nil {
		panic(err)
	}
	fp := keys.VerifyingKey.Fingerprint() // published with the wallet

	checked, err := zkp.ReadKeys(bytes.NewReader(bundle.Bytes()), &fp)
	if err != nil {
		panic(err)
	}
	cache, err := checked.MarshalCache()
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(cache) // kept with the cache

	fast, err := zkp.DangerousParseKeyCache(cache, sum, &fp)
	if err != nil {
		panic(err)
	}
	fmt.Println(fast.VerifyingKey.Fingerprint() == fp)
	// Output: true
}
