package registry

import (
	"fmt"
	"os"
	"path/filepath"
)

// ExampleRegistry_RevokedSince follows the revocations in insertion order,
// as a transparency log feeding on the registry does: it asks for what came
// after the count it already has.
func ExampleRegistry_RevokedSince() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	st, err := OpenBoltStore(filepath.Join(dir, "registry.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	reg, err := Open(st, testConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	reg.Revoke(7)
	reg.Revoke(3, 12)
	var have uint64 // ids the log holds
	ids, root := reg.RevokedSince(have, 0)
	fmt.Println(ids, root.Count, root.Sequence)
	have += uint64(len(ids))
	reg.Revoke(5)
	ids, root = reg.RevokedSince(have, 0)
	fmt.Println(ids, root.Count, root.Sequence)
	// Output:
	// [7 3 12] 3 2
	// [5] 4 3
}

// ExampleRegistry_Sync: a second registry on the same store (a reader
// instance) serves what it last read until it syncs.
func ExampleRegistry_Sync() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	st, err := OpenBoltStore(filepath.Join(dir, "registry.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	writer, _ := Open(st, testConfig())
	reader, _ := Open(st, testConfig())
	writer.Revoke(42)
	fmt.Println(reader.IsRevoked(42), reader.Root().Sequence)
	if err := reader.Sync(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reader.IsRevoked(42), reader.Root().Sequence)
	// Output:
	// false 0
	// true 1
}
